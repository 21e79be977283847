//! The `openmic-contract` binary: parses the command line and runs the server suite (`server`), the client
//! properties against an adapter (`client`) or the checks of a webhook receiver (`webhook`); exit 0 when every
//! property passes, 1 on any failure, 2 on a usage, connection or start-up error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Parser, Subcommand};
use openmic_contract::server;
use openmic_contract::webhook::{VENDOR_POST_CALL_TIMEOUT, VENDOR_PRE_CALL_TIMEOUT};
use openmic_contract::{
    Limits, ProgressSink, ServerSuiteConfig, Target, WebhookKind, WebhookSuiteConfig,
    run_webhook_properties,
};

/// Property-based contract tests for OpenMic List Calls servers (the mock, another fake, or the live API).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a server against the contract, then print the drift report. Only GET requests, except the
    /// create-phone-call properties: those run on a loopback target, and elsewhere only with --allow-create.
    Server(ServerArgs),
    #[cfg(feature = "client-suite")]
    /// Check a client in any language against the contract: start the mock in-process and drive the client
    /// through an adapter speaking JSON Lines on stdin/stdout (docs/client-adapter.md).
    Client(ClientArgs),
    /// Check a team's webhook receiver: POST generated post-call reports or pre-call requests of the documented
    /// shapes to --url (and nowhere else), as the vendor sends them, and check each is answered 2xx in time
    /// (docs/webhooks.md).
    Webhook(WebhookArgs),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    /// The post-call end-of-call-report.
    PostCall,
    /// The pre-call request and its reply.
    PreCall,
    /// Both, to the same URL.
    Both,
}

#[derive(Debug, clap::Args)]
struct WebhookArgs {
    /// The receiver's URL, such as http://127.0.0.1:3000/openmic/post-call (https needs the `tls` feature).
    /// Only this URL is ever sent anything; redirects are not followed.
    #[arg(long, env = "OPENMIC_CONTRACT_WEBHOOK_URL")]
    url: String,
    /// Which webhook the receiver takes (post-call unless set).
    #[arg(long, env = "OPENMIC_CONTRACT_WEBHOOK_KIND", value_enum, default_value_t = KindArg::PostCall)]
    kind: KindArg,
    /// Generated cases per property (boundary cases, such as each disconnection reason, always all run).
    #[arg(long, env = "OPENMIC_CONTRACT_CASES", default_value_t = 32)]
    cases: u32,
    /// Seed for the generated payloads; printed with every failure to replay it. Default: random.
    #[arg(long, env = "OPENMIC_CONTRACT_SEED")]
    seed: Option<u64>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, env = "OPENMIC_CONTRACT_JUNIT")]
    junit: Option<PathBuf>,
    /// Run only this property (repeatable; comma-separated in the env var).
    #[arg(long, env = "OPENMIC_CONTRACT_PROPERTY", value_delimiter = ',')]
    property: Vec<String>,
    /// Milliseconds a post-call delivery may take, the whole reply included, before it counts as failed. The
    /// default is the vendor's timeout.
    #[arg(long, env = "OPENMIC_CONTRACT_POST_CALL_TIMEOUT_MS",
          default_value_t = VENDOR_POST_CALL_TIMEOUT.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    post_call_timeout_ms: u64,
    /// Milliseconds a pre-call delivery may take, the whole reply included, before it counts as failed. The
    /// default is the vendor's timeout (per attempt).
    #[arg(long, env = "OPENMIC_CONTRACT_PRE_CALL_TIMEOUT_MS",
          default_value_t = VENDOR_PRE_CALL_TIMEOUT.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pre_call_timeout_ms: u64,
}

#[cfg(feature = "client-suite")]
#[derive(Debug, clap::Args)]
struct ClientArgs {
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
    /// Run only this property (repeatable; comma-separated in the env var).
    #[arg(long, env = "OPENMIC_CONTRACT_PROPERTY", value_delimiter = ',')]
    property: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct ServerArgs {
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
    /// Run only this property (repeatable; comma-separated in the env var).
    #[arg(long, env = "OPENMIC_CONTRACT_PROPERTY", value_delimiter = ',')]
    property: Vec<String>,
    /// Also run the create-phone-call properties against a target that is not this machine. Each create is a
    /// real phone call there (to a fictional +1 NPA 555-01XX number). On a loopback target they always run.
    /// The env var takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "OPENMIC_CONTRACT_ALLOW_CREATE", value_parser = clap::builder::BoolishValueParser::new())]
    allow_create: bool,
    /// At most this many requests that could create a call in the run (invalid ones too). Default: 5 for a
    /// remote target, 100 for localhost.
    #[arg(long, env = "OPENMIC_CONTRACT_MAX_CREATES")]
    max_creates: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "client-suite")]
        Command::Client(args) => client(args),
        Command::Server(args) => server(args),
        Command::Webhook(args) => webhook(args),
    }
}

fn webhook(args: WebhookArgs) -> ExitCode {
    use std::time::Duration;

    let mut config = WebhookSuiteConfig::new(match args.kind {
        KindArg::PostCall => WebhookKind::PostCall,
        KindArg::PreCall => WebhookKind::PreCall,
        KindArg::Both => WebhookKind::Both,
    });
    config.cases = args.cases;
    config.seed = args.seed.unwrap_or_else(random_seed);
    config.only = args.property;
    config.post_call_timeout = Duration::from_millis(args.post_call_timeout_ms);
    config.pre_call_timeout = Duration::from_millis(args.pre_call_timeout_ms);
    let mut stdout = std::io::stdout();
    let report = match run_webhook_properties(&args.url, &config, &mut stdout) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("openmic-contract: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.junit
        && let Err(err) = std::fs::write(path, report.junit())
    {
        eprintln!("openmic-contract: cannot write {}: {err}", path.display());
        return ExitCode::from(2);
    }
    if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn server(args: ServerArgs) -> ExitCode {
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
    let progress: Option<ProgressSink> = (!config.target.is_local()
        || config.limits.rate_per_minute.is_some())
    .then(|| Rc::new(|message: &str| eprintln!("  .. {message}")) as ProgressSink);
    let mut stdout = std::io::stdout();
    let report = match server::run(&config, &mut stdout, progress) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("openmic-contract: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.junit
        && let Err(err) = std::fs::write(path, server::junit(&report, &config))
    {
        eprintln!("openmic-contract: cannot write {}: {err}", path.display());
        return ExitCode::from(2);
    }
    if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(feature = "client-suite")]
fn client(args: ClientArgs) -> ExitCode {
    use openmic_contract::{AdapterClient, ClientSuiteConfig, run_client_properties};
    use std::time::Duration;

    let mut config = ClientSuiteConfig::new(format!("adapter `{}`", args.adapter));
    config.cases = args.cases;
    config.seed = args.seed.unwrap_or_else(random_seed);
    config.only = args.property;
    config.replay = Some(format!(
        "openmic-contract client --adapter '{}'{}",
        args.adapter.replace('\'', "'\\''"),
        if args.cases == 32 {
            String::new()
        } else {
            format!(" --cases {}", args.cases)
        }
    ));
    let timeout = Duration::from_secs(args.timeout);
    let make = |base_url: &str, key: &str| {
        AdapterClient::spawn(&args.adapter, base_url, key, timeout)
            .map_err(|e| format!("cannot run `{}`: {e}", args.adapter))
    };
    let mut stdout = std::io::stdout();
    match run_client_properties(make, &config, &mut stdout) {
        Ok(report) if report.failed() > 0 => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("openmic-contract: {err}");
            ExitCode::from(2)
        }
    }
}

/// A seed from the clock, for runs that did not ask for one (it is printed, so any run can be replayed).
fn random_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 ^ u64::from(std::process::id()))
}
