//! `errors`: 401, 400, 404, 429 (with `Retry-After`), 500, a dropped connection and a cut body map to the
//! right [`ErrorKind`]; retries are allowed up to the policy the user stated (`--max-retries`, by default
//! [`DEFAULT_MAX_RETRIES`](crate::client::DEFAULT_MAX_RETRIES)), a 429 only after its `Retry-After`, and noted.
//! The scenarios are fixed, not generated: each is one fault the mock is told to serve. Every scenario runs
//! and is reported, pass or fail, even after one has failed: a retry bound broken on the 429 says nothing of
//! what the client does on a 500.

use std::cell::RefCell;
use std::time::Duration;

use openmic_mock::{Fault, ReceivedRequest};

use crate::client::harness::{CLIENT_KEY, Env, check_auth, fail, journal_text, result_text};
use crate::client::properties::Scenarios;
use crate::client::under_test::{ClientError, ClientParams, ClientUnderTest, ErrorKind};
use crate::runner::{CaseError, Outcome, RunSettings};

enum Op {
    List(Box<ClientParams>),
    Get(&'static str),
}

struct Scenario {
    name: &'static str,
    status: Option<u16>,
    kind: ErrorKind,
    op: Op,
    /// Faults queued before the operation: enough that a client retrying within bounds still sees the error.
    faults: Vec<Fault>,
    revoke_key: bool,
}

fn scenarios(max_retries: usize) -> Vec<Scenario> {
    let page = || {
        Op::List(Box::new(ClientParams {
            limit: Some(5),
            ..ClientParams::default()
        }))
    };
    let repeated = |fault: Fault| vec![fault; max_retries + 1];
    vec![
        Scenario {
            name: "401 (unknown key)",
            status: Some(401),
            kind: ErrorKind::Unauthorized,
            op: page(),
            faults: Vec::new(),
            revoke_key: true,
        },
        Scenario {
            name: "400 (from_date=yesterday)",
            status: Some(400),
            kind: ErrorKind::BadRequest,
            op: Op::List(Box::new(ClientParams {
                from_date: Some("yesterday".into()),
                ..ClientParams::default()
            })),
            faults: Vec::new(),
            revoke_key: false,
        },
        Scenario {
            name: "404 (unknown call id)",
            status: Some(404),
            kind: ErrorKind::NotFound,
            op: Op::Get("kit-no-such-call"),
            faults: Vec::new(),
            revoke_key: false,
        },
        Scenario {
            name: "429 with Retry-After: 1",
            status: Some(429),
            kind: ErrorKind::RateLimited,
            op: page(),
            faults: repeated(Fault::Status {
                status: 429,
                retry_after: Some(1),
            }),
            revoke_key: false,
        },
        Scenario {
            name: "500",
            status: Some(500),
            kind: ErrorKind::Server,
            op: page(),
            faults: repeated(Fault::Status {
                status: 500,
                retry_after: None,
            }),
            revoke_key: false,
        },
        Scenario {
            name: "dropped connection",
            status: None,
            kind: ErrorKind::Transport,
            op: page(),
            faults: repeated(Fault::Reset),
            revoke_key: false,
        },
        Scenario {
            name: "cut body (a 200 whose JSON ends early)",
            status: None,
            kind: ErrorKind::Other,
            op: page(),
            faults: repeated(Fault::Malformed),
            revoke_key: false,
        },
    ]
}

pub(crate) fn errors(
    env: &Env<'_>,
    _settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    let all = scenarios(env.max_retries);
    let mut scenarios = Scenarios::default();
    for scenario in &all {
        env.server.clear_faults();
        for fault in &scenario.faults {
            env.server.push_fault(*fault);
        }
        if scenario.revoke_key {
            env.server.remove_tenant(CLIENT_KEY);
        }
        env.begin();
        let result = match &scenario.op {
            Op::List(params) => client.borrow_mut().list_calls(params).map(|_| ()),
            Op::Get(id) => client.borrow_mut().get_call(id).map(|_| ()),
        };
        let journal = env.take_journal();
        env.server.clear_faults();
        if scenario.revoke_key {
            env.restore_key();
        }
        if !scenarios.record(
            scenario.name,
            check_scenario(env, scenario, &result, &journal),
        ) {
            return Outcome::Skipped("no budget".into());
        }
    }
    scenarios.outcome(all.len())
}

fn check_scenario(
    env: &Env<'_>,
    scenario: &Scenario,
    result: &Result<(), ClientError>,
    journal: &[ReceivedRequest],
) -> Result<(), CaseError> {
    let expected = format!(
        "error of kind {}{}\n",
        scenario.kind,
        scenario
            .status
            .map_or(String::new(), |s| format!(" (HTTP {s})"))
    );
    let got = |what: String| format!("{what}\nrequests:\n{}", journal_text(journal));
    let max_retries = env.max_retries;
    if journal.len() > 1 + max_retries {
        return Err(fail(
            format!(
                "{}: retried {} times, more than --max-retries {max_retries} allows",
                scenario.name,
                journal.len() - 1
            ),
            expected,
            got(result_text(result)),
        ));
    }
    if scenario.status == Some(429) {
        for pair in journal.windows(2) {
            let waited = pair[1]
                .received_at
                .duration_since(pair[0].received_at)
                .unwrap_or_default();
            if waited < Duration::from_millis(990) {
                return Err(fail(
                    format!(
                        "{}: retried after {} ms, before the Retry-After of 1 s",
                        scenario.name,
                        waited.as_millis()
                    ),
                    expected,
                    got(result_text(result)),
                ));
            }
        }
    }
    match result {
        Ok(()) => {
            return Err(fail(
                format!(
                    "{}: must be an error of kind {}, not a result",
                    scenario.name, scenario.kind
                ),
                expected,
                got(result_text(result)),
            ));
        }
        Err(error) if error.kind != scenario.kind => {
            return Err(fail(
                format!(
                    "{}: must be an error of kind {}, not {}",
                    scenario.name, scenario.kind, error.kind
                ),
                expected,
                got(format!("error {error}")),
            ));
        }
        Err(error) => {
            if let (Some(want), Some(status)) = (scenario.status, error.status)
                && want != status
            {
                return Err(fail(
                    format!(
                        "{}: the error reports HTTP {status}, the server answered {want}",
                        scenario.name
                    ),
                    expected,
                    got(format!("error {error}")),
                ));
            }
        }
    }
    let retries = journal.len().saturating_sub(1);
    env.note(match (journal.len(), retries) {
        (0, _) => format!(
            "{}: {} without sending a request (validated locally)",
            scenario.name, scenario.kind
        ),
        (_, 0) => format!("{}: {}, no retry", scenario.name, scenario.kind),
        (_, n) => format!(
            "{}: {} after {n} retr{} (within --max-retries {max_retries})",
            scenario.name,
            scenario.kind,
            if n == 1 { "y" } else { "ies" }
        ),
    });
    check_auth(journal, scenario.name)
}
