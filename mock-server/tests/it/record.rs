//! `openmic-mock record` and `openmic-mock redact`, against a mock started in the test standing in for the live
//! API: the walk (faults, changes between pages, budget, resume), the file it writes, and redaction.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use openmic_fixtures::{Call, CallStatus, TimestampMs};
use openmic_mock::record::{
    AccountList, ClientEvent, ClientOptions, Ending, FetchError, Inconsistency, ListFilters, Pace,
    RecordEvent, Recorder,
};
use openmic_mock::{Fault, MockServer, ScriptedFault};
use serde_json::Value;

use crate::helpers::{call_ids, mock_bin};

async fn source(seed: u64, count: usize) -> MockServer {
    MockServer::builder()
        .generated(seed, count)
        .start()
        .await
        .unwrap()
}

/// Runs the binary without blocking the runtime that serves the mock.
async fn run(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || mock_bin().args(args).envs(envs).output().unwrap())
        .await
        .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

/// `record` from `server` into `out`, at full speed, with `extra` flags.
async fn record(server: &MockServer, out: &Path, extra: &[&str]) -> Output {
    let mut all = args(&[
        "record",
        "--base-url",
        &server.uri(),
        "--api-key",
        server.api_key(),
        "--rate-limit",
        "off",
        "--out",
    ]);
    all.push(out.display().to_string());
    all.extend(args(extra));
    run(all, Vec::new()).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `record`'s output without what it says of the account (the counts of bots and numbers, the lists the source
/// does not serve): the same whether the source serves `/v1/bots` and `/v1/phone-numbers` or not.
fn without_account(output: &str) -> String {
    let mut out = output.to_string();
    for list in [
        "/v1/bots (404), so the file has no bots",
        "/v1/phone-numbers (404), so the file has no phone numbers",
    ] {
        out = out.replace(&format!("; the server does not serve {list}"), "");
    }
    for noun in [" bots", " phone numbers"] {
        let mut from = 0;
        while let Some(at) = out[from..].find(noun).map(|i| from + i) {
            let digits = out[..at].trim_end_matches(|c: char| c.is_ascii_digit());
            match digits.strip_suffix(", ").map(str::len) {
                Some(start) if digits.len() < at => {
                    out.replace_range(start..at + noun.len(), "");
                    from = start;
                }
                _ => from = at + noun.len(),
            }
        }
    }
    out
}

#[test]
fn without_account_leaves_the_calls_summary() {
    let line = "recorded f: 250 calls, 5 bots, 12 phone numbers in 5 requests: complete; the server does not serve /v1/bots (404), so the file has no bots";
    assert_eq!(
        without_account(line),
        "recorded f: 250 calls in 5 requests: complete"
    );
}

fn ids_in(path: &Path) -> Vec<String> {
    openmic_fixtures::load_path(path)
        .unwrap()
        .into_iter()
        .map(|c| c.call_id)
        .collect()
}

async fn get(server: &MockServer, path_and_query: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path_and_query}", server.uri()))
        .bearer_auth(server.api_key())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Options for a library walk against `server`: no pace, a 1 ms backoff.
fn fast(server: &MockServer) -> ClientOptions {
    let mut options = ClientOptions::new(server.uri(), server.api_key());
    options.pace = Pace::Unlimited;
    options.backoff = Duration::from_millis(1);
    options
}

/// `count` calls newer than any of `server`'s, so that they are listed first.
fn newer_calls(server: &MockServer, prefix: &str, count: usize) -> Vec<Call> {
    let newest = server
        .calls()
        .iter()
        .filter_map(|c| c.start_timestamp)
        .max()
        .unwrap()
        .millis();
    (0..count)
        .map(|i| {
            let mut call = Call::example(format!("{prefix}-{i:03}"));
            let start = newest + 60_000 * (i as u64 + 1);
            call.start_timestamp = Some(TimestampMs(start));
            call.end_timestamp = Some(TimestampMs(start + 1_000));
            call.duration_ms = Some(1_000);
            call
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_serves_the_same_list_calls_answers_as_its_source() {
    let source = source(5, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let output = record(&source, &out, &[]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Two more requests after the calls: the first page of bots, and of phone numbers.
    assert_eq!(
        without_account(&text(&output.stdout)),
        format!(
            "recorded {}: 250 calls in 5 requests: complete\n",
            out.display()
        )
    );
    assert!(!dir.path().join("calls.json.tmp").exists());

    let validated = mock_bin().arg("validate").arg(&out).output().unwrap();
    assert!(validated.status.success(), "{}", text(&validated.stdout));

    let replay = MockServer::builder()
        .fixture_path(&out)
        .start()
        .await
        .unwrap();
    let calls = source.calls();
    let customer = calls.iter().find_map(|c| c.customer_id.clone()).unwrap();
    let queries = [
        String::new(),
        "?limit=100".into(),
        "?limit=100&offset=100".into(),
        "?limit=7&offset=243".into(),
        "?offset=400".into(),
        "?call_status=ended&limit=100".into(),
        "?call_status=registered".into(),
        "?call_type=webcall&limit=100".into(),
        "?from_date=2025-11-01&to_date=2025-12-01T00:00:00Z&limit=100".into(),
        format!("?customer_id={customer}"),
    ];
    for query in queries {
        let path = format!("/v1/calls{query}");
        assert_eq!(
            get(&source, &path).await,
            get(&replay, &path).await,
            "{path}"
        );
    }
    for call in calls.iter().step_by(50) {
        let path = format!("/v1/call/{}", call.call_id);
        assert_eq!(
            get(&source, &path).await,
            get(&replay, &path).await,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_a_dropped_connection_and_a_cut_body_mid_walk_still_give_the_complete_file() {
    let source = source(6, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.json");
    assert!(record(&source, &clean, &[]).await.status.success());
    source.reset_received_requests();

    let on_page = |fault: Fault, offset: &str| {
        ScriptedFault::new(fault)
            .path("/v1/calls")
            .query("offset", offset)
    };
    source.push_fault(on_page(
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        "100",
    ));
    source.push_fault(on_page(Fault::Reset, "200"));
    source.push_fault(on_page(Fault::Malformed, "200"));
    let out = dir.path().join("calls.json");
    let output = record(&source, &out, &[]).await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        without_account(&text(&output.stdout)).contains(": 250 calls in 8 requests: complete"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&clean).unwrap());
    assert!(
        stderr.contains("429 from the server: waiting 1.0 s (Retry-After)"),
        "{stderr}"
    );
    assert!(stderr.contains("retry 1 of 4 in 0.5 s"), "{stderr}");
    assert!(
        stderr.contains("not a List Calls page") && stderr.contains("retry 2 of 4 in 1.0 s"),
        "{stderr}"
    );

    let requests = source.received_requests();
    let offsets: Vec<&str> = requests
        .iter()
        .filter(|r| r.path == "/v1/calls")
        .map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v.as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(offsets, ["0", "100", "100", "200", "200", "200"]);
    let waited = requests[2]
        .received_at
        .duration_since(requests[1].received_at)
        .unwrap();
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After not honoured: {waited:?}"
    );
}

#[tokio::test]
async fn calls_added_between_pages_are_written_once_and_none_that_existed_is_lost() {
    let source = source(8, 250).await;
    let before: Vec<String> = source.calls().into_iter().map(|c| c.call_id).collect();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let mut events = Vec::new();
    let mut on_event = |event: RecordEvent| events.push(event);

    assert!(recorder.next_page(&mut on_event).await);
    // The last call of page 1 changes, then 30 newer calls push it (and 29 others) onto page 2.
    let mut changed = source.calls()[99].clone();
    changed
        .extra
        .insert("note".into(), Value::from("the newest copy"));
    source.upsert_call(changed.clone()).unwrap();
    let added = newer_calls(&source, "new", 30);
    source.add_calls(added.clone()).unwrap();
    assert!(recorder.next_page(&mut on_event).await);
    source.add_calls(newer_calls(&source, "newer", 5)).unwrap();
    assert!(!recorder.next_page(&mut on_event).await);
    assert_eq!(recorder.ending(), Some(&Ending::Complete));

    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a call was written twice");
    assert_eq!(
        ids, before,
        "every call that existed, once, in the API's order"
    );
    let kept = &recording.calls[99];
    assert!(kept.contains("the newest copy"), "{kept}");
    let summary = &recording.summary;
    assert_eq!(summary.moved, 35);
    assert_eq!(
        (summary.first_total, summary.last_total),
        (Some(250), Some(285))
    );
    let line = summary.to_string();
    assert!(
        line.contains("35 calls moved to a later page")
            && line.contains("pagination.total changed from 250 to 285"),
        "{line}"
    );
    assert_eq!(
        events,
        [
            RecordEvent::Page {
                listed: 100,
                total: Some(250),
                requests: 1
            },
            RecordEvent::Page {
                listed: 170,
                total: Some(280),
                requests: 2
            },
            RecordEvent::Page {
                listed: 250,
                total: Some(285),
                requests: 3
            },
        ]
    );
}

#[tokio::test]
async fn a_call_deleted_behind_the_walk_does_not_make_it_skip_one() {
    let source = source(9, 250).await;
    let before: Vec<String> = source.calls().into_iter().map(|c| c.call_id).collect();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let mut on_event = |_: RecordEvent| {};
    assert!(recorder.next_page(&mut on_event).await);
    source.remove_call(&before[10]).unwrap();
    while recorder.next_page(&mut on_event).await {}
    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    // The deleted call was listed before it went; the one it pulled back onto page 1 is there too.
    assert_eq!(ids, before);
    // One small read of the place before page 2, and no call counted as moved.
    assert_eq!(
        (recording.summary.pages, recording.summary.requests),
        (4, 4)
    );
    assert_eq!(recording.summary.moved, 0);
    let queries: Vec<Vec<(String, String)>> = source
        .received_requests()
        .into_iter()
        .map(|r| r.query)
        .collect();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert!(queries[2].contains(&pair("offset", "99")) && queries[2].contains(&pair("limit", "1")));
}

#[tokio::test]
async fn many_calls_deleted_before_the_last_page_are_read_back_in_their_places() {
    let source = source(21, 350).await;
    let before: Vec<String> = source.calls().into_iter().map(|c| c.call_id).collect();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let mut on_event = |_: RecordEvent| {};
    assert!(recorder.next_page(&mut on_event).await);
    assert!(recorder.next_page(&mut on_event).await);
    for id in &before[5..125] {
        source.remove_call(id).unwrap();
    }
    // The last page (230 calls left, from 200) ends the listing, but 120 places before it are still to read.
    assert!(recorder.next_page(&mut on_event).await);
    assert!(recorder.next_page(&mut on_event).await);
    assert!(!recorder.next_page(&mut on_event).await);
    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    assert_eq!(ids, before);
    assert_eq!(recording.summary.moved, 0);
    assert_eq!(
        (recording.summary.first_total, recording.summary.last_total),
        (Some(350), Some(230))
    );
}

#[tokio::test]
async fn deletions_while_places_are_read_back_are_read_back_too() {
    let source = source(23, 350).await;
    let before: Vec<String> = source.calls().into_iter().map(|c| c.call_id).collect();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let mut on_event = |_: RecordEvent| {};
    for _ in 0..2 {
        assert!(recorder.next_page(&mut on_event).await);
    }
    for id in &before[5..125] {
        source.remove_call(id).unwrap();
    }
    // The last forward page, then the first 100 of the 120 places before it.
    for _ in 0..2 {
        assert!(recorder.next_page(&mut on_event).await);
    }
    for id in &before[130..140] {
        source.remove_call(id).unwrap();
    }
    while recorder.next_page(&mut on_event).await {}
    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    assert_eq!(ids, before);
    assert_eq!(recording.summary.ending, Ending::Complete);

    // Deletions between a page and the read-back it asked for, with more pages to come: the read-back and the
    // next page both start earlier.
    let source = self::source(24, 450).await;
    let before: Vec<String> = source.calls().into_iter().map(|c| c.call_id).collect();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    assert!(recorder.next_page(&mut on_event).await);
    for id in &before[5..15] {
        source.remove_call(id).unwrap();
    }
    assert!(recorder.next_page(&mut on_event).await);
    for id in &before[20..30] {
        source.remove_call(id).unwrap();
    }
    while recorder.next_page(&mut on_event).await {}
    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    assert_eq!(ids, before);
    // The read-back's repeats (calls the page after it had listed) are not moves.
    assert_eq!(recording.summary.moved, 0);
}

#[tokio::test]
async fn a_resumed_walk_lists_from_the_oldest_call_kept_and_keeps_each_call_once() {
    let source = source(26, 250).await;
    let calls = source.calls();
    // The first part: the 120 newest calls, as a file holds them.
    let written: Vec<Box<str>> = calls[..120]
        .iter()
        .map(|c| serde_json::to_string(c).unwrap().into_boxed_str())
        .collect();
    let oldest = calls[..120]
        .iter()
        .filter_map(|c| c.start_timestamp)
        .min()
        .unwrap()
        .millis();
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    recorder.resume(written);
    assert_eq!(
        recorder.filters().to_date.as_deref(),
        Some(openmic_fixtures::rfc3339_ms(oldest).as_str())
    );
    assert_eq!(recorder.run(&mut |_| {}).await, &Ending::Complete);
    let recording = recorder.finish();
    let ids = call_ids(&recording.calls);
    let all: Vec<String> = calls.into_iter().map(|c| c.call_id).collect();
    assert_eq!(ids, all);
    // Calls of the first part listed again (those at the oldest millisecond) did not move.
    assert_eq!(recording.summary.moved, 0);
    assert_eq!(
        (recording.summary.carried, recording.summary.calls),
        (120, 250)
    );
    assert_eq!(recording.summary.listed, 130);
}

#[tokio::test]
async fn every_attempt_counts_against_the_budget_and_what_was_listed_is_kept() {
    let source = source(10, 250).await;
    source.push_fault(
        ScriptedFault::new(Fault::Status {
            status: 502,
            retry_after: None,
        })
        .query("offset", "100"),
    );
    let mut options = fast(&source);
    options.max_requests = 3;
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let mut retries = Vec::new();
    let ending = recorder
        .run(&mut |event| {
            if let RecordEvent::Client(event) = event {
                retries.push(event);
            }
        })
        .await
        .clone();
    assert_eq!(ending, Ending::Stopped(FetchError::BudgetSpent { max: 3 }));
    assert_eq!(retries.len(), 1, "{retries:?}");
    let recording = recorder.finish();
    assert_eq!(recording.calls.len(), 200);
    assert_eq!(recording.summary.requests, 3);
    let oldest = source.calls()[199].start_timestamp.unwrap().millis();
    assert_eq!(
        recording.summary.resume_to_date.as_deref(),
        Some(openmic_fixtures::rfc3339_ms(oldest).as_str())
    );
}

#[tokio::test]
async fn a_server_error_with_retry_after_is_retried_when_it_says() {
    let source = source(11, 30).await;
    // A 500 (the first status retried), then a 503 that says when to come back.
    source.push_fault(ScriptedFault::new(Fault::Status {
        status: 500,
        retry_after: None,
    }));
    source.push_fault(ScriptedFault::new(Fault::Status {
        status: 503,
        retry_after: Some(1),
    }));
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let started = Instant::now();
    assert_eq!(recorder.run(&mut |_| {}).await, &Ending::Complete);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(recorder.finish().calls.len(), 30);
}

#[tokio::test]
async fn errors_that_persist_stop_the_walk_with_the_cause() {
    let source = source(12, 150).await;
    // Two failures in a row with one retry allowed; a dropped connection each time.
    source.push_fault(ScriptedFault::new(Fault::Reset).after(1).times(None));
    let mut options = fast(&source);
    options.retries = 1;
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let ending = recorder.run(&mut |_| {}).await.clone();
    let Ending::Stopped(FetchError::Failing { cause, attempts }) = &ending else {
        panic!("{ending:?}");
    };
    assert_eq!(*attempts, 2);
    assert!(cause.starts_with("the connection failed"), "{cause}");
    source.clear_faults();

    // 429 after 429: five waits, then it stops.
    source.push_fault(
        ScriptedFault::new(Fault::Status {
            status: 429,
            retry_after: Some(1),
        })
        .times(None),
    );
    let mut recorder = Recorder::new(fast(&source), ListFilters::default()).unwrap();
    let ending = recorder.run(&mut |_| {}).await.clone();
    assert_eq!(ending, Ending::Stopped(FetchError::RateLimited));
    assert_eq!(recorder.finish().summary.requests, 6);
    source.clear_faults();

    // A refusal is not retried.
    let mut options = fast(&source);
    options.api_key = "wrong".into();
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let ending = recorder.run(&mut |_| {}).await.clone();
    assert_eq!(
        ending,
        Ending::Stopped(FetchError::Refused {
            status: 401,
            message: "Invalid or expired API key".into()
        })
    );
    assert_eq!(recorder.finish().summary.requests, 1);
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_a_failure_that_is_retried() {
    let source = source(25, 30).await;
    source.push_fault(ScriptedFault::new(Fault::Timeout { ms: 3_000 }));
    let mut options = fast(&source);
    options.timeout = Duration::from_millis(300);
    options.retries = 1;
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let mut retries = Vec::new();
    let ending = recorder
        .run(&mut |event| {
            if let RecordEvent::Client(ClientEvent::Retrying { cause, .. }) = event {
                retries.push(cause);
            }
        })
        .await
        .clone();
    assert_eq!(ending, Ending::Complete);
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(
        retries[0].starts_with("no answer within 300ms"),
        "{retries:?}"
    );
}

/// A List Calls server that gives `calls` a page at a time, its `pagination` made by `pagination(total, has_more)`
/// (`None`: no `pagination` at all), as a server other than the mock might.
async fn bare_server(
    calls: Vec<Call>,
    pagination: fn(usize, bool) -> Option<Value>,
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Query;
    let calls: Vec<Value> = calls
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    let app = axum::Router::new().route(
        "/v1/calls",
        axum::routing::get(move |Query(query): Query<HashMap<String, usize>>| {
            let calls = calls.clone();
            async move {
                let (offset, limit) = (query["offset"], query["limit"]);
                let page: Vec<Value> = calls.iter().skip(offset).take(limit).cloned().collect();
                let has_more = offset + page.len() < calls.len();
                let mut body = serde_json::json!({ "calls": page });
                if let Some(info) = pagination(calls.len(), has_more) {
                    body["pagination"] = info;
                }
                axum::Json(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test]
async fn a_server_that_says_less_about_its_pages_is_walked_to_its_end_once() {
    let walk = |url: String, count: usize| async move {
        let mut options = ClientOptions::new(url, "k");
        options.pace = Pace::Unlimited;
        let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
        let ending = recorder.run(&mut |_| {}).await.clone();
        let recording = recorder.finish();
        assert_eq!(ending, Ending::Complete);
        assert_eq!(recording.calls.len(), count);
        // This server serves no account: one 404 for each list, and no records.
        assert_eq!(
            recording.summary.not_served,
            [AccountList::Bots, AccountList::PhoneNumbers]
        );
        assert!(recording.bots.records().is_empty());
        recording.summary.requests - 2
    };
    let calls = |n| openmic_fixtures::generate(4, n);
    // Only a total: the walk stops when the offset reaches it.
    let (url, _server) = bare_server(calls(200), |total, _| {
        Some(serde_json::json!({ "total": total }))
    })
    .await;
    assert_eq!(walk(url, 200).await, 2);
    let (url, _server) = bare_server(calls(250), |total, _| {
        Some(serde_json::json!({ "total": total }))
    })
    .await;
    assert_eq!(walk(url, 250).await, 3);
    // Nothing: a short page is the last.
    let (url, _server) = bare_server(calls(250), |_, _| None).await;
    assert_eq!(walk(url, 250).await, 3);
    let (url, _server) = bare_server(calls(200), |_, _| None).await;
    assert_eq!(walk(url, 200).await, 3);
    // has_more always true: an empty page that says so is no end but an error, after what was listed.
    let (url, _server) = bare_server(calls(150), |_, _| {
        Some(serde_json::json!({ "has_more": true }))
    })
    .await;
    let mut options = ClientOptions::new(url, "k");
    options.pace = Pace::Unlimited;
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let ending = recorder.run(&mut |_| {}).await.clone();
    assert_eq!(
        ending,
        Ending::Inconsistent(Inconsistency::EmptyPageWithMore {
            path: "/v1/calls",
            offset: 150,
            total: None
        })
    );
    let recording = recorder.finish();
    assert_eq!(recording.calls.len(), 150);
    // The account is not walked after calls that do not add up.
    assert_eq!(recording.summary.requests, 3);
    assert_eq!(recording.bots, openmic_mock::record::Listed::NotWalked);
}

#[tokio::test]
async fn requests_keep_the_pace() {
    let source = source(13, 250).await;
    let mut options = fast(&source);
    options.pace = "600/min".parse().unwrap();
    let mut recorder = Recorder::new(options, ListFilters::default()).unwrap();
    let started = Instant::now();
    recorder.run(&mut |_| {}).await;
    // Three requests, 100 ms apart: the first goes at once.
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    // Three pages of calls, then one of bots and one of numbers.
    assert_eq!(source.received_requests().len(), 5);
    // The waits are the pace's (no retries here), about 100 ms less each page's own time.
    assert!(recorder.finish().summary.waited >= Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_keeps_what_was_listed_and_resume_finishes_the_file() {
    let source = source(14, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    assert!(record(&source, &full, &[]).await.status.success());

    let out = dir.path().join("calls.json");
    let output = record(&source, &out, &["--max-requests", "2"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            ": 200 calls in 2 requests: incomplete, the request budget (--max-requests 2) is spent after \
             listing 200 of 250; to go on, run the same command with --resume: it lists the calls up to 20"
        ),
        "{stdout}"
    );
    assert_eq!(ids_in(&out).len(), 200);

    let output = record(&source, &out, &["--resume"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        without_account(&stdout)
            .contains("250 calls in 3 requests (200 already in the file, 50 new): complete"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&full).unwrap());
    let resumed = source.received_requests();
    let last = resumed
        .iter()
        .rev()
        .find(|r| r.path == "/v1/calls")
        .unwrap();
    assert!(
        last.query.iter().any(|(k, _)| k == "to_date"),
        "{:?}",
        last.query
    );

    // Nothing to resume, or a file that is not a fixture: said, and nothing is written.
    let missing = dir.path().join("missing.json");
    let output = record(&source, &missing, &["--resume"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--resume: cannot read"),
        "{}",
        text(&output.stderr)
    );
    assert!(!missing.exists());
    std::fs::write(&missing, "[{\"call_id\": 1}]").unwrap();
    let output = record(&source, &missing, &["--resume"]).await;
    assert!(
        text(&output.stderr).contains("is not a valid fixture"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_recording_leaks_nothing_keeps_number_equality_and_validates() {
    let source = source(15, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("redacted.json");
    let output = record(&source, &out, &["--redact", "--redact-seed", "42"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("redacted ")
            // 500 in the calls, and those of the account's records.
            && lines[0].contains(" values in 250 calls: 50"),
        "{stdout}"
    );
    assert!(
        without_account(lines[1]).ends_with(": complete"),
        "{stdout}"
    );

    let written = std::fs::read_to_string(&out).unwrap();
    let originals: Vec<Value> = source
        .calls()
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    let mut private: Vec<String> = Vec::new();
    for call in &originals {
        for field in ["from_number", "to_number", "customer_id"] {
            private.extend(call[field].as_str().map(str::to_string));
        }
        for turn in call["transcript"].as_array().into_iter().flatten() {
            private.push(turn[1].as_str().unwrap().to_string());
        }
        private.extend(
            call["call_analysis"]["summary"]
                .as_str()
                .map(str::to_string),
        );
        for value in call["dynamic_variables"].as_object().into_iter().flatten() {
            private.push(value.1.as_str().unwrap().to_string());
        }
    }
    assert!(private.len() > 2_000);
    for value in private.iter().filter(|v| !v.is_empty()) {
        let quoted = serde_json::to_string(value).unwrap();
        assert!(!written.contains(&quoted), "{quoted} is in the output");
        if value.chars().count() >= 8 {
            assert!(
                !written.contains(&quoted[1..quoted.len() - 1]),
                "{value} is in the output"
            );
        }
    }

    // The same calls share a number after redaction as before it.
    let redacted = openmic_fixtures::load_path(&out).unwrap();
    let partition = |numbers: Vec<(String, String)>| -> BTreeSet<Vec<String>> {
        let mut by_number: HashMap<String, Vec<String>> = HashMap::new();
        for (number, id) in numbers {
            by_number.entry(number).or_default().push(id);
        }
        by_number.into_values().collect()
    };
    for side in ["from", "to"] {
        let pick = |c: &Call| {
            (
                if side == "from" {
                    c.from_number.clone()
                } else {
                    c.to_number.clone()
                },
                c.call_id.clone(),
            )
        };
        assert_eq!(
            partition(source.calls().iter().map(pick).collect()),
            partition(redacted.iter().map(pick).collect()),
            "{side}_number"
        );
    }
    let validated = mock_bin().arg("validate").arg(&out).output().unwrap();
    assert!(validated.status.success(), "{}", text(&validated.stdout));

    // `redact` on the plain recording with the same seed makes the same file.
    let plain = dir.path().join("plain.json");
    assert!(record(&source, &plain, &[]).await.status.success());
    let again = dir.path().join("again.json");
    let output = mock_bin()
        .args(["redact", "--redact-seed", "42"])
        .arg(&plain)
        .arg(&again)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{}: {}\n", again.display(), lines[0])
    );
    assert_eq!(std::fs::read(&again).unwrap(), written.as_bytes());
    let other_seed = mock_bin()
        .args(["redact", "--redact-seed", "43"])
        .arg(&plain)
        .arg(&again)
        .output()
        .unwrap();
    assert!(other_seed.status.success());
    assert_ne!(std::fs::read(&again).unwrap(), written.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_recording_that_stops_early_says_it_cannot_be_continued() {
    let source = source(16, 150).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let output = record(&source, &out, &["--redact", "--max-requests", "1"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("a redacted recording cannot be continued")
            && !stdout.contains("--resume:"),
        "{stdout}"
    );
    assert_eq!(ids_in(&out).len(), 100);
    let output = record(&source, &out, &["--redact", "--resume"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot be used with"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn redact_refuses_a_file_that_is_not_a_fixture_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.json");
    std::fs::write(&input, r#"[{"call_id": "c1"}]"#).unwrap();
    let out = dir.path().join("out.json");
    let output = mock_bin()
        .arg("redact")
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("nothing written") && stderr.contains("call_type"),
        "{stderr}"
    );
    assert!(!out.exists());
    let output = mock_bin()
        .arg("redact")
        .arg(dir.path().join("none.json"))
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("cannot read"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn redact_writes_over_its_input_in_the_format_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.json");
    std::fs::write(&file, openmic_fixtures::DEFAULT_CALLS_JSON).unwrap();
    let output = mock_bin()
        .args(["redact", "--format", "jsonl"])
        .arg(&file)
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(&file).unwrap();
    let account = openmic_fixtures::default_account();
    assert_eq!(
        written.lines().count(),
        openmic_fixtures::DEFAULT_COUNT + account.bots.len() + account.phone_numbers.len()
    );
    assert!(written.starts_with("{\"call_type\""), "{}", &written[..40]);
    let calls = openmic_fixtures::load_str(
        "calls.jsonl",
        &written,
        openmic_fixtures::FixtureFormat::JsonLines,
    )
    .unwrap();
    let embedded = openmic_fixtures::default_calls();
    assert_eq!(calls.len(), embedded.len());
    assert_ne!(calls[0].from_number, embedded[0].from_number);
    assert_eq!(calls[0].call_id, embedded[0].call_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_go_to_the_server_and_the_file_holds_what_they_match() {
    let source = source(17, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ended.jsonl");
    let output = record(
        &source,
        &out,
        &[
            "--call-status",
            "ended",
            "--from-date",
            "2025-11-01",
            "--to-date",
            "2025-12-01T00:00:00Z",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let query = &source.received_requests()[0].query;
    for (name, value) in [
        ("limit", "100"),
        ("offset", "0"),
        ("call_status", "ended"),
        ("from_date", "2025-11-01"),
        ("to_date", "2025-12-01T00:00:00Z"),
    ] {
        assert!(
            query.iter().any(|(k, v)| k == name && v == value),
            "{name}={value} not sent: {query:?}"
        );
    }
    let written = std::fs::read_to_string(&out).unwrap();
    let calls =
        openmic_fixtures::load_str("x", &written, openmic_fixtures::FixtureFormat::JsonLines)
            .unwrap();
    let (from, to) = (1_761_955_200_000, 1_764_547_200_000);
    let expected: Vec<String> = source
        .calls()
        .into_iter()
        .filter(|c| {
            c.call_status == CallStatus::Ended
                && c.start_timestamp
                    .is_some_and(|t| (from..=to).contains(&t.millis()))
        })
        .map(|c| c.call_id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        calls.into_iter().map(|c| c.call_id).collect::<Vec<_>>(),
        expected
    );

    // A filter the server refuses: its message, and nothing written.
    let refused = dir.path().join("refused.json");
    let output = record(&source, &refused, &["--from-date", "yesterday"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("nothing written")
            && stderr.contains("400")
            && stderr.contains("from_date"),
        "{stderr}"
    );
    assert!(!refused.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_and_base_url_come_from_flags_then_openmic_mock_variables_then_openmic_ones() {
    let source = source(18, 20).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let base = |out: &Path| {
        args(&[
            "record",
            "--rate-limit",
            "off",
            "--out",
            &out.display().to_string(),
        ])
    };

    let output = run(
        base(&out),
        vec![
            ("OPENMIC_BASE_URL", source.uri()),
            ("OPENMIC_API_KEY", source.api_key().to_string()),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(ids_in(&out).len(), 20);

    // OPENMIC_MOCK_API_KEY wins over OPENMIC_API_KEY, and the flag over both.
    let output = run(
        base(&dir.path().join("b.json")),
        vec![
            ("OPENMIC_BASE_URL", source.uri()),
            ("OPENMIC_API_KEY", source.api_key().to_string()),
            ("OPENMIC_MOCK_API_KEY", "wrong".to_string()),
        ],
    )
    .await;
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("401") && !stderr.contains("wrong"),
        "{stderr}"
    );
    let mut with_flag = base(&dir.path().join("c.json"));
    with_flag.extend(args(&["--api-key", source.api_key()]));
    let output = run(
        with_flag,
        vec![
            ("OPENMIC_MOCK_BASE_URL", source.uri()),
            ("OPENMIC_BASE_URL", "http://127.0.0.1:9".to_string()),
            ("OPENMIC_MOCK_API_KEY", "wrong".to_string()),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));

    let output = run(base(&out), Vec::new()).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr)
            .contains("record needs --base-url (or OPENMIC_MOCK_BASE_URL, or OPENMIC_BASE_URL)"),
        "{}",
        text(&output.stderr)
    );
    let output = run(base(&out), vec![("OPENMIC_BASE_URL", source.uri())]).await;
    assert!(
        text(&output.stderr)
            .contains("record needs --api-key (or OPENMIC_MOCK_API_KEY, or OPENMIC_API_KEY)"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn bad_flags_are_refused_with_the_rule() {
    let refused = |extra: &[&str]| {
        let output = mock_bin()
            .args([
                "record",
                "--base-url",
                "http://127.0.0.1:9",
                "--api-key",
                "k",
                "--out",
                "x.json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        text(&output.stderr)
    };
    assert!(refused(&["--call-status", "Ended"]).contains("registered|ongoing|ended|error"));
    assert!(refused(&["--rate-limit", "fast"]).contains("or off"));
    assert!(refused(&["--max-requests", "0"]).contains("--max-requests"));
    assert!(refused(&["--retries", "99"]).contains("--retries"));
    assert!(refused(&["--max-body-bytes", "0"]).contains("--max-body-bytes"));
    assert!(refused(&["--max-retry-after", "86401"]).contains("--max-retry-after"));
    let output = mock_bin()
        .args([
            "record",
            "--base-url",
            "https://api.openmic.ai",
            "--api-key",
            "k",
            "--out",
            "x.json",
        ])
        .output()
        .unwrap();
    if !cfg!(feature = "tls") {
        assert_eq!(output.status.code(), Some(1));
        assert!(
            text(&output.stderr).contains("--features tls"),
            "{}",
            text(&output.stderr)
        );
    }
    let help = mock_bin().args(["record", "--help"]).output().unwrap();
    let help = text(&help.stdout);
    for flag in [
        "--base-url",
        "--api-key",
        "--out",
        "--from-date",
        "--to-date",
        "--call-status",
        "--max-requests",
        "--rate-limit",
        "--retries",
        "--max-body-bytes",
        "--max-retry-after",
        "OPENMIC_MOCK_MAX_BODY_BYTES",
        "OPENMIC_MOCK_MAX_RETRY_AFTER",
        "--resume",
        "--redact",
        "--redact-seed",
        "--format",
        "OPENMIC_API_KEY",
        "OPENMIC_BASE_URL",
        "OPENMIC_MOCK_MAX_REQUESTS",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_writes_nothing_and_says_why() {
    let source = source(19, 20).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let output = run(
        args(&[
            "record",
            "--base-url",
            &source.uri(),
            "--api-key",
            "nope",
            "--out",
            &out.display().to_string(),
        ]),
        Vec::new(),
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "openmic-mock: nothing written to {}: the server refused the request: 401 Invalid or expired API key\n",
            out.display()
        )
    );
    assert!(!out.exists() && !PathBuf::from(format!("{}.tmp", out.display())).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_that_cannot_be_written_is_refused_before_the_first_request() {
    let source = source(22, 20).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no-such-dir").join("calls.json");
    let output = record(&source, &out, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "openmic-mock: cannot write {}.tmp: ",
            out.display()
        )),
        "{stderr}"
    );
    assert!(source.received_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_shows_on_a_terminal_only() {
    let source = source(20, 250).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    // `script` gives the command a terminal and records what it drew (see cli.rs).
    let command = format!(
        "{} record --base-url {} --api-key {} --rate-limit 600/min --out {}",
        env!("CARGO_BIN_EXE_openmic-mock"),
        source.uri(),
        source.api_key(),
        out.display()
    );
    let drawn = tokio::task::spawn_blocking(move || {
        std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TERM", "xterm")
            .output()
            .expect("`script` runs the command on a terminal")
    })
    .await
    .unwrap();
    assert!(drawn.status.success(), "{drawn:?}");
    let drawn = text(&drawn.stdout);
    assert!(
        drawn.contains("recording [") && drawn.contains("/250 calls"),
        "{drawn}"
    );

    let output = record(&source, &dir.path().join("plain.json"), &[]).await;
    assert!(
        !text(&output.stderr).contains("recording ["),
        "{}",
        text(&output.stderr)
    );
}

/// A server with an account: List Calls over `calls`, and `/v1/bots` and `/v1/phone-numbers` over `bots` and
/// `numbers`, each paged by `limit` and `offset` with a full `pagination`.
async fn account_server(
    calls: Vec<Value>,
    bots: Vec<Value>,
    numbers: Vec<Value>,
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Query;
    fn list(key: &'static str, records: Vec<Value>) -> axum::routing::MethodRouter {
        axum::routing::get(move |Query(query): Query<HashMap<String, usize>>| {
            let records = records.clone();
            async move {
                let (offset, limit) = (query["offset"], query["limit"]);
                let page: Vec<Value> = records.iter().skip(offset).take(limit).cloned().collect();
                let has_more = offset + page.len() < records.len();
                axum::Json(serde_json::json!({
                    key: page,
                    "pagination": {"limit": limit, "offset": offset, "total": records.len(), "has_more": has_more}
                }))
            }
        })
    }
    let app = axum::Router::new()
        .route("/v1/calls", list("calls", calls))
        .route("/v1/bots", list("bots", bots))
        .route("/v1/phone-numbers", list("phone_numbers", numbers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_walks_bots_and_numbers_and_redacts_them_with_the_calls_even_an_empty_webcall_number()
 {
    let generator = openmic_fixtures::Generator::new(8);
    let mut calls: Vec<Value> = openmic_fixtures::generate(8, 30)
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    // A webcall as the live API lists one: no phone numbers at all.
    calls[3]["call_type"] = "webcall".into();
    calls[3]["from_number"] = "".into();
    let mut uses = openmic_fixtures::AccountUses::new();
    for call in &calls {
        uses.add(&serde_json::from_value(call.clone()).unwrap());
    }
    let account = uses.account(&generator);
    // More bots than a page holds: 120, the agents' and others.
    let mut bots: Vec<Value> = account
        .bots
        .iter()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect();
    for i in bots.len()..120 {
        let agent = openmic_fixtures::AgentUse {
            agent_id: format!("extra-agent-{i:03}"),
            first_ms: 1_760_000_000_000,
        };
        bots.push(serde_json::to_value(generator.bot_for(&agent)).unwrap());
    }
    let numbers: Vec<Value> = account
        .phone_numbers
        .iter()
        .map(|n| serde_json::to_value(n).unwrap())
        .collect();
    let (url, _server) = account_server(calls.clone(), bots.clone(), numbers.clone()).await;
    let dir = tempfile::tempdir().unwrap();

    let raw = dir.path().join("raw.jsonl");
    let mut all = args(&[
        "record",
        "--base-url",
        &url,
        "--api-key",
        "k",
        "--rate-limit",
        "off",
        "--out",
    ]);
    all.push(raw.display().to_string());
    let output = run(all.clone(), Vec::new()).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "recorded {}: 30 calls, 120 bots, {} phone numbers in 4 requests: complete\n",
            raw.display(),
            numbers.len()
        )
    );
    let (read_calls, read_account) = openmic_fixtures::load_path_with_account(&raw).unwrap();
    assert_eq!(read_calls.len(), 30);
    let read_bots: Vec<Value> = read_account
        .bots
        .iter()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect();
    assert_eq!(read_bots, bots, "every bot, as served, in order");
    assert_eq!(read_account.phone_numbers, account.phone_numbers);

    let redacted = dir.path().join("redacted.json");
    all.pop();
    all.push(redacted.display().to_string());
    all.push("--redact".into());
    let output = run(all, Vec::new()).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "; 120 bots (840 texts), {0} phone number records ({0} names)",
            numbers.len()
        )),
        "{stdout}"
    );
    let (read_calls, read_account) = openmic_fixtures::load_path_with_account(&redacted).unwrap();
    let read_calls: Vec<Call> = read_calls
        .iter()
        .map(|c| serde_json::from_str(c).unwrap())
        .collect();
    assert_eq!(read_calls[3].from_number, "", "an empty number is kept");
    let written = std::fs::read_to_string(&redacted).unwrap();
    for number in &account.phone_numbers {
        assert!(
            !written.contains(&number.phone_number),
            "{}",
            number.phone_number
        );
    }
    for bot in &account.bots {
        assert!(!written.contains(&bot.prompt));
    }
    // Each record's number is the fake its calls got, and its links are kept.
    for (before, after) in account
        .phone_numbers
        .iter()
        .zip(&read_account.phone_numbers)
    {
        let agent = after
            .outbound_agent_id
            .as_ref()
            .or(after.inbound_agent_id.as_ref())
            .unwrap();
        assert!(
            read_calls.iter().any(|c| &c.agent_id == agent
                && (c.from_number == after.phone_number || c.to_number == after.phone_number)),
            "{after:?}"
        );
        assert_eq!(
            (&before.inbound_agent_id, &before.outbound_agent_id),
            (&after.inbound_agent_id, &after.outbound_agent_id)
        );
    }
    assert_eq!(read_account.bots.len(), 120);
}
