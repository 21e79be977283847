//! No webhook the mock sends reaches the mock itself: not its admin API, not its API, by any URL source
//! (post-call, pre-call, a created call's `callback_url`, a resend) or spelling of its own address. Each attempt
//! gets the 403 that names the reason, and the deliveries journal shows it. Also the `Host` header rules.

use axum::http::Method;
use openmic_mock::{CorsOrigin, MockServer};
use serde_json::{Value, json};

use crate::helpers::{
    Http, KEY, account_number, admin_ok, advance, created_as, queue, raw_get, virtual_server_with,
};

const REFUSAL: &str =
    "this request carries the User-Agent of OpenMic's webhooks (Openmic-Webhook/1.0)";

/// Every way a URL can name a server on 127.0.0.1:port that the sender can connect to.
fn spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "localhost",
        "LocalHost.",
        "127.1",
        "0.0.0.0",
        "someone@127.0.0.1",
        "[::ffff:127.0.0.1]",
        "2130706433",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}"))
    .collect()
}

async fn tenants(http: &Http) -> Vec<Value> {
    admin_ok(http, Method::GET, "/__admin/tenants", None).await["tenants"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn deliveries(http: &Http) -> Vec<Value> {
    admin_ok(
        http,
        Method::GET,
        "/__admin/webhooks/deliveries?limit=1000",
        None,
    )
    .await["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn no_webhook_reaches_the_mock_itself_by_any_source_or_spelling() {
    let (server, http) = virtual_server_with(MockServer::builder().cors(CorsOrigin::Any)).await;
    let port = server.address().port();
    let from = account_number(&server);
    let urls = spellings(port);
    let calls_before = server.calls().len();

    // 1. callback_url of created calls (a web page can send these with --cors): the admin API and the API.
    for (i, base) in urls.iter().enumerate() {
        queue(
            &http,
            json!([{"status": "ended", "ring_ms": 1_000, "talk_ms": 1_000}]),
        )
        .await;
        created_as(
            &http,
            KEY,
            &json!({"from_number": from, "to_number": "+15550000001",
                    "callback_url": format!("{base}/__admin/tenants/pwned-{i}/reset")}),
        )
        .await;
        queue(
            &http,
            json!([{"status": "ended", "ring_ms": 1_000, "talk_ms": 1_000}]),
        )
        .await;
        created_as(
            &http,
            KEY,
            &json!({"from_number": from, "to_number": "+15550000002",
                    "callback_url": format!("{base}/v1/create-phone-call")}),
        )
        .await;
    }
    advance(&http, 10_000).await;

    // 2. the post-call URL, 3. a resend of a finished call to it, 4. the pre-call URL.
    let finished = server
        .calls()
        .into_iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .unwrap()
        .call_id;
    for (i, base) in urls.iter().enumerate() {
        admin_ok(
            &http,
            Method::PUT,
            "/__admin/webhooks",
            Some(
                json!({"post_call_url": format!("{base}/__admin/tenants/post-{i}/reset"),
                        "pre_call_url": format!("{base}/__admin/tenants/pre-{i}/reset")}),
            ),
        )
        .await;
        admin_ok(
            &http,
            Method::POST,
            "/__admin/webhooks/send",
            Some(json!({ "call_id": finished })),
        )
        .await;
        queue(
            &http,
            json!([{"status": "ended", "ring_ms": 1_000, "talk_ms": 1_000}]),
        )
        .await;
        created_as(
            &http,
            KEY,
            &json!({"from_number": from, "to_number": "+15550000003"}),
        )
        .await;
        // The pre-call attempts (at 0, 1 and 3 s), then the call's end and its report.
        advance(&http, 20_000).await;
    }

    assert_eq!(
        tenants(&http).await,
        Vec::<Value>::new(),
        "no tenant was made by a webhook"
    );
    // Created here: the 2 per spelling of step 1 and the one per spelling of step 4, no more.
    assert_eq!(server.calls().len(), calls_before + 3 * urls.len());
    let attempts = deliveries(&http).await;
    let mut kinds = std::collections::BTreeMap::new();
    for attempt in &attempts {
        assert_eq!(attempt["status"], 403, "{attempt}");
        assert!(
            attempt["reply"].as_str().unwrap().contains(REFUSAL),
            "{attempt}"
        );
        *kinds
            .entry(attempt["kind"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    let n = urls.len();
    // Per spelling: 2 callback reports, 1 resend and 1 report to the post-call URL, 3 pre-call attempts.
    assert_eq!(kinds.values().sum::<usize>(), 7 * n, "{kinds:?}");
    assert_eq!(kinds.get("pre-call"), Some(&(3 * n)), "{kinds:?}");
}

#[tokio::test]
async fn a_request_with_the_webhook_user_agent_is_refused_on_every_route() {
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    for (method, path) in [
        (Method::POST, "/__admin/reset"),
        (Method::GET, "/__admin/requests"),
        (Method::GET, "/v1/calls"),
        (Method::POST, "/v1/create-phone-call"),
        (Method::GET, "/nowhere"),
    ] {
        let answer = http
            .client
            .request(method.clone(), format!("{}{path}", http.base))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .header("user-agent", openmic_fixtures::WEBHOOK_USER_AGENT)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{method} {path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "Forbidden");
        assert!(
            body["message"].as_str().unwrap().starts_with(REFUSAL),
            "{body}"
        );
    }
    // Any other agent is served as before.
    let answer = http
        .client
        .get(format!("{}/v1/calls?limit=1", http.base))
        .bearer_auth(KEY)
        .header("user-agent", "Openmic-Webhook/1.0 (not quite)")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    drop(server);
}

/// Sends `head` (a request line and headers) and returns the status line and the body.
fn raw(addr: std::net::SocketAddr, head: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

// Blocking sockets below: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_host_or_with_two_is_a_400() {
    let (server, _http) = virtual_server_with(MockServer::builder()).await;
    let addr = server.address();
    let auth = format!("Authorization: Bearer {KEY}\r\nConnection: close\r\n");
    let (status, body) = raw(addr, &format!("GET /v1/calls HTTP/1.1\r\n{auth}\r\n"));
    assert!(status.contains(" 400 "), "{status}");
    assert!(
        body.contains("the request has no Host header: HTTP/1.1 requires one"),
        "{body}"
    );
    let (status, body) = raw(
        addr,
        &format!("GET /v1/calls HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n{auth}\r\n"),
    );
    assert!(status.contains(" 400 "), "{status}");
    assert!(body.contains("the request has 2 Host headers"), "{body}");
    // HTTP/1.0 may leave Host out (RFC 9112, section 3.2 binds HTTP/1.1): served.
    let (status, _) = raw(
        addr,
        &format!("GET /v1/calls?limit=1 HTTP/1.0\r\n{auth}\r\n"),
    );
    assert!(status.contains(" 200 "), "{status}");
    // One Host, as every client sends: served.
    let (status, _) = raw_get(addr, "/v1/calls?limit=1", "localhost");
    assert!(status.contains(" 200 "), "{status}");
}
