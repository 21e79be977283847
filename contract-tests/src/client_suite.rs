//! Checking a client against the contract: [`run_client_properties`] starts the mock in-process, builds the
//! client under test from the mock's base URL and a key, and runs four named properties, reporting like the
//! server suite (one line per property, shrunk counterexamples as diffs, `N passed, M failed`).
//!
//! - `encoding`: generated parameters, awkward strings included, reach the server decoded to exactly what
//!   was asked (none missing, extra or altered), with `Authorization: Bearer <key>` on every request. The
//!   oracle is the mock's journal, not the client's answer.
//! - `decoding`: what the client returns equals what the mock served for the request it sent, field for
//!   field. An absent field returned as `null` and a dropped undocumented field are accepted and noted.
//! - `pagination_helper`: `list_all` returns every match exactly once, in order (the reference model of
//!   [`crate::reference`], not the mock, says what matches), in a bounded number of requests. A watchdog
//!   revokes the client's key when the bound is passed, so a client that never stops gets 401s and returns.
//! - `errors`: 401, 400, 404, 429 (with `Retry-After`), 500 and a dropped connection map to the right
//!   [`ErrorKind`]; retries are allowed up to [`MAX_RETRIES`] (a 429 only after its `Retry-After`) and noted.
//!
//! The client uses its own key, a tenant of the mock holding the kit's data set: removing the tenant is a real
//! 401, and a restored tenant serves the same data again.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use openmic_fixtures::Call;
use openmic_fixtures::model::CALL_FIELDS;
use openmic_mock::{Fault, MockServer, ReceivedRequest};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};

use crate::check::{CaseError, Failure, Mismatch, Outcome, RunSettings, run_cases};
use crate::client::{Client, Limits, Request, Target};
use crate::reference::{ListQuery, all_matches};
use crate::suite::diff;
use crate::under_test::{ClientError, ClientUnderTest, ErrorKind, ListCallsParams};

/// The key the client under test is given: a tenant of the mock, so the kit can revoke and restore it.
pub const CLIENT_KEY: &str = "omic_client_under_test";

/// How many retries of one operation a client may make before the kit calls it a retry storm.
pub const MAX_RETRIES: usize = 3;

/// The seed of the data set the mock serves to the client (fixed: the data is not what is being explored).
pub const DATA_SEED: u64 = 6;

/// How many calls the data set holds: more than two default pages (50), so helpers that guess the page
/// size are caught.
pub const DATA_COUNT: usize = 120;

/// The client properties, in the order they run, with what each checks.
pub const CLIENT_PROPERTIES: &[(&str, &str)] = &[
    (
        "encoding",
        "generated parameters (awkward strings too) arrive exactly as asked, with Authorization: Bearer",
    ),
    (
        "decoding",
        "list_calls and get_call return what was served, field for field",
    ),
    (
        "pagination_helper",
        "list_all returns every match once, in order, in a bounded number of requests",
    ),
    (
        "errors",
        "401, 400, 404, 429, 500 and a dropped connection map to the right kind; bounded retries",
    ),
];

/// Strings that clients get wrong on the way into a query string.
const AWKWARD_PIECES: &[&str] = &[
    "+", " ", "&", "=", "#", "%", "/", "?", ";", ",", "é", "日本", "😀", "a", "Z", "7", "%2B",
    "+1 555", " lead", "trail ",
];

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

/// How to run the client properties.
#[derive(Debug, Clone)]
pub struct ClientSuiteConfig {
    /// Generated cases per property.
    pub cases: u32,
    /// The seed; the same seed replays the same cases.
    pub seed: u64,
    /// Run only these properties (all when empty).
    pub only: Vec<String>,
    /// What is being checked, for the header line (an adapter command, a client's name).
    pub label: String,
    /// The command that reruns this check, completed with `--seed` and `--property` on a failure.
    pub replay: Option<String>,
}

impl ClientSuiteConfig {
    /// 32 cases, seed 0, every property.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            cases: 32,
            seed: 0,
            only: Vec::new(),
            label: label.into(),
            replay: None,
        }
    }
}

/// One client property's result.
#[derive(Debug, Clone)]
pub struct ClientPropertyResult {
    /// Its name.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// Requests the client sent.
    pub requests: u64,
    /// What the client did that the contract allows but a reader should know (nulls, retries, ...).
    pub notes: Vec<String>,
}

/// A finished client run.
#[derive(Debug, Clone)]
pub struct ClientReport {
    /// One result per property run.
    pub results: Vec<ClientPropertyResult>,
}

impl ClientReport {
    /// Properties that passed.
    pub fn passed(&self) -> usize {
        crate::suite::count_passed(self.results.iter().map(|r| &r.outcome))
    }

    /// Properties that failed.
    pub fn failed(&self) -> usize {
        self.failed_names().len()
    }

    /// The names of the failed properties.
    pub fn failed_names(&self) -> Vec<&'static str> {
        crate::suite::failed_names(self.results.iter().map(|r| (r.name, &r.outcome)))
    }

    /// The failure of one property, if it failed.
    pub fn failure(&self, name: &str) -> Option<&Failure> {
        crate::suite::failure_of(self.results.iter().map(|r| (r.name, &r.outcome)), name)
    }

    /// The notes of one property.
    pub fn notes(&self, name: &str) -> &[String] {
        self.results
            .iter()
            .find(|r| r.name == name)
            .map_or(&[], |r| r.notes.as_slice())
    }
}

/// Why a client run could not start.
#[derive(Debug)]
pub enum ClientSuiteError {
    /// The mock or the client could not be started.
    Start(String),
    /// `--property` named something that is not a client property.
    UnknownProperty(String),
}

impl std::fmt::Display for ClientSuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientSuiteError::Start(why) => f.write_str(why),
            ClientSuiteError::UnknownProperty(name) => {
                let names: Vec<&str> = CLIENT_PROPERTIES.iter().map(|p| p.0).collect();
                write!(
                    f,
                    "no client property named {name:?}; the properties are: {}",
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ClientSuiteError {}

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

/// Runs the client properties against an in-process mock. `make_client(base_url, api_key)` builds a fresh
/// client for each property. Writes the report to `out` as it goes; call it outside any async runtime (it
/// starts its own for the mock, and clients may block).
pub fn run_client_properties<C, F>(
    mut make_client: F,
    config: &ClientSuiteConfig,
    out: &mut dyn Write,
) -> Result<ClientReport, ClientSuiteError>
where
    C: ClientUnderTest,
    F: FnMut(&str, &str) -> Result<C, String>,
{
    for name in &config.only {
        if !CLIENT_PROPERTIES.iter().any(|p| p.0 == name) {
            return Err(ClientSuiteError::UnknownProperty(name.clone()));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| ClientSuiteError::Start(format!("cannot start a runtime: {e}")))?;
    let calls = client_dataset();
    let server = runtime
        .block_on(MockServer::builder().calls(calls.clone()).start())
        .map_err(|e| ClientSuiteError::Start(format!("cannot start the mock: {e}")))?;
    server
        .tenant(CLIENT_KEY, calls.clone())
        .map_err(|e| ClientSuiteError::Start(format!("cannot create the client's tenant: {e}")))?;
    let kit = Client::new(Target::new(server.uri(), CLIENT_KEY), Limits::UNLIMITED)
        .map_err(|e| ClientSuiteError::Start(e.to_string()))?;
    let data: Vec<(Call, Value)> = server
        .calls()
        .into_iter()
        .map(|c| {
            let value = serde_json::to_value(&c).unwrap_or(Value::Null);
            (c, value)
        })
        .collect();
    let env = Env {
        server: &server,
        kit: &kit,
        calls,
        data,
        requests: Cell::new(0),
        notes: RefCell::new(BTreeSet::new()),
    };
    let settings = RunSettings {
        cases: config.cases,
        seed: config.seed,
        max_shrink_iters: 128,
    };
    let _ = writeln!(
        out,
        "openmic-contract client: {} against an in-process mock at {} ({} calls), seed {}, {} cases per property",
        config.label,
        server.uri(),
        env.data.len(),
        config.seed,
        config.cases
    );
    let mut results = Vec::new();
    for &(name, _) in CLIENT_PROPERTIES {
        if !config.only.is_empty() && !config.only.iter().any(|o| o == name) {
            continue;
        }
        let client = make_client(&server.uri(), CLIENT_KEY).map_err(|e| {
            ClientSuiteError::Start(format!("cannot start the client for `{name}`: {e}"))
        })?;
        let client = RefCell::new(client);
        env.requests.set(0);
        env.notes.borrow_mut().clear();
        let started = Instant::now();
        let outcome = match name {
            "encoding" => encoding(&env, &settings, &client),
            "decoding" => decoding(&env, &settings, &client),
            "pagination_helper" => pagination_helper(&env, &settings, &client),
            _ => errors(&env, &client),
        };
        drop(client);
        server.clear_faults();
        env.restore_key();
        let result = ClientPropertyResult {
            name,
            outcome,
            elapsed: started.elapsed(),
            requests: env.requests.get(),
            notes: env.notes.borrow().iter().cloned().collect(),
        };
        print_result(out, &result, config);
        results.push(result);
    }
    let report = ClientReport { results };
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    );
    Ok(report)
}

/// What every client property works with.
struct Env<'a> {
    server: &'a MockServer,
    /// The kit's own client, to read what the mock serves for a request.
    kit: &'a Client,
    calls: Vec<Call>,
    /// The calls as the mock serves them.
    data: Vec<(Call, Value)>,
    requests: Cell<u64>,
    notes: RefCell<BTreeSet<String>>,
}

impl Env<'_> {
    /// Starts a case with an empty journal.
    fn begin(&self) {
        self.server.reset_received_requests();
    }

    /// The requests of this case, counted towards the property's total.
    fn take_journal(&self) -> Vec<ReceivedRequest> {
        let journal = self.server.received_requests();
        self.requests
            .set(self.requests.get() + journal.len() as u64);
        journal
    }

    /// Makes the client's key valid again, serving the kit's data.
    fn restore_key(&self) {
        let _ = self.server.tenant(CLIENT_KEY, self.calls.clone());
    }

    fn note(&self, text: impl Into<String>) {
        self.notes.borrow_mut().insert(text.into());
    }

    /// Runs `f` while a watchdog revokes the client's key once more than `bound` requests arrived, so a
    /// client that would never stop gets 401s instead. Says whether the watchdog fired.
    fn bounded<T>(&self, bound: usize, f: impl FnOnce() -> T) -> (T, bool) {
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
    fn served(&self, path: &str, query: Vec<(String, String)>) -> Result<Value, CaseError> {
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

fn fail(rule: impl Into<String>, expected: impl Into<String>, got: impl Into<String>) -> CaseError {
    CaseError::Fail(Box::new(Mismatch {
        rule: rule.into(),
        request: None,
        expected: expected.into(),
        got: got.into(),
    }))
}

/// Why a request's `Authorization` header is not `Bearer <key>`, if it is not.
fn auth_problem(request: &ReceivedRequest) -> Option<String> {
    let Some(value) = request.header("authorization") else {
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
fn journal_text(journal: &[ReceivedRequest]) -> String {
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
fn check_auth(journal: &[ReceivedRequest], what: &str) -> Result<(), CaseError> {
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

fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {v:?}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// encoding

fn awkward_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(AWKWARD_PIECES), 1..5).prop_map(|pieces| pieces.concat())
}

fn text_value(real: Vec<String>) -> BoxedStrategy<String> {
    if real.is_empty() {
        awkward_string().boxed()
    } else {
        prop_oneof![2 => awkward_string(), 1 => select(real)].boxed()
    }
}

fn date_value() -> impl Strategy<Value = String> {
    (
        1_600_000_000_000i64..1_800_000_000_000,
        select(&[0i64, 150, -300, 330][..]),
    )
        .prop_map(|(ms, offset)| {
            if offset == 0 {
                crate::dates::format_rfc3339_ms(ms)
            } else {
                crate::dates::format_rfc3339_offset(ms, offset)
            }
        })
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    values.collect::<BTreeSet<_>>().into_iter().collect()
}

fn encoding<C: ClientUnderTest>(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<C>,
) -> Outcome {
    let calls = || env.data.iter().map(|(c, _)| c);
    let strategy = (
        (
            proptest::option::of(1u64..=100),
            proptest::option::of(0u64..=150),
            proptest::option::of(text_value(distinct(
                calls().filter_map(|c| c.customer_id.clone()),
            ))),
            proptest::option::of(text_value(distinct(calls().map(|c| c.from_number.clone())))),
            proptest::option::of(text_value(distinct(calls().map(|c| c.to_number.clone())))),
        ),
        (
            proptest::option::of(text_value(distinct(calls().map(|c| c.agent_id.clone())))),
            proptest::option::of(select(&["registered", "ongoing", "ended", "error"][..])),
            proptest::option::of(select(&["phonecall", "webcall"][..])),
            proptest::option::of(date_value()),
            proptest::option::of(date_value()),
        ),
    )
        .prop_map(
            |(
                (limit, offset, customer_id, from_number, to_number),
                (bot_id, call_status, call_type, from_date, to_date),
            )| ListCallsParams {
                limit,
                offset,
                customer_id,
                from_number,
                to_number,
                bot_id,
                call_status: call_status.map(str::to_string),
                call_type: call_type.map(str::to_string),
                from_date,
                to_date,
            },
        );
    run_cases(settings, "encoding", strategy, |params| {
        env.begin();
        let result = client.borrow_mut().list_calls(&params);
        let journal = env.take_journal();
        if journal.is_empty() {
            return Err(fail(
                "list_calls sent no request for valid parameters",
                "one GET /v1/calls\n",
                format!("no request; the client answered {}\n", result_text(&result)),
            ));
        }
        if journal.len() > 1 + MAX_RETRIES {
            return Err(fail(
                format!(
                    "list_calls sent {} requests for one page (at most {} allowed)",
                    journal.len(),
                    1 + MAX_RETRIES
                ),
                "one GET /v1/calls\n",
                journal_text(&journal),
            ));
        }
        let mut expected: Vec<(String, String)> = params
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        expected.sort();
        for request in &journal {
            if request.path.trim_end_matches('/') != "/v1/calls" {
                return Err(fail(
                    "list_calls must request GET /v1/calls",
                    "GET /v1/calls\n",
                    journal_text(&journal),
                ));
            }
            let mut got = request.query.clone();
            got.sort();
            if got != expected {
                return Err(fail(
                    "the query the server decoded must be exactly the parameters asked for: none missing, none extra, none altered",
                    pairs_text(&expected),
                    format!(
                        "{}raw query: {}\n",
                        pairs_text(&got),
                        request.raw_query.as_deref().unwrap_or("")
                    ),
                ));
            }
        }
        check_auth(&journal, "list_calls")
    })
}

fn result_text<T: std::fmt::Debug>(result: &Result<T, ClientError>) -> String {
    match result {
        Ok(value) => format!("ok {}", clip(&format!("{value:?}"))),
        Err(e) => format!("error {e}"),
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() > 200 {
        format!("{}...", text.chars().take(200).collect::<String>())
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------------------
// decoding

/// Compares what the client returned with what was served. Problems break the contract; notes are accepted
/// liberties (an absent field as `null`, an undocumented field dropped).
struct Comparison<'e> {
    env: &'e Env<'e>,
    problems: Vec<String>,
}

impl Comparison<'_> {
    /// One call: its top-level fields are documented when [`CALL_FIELDS`] names them.
    fn call(&mut self, served: &Value, got: &Value, path: &str) {
        let (Some(served_map), Some(got_map)) = (served.as_object(), got.as_object()) else {
            self.value(served, got, path);
            return;
        };
        for (key, served_value) in served_map {
            let field = format!("{path}.{key}");
            match got_map.get(key) {
                Some(got_value) => self.value(served_value, got_value, &field),
                None if CALL_FIELDS.contains(&key.as_str()) => self
                    .problems
                    .push(format!("documented field `{field}` is missing")),
                None => self
                    .env
                    .note(format!("undocumented fields dropped (accepted): {key}")),
            }
        }
        self.extra_fields(served_map, got_map, path);
    }

    fn extra_fields(
        &mut self,
        served: &serde_json::Map<String, Value>,
        got: &serde_json::Map<String, Value>,
        path: &str,
    ) {
        for (key, got_value) in got {
            if served.contains_key(key) {
                continue;
            }
            if got_value.is_null() {
                self.env
                    .note(format!("absent fields returned as null (accepted): {key}"));
            } else {
                self.problems.push(format!(
                    "`{path}.{key}` was not served but the client returned {}",
                    clip(&got_value.to_string())
                ));
            }
        }
    }

    fn value(&mut self, served: &Value, got: &Value, path: &str) {
        match (served, got) {
            (Value::Object(s), Value::Object(g)) => {
                for (key, served_value) in s {
                    let field = format!("{path}.{key}");
                    match g.get(key) {
                        Some(got_value) => self.value(served_value, got_value, &field),
                        None => self.problems.push(format!("field `{field}` is missing")),
                    }
                }
                self.extra_fields(s, g, path);
            }
            (Value::Array(s), Value::Array(g)) if s.len() == g.len() => {
                for (i, (sv, gv)) in s.iter().zip(g).enumerate() {
                    self.value(sv, gv, &format!("{path}[{i}]"));
                }
            }
            (Value::Number(s), Value::Number(g)) if s == g || s.as_f64() == g.as_f64() => {}
            (s, Value::Null) if !s.is_null() => self.problems.push(format!(
                "`{path}` was {} but the client returned null",
                clip(&s.to_string())
            )),
            (s, g) if s == g => {}
            (s, g) => self.problems.push(format!(
                "`{path}` was {} but the client returned {}",
                clip(&s.to_string()),
                clip(&g.to_string())
            )),
        }
    }
}

fn decoding<C: ClientUnderTest>(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<C>,
) -> Outcome {
    let strategy = (
        proptest::option::of(1u64..=25),
        proptest::option::of(0u64..=130),
        proptest::option::of((0usize..3, any::<Index>())),
        any::<Index>(),
    );
    run_cases(
        settings,
        "decoding",
        strategy,
        |(limit, offset, filter, get_index)| {
            let mut params = ListCallsParams {
                limit,
                offset,
                ..ListCallsParams::default()
            };
            if let Some((field, index)) = filter {
                let call = &env.data[index.index(env.data.len())].0;
                match field {
                    0 => params.call_status = Some(call.call_status.as_str().into()),
                    1 => params.bot_id = Some(call.agent_id.clone()),
                    _ => params.customer_id = call.customer_id.clone(),
                }
            }
            env.begin();
            let result = client.borrow_mut().list_calls(&params);
            let journal = env.take_journal();
            let page = result.map_err(|e| {
                fail(
                    "list_calls failed a valid request",
                    "a page\n",
                    format!("error {e}\n{}", journal_text(&journal)),
                )
            })?;
            let Some(sent) = journal.last() else {
                return Err(fail(
                    "list_calls returned a page without asking the server",
                    "one GET /v1/calls\n",
                    "no request\n",
                ));
            };
            let served = env.served(&sent.path, sent.query.clone())?;
            let mut comparison = Comparison {
                env,
                problems: Vec::new(),
            };
            let served_calls = served["calls"].as_array().cloned().unwrap_or_default();
            if served_calls.len() != page.calls.len() {
                comparison.problems.push(format!(
                    "{} calls were served, the client returned {}",
                    served_calls.len(),
                    page.calls.len()
                ));
            } else {
                for (i, (s, g)) in served_calls.iter().zip(&page.calls).enumerate() {
                    comparison.call(s, g, &format!("calls[{i}]"));
                }
            }
            comparison.value(&served["pagination"], &page.pagination, "pagination");
            if !comparison.problems.is_empty() {
                return Err(fail(
                    "list_calls must return what was served: no value changed, no documented field lost",
                    format!("served for {}\n", journal_text(&journal).trim_end()),
                    comparison.problems.join("\n") + "\n",
                ));
            }
            // get_call of one call.
            let id = env.data[get_index.index(env.data.len())].0.call_id.clone();
            env.begin();
            let result = client.borrow_mut().get_call(&id);
            let journal = env.take_journal();
            let got = result.map_err(|e| {
                fail(
                    format!("get_call({id:?}) failed for a call that exists"),
                    "the call\n",
                    format!("error {e}\n{}", journal_text(&journal)),
                )
            })?;
            let served = env.served(&format!("/v1/call/{id}"), Vec::new())?;
            comparison.call(&served, &got, "call");
            if !comparison.problems.is_empty() {
                return Err(fail(
                    format!("get_call({id:?}) must return what was served"),
                    format!("served for {}\n", journal_text(&journal).trim_end()),
                    comparison.problems.join("\n") + "\n",
                ));
            }
            check_auth(&journal, "get_call")
        },
    )
}

// ---------------------------------------------------------------------------------------------------------
// pagination helper

fn pagination_helper<C: ClientUnderTest>(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<C>,
) -> Outcome {
    let unsupported = Cell::new(false);
    let strategy = (
        prop_oneof![3 => (1u64..=12).prop_map(Some), 1 => Just(None)],
        proptest::option::of((0usize..4, any::<Index>())),
    );
    let outcome = run_cases(
        settings,
        "pagination_helper",
        strategy,
        |(page_size, filter)| {
            if unsupported.get() {
                return Ok(());
            }
            let mut params = ListCallsParams {
                limit: page_size,
                ..ListCallsParams::default()
            };
            let mut query = ListQuery::default();
            if let Some((field, index)) = filter {
                let call = &env.data[index.index(env.data.len())].0;
                match field {
                    0 => {
                        params.call_status = Some(call.call_status.as_str().into());
                        query.call_status = Some(call.call_status);
                    }
                    1 => {
                        params.call_type = Some(call.call_type.as_str().into());
                        query.call_type = Some(call.call_type);
                    }
                    2 => {
                        params.bot_id = Some(call.agent_id.clone());
                        query.bot_id = Some(call.agent_id.clone());
                    }
                    _ => {
                        params.customer_id = call.customer_id.clone();
                        query.customer_id = call.customer_id.clone();
                    }
                }
            }
            let expected = all_matches(&env.data, &query);
            let size = page_size.unwrap_or(crate::reference::DEFAULT_LIMIT) as usize;
            let pages = expected.len().div_ceil(size).max(1);
            // One more than the pages: a helper may confirm the end with an empty page.
            let bound = pages + 1;
            env.begin();
            let (result, tripped) = env.bounded(bound, || client.borrow_mut().list_all(&params));
            let journal = env.take_journal();
            if matches!(&result, Err(e) if e.kind == ErrorKind::Unsupported) {
                unsupported.set(true);
                return Ok(());
            }
            if tripped || journal.len() > bound {
                return Err(fail(
                    format!(
                        "list_all must stop: {} matches in pages of {size} need {pages} requests (at most {bound} allowed)",
                        expected.len()
                    ),
                    format!("at most {bound} requests\n"),
                    format!(
                        "{} requests before the kit revoked the key{}\nfirst requests:\n{}",
                        journal.len(),
                        if tripped { "" } else { " (not needed)" },
                        journal_text(&journal[..journal.len().min(5)])
                    ),
                ));
            }
            check_auth(&journal, "list_all")?;
            let calls = result.map_err(|e| {
                fail(
                    "list_all failed a valid request",
                    "every match\n",
                    format!("error {e}\n{}", journal_text(&journal)),
                )
            })?;
            let expected_ids: String = expected
                .iter()
                .map(|(c, _)| format!("{}\n", c.call_id))
                .collect();
            let got_ids: String = calls
                .iter()
                .map(|c| format!("{}\n", c["call_id"].as_str().unwrap_or("<no call_id>")))
                .collect();
            if expected_ids != got_ids {
                return Err(fail(
                    format!(
                        "list_all must return every match exactly once, in order ({} expected, {} returned)",
                        expected.len(),
                        calls.len()
                    ),
                    expected_ids,
                    format!("{got_ids}requests:\n{}", journal_text(&journal)),
                ));
            }
            let mut comparison = Comparison {
                env,
                problems: Vec::new(),
            };
            for (i, ((_, served), got)) in expected.iter().zip(&calls).enumerate() {
                comparison.call(served, got, &format!("list_all[{i}]"));
            }
            if comparison.problems.is_empty() {
                Ok(())
            } else {
                Err(fail(
                    "list_all must return the calls as served",
                    "the served calls\n",
                    comparison.problems.join("\n") + "\n",
                ))
            }
        },
    );
    if unsupported.get() {
        Outcome::Skipped("the client has no list_all (it answered unsupported)".into())
    } else {
        outcome
    }
}

// ---------------------------------------------------------------------------------------------------------
// errors

enum Op {
    List(Box<ListCallsParams>),
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

fn scenarios() -> Vec<Scenario> {
    let page = || {
        Op::List(Box::new(ListCallsParams {
            limit: Some(5),
            ..ListCallsParams::default()
        }))
    };
    let repeated = |fault: Fault| vec![fault; MAX_RETRIES + 1];
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
            op: Op::List(Box::new(ListCallsParams {
                from_date: Some("yesterday".into()),
                ..ListCallsParams::default()
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
    ]
}

fn errors<C: ClientUnderTest>(env: &Env<'_>, client: &RefCell<C>) -> Outcome {
    let all = scenarios();
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
        if let Err(error) = check_scenario(env, scenario, &result, &journal) {
            return match error {
                CaseError::Fail(mismatch) => Outcome::Failed(Box::new(Failure {
                    mismatch: *mismatch,
                    input: String::new(),
                    seed: 0,
                })),
                CaseError::Budget => Outcome::Skipped("no budget".into()),
            };
        }
    }
    Outcome::Passed {
        cases: all.len() as u32,
        note: None,
    }
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
    if journal.len() > 1 + MAX_RETRIES {
        return Err(fail(
            format!(
                "{}: retried {} times (at most {MAX_RETRIES} retries allowed)",
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
            "{}: {} after {n} retr{} (within the bound of {MAX_RETRIES})",
            scenario.name,
            scenario.kind,
            if n == 1 { "y" } else { "ies" }
        ),
    });
    check_auth(journal, scenario.name)
}

// ---------------------------------------------------------------------------------------------------------
// output

fn print_result(out: &mut dyn Write, result: &ClientPropertyResult, config: &ClientSuiteConfig) {
    let time = format!("{:.2}s", result.elapsed.as_secs_f64());
    match &result.outcome {
        Outcome::Passed { cases, .. } => {
            let _ = writeln!(
                out,
                "PASS {:<20} {time:>7}  {cases} cases, {} requests",
                result.name, result.requests
            );
        }
        Outcome::Skipped(why) => {
            let _ = writeln!(out, "SKIP {:<20} {time:>7}  {why}", result.name);
        }
        Outcome::Failed(failure) => {
            let _ = writeln!(
                out,
                "FAIL {:<20} {time:>7}  {}",
                result.name, failure.mismatch.rule
            );
            if !failure.input.is_empty() {
                let _ = writeln!(out, "    minimal failing input: {}", failure.input);
            }
            let _ = writeln!(out, "    expected (-) vs got (+):");
            for line in diff(&failure.mismatch.expected, &failure.mismatch.got).lines() {
                let _ = writeln!(out, "      {line}");
            }
            let _ = match &config.replay {
                Some(command) => writeln!(
                    out,
                    "    replay: {command} --seed {} --property {}",
                    config.seed, result.name
                ),
                None => writeln!(
                    out,
                    "    replay: seed {}, property {}",
                    config.seed, result.name
                ),
            };
        }
    }
    for note in &result.notes {
        let _ = writeln!(out, "    note: {note}");
    }
}
