//! The request journal over HTTP: what it records, redaction, filters, clearing, and its bound under load.

use std::sync::Arc;
use std::time::Instant;

use axum::http::Method;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::Http;

#[tokio::test]
async fn lists_api_requests_oldest_first_with_authorization_redacted() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    http.send(
        Method::GET,
        "/v1/calls?from_number=%2B1555&limit=2",
        &[("authorization", "Bearer test-key"), ("x-trace", "t-1")],
        None,
    )
    .await;
    http.get_as("/v1/call/nope", "wrong-key").await;

    let journal = http.admin(Method::GET, "/__admin/requests", None).await;
    assert_eq!(journal.status, 200);
    let body = journal.json();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "admin requests are not listed: {body}");
    let first = &requests[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/v1/calls");
    assert_eq!(
        first["query"],
        json!([["from_number", "+1555"], ["limit", "2"]])
    );
    assert_eq!(first["status"], 200);
    assert_eq!(first["fault"], json!(null));
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    let time = first["time"].as_str().unwrap();
    assert!(time.len() == 24 && time.ends_with('Z'), "{time}");
    let headers = first["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["authorization", "Bearer [redacted]"])),
        "{headers:?}"
    );
    assert!(headers.contains(&json!(["x-trace", "t-1"])), "{headers:?}");
    assert!(
        !journal.body.windows(8).any(|w| w == b"test-key"),
        "the key leaked"
    );
    assert_eq!(requests[1]["status"], 401);

    // In process, the journal keeps the header as sent.
    assert_eq!(
        server.received_requests()[0].header("authorization"),
        Some("Bearer test-key")
    );
}

#[tokio::test]
async fn filters_by_path_status_and_limit_and_clears() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    for i in 0..4 {
        http.get(&format!("/v1/calls?limit=1&i={i}")).await;
        http.get("/v1/call/missing").await;
    }
    let get = |query: &'static str| {
        let http = &http;
        async move {
            http.admin(Method::GET, &format!("/__admin/requests{query}"), None)
                .await
                .json()["requests"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let by_path = get("?path=/v1/calls").await;
    assert_eq!(by_path.len(), 4);
    assert!(by_path.iter().all(|r| r["path"] == "/v1/calls"));
    let by_status = get("?status=404").await;
    assert_eq!(by_status.len(), 4);
    assert!(by_status.iter().all(|r| r["path"] == "/v1/call/missing"));
    let latest = get("?path=%2Fv1%2Fcalls&limit=2").await;
    let marks: Vec<_> = latest.iter().map(|r| r["query"][1][1].clone()).collect();
    assert_eq!(
        marks,
        [json!("2"), json!("3")],
        "the latest two, oldest first"
    );

    let cleared = http.admin(Method::DELETE, "/__admin/requests", None).await;
    assert_eq!(cleared.json(), json!({"cleared": 8}));
    assert!(get("").await.is_empty());
}

#[tokio::test]
async fn stays_at_its_bound_under_10000_requests() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Arc::new(Http::new(&server));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let http = http.clone();
        tasks.spawn(async move {
            for _ in 0..200 {
                let response = http
                    .client
                    .get(format!("{}/v1/calls?limit=1", http.base))
                    .bearer_auth("test-key")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    let elapsed = started.elapsed();
    eprintln!("10,000 requests over 50 concurrent tasks in {elapsed:?}");
    assert_eq!(server.received_requests().len(), 1000);

    for i in 0..3 {
        http.get(&format!("/v1/calls?limit=1&last={i}")).await;
    }
    let body = http
        .admin(Method::GET, "/__admin/requests", None)
        .await
        .json();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1000, "bounded over HTTP too");
    let tail: Vec<_> = requests[997..]
        .iter()
        .map(|r| r["query"][1].clone())
        .collect();
    assert_eq!(
        tail,
        [
            json!(["last", "0"]),
            json!(["last", "1"]),
            json!(["last", "2"])
        ],
        "the oldest are dropped first"
    );
}
