//! `openmic-contract webhook`: checks a team's webhook receiver by POSTing it generated payloads.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use openmic_contract::webhook::{VENDOR_POST_CALL_TIMEOUT, VENDOR_PRE_CALL_TIMEOUT};
use openmic_contract::{WebhookKind, WebhookSuiteConfig, run_webhook_properties};

use super::{error, random_seed, verdict, write_junit};

// `--kind`: which webhook the receiver takes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    /// The post-call end-of-call-report.
    PostCall,
    /// The pre-call request and its reply.
    PreCall,
    /// Both, to the same URL.
    Both,
}

// The flags of `webhook` (no doc comment: clap would take it for the subcommand's about).
#[derive(Debug, clap::Args)]
pub struct WebhookArgs {
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

/// Runs the webhook checks as the flags say, against `--url` only.
pub fn run(args: WebhookArgs) -> ExitCode {
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
        Err(err) => return error(err),
    };
    if let Err(code) = write_junit(args.junit.as_deref(), || report.junit()) {
        return code;
    }
    verdict(report.failed())
}
