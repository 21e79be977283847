//! `wait_for_end`: a client following a call to its end, against the scripted server. `GET /v1/call/{id}`
//! answers `registered`, then `ongoing`, then `ended` (or `error`); the client must return the final call,
//! stop polling there, and never poll more often than the minimum interval it was given. A call that stays
//! `ongoing` must end in a `deadline` error once the client's timeout has passed: the kit ends the call itself
//! a little later, so a client that ignores its deadline is reported, not hung on. A 404 is an error at once.

use std::cell::RefCell;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::harness::{Env, fail};
use crate::client::properties::Scenarios;
use crate::client::properties::create::auth_problem;
use crate::client::properties::scenario_text;
use crate::client::scripted::{Received, Reply};
use crate::client::under_test::{ClientError, ClientUnderTest, ErrorKind, WaitParams};
use crate::runner::{CaseError, Outcome, RunSettings};

/// The call the client is asked to follow.
const CALL_ID: &str = "ckitpolled000000000000001";

/// What the client is given: short, so the property takes seconds.
const WAIT: WaitParams = WaitParams {
    min_interval: Duration::from_millis(200),
    timeout: Duration::from_millis(1500),
};

/// How much sooner than the minimum interval a poll may arrive (timer and scheduling jitter).
const JITTER: Duration = Duration::from_millis(15);

/// How long past its deadline (and one more interval) a client may still poll before the kit ends the call.
const GRACE: Duration = Duration::from_millis(700);

fn call(status: &str) -> Value {
    json!({
        "call_id": CALL_ID,
        "call_type": "phonecall",
        "from_number": "+15550100",
        "to_number": "+15550199",
        "direction": "outbound",
        "agent_id": "kitagent000000000000000a",
        "call_status": status,
    })
}

#[derive(Clone, Copy)]
enum Script {
    /// These statuses in turn; the last repeats.
    Statuses(&'static [&'static str]),
    /// `ongoing` until the deadline and the grace have passed since the first poll, then `ended`.
    StaysOngoing,
    /// 404.
    NotFound,
}

struct Scenario {
    name: &'static str,
    script: Script,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "registered, ongoing, ongoing, ended",
        script: Script::Statuses(&["registered", "ongoing", "ongoing", "ended"]),
    },
    Scenario {
        name: "registered, ongoing, error",
        script: Script::Statuses(&["registered", "ongoing", "error"]),
    },
    Scenario {
        name: "ongoing past the deadline of 1.5 s",
        script: Script::StaysOngoing,
    },
    Scenario {
        name: "404 (no such call)",
        script: Script::NotFound,
    },
];

pub(crate) fn wait_for_end(
    env: &Env<'_>,
    _settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    let mut scenarios = Scenarios::default();
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        let first: Mutex<Option<Instant>> = Mutex::new(None);
        let script = scenario.script;
        env.scripted.script(Box::new(move |_, before| {
            let started = *first
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert_with(Instant::now);
            match script {
                // A client that does not stop at the last status gets a 404 a few polls later, so it returns.
                Script::Statuses(statuses) if before.len() >= statuses.len() + 3 => Reply::json(
                    404,
                    json!({"error": "Call not found", "message": "No call with this call_id"}),
                ),
                Script::Statuses(statuses) => {
                    Reply::json(200, call(statuses[before.len().min(statuses.len() - 1)]))
                }
                Script::StaysOngoing
                    if started.elapsed() > WAIT.timeout + WAIT.min_interval + GRACE =>
                {
                    Reply::json(200, call("ended"))
                }
                Script::StaysOngoing => Reply::json(200, call("ongoing")),
                Script::NotFound => Reply::json(
                    404,
                    json!({"error": "Call not found", "message": "No call with this call_id"}),
                ),
            }
        }));
        let result = client.borrow_mut().wait_for_end(CALL_ID, &WAIT);
        let received = env.scripted.received();
        env.count(received.len());
        if i == 0
            && let Err(e) = &result
            && e.kind == ErrorKind::Unsupported
        {
            return Outcome::Skipped("the client has no wait_for_end".into());
        }
        let checked = check(scenario, &result, &received)
            .map(|note| env.note(format!("{}: {note}", scenario.name)));
        if !scenarios.record(scenario.name, checked) {
            return Outcome::Skipped("no budget".into());
        }
    }
    scenarios.outcome(SCENARIOS.len())
}

fn check(
    scenario: &Scenario,
    result: &Result<Value, ClientError>,
    received: &[Received],
) -> Result<String, CaseError> {
    let name = scenario.name;
    let got = || scenario_text(result, received);
    let path = format!("/v1/call/{CALL_ID}");
    if received.is_empty() {
        return Err(fail(
            format!("{name}: wait_for_end sent no request"),
            format!("GET {path}, repeated\n"),
            got(),
        ));
    }
    for request in received {
        if request.method != "GET" || request.path().trim_end_matches('/') != path {
            return Err(fail(
                format!("{name}: wait_for_end must poll GET {path}"),
                format!("GET {path}, repeated\n"),
                got(),
            ));
        }
        if let Some(problem) = auth_problem(request) {
            return Err(fail(
                format!("{name}: Authorization: Bearer must be on every poll: {problem}"),
                "Authorization: Bearer $OPENMIC_API_KEY\n",
                got(),
            ));
        }
    }
    if let Some(gap) = received
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .find(|gap| *gap + JITTER < WAIT.min_interval)
    {
        return Err(fail(
            format!(
                "{name}: polled {} ms after the previous poll, under the minimum interval of {} ms it was given",
                gap.as_millis(),
                WAIT.min_interval.as_millis()
            ),
            format!(
                "polls at least {} ms apart\n",
                WAIT.min_interval.as_millis()
            ),
            got(),
        ));
    }
    let polls = received.len();
    match scenario.script {
        Script::Statuses(statuses) => {
            let last = statuses[statuses.len() - 1];
            if polls > statuses.len() {
                return Err(fail(
                    format!(
                        "{name}: kept polling after the call was {last} ({polls} polls, {} needed)",
                        statuses.len()
                    ),
                    format!("{} polls\n", statuses.len()),
                    got(),
                ));
            }
            let returned = result
                .as_ref()
                .ok()
                .and_then(|c| c.get("call_status"))
                .and_then(Value::as_str);
            if returned != Some(last) {
                return Err(fail(
                    format!("{name}: must return the call once its call_status is {last}"),
                    format!("ok with call_status {last}\n"),
                    got(),
                ));
            }
            Ok(format!("{last} after {polls} polls"))
        }
        Script::StaysOngoing => {
            let span = received[polls - 1].at.duration_since(received[0].at);
            if span > WAIT.timeout + WAIT.min_interval + GRACE {
                return Err(fail(
                    format!(
                        "{name}: still polling {:.1} s after the first poll, past its deadline of {:.1} s (the kit ended the call to stop it)",
                        span.as_secs_f64(),
                        WAIT.timeout.as_secs_f64()
                    ),
                    "error of kind deadline once the deadline has passed\n",
                    got(),
                ));
            }
            match result {
                Err(e) if e.kind == ErrorKind::Deadline => {
                    Ok(format!("deadline after {polls} polls"))
                }
                Ok(_) => Err(fail(
                    format!("{name}: returned a call that is still ongoing, as if it had ended"),
                    "error of kind deadline\n",
                    got(),
                )),
                Err(e) => Err(fail(
                    format!("{name}: must be an error of kind deadline, not {}", e.kind),
                    "error of kind deadline\n",
                    got(),
                )),
            }
        }
        Script::NotFound => {
            if polls > 1 {
                return Err(fail(
                    format!(
                        "{name}: polled {polls} times; a 404 is an error at once, never retried"
                    ),
                    "error of kind not_found, one request\n",
                    got(),
                ));
            }
            match result {
                Err(e) if e.kind == ErrorKind::NotFound => Ok("not_found, no retry".into()),
                _ => Err(fail(
                    format!("{name}: must be an error of kind not_found"),
                    "error of kind not_found\n",
                    got(),
                )),
            }
        }
    }
}
