//! The web page (`/__admin/ui`) as HTTP sees it, and what the admin API gained for it: each answer in the journal
//! (`GET /__admin/requests/{seq}`), `GET /__admin`, and the API's reads without the journal
//! (`/__admin/v1/calls`, `/__admin/v1/call/{id}`). What the page does in a browser is tested in Chromium by
//! `mock-server/tests/browser/run.mjs`.

use axum::http::Method;
use openmic_mock::{Fault, MockServer};
use serde_json::{Value, json};

use crate::helpers::{Http, TestResponse, assert_admin_error, prefixed_calls};

const PAGE_FILES: [(&str, &str); 4] = [
    ("/__admin/ui", "text/html; charset=utf-8"),
    ("/__admin/ui/", "text/html; charset=utf-8"),
    ("/__admin/ui/app.js", "text/javascript; charset=utf-8"),
    ("/__admin/ui/app.css", "text/css; charset=utf-8"),
];

fn with_key(key: &str) -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {key}"))]
}

async fn send_with(
    http: &Http,
    method: Method,
    path: &str,
    headers: &[(&'static str, String)],
) -> TestResponse {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    http.send(method, path, &headers, None).await
}

#[tokio::test]
async fn the_page_is_served_without_the_key_with_a_strict_policy_and_its_data_needs_the_key() {
    let server = MockServer::builder()
        .admin_key("s3cret")
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    for (path, content_type) in PAGE_FILES {
        let file = http.send(Method::GET, path, &[], None).await;
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.header("content-type"), Some(content_type), "{path}");
        let policy = file.header("content-security-policy").unwrap();
        for rule in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'none'",
        ] {
            assert!(policy.contains(rule), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(file.header("x-frame-options"), Some("DENY"));
        assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(file.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(file.header("access-control-allow-origin"), None);
        assert!(!file.text().contains("s3cret"));
    }
    let page = http
        .send(Method::GET, "/__admin/ui", &[], None)
        .await
        .text();
    assert!(page.contains(r#"<script src="/__admin/ui/app.js" defer></script>"#));
    assert!(!page.contains("<script>") && !page.contains("style=\""));
    let index = http.send(Method::GET, "/__admin", &[], None).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.json()["ui"], "/__admin/ui");
    // Only reads of those files go without the key: the data, other paths and other methods need it.
    for (method, path) in [
        (Method::GET, "/__admin/requests"),
        (Method::GET, "/__admin/requests/1"),
        (Method::GET, "/__admin/v1/calls"),
        (Method::GET, "/__admin/ui/other.js"),
        (Method::GET, "/__admin/uix"),
        (Method::POST, "/__admin/ui"),
        (Method::DELETE, "/__admin"),
    ] {
        let refused = http.admin(method.clone(), path, None).await;
        assert_admin_error(&refused, 401);
    }
    let keyed = send_with(&http, Method::GET, "/__admin/v1/calls", &with_key("s3cret")).await;
    assert_eq!(keyed.status, 200);
    let other = send_with(
        &http,
        Method::GET,
        "/__admin/ui/other.js",
        &with_key("s3cret"),
    )
    .await;
    assert_admin_error(&other, 404);
    let post = send_with(&http, Method::POST, "/__admin/ui", &with_key("s3cret")).await;
    assert_eq!(post.status, 415, "a write needs JSON before anything else");
}

#[tokio::test]
async fn without_the_admin_api_there_is_no_page() {
    let server = MockServer::builder().admin(false).start().await.unwrap();
    let http = Http::new(&server);
    for path in [
        "/__admin",
        "/__admin/ui",
        "/__admin/ui/app.js",
        "/__admin/ui/app.css",
    ] {
        let response = http.send(Method::GET, path, &[], None).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.json()["error"], "Not Found");
    }
}

async fn journal(http: &Http) -> Vec<Value> {
    http.admin(Method::GET, "/__admin/requests?limit=1000", None)
        .await
        .json()["requests"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_journal_keeps_each_answer_and_shows_its_body_one_entry_at_a_time() {
    let server = MockServer::builder()
        .calls(prefixed_calls("ans", 3))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let answered = http.get("/v1/calls?limit=2&colour=red").await;
    let warning = answered.header("x-mock-warning").unwrap().to_string();
    let listed = journal(&http).await;
    let entry = &listed[0];
    let answer = &entry["answer"];
    assert_eq!(answer["bytes"], json!(answered.body.len()));
    assert_eq!(answer["body_clipped"], false);
    assert_eq!(answer.get("body"), None, "a list leaves bodies out");
    let headers = answer["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["x-mock-warning", warning])),
        "{headers:?}"
    );
    assert!(headers.contains(&json!(["content-type", "application/json; charset=utf-8"])));

    let seq = entry["seq"].as_u64().unwrap();
    let one = http
        .admin(Method::GET, &format!("/__admin/requests/{seq}"), None)
        .await;
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(one["answer"]["body"], json!(answered.text()));
    assert_eq!(one["seq"], json!(seq));
    assert_eq!(one["path"], "/v1/calls");
    let auth = one["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .unwrap();
    assert_eq!(auth[1], "Bearer [redacted]");

    // A dropped connection answered nothing.
    server.push_fault(Fault::Reset);
    let _ = http
        .client
        .get(format!("{}/v1/calls", http.base))
        .send()
        .await;
    let reset = journal(&http).await.pop().unwrap();
    assert_eq!(reset["status"], Value::Null);
    assert_eq!(reset["answer"], Value::Null);

    for (path, status) in [
        ("/__admin/requests/999", 404),
        ("/__admin/requests/0", 404),
        ("/__admin/requests/first", 400),
    ] {
        let message = assert_admin_error(&http.admin(Method::GET, path, None).await, status);
        assert!(
            message.contains("seq") || message.contains("journal entry"),
            "{message}"
        );
    }
    http.admin(Method::DELETE, "/__admin/requests", None).await;
    let gone = http
        .admin(Method::GET, &format!("/__admin/requests/{seq}"), None)
        .await;
    assert_admin_error(&gone, 404);
}

#[tokio::test]
async fn an_answer_longer_than_64_kib_is_kept_in_part_and_sent_whole() {
    let server = MockServer::builder()
        .generated(7, 100)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let answered = http.get("/v1/calls?limit=100").await;
    assert_eq!(answered.status, 200);
    assert!(answered.body.len() > 64 * 1024, "{}", answered.body.len());
    assert_eq!(answered.json()["calls"].as_array().unwrap().len(), 100);
    let one = http
        .admin(Method::GET, "/__admin/requests/1", None)
        .await
        .json();
    assert_eq!(one["answer"]["bytes"], json!(answered.body.len()));
    assert_eq!(one["answer"]["body_clipped"], true);
    let kept = one["answer"]["body"].as_str().unwrap();
    assert_eq!(kept.len(), 64 * 1024);
    assert!(answered.text().starts_with(kept));
    // And one that just fits is kept whole.
    let small = http.get("/v1/calls?limit=1").await;
    let entry = http
        .admin(Method::GET, "/__admin/requests/2", None)
        .await
        .json();
    assert_eq!(entry["answer"]["body"], json!(small.text()));
    assert_eq!(entry["answer"]["body_clipped"], false);
}

#[tokio::test]
async fn the_apis_reads_under_the_admin_api_answer_as_the_api_without_journal_or_faults() {
    let server = MockServer::builder()
        .calls(prefixed_calls("srv", 6))
        .start()
        .await
        .unwrap();
    server.tenant("tenant-a", prefixed_calls("ten", 2)).unwrap();
    let http = Http::new(&server);
    server.push_fault(Fault::Status {
        status: 503,
        retry_after: None,
    });
    let mut expected = Vec::new();
    for (scope, key) in [
        ("/__admin", "test-key"),
        ("/__admin/tenants/tenant-a", "tenant-a"),
    ] {
        for query in [
            "/v1/calls?limit=2&offset=1",
            "/v1/calls?call_status=ended&colour=red",
            "/v1/calls?limit=500",
            "/v1/call/srv-0001",
            "/v1/call/ten-0000",
        ] {
            let admin = http
                .admin(Method::GET, &format!("{scope}{query}"), None)
                .await;
            expected.push((admin, key, query));
        }
    }
    // None of that spent the fault, nor was journaled.
    assert_eq!(http.get("/v1/calls").await.status, 503);
    http.admin(Method::DELETE, "/__admin/requests", None).await;
    for (admin, key, query) in &expected {
        let api = http.get_as(query, key).await;
        assert_eq!(admin.status, api.status, "{key} {query}");
        assert_eq!(admin.body, api.body, "{key} {query}");
        assert_eq!(
            admin.header("x-mock-warning"),
            api.header("x-mock-warning"),
            "{key} {query}"
        );
    }
    assert!(expected.iter().any(|(a, _, _)| a.status == 400));
    assert!(expected.iter().any(|(a, _, _)| a.status == 404));
    assert!(
        expected
            .iter()
            .any(|(a, _, _)| a.header("x-mock-warning").is_some())
    );
    assert_eq!(journal(&http).await.len(), expected.len());
    for path in [
        "/__admin/tenants/nobody/v1/calls",
        "/__admin/tenants/nobody/v1/call/x",
    ] {
        let message = assert_admin_error(&http.admin(Method::GET, path, None).await, 404);
        assert!(message.contains("nobody"), "{message}");
    }
}
