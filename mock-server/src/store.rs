//! The data set the mock serves, in the contract's canonical order, with each call serialized once.
//!
//! Canonical order (contract rule 10): calls without a `start_timestamp` (not started yet) first, then newest
//! `start_timestamp` first, ties broken by `call_id` descending (compared as bytes). The order is total because
//! `call_id`s are unique, so every request and every restart sees the same sequence.

use std::cmp::Ordering;
use std::collections::HashMap;

use openmic_fixtures::{Call, Problems, validate_calls};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::query::ListCallsParams;

/// The calls, ordered, indexed by id, and pre-serialized.
#[derive(Debug)]
pub struct CallStore {
    calls: Vec<Call>,
    json: Vec<Box<RawValue>>,
    by_id: HashMap<String, usize>,
}

/// One page of a List Calls answer.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    /// The matches in `[offset, offset + limit)`.
    pub calls: Vec<&'a RawValue>,
    /// Where the page sits among all matches.
    pub pagination: Pagination,
}

/// The vendor's `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pagination {
    /// The effective page size.
    pub limit: u32,
    /// The offset as requested.
    pub offset: u64,
    /// How many calls match all filters.
    pub total: u64,
    /// Whether matches remain after this page.
    pub has_more: bool,
}

/// Compares two calls in canonical order.
pub fn canonical_order(a: &Call, b: &Call) -> Ordering {
    // `None` sorts after every `Some` in reverse order, so not-yet-started calls come first.
    let key = |c: &Call| c.start_timestamp.map_or((1, 0), |t| (0, t.millis()));
    key(b).cmp(&key(a)).then_with(|| b.call_id.cmp(&a.call_id))
}

impl CallStore {
    /// Orders, validates and serializes `calls`. Fails, with every problem listed, on duplicate `call_id`s
    /// or an `end_timestamp` before the `start_timestamp`.
    pub fn new(mut calls: Vec<Call>) -> Result<Self, Problems> {
        validate_calls(&calls)?;
        calls.sort_by(canonical_order);
        let json = calls
            .iter()
            .map(|call| {
                serde_json::value::to_raw_value(call)
                    .expect("a Call always serializes: its maps have string keys and its numbers are finite")
            })
            .collect();
        let by_id = calls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.call_id.clone(), i))
            .collect();
        Ok(Self { calls, json, by_id })
    }

    /// The calls in canonical order.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// How many calls are loaded.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no calls are loaded.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The JSON of the call with this id, exactly as the list serves it.
    pub fn get_json(&self, call_id: &str) -> Option<&RawValue> {
        self.by_id.get(call_id).map(|&i| &*self.json[i])
    }

    /// The page of matches for `params` (contract rules 6, 7 and 11).
    pub fn list(&self, params: &ListCallsParams) -> Page<'_> {
        let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
        let limit = params.limit as usize;
        let mut total: u64 = 0;
        let mut calls = Vec::with_capacity(limit.min(self.calls.len()));
        for (call, json) in self.calls.iter().zip(&self.json) {
            if matches(call, params) {
                let position = total as usize;
                if position >= offset && calls.len() < limit {
                    calls.push(&**json);
                }
                total += 1;
            }
        }
        let has_more = params.offset.saturating_add(calls.len() as u64) < total;
        Page {
            calls,
            pagination: Pagination {
                limit: params.limit,
                offset: params.offset,
                total,
                has_more,
            },
        }
    }
}

/// Whether `call` satisfies every filter in `params`.
fn matches(call: &Call, params: &ListCallsParams) -> bool {
    let exact = |filter: &Option<String>, value: Option<&str>| {
        filter.as_deref().is_none_or(|f| Some(f) == value)
    };
    params.call_status.is_none_or(|s| s == call.call_status)
        && params.call_type.is_none_or(|t| t == call.call_type)
        && exact(&params.customer_id, call.customer_id.as_deref())
        && exact(&params.from_number, Some(&call.from_number))
        && exact(&params.to_number, Some(&call.to_number))
        && exact(&params.bot_id, Some(&call.agent_id))
        && within_dates(call, params)
}

/// Contract rule 6: inclusive bounds on `start_timestamp`; a call that has not started never matches a
/// date-bounded query.
fn within_dates(call: &Call, params: &ListCallsParams) -> bool {
    if params.from_date.is_none() && params.to_date.is_none() {
        return true;
    }
    let Some(start) = call.start_timestamp else {
        return false;
    };
    let start = i128::from(start.millis());
    params
        .from_date
        .is_none_or(|from| start >= i128::from(from))
        && params.to_date.is_none_or(|to| start <= i128::from(to))
}
