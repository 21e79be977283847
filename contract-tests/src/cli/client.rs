//! `openmic-contract client`: checks a client in any language, behind a JSON Lines adapter, against the mock
//! started in-process.

use std::process::ExitCode;
use std::time::Duration;

use openmic_contract::{AdapterClient, ClientSuiteConfig, run_client_properties};

use super::{error, random_seed, verdict};

// The flags of `client` (no doc comment: clap would take it for the subcommand's about).
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The adapter command line, run by `sh -c` with OPENMIC_BASE_URL and OPENMIC_API_KEY set, such as
    /// "python3 contract-tests/adapters/python/openmic_adapter.py".
    #[arg(long, env = "OPENMIC_CONTRACT_ADAPTER")]
    adapter: String,
    /// Generated cases per property.
    #[arg(long, env = "OPENMIC_CONTRACT_CASES", default_value_t = 32)]
    cases: u32,
    /// Seed for the generated cases; printed with every failure to replay it. Default: random.
    #[arg(long, env = "OPENMIC_CONTRACT_SEED")]
    seed: Option<u64>,
    /// Seconds to wait for each answer of the adapter.
    #[arg(long, env = "OPENMIC_CONTRACT_TIMEOUT", default_value_t = 30)]
    timeout: u64,
    /// The client's retry policy: at most this many retries of one operation (a 429 only after its
    /// Retry-After). The default, 3, rides out a brief 429 or blip and gives up within seconds on a server that
    /// is down; a client that retries 4 or 5 times with Retry-After is as correct: state it here. At most 10.
    #[arg(long, env = "OPENMIC_CONTRACT_MAX_RETRIES", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=10))]
    max_retries: u8,
    /// Allow the client to retry a create after a 5xx or a dropped connection (within --max-retries): say so
    /// only when it makes creates safe to repeat, or a call placed twice is acceptable. Without it such a retry
    /// fails create_errors. The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_RETRY_CREATES", value_parser = clap::builder::BoolishValueParser::new())]
    retry_creates: bool,
    /// Show every request of a failure; by default a failure shows the first and last three and a count of the
    /// rest. The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_VERBOSE", value_parser = clap::builder::BoolishValueParser::new())]
    verbose: bool,
    /// Run only this property (repeatable; comma-separated in the env var).
    #[arg(long, env = "OPENMIC_CONTRACT_PROPERTY", value_delimiter = ',')]
    property: Vec<String>,
}

/// Runs the client properties through the adapter the flags name; the report says how to replay the run.
pub fn run(args: ClientArgs) -> ExitCode {
    let mut config = ClientSuiteConfig::new(format!("adapter `{}`", args.adapter));
    config.cases = args.cases;
    config.seed = args.seed.unwrap_or_else(random_seed);
    config.only = args.property;
    config.max_retries = usize::from(args.max_retries);
    config.retry_creates = args.retry_creates;
    config.verbose = args.verbose;
    config.replay = Some(format!(
        "openmic-contract client --adapter '{}'{}{}{}",
        args.adapter.replace('\'', "'\\''"),
        if args.cases == 32 {
            String::new()
        } else {
            format!(" --cases {}", args.cases)
        },
        if usize::from(args.max_retries) == openmic_contract::client::DEFAULT_MAX_RETRIES {
            String::new()
        } else {
            format!(" --max-retries {}", args.max_retries)
        },
        if args.retry_creates {
            " --retry-creates"
        } else {
            ""
        }
    ));
    let timeout = Duration::from_secs(args.timeout);
    let make = |base_url: &str, key: &str| {
        AdapterClient::spawn(&args.adapter, base_url, key, timeout)
            .map_err(|e| format!("cannot run `{}`: {e}", args.adapter))
    };
    let mut stdout = std::io::stdout();
    match run_client_properties(make, &config, &mut stdout) {
        Ok(report) => verdict(report.failed()),
        Err(err) => error(err),
    }
}
