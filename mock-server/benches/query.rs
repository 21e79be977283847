//! The query path (filter, page, serialize) over 10k, 100k and 1M generated calls; what an admin change of
//! one call costs: building the store again from JSON, against adding or removing the call incrementally; and
//! the same List Calls while 1,000 created calls play out on the clock, and what creating a call costs.
//!
//! Also building the store of 100,000 generated calls, on one thread and on every core (`build`), and one List
//! Calls request through the whole app in process, its page built or answered from the page cache (`handler`).
//!
//! `cargo bench -p openmic-mock --bench query` (add `-- 1M`, `-- handler`, `-- change`, `-- live_list`, `-- create`, `-- build`
//! or another filter to run a subset). Each query case is one List Calls request as the handler answers it:
//! `CallStore::list` plus assembling the body (`Page::to_json`). A live case answers as the handler does with
//! created calls: it gets the data set as of the clock's time (`DataSets::served_for_key`, which first moves on
//! the created calls whose next change is due) and lists both tiers (`Served::list`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use openmic_fixtures::{CallStatus, CallType, FixtureFormat, Generator};
use openmic_mock::CallOutcome;
use openmic_mock::CallStore;
use openmic_mock::Clock;
use openmic_mock::DataSource;
use openmic_mock::ListCallsParams;
use openmic_mock::{CreateRequest, DataSets, LifecycleConfig};
use openmic_mock::{DEFAULT_PAGE_CACHE_BYTES, MockServer};
use tower::ServiceExt;

const SEED: u64 = 7;

/// The API key the live data sets are read and created with (any key reads the default data set).
const KEY: &str = "bench-key";

/// The account number created calls come from (`--phone-number`).
const PHONE: &str = "+15550001111";

/// 2026-01-15T09:00:00Z: the virtual clock's start, after the embedded data set's newest call.
const T0: u64 = 1_768_467_600_000;

/// How many created calls play out at once.
const LIVE_CALLS: u64 = 1_000;

/// When the last of them has ended: the longest ring (5 s) plus the longest talk (120 s) after `T0`.
const LIVE_END: u64 = T0 + 125_000;

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
        let from_date = openmic_fixtures::WINDOW_END_MS as i64 - 30 * 86_400_000;
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

/// The embedded data set's calls, as the server loads them (each call's JSON as in the file).
fn embedded_json() -> Vec<Box<str>> {
    openmic_fixtures::load_str_json(
        openmic_fixtures::DEFAULT_DATA_NAME,
        openmic_fixtures::DEFAULT_CALLS_JSON,
        FixtureFormat::Json,
    )
    .expect("the embedded data set is valid")
}

/// A data set on a virtual clock at `T0`, serving `base`, that accepts `PHONE` as an account number.
fn data_set(base: &[Box<str>]) -> (DataSets, Arc<Clock>) {
    let store = CallStore::from_json(base.to_vec()).expect("valid calls");
    let clock = Arc::new(Clock::starting_at(T0));
    let data = DataSets::with_clock(
        store,
        clock.clone(),
        LifecycleConfig {
            seed: SEED,
            phone_numbers: vec![PHONE.to_string()],
            ..LifecycleConfig::default()
        },
    );
    (data, clock)
}

/// The `n`th create request: from the account's number to a number of its own.
fn create_request(n: u64) -> CreateRequest {
    CreateRequest {
        from_number: PHONE.to_string(),
        to_number: format!("+1555{:07}", 2_000_000 + n % 8_000_000),
        override_agent_id: None,
        customer_id: None,
        dynamic_variables: None,
        callback_url: None,
        direction: openmic_fixtures::Direction::Outbound,
    }
}

/// `base` with `LIVE_CALLS` calls created at `T0`, played out as `bench/load.sh` plays its own: ring 1-5 s and
/// talk 30-120 s spread over the calls, one in ten failing after 1-15 s.
fn live_set(base: &[Box<str>]) -> (DataSets, Arc<Clock>) {
    let (data, clock) = data_set(base);
    let outcomes = (0..LIVE_CALLS)
        .map(|i| {
            let failing = i % 10 == 9;
            CallOutcome {
                status: Some(if failing {
                    CallStatus::Error
                } else {
                    CallStatus::Ended
                }),
                ring_ms: Some(1_000 + i * 7_919 % 4_001),
                talk_ms: Some(if failing {
                    1_000 + i * 104_729 % 14_001
                } else {
                    30_000 + i * 104_729 % 90_001
                }),
                ..CallOutcome::default()
            }
        })
        .collect();
    data.push_outcomes(None, outcomes)
        .expect("room in the queue");
    for n in 0..LIVE_CALLS {
        data.create(KEY, create_request(n)).expect("created");
    }
    (data, clock)
}

fn bench_live(c: &mut Criterion) {
    let mut group = c.benchmark_group("live_list");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let base = embedded_json();
    let from_date = 1_764_547_200_000; // 2025-12-01T00:00:00Z, as in bench/load.sh
    let cases = [
        ("limit_100", params(|_| {})),
        (
            "status_type_date",
            params(|p| {
                p.call_status = Some(CallStatus::Ended);
                p.call_type = Some(CallType::Phone);
                p.from_date = Some(from_date);
            }),
        ),
    ];
    for (name, query) in &cases {
        // 60 s in: most calls talking, a few ended. Nothing is due while the clock stands still.
        let (data, clock) = live_set(&base);
        clock.advance(60_000).expect("virtual");
        let snapshot = data.served_for_key(KEY);
        group.bench_with_input(BenchmarkId::new("snapshot", name), query, |b, query| {
            b.iter(|| snapshot.list(black_box(query)).to_json())
        });
        group.bench_with_input(
            BenchmarkId::new("no_change_due", name),
            query,
            |b, query| b.iter(|| data.served_for_key(KEY).list(black_box(query)).to_json()),
        );
        // The clock moves `step` before each read: at 10 ms about one call has changed, at 1 s about a hundred
        // (transcript lines, starts and ends). Only the read is timed; a fresh set is built when all have ended.
        for (label, step) in [("due_every_10ms", 10_u64), ("due_every_1s", 1_000)] {
            let mut live: Option<(DataSets, Arc<Clock>)> = None;
            group.bench_with_input(BenchmarkId::new(label, name), query, |b, query| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        if live
                            .as_ref()
                            .is_none_or(|(_, clock)| clock.now_ms() + step > LIVE_END)
                        {
                            live = Some(live_set(&base));
                        }
                        let (data, clock) = live.as_ref().expect("just built");
                        clock.advance(step).expect("virtual");
                        let start = Instant::now();
                        black_box(data.served_for_key(KEY).list(black_box(query)).to_json());
                        timed += start.elapsed();
                    }
                    timed
                })
            });
        }
    }
    group.finish();
}

fn bench_create(c: &mut Criterion) {
    let mut group = c.benchmark_group("create");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let embedded = embedded_json();
    let generated: Vec<Box<str>> = Generator::new(SEED)
        .calls(0..10_000)
        .map(|call| {
            serde_json::to_string(&call)
                .expect("serializes")
                .into_boxed_str()
        })
        .collect();
    // Each case creates its first 1,000 calls into a fresh data set (300 -> 1,300 calls, 10,000 -> 11,000), the
    // clock standing still; a create indexes the created calls again, and checks the account on the base.
    for (label, base) in [("embedded_300", &embedded), ("generated_10k", &generated)] {
        let mut set: Option<(DataSets, u64)> = None;
        group.bench_function(BenchmarkId::new("first_1000", label), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    if set.as_ref().is_none_or(|(_, made)| *made >= LIVE_CALLS) {
                        set = Some((data_set(base).0, 0));
                    }
                    let (data, made) = set.as_mut().expect("just built");
                    let request = create_request(*made);
                    let start = Instant::now();
                    black_box(data.create(KEY, request).expect("created"));
                    timed += start.elapsed();
                    *made += 1;
                }
                timed
            })
        });
    }
    group.finish();
}

/// Building the store of 100,000 generated calls: from the calls one by one on this thread
/// (`CallStore::from_calls`), and as `--generate` does, made in runs on every core (`DataSource::into_store`).
fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    const COUNT: u64 = 100_000;
    group.bench_function("from_calls_100k", |b| {
        b.iter(|| {
            CallStore::from_calls(Generator::new(SEED).calls(0..COUNT))
                .expect("generated calls are valid")
        })
    });
    group.bench_function("generated_100k", |b| {
        b.iter(|| {
            DataSource::Generated {
                seed: SEED,
                count: COUNT as usize,
            }
            .into_store()
            .expect("generated calls are valid")
        })
    });
    group.finish();
}

/// One List Calls request through the whole app in process (`Router::oneshot`: key, gate, handler, journal; no
/// socket), over 100,000 generated calls: the page built for every request (`--page-cache-bytes 0`) against the
/// same page answered again from the page cache.
fn bench_handler(c: &mut Criterion) {
    let mut group = c.benchmark_group("handler");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let query =
        "/v1/calls?call_status=ended&call_type=phonecall&from_date=2025-12-01T00:00:00Z&limit=100";
    for (label, cache_bytes) in [("built", 0), ("kept", DEFAULT_PAGE_CACHE_BYTES)] {
        let state = MockServer::builder()
            .generated(SEED, 100_000)
            .api_key(KEY)
            .page_cache_bytes(cache_bytes)
            .build_state()
            .expect("generated calls are valid");
        let router = openmic_mock::app(state);
        let request = || {
            axum::http::Request::get(query)
                .header("authorization", format!("Bearer {KEY}"))
                .body(axum::body::Body::empty())
                .expect("a request")
        };
        group.bench_function(BenchmarkId::new(label, "100k"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let response = router.clone().oneshot(request()).await.expect("infallible");
                    assert_eq!(response.status(), 200);
                    axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .expect("a whole body")
                })
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_handler,
    bench_build,
    bench_queries,
    bench_changes,
    bench_live,
    bench_create
);
criterion_main!(benches);
