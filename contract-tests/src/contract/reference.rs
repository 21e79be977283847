//! The reference model, kept apart from the mock's query engine on purpose: shared code would share its bugs.
//!
//! What a List Calls answer must be, computed the plainest possible way from the calls the suite learned by
//! listing. It shares only the call model (`openmic_fixtures::Call`) with the mock.
//!
//! The rules it encodes are `docs/contract.md`'s: filters are exact, case-sensitive equality (`bot_id` against
//! `agent_id`), an empty filter value means "not given", date bounds are inclusive and compare
//! `start_timestamp` (a call without one never matches a date bound), order is newest first with not-started
//! calls first and ties broken by `call_id` descending, `limit` defaults to 50.

use std::cmp::Ordering;

use openmic_fixtures::{Call, CallStatus, CallType};
use serde_json::{Value, json};

/// The default page size (contract rule 4b, assumed from the vendor's v2 documentation).
pub const DEFAULT_LIMIT: u64 = 50;

/// A date bound as sent: the instant it stands for, and its spelling on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateBound {
    /// Unix milliseconds.
    pub ms: i64,
    /// What goes in the query string.
    pub text: String,
}

/// A valid List Calls query in typed form; [`ListQuery::to_pairs`] gives its wire form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// `customer_id`.
    pub customer_id: Option<String>,
    /// `from_number`.
    pub from_number: Option<String>,
    /// `to_number`.
    pub to_number: Option<String>,
    /// `bot_id`, matched against `agent_id`.
    pub bot_id: Option<String>,
    /// `call_status`.
    pub call_status: Option<CallStatus>,
    /// `call_type`.
    pub call_type: Option<CallType>,
    /// `from_date` (inclusive).
    pub from_date: Option<DateBound>,
    /// `to_date` (inclusive).
    pub to_date: Option<DateBound>,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// Parameters the contract does not know, sent after the known ones.
    pub unknown: Vec<(String, String)>,
}

impl ListQuery {
    /// The query pairs, in a fixed order, each parameter once.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut push = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((name.to_string(), value));
            }
        };
        push("customer_id", self.customer_id.clone());
        push("from_number", self.from_number.clone());
        push("to_number", self.to_number.clone());
        push("bot_id", self.bot_id.clone());
        push("call_status", self.call_status.map(|s| s.as_str().into()));
        push("call_type", self.call_type.map(|t| t.as_str().into()));
        push("from_date", self.from_date.as_ref().map(|d| d.text.clone()));
        push("to_date", self.to_date.as_ref().map(|d| d.text.clone()));
        push("limit", self.limit.map(|l| l.to_string()));
        push("offset", self.offset.map(|o| o.to_string()));
        pairs.extend(self.unknown.iter().cloned());
        pairs
    }

    /// Whether `call` matches every filter.
    pub fn matches(&self, call: &Call) -> bool {
        fn text(filter: &Option<String>, value: Option<&str>) -> bool {
            match filter.as_deref() {
                None | Some("") => true,
                Some(wanted) => value == Some(wanted),
            }
        }
        let start = call.start_timestamp.map(|t| t.millis() as i64);
        text(&self.customer_id, call.customer_id.as_deref())
            && text(&self.from_number, Some(&call.from_number))
            && text(&self.to_number, Some(&call.to_number))
            && text(&self.bot_id, Some(&call.agent_id))
            && self.call_status.is_none_or(|s| s == call.call_status)
            && self.call_type.is_none_or(|t| t == call.call_type)
            && self
                .from_date
                .as_ref()
                .is_none_or(|d| start.is_some_and(|s| s >= d.ms))
            && self
                .to_date
                .as_ref()
                .is_none_or(|d| start.is_some_and(|s| s <= d.ms))
    }
}

/// The contract's order: not-started calls first, then newest `start_timestamp` first, ties by `call_id`
/// descending (byte order).
pub fn contract_order(a: &Call, b: &Call) -> Ordering {
    let key = |c: &Call| match c.start_timestamp {
        None => (1, 0),
        Some(t) => (0, t.millis()),
    };
    key(b).cmp(&key(a)).then_with(|| b.call_id.cmp(&a.call_id))
}

/// The calls matching `query`, in contract order: what walking every page must yield.
pub fn all_matches<'a>(calls: &'a [(Call, Value)], query: &ListQuery) -> Vec<&'a (Call, Value)> {
    let mut matches: Vec<&(Call, Value)> = calls.iter().filter(|(c, _)| query.matches(c)).collect();
    matches.sort_by(|a, b| contract_order(&a.0, &b.0));
    matches
}

/// The whole expected List Calls body for `query`: the page of matches and its `pagination`.
pub fn expected_page(calls: &[(Call, Value)], query: &ListQuery) -> Value {
    let matches = all_matches(calls, query);
    let total = matches.len() as u64;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = query.offset.unwrap_or(0);
    let page: Vec<Value> = matches
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(_, v)| v.clone())
        .collect();
    let has_more = offset.saturating_add(page.len() as u64) < total;
    json!({
        "calls": page,
        "pagination": {"limit": limit, "offset": offset, "total": total, "has_more": has_more},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmic_fixtures::{Direction, TimestampMs};

    fn call(id: &str, start: Option<u64>) -> (Call, Value) {
        let mut call = Call::new(
            id,
            "agent",
            CallType::Phone,
            Direction::Inbound,
            CallStatus::Ended,
            "+1",
            "+2",
        );
        call.start_timestamp = start.map(TimestampMs);
        let value = serde_json::to_value(&call).unwrap();
        (call, value)
    }

    #[test]
    fn order_puts_unstarted_calls_first_then_newest_then_higher_ids() {
        let calls = vec![
            call("a", Some(5)),
            call("b", Some(5)),
            call("c", None),
            call("d", Some(9)),
        ];
        let ids: Vec<&str> = all_matches(&calls, &ListQuery::default())
            .iter()
            .map(|(c, _)| c.call_id.as_str())
            .collect();
        assert_eq!(ids, ["c", "d", "b", "a"]);
    }

    #[test]
    fn date_bounds_are_inclusive_and_skip_unstarted_calls() {
        let calls = vec![call("a", Some(5)), call("b", Some(6)), call("c", None)];
        let bound = |ms| {
            Some(DateBound {
                ms,
                text: String::new(),
            })
        };
        let query = ListQuery {
            from_date: bound(5),
            to_date: bound(5),
            ..ListQuery::default()
        };
        let page = expected_page(&calls, &query);
        assert_eq!(page["pagination"]["total"], 1);
        assert_eq!(page["calls"][0]["call_id"], "a");
    }

    #[test]
    fn has_more_is_false_exactly_on_the_last_page() {
        let calls: Vec<_> = (0..5).map(|i| call(&format!("c{i}"), Some(i))).collect();
        let page = |offset| {
            expected_page(
                &calls,
                &ListQuery {
                    limit: Some(2),
                    offset: Some(offset),
                    ..ListQuery::default()
                },
            )["pagination"]["has_more"]
                .clone()
        };
        assert_eq!(page(2), true);
        assert_eq!(page(4), false);
        assert_eq!(page(9), false);
    }
}
