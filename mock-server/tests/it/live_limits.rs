//! The caps on created calls in progress: per account (data set) and in the whole server. Past either, a create
//! is the vendor's 429 with a Retry-After of when the first call in progress ends; ended calls free their place.

use axum::http::Method;
use openmic_mock::{LiveLimits, MockServer};
use serde_json::json;

use crate::helpers::{
    Http, KEY, account_number, admin_ok, advance, create_as, queue, virtual_server_with,
};

async fn create(http: &Http, key: &str, from: &str) -> crate::helpers::TestResponse {
    create_as(
        http,
        key,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await
}

#[tokio::test]
async fn creates_past_the_live_call_caps_are_429s_until_calls_end() {
    let (server, http) = virtual_server_with(MockServer::builder().live_limits(LiveLimits {
        per_data_set: 3,
        total: 5,
    }))
    .await;
    let from = account_number(&server);
    // Each call rings 2 s and talks 60 s: in progress for 62 s.
    let long = json!({"status": "ended", "ring_ms": 2_000, "talk_ms": 60_000});
    for _ in 0..3 {
        queue(&http, json!([long.clone()])).await;
        assert_eq!(create(&http, KEY, &from).await.status, 201);
    }
    advance(&http, 10_000).await;
    let refused = create(&http, KEY, &from).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("52"));
    let body = refused.json();
    assert_eq!(body["success"], false);
    assert_eq!(body["retryAfter"], 52);
    assert_eq!(
        body["message"],
        "3 calls are in progress in this account, the most the mock allows at once (--max-live-calls); the \
         first of them ends in 52 seconds"
    );

    // Two tenants: the first takes the server to its total of 5, the second is refused for the server's cap.
    for tenant in ["tenant-a", "tenant-b"] {
        admin_ok(
            &http,
            Method::POST,
            &format!("/__admin/tenants/{tenant}/reset"),
            None,
        )
        .await;
    }
    for _ in 0..2 {
        admin_ok(
            &http,
            Method::POST,
            "/__admin/tenants/tenant-a/outcomes",
            Some(json!([long.clone()])),
        )
        .await;
        assert_eq!(create(&http, "tenant-a", &from).await.status, 201);
    }
    let refused = create(&http, "tenant-b", &from).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("5 calls are in progress in this server, the most the mock allows at once (--max-live-calls-total)"),
        "{}",
        refused.text()
    );

    // Once the default account's calls have ended, their places are free again.
    advance(&http, 60_000).await;
    assert_eq!(create(&http, KEY, &from).await.status, 201);
    assert_eq!(create(&http, "tenant-b", &from).await.status, 201);
}
