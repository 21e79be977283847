//! A whole client run: [`run_client_properties`] starts the mock in-process, builds the client under test
//! from the mock's base URL and a key, runs each property of the table, and reports like the server suite (one
//! line per property, shrunk counterexamples as diffs, `N passed, M failed`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use openmic_fixtures::Call;
use openmic_mock::MockServer;
use serde_json::Value;

use crate::client::harness::{CLIENT_KEY, DEFAULT_MAX_RETRIES, Env, client_dataset};
use crate::client::properties::{CLIENT_PROPERTIES, Server};
use crate::client::scripted::Scripted;
use crate::client::under_test::ClientUnderTest;
use crate::http::{HttpClient, Limits, Target};
use crate::report::failure_block;
use crate::runner::{Failure, Outcome, RunSettings};

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
    /// The client's retry policy, as the user states it: at most this many retries of one operation
    /// ([`DEFAULT_MAX_RETRIES`] unless said otherwise; the CLI's `--max-retries`).
    pub max_retries: usize,
    /// The user's opt-in to a create retried after a 5xx or a dropped connection (the client makes creates
    /// safe to repeat, or the user accepts a call placed twice); the CLI's `--retry-creates`.
    pub retry_creates: bool,
    /// Show every request of a failure, not only the first and last three.
    pub verbose: bool,
}

impl ClientSuiteConfig {
    /// 32 cases, seed 0, every property, [`DEFAULT_MAX_RETRIES`].
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            cases: 32,
            seed: 0,
            only: Vec::new(),
            label: label.into(),
            replay: None,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_creates: false,
            verbose: false,
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
        crate::runner::count_passed(self.results.iter().map(|r| &r.outcome))
    }

    /// Properties that failed.
    pub fn failed(&self) -> usize {
        self.failed_names().len()
    }

    /// The names of the failed properties.
    pub fn failed_names(&self) -> Vec<&'static str> {
        crate::runner::failed_names(self.results.iter().map(|r| (r.name, &r.outcome)))
    }

    /// The failure of one property, if it failed.
    pub fn failure(&self, name: &str) -> Option<&Failure> {
        crate::runner::failure_of(self.results.iter().map(|r| (r.name, &r.outcome)), name)
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
                let names: Vec<&str> = CLIENT_PROPERTIES.iter().map(|p| p.name).collect();
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
        if !CLIENT_PROPERTIES.iter().any(|p| p.name == name) {
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
    let scripted = Scripted::start()
        .map_err(|e| ClientSuiteError::Start(format!("cannot start the scripted server: {e}")))?;
    let kit = HttpClient::new(Target::new(server.uri(), CLIENT_KEY), Limits::UNLIMITED)
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
        max_retries: config.max_retries,
        retry_creates: config.retry_creates,
        scripted: &scripted,
    };
    let settings = RunSettings {
        cases: config.cases,
        seed: config.seed,
        max_shrink_iters: 128,
    };
    let _ = writeln!(
        out,
        "openmic-contract client: {} against an in-process mock at {} ({} calls), seed {}, {} cases per property, at most {} retries",
        config.label,
        server.uri(),
        env.data.len(),
        config.seed,
        config.cases,
        config.max_retries
    );
    let mut results = Vec::new();
    for property in CLIENT_PROPERTIES {
        let name = property.name;
        if !config.only.is_empty() && !config.only.iter().any(|o| o == name) {
            continue;
        }
        let base_url = match property.server {
            Server::Mock => server.uri(),
            Server::Scripted => scripted.uri().to_string(),
        };
        let client = make_client(&base_url, CLIENT_KEY).map_err(|e| {
            ClientSuiteError::Start(format!("cannot start the client for `{name}`: {e}"))
        })?;
        let client = RefCell::new(client);
        env.requests.set(0);
        env.notes.borrow_mut().clear();
        let started = Instant::now();
        let outcome = (property.run)(&env, &settings, &client);
        // Only the run's first adapter can fail to start: a later one that dies has failed its property.
        if results.is_empty()
            && matches!(outcome, Outcome::Failed(_))
            && let Some(why) = client.borrow_mut().start_failure()
        {
            return Err(ClientSuiteError::Start(why));
        }
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
            let replay = match &config.replay {
                Some(command) => format!(
                    "{command} --seed {} --property {}",
                    config.seed, result.name
                ),
                None => format!("seed {}, property {}", config.seed, result.name),
            };
            let _ = out.write_all(failure_block(failure, None, &replay, config.verbose).as_bytes());
        }
    }
    for note in &result.notes {
        let _ = writeln!(out, "    note: {note}");
    }
}
