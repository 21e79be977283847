//! The pre-call webhook's answers, each as the vendor's "Pre-Call Webhooks" page says it treats them, with the
//! call's outcome and the deliveries journal's entries: what fails an attempt (a timeout, a 4xx or 5xx, a
//! network error, a body that is not JSON) and is retried; what lets the call go ahead without the reply's
//! values (a 200 of the wrong shape, `{}`, a `customer_id` that is `null` or not a string, a status other than
//! 200); and, on a virtual clock, the clock times of attempts and ringing as a real call's would be. Also
//! `createdAt`: when the call was initiated.

use std::sync::Arc;
use std::time::Duration;

use openmic_mock::{DeliveryAttempt, DeliveryKind, MockServer, WebhookTargets};
use serde_json::{Value, json};

use crate::helpers::webhooks::{Got, Script, assert_report_matches, got, iso, receiver};
use crate::helpers::{
    Http, KEY, T0, account_number, advance, created_as, get_call, queue, virtual_server_with,
};

/// A server on a virtual clock at [`T0`] whose pre-call receiver answers as `script` says and whose post-call
/// receiver answers 200; with the pre-call requests and reports got so far.
struct PreCallRun {
    server: MockServer,
    http: Http,
    pre: Arc<std::sync::Mutex<Vec<Got>>>,
    post: Arc<std::sync::Mutex<Vec<Got>>>,
}

impl PreCallRun {
    async fn start(script: Script) -> Self {
        let (pre_url, pre) = receiver(script).await;
        let (post_url, post) = receiver(Arc::new(|_, _| (200, "{}".into(), Duration::ZERO))).await;
        let (server, http) = virtual_server_with(MockServer::builder().webhooks(WebhookTargets {
            post_call_url: Some(post_url),
            pre_call_url: Some(pre_url),
            ..WebhookTargets::default()
        }))
        .await;
        PreCallRun {
            server,
            http,
            pre,
            post,
        }
    }

    /// Creates a call that, once released, rings 1 s and talks 10 s, then ends; with the create's own
    /// `customer_id` and variables. Returns its id.
    async fn create(&self) -> String {
        queue(
            &self.http,
            json!({"status": "ended", "ring_ms": 1_000, "talk_ms": 10_000}),
        )
        .await;
        let from = account_number(&self.server);
        let created = created_as(
            &self.http,
            KEY,
            &json!({"from_number": from, "to_number": "+15550000031", "customer_id": "own",
                    "dynamic_variables": {"name": "Ada"}}),
        )
        .await;
        created["call_id"].as_str().unwrap().to_string()
    }

    fn pre_call_deliveries(&self) -> Vec<DeliveryAttempt> {
        self.server
            .webhook_deliveries()
            .into_iter()
            .filter(|d| d.kind == DeliveryKind::PreCall)
            .collect()
    }

    /// Each pre-call attempt as `(attempt, sent_at - T0, status, error)`.
    fn journal(&self) -> Vec<(u32, u64, Option<u16>, Option<String>)> {
        self.pre_call_deliveries()
            .into_iter()
            .map(|d| (d.attempt, d.sent_at - T0, d.status, d.error))
            .collect()
    }
}

/// A receiver answering every attempt at once with `status` and `body`.
fn answering(status: u16, body: Value) -> Script {
    let text = body.to_string();
    Arc::new(move |_, _| (status, text.clone(), Duration::ZERO))
}

/// The call goes ahead at once, as created (its own `customer_id` and variables), after one attempt whose
/// journal entry says why the reply was not used; it rings, talks and reports as any call.
async fn assert_goes_ahead_without_the_reply(run: &PreCallRun, id: &str, status: u16, why: &str) {
    run.server.send_due_webhooks().await;
    assert_eq!(got(&run.pre).len(), 1, "not retried");
    assert_eq!(
        run.journal(),
        [(
            1,
            0,
            Some(status),
            Some(format!(
                "{why}; the call goes ahead without the reply's values"
            ))
        )]
    );
    assert!(!run.pre_call_deliveries()[0].ok());
    advance(&run.http, 1_000).await;
    let call = get_call(&run.http, id).await;
    assert_eq!(call["call_status"], "ongoing", "it rings from the answer");
    assert_eq!(call["start_timestamp"], T0 + 1_000);
    assert_eq!(call["customer_id"], "own");
    assert_eq!(call["dynamic_variables"], json!({"name": "Ada"}));
    advance(&run.http, 10_000).await;
    let call = get_call(&run.http, id).await;
    assert_eq!(call["call_status"], "ended");
    let reports = got(&run.post);
    assert_eq!(reports.len(), 1);
    let reason = reports[0].body["disconnectionReason"].as_str().unwrap();
    assert_report_matches(&reports[0].body, &call, reason, T0);
    assert_eq!(reports[0].body["dynamicVariables"], json!({"name": "Ada"}));
}

#[tokio::test]
async fn a_200_without_dynamic_variables_lets_the_call_go_ahead_without_its_values() {
    let run = PreCallRun::start(answering(200, json!({"call": {"customer_id": "theirs"}}))).await;
    let id = run.create().await;
    assert_goes_ahead_without_the_reply(
        &run,
        &id,
        200,
        "the reply's \"call\" has no \"dynamic_variables\" object",
    )
    .await;
}

#[tokio::test]
async fn an_empty_object_lets_the_call_go_ahead_without_values() {
    let run = PreCallRun::start(answering(200, json!({}))).await;
    let id = run.create().await;
    assert_goes_ahead_without_the_reply(&run, &id, 200, "the reply has no \"call\" object").await;
}

#[tokio::test]
async fn a_customer_id_that_is_null_or_not_a_string_lets_the_call_go_ahead_without_the_reply_s_values()
 {
    for (customer_id, shown) in [(Value::Null, "null"), (json!(42), "42")] {
        let reply =
            json!({"call": {"customer_id": customer_id, "dynamic_variables": {"tier": "gold"}}});
        let run = PreCallRun::start(answering(200, reply)).await;
        let id = run.create().await;
        assert_goes_ahead_without_the_reply(
            &run,
            &id,
            200,
            &format!("the reply's \"customer_id\" is not a string: {shown}"),
        )
        .await;
    }
}

#[tokio::test]
async fn a_201_with_variables_lets_the_call_go_ahead_without_them() {
    let reply = json!({"call": {"customer_id": "theirs", "dynamic_variables": {"tier": "gold"}}});
    let run = PreCallRun::start(answering(201, reply)).await;
    let id = run.create().await;
    assert_goes_ahead_without_the_reply(&run, &id, 201, "answered 201, not 200").await;
}

#[tokio::test]
async fn a_500_then_a_good_reply_gives_the_call_the_reply_s_values_from_the_retry() {
    let good = json!({"call": {"customer_id": "theirs", "dynamic_variables": {"tier": "gold"}}});
    let good = good.to_string();
    let run = PreCallRun::start(Arc::new(move |n, _| match n {
        0 => (500, "down".into(), Duration::ZERO),
        _ => (200, good.clone(), Duration::ZERO),
    }))
    .await;
    let id = run.create().await;
    advance(&run.http, 999).await;
    assert_eq!(got(&run.pre).len(), 1);
    let call = get_call(&run.http, id.as_str()).await;
    assert_eq!(call["call_status"], "registered");
    assert_eq!(call["customer_id"], "own");
    advance(&run.http, 1).await;
    assert_eq!(
        run.journal(),
        [
            (
                1,
                0,
                Some(500),
                Some("answered 500, an HTTP error; retried 1 second later".into())
            ),
            (2, 1_000, Some(200), None),
        ]
    );
    let call = get_call(&run.http, id.as_str()).await;
    assert_eq!(call["call_status"], "registered");
    assert_eq!(call["customer_id"], "theirs");
    assert_eq!(
        call["dynamic_variables"],
        json!({"name": "Ada", "tier": "gold"})
    );
    advance(&run.http, 1_000).await;
    let call = get_call(&run.http, id.as_str()).await;
    assert_eq!(call["call_status"], "ongoing");
    assert_eq!(call["start_timestamp"], T0 + 2_000);
    advance(&run.http, 10_000).await;
    let call = get_call(&run.http, id.as_str()).await;
    assert_eq!(call["call_status"], "ended");
    let reports = got(&run.post);
    let reason = reports[0].body["disconnectionReason"].as_str().unwrap();
    assert_report_matches(&reports[0].body, &call, reason, T0);
    assert_eq!(reports[0].body["dynamicVariables"]["tier"], "gold");
}

#[tokio::test]
async fn a_body_that_is_not_json_fails_the_attempt_and_is_retried() {
    let run = PreCallRun::start(Arc::new(|n, _| match n {
        0 => (200, "OK".into(), Duration::ZERO),
        _ => (
            200,
            r#"{"call": {"dynamic_variables": {}}}"#.into(),
            Duration::ZERO,
        ),
    }))
    .await;
    let id = run.create().await;
    advance(&run.http, 1_000).await;
    let journal = run.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(
        (journal[1].0, journal[1].1, &journal[1].3),
        (2, 1_000, &None)
    );
    let why = journal[0].3.as_deref().unwrap();
    assert!(
        why.starts_with("the reply is not JSON (") && why.ends_with("); retried 1 second later"),
        "{why}"
    );
    assert_eq!(get_call(&run.http, &id).await["customer_id"], "own");
}

#[tokio::test]
async fn three_timeouts_take_the_clock_times_of_a_real_call_and_end_it() {
    // The receiver never answers within the vendor's 3 s: each attempt takes 3 s of the call's time, then
    // the delay (1 s, then 2 s) before the next.
    let run = PreCallRun::start(Arc::new(|_, _| (200, "{}".into(), Duration::from_secs(10)))).await;
    let id = run.create().await;
    advance(&run.http, 60_000).await;
    let no_answer = "no answer within 3000 ms";
    assert_eq!(
        run.journal(),
        [
            (
                1,
                0,
                None,
                Some(format!("{no_answer}; retried 1 second later"))
            ),
            (
                2,
                4_000,
                None,
                Some(format!("{no_answer}; retried 2 seconds later"))
            ),
            (
                3,
                9_000,
                None,
                Some(format!(
                    "{no_answer}; that was the last attempt: the call ends"
                ))
            ),
        ]
    );
    let call = get_call(&run.http, &id).await;
    assert_eq!(call["call_status"], "error");
    assert_eq!(call["start_timestamp"], T0 + 12_000);
    assert_eq!(call["end_timestamp"], T0 + 12_000);
    let reports = got(&run.post);
    assert_eq!(reports.len(), 1);
    assert_report_matches(&reports[0].body, &call, "system_error", T0);
    assert_eq!(reports[0].body["createdAt"], iso(T0));
    assert_eq!(reports[0].body["endedAt"], iso(T0 + 12_000));
    let post_sent = run
        .server
        .webhook_deliveries()
        .into_iter()
        .find(|d| d.kind == DeliveryKind::PostCall)
        .unwrap()
        .sent_at;
    assert_eq!(post_sent, T0 + 12_000);
}

#[tokio::test]
async fn a_reply_that_takes_2_5_s_lets_the_call_ring_2_5_s_later() {
    let reply = r#"{"call": {"customer_id": "theirs", "dynamic_variables": {}}}"#;
    let run = PreCallRun::start(Arc::new(move |_, _| {
        (200, reply.into(), Duration::from_millis(2_500))
    }))
    .await;
    let id = run.create().await;
    // An advance that ends before the answer's time leaves the call as created.
    advance(&run.http, 2_000).await;
    assert_eq!(run.journal(), [(1, 0, Some(200), None)]);
    let call = get_call(&run.http, &id).await;
    assert_eq!(call["call_status"], "registered");
    assert_eq!(call["customer_id"], "own", "the reply has not come yet");
    advance(&run.http, 500).await;
    assert_eq!(get_call(&run.http, &id).await["customer_id"], "theirs");
    advance(&run.http, 999).await;
    assert_eq!(get_call(&run.http, &id).await["call_status"], "registered");
    advance(&run.http, 1).await;
    let call = get_call(&run.http, &id).await;
    assert_eq!(call["call_status"], "ongoing");
    assert_eq!(
        call["start_timestamp"],
        T0 + 3_500,
        "2.5 s of pre-call, then 1 s ringing"
    );
}

#[tokio::test]
async fn created_at_is_when_the_call_was_initiated_whatever_its_end() {
    let (post_url, post) = receiver(Arc::new(|_, _| (200, "{}".into(), Duration::ZERO))).await;
    let (server, http) = virtual_server_with(
        MockServer::builder().webhooks(crate::helpers::webhooks::post_call_only(post_url)),
    )
    .await;
    let from = account_number(&server);
    queue(
        &http,
        json!([
            {"to_number": "+15550000041", "status": "ended", "ring_ms": 4_000, "talk_ms": 30_000},
            {"to_number": "+15550000042", "status": "error", "ring_ms": 3_000, "talk_ms": 5_000,
             "disconnection_reason": "dial_failed"},
            {"to_number": "+15550000043", "status": "error", "ring_ms": 25_000, "talk_ms": 0,
             "disconnection_reason": "dial_no_answer"},
        ]),
    )
    .await;
    let mut created = Vec::new();
    for (n, to) in ["+15550000041", "+15550000042", "+15550000043"]
        .into_iter()
        .enumerate()
    {
        // Created 10 s apart: at T0 + 10 s, + 20 s, + 30 s.
        advance(&http, 10_000).await;
        let call = created_as(&http, KEY, &json!({"from_number": from, "to_number": to})).await;
        created.push((
            call["call_id"].as_str().unwrap().to_string(),
            T0 + 10_000 * (n as u64 + 1),
        ));
    }
    advance(&http, 3_600_000).await;
    let reports = got(&post);
    assert_eq!(reports.len(), 3);
    for (id, created_ms) in &created {
        let report = &reports
            .iter()
            .find(|r| r.body["sessionId"] == id.as_str())
            .unwrap()
            .body;
        let call = get_call(&http, id).await;
        let reason = report["disconnectionReason"].as_str().unwrap();
        assert_report_matches(report, &call, reason, *created_ms);
    }
    let spans: Vec<(String, String, String)> = created
        .iter()
        .map(|(id, _)| {
            let report = &reports
                .iter()
                .find(|r| r.body["sessionId"] == id.as_str())
                .unwrap()
                .body;
            (
                report["disconnectionReason"].as_str().unwrap().to_string(),
                report["createdAt"].as_str().unwrap().to_string(),
                report["endedAt"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |ms: u64| iso(T0 + ms);
    assert_eq!(spans[0].1, at(10_000), "ended: created at the create");
    assert_eq!(spans[0].2, at(44_000));
    assert_eq!(
        (spans[1].0.as_str(), &spans[1].1, &spans[1].2),
        ("dial_failed", &at(20_000), &at(28_000))
    );
    assert_eq!(
        (spans[2].0.as_str(), &spans[2].1, &spans[2].2),
        ("dial_no_answer", &at(30_000), &at(55_000)),
        "an unanswered call spans its ringing"
    );
    // Sent again on demand, a created call's report still has its creation time.
    server.send_webhook(&created[2].0).await.unwrap();
    let again = got(&post);
    assert_eq!(again.len(), 4);
    assert_eq!(again[3].body["createdAt"], at(30_000));
}
