//! The client properties, one file each, and the table that names them. A property gets the harness (the
//! in-process mock and its journal), the run's settings and the client under test; the table is the only way
//! a property is run, so a new one is a new row, never a string matched somewhere else.

mod comparison;
mod create;
mod decoding;
mod encoding;
mod errors;
mod pagination;
mod polling;

use std::cell::RefCell;

use crate::client::harness::{Env, result_text};
use crate::client::scripted::Received;
use crate::client::under_test::{ClientError, ClientUnderTest};
use crate::report::clip;
use crate::runner::{CaseError, Failure, Mismatch, Outcome, RunSettings};

/// Which server a property's client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// The mock, serving the kit's data set (listing and reading).
    Mock,
    /// The scripted server, which keeps request bodies and answers as each case says (creating and polling).
    Scripted,
}

/// A named client check.
pub struct ClientProperty {
    /// The name printed on its line and accepted by `--property`.
    pub name: &'static str,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// The server its client is given.
    pub(crate) server: Server,
    /// Runs it.
    pub(crate) run: fn(&Env<'_>, &RunSettings, &RefCell<dyn ClientUnderTest + '_>) -> Outcome,
}

impl std::fmt::Debug for ClientProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientProperty")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The client properties, in the order they run.
pub const CLIENT_PROPERTIES: &[ClientProperty] = &[
    ClientProperty {
        name: "encoding",
        summary: "generated parameters (awkward strings too) arrive exactly as asked, with Authorization: Bearer",
        server: Server::Mock,
        run: encoding::encoding,
    },
    ClientProperty {
        name: "decoding",
        summary: "list_calls and get_call return what was served, field for field",
        server: Server::Mock,
        run: decoding::decoding,
    },
    ClientProperty {
        name: "pagination_helper",
        summary: "list_all returns every match once, in order, in a bounded number of requests",
        server: Server::Mock,
        run: pagination::pagination_helper,
    },
    ClientProperty {
        name: "errors",
        summary: "401, 400, 404, 429, 500, a dropped connection and a cut body map to the right kind; retries within --max-retries",
        server: Server::Mock,
        run: errors::errors,
    },
    ClientProperty {
        name: "create_request",
        summary: "create_call sends one POST with exactly the fields asked for, numbers unchanged, as application/json",
        server: Server::Scripted,
        run: create::create_request,
    },
    ClientProperty {
        name: "create_errors",
        summary: "400 and 404 are errors, never retried; a 429 is retried after Retry-After; a 500 or a dropped connection is not retried (the call may be placed twice)",
        server: Server::Scripted,
        run: create::create_errors,
    },
    ClientProperty {
        name: "wait_for_end",
        summary: "wait_for_end polls no faster than asked, stops at ended or error, and gives up at its deadline",
        server: Server::Scripted,
        run: polling::wait_for_end,
    },
];

/// What a client call against the scripted server came to, then the requests the server received: the "got"
/// side of a scenario's failure.
pub(crate) fn scenario_text<T: std::fmt::Debug>(
    result: &Result<T, ClientError>,
    received: &[Received],
) -> String {
    format!(
        "{}\nrequests:\n{}",
        result_text(result),
        received_text(received)
    )
}

/// The scripted server's requests as lines: `POST /v1/create-phone-call {"from_number":...} -> 201`.
pub(crate) fn received_text(received: &[Received]) -> String {
    if received.is_empty() {
        return "no request reached the server\n".into();
    }
    received
        .iter()
        .map(|r| {
            let body = String::from_utf8_lossy(&r.body);
            format!(
                "{} {}{} -> {}\n",
                r.method,
                r.target,
                if body.is_empty() {
                    String::new()
                } else {
                    format!(" {}", clip(&body, 200))
                },
                if r.status == 0 {
                    "no answer (connection dropped)".to_string()
                } else {
                    r.status.to_string()
                }
            )
        })
        .collect()
}

/// The verdicts of a property made of fixed scenarios, gathered as each scenario is checked.
#[derive(Debug, Default)]
pub(crate) struct Scenarios {
    verdicts: Vec<String>,
    failures: Vec<Mismatch>,
}

impl Scenarios {
    /// Records the check of the scenario `name`; false when the budget ran out (the property is then skipped).
    pub(crate) fn record(&mut self, name: &str, checked: Result<(), CaseError>) -> bool {
        match checked {
            Ok(()) => self.verdicts.push(format!("pass {name}")),
            Err(CaseError::Fail(mismatch)) => {
                self.verdicts.push(format!("FAIL {}", mismatch.rule));
                self.failures.push(*mismatch);
            }
            Err(CaseError::Budget) => return false,
        }
        true
    }

    /// The outcome once all `scenarios` are checked ([`scenario_outcome`]).
    pub(crate) fn outcome(self, scenarios: usize) -> Outcome {
        scenario_outcome(scenarios, self.verdicts, self.failures)
    }
}

/// The outcome of a property made of fixed scenarios, every one run: a pass, or the first failure with a line
/// per scenario (`pass ...`, `FAIL ...`) and how many others failed.
pub(crate) fn scenario_outcome(
    scenarios: usize,
    verdicts: Vec<String>,
    failures: Vec<Mismatch>,
) -> Outcome {
    let failed = failures.len();
    let Some(mut first) = failures.into_iter().next() else {
        return Outcome::Passed {
            cases: scenarios as u32,
            note: None,
        };
    };
    if failed > 1 {
        first.rule = format!(
            "{} (and {} more of the {scenarios} scenarios failed)",
            first.rule,
            failed - 1
        );
    }
    first.detail = Some(format!("scenarios:\n{}\n", verdicts.join("\n")));
    Outcome::Failed(Box::new(Failure::fixed(first, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_shows_its_name_when_debugged() {
        assert_eq!(
            format!("{:?}", CLIENT_PROPERTIES[0]),
            r#"ClientProperty { name: "encoding", .. }"#
        );
    }

    #[test]
    fn a_scenario_property_leads_with_its_first_failure_counts_the_others_and_lists_every_scenario()
    {
        let verdicts = vec![
            "pass 400".to_string(),
            "FAIL 500: retried".to_string(),
            "FAIL dropped connection: retried".to_string(),
        ];
        let failures = vec![
            Mismatch::new("500: retried", "a", "b"),
            Mismatch::new("dropped connection: retried", "a", "b"),
        ];
        let Outcome::Failed(failure) = scenario_outcome(3, verdicts.clone(), failures) else {
            panic!("a failure");
        };
        assert_eq!(
            failure.mismatch.rule,
            "500: retried (and 1 more of the 3 scenarios failed)"
        );
        assert_eq!(
            failure.mismatch.detail.as_deref(),
            Some("scenarios:\npass 400\nFAIL 500: retried\nFAIL dropped connection: retried\n")
        );
        let one = scenario_outcome(3, verdicts, vec![Mismatch::new("500: retried", "a", "b")]);
        let Outcome::Failed(failure) = one else {
            panic!("a failure");
        };
        assert_eq!(failure.mismatch.rule, "500: retried");
        assert!(matches!(
            scenario_outcome(3, Vec::new(), Vec::new()),
            Outcome::Passed {
                cases: 3,
                note: None
            }
        ));
    }
}
