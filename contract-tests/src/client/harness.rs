//! What every client property works with: the mock started in-process with the kit's data set, the client's
//! own key (a tenant of the mock, so it can be revoked and restored), the journal of what reached the server,
//! and a watchdog that stops a client that would never stop.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use openmic_fixtures::Call;
use openmic_mock::{MockServer, ReceivedRequest};
use serde_json::{Value, json};

use crate::client::scripted::Scripted;
use crate::client::under_test::ClientError;
use crate::http::{HttpClient, Request};
use crate::report::clip;
use crate::runner::{CaseError, Mismatch};

/// The key the client under test is given: a tenant of the mock, so the kit can revoke and restore it.
pub const CLIENT_KEY: &str = "omic_client_under_test";

/// How many retries of one operation a client may make, unless the user states its own policy
/// (`--max-retries`, [`ClientSuiteConfig::max_retries`](crate::client::ClientSuiteConfig)). Three: enough to ride
/// out a brief 429 or a blip (with a 429's `Retry-After` of 1 s, about 3 s of waiting), few enough that a client
/// facing a server that is down gives up within seconds instead of adding to its load. A client whose stated
/// policy is 4 or 5 retries with `Retry-After` is as correct: say so with the flag.
pub const DEFAULT_MAX_RETRIES: usize = 3;

/// The seed of the data set the mock serves to the client (fixed: the data is not what is being explored).
pub const DATA_SEED: u64 = 6;

/// How many calls the data set holds: more than two default pages (50), so helpers that guess the page
/// size are caught.
pub const DATA_COUNT: usize = 120;

/// Awkward values planted in the data as `customer_id`s, so awkward filters also match something.
const AWKWARD_CUSTOMER_IDS: &[&str] = &[
    "a+b c&d=e",
    " lead and trail ",
    "50% off/#1",
    "ünïcødé 日本 😀",
    "x=1&y=2?",
];

/// A field the vendor does not document, planted in one call: a typed client may drop it (noted, not failed).
pub const UNDOCUMENTED_FIELD: &str = "x_undocumented_note";

/// The data set the mock serves the client: generated calls, some with awkward `customer_id`s and one with an
/// undocumented field.
pub fn client_dataset() -> Vec<Call> {
    let mut calls = openmic_fixtures::generate(DATA_SEED, DATA_COUNT);
    for (i, id) in AWKWARD_CUSTOMER_IDS.iter().enumerate() {
        if let Some(call) = calls.get_mut(i * 7 + 1) {
            call.customer_id = Some((*id).to_string());
        }
    }
    if let Some(call) = calls.get_mut(3) {
        call.extra.insert(
            UNDOCUMENTED_FIELD.into(),
            json!("a field the vendor does not document"),
        );
    }
    calls
}

/// What every client property works with.
pub(crate) struct Env<'a> {
    pub(crate) server: &'a MockServer,
    /// The kit's own client, to read what the mock serves for a request.
    pub(crate) kit: &'a HttpClient,
    pub(crate) calls: Vec<Call>,
    /// The calls as the mock serves them.
    pub(crate) data: Vec<(Call, Value)>,
    /// Requests the client sent during the current property.
    pub(crate) requests: Cell<u64>,
    /// What the current property noticed that the contract allows.
    pub(crate) notes: RefCell<BTreeSet<String>>,
    /// The retry policy the user stated: at most this many retries of one operation.
    pub(crate) max_retries: usize,
    /// Whether the user opted in to retried creates (the client makes them safe, or accepts a call placed
    /// twice).
    pub(crate) retry_creates: bool,
    /// The scripted server of the create and polling properties.
    pub(crate) scripted: &'a Scripted,
}

impl Env<'_> {
    /// Starts a case with an empty journal.
    pub(crate) fn begin(&self) {
        self.server.reset_received_requests();
    }

    /// The requests of this case, counted towards the property's total.
    pub(crate) fn take_journal(&self) -> Vec<ReceivedRequest> {
        let journal = self.server.received_requests();
        self.requests
            .set(self.requests.get() + journal.len() as u64);
        journal
    }

    /// Makes the client's key valid again, serving the kit's data.
    pub(crate) fn restore_key(&self) {
        let _ = self.server.tenant(CLIENT_KEY, self.calls.clone());
    }

    /// Counts requests that reached the scripted server towards the property's total.
    pub(crate) fn count(&self, requests: usize) {
        self.requests.set(self.requests.get() + requests as u64);
    }

    pub(crate) fn note(&self, text: impl Into<String>) {
        self.notes.borrow_mut().insert(text.into());
    }

    /// Runs `f` while a watchdog revokes the client's key once more than `bound` requests arrived, so a
    /// client that would never stop gets 401s instead. Says whether the watchdog fired.
    pub(crate) fn bounded<T>(&self, bound: usize, f: impl FnOnce() -> T) -> (T, bool) {
        let done = AtomicBool::new(false);
        let tripped = AtomicBool::new(false);
        let server = self.server;
        let out = std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    if server.received_requests().len() > bound {
                        server.remove_tenant(CLIENT_KEY);
                        tripped.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A watchdog's poll, not a readiness wait: the journal has no change notification.
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            let out = f();
            done.store(true, Ordering::SeqCst);
            out
        });
        let tripped = tripped.load(Ordering::SeqCst);
        if tripped {
            self.restore_key();
        }
        (out, tripped)
    }

    /// What the mock serves for `path` and decoded `query` with the client's key.
    pub(crate) fn served(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<Value, CaseError> {
        let request = Request::get(path, query);
        let response = self.kit.send(&request).map_err(|e| {
            CaseError::mismatch(
                &request,
                "the kit could not read the served answer",
                "",
                e.to_string(),
            )
        })?;
        response.json().ok_or_else(|| {
            CaseError::mismatch(
                &request,
                "the kit could not read the served answer",
                "JSON",
                response.text(),
            )
        })
    }
}

pub(crate) fn fail(
    rule: impl Into<String>,
    expected: impl Into<String>,
    got: impl Into<String>,
) -> CaseError {
    CaseError::fail(Mismatch::new(rule, expected, got))
}

/// Why a request's `Authorization` header is not `Bearer <key>`, if it is not.
pub(crate) fn auth_problem(request: &ReceivedRequest) -> Option<String> {
    authorization_problem(request.header("authorization"))
}

/// Why an `Authorization` value (`None` when the header is missing) is not `Bearer <key>`, if it is not: for
/// requests the mock journaled and those the scripted server received alike.
pub(crate) fn authorization_problem(value: Option<&str>) -> Option<String> {
    let Some(value) = value else {
        return Some("no Authorization header".into());
    };
    match value.split_once(' ') {
        Some((scheme, key))
            if scheme.eq_ignore_ascii_case("bearer") && key.trim_start() == CLIENT_KEY =>
        {
            None
        }
        Some((scheme, _)) if !scheme.eq_ignore_ascii_case("bearer") => {
            Some(format!("Authorization scheme {scheme:?}, not Bearer"))
        }
        _ => Some("Authorization: Bearer with a key other than the one given".into()),
    }
}

/// The journal as lines: `GET /path?raw -> status`.
pub(crate) fn journal_text(journal: &[ReceivedRequest]) -> String {
    if journal.is_empty() {
        return "no request reached the server\n".into();
    }
    journal
        .iter()
        .map(|r| {
            format!(
                "{} {}{} -> {}{}\n",
                r.method,
                r.path,
                r.raw_query
                    .as_ref()
                    .map_or(String::new(), |q| format!("?{q}")),
                if r.status == 0 {
                    "no answer".to_string()
                } else {
                    r.status.to_string()
                },
                r.header("authorization")
                    .map_or("  (no Authorization)", |_| "")
            )
        })
        .collect()
}

/// Checks that every request of a case carried the key.
pub(crate) fn check_auth(journal: &[ReceivedRequest], what: &str) -> Result<(), CaseError> {
    for (i, request) in journal.iter().enumerate() {
        if let Some(problem) = auth_problem(request) {
            return Err(fail(
                format!(
                    "Authorization: Bearer must be on every request; {what} request {} of {}: {problem}",
                    i + 1,
                    journal.len()
                ),
                format!("Authorization: Bearer {}\n", "$OPENMIC_API_KEY"),
                journal_text(journal),
            ));
        }
    }
    Ok(())
}

pub(crate) fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {v:?}\n"))
        .collect()
}

pub(crate) fn result_text<T: std::fmt::Debug>(result: &Result<T, ClientError>) -> String {
    match result {
        Ok(value) => format!("ok {}", clip(&format!("{value:?}"), 200)),
        Err(e) => format!("error {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journaled GET with this `Authorization` value, or none.
    fn request(authorization: Option<&str>) -> ReceivedRequest {
        ReceivedRequest {
            received_at: std::time::SystemTime::UNIX_EPOCH,
            method: "GET".into(),
            path: "/v1/calls".into(),
            raw_query: None,
            query: Vec::new(),
            headers: authorization
                .map(|v| ("authorization".to_string(), v.to_string()))
                .into_iter()
                .collect(),
            status: 200,
            duration: Duration::ZERO,
            fault: None,
            injected_latency: Duration::ZERO,
            clipped: false,
            key_fingerprint: None,
            answer_headers: Vec::new(),
            answer_body: Default::default(),
            answer_bytes: 0,
        }
    }

    #[test]
    fn every_request_of_a_case_must_carry_the_key() {
        let good = request(Some(&format!("Bearer {CLIENT_KEY}")));
        assert!(check_auth(&[good.clone(), good.clone()], "list_all").is_ok());
        assert!(check_auth(&[], "list_all").is_ok());
        let Err(CaseError::Fail(mismatch)) = check_auth(&[good, request(None)], "list_all") else {
            panic!("a request without the key passed");
        };
        assert_eq!(
            mismatch.rule,
            "Authorization: Bearer must be on every request; list_all request 2 of 2: no Authorization header"
        );
        assert_eq!(
            auth_problem(&request(Some("Basic x"))).as_deref(),
            Some("Authorization scheme \"Basic\", not Bearer")
        );
    }

    #[test]
    fn only_bearer_and_the_key_given_is_authorization() {
        let bearer = format!("Bearer {CLIENT_KEY}");
        let lower_spaced = format!("bearer   {CLIENT_KEY}");
        assert_eq!(authorization_problem(Some(&bearer)), None);
        assert_eq!(authorization_problem(Some(&lower_spaced)), None);
        assert_eq!(
            authorization_problem(None).as_deref(),
            Some("no Authorization header")
        );
        assert_eq!(
            authorization_problem(Some(&format!("Basic {CLIENT_KEY}"))).as_deref(),
            Some("Authorization scheme \"Basic\", not Bearer")
        );
        for other in ["Bearer other-key", "Bearer", "Bearer "] {
            assert_eq!(
                authorization_problem(Some(other)).as_deref(),
                Some("Authorization: Bearer with a key other than the one given"),
                "{other:?}"
            );
        }
    }
}
