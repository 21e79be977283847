//! `create_request` and `create_errors`: what a client sends to create-phone-call, and what it does when the
//! create fails, against the scripted server (which keeps every request body).
//!
//! - `create_request`: for generated calls (E.164 numbers of every length, awkward `customer_id`s, nested
//!   `dynamic_variables`, optional fields present or not) exactly one `POST /v1/create-phone-call` whose body
//!   is the fields asked for, each unchanged, and nothing else; `Content-Type: application/json`;
//!   `Authorization: Bearer <key>`; the created call comes back.
//! - `create_errors`: a 400 and a 404 reach the caller as errors and are never retried; a 429 is retried after
//!   its `Retry-After` (it placed no call) unless the policy allows no retry; after a 500 or a dropped
//!   connection the call may have been placed, so a second POST may ring the phone twice: never retried unless
//!   the user opted in (`--retry-creates`). Every scenario is reported, pass or fail.

use std::cell::RefCell;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::client::harness::{Env, authorization_problem, fail, result_text};
use crate::client::properties::Scenarios;
use crate::client::properties::{received_text, scenario_text};
use crate::client::scripted::{Received, Reply};
use crate::client::under_test::{ClientError, ClientUnderTest, CreateCallParams, ErrorKind};
use crate::runner::{CaseError, Outcome, RunSettings, run_cases};

const PATH: &str = "/v1/create-phone-call";

/// The call id the scripted server gives every created call.
const CREATED_ID: &str = "ckitcreated00000000000001";

/// The 201 body for `params`: the documented fields, in the documented order.
pub(crate) fn created_body(params: &CreateCallParams) -> Value {
    let mut body = Map::new();
    body.insert("call_type".into(), json!("phonecall"));
    body.insert("from_number".into(), json!(params.from_number));
    body.insert("to_number".into(), json!(params.to_number));
    body.insert("direction".into(), json!("outbound"));
    body.insert("call_id".into(), json!(CREATED_ID));
    body.insert(
        "agent_id".into(),
        json!(
            params
                .override_agent_id
                .clone()
                .unwrap_or_else(|| "kitagent000000000000000a".into())
        ),
    );
    body.insert("call_status".into(), json!("registered"));
    if let Some(id) = &params.customer_id {
        body.insert("customer_id".into(), json!(id));
    }
    if let Some(vars) = &params.dynamic_variables {
        body.insert("dynamic_variables".into(), Value::Object(vars.clone()));
    }
    Value::Object(body)
}

/// An E.164 number: `+`, a digit 1-9, then 1 to 14 digits.
fn e164() -> impl Strategy<Value = String> {
    (1u8..=9, proptest::collection::vec(0u8..=9, 1..=14)).prop_map(|(first, rest)| {
        let digits: String = rest.iter().map(|d| char::from(b'0' + d)).collect();
        format!("+{first}{digits}")
    })
}

fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a+b c&d=e".to_string()),
        Just(" lead and trail ".to_string()),
        Just("ünïcødé 日本 😀".to_string()),
        Just("\"quoted\" \\ back/slash".to_string()),
        "[a-z0-9_-]{1,12}",
    ]
}

fn dynamic_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        awkward_text().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!(0.5)),
        Just(json!({"nested": {"list": [1, "two", null]}})),
    ]
}

fn create_params() -> impl Strategy<Value = CreateCallParams> {
    (
        e164(),
        e164(),
        proptest::option::of("[a-z0-9]{24}"),
        proptest::option::of(awkward_text()),
        proptest::option::of(proptest::collection::btree_map(
            "[a-z_]{1,8}",
            dynamic_value(),
            0..4,
        )),
    )
        .prop_map(
            |(from_number, to_number, override_agent_id, customer_id, vars)| CreateCallParams {
                from_number,
                to_number,
                override_agent_id,
                customer_id,
                dynamic_variables: vars.map(|v| v.into_iter().collect()),
            },
        )
}

/// The call the client was asked to create, as it was given (decoded JSON), for the `input:` line.
fn asked(params: &CreateCallParams) -> String {
    format!("create_call({})", params.to_json())
}

pub(crate) fn create_request(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    if let Some(skip) = unsupported(env, client) {
        return skip;
    }
    run_cases(settings, "create_request", create_params(), |params| {
        check_request(env, client, &params).map_err(|e| e.with_input(|| asked(&params)))
    })
}

/// Skipped when the client has no `create_call`: asked once with a call the server accepts.
fn unsupported(env: &Env<'_>, client: &RefCell<dyn ClientUnderTest + '_>) -> Option<Outcome> {
    let params = CreateCallParams {
        from_number: "+15550100".into(),
        to_number: "+15550101".into(),
        ..CreateCallParams::default()
    };
    let body = created_body(&params);
    env.scripted
        .script(Box::new(move |_, _| Reply::json(201, body.clone())));
    match client.borrow_mut().create_call(&params) {
        Err(e) if e.kind == ErrorKind::Unsupported => {
            Some(Outcome::Skipped("the client has no create_call".into()))
        }
        _ => None,
    }
}

fn check_request(
    env: &Env<'_>,
    client: &RefCell<dyn ClientUnderTest + '_>,
    params: &CreateCallParams,
) -> Result<(), CaseError> {
    let body = created_body(params);
    env.scripted
        .script(Box::new(move |_, _| Reply::json(201, body.clone())));
    let result = client.borrow_mut().create_call(params);
    let received = env.scripted.received();
    env.count(received.len());
    let expected = pretty(&params.to_json());
    let [request] = received.as_slice() else {
        return Err(fail(
            format!(
                "create_call sent {} requests for one call answered 201 (exactly one POST {PATH})",
                received.len()
            ),
            format!("POST {PATH}\n{expected}"),
            received_text(&received),
        ));
    };
    if request.method != "POST" || request.path().trim_end_matches('/') != PATH {
        return Err(fail(
            format!("create_call must POST {PATH}"),
            format!("POST {PATH}\n"),
            received_text(&received),
        ));
    }
    if let Some(problem) = auth_problem(request) {
        return Err(fail(
            format!("Authorization: Bearer must be on every request: {problem}"),
            format!("Authorization: Bearer {}\n", "$OPENMIC_API_KEY"),
            received_text(&received),
        ));
    }
    let content_type = request.header("content-type").unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(fail(
            "the body must be sent as Content-Type: application/json",
            "Content-Type: application/json\n",
            format!(
                "Content-Type: {}\n",
                if content_type.is_empty() {
                    "(none)"
                } else {
                    content_type
                }
            ),
        ));
    }
    let sent: Option<Value> = serde_json::from_slice(&request.body).ok();
    let Some(sent) = sent.filter(Value::is_object) else {
        return Err(fail(
            "the body must be a JSON object",
            expected,
            format!("{}\n", String::from_utf8_lossy(&request.body)),
        ));
    };
    if sent != params.to_json() {
        return Err(fail(
            body_rule(&params.to_json(), &sent),
            expected,
            pretty(&sent),
        ));
    }
    match &result {
        Ok(call) if call.get("call_id") == Some(&json!(CREATED_ID)) => Ok(()),
        _ => Err(fail(
            "create_call must return the created call (its call_id) when the server answers 201",
            format!("ok with call_id {CREATED_ID}\n"),
            format!("{}\n", result_text(&result)),
        )),
    }
}

/// One sentence on how the body differs: a number reformatted, a field missing, one not asked for, a value
/// changed.
fn body_rule(want: &Value, got: &Value) -> String {
    let (Some(want), Some(got)) = (want.as_object(), got.as_object()) else {
        return "the body must hold exactly the fields asked for".into();
    };
    for number in ["from_number", "to_number"] {
        if let (Some(w), Some(g)) = (want.get(number), got.get(number))
            && w != g
        {
            return format!(
                "{number} must be sent exactly as given (E.164, no reformatting): asked {w}, sent {g}"
            );
        }
    }
    if let Some(missing) = want.keys().find(|k| !got.contains_key(*k)) {
        return format!("the body lacks {missing}, which the client was asked to send");
    }
    if let Some(extra) = got.keys().find(|k| !want.contains_key(*k)) {
        return format!(
            "the body has {extra} = {}, which the client was not asked to send (only the fields asked for may be sent)",
            got[extra]
        );
    }
    match want.iter().find(|(k, v)| got.get(*k) != Some(v)) {
        Some((key, _)) => format!("{key} must be sent exactly as given"),
        None => "the body must hold exactly the fields asked for".into(),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Why a request the scripted server received is not authorized as `Bearer <key>`, if it is not.
pub(crate) fn auth_problem(request: &Received) -> Option<String> {
    authorization_problem(request.header("authorization"))
}

struct Scenario {
    name: &'static str,
    /// What the server answers, in turn; the last answer repeats.
    replies: Vec<Reply>,
    /// What the call must come to.
    want: Want,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// This kind of error, after exactly one request.
    ErrorNoRetry(ErrorKind),
    /// The created call, after a retry that waited `Retry-After` (1 s).
    RetriedAfterWait,
    /// This kind of error; a retry may place the call twice.
    ErrorNoRetryUnlessOptedIn(ErrorKind),
}

fn scenarios(params: &CreateCallParams) -> Vec<Scenario> {
    let created = Reply::json(201, created_body(params));
    vec![
        Scenario {
            name: "400 (the server refused the body)",
            replies: vec![Reply::json(
                400,
                json!({"error": "Invalid request format, please check API reference.", "message": "to_number: must be E.164"}),
            )],
            want: Want::ErrorNoRetry(ErrorKind::BadRequest),
        },
        Scenario {
            name: "404 (unknown override_agent_id)",
            replies: vec![Reply::json(
                404,
                json!({"error": "Bot with the specified override_agent_id was not found."}),
            )],
            want: Want::ErrorNoRetry(ErrorKind::NotFound),
        },
        Scenario {
            name: "429 with Retry-After: 1, then 201",
            replies: vec![
                Reply::Json {
                    status: 429,
                    body: json!({"error": "Too many requests", "retryAfter": 1}),
                    retry_after: Some(1),
                },
                created,
            ],
            want: Want::RetriedAfterWait,
        },
        Scenario {
            name: "500",
            replies: vec![Reply::json(500, json!({"error": "Internal server error"}))],
            want: Want::ErrorNoRetryUnlessOptedIn(ErrorKind::Server),
        },
        Scenario {
            name: "dropped connection",
            replies: vec![Reply::Drop],
            want: Want::ErrorNoRetryUnlessOptedIn(ErrorKind::Transport),
        },
    ]
}

pub(crate) fn create_errors(
    env: &Env<'_>,
    _settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    if let Some(skip) = unsupported(env, client) {
        return skip;
    }
    let params = CreateCallParams {
        from_number: "+15550100".into(),
        to_number: "+15550123".into(),
        customer_id: Some("kit-create-errors".into()),
        ..CreateCallParams::default()
    };
    let all = scenarios(&params);
    let mut scenarios = Scenarios::default();
    for scenario in &all {
        let replies = scenario.replies.clone();
        env.scripted.script(Box::new(move |_, before| {
            replies[before.len().min(replies.len() - 1)].clone()
        }));
        let result = client.borrow_mut().create_call(&params);
        let received = env.scripted.received();
        env.count(received.len());
        let checked = check_scenario(env, scenario, &result, &received)
            .map(|note| env.note(format!("{}: {note}", scenario.name)));
        if !scenarios.record(scenario.name, checked) {
            return Outcome::Skipped("no budget".into());
        }
    }
    scenarios.outcome(all.len())
}

fn check_scenario(
    env: &Env<'_>,
    scenario: &Scenario,
    result: &Result<Value, ClientError>,
    received: &[Received],
) -> Result<String, CaseError> {
    let name = scenario.name;
    let got = || scenario_text(result, received);
    let posts = received.len();
    match scenario.want {
        Want::ErrorNoRetry(kind) => {
            if posts > 1 {
                return Err(fail(
                    format!(
                        "{name}: retried {} times; a {} is never retried (the same body gets the same answer)",
                        posts - 1,
                        kind
                    ),
                    format!("error of kind {kind}, one request\n"),
                    got(),
                ));
            }
            expect_error(name, kind, result, posts, got)?;
            Ok(format!("{kind}, no retry"))
        }
        Want::ErrorNoRetryUnlessOptedIn(kind) => {
            let allowed = if env.retry_creates {
                1 + env.max_retries
            } else {
                1
            };
            if posts > allowed {
                let rule = if env.retry_creates {
                    format!(
                        "{name}: retried the create {} times, more than --max-retries {} allows",
                        posts - 1,
                        env.max_retries
                    )
                } else {
                    format!(
                        "{name}: retried the create, which may place the call twice (the first POST may have reached the server before the {}); pass --retry-creates if the client makes that safe",
                        if kind == ErrorKind::Transport {
                            "connection dropped"
                        } else {
                            "error"
                        }
                    )
                };
                return Err(fail(
                    rule,
                    format!("error of kind {kind}, one request\n"),
                    got(),
                ));
            }
            expect_error(name, kind, result, posts, got)?;
            Ok(match posts {
                1 => format!("{kind}, no retry"),
                n => format!("{kind} after {} retries (--retry-creates)", n - 1),
            })
        }
        Want::RetriedAfterWait => {
            if env.max_retries == 0 {
                expect_error(name, ErrorKind::RateLimited, result, posts, got)?;
                return Ok("rate_limited, no retry (--max-retries 0)".into());
            }
            if let [first, second, ..] = received {
                let waited = second.at.duration_since(first.at);
                if waited < Duration::from_millis(990) {
                    return Err(fail(
                        format!(
                            "{name}: retried after {} ms, before the Retry-After of 1 s",
                            waited.as_millis()
                        ),
                        "a retry 1 s after the 429, then the created call\n",
                        got(),
                    ));
                }
            }
            if posts > 2 {
                return Err(fail(
                    format!(
                        "{name}: sent {posts} requests; after the 201 the call is created, nothing more may be sent"
                    ),
                    "a retry 1 s after the 429, then the created call\n",
                    got(),
                ));
            }
            match result {
                Ok(call) if call.get("call_id") == Some(&json!(CREATED_ID)) => {
                    Ok("created after one retry that waited Retry-After".into())
                }
                _ => Err(fail(
                    format!(
                        "{name}: gave up on a 429 (it placed no call: retry it after Retry-After, within --max-retries {})",
                        env.max_retries
                    ),
                    "a retry 1 s after the 429, then the created call\n",
                    got(),
                )),
            }
        }
    }
}

fn expect_error(
    name: &str,
    kind: ErrorKind,
    result: &Result<Value, ClientError>,
    posts: usize,
    got: impl Fn() -> String,
) -> Result<(), CaseError> {
    if posts == 0 {
        return Err(fail(
            format!("{name}: create_call sent no request"),
            format!("error of kind {kind}, one request\n"),
            got(),
        ));
    }
    match result {
        Err(error) if error.kind == kind => Ok(()),
        Err(error) => Err(fail(
            format!(
                "{name}: must be an error of kind {kind}, not {}",
                error.kind
            ),
            format!("error of kind {kind}\n"),
            got(),
        )),
        Ok(_) => Err(fail(
            format!("{name}: must be an error of kind {kind}, not a result"),
            format!("error of kind {kind}\n"),
            got(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    #[test]
    fn a_body_that_differs_is_told_in_one_sentence_for_its_first_difference() {
        let want = serde_json::json!({"from_number": "+15550100", "to_number": "+15550101", "customer_id": "a"});
        let with = |change: &dyn Fn(&mut Value)| {
            let mut got = want.clone();
            change(&mut got);
            body_rule(&want, &got)
        };
        assert_eq!(
            with(&|g| g["to_number"] = "15550101".into()),
            "to_number must be sent exactly as given (E.164, no reformatting): asked \"+15550101\", sent \"15550101\""
        );
        assert_eq!(
            with(&|g| {
                g.as_object_mut().unwrap().remove("customer_id");
            }),
            "the body lacks customer_id, which the client was asked to send"
        );
        assert_eq!(
            with(&|g| g["callback_url"] = Value::Null),
            "the body has callback_url = null, which the client was not asked to send (only the fields asked for may be sent)"
        );
        assert_eq!(
            with(&|g| g["customer_id"] = "b".into()),
            "customer_id must be sent exactly as given"
        );
        assert_eq!(
            body_rule(&want, &serde_json::json!([])),
            "the body must hold exactly the fields asked for"
        );
    }

    #[test]
    fn a_body_is_shown_pretty_with_a_closing_newline() {
        assert_eq!(
            pretty(&serde_json::json!({"to_number": "+15550101"})),
            "{\n  \"to_number\": \"+15550101\"\n}\n"
        );
    }

    #[test]
    fn the_numbers_a_client_is_given_are_e164_of_every_length() {
        let mut runner = TestRunner::deterministic();
        let mut lengths = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let number = e164().new_tree(&mut runner).unwrap().current();
            assert!(openmic_fixtures::is_e164(&number), "{number}");
            lengths.insert(number.len());
        }
        assert_eq!(lengths, (3..=16).collect(), "+, 2 to 15 digits");
    }
}
