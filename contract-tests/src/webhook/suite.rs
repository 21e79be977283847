//! A whole receiver check: [`run_webhook_properties`] checks that the URL answers a connection, runs each
//! selected property of [`WEBHOOK_PROPERTIES`], prints one line per property (and for a failure its curl
//! replay, the payload, the reply and the line that reruns it) and `N passed, M failed`.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::report::{JunitCase, failure_block};
use crate::runner::{Failure, Outcome, RunSettings, count_passed, failed_names, failure_of};
use crate::webhook::context::{SentPayload, WebhookCtx};
use crate::webhook::payloads::long_transcript;
use crate::webhook::properties::{WEBHOOK_PROPERTIES, WebhookKind, WebhookProperty};
use crate::webhook::sender::{INLINE_CURL_BYTES, WebhookSender, curl, seconds};

/// The vendor's timeout for a post-call delivery.
pub const VENDOR_POST_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The vendor's timeout for each pre-call attempt.
pub const VENDOR_PRE_CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Cases per property unless asked otherwise (boundary cases included, and always all run).
pub const DEFAULT_WEBHOOK_CASES: u32 = 32;
/// How long a property may spend shrinking a failure unless asked otherwise.
pub const DEFAULT_SHRINK_TIME: Duration = Duration::from_secs(30);
/// At most this many shrink steps per failure (the time budget usually ends shrinking first on a slow
/// receiver).
const MAX_SHRINK_STEPS: u32 = 512;

/// The assumed webhook rules of `docs/contract.md` ("Webhooks") behind what a receiver gets, with the kind of
/// webhook each concerns: where the vendor's pages are silent, the mock (and the kit's payloads) make a
/// choice that a receiver should not depend on. A receiver cannot show which choice the vendor made, so a run
/// names them rather than checking them.
pub const WEBHOOK_ASSUMED_RULES: &[(&str, &str, WebhookKind)] = &[
    (
        "18g",
        "after the third failed pre-call attempt the call ends in error, system_error, and is reported",
        WebhookKind::PreCall,
    ),
    (
        "18h",
        "a pre-call reply that is not a 200 (and no 4xx or 5xx), or of the wrong shape, is not retried: the call goes ahead without its values",
        WebhookKind::PreCall,
    ),
    (
        "18i",
        "attempts \"2\" and \"3\" come 1 s and 2 s after the attempt before ended (its answer or its 3 s timeout)",
        WebhookKind::PreCall,
    ),
    (
        "18l",
        "call.bot_id is the call's agent (a bot uid), not a call or session id",
        WebhookKind::PreCall,
    ),
    (
        "18k",
        "createdAt is when the call was initiated (its create), before it rang or failed",
        WebhookKind::PostCall,
    ),
    (
        "18n",
        "successEvaluation is true when the call has a rating, and absent otherwise",
        WebhookKind::PostCall,
    ),
    (
        "18o",
        "dynamicVariables are the create's with the pre-call reply's merged over them, key by key",
        WebhookKind::PostCall,
    ),
    (
        "18p",
        "callDuration always has six fraction digits (0:00:45.000000), never Python's bare 0:00:45",
        WebhookKind::PostCall,
    ),
];

/// How to check a receiver.
#[derive(Debug, Clone)]
pub struct WebhookSuiteConfig {
    /// Which webhook the receiver takes: post-call, pre-call, or both at the same URL.
    pub kind: WebhookKind,
    /// Cases per property.
    pub cases: u32,
    /// The seed; the same seed sends the same payloads again.
    pub seed: u64,
    /// How long a post-call delivery may take: the vendor's 10 s unless set (tests use less).
    pub post_call_timeout: Duration,
    /// How long a pre-call delivery may take: the vendor's 3 s unless set.
    pub pre_call_timeout: Duration,
    /// Run only these properties (all of the kind when empty).
    pub only: Vec<String>,
    /// How long a property may spend shrinking a failure; each step is a delivery, and may wait a timeout.
    pub shrink_time: Duration,
}

impl Default for WebhookSuiteConfig {
    fn default() -> Self {
        Self::new(WebhookKind::PostCall)
    }
}

impl WebhookSuiteConfig {
    /// Defaults for `kind`: 32 cases, seed 0, the vendor's timeouts, every property.
    pub fn new(kind: WebhookKind) -> Self {
        Self {
            kind,
            cases: DEFAULT_WEBHOOK_CASES,
            seed: 0,
            post_call_timeout: VENDOR_POST_CALL_TIMEOUT,
            pre_call_timeout: VENDOR_PRE_CALL_TIMEOUT,
            only: Vec::new(),
            shrink_time: DEFAULT_SHRINK_TIME,
        }
    }

    /// The command line that reruns `property` (of `kind`) against `url` with this run's seed.
    pub fn replay_command(&self, url: &str, kind: WebhookKind, property: &str) -> String {
        let mut command = format!(
            "openmic-contract webhook --url '{}' --kind {}",
            url.replace('\'', "'\\''"),
            kind.as_str()
        );
        if self.cases != DEFAULT_WEBHOOK_CASES {
            command.push_str(&format!(" --cases {}", self.cases));
        }
        if self.post_call_timeout != VENDOR_POST_CALL_TIMEOUT && kind == WebhookKind::PostCall {
            command.push_str(&format!(
                " --post-call-timeout-ms {}",
                self.post_call_timeout.as_millis()
            ));
        }
        if self.pre_call_timeout != VENDOR_PRE_CALL_TIMEOUT && kind == WebhookKind::PreCall {
            command.push_str(&format!(
                " --pre-call-timeout-ms {}",
                self.pre_call_timeout.as_millis()
            ));
        }
        command.push_str(&format!(" --seed {} --property {property}", self.seed));
        command
    }
}

/// One property's result.
#[derive(Debug, Clone)]
pub struct WebhookPropertyResult {
    /// Its name.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// Deliveries it made, shrinking included.
    pub deliveries: u64,
    /// For a failure: the payload of the minimal failing case, as sent.
    pub payload: Option<SentPayload>,
    /// For a failure: the curl command that replays it.
    pub curl: Option<String>,
    /// For a failure whose payload is too long to paste: the file the curl command sends.
    pub payload_file: Option<PathBuf>,
    /// For a failure: the command line that reruns the property.
    pub replay: String,
}

/// A finished check of a receiver.
#[derive(Debug, Clone)]
pub struct WebhookReport {
    /// The receiver's URL.
    pub url: String,
    /// One result per property run.
    pub results: Vec<WebhookPropertyResult>,
}

impl WebhookReport {
    /// Properties that passed.
    pub fn passed(&self) -> usize {
        count_passed(self.results.iter().map(|r| &r.outcome))
    }

    /// Properties that failed.
    pub fn failed(&self) -> usize {
        self.failed_names().len()
    }

    /// The names of the failed properties, in run order.
    pub fn failed_names(&self) -> Vec<&'static str> {
        failed_names(self.results.iter().map(|r| (r.name, &r.outcome)))
    }

    /// The failure of one property, if it failed.
    pub fn failure(&self, name: &str) -> Option<&Failure> {
        failure_of(self.results.iter().map(|r| (r.name, &r.outcome)), name)
    }

    /// The result of one property, if it ran.
    pub fn result(&self, name: &str) -> Option<&WebhookPropertyResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// The results as JUnit XML, one test case per property, for CI dashboards.
    pub fn junit(&self) -> String {
        let details: Vec<String> = self.results.iter().map(failure_text).collect();
        let cases: Vec<JunitCase<'_>> = self
            .results
            .iter()
            .zip(&details)
            .map(|(result, details)| JunitCase {
                name: result.name,
                seconds: result.elapsed.as_secs_f64(),
                outcome: &result.outcome,
                details,
            })
            .collect();
        crate::report::junit("openmic-contract-webhook", &cases)
    }
}

/// Why a check could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// The URL is not one the kit can send to (not http(s), https without the `tls` feature).
    InvalidUrl(String),
    /// Nothing answers a connection at the URL's host and port.
    Unreachable(String),
    /// `--property` named something that is not a webhook property, or one of a kind the run does not send.
    UnknownProperty(String),
}

impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookError::InvalidUrl(why)
            | WebhookError::Unreachable(why)
            | WebhookError::UnknownProperty(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for WebhookError {}

/// The properties a run of `config` runs, in order; an error names a `--property` that cannot run.
fn selected(config: &WebhookSuiteConfig) -> Result<Vec<&'static WebhookProperty>, WebhookError> {
    for name in &config.only {
        match WEBHOOK_PROPERTIES.iter().find(|p| p.name == name) {
            None => {
                let names: Vec<&str> = WEBHOOK_PROPERTIES.iter().map(|p| p.name).collect();
                return Err(WebhookError::UnknownProperty(format!(
                    "no webhook property named {name:?}; the properties are: {}",
                    names.join(", ")
                )));
            }
            Some(p) if !config.kind.includes(p.kind) => {
                return Err(WebhookError::UnknownProperty(format!(
                    "{name} checks {} receivers, and this run sends {}: add --kind {}",
                    p.kind.as_str(),
                    config.kind.as_str(),
                    p.kind.as_str()
                )));
            }
            Some(_) => {}
        }
    }
    Ok(WEBHOOK_PROPERTIES
        .iter()
        .filter(|p| config.kind.includes(p.kind))
        .filter(|p| config.only.is_empty() || config.only.iter().any(|o| o == p.name))
        .collect())
}

/// Checks the receiver at `url`: sends generated payloads of the configured kind(s) to that URL only, and
/// writes the report to `out` as it goes. Errors only when the check cannot start (a bad URL or property,
/// nothing listening); a receiver that breaks a property is a failed property in the report. Call it outside
/// any async runtime (it runs its own).
///
/// ```no_run
/// use openmic_contract::webhook::{WebhookSuiteConfig, WebhookKind, run_webhook_properties};
///
/// let config = WebhookSuiteConfig::new(WebhookKind::PostCall);
/// let report = run_webhook_properties("http://127.0.0.1:3000/openmic/post-call", &config, &mut std::io::stdout())?;
/// assert_eq!(report.failed(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_webhook_properties(
    url: &str,
    config: &WebhookSuiteConfig,
    out: &mut dyn Write,
) -> Result<WebhookReport, WebhookError> {
    let properties = selected(config)?;
    let sender = WebhookSender::new(url).map_err(WebhookError::InvalidUrl)?;
    let probe_timeout = if config.kind.includes(WebhookKind::PostCall) {
        config.post_call_timeout
    } else {
        config.pre_call_timeout
    };
    sender
        .probe(probe_timeout)
        .map_err(WebhookError::Unreachable)?;
    let mut timeouts = Vec::new();
    if config.kind.includes(WebhookKind::PostCall) {
        timeouts.push(timeout_text(
            "post-call",
            config.post_call_timeout,
            VENDOR_POST_CALL_TIMEOUT,
        ));
    }
    if config.kind.includes(WebhookKind::PreCall) {
        timeouts.push(timeout_text(
            "pre-call",
            config.pre_call_timeout,
            VENDOR_PRE_CALL_TIMEOUT,
        ));
    }
    let _ = writeln!(
        out,
        "openmic-contract webhook: {} receiver at {url}, seed {}, {} cases per property, timeout {}",
        config.kind.as_str(),
        config.seed,
        config.cases,
        timeouts.join(", ")
    );
    let long = if properties.iter().any(|p| p.kind == WebhookKind::PostCall) {
        long_transcript()
    } else {
        Vec::new()
    };
    let ctx = WebhookCtx::new(
        &sender,
        RunSettings {
            cases: config.cases,
            seed: config.seed,
            max_shrink_iters: MAX_SHRINK_STEPS,
        },
        (config.post_call_timeout, config.pre_call_timeout),
        config.shrink_time,
        &long,
    );
    let mut results = Vec::new();
    for property in properties {
        ctx.start(property.name);
        let started = Instant::now();
        let outcome = (property.run)(&ctx);
        let elapsed = started.elapsed();
        let payload = matches!(outcome, Outcome::Failed(_))
            .then(|| ctx.failing_payload())
            .flatten();
        let payload_file = payload
            .as_ref()
            .filter(|p| too_long_to_paste(&p.body))
            .and_then(|p| {
                // The process id keeps two runs with the same seed (parallel CI jobs) apart.
                let path = std::env::temp_dir().join(format!(
                    "openmic-contract-webhook-{}-{}-{}.json",
                    std::process::id(),
                    config.seed,
                    property.name
                ));
                std::fs::write(&path, &p.body).ok().map(|()| path)
            });
        let curl = payload.as_ref().map(|p| {
            let once = curl(url, &p.body, p.timeout, payload_file.as_deref());
            if p.times > 1 {
                format!("for delivery in $(seq {}); do {once}; done", p.times)
            } else {
                once
            }
        });
        let result = WebhookPropertyResult {
            name: property.name,
            outcome,
            elapsed,
            deliveries: ctx.deliveries(),
            payload,
            curl,
            payload_file,
            replay: config.replay_command(url, property.kind, property.name),
        };
        print_result(out, &result);
        results.push(result);
    }
    let report = WebhookReport {
        url: url.to_string(),
        results,
    };
    let _ = writeln!(
        out,
        "assumed rules of docs/contract.md in these deliveries (the vendor is silent; do not depend on them):"
    );
    for (rule, text, kind) in WEBHOOK_ASSUMED_RULES {
        if config.kind.includes(*kind) {
            let _ = writeln!(out, "  {rule:<4} {text}");
        }
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    );
    Ok(report)
}

fn timeout_text(kind: &str, timeout: Duration, vendor: Duration) -> String {
    format!(
        "{kind} {}{}",
        seconds(timeout),
        if timeout == vendor {
            " (the vendor's)"
        } else {
            ""
        }
    )
}

fn print_result(out: &mut dyn Write, result: &WebhookPropertyResult) {
    let time = format!("{:.2}s", result.elapsed.as_secs_f64());
    let _ = match &result.outcome {
        Outcome::Passed { cases, .. } => writeln!(
            out,
            "PASS {:<26} {time:>7}  {cases} cases, {} deliveries",
            result.name, result.deliveries
        ),
        Outcome::Skipped(why) => writeln!(out, "SKIP {:<26} {time:>7}  {why}", result.name),
        Outcome::Failed(failure) => {
            let _ = writeln!(
                out,
                "FAIL {:<26} {time:>7}  {}",
                result.name, failure.mismatch.rule
            );
            out.write_all(failure_text(result).as_bytes())
        }
    };
}

/// The block under a `FAIL` line (empty for any other outcome): the curl replay, the payload file, the
/// payload, the reply and the replay line.
fn failure_text(result: &WebhookPropertyResult) -> String {
    let Outcome::Failed(failure) = &result.outcome else {
        return String::new();
    };
    let mut failure = failure.as_ref().clone();
    let mut detail = Vec::new();
    if let Some(payload) = &result.payload {
        if let Some(path) = &result.payload_file {
            detail.push(format!(
                "payload: {} bytes, written to {}",
                payload.body.len(),
                path.display()
            ));
        }
        if payload.times > 1 {
            detail.push(format!(
                "sent {} times in a row; the last delivery failed",
                payload.times
            ));
        }
    }
    if !detail.is_empty() {
        failure.mismatch.detail = Some(detail.join("\n"));
    }
    // A receiver's failure lists payloads, not a long walk of requests: nothing for --verbose to add.
    failure_block(&failure, result.curl.clone(), &result.replay, false)
}

/// Whether a failing payload is written to a file for its curl command rather than pasted into it: longer than
/// [`INLINE_CURL_BYTES`].
fn too_long_to_paste(body: &str) -> bool {
    body.len() > INLINE_CURL_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_over_4_kib_goes_to_a_file() {
        assert!(!too_long_to_paste(&"x".repeat(4 * 1024)));
        assert!(too_long_to_paste(&"x".repeat(4 * 1024 + 1)));
        assert!(!too_long_to_paste("{}"));
    }
}
