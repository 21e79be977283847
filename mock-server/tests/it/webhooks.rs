//! Webhooks over real sockets: post-call reports of created calls, pre-call attempts with their retries on a
//! virtual clock, replay of any finished call, per-tenant URLs, the deliveries journal, and the admin API that
//! configures them. Every receiver is a small HTTP server started by the test (`helpers::webhooks`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use openmic_mock::MockServer;
use openmic_mock::{DirectionFilter, WebhookTargets};
use serde_json::{Value, json};

use crate::helpers::webhooks::{
    Got, assert_report_matches, assert_vendor_headers, got, ok_receiver, post_call_only,
    pre_call_replying, receiver, receiver_counting,
};
use crate::helpers::{
    Http, KEY, T0, account_number, admin_ok, advance, assert_admin_error, created_as, get_call,
    queue, virtual_server_with,
};

#[tokio::test]
async fn each_finished_call_gets_one_report_with_the_documented_headers_and_payload() {
    let (url, received) = receiver(ok_receiver()).await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let from = account_number(&server);
    queue(
        &http,
        json!([
            {"to_number": "+15550000001", "status": "ended", "ring_ms": 2_000, "talk_ms": 45_723,
             "disconnection_reason": "agent_ended_call"},
            {"to_number": "+15550000002", "status": "error", "ring_ms": 5_000, "talk_ms": 1_000,
             "disconnection_reason": "dial_busy"},
        ]),
    )
    .await;
    let ended = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000001", "dynamic_variables": {"name": "Ada"}}),
    )
    .await;
    let failed = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000002"}),
    )
    .await;
    // Nothing is sent before a call ends.
    advance(&http, 5_999).await;
    assert!(got(&received).is_empty());
    advance(&http, 1).await;
    let after_error = got(&received);
    assert_eq!(after_error.len(), 1, "the error call ended at 6 s");
    advance(&http, 60_000).await;
    let reports = got(&received);
    assert_eq!(reports.len(), 2);
    let failed_id = failed["call_id"].as_str().unwrap();
    let ended_id = ended["call_id"].as_str().unwrap();
    assert_eq!(reports[0].body["sessionId"], failed_id);
    assert_eq!(reports[1].body["sessionId"], ended_id);
    for report in &reports {
        assert_vendor_headers(report);
    }
    assert_report_matches(
        &reports[0].body,
        &get_call(&http, failed_id).await,
        "dial_busy",
        T0,
    );
    let ended_call = get_call(&http, ended_id).await;
    assert_report_matches(&reports[1].body, &ended_call, "agent_ended_call", T0);
    assert_eq!(reports[1].body["callDuration"], "0:00:45.723000");
    assert_eq!(reports[1].body["dynamicVariables"], json!({"name": "Ada"}));
    // The journal has both, delivered, with the clock's time.
    let deliveries = admin_ok(&http, Method::GET, "/__admin/webhooks/deliveries", None).await;
    let list = deliveries["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{deliveries}");
    assert_eq!(list[0]["kind"], "post-call");
    assert_eq!(list[0]["ok"], true);
    assert_eq!(list[0]["status"], 200);
    assert_eq!(list[0]["attempt"], 1);
    assert_eq!(list[0]["sent_at"], T0 + 6_000);
    assert_eq!(list[1]["sent_at"], T0 + 47_723);
    assert_eq!(
        serde_json::from_str::<Value>(list[1]["body"].as_str().unwrap()).unwrap(),
        reports[1].body
    );
    assert_eq!(server.webhook_deliveries().len(), 2);
    // More time sends nothing more: one report per call.
    advance(&http, 3_600_000).await;
    assert_eq!(got(&received).len(), 2);
}

#[tokio::test]
async fn a_report_is_not_retried_when_the_receiver_fails() {
    let (url, received) = receiver(Arc::new(|_, _| (500, "no".into(), Duration::ZERO))).await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url.clone()))).await;
    let from = account_number(&server);
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000009"}),
    )
    .await;
    advance(&http, 3_600_000).await;
    assert_eq!(got(&received).len(), 1);
    let deliveries = server.webhook_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, Some(500));
    assert_eq!(deliveries[0].url, url);
    assert!(
        deliveries[0].error.as_deref().unwrap().contains("500"),
        "{deliveries:?}"
    );
}

#[tokio::test]
async fn pre_call_attempts_are_retried_after_one_then_two_seconds_and_the_reply_shapes_the_call() {
    let reply = json!({"call": {"customer_id": "cus_42", "dynamic_variables": {"tier": "gold"}}});
    let reply_text = reply.to_string();
    let (pre_url, pre) = receiver(Arc::new(move |n, _| match n {
        0 => (503, "busy".into(), Duration::ZERO),
        1 => (200, "not json".into(), Duration::ZERO),
        _ => (200, reply_text.clone(), Duration::ZERO),
    }))
    .await;
    let (post_url, post) = receiver(ok_receiver()).await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        post_call_url: Some(post_url),
        pre_call_url: Some(pre_url),
        direction: DirectionFilter::Both,
    }))
    .await;
    let from = account_number(&server);
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 1_000, "talk_ms": 10_000}),
    )
    .await;
    let created = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000003", "customer_id": "mine",
                "dynamic_variables": {"name": "Ada", "tier": "basic"}}),
    )
    .await;
    let id = created["call_id"].as_str().unwrap();
    // Attempt 1 goes out at creation, on the clock's time; the call waits, registered.
    server.send_due_webhooks().await;
    assert_eq!(got(&pre).len(), 1);
    advance(&http, 999).await;
    assert_eq!(got(&pre).len(), 1, "the retry waits a second");
    assert_eq!(get_call(&http, id).await["call_status"], "registered");
    advance(&http, 1).await;
    assert_eq!(got(&pre).len(), 2);
    advance(&http, 1_999).await;
    assert_eq!(got(&pre).len(), 2, "then two seconds");
    advance(&http, 1).await;
    let attempts = got(&pre);
    assert_eq!(attempts.len(), 3);
    for (i, attempt) in attempts.iter().enumerate() {
        assert_vendor_headers(attempt);
        assert_eq!(
            attempt.body,
            json!({"event": "call", "call": {"direction": "outbound", "bot_id": created["agent_id"],
                "from_number": from, "to_number": "+15550000003", "attempt": (i + 1).to_string()}})
        );
    }
    let sent: Vec<u64> = server
        .webhook_deliveries()
        .iter()
        .map(|d| d.sent_at)
        .collect();
    assert_eq!(sent, [T0, T0 + 1_000, T0 + 3_000]);
    // The third reply is taken: the call rings from then on with the receiver's customer id and variables.
    let call = get_call(&http, id).await;
    assert_eq!(call["call_status"], "registered");
    assert_eq!(call["customer_id"], "cus_42");
    assert_eq!(
        call["dynamic_variables"],
        json!({"name": "Ada", "tier": "gold"})
    );
    advance(&http, 1_000).await;
    let call = get_call(&http, id).await;
    assert_eq!(call["call_status"], "ongoing");
    assert_eq!(call["start_timestamp"], T0 + 4_000);
    // The customer id from the pre-call is what List Calls filters on.
    let listed = http.get("/v1/calls?customer_id=cus_42").await.json();
    assert_eq!(listed["calls"][0]["call_id"], id);
    advance(&http, 10_000).await;
    let reports = got(&post);
    assert_eq!(reports.len(), 1);
    assert_report_matches(
        &reports[0].body,
        &get_call(&http, id).await,
        reports[0].body["disconnectionReason"].as_str().unwrap(),
        T0,
    );
    assert_eq!(reports[0].body["dynamicVariables"]["tier"], "gold");
}

#[tokio::test]
async fn a_pre_call_receiver_that_always_fails_ends_the_call_in_error() {
    let (pre_url, pre) = receiver(Arc::new(|_, _| (500, "down".into(), Duration::ZERO))).await;
    let (post_url, post) = receiver(ok_receiver()).await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        post_call_url: Some(post_url),
        pre_call_url: Some(pre_url),
        direction: DirectionFilter::Outbound,
    }))
    .await;
    let from = account_number(&server);
    let created = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000004"}),
    )
    .await;
    let id = created["call_id"].as_str().unwrap();
    advance(&http, 10_000).await;
    assert_eq!(got(&pre).len(), 3, "three attempts, no more");
    let call = get_call(&http, id).await;
    assert_eq!(call["call_status"], "error");
    assert_eq!(call["transcript"], json!([]));
    assert_eq!(call["start_timestamp"], T0 + 3_000);
    assert_eq!(call["end_timestamp"], T0 + 3_000);
    assert!(
        call.get("call_analysis").is_none_or(Value::is_null),
        "{call}"
    );
    let reports = got(&post);
    assert_eq!(reports.len(), 1);
    assert_report_matches(&reports[0].body, &call, "system_error", T0);
    let errors: Vec<String> = server
        .webhook_deliveries()
        .iter()
        .filter(|d| d.kind == openmic_mock::DeliveryKind::PreCall)
        .map(|d| d.error.clone().unwrap())
        .collect();
    assert_eq!(
        errors,
        [
            "answered 500, an HTTP error; retried 1 second later",
            "answered 500, an HTTP error; retried 2 seconds later",
            "answered 500, an HTTP error; that was the last attempt: the call ends",
        ]
    );
}

#[tokio::test]
async fn a_pre_call_attempt_that_takes_longer_than_three_seconds_is_retried() {
    let (pre_url, pre) = receiver(Arc::new(|n, _| {
        let delay = if n == 0 {
            Duration::from_millis(3_500)
        } else {
            Duration::ZERO
        };
        (200, r#"{"call": {"dynamic_variables": {}}}"#.into(), delay)
    }))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        pre_call_url: Some(pre_url),
        ..WebhookTargets::default()
    }))
    .await;
    let from = account_number(&server);
    let created = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000005"}),
    )
    .await;
    let started = std::time::Instant::now();
    advance(&http, 1_000).await;
    assert!(started.elapsed() >= Duration::from_millis(2_900));
    assert_eq!(
        got(&pre).len(),
        1,
        "the attempt took 3 s of the call's time: the retry is due at 4 s"
    );
    advance(&http, 3_000).await;
    assert_eq!(got(&pre).len(), 2);
    let deliveries = server.webhook_deliveries();
    assert_eq!(deliveries[1].sent_at, T0 + 4_000);
    assert!(
        deliveries[0]
            .error
            .as_deref()
            .unwrap()
            .contains("no answer within 3000 ms"),
        "{deliveries:?}"
    );
    assert!(deliveries[1].ok());
    // Released with no customer id of its own and empty variables: the call goes ahead.
    let call = get_call(&http, created["call_id"].as_str().unwrap()).await;
    assert_eq!(call["call_status"], "registered");
    assert_eq!(call["dynamic_variables"], json!({}));
}

#[tokio::test]
async fn the_direction_setting_chooses_which_calls_get_the_pre_call_webhook() {
    let (pre_url, pre) = receiver(pre_call_replying(
        json!({"call": {"dynamic_variables": {"greeting": "hi"}}}),
    ))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        pre_call_url: Some(pre_url),
        direction: DirectionFilter::Inbound,
        ..WebhookTargets::default()
    }))
    .await;
    let from = account_number(&server);
    let outbound = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000006"}),
    )
    .await;
    advance(&http, 10).await;
    assert!(
        got(&pre).is_empty(),
        "outbound calls skip an inbound-only pre-call webhook"
    );
    assert!(outbound["dynamic_variables"].is_null());
    // A simulated inbound call: a customer rings the account's number.
    let response = http
        .admin(
            Method::POST,
            "/__admin/inbound-calls",
            Some(&json!({"from_number": "+15551230000", "to_number": from}).to_string()),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let inbound = response.json();
    assert_eq!(inbound["direction"], "inbound");
    assert_eq!(inbound["call_status"], "registered");
    assert_eq!(inbound["to_number"], from);
    advance(&http, 10).await;
    let attempts = got(&pre);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].body["call"]["direction"], "inbound");
    assert_eq!(attempts[0].body["call"]["from_number"], "+15551230000");
    assert_eq!(attempts[0].body["call"]["bot_id"], inbound["agent_id"]);
    let call = get_call(&http, inbound["call_id"].as_str().unwrap()).await;
    assert_eq!(call["dynamic_variables"], json!({"greeting": "hi"}));
    // It plays out like any created call.
    advance(&http, 3_600_000).await;
    let call = get_call(&http, inbound["call_id"].as_str().unwrap()).await;
    assert!(["ended", "error"].contains(&call["call_status"].as_str().unwrap()));
    assert_eq!(call["direction"], "inbound");
}

#[tokio::test]
async fn inbound_calls_are_checked_like_creates() {
    let (_server, http) = virtual_server_with(MockServer::builder()).await;
    for (body, status, needle) in [
        (
            json!({"from_number": "+15551230000"}),
            400,
            "to_number: required",
        ),
        (
            json!({"from_number": "555", "to_number": "+15550000000"}),
            400,
            "from_number: must be an E.164",
        ),
        (
            json!({"from_number": "+15551230000", "to_number": "+15550000000"}),
            400,
            "must ring one of the account's numbers",
        ),
        (
            json!({"from_number": "+15551230000", "to_number": "+15550000000", "x": 1}),
            400,
            "unknown field `x`",
        ),
        (
            json!({"from_number": "+15551230000", "to_number": "+15550000000", "agent_id": 7}),
            400,
            "agent_id: must be a string",
        ),
    ] {
        let response = http
            .admin(
                Method::POST,
                "/__admin/inbound-calls",
                Some(&body.to_string()),
            )
            .await;
        let message = assert_admin_error(&response, status);
        assert!(message.contains(needle), "{body}: {message}");
    }
    let response = http
        .admin(
            Method::POST,
            "/__admin/tenants/nobody/inbound-calls",
            Some(r#"{"from_number": "+15551230000", "to_number": "+15550000000"}"#),
        )
        .await;
    assert_admin_error(&response, 404);
}

#[tokio::test]
async fn any_finished_call_can_be_replayed_by_id_and_only_finished_ones() {
    let (url, received) = receiver(ok_receiver()).await;
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    let calls = server.calls();
    let ended = calls
        .iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .unwrap();
    let errored = calls
        .iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Error)
        .unwrap();
    let ongoing = calls
        .iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ongoing)
        .unwrap();
    let send = |id: &str| json!({ "call_id": id }).to_string();
    // No URL yet: 409, saying how to set one.
    let response = http
        .admin(
            Method::POST,
            "/__admin/webhooks/send",
            Some(&send(&ended.call_id)),
        )
        .await;
    assert!(assert_admin_error(&response, 409).contains("PUT /__admin/webhooks"));
    admin_ok(
        &http,
        Method::PUT,
        "/__admin/webhooks",
        Some(json!({ "post_call_url": url })),
    )
    .await;
    for call in [ended, errored] {
        let delivery = admin_ok(
            &http,
            Method::POST,
            "/__admin/webhooks/send",
            Some(json!({ "call_id": call.call_id })),
        )
        .await;
        assert_eq!(delivery["ok"], true, "{delivery}");
        assert_eq!(delivery["call_id"], call.call_id.as_str());
    }
    let reports = got(&received);
    assert_eq!(reports.len(), 2);
    for (report, call) in reports.iter().zip([ended, errored]) {
        assert_vendor_headers(report);
        let served = get_call(&http, &call.call_id).await;
        let reason =
            openmic_fixtures::default_disconnection_reason(&call.call_id, call.call_status)
                .unwrap();
        // A loaded call has no creation time: its start stands in.
        let start = served["start_timestamp"].as_u64().unwrap();
        assert_report_matches(&report.body, &served, reason, start);
    }
    // The same call again: the same report, byte for byte.
    admin_ok(
        &http,
        Method::POST,
        "/__admin/webhooks/send",
        Some(json!({ "call_id": ended.call_id })),
    )
    .await;
    let again = got(&received);
    assert_eq!(again[2].raw, again[0].raw);
    let response = http
        .admin(
            Method::POST,
            "/__admin/webhooks/send",
            Some(&send(&ongoing.call_id)),
        )
        .await;
    assert!(assert_admin_error(&response, 409).contains("ongoing"));
    let response = http
        .admin(Method::POST, "/__admin/webhooks/send", Some(&send("nope")))
        .await;
    assert_admin_error(&response, 404);
    let response = http
        .admin(Method::POST, "/__admin/webhooks/send", Some("{}"))
        .await;
    assert!(assert_admin_error(&response, 400).contains("call_id"));
    // From Rust too.
    let delivery = server.send_webhook(&ended.call_id).await.unwrap();
    assert!(delivery.ok());
    assert_eq!(got(&received).len(), 4);
}

#[tokio::test]
async fn a_fixture_call_s_own_disconnection_reason_is_reported() {
    let (url, received) = receiver(ok_receiver()).await;
    let mut call = openmic_fixtures::default_calls()
        .into_iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .unwrap();
    call.extra
        .insert("disconnection_reason".into(), json!("voicemail"));
    let id = call.call_id.clone();
    let (server, _http) = virtual_server_with(
        MockServer::builder()
            .calls(vec![call])
            .webhooks(post_call_only(url)),
    )
    .await;
    server.send_webhook(&id).await.unwrap();
    assert_eq!(got(&received)[0].body["disconnectionReason"], "voicemail");
}

#[tokio::test]
async fn each_tenant_s_reports_go_to_its_own_url() {
    let (url_a, got_a) = receiver(ok_receiver()).await;
    let (url_b, got_b) = receiver(ok_receiver()).await;
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    let from = account_number(&server);
    for (key, url) in [("tenant-a", &url_a), ("tenant-b", &url_b)] {
        admin_ok(
            &http,
            Method::POST,
            &format!("/__admin/tenants/{key}/reset"),
            None,
        )
        .await;
        admin_ok(
            &http,
            Method::PUT,
            &format!("/__admin/tenants/{key}/webhooks"),
            Some(json!({ "post_call_url": url })),
        )
        .await;
    }
    let shown = admin_ok(
        &http,
        Method::GET,
        "/__admin/tenants/tenant-a/webhooks",
        None,
    )
    .await;
    assert_eq!(
        shown,
        json!({"post_call_url": url_a, "pre_call_url": null, "direction": "both"})
    );
    let mut ids = std::collections::HashMap::new();
    for key in ["tenant-a", "tenant-b", "tenant-a", KEY] {
        let created = created_as(
            &http,
            key,
            &json!({"from_number": from, "to_number": "+15550000007"}),
        )
        .await;
        ids.entry(key)
            .or_insert_with(Vec::new)
            .push(created["call_id"].as_str().unwrap().to_string());
    }
    advance(&http, 3_600_000).await;
    let sessions = |list: &Arc<Mutex<Vec<Got>>>| -> Vec<String> {
        let mut ids: Vec<String> = got(list)
            .iter()
            .map(|g| g.body["sessionId"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut want_a = ids["tenant-a"].clone();
    want_a.sort();
    assert_eq!(sessions(&got_a), want_a);
    assert_eq!(sessions(&got_b), ids["tenant-b"]);
    // A tenant replays its own calls to its own URL.
    let replayed = admin_ok(
        &http,
        Method::POST,
        "/__admin/tenants/tenant-b/webhooks/send",
        Some(json!({ "call_id": ids["tenant-b"][0] })),
    )
    .await;
    assert_eq!(replayed["url"], url_b.as_str());
    assert_eq!(replayed["ok"], true);
    assert_eq!(got(&got_b).len(), 2);
    let response = http
        .admin(
            Method::POST,
            "/__admin/tenants/tenant-b/webhooks/send",
            Some(&json!({ "call_id": ids["tenant-a"][0] }).to_string()),
        )
        .await;
    assert_admin_error(&response, 404);
    // DELETE turns a tenant's webhooks off, and only its own.
    let cleared = admin_ok(
        &http,
        Method::DELETE,
        "/__admin/tenants/tenant-b/webhooks",
        None,
    )
    .await;
    assert_eq!(
        cleared,
        json!({"post_call_url": null, "pre_call_url": null, "direction": "both"})
    );
    assert_eq!(
        server.tenant_webhooks("tenant-b").unwrap(),
        WebhookTargets::default()
    );
    assert_eq!(
        server.tenant_webhooks("tenant-a").unwrap().post_call_url,
        Some(url_a.clone())
    );
    // A tenant's reset forgets its webhooks; the default data set has none configured.
    admin_ok(&http, Method::POST, "/__admin/tenants/tenant-a/reset", None).await;
    let shown = admin_ok(
        &http,
        Method::GET,
        "/__admin/tenants/tenant-a/webhooks",
        None,
    )
    .await;
    assert_eq!(shown["post_call_url"], Value::Null);
    let response = http
        .admin(Method::GET, "/__admin/tenants/nobody/webhooks", None)
        .await;
    assert_admin_error(&response, 404);
}

#[tokio::test]
async fn a_callback_url_gets_the_report_too_unless_turned_off() {
    for on in [true, false] {
        let (url, received) = receiver(ok_receiver()).await;
        let (server, http) = virtual_server_with(MockServer::builder().callback_urls(on)).await;
        let from = account_number(&server);
        let created = created_as(
            &http,
            KEY,
            &json!({"from_number": from, "to_number": "+15550000008", "callback_url": url}),
        )
        .await;
        advance(&http, 3_600_000).await;
        let reports = got(&received);
        if on {
            assert_eq!(reports.len(), 1);
            assert_eq!(reports[0].body["sessionId"], created["call_id"]);
            assert_eq!(server.webhook_deliveries()[0].kind.as_str(), "callback");
        } else {
            assert!(reports.is_empty());
            assert!(server.webhook_deliveries().is_empty());
        }
    }
}

#[tokio::test]
async fn on_a_real_clock_reports_go_out_when_calls_end() {
    let (url, received) = receiver(ok_receiver()).await;
    let server = MockServer::builder()
        .webhooks(post_call_only(url))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let from = account_number(&server);
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 100, "talk_ms": 300}),
    )
    .await;
    let created = created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000010"}),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got(&received).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reports = got(&received);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].body["sessionId"], created["call_id"]);
    // On a real clock the clock cannot be advanced.
    let response = http
        .admin(Method::POST, "/__admin/clock/advance", Some(r#"{"ms": 1}"#))
        .await;
    assert_admin_error(&response, 409);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_webhook_configuration_is_checked_and_shown() {
    let (_server, http) = virtual_server_with(MockServer::builder()).await;
    let shown = admin_ok(&http, Method::GET, "/__admin/webhooks", None).await;
    assert_eq!(
        shown,
        json!({"post_call_url": null, "pre_call_url": null, "direction": "both"})
    );
    for (body, needle) in [
        (json!({"post_call_url": "not a url"}), "post_call_url: "),
        (json!({"pre_call_url": "ftp://h/x"}), "pre_call_url: "),
        (
            json!({"direction": "sideways"}),
            "unknown variant `sideways`",
        ),
        (
            json!({"post_call_url": "http://h/", "extra": 1}),
            "unknown field `extra`",
        ),
        (json!({"post_call_url": 5}), "expected {\"post_call_url\"?"),
    ] {
        let response = http
            .admin(Method::PUT, "/__admin/webhooks", Some(&body.to_string()))
            .await;
        let message = assert_admin_error(&response, 400);
        assert!(message.contains(needle), "{body}: {message}");
    }
    let set = admin_ok(
        &http,
        Method::PUT,
        "/__admin/webhooks",
        Some(json!({"pre_call_url": "http://127.0.0.1:9/pre", "direction": "outbound"})),
    )
    .await;
    assert_eq!(
        set,
        json!({"post_call_url": null, "pre_call_url": "http://127.0.0.1:9/pre", "direction": "outbound"})
    );
    assert_eq!(
        admin_ok(&http, Method::GET, "/__admin/webhooks", None).await,
        set
    );
    let cleared = admin_ok(&http, Method::DELETE, "/__admin/webhooks", None).await;
    assert_eq!(cleared["pre_call_url"], Value::Null);
    // Mutating requests need JSON, like every admin change.
    let response = http
        .send(
            Method::PUT,
            "/__admin/webhooks",
            &[("content-type", "text/plain")],
            Some("{}"),
        )
        .await;
    assert_admin_error(&response, 415);
}

#[tokio::test]
async fn the_deliveries_journal_pages_filters_and_clears() {
    let (url, _received) = receiver(ok_receiver()).await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let finished: Vec<String> = server
        .calls()
        .into_iter()
        .filter(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .take(5)
        .map(|c| c.call_id)
        .collect();
    for id in &finished {
        server.send_webhook(id).await.unwrap();
    }
    let page = admin_ok(
        &http,
        Method::GET,
        "/__admin/webhooks/deliveries?limit=2",
        None,
    )
    .await;
    assert_eq!(page["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["next_after"], 2);
    let rest = admin_ok(
        &http,
        Method::GET,
        "/__admin/webhooks/deliveries?after=2&limit=3",
        None,
    )
    .await;
    let seqs: Vec<u64> = rest["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert_eq!(rest["has_more"], false);
    let one = admin_ok(
        &http,
        Method::GET,
        &format!("/__admin/webhooks/deliveries?call_id={}", finished[3]),
        None,
    )
    .await;
    assert_eq!(one["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(one["deliveries"][0]["call_id"], finished[3].as_str());
    let none = admin_ok(
        &http,
        Method::GET,
        "/__admin/webhooks/deliveries?kind=pre-call",
        None,
    )
    .await;
    assert_eq!(none["deliveries"], json!([]));
    for query in ["kind=other", "limit=0", "limit=1001", "after=-1", "since=1"] {
        let response = http
            .admin(
                Method::GET,
                &format!("/__admin/webhooks/deliveries?{query}"),
                None,
            )
            .await;
        assert_admin_error(&response, 400);
    }
    let cleared = admin_ok(&http, Method::DELETE, "/__admin/webhooks/deliveries", None).await;
    assert_eq!(cleared["cleared"], 5);
    assert!(server.webhook_deliveries().is_empty());
    // A reset clears them too, and restores the startup webhooks.
    server.send_webhook(&finished[0]).await.unwrap();
    admin_ok(&http, Method::PUT, "/__admin/webhooks", Some(json!({}))).await;
    admin_ok(&http, Method::POST, "/__admin/reset", None).await;
    assert!(server.webhook_deliveries().is_empty());
    assert!(server.webhooks().post_call_url.is_some());
}

#[tokio::test]
async fn a_bad_webhook_url_stops_the_server_from_starting() {
    let err = MockServer::builder()
        .webhooks(post_call_only("mailto:x@example.com"))
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("post_call_url"), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed_and_only_configured_urls_are_called() {
    let (elsewhere, moved_to) = receiver(ok_receiver()).await;
    let (url, received) = receiver(Arc::new(move |_, _| {
        (307, elsewhere.clone(), Duration::ZERO)
    }))
    .await;
    let (server, _http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let ended = server
        .calls()
        .into_iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .unwrap();
    let delivery = server.send_webhook(&ended.call_id).await.unwrap();
    assert_eq!(delivery.status, Some(307));
    assert!(!delivery.ok());
    assert_eq!(got(&received).len(), 1);
    assert!(got(&moved_to).is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn inbound_calls_from_rust_play_out_and_report() {
    let (url, received) = receiver(ok_receiver()).await;
    let (server, _http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url.clone()))).await;
    let to = account_number(&server);
    let call = server.inbound_call("+15551239999", &to, None).unwrap();
    assert_eq!(call.direction, openmic_mock::Direction::Inbound);
    assert_eq!(call.call_status, openmic_mock::CallStatus::Registered);
    assert!(
        server
            .inbound_call("+15551239999", "+15550000000", None)
            .is_err()
    );
    server
        .advance_and_send(Duration::from_secs(3_600))
        .await
        .unwrap();
    let reports = got(&received);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].body["sessionId"], call.call_id.as_str());
    assert_eq!(reports[0].body["direction"], "inbound");
    assert_eq!(server.webhooks().post_call_url, Some(url));
    assert!(server.tenant_webhooks("nobody").is_err());
}

#[tokio::test]
async fn a_late_pre_call_reply_never_touches_a_newer_call_with_the_same_id() {
    let (url, pre) = receiver(Arc::new(|n, _| {
        let (customer, delay) = if n == 0 { ("old", 600) } else { ("new", 0) };
        let reply = json!({"call": {"customer_id": customer, "dynamic_variables": {}}});
        (200, reply.to_string(), Duration::from_millis(delay))
    }))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    let from = account_number(&server);
    let mut ids = Vec::new();
    for _ in 0..2 {
        // A fresh tenant numbers its calls from the start again, so the second call gets the first one's id.
        admin_ok(&http, Method::POST, "/__admin/tenants/t/reset", None).await;
        admin_ok(
            &http,
            Method::PUT,
            "/__admin/tenants/t/webhooks",
            Some(json!({ "pre_call_url": url })),
        )
        .await;
        let created = created_as(
            &http,
            "t",
            &json!({"from_number": from, "to_number": "+15550000011"}),
        )
        .await;
        ids.push(created["call_id"].as_str().unwrap().to_string());
        while got(&pre).len() < ids.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert_eq!(ids[0], ids[1]);
    server.send_due_webhooks().await;
    assert_eq!(server.webhook_deliveries().len(), 2);
    let auth = "Bearer t".to_string();
    let call = http
        .send(
            Method::GET,
            &format!("/v1/call/{}", ids[1]),
            &[("authorization", &auth)],
            None,
        )
        .await
        .json();
    assert_eq!(call["customer_id"], "new", "{call}");
}

#[tokio::test]
async fn what_a_pre_call_reply_makes_due_at_once_is_sent_before_waiting_ends() {
    // A call that rings and talks for no time ends the moment its pre-call receiver answers: its report is due
    // at the clock's time, and waiting for what is due includes it.
    let (pre_url, _pre) = receiver(pre_call_replying(
        json!({"call": {"dynamic_variables": {}}}),
    ))
    .await;
    let (post_url, post) = receiver(Arc::new(|_, _| {
        (200, "{}".into(), Duration::from_millis(200))
    }))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        post_call_url: Some(post_url),
        pre_call_url: Some(pre_url),
        direction: DirectionFilter::Both,
    }))
    .await;
    let from = account_number(&server);
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 0, "talk_ms": 0}),
    )
    .await;
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000012"}),
    )
    .await;
    server.send_due_webhooks().await;
    assert_eq!(got(&post).len(), 1);
    let kinds: Vec<&str> = server
        .webhook_deliveries()
        .iter()
        .map(|d| d.kind.as_str())
        .collect();
    assert_eq!(kinds, ["pre-call", "post-call"]);
    assert_eq!(server.now(), T0);
}

#[tokio::test]
async fn advancing_by_nothing_still_waits_for_what_is_due_now() {
    let (pre_url, _pre) = receiver(Arc::new(|_, _| {
        (
            200,
            r#"{"call": {"dynamic_variables": {}}}"#.into(),
            Duration::from_millis(300),
        )
    }))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        pre_call_url: Some(pre_url),
        ..WebhookTargets::default()
    }))
    .await;
    let from = account_number(&server);
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000013"}),
    )
    .await;
    advance(&http, 0).await;
    let deliveries = server.webhook_deliveries();
    assert_eq!(deliveries.len(), 1, "the attempt due now was waited for");
    assert!(deliveries[0].ok());
}

#[tokio::test]
async fn a_pre_call_reply_is_read_up_to_64_kib() {
    // A reply of about 60 KiB is read whole and accepted; one of about 70 KiB is cut at 64 KiB, which is no
    // longer JSON, so the attempt fails.
    let reply = |kib: usize| {
        json!({"call": {"dynamic_variables": {"blob": "x".repeat(kib * 1024)}}}).to_string()
    };
    let (small, large) = (reply(60), reply(70));
    let (url, pre) = receiver(Arc::new(move |n, _| {
        let body = if n == 0 { small.clone() } else { large.clone() };
        (200, body, Duration::ZERO)
    }))
    .await;
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        pre_call_url: Some(url),
        ..WebhookTargets::default()
    }))
    .await;
    let from = account_number(&server);
    for to in ["+15550000014", "+15550000015"] {
        created_as(&http, KEY, &json!({"from_number": from, "to_number": to})).await;
        server.send_due_webhooks().await;
    }
    assert_eq!(got(&pre).len(), 2);
    let deliveries = server.webhook_deliveries();
    assert!(deliveries[0].ok(), "{:?}", deliveries[0].error);
    assert!(
        deliveries[1].error.as_deref().unwrap().contains("not JSON"),
        "{:?}",
        deliveries[1].error
    );
    assert_eq!(deliveries[1].reply.as_ref().unwrap().len(), 4096);
}

#[tokio::test]
async fn webhooks_are_configured_from_rust_and_bad_urls_refused() {
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    let config = WebhookTargets {
        post_call_url: Some("http://127.0.0.1:9/post".into()),
        pre_call_url: None,
        direction: DirectionFilter::Outbound,
    };
    server.set_webhooks(config.clone()).unwrap();
    assert_eq!(server.webhooks(), config);
    let shown = admin_ok(&http, Method::GET, "/__admin/webhooks", None).await;
    assert_eq!(shown["direction"], "outbound");
    let bad = WebhookTargets {
        pre_call_url: Some("gopher://h/".into()),
        ..WebhookTargets::default()
    };
    let err = server.set_webhooks(bad.clone()).unwrap_err();
    assert!(err.to_string().contains("pre_call_url"), "{err}");
    assert_eq!(
        server.webhooks(),
        config,
        "a refused change changes nothing"
    );
    admin_ok(&http, Method::POST, "/__admin/tenants/t1/reset", None).await;
    assert!(server.set_tenant_webhooks("t1", bad).is_err());
    server.set_tenant_webhooks("t1", config.clone()).unwrap();
    assert_eq!(server.tenant_webhooks("t1").unwrap(), config);
    assert!(server.set_tenant_webhooks("nobody", config).is_err());
}

#[tokio::test]
async fn at_most_64_webhook_requests_are_in_flight_at_once() {
    let (url, received, most_busy) = receiver_counting(Arc::new(|_, _| {
        (200, "{}".into(), Duration::from_millis(300))
    }))
    .await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let from = account_number(&server);
    let outcomes: Vec<Value> = (0..80)
        .map(|_| json!({"status": "ended", "ring_ms": 0, "talk_ms": 1_000}))
        .collect();
    queue(&http, Value::from(outcomes)).await;
    for i in 0..80 {
        created_as(
            &http,
            KEY,
            &json!({"from_number": from, "to_number": format!("+1555100{i:04}")}),
        )
        .await;
    }
    advance(&http, 2_000).await;
    assert_eq!(got(&received).len(), 80, "every report, after the wait");
    assert_eq!(most_busy.load(Ordering::SeqCst), 64);
}

#[tokio::test]
async fn a_receiver_that_is_not_there_is_a_failed_attempt_that_says_why() {
    // A port nothing listens on: bind one, then let it go.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (server, _http) = virtual_server_with(
        MockServer::builder().webhooks(post_call_only(format!("http://{closed}/hook"))),
    )
    .await;
    let ended = server
        .calls()
        .into_iter()
        .find(|c| c.call_status == openmic_mock::CallStatus::Ended)
        .unwrap();
    let delivery = server.send_webhook(&ended.call_id).await.unwrap();
    assert_eq!(delivery.status, None);
    let error = delivery.error.unwrap();
    assert!(error.starts_with("request failed: "), "{error}");
    assert!(error.to_lowercase().contains("connect"), "{error}");
}

#[tokio::test]
async fn a_reply_that_crosses_64_kib_inside_a_chunk_is_cut_there() {
    // A raw HTTP server that sends a valid 70,000-byte JSON reply in pieces of 10,000 bytes: the mock keeps
    // 65,536 bytes of it, which are not JSON, so the pre-call attempt fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0; 65_536];
                let _ = socket.read(&mut buf).await;
                let filler = "x".repeat(70_000 - 50);
                let mut body = json!({"call": {"dynamic_variables": {"f": filler}}}).to_string();
                while body.len() < 70_000 {
                    body.push(' ');
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                for piece in body.as_bytes().chunks(10_000) {
                    let _ = socket.write_all(piece).await;
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
    });
    let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
        pre_call_url: Some(format!("http://{addr}/pre")),
        ..WebhookTargets::default()
    }))
    .await;
    let from = account_number(&server);
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000016"}),
    )
    .await;
    server.send_due_webhooks().await;
    let deliveries = server.webhook_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert!(
        deliveries[0].error.as_deref().unwrap().contains("not JSON"),
        "{:?}",
        deliveries[0].error
    );
}

#[tokio::test]
async fn a_dropped_server_sends_no_more_webhooks_even_while_its_state_lives_on() {
    let (url, received) = receiver(ok_receiver()).await;
    let server = MockServer::builder()
        .webhooks(post_call_only(url))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let from = account_number(&server);
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 100, "talk_ms": 200}),
    )
    .await;
    created_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000017"}),
    )
    .await;
    let state = server.state().clone();
    drop(server);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        got(&received).is_empty(),
        "a report went out after the drop"
    );
    assert!(state.data().schedule().is_stopped());
}

/// The binary's webhook flags and their variables reach the server: the URLs and the direction show in
/// `GET /__admin/webhooks`, and `--no-callback-url` (here its variable) keeps the report from a created
/// call's `callback_url`, which gets it otherwise.
#[tokio::test]
async fn the_binary_takes_its_webhook_settings_from_flags_and_variables() {
    for no_callback in [true, false] {
        let (post_url, reports) = receiver(ok_receiver()).await;
        let (callback_url, callbacks) = receiver(ok_receiver()).await;
        let (pre_url, pre_calls) = receiver(pre_call_replying(json!({}))).await;
        let mut envs = vec![
            ("OPENMIC_MOCK_CLOCK", "virtual:2026-01-15T09:00:00Z"),
            ("OPENMIC_MOCK_PHONE_NUMBER", "+15550001111"),
            ("OPENMIC_MOCK_POST_CALL_WEBHOOK", post_url.as_str()),
            ("OPENMIC_MOCK_WEBHOOK_DIRECTION", "inbound"),
        ];
        if no_callback {
            envs.push(("OPENMIC_MOCK_NO_CALLBACK_URL", "true"));
        }
        let (mut child, base, _) =
            crate::helpers::spawn_serving(&["--port", "0", "--pre-call-webhook", &pre_url], &envs);
        let http = Http {
            base,
            client: reqwest::Client::new(),
        };
        let shown = admin_ok(&http, Method::GET, "/__admin/webhooks", None).await;
        assert_eq!(
            shown,
            json!({"post_call_url": post_url, "pre_call_url": pre_url, "direction": "inbound"})
        );
        let created = created_as(
            &http,
            KEY,
            &json!({"from_number": "+15550001111", "to_number": "+15550000009", "callback_url": callback_url}),
        )
        .await;
        advance(&http, 3_600_000).await;
        let reports = got(&reports);
        assert_eq!(reports.len(), 1, "no_callback: {no_callback}");
        assert_eq!(reports[0].body["sessionId"], created["call_id"]);
        assert_eq!(got(&callbacks).len(), usize::from(!no_callback));
        assert!(
            got(&pre_calls).is_empty(),
            "an outbound call is not checked when the direction is inbound"
        );
        child.kill().unwrap();
        let _ = child.wait();
    }
}

/// A created call that the admin API deletes or replaces, or that replacing the data set or a reset forgets,
/// gets no report; the other created calls still do.
#[tokio::test]
async fn a_created_call_the_admin_api_removes_gets_no_report() {
    let (url, received) = receiver(ok_receiver()).await;
    let (server, http) =
        virtual_server_with(MockServer::builder().webhooks(post_call_only(url))).await;
    let startup = server.calls();
    let from = account_number(&server);
    let body = json!({"from_number": from, "to_number": "+15550000001"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let created = created_as(&http, KEY, &body).await;
        ids.push(created["call_id"].as_str().unwrap().to_string());
    }
    admin_ok(
        &http,
        Method::DELETE,
        &format!("/__admin/calls/{}", ids[0]),
        None,
    )
    .await;
    let mine = serde_json::to_value(openmic_fixtures::Call::example(ids[1].clone())).unwrap();
    admin_ok(
        &http,
        Method::PUT,
        &format!("/__admin/calls/{}", ids[1]),
        Some(mine),
    )
    .await;
    advance(&http, 3_600_000).await;
    let sent: Vec<Value> = got(&received)
        .iter()
        .map(|g| g.body["sessionId"].clone())
        .collect();
    assert_eq!(sent, vec![json!(ids[2])]);

    for (method, path, change) in [
        (
            Method::PUT,
            "/__admin/calls",
            serde_json::to_value(&startup).unwrap(),
        ),
        (Method::POST, "/__admin/reset", json!({})),
    ] {
        let before = got(&received).len();
        let created = created_as(&http, KEY, &body).await;
        admin_ok(&http, method, path, Some(change)).await;
        advance(&http, 3_600_000).await;
        assert_eq!(
            got(&received).len(),
            before,
            "{path}: {}",
            created["call_id"]
        );
    }
}
