//! The query path (filter, page, serialize) over 10k, 100k and 1M generated calls, and what an admin change of
//! one call costs: building the store again from JSON, against adding or removing the call incrementally.
//!
//! `cargo bench -p openmic-mock` (add `-- 1M`, `-- change` or another filter to run a subset). Each query case is
//! one List Calls request as the handler answers it: `CallStore::list` plus assembling the body
//! (`Page::to_json`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use openmic_fixtures::{CallStatus, CallType, Generator};
use openmic_mock::ListCallsParams;
use openmic_mock::store::CallStore;

const SEED: u64 = 7;

fn params(build: impl FnOnce(&mut ListCallsParams)) -> ListCallsParams {
    let mut p = ListCallsParams {
        limit: 100,
        ..ListCallsParams::default()
    };
    build(&mut p);
    p
}

fn bench_queries(c: &mut Criterion) {
    let mut group = c.benchmark_group("list_calls");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (label, count) in [("10k", 10_000_u64), ("100k", 100_000), ("1M", 1_000_000)] {
        let store = CallStore::from_calls(Generator::new(SEED).calls(0..count))
            .expect("generated calls are valid");
        // A customer of the data set, and a date about a third of the way back from the newest call.
        let sample = Generator::new(SEED).call(0);
        let customer = sample
            .customer_id
            .clone()
            .or_else(|| Generator::new(SEED).call(1).customer_id);
        let newest = store.list(&params(|_| {}));
        let from_date = openmic_fixtures::generate::WINDOW_END_MS as i64 - 30 * 86_400_000;
        assert!(newest.pagination.total == count);

        let cases = [
            ("no_filter", params(|_| {})),
            ("customer_id", params(|p| p.customer_id = customer.clone())),
            (
                "status_type_date",
                params(|p| {
                    p.call_status = Some(CallStatus::Ended);
                    p.call_type = Some(CallType::Phone);
                    p.from_date = Some(from_date);
                }),
            ),
            ("deep_offset", params(|p| p.offset = count * 9 / 10)),
            (
                "deep_offset_status_type",
                params(|p| {
                    p.call_status = Some(CallStatus::Ended);
                    p.call_type = Some(CallType::Web);
                    p.offset = count / 10;
                }),
            ),
        ];
        for (name, query) in cases {
            group.bench_with_input(BenchmarkId::new(name, label), &query, |b, query| {
                b.iter(|| store.list(black_box(query)).to_json())
            });
        }
    }
    group.finish();
}

fn bench_changes(c: &mut Criterion) {
    let mut group = c.benchmark_group("change");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (label, count) in [("10k", 10_000_u64), ("100k", 100_000)] {
        let json: Vec<Box<str>> = Generator::new(SEED)
            .calls(0..count)
            .map(|call| {
                serde_json::to_string(&call)
                    .expect("serializes")
                    .into_boxed_str()
            })
            .collect();
        let store = CallStore::from_json(json.clone()).expect("generated calls are valid");
        let extra = Generator::new(SEED + 1).call(count + 1);
        let extra = vec![
            serde_json::to_string(&extra)
                .expect("serializes")
                .into_boxed_str(),
        ];
        group.bench_function(BenchmarkId::new("rebuild_with_one_more", label), |b| {
            b.iter(|| {
                let all: Vec<Box<str>> =
                    json.iter().cloned().chain(extra.iter().cloned()).collect();
                CallStore::from_json(all).expect("valid")
            })
        });
        group.bench_function(BenchmarkId::new("with_added_one", label), |b| {
            b.iter(|| store.with_added(black_box(extra.clone())).expect("valid"))
        });
        group.bench_function(BenchmarkId::new("without_one", label), |b| {
            b.iter(|| store.without(black_box(store.len() / 2)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_queries, bench_changes);
criterion_main!(benches);
