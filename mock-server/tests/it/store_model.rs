//! The indexed query engine against a reference model: plain filtering and sorting over a `Vec` of calls,
//! written from the contract's rules and sharing nothing with `CallStore` but the call model.

use openmic_fixtures::{Call, CallStatus, CallType};
use openmic_mock::CallStore;
use openmic_mock::LiveTier;
use openmic_mock::Served;
use openmic_mock::{ListCallsParams, Pagination};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::helpers::call_ids;

/// What the contract says a List Calls page is.
fn reference(calls: &[Call], p: &ListCallsParams) -> (Vec<String>, Pagination) {
    let mut matching: Vec<&Call> = calls
        .iter()
        .filter(|c| p.call_status.is_none_or(|s| c.call_status == s))
        .filter(|c| p.call_type.is_none_or(|t| c.call_type == t))
        .filter(|c| p.customer_id.is_none() || c.customer_id == p.customer_id)
        .filter(|c| p.from_number.as_ref().is_none_or(|n| &c.from_number == n))
        .filter(|c| p.to_number.as_ref().is_none_or(|n| &c.to_number == n))
        .filter(|c| p.bot_id.as_ref().is_none_or(|a| &c.agent_id == a))
        .filter(|c| {
            if p.from_date.is_none() && p.to_date.is_none() {
                return true;
            }
            let Some(start) = c.start_timestamp.map(|t| t.millis() as i128) else {
                return false;
            };
            p.from_date.is_none_or(|f| start >= f as i128)
                && p.to_date.is_none_or(|t| start <= t as i128)
        })
        .collect();
    // Not started first; then start descending; then call_id descending.
    matching.sort_by(|a, b| {
        let rank = |c: &Call| {
            (
                c.start_timestamp.is_none(),
                c.start_timestamp.map(|t| t.millis()),
            )
        };
        rank(b).cmp(&rank(a)).then(b.call_id.cmp(&a.call_id))
    });
    let total = matching.len() as u64;
    let page: Vec<String> = matching
        .iter()
        .skip(p.offset.min(total) as usize)
        .take(p.limit as usize)
        .map(|c| c.call_id.clone())
        .collect();
    let has_more = p.offset + (page.len() as u64) < total;
    (
        page,
        Pagination {
            limit: p.limit,
            offset: p.offset,
            total,
            has_more,
        },
    )
}

/// A value from the data, or a near miss of it.
fn pick(values: &[String], choice: u64, miss: u8) -> String {
    let value = values[(choice % values.len() as u64) as usize].clone();
    match miss % 6 {
        0 => value[..value.len().saturating_sub(1)].to_string(),
        1 => value.to_uppercase(),
        2 => format!("{value} "),
        _ => value,
    }
}

/// Per filter (status, type, agent, customer, from, to, from_date, to_date): absent, or (which value, how to
/// miss it).
type FilterChoices = [Option<(u64, u8)>; 8];

/// (data seed, call count, filters, limit, offset).
fn query_strategy() -> impl Strategy<Value = (u64, usize, FilterChoices, u32, u64)> {
    (
        any::<u64>(),
        0usize..300,
        proptest::array::uniform8(proptest::option::weighted(0.3, (any::<u64>(), any::<u8>()))),
        1u32..=100,
        0u64..350,
    )
}

/// The query a case's choices describe, over `calls` (not empty).
fn params_for(calls: &[Call], filters: FilterChoices, limit: u32, offset: u64) -> ListCallsParams {
    let strings =
        |f: fn(&Call) -> Option<String>| -> Vec<String> { calls.iter().filter_map(f).collect() };
    let customers = strings(|c| c.customer_id.clone());
    let starts: Vec<i64> = calls
        .iter()
        .filter_map(|c| c.start_timestamp)
        .map(|t| t.millis() as i64)
        .collect();
    let mut params = ListCallsParams {
        limit,
        offset,
        ..ListCallsParams::default()
    };
    let [status, kind, agent, customer, from, to, from_date, to_date] = filters;
    params.call_status = status.map(|(c, _)| CallStatus::ALL[(c % 4) as usize]);
    params.call_type = kind.map(|(c, _)| CallType::ALL[(c % 2) as usize]);
    params.bot_id = agent.map(|(c, m)| pick(&strings(|c| Some(c.agent_id.clone())), c, m));
    if !customers.is_empty() {
        params.customer_id = customer.map(|(c, m)| pick(&customers, c, m));
    }
    params.from_number = from.map(|(c, m)| pick(&strings(|c| Some(c.from_number.clone())), c, m));
    params.to_number = to.map(|(c, m)| pick(&strings(|c| Some(c.to_number.clone())), c, m));
    if !starts.is_empty() {
        let bound =
            |(c, m): (u64, u8)| starts[(c % starts.len() as u64) as usize] + i64::from(m % 3) - 1;
        params.from_date = from_date.map(bound);
        params.to_date = to_date.map(bound);
    }

    params
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_indexed_store_answers_like_the_reference_model(
        (seed, count, filters, limit, offset) in query_strategy()
    ) {
        let calls = openmic_fixtures::generate(seed, count);
        let store = CallStore::new(calls.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if calls.is_empty() {
            let page = store.list(&ListCallsParams::default());
            prop_assert_eq!(page.pagination.total, 0);
            return Ok(());
        }
        let params = params_for(&calls, filters, limit, offset);
        let page = store.list(&params);
        let body: serde_json::Value = serde_json::from_slice(&page.to_json()).unwrap();
        prop_assert_eq!(&body["pagination"], &serde_json::to_value(page.pagination).unwrap());
        prop_assert_eq!(body["calls"].as_array().unwrap().len(), page.calls.len());
        let ids = call_ids(&page.calls);
        let (expected_ids, expected_pagination) = reference(&calls, &params);
        prop_assert_eq!(ids, expected_ids, "{:?}", params);
        prop_assert_eq!(page.pagination, expected_pagination, "{:?}", params);
    }

    #[test]
    fn a_data_set_in_two_tiers_answers_like_the_reference_model(
        (seed, count, filters, limit, offset) in query_strategy(),
        split in any::<prop::sample::Index>(),
    ) {
        let calls = openmic_fixtures::generate(seed, count.max(1));
        let at = split.index(calls.len() + 1);
        let json = |calls: &[Call]| -> Vec<Box<str>> {
            calls.iter().map(|c| serde_json::to_string(c).unwrap().into_boxed_str()).collect()
        };
        let base = std::sync::Arc::new(CallStore::from_json(json(&calls[..at])).unwrap());
        let live = std::sync::Arc::new(LiveTier::from_json(json(&calls[at..])).unwrap());
        let served = Served::new(base, live);
        let params = params_for(&calls, filters, limit, offset);
        let page = served.list(&params);
        let ids = call_ids(&page.calls);
        let (expected_ids, expected_pagination) = reference(&calls, &params);
        prop_assert_eq!(ids, expected_ids, "{:?} split at {}", params, at);
        prop_assert_eq!(page.pagination, expected_pagination, "{:?}", params);
        let merged = served.merged();
        prop_assert_eq!(merged.list(&params).calls, page.calls);
        for call in &calls {
            prop_assert!(served.get_json(&call.call_id).is_some());
        }
    }
}

/// Every filter value of `calls`, one at a time, and a date range: the queries two stores must agree on.
fn probing_queries(calls: &[Call]) -> Vec<ListCallsParams> {
    let mut queries = vec![ListCallsParams {
        limit: 100,
        ..ListCallsParams::default()
    }];
    let base = || ListCallsParams {
        limit: 100,
        ..ListCallsParams::default()
    };
    for call in calls.iter().take(40) {
        queries.push(ListCallsParams {
            bot_id: Some(call.agent_id.clone()),
            ..base()
        });
        queries.push(ListCallsParams {
            customer_id: call.customer_id.clone(),
            ..base()
        });
        queries.push(ListCallsParams {
            from_number: Some(call.from_number.clone()),
            call_status: Some(call.call_status),
            ..base()
        });
        queries.push(ListCallsParams {
            to_number: Some(call.to_number.clone()),
            call_type: Some(call.call_type),
            ..base()
        });
        if let Some(start) = call.start_timestamp {
            queries.push(ListCallsParams {
                from_date: Some(start.millis() as i64 - 86_400_000),
                to_date: Some(start.millis() as i64),
                ..base()
            });
        }
    }
    queries
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn adding_and_removing_calls_gives_the_store_a_rebuild_would(
        seed in any::<u64>(),
        count in 1usize..120,
        split in any::<prop::sample::Index>(),
        gone in any::<prop::sample::Index>(),
    ) {
        let calls = openmic_fixtures::generate(seed, count);
        let json = |calls: &[Call]| -> Vec<Box<str>> {
            calls.iter().map(|c| serde_json::to_string(c).unwrap().into_boxed_str()).collect()
        };
        let at = split.index(count + 1);
        let base = CallStore::from_json(json(&calls[..at])).unwrap();
        let grown = base.with_added(json(&calls[at..])).unwrap();
        let scratch = CallStore::from_json(json(&calls)).unwrap();
        prop_assert_eq!(grown.json_calls().collect::<Vec<_>>(), scratch.json_calls().collect::<Vec<_>>());
        for query in probing_queries(&calls) {
            let (a, b) = (grown.list(&query), scratch.list(&query));
            prop_assert_eq!(a.calls, b.calls, "{:?}", query);
            prop_assert_eq!(a.pagination, b.pagination);
        }

        let position = gone.index(count);
        let removed_id = serde_json::from_str::<Call>(scratch.json_calls().nth(position).unwrap()).unwrap().call_id;
        let shrunk = grown.without(position);
        let rest: Vec<Call> = calls.iter().filter(|c| c.call_id != removed_id).cloned().collect();
        let scratch = CallStore::from_json(json(&rest)).unwrap();
        prop_assert_eq!(shrunk.position(&removed_id), None);
        prop_assert_eq!(shrunk.json_calls().collect::<Vec<_>>(), scratch.json_calls().collect::<Vec<_>>());
        for query in probing_queries(&rest) {
            let (a, b) = (shrunk.list(&query), scratch.list(&query));
            prop_assert_eq!(a.calls, b.calls, "{:?}", query);
            prop_assert_eq!(a.pagination, b.pagination);
        }
        // Adding a call that is already there is refused, naming it.
        let again = grown.with_added(json(&calls[..1]));
        prop_assert!(again.is_err_and(|p| p.to_string().contains("already served")));
    }
}

#[test]
fn with_replaced_swaps_calls_by_id_and_leaves_out_unknown_ones() {
    let calls = openmic_fixtures::generate(3, 5);
    let store = openmic_mock::CallStore::new(calls.clone()).unwrap();
    let mut changed = calls[2].clone();
    changed.agent_id = "replaced-agent".into();
    let mut unknown = calls[0].clone();
    unknown.call_id = "not-served".into();
    let json = [&changed, &unknown]
        .iter()
        .map(|c| serde_json::to_string(c).unwrap().into_boxed_str())
        .collect();
    let next = store.with_replaced(json).unwrap();
    assert_eq!(next.len(), 5);
    assert_eq!(
        next.get_json(&changed.call_id),
        Some(serde_json::to_string(&changed).unwrap().as_str())
    );
    assert_eq!(next.get_json("not-served"), None);
}

/// Every call's JSON, in the store's order.
fn all_json(store: &CallStore) -> Vec<String> {
    store.json_calls().map(str::to_owned).collect()
}

#[test]
fn a_shift_past_unix_time_at_either_end_changes_no_call() {
    use openmic_fixtures::{DAY_MS, newest_timestamp};
    let mut calls = openmic_fixtures::generate(11, 40);
    // The store lists the newest start first, so the oldest timestamp is in its last call, not its first. Give
    // a call in the middle the newest timestamp by far, so that neither bound is in the first call.
    let started: Vec<usize> = (0..calls.len())
        .filter(|&i| calls[i].start_timestamp.is_some())
        .collect();
    let newest = newest_timestamp(&calls).unwrap();
    let middle = started[started.len() / 2];
    calls[middle].end_timestamp = Some(openmic_fixtures::TimestampMs(newest + 10 * DAY_MS));
    let oldest = calls
        .iter()
        .filter_map(|c| c.start_timestamp)
        .map(|t| t.millis())
        .min()
        .unwrap();
    let mut store = CallStore::new(calls).unwrap();
    let before = all_json(&store);

    let back = -((oldest / DAY_MS) as i64) - 1;
    assert!(
        store.shift(back).is_err(),
        "the oldest call would start before 1970"
    );
    assert_eq!(
        all_json(&store),
        before,
        "a refused shift back changes nothing"
    );

    let room = (u64::MAX - (newest + 10 * DAY_MS)) / DAY_MS;
    assert!(
        store.shift(room as i64 + 1).is_err(),
        "past the largest time"
    );
    assert_eq!(
        all_json(&store),
        before,
        "a refused shift forward changes nothing"
    );

    store.shift(room as i64).unwrap();
    assert_ne!(
        all_json(&store),
        before,
        "the largest shift that fits is made"
    );
}

#[test]
fn a_store_is_empty_only_without_calls() {
    assert!(CallStore::new(Vec::new()).unwrap().is_empty());
    let one = CallStore::new(openmic_fixtures::generate(1, 1)).unwrap();
    assert!(!one.is_empty());
    assert_eq!(one.len(), 1);
}

#[test]
fn a_page_of_two_intersected_indexes_stops_at_its_limit() {
    let calls = openmic_fixtures::generate(5, 300);
    let store = CallStore::new(calls.clone()).unwrap();
    // Two indexes to intersect: a status and an agent.
    let agent = calls[0].agent_id.clone();
    for (limit, offset) in [(1, 0), (5, 2), (20, 10)] {
        let params = ListCallsParams {
            call_status: Some(CallStatus::Ended),
            bot_id: Some(agent.clone()),
            limit,
            offset,
            ..ListCallsParams::default()
        };
        let page = store.list(&params);
        let (expected_ids, expected_pagination) = reference(&calls, &params);
        assert!(expected_pagination.total > u64::from(limit) + offset);
        assert_eq!(page.calls.len(), limit as usize, "{params:?}");
        let ids = call_ids(&page.calls);
        assert_eq!(ids, expected_ids);
        assert_eq!(page.pagination, expected_pagination);
    }
}
