//! A whole run: list the data, run each property within its share of the budget, print one line per property
//! (and each failure's curl command, diff and seed), the drift report, and `N passed, M failed`. The list
//! properties ([`PROPERTIES`]) run first, then the account's ([`ACCOUNT_PROPERTIES`]: bots and phone numbers),
//! then the create-phone-call ones ([`CREATE_PROPERTIES`]), which add calls, then the writes
//! ([`WRITE_PROPERTIES`], then [`CALLING_WRITE_PROPERTIES`]), which change bots and links and put them back.

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::contract::account::Resource;
use crate::contract::create::CREATE_PATH;
use crate::http::{HttpClient, Limits, ProgressSink, Request, Target};
use crate::report::{JunitCase, failure_block};
use crate::runner::{Failure, Outcome, count_passed, failed_names, failure_of};
use crate::server::account::ACCOUNT_PROPERTIES;
use crate::server::context::Ctx;
use crate::server::create::{CREATE_PROPERTIES, create_refusal};
use crate::server::create_inputs::is_kit_call_in_flight;
use crate::server::dataset::{Dataset, DiscoverError, discover, discover_resource};
use crate::server::properties::{PROPERTIES, Property};
use crate::server::writes::{
    CALLING_WRITE_PROPERTIES, CLEANUP_RESERVE, LINKED_CALLS, WRITE_PROPERTIES,
    WRITES_PER_LINKED_CALL, write_refusal,
};

/// Cases per property unless asked otherwise: what the CLI's `--cases` defaults to.
pub const DEFAULT_CASES: u32 = 32;

/// At most this many requests that could create a call, per run, against a target that is not this machine
/// (each may be a real phone call): what the CLI's `--max-creates` defaults to there.
pub const DEFAULT_MAX_CREATES_REMOTE: u64 = 5;
/// The same on a loopback target: enough for the create properties' default cases, still bounded.
pub const DEFAULT_MAX_CREATES_LOCAL: u64 = 100;

/// What a property may do to the target, which decides when it runs and what it may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Only `GET` of calls.
    ReadsCalls,
    /// Only `GET` of bots and phone numbers (they are listed first).
    ReadsAccount,
    /// Creates calls: `--allow-create` off this machine, within `--max-creates`.
    CreatesCalls,
    /// Changes bots and links (and puts them back): `--allow-writes`.
    Writes,
    /// Both of the last two.
    WritesAndCreatesCalls,
}

impl Effect {
    /// The suite a property with this effect belongs to.
    fn suite(self) -> Suite {
        match self {
            Effect::ReadsCalls => Suite::List,
            Effect::ReadsAccount => Suite::Account,
            Effect::CreatesCalls => Suite::Create,
            Effect::Writes | Effect::WritesAndCreatesCalls => Suite::Writes,
        }
    }

    fn creates_calls(self) -> bool {
        matches!(self, Effect::CreatesCalls | Effect::WritesAndCreatesCalls)
    }

    fn writes(self) -> bool {
        matches!(self, Effect::Writes | Effect::WritesAndCreatesCalls)
    }

    /// Whether the bots and numbers must be listed first (creates too: a number without an outbound agent
    /// cannot call without `override_agent_id`).
    fn needs_account(self) -> bool {
        self != Effect::ReadsCalls
    }
}

/// A group of properties that one part of the API decides: a target implements it or not (a team's own fake
/// may serve only List Calls), and a run selects it or not (`--suite`, `--skip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Suite {
    /// List Calls and Get Call ([`PROPERTIES`]).
    List,
    /// Bots and phone numbers, read ([`ACCOUNT_PROPERTIES`]).
    Account,
    /// Create-phone-call ([`CREATE_PROPERTIES`]).
    Create,
    /// Bot and link writes ([`WRITE_PROPERTIES`], [`CALLING_WRITE_PROPERTIES`]), behind `--allow-writes`.
    Writes,
}

impl Suite {
    /// Every suite, in the order they run.
    pub const ALL: [Suite; 4] = [Suite::List, Suite::Account, Suite::Create, Suite::Writes];

    /// Its name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Suite::List => "list",
            Suite::Account => "account",
            Suite::Create => "create",
            Suite::Writes => "writes",
        }
    }

    /// The suite called `name`, if any.
    pub fn parse(name: &str) -> Option<Suite> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a suite ran, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteState {
    /// Its properties ran (each may still have been skipped on its own).
    Ran,
    /// The run left it out (`--suite`, `--skip`, or `--property` naming none of its properties).
    NotSelected,
    /// The target answered its operation with 404 or 405: the request and the status, such as
    /// `POST /v1/create-phone-call answered 405`.
    NotImplemented(String),
    /// The run may not use it on this target (creates off this machine without `--allow-create`, writes
    /// without `--allow-writes`): its properties are each reported as skipped, with this reason.
    Refused(&'static str),
}

/// The statuses that say a target does not implement an operation at all.
fn is_not_implemented(status: u16) -> bool {
    status == 404 || status == 405
}

/// Every property in the order they run, each with what it may do.
fn all_properties() -> impl Iterator<Item = (&'static Property, Effect)> {
    PROPERTIES
        .iter()
        .map(|p| (p, Effect::ReadsCalls))
        .chain(ACCOUNT_PROPERTIES.iter().map(|p| (p, Effect::ReadsAccount)))
        .chain(CREATE_PROPERTIES.iter().map(|p| (p, Effect::CreatesCalls)))
        .chain(WRITE_PROPERTIES.iter().map(|p| (p, Effect::Writes)))
        .chain(
            CALLING_WRITE_PROPERTIES
                .iter()
                .map(|p| (p, Effect::WritesAndCreatesCalls)),
        )
}

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct ServerSuiteConfig {
    /// The server to check.
    pub target: Target,
    /// Generated cases per property.
    pub cases: u32,
    /// The seed; the same seed against the same data replays the same requests.
    pub seed: u64,
    /// Budget and rate limit.
    pub limits: Limits,
    /// Run only these properties (all when empty).
    pub only: Vec<String>,
    /// Run the create-phone-call properties against a target that is not this machine (they always run on a
    /// loopback one).
    pub allow_create: bool,
    /// At most this many requests that could create a call in the whole run, invalid ones included.
    pub max_creates: u64,
    /// Run the write properties (create, update and delete bots, link and unlink numbers), on any target.
    pub allow_writes: bool,
    /// The suites to run (every one by default); a target that does not implement one is told apart from a
    /// target that breaks it.
    pub suites: Vec<Suite>,
    /// Show every request of a failure, not only the first and last three.
    pub verbose: bool,
}

impl ServerSuiteConfig {
    /// Defaults for `target`: 32 cases, seed 0, no limits for a local target and the live limits otherwise;
    /// no creates on a remote target unless `allow_create` is set, and then at most
    /// [`DEFAULT_MAX_CREATES_REMOTE`].
    pub fn new(target: Target) -> Self {
        let (limits, max_creates) = if target.is_local() {
            (Limits::UNLIMITED, DEFAULT_MAX_CREATES_LOCAL)
        } else {
            (Limits::LIVE, DEFAULT_MAX_CREATES_REMOTE)
        };
        Self {
            target,
            cases: DEFAULT_CASES,
            seed: 0,
            limits,
            only: Vec::new(),
            allow_create: false,
            max_creates,
            allow_writes: false,
            suites: Suite::ALL.to_vec(),
            verbose: false,
        }
    }
}

impl ServerSuiteConfig {
    /// The command line that reruns this run's cases, without `--seed` and `--property`. The key is written
    /// as `--api-key "$OPENMIC_API_KEY"` (never printed itself): export it before pasting a replay line.
    pub fn replay_command(&self) -> String {
        let mut command = format!(
            "openmic-contract server --base-url {} --api-key \"$OPENMIC_API_KEY\"",
            self.target.base_url
        );
        if self.cases != DEFAULT_CASES {
            command.push_str(&format!(" --cases {}", self.cases));
        }
        if self.allow_create {
            command.push_str(" --allow-create");
        }
        if self.allow_writes {
            command.push_str(" --allow-writes");
        }
        let default_creates = if self.target.is_local() {
            DEFAULT_MAX_CREATES_LOCAL
        } else {
            DEFAULT_MAX_CREATES_REMOTE
        };
        if self.max_creates != default_creates {
            command.push_str(&format!(" --max-creates {}", self.max_creates));
        }
        if self.suites != Suite::ALL {
            let names: Vec<&str> = self.suites.iter().map(|s| s.name()).collect();
            command.push_str(&format!(" --suite {}", names.join(",")));
        }
        command
    }
}

/// One property's result.
#[derive(Debug, Clone)]
pub struct PropertyResult {
    /// Its name.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// Requests it used.
    pub requests: u64,
    /// Server errors that passed on repeat (`500 once, passed on repeat: GET ...`): not counted as failures.
    pub flaky: Vec<String>,
}

/// PASS, FAIL or NOT TESTED for one assumed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The target follows the mock's choice.
    Pass,
    /// The target differs.
    Fail,
    /// The properties that check it did not run (budget, no data, or filtered out).
    NotTested,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotTested => "NOT TESTED",
        })
    }
}

/// The assumed rules of `docs/contract.md` the drift report covers, with the properties that decide each.
pub const ASSUMED_RULES: &[(&str, &str, &[&str])] = &[
    ("4b", "default limit is 50", &["defaults"]),
    (
        "10a-c",
        "newest first, ties by call_id descending",
        &["ordering"],
    ),
    ("6b", "date bounds are inclusive", &["date_bounds"]),
    ("6a", "bare YYYY-MM-DD dates are accepted", &["bare_dates"]),
    (
        "8a",
        "repeated parameters are rejected",
        &["repeated_parameters"],
    ),
    (
        "8b",
        "unknown parameters are ignored",
        &["unknown_parameters"],
    ),
    ("7a", "string filters match exactly", &["exact_matching"]),
    (
        "7c",
        "an empty filter value means the filter is not given",
        &["exact_matching"],
    ),
    ("1b", "a trailing slash is accepted", &["trailing_slash"]),
    (
        "17b",
        "bots and phone numbers: newest created_at first, ties by id ascending",
        &["bots_order", "phone_numbers_order"],
    ),
    (
        "17c",
        "name matches a case-insensitive part, phone_number a part",
        &["bots_name_filter", "phone_numbers_filters"],
    ),
    (
        "17d",
        "created_after and created_before are strict",
        &["bots_created_bounds"],
    ),
    (
        "17h",
        "a phone number has both agent keys, null when none",
        &["phone_number_links"],
    ),
    (
        "17g",
        "PATCH merges settings objects field by field",
        &["bot_update_merge"],
    ),
    (
        "17m",
        "a bot linked to a phone number is in use: 409 on delete",
        &["bot_in_use"],
    ),
    (
        "17j",
        "a created call without override takes the linked outbound agent",
        &["linked_agent_call"],
    ),
];

/// A finished run.
#[derive(Debug, Clone)]
pub struct Report {
    /// What listing found.
    pub data: Dataset,
    /// One result per property run.
    pub results: Vec<PropertyResult>,
    /// The drift verdicts, in [`ASSUMED_RULES`] order.
    pub drift: Vec<(&'static str, &'static str, Verdict)>,
    /// Which suites ran, in [`Suite::ALL`] order.
    pub suites: Vec<(Suite, SuiteState)>,
    /// Requests used in all.
    pub requests: u64,
    /// Time spent waiting for rate limits.
    pub waited: Duration,
}

impl Report {
    /// Properties that passed.
    pub fn passed(&self) -> usize {
        count_passed(self.results.iter().map(|r| &r.outcome))
    }

    /// Properties that failed.
    pub fn failed(&self) -> usize {
        self.failed_names().len()
    }

    /// The names of the failed properties.
    pub fn failed_names(&self) -> Vec<&'static str> {
        failed_names(self.results.iter().map(|r| (r.name, &r.outcome)))
    }

    /// The failure of one property, if it failed.
    pub fn failure(&self, name: &str) -> Option<&Failure> {
        failure_of(self.results.iter().map(|r| (r.name, &r.outcome)), name)
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum SuiteError {
    /// The client could not be built, the listing failed to reach the target, or the target rejected the key.
    Client(DiscoverError),
    /// `--property` named something that is not a property.
    UnknownProperty(String),
}

impl std::fmt::Display for SuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuiteError::Client(e) => write!(f, "{e}"),
            SuiteError::UnknownProperty(name) => {
                let names: Vec<&str> = all_properties().map(|(p, _)| p.name).collect();
                write!(
                    f,
                    "no property named {name:?}; the properties are: {}",
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for SuiteError {}

/// Runs the suite, writing the human report to `out` as it goes and progress (live runs) to `progress`.
pub fn run(
    config: &ServerSuiteConfig,
    out: &mut dyn Write,
    progress: Option<ProgressSink>,
) -> Result<Report, SuiteError> {
    for name in &config.only {
        if !all_properties().any(|(p, _)| p.name == name) {
            return Err(SuiteError::UnknownProperty(name.clone()));
        }
    }
    let client = HttpClient::new(config.target.clone(), config.limits)
        .map_err(|e| SuiteError::Client(DiscoverError::Http(e)))?;
    client.set_progress(progress.clone());
    let budgeted = config.limits.max_requests != u64::MAX;
    let _ = writeln!(
        out,
        "openmic-contract: {} ({}), seed {}, {} cases per property",
        config.target.base_url,
        if budgeted {
            format!(
                "budget {} requests, {}",
                config.limits.max_requests,
                config
                    .limits
                    .rate_per_minute
                    .map_or("no rate limit".into(), |r| format!("at most {r}/minute"))
            )
        } else {
            "local: no request budget, no rate limit".into()
        },
        config.seed,
        config.cases
    );
    // A quarter of a budget for listing; without a budget, up to 20,000 calls.
    let pages = if budgeted {
        (config.limits.max_requests / 4).max(1)
    } else {
        200
    };
    let mut data = discover(&client, pages).map_err(SuiteError::Client)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    data.settle(is_kit_call_in_flight, now_ms);
    let _ = writeln!(
        out,
        "data: {} calls listed in {} requests (server total {}){}",
        data.calls.len(),
        data.requests,
        data.reported_total,
        data.window.as_ref().map_or(String::new(), |w| format!(
            "; larger than the budget allows, so every query is windowed to from_date={}",
            w.text
        ))
    );
    if let Some(until) = &data.until {
        let _ = writeln!(
            out,
            "  in flight: {} calls an earlier run created are still playing out, so every query ends before \
             them, at to_date={}",
            data.in_flight, until.text
        );
    }
    for problem in &data.problems {
        let _ = writeln!(out, "  listing: {problem}");
    }
    for line in &data.flaky {
        let _ = writeln!(out, "  listing flaky: {line}");
    }
    let mut selected: Vec<(&Property, Effect)> = all_properties()
        .filter(|(_, e)| config.suites.contains(&e.suite()))
        .filter(|(p, _)| config.only.is_empty() || config.only.iter().any(|o| o == p.name))
        .collect();
    let mut suites: Vec<(Suite, SuiteState)> = Suite::ALL
        .into_iter()
        .map(|suite| {
            let state = if selected.iter().any(|(_, e)| e.suite() == suite) {
                SuiteState::Ran
            } else {
                SuiteState::NotSelected
            };
            (suite, state)
        })
        .collect();
    // Properties refused up front take no share of the budget.
    let refusal = create_refusal(&config.target, config.allow_create);
    let writes_refusal = write_refusal(config.allow_writes);
    let refused_for = |effect: Effect| {
        writes_refusal
            .filter(|_| effect.writes())
            .or(refusal.filter(|_| effect.creates_calls()))
    };
    let runs = |(_, effect): &&(&Property, Effect)| refused_for(*effect).is_none();
    // linked_agent_call places at most 2 calls: kept aside from --max-creates for it, the rest shared evenly.
    let reserved = if selected
        .iter()
        .filter(runs)
        .any(|(_, e)| *e == Effect::WritesAndCreatesCalls)
    {
        config.max_creates.min(LINKED_CALLS)
    } else {
        0
    };
    if selected.iter().filter(runs).any(|(_, e)| e.needs_account()) {
        list_account(&client, &mut data, pages.min(20), out)?;
        let (bots, numbers) = (data.bots.first_status, data.phone_numbers.first_status);
        if is_not_implemented(bots) && is_not_implemented(numbers) {
            let why = format!(
                "GET {} answered {bots}, GET {} answered {numbers}",
                Resource::Bots.path(),
                Resource::PhoneNumbers.path()
            );
            // The writes stand on the account: without its lists they have nothing to change or put back.
            mark_not_implemented(&mut suites, Suite::Account, &why);
            mark_not_implemented(&mut suites, Suite::Writes, &why);
        }
    }
    if refusal.is_none()
        && config.max_creates > 0
        && selected.iter().any(|(_, e)| *e == Effect::CreatesCalls)
        && let Some(status) = probe_create(&client)?
    {
        mark_not_implemented(
            &mut suites,
            Suite::Create,
            &format!("POST {CREATE_PATH} answered {status}"),
        );
    }
    for (suite, state) in &suites {
        if let SuiteState::NotImplemented(why) = state {
            let count = selected.iter().filter(|(_, e)| e.suite() == *suite).count();
            let _ = writeln!(
                out,
                "suite {suite}: not implemented by the target ({why}); its {count} selected properties not run"
            );
        }
    }
    selected.retain(|(_, e)| suite_state(&suites, e.suite()) == &SuiteState::Ran);
    for (suite, state) in &mut suites {
        let why = match suite {
            Suite::Create => refusal,
            Suite::Writes => writes_refusal,
            Suite::List | Suite::Account => None,
        };
        if let (SuiteState::Ran, Some(why)) = (&state, why) {
            *state = SuiteState::Refused(why);
        }
    }
    let mut runs_left = selected.iter().filter(runs).count() as u64;
    let mut creators_left = selected
        .iter()
        .filter(|(_, e)| *e == Effect::CreatesCalls)
        .filter(runs)
        .count() as u64;
    if refusal.is_none() && creators_left > 0 {
        let _ = writeln!(
            out,
            "creates: at most {} requests to POST {CREATE_PATH}, invalid ones included",
            config.max_creates
        );
    }
    let ctx = Ctx {
        client: &client,
        data: &data,
        cases: config.cases,
        seed: config.seed,
        max_shrink_iters: if budgeted { 24 } else { 256 },
        flaky: RefCell::new(Vec::new()),
        create_refusal: refusal,
    };
    let mut results = Vec::new();
    for (i, &(property, effect)) in selected.iter().enumerate() {
        let refused = refused_for(effect);
        if refused.is_none() {
            if budgeted {
                let share = client.remaining() / runs_left.max(1);
                // A write property's clean-up may go past its share: keep a reserve for it in the budget.
                client.set_share(if effect.writes() {
                    share.saturating_sub(CLEANUP_RESERVE)
                } else {
                    share
                });
            }
            runs_left = runs_left.saturating_sub(1);
        }
        // A read property sends only GET. A create property, which runs before any write, gets an even share
        // of what is left of --max-creates after linked_agent_call's reserve (every write so far was a
        // create); linked_agent_call gets its reserve, in requests; bots and links are put back, so only the
        // request budget caps them.
        client.set_write_share(match effect {
            _ if refused.is_some() => 0,
            Effect::ReadsCalls | Effect::ReadsAccount => 0,
            Effect::Writes => u64::MAX,
            Effect::CreatesCalls => {
                let left = config
                    .max_creates
                    .saturating_sub(reserved)
                    .saturating_sub(client.writes());
                let share = left / creators_left.max(1);
                creators_left = creators_left.saturating_sub(1);
                share
            }
            Effect::WritesAndCreatesCalls => reserved.saturating_mul(WRITES_PER_LINKED_CALL),
        });
        let before = client.used();
        let started = Instant::now();
        let mut outcome = if let Some(why) = refused {
            Outcome::Skipped(why.into())
        } else if property.needs_data && data.calls.is_empty() {
            Outcome::Skipped("no calls were listed".into())
        } else {
            (property.run)(&ctx)
        };
        if let Outcome::Failed(failure) = &mut outcome
            && failure.mismatch.input.is_none()
            && let Some(request) = &failure.mismatch.request
        {
            failure.mismatch.input = Some(format!(
                "{} over the {} calls listed{}{}",
                request.path_and_query(),
                data.calls.len(),
                data.window
                    .as_ref()
                    .map_or(String::new(), |w| format!(" (from {})", w.text)),
                data.until
                    .as_ref()
                    .map_or(String::new(), |u| format!(" (until {})", u.text))
            ));
        }
        client.clear_share();
        client.set_write_share(0);
        let result = PropertyResult {
            name: property.name,
            outcome,
            elapsed: started.elapsed(),
            requests: client.used() - before,
            flaky: ctx.flaky.take(),
        };
        print_result(out, &result, config);
        if let Some(sink) = &progress {
            sink(&format!(
                "progress: {}/{} properties, {} requests used{}",
                i + 1,
                selected.len(),
                client.used(),
                if budgeted {
                    format!(" of {}", config.limits.max_requests)
                } else {
                    String::new()
                }
            ));
        }
        results.push(result);
    }
    let drift = drift(&results);
    let _ = writeln!(
        out,
        "drift report (assumed rules of docs/contract.md, on this target):"
    );
    for (rule, text, verdict) in &drift {
        let _ = writeln!(out, "  {verdict:<10} {rule:<6} {text}");
    }
    let _ = writeln!(
        out,
        "  (the webhook rules 18g-18r of docs/contract.md are assumed too; a server cannot show them, and openmic-contract webhook names those a receiver sees)"
    );
    let _ = writeln!(out, "  {}", suites_line(&suites));
    let report = Report {
        data,
        results,
        drift,
        suites,
        requests: client.used(),
        waited: client.waited(),
    };
    let skipped = report.results.len() - report.passed() - report.failed();
    let _ = writeln!(
        out,
        "requests: {} used{}{}{}",
        report.requests,
        if budgeted {
            format!(" of {}", config.limits.max_requests)
        } else {
            String::new()
        },
        if report.waited > Duration::ZERO {
            format!(
                ", {:.1}s waiting for rate limits",
                report.waited.as_secs_f64()
            )
        } else {
            String::new()
        },
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    );
    if report.failed() > 0 {
        let _ = writeln!(
            out,
            "replay lines read the key from $OPENMIC_API_KEY: export it before running one"
        );
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    );
    Ok(report)
}

fn mark_not_implemented(suites: &mut [(Suite, SuiteState)], suite: Suite, why: &str) {
    for (s, state) in suites.iter_mut() {
        if *s == suite && *state == SuiteState::Ran {
            *state = SuiteState::NotImplemented(why.to_string());
        }
    }
}

fn suite_state(suites: &[(Suite, SuiteState)], suite: Suite) -> &SuiteState {
    suites
        .iter()
        .find(|(s, _)| *s == suite)
        .map_or(&SuiteState::NotSelected, |(_, state)| state)
}

/// Whether the target implements create-phone-call, asked with an empty object: a server that does answers
/// it with a 400 (and places no call); one that does not, with a 404 or 405. `Some(status)` for the latter.
/// The request counts towards `--max-creates`, as every request that could create a call does.
fn probe_create(client: &HttpClient) -> Result<Option<u16>, SuiteError> {
    client.set_write_share(1);
    let response = client.send(&Request::post(CREATE_PATH, Some("application/json"), "{}"));
    client.set_write_share(0);
    let response = response.map_err(|e| SuiteError::Client(DiscoverError::Http(e)))?;
    Ok(is_not_implemented(response.status).then_some(response.status))
}

/// The drift report's last line: which suites ran, and why the others did not.
fn suites_line(suites: &[(Suite, SuiteState)]) -> String {
    let ran: Vec<&str> = suites
        .iter()
        .filter(|(_, state)| *state == SuiteState::Ran)
        .map(|(s, _)| s.name())
        .collect();
    let not_run: Vec<String> = suites
        .iter()
        .filter_map(|(suite, state)| match state {
            SuiteState::Ran => None,
            SuiteState::NotSelected => Some(format!("{suite} (not selected)")),
            SuiteState::NotImplemented(why) => Some(format!("{suite} (not implemented: {why})")),
            SuiteState::Refused(why) => Some(format!("{suite} ({why})")),
        })
        .collect();
    format!(
        "suites run: {}{}",
        if ran.is_empty() {
            "none".to_string()
        } else {
            ran.join(", ")
        },
        if not_run.is_empty() {
            String::new()
        } else {
            format!("; not run: {}", not_run.join(", "))
        }
    )
}

/// Lists the bots and the phone numbers (at most `pages` requests each) into `data`, and says so.
fn list_account(
    client: &HttpClient,
    data: &mut Dataset,
    pages: u64,
    out: &mut dyn Write,
) -> Result<(), SuiteError> {
    let http = |e| SuiteError::Client(DiscoverError::Http(e));
    data.bots = discover_resource(client, Resource::Bots, pages).map_err(http)?;
    data.phone_numbers = discover_resource(client, Resource::PhoneNumbers, pages).map_err(http)?;
    let _ = writeln!(
        out,
        "account: {} bots and {} phone numbers listed in {} requests",
        data.bots.records.len(),
        data.phone_numbers.records.len(),
        data.bots.requests + data.phone_numbers.requests
    );
    for problem in data
        .bots
        .problems
        .iter()
        .chain(&data.phone_numbers.problems)
    {
        let _ = writeln!(out, "  listing: {problem}");
    }
    Ok(())
}

fn drift(results: &[PropertyResult]) -> Vec<(&'static str, &'static str, Verdict)> {
    ASSUMED_RULES
        .iter()
        .map(|&(rule, text, props)| {
            let outcomes: Vec<&Outcome> = results
                .iter()
                .filter(|r| props.contains(&r.name))
                .map(|r| &r.outcome)
                .collect();
            let verdict = if outcomes.iter().any(|o| matches!(o, Outcome::Failed(_))) {
                Verdict::Fail
            } else if !outcomes.is_empty()
                && outcomes.iter().all(|o| matches!(o, Outcome::Passed { .. }))
            {
                Verdict::Pass
            } else {
                Verdict::NotTested
            };
            (rule, text, verdict)
        })
        .collect()
}

fn print_result(out: &mut dyn Write, result: &PropertyResult, config: &ServerSuiteConfig) {
    print_outcome(out, result, config);
    for line in &result.flaky {
        let _ = writeln!(out, "    flaky: {line}");
    }
}

fn print_outcome(out: &mut dyn Write, result: &PropertyResult, config: &ServerSuiteConfig) {
    let time = format!("{:.2}s", result.elapsed.as_secs_f64());
    let _ = match &result.outcome {
        Outcome::Passed { cases, note } => writeln!(
            out,
            "PASS {:<20} {time:>7}  {cases} cases, {} requests{}",
            result.name,
            result.requests,
            note.as_ref().map_or(String::new(), |n| format!(" ({n})"))
        ),
        Outcome::Skipped(why) => writeln!(out, "SKIP {:<20} {time:>7}  {why}", result.name),
        Outcome::Failed(failure) => {
            let _ = writeln!(
                out,
                "FAIL {:<20} {time:>7}  {}",
                result.name, failure.mismatch.rule
            );
            write_failure(out, result.name, failure, config)
        }
    };
}

/// The failure block: the minimal request as curl, the input, the diff, the replay line.
fn write_failure(
    out: &mut dyn Write,
    name: &str,
    failure: &Failure,
    config: &ServerSuiteConfig,
) -> std::io::Result<()> {
    let curl = failure
        .mismatch
        .request
        .as_ref()
        .map(|r| r.curl(&config.target.base_url));
    let replay = format!(
        "{} --seed {} --property {name}",
        config.replay_command(),
        failure.seed
    );
    out.write_all(failure_block(failure, curl, &replay, config.verbose).as_bytes())
}

/// The results as JUnit XML, one test case per property, for CI dashboards.
pub fn junit(report: &Report, config: &ServerSuiteConfig) -> String {
    let details: Vec<String> = report
        .results
        .iter()
        .map(|result| match &result.outcome {
            Outcome::Failed(failure) => {
                let mut body = Vec::new();
                let _ = write_failure(&mut body, result.name, failure, config);
                String::from_utf8_lossy(&body).into_owned()
            }
            _ => String::new(),
        })
        .collect();
    let cases: Vec<JunitCase<'_>> = report
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
    crate::report::junit("openmic-contract", &cases)
}
