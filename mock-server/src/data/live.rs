//! The live tier of a data set: the calls created through the API, few and changing often. Unlike
//! [`CallStore`](crate::data::store::CallStore) it builds no index: its calls sit in canonical order and a query
//! scans them, which for the thousand or so calls a tier holds costs microseconds. What it saves is the cost of
//! a change: a new state of one call copies a vector of pointers and, when the call has just started, moves one
//! of them, instead of rebuilding hash maps and posting lists.

use std::sync::Arc;

use openmic_fixtures::{CallChecker, Problems};

use crate::api::query::ListCallsParams;
use crate::data::store::{Record, compare_keys, records_of_json, refuse_served};

/// Calls in canonical order, each shared so that a new version of the tier copies pointers only.
#[derive(Debug, Default, Clone)]
pub struct LiveTier {
    calls: Vec<Arc<Record>>,
}

impl LiveTier {
    /// A tier of these calls' JSON (as [`CallStore::from_json`](crate::data::store::CallStore::from_json) takes
    /// it); fails on repeated `call_id`s or an end before a start.
    pub fn from_json(calls: Vec<Box<str>>) -> Result<Self, Problems> {
        LiveTier::default().with_added(calls)
    }

    /// How many calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The position of a call in canonical order.
    pub fn position(&self, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| &*c.call_id == call_id)
    }

    /// The JSON of the call with this id.
    pub fn get_json(&self, call_id: &str) -> Option<&str> {
        self.position(call_id).map(|p| &*self.calls[p].json)
    }

    /// Each call's JSON, in canonical order.
    pub fn json_calls(&self) -> impl Iterator<Item = &str> {
        self.calls.iter().map(|c| &*c.json)
    }

    /// The canonical-order key of the call at `position`.
    pub(crate) fn key_at(&self, position: u32) -> (Option<u64>, &str) {
        let call = &self.calls[position as usize];
        (call.start, &call.call_id)
    }

    /// The JSON of the call at `position`.
    pub(crate) fn json_at(&self, position: u32) -> &str {
        &self.calls[position as usize].json
    }

    /// Whether a call has this `agent_id`.
    pub fn has_agent(&self, agent_id: &str) -> bool {
        self.calls.iter().any(|c| &*c.agent == agent_id)
    }

    /// Every match of `params`'s filters, in canonical order (`offset` and `limit` are not read): the same
    /// rules as [`CallStore::list`](crate::data::store::CallStore::list).
    pub fn matches(&self, params: &ListCallsParams) -> Vec<u32> {
        let dated = params.from_date.is_some() || params.to_date.is_some();
        let text =
            |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
        self.calls
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                params.call_status.is_none_or(|s| s == c.status)
                    && params.call_type.is_none_or(|k| k == c.kind)
                    && text(&params.bot_id, &c.agent)
                    && params
                        .customer_id
                        .as_deref()
                        .is_none_or(|w| c.customer.as_deref() == Some(w))
                    && text(&params.from_number, &c.from)
                    && text(&params.to_number, &c.to)
                    && (!dated
                        || c.start.is_some_and(|start| {
                            let start = i128::from(start);
                            params.from_date.is_none_or(|f| start >= i128::from(f))
                                && params.to_date.is_none_or(|t| start <= i128::from(t))
                        }))
            })
            .map(|(position, _)| position as u32)
            .collect()
    }

    /// A new tier with `calls` added; fails on an id already here or repeated, or an end before a start.
    pub fn with_added(&self, calls: Vec<Box<str>>) -> Result<Self, Problems> {
        let mut checker = CallChecker::new();
        let added = records_of_json(calls, &mut checker)?;
        checker.finish()?;
        refuse_served(&added, |id| self.position(id).is_some())?;
        let mut next = self.clone();
        for record in added {
            next.insert(Arc::new(record));
        }
        Ok(next)
    }

    /// A new tier in which each of `calls` takes the place of the call with its `call_id`; calls whose id is
    /// not here are left out.
    pub fn with_replaced(&self, calls: Vec<Box<str>>) -> Result<Self, Problems> {
        let mut checker = CallChecker::new();
        let replacing = records_of_json(calls, &mut checker)?;
        checker.finish()?;
        let mut next = self.clone();
        for record in replacing {
            let Some(position) = next.position(&record.call_id) else {
                continue;
            };
            if next.calls[position].start == record.start {
                // Same key, same place: the common change (a transcript line, the end of a call).
                next.calls[position] = Arc::new(record);
            } else {
                next.calls.remove(position);
                next.insert(Arc::new(record));
            }
        }
        Ok(next)
    }

    /// A new tier without the call at `position`.
    pub fn without(&self, position: usize) -> Self {
        self.without_positions(&[position])
    }

    /// A new tier without the calls at `positions` (ascending).
    pub fn without_positions(&self, positions: &[usize]) -> Self {
        LiveTier {
            calls: self
                .calls
                .iter()
                .enumerate()
                .filter(|(p, _)| positions.binary_search(p).is_err())
                .map(|(_, c)| c.clone())
                .collect(),
        }
    }

    fn insert(&mut self, record: Arc<Record>) {
        let at = self.calls.partition_point(|c| {
            compare_keys(c.start, &c.call_id, record.start, &record.call_id).is_lt()
        });
        self.calls.insert(at, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmic_fixtures::{CallStatus, TimestampMs};

    fn json(call: &openmic_fixtures::Call) -> Box<str> {
        serde_json::to_string(call).unwrap().into()
    }

    #[test]
    fn a_call_that_starts_moves_into_its_place_and_the_rest_keep_theirs() {
        let mut calls = openmic_fixtures::generate(5, 20);
        calls.sort_by(crate::data::store::canonical_order);
        let tier = LiveTier::from_json(calls.iter().map(json).collect()).unwrap();
        let ids = |t: &LiveTier| -> Vec<String> {
            t.json_calls()
                .map(|j| crate::data::set::call_id_of(j).unwrap().into_owned())
                .collect()
        };
        assert_eq!(
            ids(&tier),
            calls.iter().map(|c| c.call_id.clone()).collect::<Vec<_>>()
        );
        let mut started = calls
            .iter()
            .find(|c| c.call_status == CallStatus::Registered)
            .cloned()
            .unwrap_or_else(|| calls[0].clone());
        started.call_status = CallStatus::Ongoing;
        started.start_timestamp = Some(TimestampMs(1));
        let next = tier.with_replaced(vec![json(&started)]).unwrap();
        let mut expected = calls.clone();
        expected.retain(|c| c.call_id != started.call_id);
        expected.push(started.clone());
        expected.sort_by(crate::data::store::canonical_order);
        assert_eq!(
            ids(&next),
            expected
                .iter()
                .map(|c| c.call_id.clone())
                .collect::<Vec<_>>()
        );
        assert_eq!(tier.len(), next.len(), "the old tier is untouched");
        assert!(
            next.get_json(&started.call_id)
                .unwrap()
                .contains("\"ongoing\"")
        );
        assert!(tier.with_added(vec![json(&calls[0])]).is_err());
        let fewer = next.without_positions(&[0, 2]);
        assert_eq!(fewer.len(), calls.len() - 2);
    }
}
