//! `openmic-mock`: serve the fake OpenMic calls API, generate fixture files, or validate them.
//!
//! The binary only parses the command line, sets up logging and calls the library; see `lib.rs`.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use openmic_fixtures::{FixtureFormat, Generator, LoadError};
use openmic_mock::{DataSource, MockServer, RateLimit, ServeOptions, StartError};
use tokio::net::TcpListener;

/// A faithful local fake of the OpenMic.ai calls API (GET /v1/calls, GET /v1/call/{id}).
///
/// Without a subcommand, `serve` runs: `openmic-mock --port 9000` is `openmic-mock serve --port 9000`.
#[derive(Debug, Parser)]
#[command(
    name = "openmic-mock",
    version,
    about,
    long_about = None,
    after_help = "Without a subcommand, `serve` runs: `openmic-mock --port 9000` is `openmic-mock serve --port 9000`.\nEvery flag also reads an OPENMIC_MOCK_* environment variable; see `openmic-mock help serve`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default subcommand).
    Serve(Box<ServeArgs>),
    /// Write a fixture file of generated calls.
    Generate(GenerateArgs),
    /// Check fixture files without serving them; exit 1 listing every problem if any is invalid.
    Validate(ValidateArgs),
    /// Record every call of an account from a List Calls server (the live API) into a fixture file.
    Record(Box<RecordArgs>),
    /// Replace the private values of a fixture file's calls with realistic fakes (as `record --redact`).
    Redact(RedactArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to bind. Binding anything but loopback exposes the mock to your network.
    #[arg(long, env = "OPENMIC_MOCK_HOST", default_value = "127.0.0.1")]
    host: String,

    /// Port to listen on; 0 picks a free port (the startup line shows which).
    #[arg(long, env = "OPENMIC_MOCK_PORT", default_value_t = 8080)]
    port: u16,

    /// Serve the calls of this fixture file instead of the embedded data set (a JSON array, a saved List
    /// Calls response, or JSON Lines when the name ends in .jsonl).
    #[arg(
        long,
        env = "OPENMIC_MOCK_FIXTURES",
        value_name = "PATH",
        conflicts_with = "generate"
    )]
    fixtures: Option<PathBuf>,

    /// Serve N generated calls instead of the embedded data set.
    #[arg(long, env = "OPENMIC_MOCK_GENERATE", value_name = "N")]
    generate: Option<usize>,

    /// Seed for --generate, and for calls created with POST /v1/create-phone-call (their ids, ring and talk
    /// times, and how they end).
    #[arg(long, env = "OPENMIC_MOCK_SEED", default_value_t = openmic_fixtures::DEFAULT_SEED)]
    seed: u64,

    /// Move the data in time by whole days so its newest call is within the 24 hours before ANCHOR: now (the
    /// clock's time at startup), off (timestamps as loaded), an RFC 3339 time, or a date (its end, UTC).
    /// Default: now for the embedded set and --generate, off for --fixtures.
    #[arg(long, env = "OPENMIC_MOCK_ANCHOR", value_name = "now|off|TIME")]
    anchor: Option<openmic_mock::clock::Anchor>,

    /// The clock: real, or virtual (moved only through /__admin/clock), starting at the anchor or now, or at
    /// the RFC 3339 time given as virtual:TIME.
    #[arg(
        long,
        env = "OPENMIC_MOCK_CLOCK",
        value_name = "real|virtual[:TIME]",
        default_value = "real"
    )]
    clock: openmic_mock::clock::ClockSpec,

    /// Accept this number as from_number of POST /v1/create-phone-call, besides the numbers of the data
    /// set's calls; repeat the flag, or separate numbers with commas in the variable.
    #[arg(
        long = "phone-number",
        env = "OPENMIC_MOCK_PHONE_NUMBER",
        value_name = "E164",
        value_delimiter = ','
    )]
    phone_numbers: Vec<String>,

    /// POST every created call's end-of-call-report here when it ends (the default data set's; tenants set
    /// their own with PUT /__admin/tenants/KEY/webhooks). See docs/webhooks.md.
    #[arg(long, env = "OPENMIC_MOCK_POST_CALL_WEBHOOK", value_name = "URL")]
    post_call_webhook: Option<String>,

    /// Ask this URL for customer_id and dynamic_variables before each created or simulated inbound call
    /// starts ringing (3 attempts, 3 s each); a call whose receiver never answers well ends in error.
    #[arg(long, env = "OPENMIC_MOCK_PRE_CALL_WEBHOOK", value_name = "URL")]
    pre_call_webhook: Option<String>,

    /// Which calls get the pre-call webhook.
    #[arg(
        long,
        env = "OPENMIC_MOCK_WEBHOOK_DIRECTION",
        value_name = "inbound|outbound|both",
        default_value = "both"
    )]
    webhook_direction: openmic_mock::webhook::DirectionFilter,

    /// Do not send the end-of-call-report to a created call's callback_url (sent by default; the vendor
    /// documents callback_url only as "call events").
    #[arg(long, env = "OPENMIC_MOCK_NO_CALLBACK_URL")]
    no_callback_url: bool,

    /// API key accepted as `Authorization: Bearer KEY`; repeat the flag, or separate keys with commas in
    /// the environment variable, to accept several.
    #[arg(
        long = "api-key",
        env = "OPENMIC_MOCK_API_KEY",
        value_name = "KEY",
        value_delimiter = ',',
        default_value = openmic_mock::DEFAULT_API_KEY,
        hide_env_values = true
    )]
    api_keys: Vec<String>,

    /// Answer unknown query parameters with a 400 instead of ignoring them (with a warning header).
    #[arg(long, env = "OPENMIC_MOCK_STRICT")]
    strict: bool,

    /// Require `Authorization: Bearer KEY` on the admin API (/__admin; health excepted). Needed to bind a
    /// non-loopback address with the admin API on.
    #[arg(
        long,
        env = "OPENMIC_MOCK_ADMIN_KEY",
        value_name = "KEY",
        hide_env_values = true,
        conflicts_with = "no_admin"
    )]
    admin_key: Option<String>,

    /// Turn the admin API (/__admin) off.
    #[arg(long, env = "OPENMIC_MOCK_NO_ADMIN")]
    no_admin: bool,

    /// How many API requests the journal (GET /__admin/requests) keeps; the oldest are dropped first.
    #[arg(long, env = "OPENMIC_MOCK_JOURNAL_SIZE", value_name = "N", default_value_t = openmic_mock::journal::DEFAULT_JOURNAL_CAPACITY)]
    journal_size: usize,

    /// How many bytes of API requests the journal keeps (each header value and the query are also clipped to a
    /// few KiB per request); the oldest are dropped first.
    #[arg(long, env = "OPENMIC_MOCK_JOURNAL_BYTES", value_name = "BYTES", default_value_t = openmic_mock::journal::DEFAULT_JOURNAL_BYTES)]
    journal_bytes: usize,

    /// Hide this header's value in GET /__admin/requests, besides Authorization, Proxy-Authorization, Cookie,
    /// Set-Cookie and X-Api-Key; repeat the flag, or separate names with commas in the variable.
    #[arg(
        long = "redact-header",
        env = "OPENMIC_MOCK_REDACT_HEADER",
        value_name = "NAME",
        value_delimiter = ','
    )]
    redact_headers: Vec<String>,

    /// Also answer requests for this Host name. Bound to loopback (the default), only localhost, 127.0.0.1 and
    /// [::1] are answered otherwise (DNS rebinding protection); bound elsewhere, every Host is answered unless
    /// this is given. Repeat the flag, or separate names with commas in the variable.
    #[arg(
        long = "allowed-host",
        env = "OPENMIC_MOCK_ALLOWED_HOST",
        value_name = "HOST",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,

    /// Close a connection whose request head (request line and headers) has not fully arrived this many
    /// seconds after its first byte.
    #[arg(long, env = "OPENMIC_MOCK_HEADER_READ_TIMEOUT", value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    header_read_timeout: Duration,

    /// Close a connection that has had no request in flight and sent nothing for this many seconds.
    #[arg(long, env = "OPENMIC_MOCK_IDLE_TIMEOUT", value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    idle_timeout: Duration,

    /// The most connections open at once; one more is answered with a JSON 503 and closed. Lowered to fit the
    /// process's open-file limit when that is smaller.
    #[arg(long, env = "OPENMIC_MOCK_MAX_CONNECTIONS", value_name = "N", default_value_t = openmic_mock::accept::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(usize))]
    max_connections: usize,

    /// On SIGINT or SIGTERM, how many seconds in-flight requests get to finish before every connection is
    /// closed and the process exits. A second signal exits at once.
    #[arg(long, env = "OPENMIC_MOCK_SHUTDOWN_TIMEOUT", value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    shutdown_timeout: Duration,

    /// Let pages from ORIGIN (or any origin, without a value or with *) read the API's answers in a browser:
    /// preflights are answered and answers carry Access-Control-Allow-Origin. Off by default; never on
    /// /__admin.
    #[arg(long, env = "OPENMIC_MOCK_CORS", value_name = "ORIGIN", num_args = 0..=1, default_missing_value = "*")]
    cors: Option<openmic_mock::CorsOrigin>,

    /// Limit each API key to N requests per minute (a token bucket), answering the vendor's 429 with
    /// Retry-After; 100/min mirrors the vendor's documented limit. Off by default.
    #[arg(long, env = "OPENMIC_MOCK_RATE_LIMIT", value_name = "N/min")]
    rate_limit: Option<RateLimit>,

    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
struct LogArgs {
    /// Log line format (logs go to stderr).
    #[arg(long, env = "OPENMIC_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives. Successful requests log
    /// at debug, failed ones at info.
    #[arg(long, env = "OPENMIC_MOCK_LOG", default_value = "info")]
    log_level: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// How many calls to generate.
    #[arg(long, env = "OPENMIC_MOCK_COUNT", default_value_t = openmic_fixtures::DEFAULT_COUNT)]
    count: usize,

    /// Generator seed; the same seed and count always give the same file.
    #[arg(long, env = "OPENMIC_MOCK_SEED", default_value_t = openmic_fixtures::DEFAULT_SEED)]
    seed: u64,

    /// Output file (written to a temporary file, then renamed into place); standard output if not given.
    #[arg(long, env = "OPENMIC_MOCK_OUT", value_name = "FILE")]
    out: Option<PathBuf>,

    /// Output format; by default JSON Lines when --out ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    format: Option<OutputFormat>,

    /// Move the calls by whole days so the newest falls on DATE (YYYY-MM-DD, UTC), or within the 24 hours
    /// before an RFC 3339 time, or before now. Times of day, order and durations are kept.
    #[arg(long, env = "OPENMIC_MOCK_UNTIL", value_name = "DATE")]
    until: Option<openmic_mock::clock::Anchor>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// A JSON array, one call per line.
    Json,
    /// JSON Lines, one call per line.
    Jsonl,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Walks GET /v1/calls with limit=100, newest first, and writes every call exactly as served (only the \
whitespace between tokens is dropped). Exit 0 when every call in range was written, 1 when the walk stopped \
early (what was listed is written; the summary says how to go on with --resume) or the file does not validate."
)]
struct RecordArgs {
    /// Base URL of the server to record, such as https://api.openmic.ai (https needs the `tls` feature); also
    /// read from OPENMIC_BASE_URL.
    #[arg(long, env = "OPENMIC_MOCK_BASE_URL", value_name = "URL")]
    base_url: Option<String>,

    /// API key, sent as `Authorization: Bearer KEY` and never printed; also read from OPENMIC_API_KEY.
    #[arg(
        long,
        env = "OPENMIC_MOCK_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,

    /// The fixture file to write (to FILE.tmp, then renamed into place).
    #[arg(long, env = "OPENMIC_MOCK_OUT", value_name = "FILE")]
    out: PathBuf,

    /// Only calls that start at or after this time: passed to the server as from_date (RFC 3339 or YYYY-MM-DD).
    #[arg(long, env = "OPENMIC_MOCK_FROM_DATE", value_name = "DATE")]
    from_date: Option<String>,

    /// Only calls that start at or before this time: passed to the server as to_date.
    #[arg(long, env = "OPENMIC_MOCK_TO_DATE", value_name = "DATE")]
    to_date: Option<String>,

    /// Only calls with this status.
    #[arg(long, env = "OPENMIC_MOCK_CALL_STATUS", value_name = "registered|ongoing|ended|error", value_parser = parse_call_status)]
    call_status: Option<openmic_fixtures::CallStatus>,

    /// The most requests to send, retries and 429s included; when spent, what was listed is written.
    #[arg(long, env = "OPENMIC_MOCK_MAX_REQUESTS", value_name = "N", default_value_t = openmic_mock::record::DEFAULT_MAX_REQUESTS, value_parser = clap::value_parser!(u64).range(1..))]
    max_requests: u64,

    /// How fast to send requests: N/min, spaced evenly, or off.
    #[arg(long, env = "OPENMIC_MOCK_RATE_LIMIT", value_name = "N/min|off", default_value_t = openmic_mock::record::Pace::default())]
    rate_limit: openmic_mock::record::Pace,

    /// How many times a 5xx, a dropped connection or a cut body is retried (with backoff from 0.5 s, doubling up
    /// to 8 s) before the walk stops. 429s are waited out as Retry-After says, up to 5 in a row.
    #[arg(long, env = "OPENMIC_MOCK_RETRIES", value_name = "N", default_value_t = openmic_mock::record::DEFAULT_RETRIES, value_parser = clap::value_parser!(u32).range(0..=20))]
    retries: u32,

    /// Continue an incomplete recording: keep the calls already in --out and add those that start no later than
    /// the oldest of them. Use the same filters as the first run. Not with --redact: continue a recording made
    /// without it, then redact the whole file.
    #[arg(long, env = "OPENMIC_MOCK_RESUME", conflicts_with = "redact")]
    resume: bool,

    /// Replace private values (numbers, customer ids, transcripts, summaries, variables, recording URLs) with
    /// consistent fakes before writing; see docs/record.md.
    #[arg(long, env = "OPENMIC_MOCK_REDACT")]
    redact: bool,

    /// Seed for --redact: the same calls and seed give the same file.
    #[arg(long, env = "OPENMIC_MOCK_REDACT_SEED", value_name = "S", default_value_t = openmic_fixtures::DEFAULT_REDACT_SEED)]
    redact_seed: u64,

    /// Output format; by default JSON Lines when --out ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    format: Option<OutputFormat>,
}

#[derive(Debug, Args)]
struct RedactArgs {
    /// The fixture file to read (any fixture format).
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// The file to write (to OUT.tmp, then renamed into place); may be IN itself.
    #[arg(value_name = "OUT")]
    output: PathBuf,

    /// Seed for the fakes: the same calls and seed give the same file.
    #[arg(long, env = "OPENMIC_MOCK_REDACT_SEED", value_name = "S", default_value_t = openmic_fixtures::DEFAULT_REDACT_SEED)]
    redact_seed: u64,

    /// Output format; by default JSON Lines when OUT ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    format: Option<OutputFormat>,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Fixture files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(with_default_subcommand(std::env::args_os().collect()));
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Generate(args) => report(generate(args)),
        Command::Validate(args) => validate(args),
        Command::Record(args) => record(*args),
        Command::Redact(args) => report(redact(args)),
    }
}

/// Inserts `serve` when no subcommand is named, so `openmic-mock --port 0` serves.
fn with_default_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first = args.get(1).and_then(|a| a.to_str());
    let names_a_command = matches!(
        first,
        Some(
            "serve"
                | "generate"
                | "validate"
                | "record"
                | "redact"
                | "help"
                | "-h"
                | "--help"
                | "-V"
                | "--version"
        )
    );
    if !names_a_command {
        args.insert(1.min(args.len()), "serve".into());
    }
    args
}

fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("openmic-mock: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(args: &LogArgs) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .map_err(|err| format!("invalid --log-level {:?}: {err}", args.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal());
    match args.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

fn serve(args: ServeArgs) -> ExitCode {
    if let Err(message) = init_logging(&args.log) {
        return report(Err(message));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return report(Err(format!("cannot start the async runtime: {err}"))),
    };
    report(runtime.block_on(serve_async(args)))
}

async fn serve_async(args: ServeArgs) -> Result<(), String> {
    let source = match (&args.fixtures, args.generate) {
        (Some(path), _) => DataSource::File(path.clone()),
        (None, Some(count)) => DataSource::Generated {
            seed: args.seed,
            count,
        },
        (None, None) => DataSource::Embedded,
    };
    let described = source.describe();
    let anchor = args.anchor.unwrap_or(match source {
        DataSource::File(_) => openmic_mock::clock::Anchor::Off,
        _ => openmic_mock::clock::Anchor::Now,
    });
    if let Some(bad) = args
        .phone_numbers
        .iter()
        .find(|n| !openmic_mock::create::is_e164(n))
    {
        return Err(format!(
            "invalid --phone-number {bad:?}: expected an E.164 number such as +15551234567"
        ));
    }
    tracing::info!(source = %described, "loading calls");
    let mut builder = MockServer::builder()
        .source(source)
        .anchor(anchor)
        .clock(args.clock)
        .seed(args.seed)
        .strict(args.strict)
        .journal_capacity(args.journal_size)
        .journal_bytes(args.journal_bytes)
        .admin(!args.no_admin);
    for name in &args.redact_headers {
        builder = builder.redact_header(name.clone());
    }
    for host in &args.allowed_hosts {
        builder = builder.allowed_host(host.clone());
    }
    if let Some(key) = &args.admin_key {
        builder = builder.admin_key(key.clone());
    }
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit);
    }
    if let Some(origin) = &args.cors {
        builder = builder.cors(origin.clone());
    }
    for key in &args.api_keys {
        builder = builder.api_key(key.clone());
    }
    for number in &args.phone_numbers {
        builder = builder.phone_number(number.clone());
    }
    builder = builder
        .webhooks(openmic_mock::webhook::WebhookConfig {
            post_call_url: args.post_call_webhook.clone(),
            pre_call_url: args.pre_call_webhook.clone(),
            direction: args.webhook_direction,
        })
        .callback_urls(!args.no_callback_url);
    let state = builder.build_state().map_err(|err| match err {
        StartError::Load(LoadError::Invalid(problems)) | StartError::InvalidCalls(problems) => {
            format!("not serving: the calls are invalid\n{problems}")
        }
        other => format!("not serving: {other}"),
    })?;

    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|err| format!("cannot listen on {}:{}: {err}", args.host, args.port))?;
    let addr = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound address: {err}"))?;
    let admin = &state.config().admin;
    if !addr.ip().is_loopback() && *admin == openmic_mock::AdminAccess::Open {
        return Err(StartError::AdminWithoutKey(addr.ip()).to_string());
    }
    // Before the startup line, so the warning is logged by the time a test or script sees the server ready.
    let max_connections = fit_to_open_file_limit(args.max_connections);
    let keys: Vec<&str> = state.config().api_keys.iter().map(String::as_str).collect();
    let admin = match admin {
        openmic_mock::AdminAccess::Open => "; admin API at /__admin",
        openmic_mock::AdminAccess::Key(_) => "; admin API at /__admin (admin key required)",
        openmic_mock::AdminAccess::Off => "; admin API off",
    };
    let rate_limit = args
        .rate_limit
        .map(|limit| format!("; rate limit {limit} per key"))
        .unwrap_or_default();
    let cors = args
        .cors
        .as_ref()
        .map(|origin| format!("; CORS for {origin}"))
        .unwrap_or_default();
    let store = state.store();
    let window = store
        .start_window()
        .map(|(oldest, newest)| {
            let day = |ms: u64| openmic_mock::journal::rfc3339_ms(ms)[..10].to_string();
            format!(" from {} to {}", day(oldest), day(newest))
        })
        .unwrap_or_default();
    let anchored = match anchor {
        openmic_mock::clock::Anchor::Off => String::new(),
        openmic_mock::clock::Anchor::Now => " (anchored to now)".into(),
        at @ openmic_mock::clock::Anchor::At(_) => format!(" (anchored to {at})"),
    };
    let clock = match state.clock().mode() {
        openmic_mock::clock::ClockMode::Real => String::new(),
        openmic_mock::clock::ClockMode::Virtual => format!(
            "; virtual clock at {}",
            openmic_mock::journal::rfc3339_ms(state.clock().now_ms())
        ),
    };
    println!(
        "openmic-mock listening on http://{addr} with {} calls{window}{anchored} ({described}); API key{}: {}{}{admin}{rate_limit}{cors}{clock}",
        store.len(),
        if keys.len() == 1 { "" } else { "s" },
        keys.join(", "),
        if args.strict { "; strict" } else { "" },
    );
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "listening on a non-loopback address: the mock is reachable from your network");
    }
    let options = ServeOptions {
        header_read_timeout: args.header_read_timeout,
        idle_timeout: args.idle_timeout,
        max_connections,
        shutdown_timeout: args.shutdown_timeout,
        allowed_hosts: state.config().allowed_hosts.clone(),
    };
    let webhooks = state.data().webhooks(None).unwrap_or_default();
    for (kind, url) in [
        ("post-call", &webhooks.post_call_url),
        ("pre-call", &webhooks.pre_call_url),
    ] {
        if let Some(url) = url {
            tracing::info!(kind, url, "webhook configured");
        }
    }
    openmic_mock::dispatch::spawn(state.data_handle());
    openmic_mock::serve_router(
        listener,
        openmic_mock::app(state),
        options,
        shutdown_signal(),
    )
    .await
    .map_err(|err| format!("server error: {err}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Seconds, whole or fractional (`0.5`), as a duration.
fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0 && *secs <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!("expected a number of seconds above 0 and at most 86400, got {text:?}")
        })
}

/// File descriptors kept free for the listener, the log and fixture files.
const RESERVED_FDS: usize = 64;

/// `max` lowered so that the connections fit the process's open-file limit (read from /proc on Linux): past
/// that limit `accept` fails and new clients wait unseen, where under it the one too many is told so.
fn fit_to_open_file_limit(max: usize) -> usize {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3))
                .and_then(|soft| soft.parse::<usize>().ok())
        });
    match limit {
        Some(limit) if limit.saturating_sub(RESERVED_FDS) < max => {
            let fitted = limit.saturating_sub(RESERVED_FDS).max(1);
            tracing::warn!(
                max_connections = max,
                open_file_limit = limit,
                using = fitted,
                "--max-connections lowered to fit the open-file limit (raise it with `ulimit -n`)"
            );
            fitted
        }
        _ => max,
    }
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM; a second one exits the process at once.
async fn shutdown_signal() {
    first_signal().await;
    tokio::spawn(async {
        first_signal().await;
        eprintln!("openmic-mock: second signal, exiting now");
        std::process::exit(130);
    });
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn first_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// The count from which `generate` shows a progress bar (when stderr is a terminal).
const PROGRESS_THRESHOLD: usize = 10_000;

fn generate(args: GenerateArgs) -> Result<(), String> {
    let format = fixture_format(args.format, args.out.as_deref());
    let progress = if args.count >= PROGRESS_THRESHOLD {
        let bar =
            ProgressBar::with_draw_target(Some(args.count as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} generating [{bar:40}] {human_pos}/{human_len} calls, {per_sec:0}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let generator = Generator::new(args.seed);
    let anchor_ms = match args.until {
        None | Some(openmic_mock::clock::Anchor::Off) => None,
        Some(openmic_mock::clock::Anchor::Now) => Some(openmic_mock::clock::system_now_ms()),
        Some(openmic_mock::clock::Anchor::At(ms)) => Some(ms),
    };
    // The shift needs the newest timestamp first: one pass to find it (calls are made again, not kept).
    let days = match anchor_ms {
        None => 0,
        Some(anchor_ms) => {
            let (mut oldest, mut newest) = (u64::MAX, None);
            for i in 0..args.count as u64 {
                let call = generator.call(i);
                if let Some(start) = call.start_timestamp {
                    oldest = oldest.min(start.millis());
                }
                newest = newest.max(openmic_fixtures::anchor::newest_timestamp([&call]));
            }
            let days = newest.map_or(0, |n| openmic_fixtures::anchor::shift_days(n, anchor_ms));
            if i128::from(oldest) + i128::from(days) * i128::from(openmic_fixtures::anchor::DAY_MS)
                < 0
            {
                return Err(format!(
                    "--until {} is too early: the oldest call would start before 1970",
                    args.until.map(|u| u.to_string()).unwrap_or_default()
                ));
            }
            days
        }
    };
    let calls = (0..args.count as u64).map(|i| {
        progress.inc(1);
        let mut call = generator.call(i);
        if days != 0 {
            // Checked above: the oldest start stays after 1970, and an end is after its start.
            let _ = openmic_fixtures::anchor::shift_call(&mut call, days);
        }
        call
    });
    let write = |out: &mut dyn Write| match format {
        FixtureFormat::Json => openmic_fixtures::generate::write_json(out, calls),
        FixtureFormat::JsonLines => openmic_fixtures::generate::write_jsonl(out, calls),
    };
    match &args.out {
        Some(path) => write_atomically(path, write)?,
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match write(&mut out).and_then(|()| out.flush()) {
                // `generate | head` closes the pipe early: that is the reader's choice, not an error.
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
                other => other.map_err(|err| format!("cannot write to standard output: {err}"))?,
            }
        }
    }
    progress.finish_and_clear();
    if let Some(path) = &args.out {
        eprintln!(
            "wrote {} calls (seed {}) to {}",
            args.count,
            args.seed,
            path.display()
        );
    }
    Ok(())
}

/// The format asked for, else the one `path`'s extension names (a JSON array without a path).
fn fixture_format(format: Option<OutputFormat>, path: Option<&Path>) -> FixtureFormat {
    match (format, path) {
        (Some(OutputFormat::Json), _) => FixtureFormat::Json,
        (Some(OutputFormat::Jsonl), _) => FixtureFormat::JsonLines,
        (None, Some(path)) => FixtureFormat::from_path(path),
        (None, None) => FixtureFormat::Json,
    }
}

/// Writes to `path.tmp` and renames it over `path`, so an interrupted run never leaves half a fixture.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let result = File::create(&tmp).and_then(|file| {
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    match result.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("cannot write {}: {err}", path.display()))
        }
    }
}

fn validate(args: ValidateArgs) -> ExitCode {
    let mut valid_calls = 0;
    let mut invalid_files = 0;
    let mut problem_count = 0;
    for path in &args.files {
        match openmic_fixtures::load_path(path) {
            Ok(calls) => {
                valid_calls += calls.len();
                println!("{}: valid, {} calls", path.display(), calls.len());
            }
            Err(LoadError::Invalid(problems)) => {
                invalid_files += 1;
                problem_count += problems.total();
                println!("{problems}");
            }
            Err(err @ LoadError::Io { .. }) => {
                invalid_files += 1;
                problem_count += 1;
                println!("{err}");
            }
        }
    }
    let files = args.files.len();
    if invalid_files == 0 {
        if files > 1 {
            println!("all {files} files valid, {valid_calls} calls");
        }
        ExitCode::SUCCESS
    } else {
        println!(
            "{invalid_files} of {files} file{} invalid, {problem_count} problem{}",
            if files == 1 { "" } else { "s" },
            if problem_count == 1 { "" } else { "s" }
        );
        ExitCode::FAILURE
    }
}

fn parse_call_status(text: &str) -> Result<openmic_fixtures::CallStatus, String> {
    openmic_fixtures::CallStatus::from_wire(text).ok_or_else(|| {
        format!(
            "expected one of {} (exact, lowercase), got {text:?}",
            openmic_fixtures::CallStatus::choices()
        )
    })
}

/// A variable's value, when it is set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn record(args: RecordArgs) -> ExitCode {
    match record_calls(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => report(Err(message)),
    }
}

/// Records, writes and reports; `Ok(false)` when the file was written but the walk was incomplete or the file
/// does not validate.
fn record_calls(args: RecordArgs) -> Result<bool, String> {
    use openmic_mock::record::{ClientEvent, ClientOptions, ListFilters, RecordEvent, Recorder};

    let base_url = args
        .base_url
        .clone()
        .or_else(|| env_value("OPENMIC_BASE_URL"))
        .ok_or("record needs --base-url (or OPENMIC_MOCK_BASE_URL, or OPENMIC_BASE_URL): the server to record, such as https://api.openmic.ai")?;
    let api_key = args
        .api_key
        .clone()
        .or_else(|| env_value("OPENMIC_API_KEY"))
        .ok_or("record needs --api-key (or OPENMIC_MOCK_API_KEY, or OPENMIC_API_KEY)")?;
    let mut options = ClientOptions::new(base_url, api_key);
    options.max_requests = args.max_requests;
    options.pace = args.rate_limit;
    options.retries = args.retries;
    let filters = ListFilters {
        from_date: args.from_date.clone(),
        to_date: args.to_date.clone(),
        call_status: args.call_status,
    };
    let mut recorder = Recorder::new(options, filters).map_err(|err| err.to_string())?;
    let out = args.out.display().to_string();
    // Before the first request: a walk of many minutes must not end in a file that cannot be written.
    let mut probe = args.out.as_os_str().to_owned();
    probe.push(".tmp");
    File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|err| format!("cannot write {}: {err}", Path::new(&probe).display()))?;
    if args.resume {
        let written = openmic_fixtures::load_path_json(&args.out).map_err(|err| match err {
            LoadError::Io { source, .. } => format!(
                "--resume: cannot read {out}: {source}; without --resume, record starts a new file"
            ),
            LoadError::Invalid(problems) => {
                format!(
                    "--resume: {out} is not a valid fixture, so it cannot be continued\n{problems}"
                )
            }
        })?;
        recorder.resume(written);
    }

    let on_terminal = io::stderr().is_terminal();
    let progress = if on_terminal {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} recording [{bar:40}] {human_pos}/{human_len} calls, {msg}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let say = |line: String| {
        if on_terminal {
            progress.println(format!("openmic-mock: {line}"));
        } else {
            eprintln!("openmic-mock: {line}");
        }
    };
    let mut on_event = |event: RecordEvent| match event {
        RecordEvent::Page {
            listed,
            total,
            requests,
        } => {
            if let Some(total) = total {
                progress.set_length(total.max(listed));
            }
            progress.set_position(listed);
            progress.set_message(format!("{requests} requests"));
        }
        RecordEvent::Client(ClientEvent::RateLimited { wait }) => say(format!(
            "429 from the server: waiting {:.1} s (Retry-After)",
            wait.as_secs_f64()
        )),
        RecordEvent::Client(ClientEvent::Retrying {
            cause,
            retry,
            of,
            wait,
        }) => say(format!(
            "{cause}: retry {retry} of {of} in {:.1} s",
            wait.as_secs_f64()
        )),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    runtime.block_on(recorder.run(&mut on_event));
    progress.finish_and_clear();

    let recording = recorder.finish();
    let summary = recording.summary;
    if summary.pages == 0 {
        let why = match &summary.ending {
            openmic_mock::record::Ending::Stopped(why) => why.to_string(),
            openmic_mock::record::Ending::Complete => "no page was read".into(),
        };
        return Err(format!("nothing written to {out}: {why}"));
    }
    let format = fixture_format(args.format, Some(&args.out));
    let (calls, redaction) = if args.redact {
        let (calls, report) = openmic_fixtures::redact_calls(&recording.calls, args.redact_seed)
            .map_err(|err| format!("nothing written to {out}: cannot redact: {err}"))?;
        (
            calls.into_iter().map(String::into_boxed_str).collect(),
            Some(report),
        )
    } else {
        (recording.calls, None)
    };
    let mut bytes = Vec::new();
    openmic_fixtures::generate::write_json_texts(&mut bytes, &calls, format)
        .map_err(|err| format!("cannot lay out the calls: {err}"))?;
    let problems = std::str::from_utf8(&bytes)
        .map_err(|err| err.to_string())
        .and_then(|text| {
            openmic_fixtures::load_str_json(&out, text, format)
                .map(drop)
                .map_err(|err| err.to_string())
        })
        .err();
    write_atomically(&args.out, |file| file.write_all(&bytes))?;
    if let Some(report) = redaction {
        println!("{report}");
    }
    let hint = match summary.resume_hint() {
        None => String::new(),
        // The fakes' originals are not kept, so a second part could not be redacted consistently with the first.
        Some(_) if args.redact => "; a redacted recording cannot be continued: record again with a larger \
            --max-requests, or record without --redact, go on with --resume, then run `openmic-mock redact`"
            .to_string(),
        Some(hint) => format!("; {hint}"),
    };
    println!("recorded {out}: {summary}{hint}");
    if let Some(problems) = &problems {
        eprintln!(
            "openmic-mock: {out} was written but does not validate, so the mock will not serve it until it is fixed:\n{problems}"
        );
    }
    Ok(summary.is_complete() && problems.is_none())
}

fn redact(args: RedactArgs) -> Result<(), String> {
    let input = args.input.display().to_string();
    let output = args.output.display().to_string();
    let calls = openmic_fixtures::load_path_json(&args.input).map_err(|err| match err {
        LoadError::Invalid(problems) => {
            format!("nothing written: {input} is not a valid fixture\n{problems}")
        }
        other => format!("nothing written: {other}"),
    })?;
    let (calls, report) = openmic_fixtures::redact_calls(&calls, args.redact_seed)
        .map_err(|err| format!("nothing written: cannot redact {input}: {err}"))?;
    let format = fixture_format(args.format, Some(&args.output));
    let mut bytes = Vec::new();
    openmic_fixtures::generate::write_json_texts(&mut bytes, &calls, format)
        .map_err(|err| format!("cannot lay out the calls: {err}"))?;
    // Redaction keeps every value's type, so this never fails; if it ever did, nothing is written.
    std::str::from_utf8(&bytes)
        .map_err(|err| err.to_string())
        .and_then(|text| {
            openmic_fixtures::load_str_json(&output, text, format)
                .map(drop)
                .map_err(|err| err.to_string())
        })
        .map_err(|problems| {
            format!("nothing written: the redacted calls do not validate (a bug)\n{problems}")
        })?;
    write_atomically(&args.output, |file| file.write_all(&bytes))?;
    println!("{output}: {report}");
    Ok(())
}
