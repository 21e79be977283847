//! Fault injection over a socket: scripted sequences, resets, timeouts, malformed bodies, latency, and seeded
//! random errors; and admin requests untouched by any of it.

use std::time::{Duration, Instant};

use axum::http::Method;
use openmic_mock::{Fault, MockServer, ScriptedFault};
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, assert_json_content_type, read_response};

async fn start() -> (MockServer, Http) {
    let server = MockServer::builder()
        .generated(3, 20)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    (server, http)
}

async fn put_faults(http: &Http, faults: serde_json::Value) {
    let response = http
        .admin(Method::PUT, "/__admin/faults", Some(&faults.to_string()))
        .await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

#[tokio::test]
async fn a_scripted_429_500_reset_sequence_is_observed_in_order_by_a_client() {
    let (_server, http) = start().await;
    put_faults(
        &http,
        json!({"next": [{"status": 429}, {"status": 500}, {"kind": "reset"}]}),
    )
    .await;
    let client = reqwest::Client::new();
    let get = || {
        client
            .get(format!("{}/v1/calls?limit=2", http.base))
            .bearer_auth("test-key")
            .send()
    };

    let first = read_response(get().await.unwrap()).await;
    assert_eq!(first.status, 429);
    assert_json_content_type(&first);
    assert_eq!(first.header("retry-after"), Some("1"));
    let body = first.json();
    assert_eq!(body["success"], false);
    assert_eq!(body["retryAfter"], 1);
    assert!(
        body["message"].is_string() && body["error"].is_string(),
        "{body}"
    );

    let second = read_response(get().await.unwrap()).await;
    assert_eq!(second.status, 500);
    assert_eq!(
        String::from_utf8_lossy(&second.body),
        r#"{"error":"An unexpected error occurred. Please try again later."}"#
    );

    let third = get().await.unwrap_err();
    assert!(
        third.status().is_none() && !third.is_timeout(),
        "expected a dropped connection, got {third:?}"
    );

    let fourth = read_response(get().await.unwrap()).await;
    assert_eq!(fourth.status, 200, "the queue is used up");

    let journal = http
        .admin(Method::GET, "/__admin/requests", None)
        .await
        .json();
    let entries = journal["requests"].as_array().unwrap();
    let seen: Vec<_> = entries
        .iter()
        .map(|r| (r["status"].clone(), r["fault"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (json!(429), json!({"status": 429})),
            (json!(500), json!({"status": 500})),
            (json!(null), json!({"kind": "reset"})),
            (json!(200), json!(null)),
        ]
    );
}

#[tokio::test]
async fn a_path_limited_fault_waits_for_a_request_to_its_path() {
    let (server, http) = start().await;
    let id = server.calls()[0].call_id.clone();
    server.push_fault(ScriptedFault::on_path(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        format!("/v1/call/{id}"),
    ));
    assert_eq!(http.get("/v1/calls").await.status, 200);
    let faulted = http.get(&format!("/v1/call/{id}")).await;
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.json(), json!({"error": "Service Unavailable"}));
    assert_eq!(http.get(&format!("/v1/call/{id}")).await.status, 200);
}

#[tokio::test]
async fn a_timeout_fault_holds_the_answer_past_the_clients_timeout() {
    let (server, http) = start().await;
    server.push_fault(Fault::Timeout { ms: 2_000 });
    let err = http
        .client
        .get(format!("{}/v1/calls", http.base))
        .bearer_auth("test-key")
        .timeout(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    server.push_fault(Fault::Timeout { ms: 120 });
    let started = Instant::now();
    let response = http.get("/v1/calls?limit=1").await;
    assert_eq!(response.status, 200, "answers normally once the time is up");
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn a_malformed_fault_is_a_200_json_response_with_a_truncated_body() {
    let (server, http) = start().await;
    server.push_fault(Fault::Malformed);
    let response = http.get("/v1/calls?limit=5").await;
    assert_eq!(response.status, 200);
    assert_json_content_type(&response);
    assert!(!response.body.is_empty());
    assert!(
        serde_json::from_slice::<serde_json::Value>(&response.body).is_err(),
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let whole = http.get("/v1/calls?limit=5").await.body;
    assert!(
        whole.starts_with(&response.body),
        "a prefix of the real body"
    );
    assert_eq!(response.body.len(), whole.len() / 2, "its first half");
}

#[tokio::test]
async fn latency_delays_every_api_request_and_is_journaled() {
    let (server, http) = start().await;
    put_faults(&http, json!({"latency_ms": 80})).await;
    let started = Instant::now();
    assert_eq!(http.get("/v1/calls?limit=1").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(80));
    let journal = server.received_requests();
    assert_eq!(journal[0].injected_latency, Duration::from_millis(80));

    put_faults(&http, json!({"latency_ms": {"min": 10, "max": 30}})).await;
    let started = Instant::now();
    http.get("/v1/calls?limit=1").await;
    assert!(started.elapsed() >= Duration::from_millis(10));
    let latency = server.received_requests()[1].injected_latency;
    assert!(
        (Duration::from_millis(10)..=Duration::from_millis(30)).contains(&latency),
        "{latency:?}"
    );
}

#[tokio::test]
async fn random_errors_repeat_exactly_for_the_same_seed() {
    let (_server, http) = start().await;
    let faults = json!({"error_rate": 0.5, "error_status": 503, "seed": 42});
    let mut runs = Vec::new();
    for _ in 0..2 {
        put_faults(&http, faults.clone()).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(http.get("/v1/calls?limit=1").await.status);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&200) && runs[0].contains(&503),
        "{:?}",
        runs[0]
    );

    put_faults(
        &http,
        json!({"error_rate": 0.5, "error_status": 503, "seed": 43}),
    )
    .await;
    let mut other = Vec::new();
    for _ in 0..40 {
        other.push(http.get("/v1/calls?limit=1").await.status);
    }
    assert_ne!(other, runs[0], "another seed, another sequence");
}

#[tokio::test]
async fn faults_set_from_rust_apply_to_the_next_api_request() {
    let (server, http) = start().await;
    server.set_faults(openmic_mock::Faults {
        error_rate: 1.0,
        error_status: 502,
        seed: Some(7),
        ..openmic_mock::Faults::default()
    });
    assert_eq!(server.faults().error_status, 502);
    let response = http.get("/v1/calls?limit=1").await;
    assert_eq!(response.status, 502, "every request fails at a rate of 1");
    assert!(
        response.json()["error"].is_string(),
        "the vendor's error shape"
    );
}

#[tokio::test]
async fn faults_can_be_shown_pushed_and_cleared() {
    let (_server, http) = start().await;
    put_faults(
        &http,
        json!({"next": [{"status": 429, "retry_after": 7}], "seed": 1}),
    )
    .await;
    let pushed = http
        .admin(
            Method::POST,
            "/__admin/faults/next",
            Some(r#"{"kind": "timeout", "ms": 10, "path": "/v1/calls"}"#),
        )
        .await;
    assert_eq!(pushed.status, 200);
    let shown = http
        .admin(Method::GET, "/__admin/faults", None)
        .await
        .json();
    assert_eq!(
        shown,
        json!({
            "latency_ms": null,
            "error_rate": 0.0,
            "error_status": 500,
            "next": [
                {"status": 429, "retry_after": 7, "after": 0, "times": 1},
                {"kind": "timeout", "ms": 10, "path": "/v1/calls", "after": 0, "times": 1}
            ],
            "seed": 1
        })
    );
    let limited = http.get("/v1/calls").await;
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(limited.json()["retryAfter"], 7);

    let cleared = http.admin(Method::DELETE, "/__admin/faults", None).await;
    assert_eq!(cleared.json()["next"], json!([]));
    assert_eq!(http.get("/v1/calls").await.status, 200);
}

#[tokio::test]
async fn a_bad_faults_body_is_a_400_naming_the_field() {
    let (_server, http) = start().await;
    for (body, expected) in [
        (
            r#"{"error_rate": 2}"#,
            "`error_rate` must be a number from 0 to 1, got 2",
        ),
        (
            r#"{"next": {"status": 500}}"#,
            "`next` must be an array of faults",
        ),
        (
            r#"{"next": [{"status": 500, "kind": "reset"}]}"#,
            "`next[0]` has both `status` and `kind`",
        ),
        (
            r#"{"next": [{"kind": "reset", "path": "v1/calls"}]}"#,
            "`next[0].path` must be a path starting with `/`",
        ),
        (
            r#"{"latency_ms": -1}"#,
            "`latency_ms` must be a whole number of milliseconds",
        ),
        (r#"[]"#, "`faults` must be a JSON object"),
    ] {
        let message = assert_admin_error(
            &http.admin(Method::PUT, "/__admin/faults", Some(body)).await,
            400,
        );
        assert!(message.starts_with(expected), "{body}: {message}");
    }
}

#[tokio::test]
async fn admin_requests_are_never_faulted_and_never_use_up_the_queue() {
    let (server, http) = start().await;
    put_faults(
        &http,
        json!({"next": [{"kind": "reset"}], "error_rate": 1.0, "latency_ms": 5000}),
    )
    .await;
    let started = Instant::now();
    for path in ["/__admin/health", "/__admin/faults", "/__admin/requests"] {
        assert_eq!(
            http.admin(Method::GET, path, None).await.status,
            200,
            "{path}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_millis(5000),
        "no latency on admin"
    );
    assert_eq!(server.faults().next.len(), 1, "the reset is still queued");
    assert!(
        server.received_requests().is_empty(),
        "admin requests are not journaled"
    );
}

/// Walks `GET /v1/calls` with `limit=50` from offset 0 while `has_more`, like a paging client; returns each
/// request's offset and status (stopping at the first error).
async fn walk(http: &Http) -> Vec<(u64, u16)> {
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = http
            .get(&format!("/v1/calls?limit=50&offset={offset}"))
            .await;
        seen.push((offset, page.status));
        if page.status != 200 || page.json()["pagination"]["has_more"] != true {
            return seen;
        }
        offset += 50;
    }
}

#[tokio::test]
async fn a_fault_matched_by_query_fails_page_two_of_a_walk_in_one_request() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let pushed = http
        .admin(
            Method::POST,
            "/__admin/faults/next",
            Some(r#"{"status": 429, "retry_after": 1, "query": {"offset": "50"}}"#),
        )
        .await;
    assert_eq!(pushed.status, 200);
    assert_eq!(walk(&http).await, [(0, 200), (50, 429)]);
    // Once: the retry of page 2, and the rest of the walk, go through.
    let retried = walk(&http).await;
    assert!(
        retried.iter().all(|(_, status)| *status == 200),
        "{retried:?}"
    );
    assert_eq!(retried.len(), 6, "300 calls in pages of 50");
    let journal = http
        .admin(Method::GET, "/__admin/requests?status=429", None)
        .await
        .json();
    let answered = &journal["requests"][0];
    assert_eq!(answered["raw_query"], "limit=50&offset=50");
    assert_eq!(answered["fault"], json!({"status": 429, "retry_after": 1}));
    // A number in `query` means the same as its text.
    let pushed = http
        .admin(
            Method::POST,
            "/__admin/faults/next",
            Some(r#"{"status": 500, "query": {"offset": 100, "limit": "50"}}"#),
        )
        .await;
    assert_eq!(pushed.status, 200);
    assert_eq!(walk(&http).await, [(0, 200), (50, 200), (100, 500)]);
}

#[tokio::test]
async fn after_lets_matching_requests_through_and_times_counts_or_lasts_until_cleared() {
    let (_server, http) = start().await;
    put_faults(
        &http,
        json!({"next": [{"status": 500, "after": 2, "path": "/v1/calls"}]}),
    )
    .await;
    // Requests to other paths neither count nor get the fault.
    assert_eq!(http.get("/v1/call/none").await.status, 404);
    let statuses: Vec<u16> = futures_statuses(&http, "/v1/calls?limit=1", 4).await;
    assert_eq!(statuses, [200, 200, 500, 200]);

    put_faults(
        &http,
        json!({"next": [{"status": 503, "retry_after": 30, "times": 2}]}),
    )
    .await;
    let first = http.get("/v1/calls").await;
    assert_eq!(first.status, 503);
    assert_eq!(
        first.header("retry-after"),
        Some("30"),
        "retry_after works with any status"
    );
    let shown = http
        .admin(Method::GET, "/__admin/faults", None)
        .await
        .json();
    assert_eq!(shown["next"][0]["times"], 1, "counts down as it answers");
    let statuses = futures_statuses(&http, "/v1/calls", 2).await;
    assert_eq!(statuses, [503, 200]);

    put_faults(
        &http,
        json!({"next": [{"status": 502, "times": null, "after": 1}]}),
    )
    .await;
    let statuses = futures_statuses(&http, "/v1/calls", 5).await;
    assert_eq!(statuses, [200, 502, 502, 502, 502]);
    http.admin(Method::DELETE, "/__admin/faults", None).await;
    assert_eq!(http.get("/v1/calls").await.status, 200);
}

#[tokio::test]
async fn a_fault_can_wait_for_a_method_and_bad_matching_fields_are_named() {
    let (_server, http) = start().await;
    put_faults(&http, json!({"next": [{"status": 500, "method": "post"}]})).await;
    assert_eq!(
        http.get("/v1/calls").await.status,
        200,
        "a GET passes a POST-only fault"
    );
    let shown = http
        .admin(Method::GET, "/__admin/faults", None)
        .await
        .json();
    assert_eq!(shown["next"][0]["method"], "POST");
    let posted = http.send(Method::POST, "/v1/calls", &[], None).await;
    assert_eq!(
        posted.status, 500,
        "the POST gets it (before the 405 it would get)"
    );

    for (body, field) in [
        (
            json!({"status": 500, "query": {"offset": true}}),
            "fault.query.offset",
        ),
        (json!({"status": 500, "query": ["offset"]}), "fault.query"),
        (json!({"status": 500, "after": -1}), "fault.after"),
        (json!({"status": 500, "times": 0}), "fault.times"),
        (json!({"status": 500, "method": "GET /"}), "fault.method"),
        (
            json!({"status": 500, "retry_after": 86401}),
            "fault.retry_after",
        ),
    ] {
        let response = http
            .admin(
                Method::POST,
                "/__admin/faults/next",
                Some(&body.to_string()),
            )
            .await;
        let message = assert_admin_error(&response, 400);
        assert!(
            message.contains(&format!("`{field}`")),
            "{field}: {message}"
        );
    }
}

/// The statuses of `count` sequential GETs of `path`.
async fn futures_statuses(http: &Http, path: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(http.get(path).await.status);
    }
    statuses
}
