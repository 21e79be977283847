//! Webhook receivers for the webhook tests, each a small HTTP server on a free port that answers as a script
//! says and keeps what it got; and the checks of what the mock sends them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use openmic_mock::WebhookTargets;
use serde_json::{Value, json};

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Bytes,
}

/// How a receiver answers its `n`th request (from 0): status, body, and a delay before answering.
pub type Script = Arc<dyn Fn(usize, &Value) -> (u16, String, Duration) + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Script,
    /// Requests being answered now, and the most at once.
    busy: Arc<AtomicUsize>,
    most_busy: Arc<AtomicUsize>,
}

/// A receiver on a free port; its URL is `http://ADDR/hook`.
pub async fn receiver(script: Script) -> (String, Arc<Mutex<Vec<Got>>>) {
    let (url, got, _) = receiver_counting(script).await;
    (url, got)
}

/// [`receiver`], and the most requests it was answering at once.
pub async fn receiver_counting(script: Script) -> (String, Arc<Mutex<Vec<Got>>>, Arc<AtomicUsize>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let most_busy = Arc::new(AtomicUsize::new(0));
    let state = Receiver {
        got: got.clone(),
        script,
        busy: Arc::new(AtomicUsize::new(0)),
        most_busy: most_busy.clone(),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), got, most_busy)
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    raw: Bytes,
) -> impl IntoResponse {
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let n = {
        let mut got = receiver.got.lock().unwrap();
        got.push(Got {
            headers,
            body: body.clone(),
            raw,
        });
        got.len() - 1
    };
    let (status, reply, delay) = (receiver.script)(n, &body);
    receiver.busy.fetch_add(1, Ordering::SeqCst);
    receiver
        .most_busy
        .fetch_max(receiver.busy.load(Ordering::SeqCst), Ordering::SeqCst);
    tokio::time::sleep(delay).await;
    receiver.busy.fetch_sub(1, Ordering::SeqCst);
    let status = StatusCode::from_u16(status).unwrap();
    // A redirect's body is where it points.
    if status.is_redirection() {
        return (status, [("location", reply)], String::new()).into_response();
    }
    (status, reply).into_response()
}

/// Post-call reports to `url`, and no pre-call webhook.
pub fn post_call_only(url: impl Into<String>) -> WebhookTargets {
    WebhookTargets {
        post_call_url: Some(url.into()),
        ..WebhookTargets::default()
    }
}

/// A receiver answering every request at once with 200 and `{}`.
pub fn ok_receiver() -> Script {
    Arc::new(|_, _| (200, "{}".to_string(), Duration::ZERO))
}

/// A pre-call receiver answering every attempt with `reply`.
pub fn pre_call_replying(reply: Value) -> Script {
    Arc::new(move |_, _| (200, reply.to_string(), Duration::ZERO))
}

/// What a receiver has got so far, in order.
pub fn got(list: &Arc<Mutex<Vec<Got>>>) -> Vec<Got> {
    list.lock().unwrap().clone()
}

/// `ms` as the report's ISO 8601 form, computed independently of the mock's own formatter.
pub fn iso(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86_400);
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Checks a post-call report against the call as Get Call serves it, field for field; `created_ms` is when the
/// call was initiated (a created call's create, on the clock), `createdAt` in the report.
pub fn assert_report_matches(report: &Value, call: &Value, reason: &str, created_ms: u64) {
    assert_eq!(report["type"], "end-of-call-report");
    assert_eq!(report["sessionId"], call["call_id"]);
    assert_eq!(report["toPhoneNumber"], call["to_number"]);
    assert_eq!(report["fromPhoneNumber"], call["from_number"]);
    assert_eq!(report["callType"], call["call_type"]);
    assert_eq!(report["direction"], call["direction"]);
    assert_eq!(report["disconnectionReason"], reason);
    let start = call["start_timestamp"].as_u64().unwrap();
    let end = call["end_timestamp"].as_u64().unwrap();
    assert_eq!(report["createdAt"], iso(created_ms));
    assert!(created_ms <= start, "a call is initiated before it starts");
    assert_eq!(report["endedAt"], iso(end));
    let dynamic = if call["dynamic_variables"].is_null() {
        json!({})
    } else {
        call["dynamic_variables"].clone()
    };
    assert_eq!(report["dynamicVariables"], dynamic);
    let object = report.as_object().unwrap();
    if call["call_status"] == "error" {
        assert_eq!(report["transcript"], json!([]));
        assert_eq!(report["summary"], format!("Call failed: {reason}"));
        for absent in [
            "isSuccessful",
            "successEvaluation",
            "extractedData",
            "callDuration",
            "callPickup",
            "sessionType",
        ] {
            assert!(!object.contains_key(absent), "{absent} in {report}");
        }
        assert_eq!(object.len(), 12, "{report}");
    } else {
        assert_eq!(call["call_status"], "ended");
        assert_eq!(report["transcript"], call["transcript"]);
        let analysis = &call["call_analysis"];
        assert_eq!(report["summary"], analysis["summary"]);
        assert_eq!(report["isSuccessful"], analysis["is_successful"]);
        assert_eq!(report["successEvaluation"], true);
        assert_eq!(report["extractedData"], analysis["extracted_data"]);
        assert!(object.contains_key("extractedData"));
        assert_eq!(report["callPickup"], "yes");
        assert_eq!(report["sessionType"], "voice");
        let ms = call["duration_ms"].as_u64().unwrap();
        assert_eq!(
            report["callDuration"],
            format!(
                "{}:{:02}:{:02}.{:03}000",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        );
        assert_eq!(object.len(), 18, "{report}");
    }
}

/// Asserts the headers the vendor sends with every webhook request.
pub fn assert_vendor_headers(got: &Got) {
    assert_eq!(got.headers["content-type"], "application/json");
    assert_eq!(got.headers["user-agent"], "Openmic-Webhook/1.0");
}
