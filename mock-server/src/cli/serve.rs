//! `openmic-mock serve` (the default subcommand): its flags, logging, the runtime, the listener sized to the
//! open-file limit, and the signals that stop it.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::report;
use clap::{Args, ValueEnum};
use openmic_fixtures::LoadError;
use openmic_mock::{DataSource, MockServer, RateLimit, ServeOptions, StartError};
use tokio::net::TcpListener;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to bind. Binding anything but loopback exposes the mock to your network.
    #[arg(long, env = "OPENMIC_MOCK_HOST", default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// Port to listen on; 0 picks a free port (the startup line shows which).
    #[arg(long, env = "OPENMIC_MOCK_PORT", default_value_t = 8080)]
    pub(crate) port: u16,

    /// Serve the calls of this fixture file instead of the embedded data set (a JSON array, a saved List
    /// Calls response, or JSON Lines when the name ends in .jsonl).
    #[arg(
        long,
        env = "OPENMIC_MOCK_FIXTURES",
        value_name = "PATH",
        conflicts_with = "generate"
    )]
    pub(crate) fixtures: Option<PathBuf>,

    /// Serve N generated calls instead of the embedded data set.
    #[arg(long, env = "OPENMIC_MOCK_GENERATE", value_name = "N")]
    pub(crate) generate: Option<usize>,

    /// Seed for --generate, and for calls created with POST /v1/create-phone-call (their ids, ring and talk
    /// times, and how they end).
    #[arg(long, env = "OPENMIC_MOCK_SEED", default_value_t = openmic_fixtures::DEFAULT_SEED)]
    pub(crate) seed: u64,

    /// Move the data in time by whole days so its newest call is within the 24 hours before ANCHOR: now (the
    /// clock's time at startup), off (timestamps as loaded), an RFC 3339 time, or a date (its end, UTC).
    /// Default: now for the embedded set and --generate, off for --fixtures.
    #[arg(long, env = "OPENMIC_MOCK_ANCHOR", value_name = "now|off|TIME")]
    pub(crate) anchor: Option<openmic_mock::Anchor>,

    /// The clock: real, or virtual (moved only through /__admin/clock), starting at the anchor or now, or at
    /// the RFC 3339 time given as virtual:TIME.
    #[arg(
        long,
        env = "OPENMIC_MOCK_CLOCK",
        value_name = "real|virtual[:TIME]",
        default_value = "real"
    )]
    pub(crate) clock: openmic_mock::ClockSpec,

    /// Add this number to every account (GET /v1/phone-numbers), linked both ways to the agent with the
    /// most calls, so POST /v1/create-phone-call accepts it as from_number; repeat the flag, or separate
    /// numbers with commas in the variable.
    #[arg(
        long = "phone-number",
        env = "OPENMIC_MOCK_PHONE_NUMBER",
        value_name = "E164",
        value_delimiter = ','
    )]
    pub(crate) phone_numbers: Vec<String>,

    /// POST every created call's end-of-call-report here when it ends (the default data set's; tenants set
    /// their own with PUT /__admin/tenants/KEY/webhooks). See docs/webhooks.md.
    #[arg(long, env = "OPENMIC_MOCK_POST_CALL_WEBHOOK", value_name = "URL")]
    pub(crate) post_call_webhook: Option<String>,

    /// Ask this URL for customer_id and dynamic_variables before each created or simulated inbound call
    /// starts ringing (3 attempts, 3 s each); a call whose receiver never answers well ends in error.
    #[arg(long, env = "OPENMIC_MOCK_PRE_CALL_WEBHOOK", value_name = "URL")]
    pub(crate) pre_call_webhook: Option<String>,

    /// Which calls get the pre-call webhook.
    #[arg(
        long,
        env = "OPENMIC_MOCK_WEBHOOK_DIRECTION",
        value_name = "inbound|outbound|both",
        default_value = "both"
    )]
    pub(crate) webhook_direction: openmic_mock::DirectionFilter,

    /// Do not send the end-of-call-report to a created call's callback_url (sent by default; the vendor
    /// documents callback_url only as "call events").
    #[arg(long, env = "OPENMIC_MOCK_NO_CALLBACK_URL")]
    pub(crate) no_callback_url: bool,

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
    pub(crate) api_keys: Vec<String>,

    /// The most created calls in progress at once in one account (the default data set, or a tenant's); one
    /// more create is a 429 with Retry-After until the first of them ends.
    #[arg(long, env = "OPENMIC_MOCK_MAX_LIVE_CALLS", value_name = "N", default_value_t = openmic_mock::DEFAULT_MAX_LIVE_CALLS)]
    pub(crate) max_live_calls: usize,

    /// The most created calls in progress at once in the whole server, every account together.
    #[arg(long, env = "OPENMIC_MOCK_MAX_LIVE_CALLS_TOTAL", value_name = "N", default_value_t = openmic_mock::DEFAULT_MAX_LIVE_CALLS_TOTAL)]
    pub(crate) max_live_calls_total: usize,

    /// Answer unknown query parameters with a 400 instead of ignoring them (with a warning header).
    #[arg(long, env = "OPENMIC_MOCK_STRICT")]
    pub(crate) strict: bool,

    /// Require `Authorization: Bearer KEY` on the admin API (/__admin; health excepted). Needed to bind a
    /// non-loopback address with the admin API on.
    #[arg(
        long,
        env = "OPENMIC_MOCK_ADMIN_KEY",
        value_name = "KEY",
        hide_env_values = true,
        conflicts_with = "no_admin"
    )]
    pub(crate) admin_key: Option<String>,

    /// Turn the admin API (/__admin) off.
    #[arg(long, env = "OPENMIC_MOCK_NO_ADMIN")]
    pub(crate) no_admin: bool,

    /// Bound to a non-loopback address with the admin API on and no --admin-key: refuse to start, serve with
    /// the admin API off, or serve it open to anyone who reaches the port (only for a throwaway container on a
    /// private network, such as a CI service or a compose project). The container image sets off.
    #[arg(
        long,
        env = "OPENMIC_MOCK_NETWORK_ADMIN",
        value_enum,
        default_value_t = NetworkAdmin::Refuse
    )]
    pub(crate) network_admin: NetworkAdmin,

    /// How many API requests the journal (GET /__admin/requests) keeps; the oldest are dropped first.
    #[arg(long, env = "OPENMIC_MOCK_JOURNAL_SIZE", value_name = "N", default_value_t = openmic_mock::DEFAULT_JOURNAL_CAPACITY)]
    pub(crate) journal_size: usize,

    /// How many bytes of API requests the journal keeps (each header value and the query are also clipped to a
    /// few KiB per request); the oldest are dropped first.
    #[arg(long, env = "OPENMIC_MOCK_JOURNAL_BYTES", value_name = "BYTES", default_value_t = openmic_mock::DEFAULT_JOURNAL_BYTES)]
    pub(crate) journal_bytes: usize,

    /// How many bytes of List Calls pages are kept to answer the same query on the same data again without
    /// building the page (0 keeps none). A kept page is never served once the data it was read from changed.
    #[arg(long, env = "OPENMIC_MOCK_PAGE_CACHE_BYTES", value_name = "BYTES", default_value_t = openmic_mock::DEFAULT_PAGE_CACHE_BYTES)]
    pub(crate) page_cache_bytes: usize,

    /// Hide this header's value in GET /__admin/requests, besides Authorization, Proxy-Authorization, Cookie,
    /// Set-Cookie and X-Api-Key; repeat the flag, or separate names with commas in the variable.
    #[arg(
        long = "redact-header",
        env = "OPENMIC_MOCK_REDACT_HEADER",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub(crate) redact_headers: Vec<String>,

    /// Also answer requests for this Host name. Bound to loopback (the default), only localhost, addresses in
    /// 127.0.0.0/8 and [::1] are answered otherwise (DNS rebinding protection); bound elsewhere, every Host is
    /// answered unless this is given. Repeat the flag, or separate names with commas in the variable.
    #[arg(
        long = "allowed-host",
        env = "OPENMIC_MOCK_ALLOWED_HOST",
        value_name = "HOST",
        value_delimiter = ','
    )]
    pub(crate) allowed_hosts: Vec<String>,

    /// Close a connection whose request head (request line and headers) has not fully arrived this many
    /// seconds after its first byte.
    #[arg(long, env = "OPENMIC_MOCK_HEADER_READ_TIMEOUT", value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub(crate) header_read_timeout: Duration,

    /// Answer a request whose whole body has not arrived this many seconds after its head with a 408, and close
    /// its connection (create-phone-call, the bot and phone-number writes, admin bodies).
    #[arg(long, env = "OPENMIC_MOCK_BODY_READ_TIMEOUT", value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub(crate) body_read_timeout: Duration,

    /// Close a connection that has had no request in flight and sent nothing for this many seconds.
    #[arg(long, env = "OPENMIC_MOCK_IDLE_TIMEOUT", value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub(crate) idle_timeout: Duration,

    /// The most connections open at once; one more is answered with a JSON 503 and closed. Lowered to fit the
    /// process's open-file limit when that is smaller.
    #[arg(long, env = "OPENMIC_MOCK_MAX_CONNECTIONS", value_name = "N", default_value_t = openmic_mock::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(usize))]
    pub(crate) max_connections: usize,

    /// On SIGINT or SIGTERM, how many seconds in-flight requests get to finish before every connection is
    /// closed and the process exits. A second signal exits at once.
    #[arg(long, env = "OPENMIC_MOCK_SHUTDOWN_TIMEOUT", value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    pub(crate) shutdown_timeout: Duration,

    /// Let pages from ORIGIN (or any origin, without a value or with *) read the API's answers in a browser:
    /// preflights are answered and answers carry Access-Control-Allow-Origin. Off by default; never on
    /// /__admin.
    #[arg(long, env = "OPENMIC_MOCK_CORS", value_name = "ORIGIN", num_args = 0..=1, default_missing_value = "*")]
    pub(crate) cors: Option<openmic_mock::CorsOrigin>,

    /// Limit each API key to N requests per minute (a token bucket), answering the vendor's 429 with
    /// Retry-After; 100/min mirrors the vendor's documented limit. Off by default.
    #[arg(long, env = "OPENMIC_MOCK_RATE_LIMIT", value_name = "N/min")]
    pub(crate) rate_limit: Option<RateLimit>,

    #[command(flatten)]
    pub(crate) log: LogArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Log line format (logs go to stderr).
    #[arg(long, env = "OPENMIC_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives. Successful requests log
    /// at debug, failed ones at info.
    #[arg(long, env = "OPENMIC_MOCK_LOG", default_value = "info")]
    pub(crate) log_level: String,
}

/// What `--network-admin` does with an admin API that would be reachable from the network without a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NetworkAdmin {
    /// Refuse to start, naming the ways out.
    Refuse,
    /// Serve the API with the admin API off (health stays).
    Off,
    /// Serve the admin API without a key.
    Open,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The address `--host` names: an IP as given; a name through the workspace's resolver on Linux (the hosts file,
/// `localhost`, DNS: no NSS module, which the static binary in an empty image does not have), the platform's
/// elsewhere.
async fn bind_ip(host: &str) -> Result<std::net::IpAddr, String> {
    let cannot = |why: String| format!("cannot listen on {host}: {why}");
    #[cfg(target_os = "linux")]
    let first = openmic_http::Resolver::system()
        .lookup(host)
        .await
        .map_err(cannot)?
        .first()
        .copied();
    #[cfg(not(target_os = "linux"))]
    let first = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|err| cannot(err.to_string()))?
        .next()
        .map(|addr| addr.ip());
    first.ok_or_else(|| cannot("the name has no address".into()))
}

pub(crate) fn init_logging(args: &LogArgs) -> Result<(), String> {
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

pub(crate) fn serve(args: ServeArgs) -> ExitCode {
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

pub(crate) async fn serve_async(args: ServeArgs) -> Result<(), String> {
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
        DataSource::File(_) => openmic_mock::Anchor::Off,
        _ => openmic_mock::Anchor::Now,
    });
    if let Some(bad) = args
        .phone_numbers
        .iter()
        .find(|n| !openmic_fixtures::is_e164(n))
    {
        return Err(format!(
            "invalid --phone-number {bad:?}: expected an E.164 number such as +15551234567"
        ));
    }
    let bind_ip = bind_ip(&args.host).await?;
    // `--network-admin off` turns the admin API off only where it would be open to the network.
    let exposed_without_key = args.admin_key.is_none() && !bind_ip.is_loopback();
    let admin_off_here = exposed_without_key && args.network_admin == NetworkAdmin::Off;
    let admin_on = !(args.no_admin || admin_off_here);
    tracing::info!(source = %described, "loading calls");
    let mut builder = MockServer::builder()
        .source(source)
        .anchor(anchor)
        .clock(args.clock)
        .seed(args.seed)
        .strict(args.strict)
        .journal_capacity(args.journal_size)
        .journal_bytes(args.journal_bytes)
        .page_cache_bytes(args.page_cache_bytes)
        .admin(admin_on);
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
        .webhooks(openmic_mock::WebhookTargets {
            post_call_url: args.post_call_webhook.clone(),
            pre_call_url: args.pre_call_webhook.clone(),
            direction: args.webhook_direction,
        })
        .callback_urls(!args.no_callback_url)
        .live_limits(openmic_mock::LiveLimits {
            per_data_set: args.max_live_calls,
            total: args.max_live_calls_total,
        });
    let state = builder.build_state().map_err(|err| match err {
        StartError::Load(LoadError::Invalid(problems)) | StartError::InvalidCalls(problems) => {
            format!("not serving: the calls are invalid\n{problems}")
        }
        other => format!("not serving: {other}"),
    })?;

    let listener = TcpListener::bind((bind_ip, args.port))
        .await
        .map_err(|err| format!("cannot listen on {}:{}: {err}", args.host, args.port))?;
    let addr = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound address: {err}"))?;
    let admin = &state.config().admin;
    if !addr.ip().is_loopback() && *admin == openmic_mock::AdminAccess::Open {
        if args.network_admin != NetworkAdmin::Open {
            return Err(StartError::AdminWithoutKey(addr.ip()).to_string());
        }
        tracing::warn!(%addr, "the admin API is open to the network without a key (--network-admin open)");
    }
    // Before the startup line, so the warning is logged by the time a test or script sees the server ready.
    let max_connections = fit_to_open_file_limit(args.max_connections);
    let keys: Vec<&str> = state.config().api_keys.iter().map(String::as_str).collect();
    let page = format!("web page at http://{addr}{}", openmic_mock::UI_PATH);
    let admin = match admin {
        openmic_mock::AdminAccess::Open => format!("; admin API at /__admin, {page}"),
        openmic_mock::AdminAccess::Key(_) => {
            format!("; admin API at /__admin (admin key required), {page}")
        }
        openmic_mock::AdminAccess::Off if !args.no_admin => {
            "; admin API off (on a non-loopback address it needs --admin-key, or --network-admin open)"
                .to_string()
        }
        openmic_mock::AdminAccess::Off => "; admin API off".to_string(),
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
            let day = |ms: u64| openmic_fixtures::rfc3339_ms(ms)[..10].to_string();
            format!(" from {} to {}", day(oldest), day(newest))
        })
        .unwrap_or_default();
    let anchored = match anchor {
        openmic_mock::Anchor::Off => String::new(),
        openmic_mock::Anchor::Now => " (anchored to now)".into(),
        at @ openmic_mock::Anchor::At(_) => format!(" (anchored to {at})"),
    };
    let clock = match state.clock().mode() {
        openmic_mock::ClockMode::Real => String::new(),
        openmic_mock::ClockMode::Virtual => format!(
            "; virtual clock at {}",
            openmic_fixtures::rfc3339_ms(state.clock().now_ms())
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
        body_read_timeout: args.body_read_timeout,
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
    openmic_mock::spawn_dispatcher(&state);
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
pub(crate) fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0 && *secs <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!("expected a number of seconds above 0 and at most 86400, got {text:?}")
        })
}

/// File descriptors kept free for the listener, the log and fixture files.
pub(crate) const RESERVED_FDS: usize = 64;

/// `max` lowered so that the connections fit the process's open-file limit (read from /proc on Linux): past
/// that limit `accept` fails and new clients wait unseen, where under it the one too many is told so.
pub(crate) fn fit_to_open_file_limit(max: usize) -> usize {
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
pub(crate) async fn shutdown_signal() {
    first_signal().await;
    tokio::spawn(async {
        first_signal().await;
        eprintln!("openmic-mock: second signal, exiting now");
        std::process::exit(130);
    });
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn first_signal() {
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
