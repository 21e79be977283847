//! Data one call at a time: the admin API's paged read and upsert (default and tenant data sets), the rate limit
//! changed at runtime, and health without the rest of the admin API.

use axum::http::Method;
use openmic_fixtures::CallStatus;
use openmic_mock::{MockServer, RateLimit};
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, call, calls_json, prefixed_calls};

#[tokio::test]
async fn the_data_in_force_reads_in_pages_in_the_api_order() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let page = http
        .admin(Method::GET, "/__admin/calls?limit=120&offset=100", None)
        .await;
    assert_eq!(page.status, 200);
    let body = page.json();
    assert_eq!(
        body["pagination"],
        json!({"limit": 120, "offset": 100, "total": 300, "has_more": true})
    );
    let api = http.get("/v1/calls?limit=100&offset=100").await.json();
    assert_eq!(
        body["calls"].as_array().unwrap()[..100],
        api["calls"].as_array().unwrap()[..]
    );
    let default = http.admin(Method::GET, "/__admin/calls", None).await.json();
    assert_eq!(default["pagination"]["limit"], 100);
    for bad in [
        "?limit=0",
        "?limit=1001",
        "?offset=-1",
        "?page=2",
        "?limit=1&limit=2",
    ] {
        let response = http
            .admin(Method::GET, &format!("/__admin/calls{bad}"), None)
            .await;
        assert_admin_error(&response, 400);
    }
}

#[tokio::test]
async fn put_of_one_call_inserts_or_replaces_it_atomically_and_checks_it() {
    let server = MockServer::builder()
        .calls(prefixed_calls("p", 3))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let fresh = call("new-call", CallStatus::Ongoing, Some(1_800_000_000_000));
    let body = serde_json::to_string(&fresh).unwrap();
    let inserted = http
        .admin(Method::PUT, "/__admin/calls/new-call", Some(&body))
        .await;
    assert_eq!(inserted.status, 200);
    assert_eq!(
        inserted.json(),
        json!({"call_id": "new-call", "replaced": false, "calls": 4})
    );
    let mut changed = fresh.clone();
    changed.call_status = CallStatus::Ended;
    changed.end_timestamp = Some(openmic_fixtures::TimestampMs(1_800_000_060_000));
    let replaced = http
        .admin(
            Method::PUT,
            "/__admin/calls/new-call",
            Some(&serde_json::to_string(&changed).unwrap()),
        )
        .await;
    assert_eq!(
        replaced.json(),
        json!({"call_id": "new-call", "replaced": true, "calls": 4})
    );
    let got = http.get("/v1/call/new-call").await.json();
    assert_eq!(got["call_status"], "ended");
    assert_eq!(got, serde_json::to_value(&changed).unwrap());
    // Newest first: the upserted call leads the list.
    assert_eq!(http.get("/v1/calls?limit=1").await.ids(), ["new-call"]);

    // The body's id must be the path's, there must be one call, and it is validated as on load.
    let other = http
        .admin(Method::PUT, "/__admin/calls/someone-else", Some(&body))
        .await;
    let message = assert_admin_error(&other, 400);
    assert!(message.contains("\"someone-else\""), "{message}");
    let two = http
        .admin(
            Method::PUT,
            "/__admin/calls/p-0000",
            Some(&calls_json(&prefixed_calls("p", 2))),
        )
        .await;
    assert!(assert_admin_error(&two, 400).contains("one call"));
    let invalid = http
        .admin(
            Method::PUT,
            "/__admin/calls/bad",
            Some(r#"{"call_id": "bad", "call_status": "finished"}"#),
        )
        .await;
    assert!(assert_admin_error(&invalid, 400).contains("call_status"));
    assert_eq!(server.calls().len(), 4, "nothing changed by the refusals");

    // In Rust, the same.
    let mut again = changed.clone();
    again.customer_id = Some("cust-9".into());
    assert!(server.upsert_call(again).unwrap());
    assert!(
        !server
            .upsert_call(call("rust-call", CallStatus::Registered, None))
            .unwrap()
    );
    assert_eq!(server.calls().len(), 5);
}

#[tokio::test]
async fn a_tenant_reads_and_upserts_its_own_calls() {
    let server = MockServer::builder().start().await.unwrap();
    server.tenant("tenant-a", prefixed_calls("a", 2)).unwrap();
    let http = Http::new(&server);
    let page = http
        .admin(Method::GET, "/__admin/tenants/tenant-a/calls?limit=1", None)
        .await
        .json();
    assert_eq!(page["pagination"]["total"], 2);
    assert_eq!(page["calls"][0]["call_id"], "a-0001");
    let body = serde_json::to_string(&call("a-new", CallStatus::Registered, None)).unwrap();
    let upserted = http
        .admin(
            Method::PUT,
            "/__admin/tenants/tenant-a/calls/a-new",
            Some(&body),
        )
        .await;
    assert_eq!(
        upserted.json(),
        json!({"call_id": "a-new", "replaced": false, "calls": 3})
    );
    assert_eq!(http.get_as("/v1/call/a-new", "tenant-a").await.status, 200);
    assert_eq!(
        http.get("/v1/call/a-new").await.status,
        404,
        "not in the default set"
    );
    let missing = http
        .admin(
            Method::PUT,
            "/__admin/tenants/nobody/calls/a-new",
            Some(&body),
        )
        .await;
    assert_admin_error(&missing, 404);
    let missing = http
        .admin(Method::GET, "/__admin/tenants/nobody/calls", None)
        .await;
    assert_admin_error(&missing, 404);
}

#[tokio::test]
async fn the_rate_limit_changes_at_runtime() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let shown = http.admin(Method::GET, "/__admin/rate-limit", None).await;
    assert_eq!(shown.json(), json!({"per_minute": null}));
    let set = http
        .admin(
            Method::PUT,
            "/__admin/rate-limit",
            Some(r#"{"per_minute": 2}"#),
        )
        .await;
    assert_eq!(set.json(), json!({"per_minute": 2}));
    let statuses: Vec<u16> = [
        http.get("/v1/calls").await.status,
        http.get("/v1/calls").await.status,
        http.get("/v1/calls").await.status,
    ]
    .into();
    assert_eq!(statuses, [200, 200, 429]);
    let cleared = http
        .admin(Method::DELETE, "/__admin/rate-limit", None)
        .await;
    assert_eq!(cleared.json(), json!({"per_minute": null}));
    assert_eq!(http.get("/v1/calls").await.status, 200);
    for bad in [
        r#"{"per_minute": 0}"#,
        r#"{"per_minute": "fast"}"#,
        r#"{"per_minute": 5, "burst": 1}"#,
        "{}",
    ] {
        let response = http
            .admin(Method::PUT, "/__admin/rate-limit", Some(bad))
            .await;
        assert_admin_error(&response, 400);
    }
    server.set_rate_limit(RateLimit::per_minute(1));
    assert_eq!(http.get("/v1/calls").await.status, 200);
    assert_eq!(http.get("/v1/calls").await.status, 429);
}

#[tokio::test]
async fn health_answers_with_the_admin_api_off_and_nothing_else_does() {
    let server = MockServer::builder()
        .generated(1, 5)
        .admin(false)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let health = http.admin(Method::GET, "/__admin/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["calls"], 5);
    for (method, path) in [
        (Method::GET, "/__admin/requests"),
        (Method::POST, "/__admin/reset"),
        (Method::GET, "/__admin/calls"),
    ] {
        assert_eq!(http.admin(method, path, None).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_bare_to_date_says_that_it_leaves_its_day_out() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let bare = http.get("/v1/calls?to_date=2025-11-30").await;
    assert_eq!(bare.status, 200);
    let warning = bare.header("x-mock-warning").unwrap();
    assert!(
        warning.contains("to_date=2025-11-30 is read as 2025-11-30T00:00:00Z")
            && warning.contains("to_date=2025-11-30T23:59:59.999Z"),
        "{warning}"
    );
    let full = http.get("/v1/calls?to_date=2025-11-30T00:00:00Z").await;
    assert_eq!(full.header("x-mock-warning"), None);
    assert_eq!(
        full.pagination()["total"],
        bare.pagination()["total"],
        "same rule, only a warning"
    );
}

#[tokio::test]
async fn bodies_keep_the_documented_key_order() {
    let server = MockServer::builder()
        .calls(prefixed_calls("k", 2))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let text = |response: crate::helpers::TestResponse| String::from_utf8(response.body).unwrap();
    assert_eq!(
        text(http.admin(Method::GET, "/__admin/health", None).await),
        r#"{"status":"ok","calls":2}"#
    );
    assert_eq!(
        text(
            http.admin(Method::DELETE, "/__admin/calls/k-0000", None)
                .await
        ),
        r#"{"deleted":"k-0000","calls":1}"#
    );
    assert_eq!(
        text(http.admin(Method::POST, "/__admin/reset", None).await),
        r#"{"status":"reset","calls":2}"#
    );
    server.push_fault(openmic_mock::Fault::Status {
        status: 429,
        retry_after: Some(2),
    });
    assert_eq!(
        text(http.get("/v1/calls").await),
        r#"{"success":false,"message":"Rate limit exceeded. Please retry after 2 seconds.","error":"Too Many Requests","retryAfter":2}"#
    );
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

#[tokio::test]
async fn a_body_of_several_mebibytes_is_accepted_whole() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let body = calls_json(&prefixed_calls("big", 20_000));
    assert!(body.len() > 4 * 1024 * 1024, "{} bytes", body.len());
    let response = http.admin(Method::PUT, "/__admin/calls", Some(&body)).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json()["calls"], 20_000);
}

#[tokio::test]
async fn a_single_call_body_reports_positions_in_the_body_as_sent() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let body = r#"{"call_id": "x", "call_status": "done"}"#;
    let response = http.admin(Method::POST, "/__admin/calls", Some(body)).await;
    let message = assert_admin_error(&response, 400);
    let column = body.find("\"done\"").unwrap() + 1;
    assert!(
        message.contains(&format!(
            "POST /__admin/calls:1:{column}: call #0 (call_id \"x\"): field `call_status`"
        )),
        "{message}"
    );
    // On a later line, columns need no correction.
    let body = "{\"call_id\": \"y\",\n\"call_status\": \"done\"}";
    let response = http.admin(Method::POST, "/__admin/calls", Some(body)).await;
    let message = assert_admin_error(&response, 400);
    assert!(message.contains("POST /__admin/calls:2:16:"), "{message}");
}
