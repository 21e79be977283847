//! Clock advances sent together: each adds its own milliseconds (none lost, none refused for waiting behind
//! another), and each answers after the webhooks due on its own way.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use openmic_mock::MockServer;
use serde_json::{Value, json};

use crate::helpers::webhooks::{post_call_only, receiver};
use crate::helpers::{
    Http, KEY, T0, account_number, admin_ok, created_as, queue, virtual_server_with,
};

async fn clock_now(http: &Http) -> u64 {
    admin_ok(http, Method::GET, "/__admin/clock", None).await["now"]
        .as_u64()
        .unwrap()
}

async fn advance_status(http: &Http, ms: u64) -> (u16, String) {
    let response = http
        .admin(
            Method::POST,
            "/__admin/clock/advance",
            Some(&json!({ "ms": ms }).to_string()),
        )
        .await;
    (response.status, response.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_hundred_parallel_advances_add_up_exactly() {
    let (_server, http) = virtual_server_with(MockServer::builder()).await;
    let http = Arc::new(http);
    let start = clock_now(&http).await;
    let advances: Vec<_> = (0..800)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move { advance_status(&http, 1_000).await })
        })
        .collect();
    for advance in advances {
        let (status, text) = advance.await.unwrap();
        assert_eq!(status, 200, "{text}");
    }
    assert_eq!(clock_now(&http).await, start + 800_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_advance_behind_one_waiting_for_a_webhook_succeeds_after_it() {
    // A receiver that takes 1.5 s to answer: the first advance waits for it.
    let script: crate::helpers::webhooks::Script =
        Arc::new(|_, _: &Value| (200, String::new(), Duration::from_millis(1_500)));
    let (url, received) = receiver(script).await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let http = Arc::new(http);
    let from = account_number(&server);
    queue(
        &http,
        json!([{"status": "ended", "ring_ms": 1_000, "talk_ms": 1_000}]),
    )
    .await;
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let start = clock_now(&http).await;
    assert_eq!(start, T0);

    let long = {
        let http = http.clone();
        tokio::spawn(async move { advance_status(&http, 60_000).await })
    };
    // Sent while the long one waits for the receiver.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !long.is_finished(),
        "the first advance should still be waiting for the receiver"
    );
    let (status, text) = advance_status(&http, 1).await;
    assert_eq!(status, 200, "the 1 ms advance: {text}");
    // It waited its turn behind the long one, whose webhook was delivered first.
    assert_eq!(received.lock().unwrap().len(), 1);
    let (status, text) = long.await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(clock_now(&http).await, start + 60_001);
}
