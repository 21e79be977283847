//! `openmic-contract server`: checks a server against the contract, then prints the drift report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use openmic_contract::{Limits, ProgressSink, ServerSuiteConfig, Target, server};

use super::{error, random_seed, verdict, write_junit};

// The flags of `server` (no doc comment: clap would take it for the subcommand's about).
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Base URL of the server, such as http://127.0.0.1:8080 or https://api.openmic.ai.
    #[arg(long, env = "OPENMIC_BASE_URL")]
    base_url: String,
    /// API key, sent as `Authorization: Bearer <key>`; never printed (curl commands show $OPENMIC_API_KEY).
    #[arg(long, env = "OPENMIC_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Generated cases per property.
    #[arg(long, env = "OPENMIC_CONTRACT_CASES", default_value_t = 32)]
    cases: u32,
    /// Seed for the generated cases; printed with every failure to replay it. Default: random.
    #[arg(long, env = "OPENMIC_CONTRACT_SEED")]
    seed: Option<u64>,
    /// Request budget for the whole run. Default: 300 for a remote target, none for localhost.
    #[arg(long, env = "OPENMIC_CONTRACT_MAX_REQUESTS")]
    max_requests: Option<u64>,
    /// Client-side rate limit in requests per minute (0: none). Default: 90 for a remote target, none for localhost.
    #[arg(long, env = "OPENMIC_CONTRACT_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, env = "OPENMIC_CONTRACT_JUNIT")]
    junit: Option<PathBuf>,
    /// Show every request of a failure; by default a failure shows the first and last three and a count of the
    /// rest. The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_VERBOSE", value_parser = clap::builder::BoolishValueParser::new())]
    verbose: bool,
    /// Run only this property (repeatable; comma-separated in the env var).
    #[arg(long, env = "OPENMIC_CONTRACT_PROPERTY", value_delimiter = ',')]
    property: Vec<String>,
    /// Run only these suites: list (List Calls, Get Call), account (bots, phone numbers), create
    /// (create-phone-call), writes (bot and link writes). Repeatable or comma-separated. Default: all. A suite
    /// whose operation the target answers with 404 or 405 is reported as not implemented, not failed.
    #[arg(long, env = "OPENMIC_CONTRACT_SUITE", value_delimiter = ',', value_parser = parse_suite)]
    suite: Vec<server::Suite>,
    /// Leave out these suites (same names as --suite).
    #[arg(long, env = "OPENMIC_CONTRACT_SKIP", value_delimiter = ',', value_parser = parse_suite)]
    skip: Vec<server::Suite>,
    /// Also run the create-phone-call properties against a target that is not this machine. Each create is a
    /// real phone call there (to a fictional +1 NPA 555-01XX number). On a loopback target they always run.
    /// The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_ALLOW_CREATE", value_parser = clap::builder::BoolishValueParser::new())]
    allow_create: bool,
    /// At most this many requests that could create a call in the run (invalid ones too). Default: 5 for a
    /// remote target, 100 for localhost.
    #[arg(long, env = "OPENMIC_CONTRACT_MAX_CREATES")]
    max_creates: Option<u64>,
    /// Also run the write properties: they CHANGE DATA ON THE TARGET (create, update and delete bots, link
    /// and unlink bots and phone numbers; linked_agent_call also places a call, which needs --allow-create off
    /// this machine). Each puts back what it changed, as far as the API allows (a number's updated_at moves).
    /// Without it they are skipped, on every target. The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_ALLOW_WRITES", value_parser = clap::builder::BoolishValueParser::new())]
    allow_writes: bool,
}

fn parse_suite(name: &str) -> Result<server::Suite, String> {
    server::Suite::parse(name).ok_or_else(|| {
        let names: Vec<&str> = server::Suite::ALL.iter().map(|s| s.name()).collect();
        format!(
            "no suite named {name:?}; the suites are: {}",
            names.join(", ")
        )
    })
}

/// Runs the server suite as the flags say; progress lines go to stderr when the run is paced or remote.
pub fn run(args: ServerArgs) -> ExitCode {
    let target = Target::new(args.base_url, args.api_key);
    let mut config = ServerSuiteConfig::new(target);
    let defaults = config.limits;
    config.limits = Limits {
        max_requests: args.max_requests.unwrap_or(defaults.max_requests),
        rate_per_minute: match args.rate_limit {
            Some(0) => None,
            Some(rate) => Some(rate),
            None => defaults.rate_per_minute,
        },
    };
    config.cases = args.cases;
    config.seed = args.seed.unwrap_or_else(random_seed);
    config.only = args.property;
    config.allow_create = args.allow_create;
    config.max_creates = args.max_creates.unwrap_or(config.max_creates);
    config.allow_writes = args.allow_writes;
    config.verbose = args.verbose;
    if !args.suite.is_empty() {
        config.suites = args.suite;
    }
    config.suites.retain(|s| !args.skip.contains(s));
    config.suites.sort();
    config.suites.dedup();
    let progress: Option<ProgressSink> = (!config.target.is_local()
        || config.limits.rate_per_minute.is_some())
    .then(|| Rc::new(|message: &str| eprintln!("  .. {message}")) as ProgressSink);
    let mut stdout = std::io::stdout();
    let report = match server::run(&config, &mut stdout, progress) {
        Ok(report) => report,
        Err(err) => return error(err),
    };
    if let Err(code) = write_junit(args.junit.as_deref(), || server::junit(&report, &config)) {
        return code;
    }
    verdict(report.failed())
}
