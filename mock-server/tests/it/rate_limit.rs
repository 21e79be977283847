//! Rate limiting per API key over a socket: the vendor's 429 body and a correct `Retry-After`, and the limit
//! changed at runtime (admin API and Rust).

use axum::http::Method;
use openmic_mock::{MockServer, RateLimit};
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, assert_json_content_type};

async fn start(per_minute: u32) -> (MockServer, Http) {
    let server = MockServer::builder()
        .generated(5, 10)
        .api_key("key-a")
        .api_key("key-b")
        .rate_limit(RateLimit::per_minute(per_minute).unwrap())
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    (server, http)
}

#[tokio::test]
async fn over_the_limit_is_a_429_with_the_vendor_body_and_a_correct_retry_after() {
    // 2 per minute: a full bucket allows 2, and the next token comes back after 60 / 2 = 30 seconds.
    let (_server, http) = start(2).await;
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 200);
    assert_eq!(http.get_as("/v1/calls?limit=1", "key-a").await.status, 200);
    let limited = http.get_as("/v1/calls", "key-a").await;
    assert_eq!(limited.status, 429);
    assert_json_content_type(&limited);
    assert_eq!(limited.header("retry-after"), Some("30"));
    let body = limited.json();
    assert_eq!(body["success"], false);
    assert_eq!(body["retryAfter"], 30);
    assert_eq!(body["error"], "Too Many Requests");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("2 requests per minute"),
        "{body}"
    );
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
}

#[tokio::test]
async fn each_api_key_has_its_own_bucket() {
    let (_server, http) = start(1).await;
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 200);
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 429);
    assert_eq!(http.get_as("/v1/calls", "key-b").await.status, 200);
    let limited = http.get_as("/v1/calls", "key-b").await;
    assert_eq!(limited.header("retry-after"), Some("60"));
}

#[tokio::test]
async fn admin_requests_and_rejected_keys_never_take_a_token() {
    let (server, http) = start(1).await;
    for _ in 0..5 {
        assert_eq!(
            http.admin(Method::GET, "/__admin/health", None)
                .await
                .status,
            200
        );
        assert_eq!(http.get_as("/v1/calls", "not-a-key").await.status, 401);
    }
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 200);
    let journal = server.received_requests();
    assert!(journal.iter().all(|r| r.status != 429), "{journal:?}");
}

#[tokio::test]
async fn reset_refills_the_buckets() {
    let (server, http) = start(1).await;
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 200);
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 429);
    server.reset();
    assert_eq!(http.get_as("/v1/calls", "key-a").await.status, 200);
}

#[tokio::test]
async fn without_a_limit_a_burst_is_never_refused() {
    let server = MockServer::builder()
        .generated(5, 10)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    for _ in 0..150 {
        assert_eq!(http.get("/v1/calls?limit=1").await.status, 200);
    }
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
