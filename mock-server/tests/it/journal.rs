//! The request journal over HTTP: what it records, redaction, filters, clearing, and its bound under load.

use std::sync::Arc;
use std::time::Instant;

use axum::http::Method;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, prefixed_calls};

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
        .admin(Method::GET, "/__admin/requests?limit=1000", None)
        .await
        .json();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1000, "bounded over HTTP too");
    assert_eq!(body["has_more"], false);
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

#[tokio::test]
async fn is_bounded_by_bytes_and_clips_long_headers_and_queries() {
    let server = MockServer::builder()
        .generated(1, 5)
        .journal_bytes(200 * 1024)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let big = "v".repeat(100 * 1024);
    let long_query = format!("/v1/calls?limit=1&note={}", "q".repeat(20 * 1024));
    for _ in 0..100 {
        let response = http
            .send(
                Method::GET,
                &long_query,
                &[("authorization", "Bearer test-key"), ("x-big", &big)],
                None,
            )
            .await;
        assert_eq!(response.status, 200);
    }
    let journal = server.state().journal();
    assert!(journal.bytes() <= 200 * 1024, "{} bytes", journal.bytes());
    let kept = server.received_requests();
    // Each entry holds about 2 KiB of header and 8 KiB of query (twice: raw and decoded), not 120 KiB.
    assert!((5..=20).contains(&kept.len()), "{} kept", kept.len());
    let entry = &kept[0];
    assert!(entry.clipped);
    let header = entry.header("x-big").unwrap();
    assert!(header.len() < 3 * 1024, "{}", header.len());
    assert!(header.ends_with(&format!("…[cut: {} bytes in all]", big.len())));
    let raw_query = entry.raw_query.as_deref().unwrap();
    assert!(raw_query.len() < 9 * 1024 && raw_query.contains("…[cut: "));
    assert_eq!(entry.query[0], ("limit".to_string(), "1".to_string()));

    let page = http
        .admin(Method::GET, "/__admin/requests?limit=1", None)
        .await
        .json();
    assert_eq!(page["requests"][0]["clipped"], true);
}

#[tokio::test]
async fn reads_a_page_at_a_time_forward_from_a_cursor_or_back_from_the_newest() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    for i in 0..250 {
        http.get(&format!("/v1/calls?limit=1&i={i}")).await;
    }
    let page = |query: String| {
        let http = &http;
        async move {
            let body = http
                .admin(Method::GET, &format!("/__admin/requests{query}"), None)
                .await
                .json();
            let marks: Vec<u64> = body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["query"][1][1].as_str().unwrap().parse().unwrap())
                .collect();
            let last_seq = body["requests"]
                .as_array()
                .unwrap()
                .last()
                .map(|r| r["seq"].as_u64().unwrap());
            (marks, body["has_more"].as_bool().unwrap(), last_seq)
        }
    };
    // By default: the newest 100, oldest first, and older ones are left.
    let (latest, more, _) = page(String::new()).await;
    assert_eq!(latest, (150..250).collect::<Vec<_>>());
    assert!(more);
    // Forward from the start, in pages, reads each request exactly once.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (marks, more, last) = page(format!("?after={after}&limit=70")).await;
        seen.extend(marks);
        match (more, last) {
            (true, Some(last)) => after = last,
            _ => break,
        }
    }
    assert_eq!(seen, (0..250).collect::<Vec<_>>());
    // Past the newest: empty, nothing more.
    let (marks, more, _) = page(format!("?after={}", u64::MAX)).await;
    assert!(marks.is_empty() && !more);
    for bad in ["?limit=0", "?limit=1001", "?after=-1", "?after=x"] {
        let response = http
            .admin(Method::GET, &format!("/__admin/requests{bad}"), None)
            .await;
        assert_eq!(response.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn hides_every_credential_header_and_the_ones_named() {
    let server = MockServer::builder()
        .generated(1, 5)
        .redact_header("X-Tenant-Token")
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    http.send(
        Method::GET,
        "/v1/calls",
        &[
            ("authorization", "Bearer test-key"),
            ("cookie", "session=s3cret-cookie"),
            ("proxy-authorization", "Basic cHJveHk6czNjcmV0"),
            ("x-api-key", "s3cret-api-key"),
            ("x-tenant-token", "s3cret-tenant"),
            ("x-visible", "shown"),
        ],
        None,
    )
    .await;
    let journal = http.admin(Method::GET, "/__admin/requests", None).await;
    let text = String::from_utf8(journal.body.clone()).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("cHJveHk6czNjcmV0"), "{text}");
    assert!(text.contains("shown"));
    let headers = journal.json()["requests"][0]["headers"].clone();
    assert!(
        headers
            .as_array()
            .unwrap()
            .contains(&json!(["x-tenant-token", "[redacted]"]))
    );
}

#[tokio::test]
async fn a_page_stops_at_four_mebibytes_of_json_and_says_more_are_left() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    // Eight 2 KiB headers: about 17 KiB of JSON per entry.
    let value = "h".repeat(2048);
    let headers: Vec<(String, &str)> = (0..8)
        .map(|i| (format!("x-h{i}"), value.as_str()))
        .collect();
    let mut sent: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    sent.push(("authorization", "Bearer test-key"));
    for _ in 0..300 {
        http.send(Method::GET, "/v1/calls?limit=1", &sent, None)
            .await;
    }
    let read = |query: &'static str| {
        let http = &http;
        async move {
            let page = http
                .admin(Method::GET, &format!("/__admin/requests{query}"), None)
                .await;
            let bytes = page.body.len();
            let body = page.json();
            (
                body["requests"].as_array().unwrap().len(),
                body["has_more"].clone(),
                bytes,
            )
        }
    };
    // 200 entries are about 3.4 MB: one page.
    let (count, more, _) = read("?limit=200&after=0").await;
    assert_eq!((count, more), (200, json!(true)));
    // 300 entries are more than 4 MiB: the page stops short of them, and says so.
    let (count, more, bytes) = read("?limit=300&after=0").await;
    assert!(count < 300 && count > 200, "{count}");
    assert_eq!(more, json!(true));
    assert!(bytes <= 4 * 1024 * 1024 + 32 * 1024, "{bytes}");
}

#[tokio::test]
async fn status_0_finds_the_requests_that_got_no_answer_and_a_negative_since_is_refused() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    server.push_fault(openmic_mock::Fault::Reset);
    let dropped = http
        .client
        .get(format!("{}/v1/calls", http.base))
        .bearer_auth("test-key")
        .send()
        .await;
    assert!(dropped.is_err(), "the connection was dropped");
    http.get("/v1/calls").await;
    let body = http
        .admin(Method::GET, "/__admin/requests?status=0", None)
        .await
        .json();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{body}");
    assert_eq!(requests[0]["status"], json!(null));
    for bad in ["?since=-5", "?status=99", "?status=600"] {
        let response = http
            .admin(Method::GET, &format!("/__admin/requests{bad}"), None)
            .await;
        assert_eq!(response.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn clipped_says_which_entries_lost_something_whatever_the_cause() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let long = "x".repeat(9 * 1024);
    let auth = ("authorization", "Bearer test-key");
    // Nothing long; a long header; a long query; a long path.
    http.send(Method::GET, "/v1/calls?limit=1", &[auth], None)
        .await;
    http.send(
        Method::GET,
        "/v1/calls?limit=1",
        &[auth, ("x-long", &long)],
        None,
    )
    .await;
    http.send(
        Method::GET,
        &format!("/v1/calls?note={long}"),
        &[auth],
        None,
    )
    .await;
    http.send(Method::GET, &format!("/v1/call/{long}"), &[auth], None)
        .await;
    // A raw query over 8 KiB whose decoded pairs fit: the raw one was still cut.
    let encoded = format!("/v1/calls?note={}", "%41".repeat(3000));
    http.send(Method::GET, &encoded, &[auth], None).await;
    // Exactly 8 KiB of query, and of path: kept whole.
    let query = format!("/v1/calls?n={}", "q".repeat(8192 - 2));
    http.send(Method::GET, &query, &[auth], None).await;
    let path = format!("/v1/call/{}", "p".repeat(8192 - "/v1/call/".len()));
    http.send(Method::GET, &path, &[auth], None).await;
    let clipped: Vec<bool> = server
        .received_requests()
        .iter()
        .map(|r| r.clipped)
        .collect();
    assert_eq!(clipped, [false, true, true, true, true, false, false]);
}

#[tokio::test]
async fn parallel_tests_read_only_their_own_requests_from_the_journal() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    server
        .tenant("tenant-one", prefixed_calls("one", 1))
        .unwrap();
    server
        .tenant("tenant-two", prefixed_calls("two", 1))
        .unwrap();
    let http = Http::new(&server);
    http.get_as("/v1/calls", "tenant-one").await;
    http.get_as("/v1/call/one-0000", "tenant-one").await;
    http.get_as("/v1/calls", "tenant-two").await;
    // `since` compares milliseconds: keep the earlier requests out of the millisecond it names.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let before_last = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    http.get_as("/v1/call/one-0000", "tenant-one").await;
    let read = |query: String| {
        let http = &http;
        async move {
            let body = http
                .admin(Method::GET, &format!("/__admin/requests{query}"), None)
                .await
                .json();
            body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["path"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        read("?api_key=tenant-one".into()).await,
        ["/v1/calls", "/v1/call/one-0000", "/v1/call/one-0000"]
    );
    assert_eq!(read("?api_key=tenant-two".into()).await, ["/v1/calls"]);
    assert_eq!(
        read("?path=/v1/call/*".into()).await,
        ["/v1/call/one-0000", "/v1/call/one-0000"]
    );
    assert_eq!(
        read(format!("?api_key=tenant-one&since={before_last}")).await,
        ["/v1/call/one-0000"]
    );
    assert_eq!(read("?since=2999-01-01T00:00:00Z".into()).await.len(), 0);
    let journal = http.admin(Method::GET, "/__admin/requests", None).await;
    let text = String::from_utf8(journal.body).unwrap();
    assert!(!text.contains("tenant-one"), "the key never shows: {text}");
    let bad = http
        .admin(Method::GET, "/__admin/requests?since=yesterday", None)
        .await;
    assert!(assert_admin_error(&bad, 400).contains("since"));
}
