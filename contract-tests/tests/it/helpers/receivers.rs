//! Webhook receivers for the kit's own tests, each a wiremock server at `/hook`: a correct, strict one that
//! checks every payload against the vendor's documented shape (written here from the documentation, sharing
//! nothing with the kit's generator), and broken ones that each get one thing wrong.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use openmic_contract::webhook::{
    WebhookKind, WebhookReport, WebhookSuiteConfig, run_webhook_properties,
};

/// The path every receiver here listens on.
pub const HOOK_PATH: &str = "/hook";

/// The 13 documented disconnection reasons, copied from the vendor's page.
pub const REASONS: [&str; 13] = [
    "user_ended_call",
    "agent_ended_call",
    "call_completed",
    "dial_failed",
    "dial_no_answer",
    "dial_busy",
    "network_error",
    "agent_error",
    "timeout",
    "system_error",
    "transferred_to_human",
    "transferred_to_external",
    "voicemail",
];

/// The keys a post-call report may leave out, copied from the vendor's page.
pub const OPTIONAL_REPORT_KEYS: [&str; 7] = [
    "callDuration",
    "callPickup",
    "sessionType",
    "summary",
    "isSuccessful",
    "successEvaluation",
    "extractedData",
];

/// A JSON string holding an E.164 number, by the one rule of `openmic_fixtures`.
fn is_e164(value: &Value) -> bool {
    value.as_str().is_some_and(openmic_fixtures::is_e164)
}

/// `2025-08-04T13:44:26.604Z`.
fn is_iso_ms(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        b.len() == 24
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'.',
                23 => *c == b'Z',
                _ => c.is_ascii_digit(),
            })
    })
}

/// `0:00:45.723362`: hours, then minutes and seconds under 60, six decimals.
fn is_call_duration(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        let Some((hours, rest)) = s.split_once(':') else {
            return false;
        };
        let parts: Vec<&str> = rest.split([':', '.']).collect();
        !hours.is_empty()
            && hours.bytes().all(|b| b.is_ascii_digit())
            && parts.len() == 3
            && parts[0].len() == 2
            && parts[1].len() == 2
            && parts[2].len() == 6
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && parts[0] < "60"
            && parts[1] < "60"
    })
}

/// A CUID: `c` and 24 lowercase letters or digits.
fn is_cuid(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 25
            && s.starts_with('c')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// What is wrong with a post-call report, by the documented table; `None` when nothing is.
pub fn report_problem(report: &Value) -> Option<String> {
    let Some(object) = report.as_object() else {
        return Some("not an object".into());
    };
    let required = [
        "type",
        "sessionId",
        "toPhoneNumber",
        "fromPhoneNumber",
        "callType",
        "disconnectionReason",
        "direction",
        "createdAt",
        "endedAt",
        "transcript",
        "dynamicVariables",
    ];
    let optional = OPTIONAL_REPORT_KEYS;
    for key in required {
        if !object.contains_key(key) {
            return Some(format!("missing {key}"));
        }
    }
    if let Some(key) = object
        .keys()
        .find(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
    {
        return Some(format!("undocumented key {key}"));
    }
    let checks: [(&str, bool); 14] = [
        ("type", report["type"] == "end-of-call-report"),
        ("sessionId", is_cuid(&report["sessionId"])),
        ("toPhoneNumber", is_e164(&report["toPhoneNumber"])),
        ("fromPhoneNumber", is_e164(&report["fromPhoneNumber"])),
        (
            "callType",
            report["callType"] == "phonecall" || report["callType"] == "webcall",
        ),
        (
            "disconnectionReason",
            REASONS.iter().any(|r| report["disconnectionReason"] == *r),
        ),
        (
            "direction",
            report["direction"] == "inbound" || report["direction"] == "outbound",
        ),
        ("createdAt", is_iso_ms(&report["createdAt"])),
        (
            "endedAt",
            is_iso_ms(&report["endedAt"])
                && report["endedAt"].as_str() >= report["createdAt"].as_str(),
        ),
        (
            "transcript",
            report["transcript"].as_array().is_some_and(|turns| {
                turns.iter().all(|t| {
                    t.as_array().is_some_and(|pair| {
                        pair.len() == 2
                            && ["assistant", "user", "system"]
                                .iter()
                                .any(|s| pair[0] == *s)
                            && pair[1].is_string()
                    })
                })
            }),
        ),
        ("dynamicVariables", report["dynamicVariables"].is_object()),
        (
            "callDuration",
            object.get("callDuration").is_none_or(is_call_duration),
        ),
        (
            "isSuccessful/successEvaluation",
            ["isSuccessful", "successEvaluation"]
                .iter()
                .all(|k| object.get(*k).is_none_or(Value::is_boolean)),
        ),
        (
            "summary/callPickup/sessionType/extractedData",
            ["summary", "callPickup", "sessionType"]
                .iter()
                .all(|k| object.get(*k).is_none_or(Value::is_string))
                && object
                    .get("extractedData")
                    .is_none_or(|v| v.is_object() || v.is_null()),
        ),
    ];
    checks
        .iter()
        .find(|(_, ok)| !ok)
        .map(|(key, _)| format!("bad {key}"))
}

/// What is wrong with a pre-call request; `None` when nothing is.
pub fn pre_call_problem(request: &Value) -> Option<String> {
    let Some(call) = request.get("call").and_then(Value::as_object) else {
        return Some("no call object".into());
    };
    if request.as_object().map(|o| o.len()) != Some(2) || request["event"] != "call" {
        return Some("bad envelope".into());
    }
    let mut keys: Vec<&str> = call.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["attempt", "bot_id", "direction", "from_number", "to_number"] {
        return Some(format!("keys {keys:?}"));
    }
    let ok = ["1", "2", "3"].iter().any(|a| call["attempt"] == *a)
        && (call["direction"] == "inbound" || call["direction"] == "outbound")
        && is_cuid(&call["bot_id"])
        && is_e164(&call["from_number"])
        && is_e164(&call["to_number"]);
    (!ok).then(|| format!("bad call {call:?}"))
}

/// A documented, valid pre-call reply.
pub fn good_reply() -> Value {
    json!({"call": {"customer_id": "cus_42", "dynamic_variables": {"customer_name": "Zoë", "tier": 2}}})
}

/// What a correct receiver answers: 415/403 for a wrong Content-Type or User-Agent, 422 for a payload
/// that breaks the documented shape, else 200 (with a valid reply for pre-call).
pub fn correct(request: &Request) -> ResponseTemplate {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if header("content-type").as_deref() != Some("application/json") {
        return ResponseTemplate::new(415);
    }
    if header("user-agent").as_deref() != Some("Openmic-Webhook/1.0") {
        return ResponseTemplate::new(403);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return ResponseTemplate::new(400).set_body_string("not JSON");
    };
    if body.get("event").is_some() {
        return match pre_call_problem(&body) {
            None => ResponseTemplate::new(200).set_body_json(good_reply()),
            Some(why) => ResponseTemplate::new(422).set_body_string(why),
        };
    }
    match report_problem(&body) {
        None => ResponseTemplate::new(204),
        Some(why) => ResponseTemplate::new(422).set_body_string(why),
    }
}

/// The request's JSON body (`Null` when it is not JSON).
pub fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

/// Whether a request is a pre-call one.
pub fn is_pre_call(body: &Value) -> bool {
    body.get("event").is_some()
}

/// A receiver answering with `respond`.
pub struct Receiver<F>(pub F);

impl<F> Respond for Receiver<F>
where
    F: Fn(&Request) -> ResponseTemplate + Send + Sync,
{
    fn respond(&self, request: &Request) -> ResponseTemplate {
        (self.0)(request)
    }
}

/// The correct receiver, except that it rejects a `sessionId` it has seen before with 409 (a unique key).
#[derive(Default)]
pub struct RejectsRepeatedSession {
    seen: Mutex<BTreeSet<String>>,
}

impl Respond for RejectsRepeatedSession {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = json_body(request);
        if let Some(id) = body["sessionId"].as_str()
            && !self.seen.lock().unwrap().insert(id.to_string())
        {
            return ResponseTemplate::new(409)
                .set_body_string("duplicate key value violates unique constraint");
        }
        correct(request)
    }
}

/// A wiremock server at a free port whose `POST /hook` answers with `responder`.
pub fn start(rt: &tokio::runtime::Runtime, responder: impl Respond + 'static) -> MockServer {
    rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(HOOK_PATH))
            .respond_with(responder)
            .mount(&server)
            .await;
        server
    })
}

/// The receiver's URL.
pub fn hook_url(server: &MockServer) -> String {
    format!("{}{HOOK_PATH}", server.uri())
}

/// The seed of the self-tests.
pub const SEED: u64 = 4_242;

/// Runs the kit against `server` with the self-tests' settings (seed [`SEED`], 12 cases, 1 s timeouts,
/// 5 s of shrinking), then `tweak`.
pub fn check(
    server: &MockServer,
    kind: WebhookKind,
    tweak: impl FnOnce(&mut WebhookSuiteConfig),
) -> (WebhookReport, String) {
    let mut config = WebhookSuiteConfig::new(kind);
    config.seed = SEED;
    config.cases = 12;
    config.post_call_timeout = Duration::from_secs(1);
    config.pre_call_timeout = Duration::from_secs(1);
    config.shrink_time = Duration::from_secs(5);
    tweak(&mut config);
    let mut out = Vec::new();
    let report = run_webhook_properties(&hook_url(server), &config, &mut out).unwrap();
    (report, String::from_utf8(out).unwrap())
}

/// Every request the server got, as JSON.
pub fn received(rt: &tokio::runtime::Runtime, server: &MockServer) -> Vec<Request> {
    rt.block_on(server.received_requests()).unwrap()
}
