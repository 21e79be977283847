//! Running the mock in-process: [`MockServer`] starts one on a free port for tests, with methods for everything
//! the admin API can do; [`DataSource`] says where its calls come from. The accept loop itself is
//! [`crate::net::accept`].

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use openmic_fixtures::{Account, Call, DAY_MS, Generator, LoadError, Problems, TimestampMs};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::pages::DEFAULT_PAGE_CACHE_BYTES;
use crate::api::routes::app;
use crate::data::book::AccountError;
use crate::data::create::{CreateError, CreateRequest};
use crate::data::error::DataError;
use crate::data::parallel;
use crate::data::sets::LiveLimits;
use crate::data::sets::is_valid_api_key;
use crate::data::store::{CallStore, Recorder};
use crate::faults::{Faults, ScriptedFault};
use crate::journal::{DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CAPACITY, ReceivedRequest};
use crate::net::accept::{ServeOptions, serve_router};
use crate::net::cors::CorsOrigin;
use crate::outbound::deliveries::DeliveryAttempt;
use crate::outbound::dispatch::SendError;
use crate::outbound::targets::WebhookTargets;
use crate::rate_limit::RateLimit;
use crate::state::{AdminAccess, AppState, Config, DEFAULT_API_KEY};
use crate::time::clock::{Anchor, ClockError, ClockSpec, system_now_ms};
use crate::time::lifecycle::CallOutcome;

/// Where a server's calls come from.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// The embedded default data set (`fixtures/data/calls.json`).
    Embedded,
    /// These calls.
    Calls(Vec<Call>),
    /// `count` calls generated from `seed`.
    Generated {
        /// The generator seed.
        seed: u64,
        /// How many calls.
        count: usize,
    },
    /// A fixture file (JSON array, saved List Calls response, or `.jsonl`).
    File(PathBuf),
}

impl DataSource {
    /// Loads the calls. A fixture file is validated; every problem is reported.
    pub fn load(self) -> Result<Vec<Call>, StartError> {
        Ok(match self {
            DataSource::Embedded => openmic_fixtures::default_calls(),
            DataSource::Calls(calls) => calls,
            DataSource::Generated { seed, count } => openmic_fixtures::generate(seed, count),
            DataSource::File(path) => openmic_fixtures::load_path(&path)?,
        })
    }

    /// Loads the calls into a store. Generated calls are streamed into it, never held as typed calls.
    pub fn into_store(self) -> Result<CallStore, StartError> {
        self.into_data().map(|(store, _)| store)
    }

    /// Loads the calls into a store, and the account they come with: a fixture file's bots and phone numbers
    /// (the embedded set has its own), or for generated calls the generator's account for them. Calls given in
    /// code come with none: the server completes every account from its calls.
    pub fn into_data(self) -> Result<(CallStore, Account), StartError> {
        self.into_data_moved(0)
            .map(|data| (data.store, data.account))
    }

    /// [`DataSource::into_data`], with generated calls' timestamps moved by `days` whole days as each is made
    /// (cheaper than moving the text of each call once stored); other sources are loaded as they are. The
    /// account is not moved.
    fn into_data_moved(self, days: i64) -> Result<Loaded, StartError> {
        let started = std::time::Instant::now();
        let mut newest = None;
        let (store, account) = match self {
            DataSource::Generated { seed, count } => {
                let generator = Generator::new(seed);
                let moved = |t: Option<TimestampMs>| {
                    t.map(|t| TimestampMs(t.0.saturating_add_signed(days * DAY_MS as i64)))
                };
                let count = count as u64;
                let progress = Progress::of(count);
                // Calls are made and serialized on every core, a run at a time; what needs them in order
                // (the checks, the canonical order) happens once the runs are back.
                let runs = parallel::in_runs(
                    count,
                    GENERATED_RUN,
                    parallel::threads(),
                    Recorder::default,
                    |recorder, range| {
                        let mut uses = openmic_fixtures::AccountUses::new();
                        let mut newest = None;
                        let records = recorder.record_all(range.clone().map(|i| {
                            let mut call = generator.call(i);
                            uses.add(&call);
                            call.start_timestamp = moved(call.start_timestamp);
                            call.end_timestamp = moved(call.end_timestamp);
                            newest = newest.max(call.start_timestamp.max(call.end_timestamp));
                            call
                        }));
                        if let Some(done) = progress.made(&range) {
                            tracing::info!(done, of = count, "generating calls");
                        }
                        (records, uses, newest)
                    },
                );
                let mut uses = openmic_fixtures::AccountUses::new();
                let mut records = Vec::with_capacity(runs.len());
                for (run, run_uses, run_newest) in runs {
                    records.push(run);
                    uses.merge(run_uses);
                    newest = newest.max(run_newest);
                }
                let store = CallStore::from_records(records)?;
                (store, uses.account(&generator))
            }
            DataSource::File(path) => {
                let (calls, account) = openmic_fixtures::load_path_with_account(&path)?;
                tracing::debug!(
                    calls = calls.len(),
                    bots = account.bots.len(),
                    phone_numbers = account.phone_numbers.len(),
                    millis = started.elapsed().as_millis() as u64,
                    "calls loaded"
                );
                // The loader has checked every call; should the store still find a problem, it names the file.
                let store = CallStore::from_json(calls).map_err(|mut problems| {
                    problems.file = path.display().to_string();
                    problems
                })?;
                (store, account)
            }
            DataSource::Embedded => {
                let (calls, account) = openmic_fixtures::load_str_with_account(
                    openmic_fixtures::DEFAULT_DATA_NAME,
                    openmic_fixtures::DEFAULT_CALLS_JSON,
                    openmic_fixtures::FixtureFormat::Json,
                )?;
                (CallStore::from_json(calls)?, account)
            }
            DataSource::Calls(calls) => (CallStore::new(calls)?, Account::default()),
        };
        tracing::info!(
            calls = store.len(),
            bots = account.bots.len(),
            phone_numbers = account.phone_numbers.len(),
            millis = started.elapsed().as_millis() as u64,
            "calls loaded and indexed"
        );
        let newest = newest.map(|t| t.millis());
        Ok(Loaded {
            store,
            account,
            newest,
        })
    }

    /// A short description for logs and the startup line.
    pub fn describe(&self) -> String {
        match self {
            DataSource::Embedded => "the embedded data set".into(),
            DataSource::Calls(_) => "calls given in code".into(),
            DataSource::Generated { seed, count } => {
                format!("{count} generated calls, seed {seed}")
            }
            DataSource::File(path) => path.display().to_string(),
        }
    }
}

/// A data source loaded: its calls, its account, and the newest timestamp of the calls when it is known
/// without reading them again (generated calls).
struct Loaded {
    store: CallStore,
    account: Account,
    newest: Option<u64>,
}

/// How many days generated calls can be moved as they are made, for data anchored at `anchor_ms`: as many as
/// the latest instant the generator's window allows would be moved. No call is newer than that, so the data's
/// own newest timestamp asks for this many days or more, and the rest is moved once stored. 0 where moving
/// the window's start would leave Unix time (an anchor in the first months of 1970).
fn generated_days(anchor_ms: u64) -> i64 {
    let days = openmic_fixtures::shift_days(openmic_fixtures::WINDOW_END_MS - 1, anchor_ms);
    let start =
        i128::from(openmic_fixtures::WINDOW_START_MS) + i128::from(days) * i128::from(DAY_MS);
    if start < 0 { 0 } else { days }
}

/// How many of a large set's calls have been made, across threads: says when the log should show a tenth. A
/// million calls take seconds, so a set of 100,000 or more logs ten progress lines and a smaller one none.
struct Progress {
    count: u64,
    done: AtomicU64,
}

impl Progress {
    fn of(count: u64) -> Self {
        Self {
            count,
            done: AtomicU64::new(0),
        }
    }

    /// Counts the calls of `range` as made; returns how many are made in all when that passes a tenth of a set
    /// of at least 100,000 calls.
    fn made(&self, range: &Range<u64>) -> Option<u64> {
        let made = range.end - range.start;
        let before = self.done.fetch_add(made, Ordering::Relaxed);
        let after = before + made;
        let tenth = self.count / 10;
        (self.count >= 100_000 && before / tenth < after / tenth).then_some(after)
    }
}

/// How many generated calls a thread makes at a time: enough that taking the next run costs nothing, few
/// enough that the threads finish together.
const GENERATED_RUN: u64 = 4096;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The fixture could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The calls break a rule that spans calls (duplicate `call_id`, end before start).
    #[error("{0}")]
    InvalidCalls(Problems),
    /// An API key that no `Authorization: Bearer` header can carry: empty, or with characters other than
    /// visible ASCII (spaces included).
    #[error("invalid API key {0:?}: a key must be non-empty visible ASCII without spaces")]
    InvalidApiKey(String),
    /// The admin API would be open to the network: a non-loopback address, admin on, and no admin key.
    #[error(
        "refusing to serve the admin API on the non-loopback address {0} without an admin key: anyone who can \
         reach it could replace the data or inject faults. Set an admin key (--admin-key KEY / \
         OPENMIC_MOCK_ADMIN_KEY) or turn the admin API off (--no-admin / OPENMIC_MOCK_NO_ADMIN); in a throwaway \
         container on a private network (a CI service, a compose project), --network-admin open / \
         OPENMIC_MOCK_NETWORK_ADMIN=open serves it without a key"
    )]
    AdminWithoutKey(IpAddr),
    /// The data cannot be anchored where asked: a timestamp would leave Unix time.
    #[error("cannot anchor the data: {0}")]
    Anchor(#[from] openmic_fixtures::ShiftError),
    /// A webhook URL that cannot be called.
    #[error("bad webhook configuration: {0}")]
    Webhooks(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<Problems> for StartError {
    fn from(problems: Problems) -> Self {
        StartError::InvalidCalls(problems)
    }
}

/// Configures a [`MockServer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockServerBuilder {
    source: DataSource,
    api_keys: Vec<String>,
    strict: bool,
    journal_capacity: usize,
    journal_bytes: usize,
    page_cache_bytes: usize,
    redact_headers: Vec<String>,
    options: ServeOptions,
    ip: IpAddr,
    admin: AdminAccess,
    rate_limit: Option<RateLimit>,
    cors: Option<CorsOrigin>,
    anchor: Anchor,
    clock: ClockSpec,
    seed: u64,
    phone_numbers: Vec<String>,
    account: Option<Account>,
    webhooks: WebhookTargets,
    callback_urls: bool,
    live_limits: LiveLimits,
}

impl MockServerBuilder {
    /// Serve these bots and phone numbers with the calls, instead of those the data source comes with.
    /// Whatever the calls need and these lack is generated: a bot for every `agent_id`, a record for every number
    /// the account uses.
    pub fn account(mut self, account: Account) -> Self {
        self.account = Some(account);
        self
    }

    /// Serve these calls instead of the embedded data set.
    pub fn calls(mut self, calls: Vec<Call>) -> Self {
        self.source = DataSource::Calls(calls);
        self
    }

    /// Serve `count` calls generated from `seed`.
    pub fn generated(mut self, seed: u64, count: usize) -> Self {
        self.source = DataSource::Generated { seed, count };
        self
    }

    /// Serve the calls of a fixture file.
    pub fn fixture_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = DataSource::File(path.into());
        self
    }

    /// Serve calls from `source`.
    pub fn source(mut self, source: DataSource) -> Self {
        self.source = source;
        self
    }

    /// Accept this API key; may be called repeatedly. Without any, the key is `test-key`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// Reject unknown query parameters with a 400.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Keep the last `capacity` requests in the journal (default 1000).
    pub fn journal_capacity(mut self, capacity: usize) -> Self {
        self.journal_capacity = capacity;
        self
    }

    /// Keep no more than `bytes` of requests in the journal (default 64 MiB).
    pub fn journal_bytes(mut self, bytes: usize) -> Self {
        self.journal_bytes = bytes;
        self
    }

    /// Keep no more than `bytes` of List Calls pages to answer the same page of the same data again without
    /// building it (default 16 MiB; 0 keeps none). A page is never served after the data it was read from
    /// changed.
    pub fn page_cache_bytes(mut self, bytes: usize) -> Self {
        self.page_cache_bytes = bytes;
        self
    }

    /// Hide this header's value in `GET /__admin/requests`, besides the built-in credential headers; may be
    /// called repeatedly.
    pub fn redact_header(mut self, name: impl Into<String>) -> Self {
        self.redact_headers.push(name.into());
        self
    }

    /// Answer requests for this `Host` too (a loopback-bound server answers only loopback names otherwise);
    /// may be called repeatedly.
    pub fn allowed_host(mut self, host: impl Into<String>) -> Self {
        self.options.allowed_hosts.push(host.into());
        self
    }

    /// Connection limits and timeouts (the allowed hosts are set with [`MockServerBuilder::allowed_host`]).
    pub fn serve_options(mut self, options: ServeOptions) -> Self {
        let allowed_hosts = std::mem::take(&mut self.options.allowed_hosts);
        self.options = ServeOptions {
            allowed_hosts,
            ..options
        };
        self
    }

    /// Require `Authorization: Bearer <key>` on the admin API (health excepted).
    pub fn admin_key(mut self, key: impl Into<String>) -> Self {
        self.admin = AdminAccess::Key(key.into());
        self
    }

    /// Turn the admin API (`/__admin`) on (the default) or off.
    pub fn admin(mut self, on: bool) -> Self {
        self.admin = match (on, self.admin) {
            (false, _) => AdminAccess::Off,
            (true, AdminAccess::Off) => AdminAccess::Open,
            (true, access) => access,
        };
        self
    }

    /// Limit each API key to `limit` (off by default).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Let pages from `origin` read the API's answers (CORS; off by default). Never applies to `/__admin`.
    pub fn cors(mut self, origin: CorsOrigin) -> Self {
        self.cors = Some(origin);
        self
    }

    /// Shift the data by whole days so its newest call is within the day before `anchor` (off by default, so
    /// tests stay byte-for-byte deterministic; see [`openmic_fixtures::shift_days`]).
    pub fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }

    /// A virtual clock (moved with [`MockServer::advance`] and [`MockServer::set_now`]) or the real one (the
    /// default). A virtual clock without a start begins at the anchor, or at the time the server starts.
    pub fn clock(mut self, clock: ClockSpec) -> Self {
        self.clock = clock;
        self
    }

    /// The seed of created calls' ids and how they play out (default [`openmic_fixtures::DEFAULT_SEED`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Accept `number` as a `from_number` of `POST /v1/create-phone-call`, besides the numbers of the data
    /// set's calls; may be called repeatedly.
    pub fn phone_number(mut self, number: impl Into<String>) -> Self {
        self.phone_numbers.push(number.into());
        self
    }

    /// Where the default data set's webhooks go (`docs/webhooks.md`); checked when the server starts.
    pub fn webhooks(mut self, webhooks: WebhookTargets) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// Whether a created call's `callback_url` also gets its `end-of-call-report` (default: yes).
    pub fn callback_urls(mut self, on: bool) -> Self {
        self.callback_urls = on;
        self
    }

    /// How many created calls may be in progress at once, in one data set and in the server (default:
    /// [`LiveLimits::default`]); a create past either is a 429.
    pub fn live_limits(mut self, limits: LiveLimits) -> Self {
        self.live_limits = limits;
        self
    }

    /// Bind this address instead of 127.0.0.1 (the port is always chosen by the OS).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }

    /// Builds the state without binding: for `app(state)` and `Router::oneshot` tests.
    pub fn build_state(self) -> Result<AppState, StartError> {
        if let Some(bad) = self.api_keys.iter().find(|k| !is_valid_api_key(k)) {
            return Err(StartError::InvalidApiKey(bad.clone()));
        }
        if let AdminAccess::Key(key) = &self.admin
            && !is_valid_api_key(key)
        {
            return Err(StartError::InvalidApiKey(key.clone()));
        }
        let problems = self.webhooks.problems();
        if !problems.is_empty() {
            return Err(StartError::Webhooks(problems.join("; ")));
        }
        let started_ms = system_now_ms();
        let clock_start = match self.clock {
            ClockSpec::Virtual(Some(start)) => start,
            _ => started_ms,
        };
        let anchor_ms = match self.anchor {
            Anchor::Off => None,
            Anchor::Now => Some(clock_start),
            Anchor::At(at) => Some(at),
        };
        let moved = match (&self.source, anchor_ms) {
            (DataSource::Generated { .. }, Some(anchor_ms)) => generated_days(anchor_ms),
            _ => 0,
        };
        let Loaded {
            mut store,
            account: mut loaded_account,
            newest,
        } = self.source.into_data_moved(moved)?;
        if let Some(anchor_ms) = anchor_ms
            && let Some(newest) = newest.or_else(|| store.newest_timestamp())
        {
            let rest = openmic_fixtures::shift_days(newest, anchor_ms);
            store.shift(rest)?;
            let days = moved + rest;
            openmic_fixtures::shift_account(&mut loaded_account, days);
            tracing::info!(days, anchor = %openmic_fixtures::rfc3339_ms(anchor_ms), "anchored the data");
        }
        let clock = match self.clock {
            ClockSpec::Virtual(None) => ClockSpec::Virtual(Some(anchor_ms.unwrap_or(started_ms))),
            other => other,
        };
        let api_keys: BTreeSet<String> = if self.api_keys.is_empty() {
            BTreeSet::from([DEFAULT_API_KEY.to_string()])
        } else {
            self.api_keys.into_iter().collect()
        };
        Ok(AppState::new(
            store,
            Config {
                api_keys,
                strict: self.strict,
                journal_capacity: self.journal_capacity,
                journal_bytes: self.journal_bytes,
                page_cache_bytes: self.page_cache_bytes,
                redact_headers: self.redact_headers,
                allowed_hosts: self.options.allowed_hosts,
                admin: self.admin,
                rate_limit: self.rate_limit,
                cors: self.cors,
                clock,
                seed: self.seed,
                phone_numbers: self.phone_numbers,
                account: self.account.unwrap_or(loaded_account),
                webhooks: self.webhooks,
                callback_urls: self.callback_urls,
                live_limits: self.live_limits,
            },
        ))
    }

    /// Loads the data, binds a free port and starts serving in the background.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let ip = self.ip;
        if !ip.is_loopback() && self.admin == AdminAccess::Open {
            return Err(StartError::AdminWithoutKey(ip));
        }
        let api_key = self
            .api_keys
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_API_KEY.to_string());
        let options = self.options.clone();
        let state = self.build_state()?;
        let addr = SocketAddr::new(ip, 0);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        crate::outbound::dispatch::spawn_dispatcher(&state);
        let task = tokio::spawn(serve_router(listener, app(state.clone()), options, async {
            let _ = shutdown_rx.await;
        }));
        Ok(MockServer {
            addr,
            api_key,
            state,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }
}

/// A mock running in-process on a free port; it stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = openmic_mock::MockServer::builder().generated(7, 20).start().await?;
/// assert!(server.uri().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.api_key(), "test-key");
/// assert_eq!(server.calls().len(), 20);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    api_key: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// A builder serving the embedded data set with the key `test-key`.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            source: DataSource::Embedded,
            api_keys: Vec::new(),
            strict: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            page_cache_bytes: DEFAULT_PAGE_CACHE_BYTES,
            redact_headers: Vec::new(),
            options: ServeOptions::default(),
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            admin: AdminAccess::Open,
            rate_limit: None,
            cors: None,
            anchor: Anchor::Off,
            clock: ClockSpec::Real,
            seed: openmic_fixtures::DEFAULT_SEED,
            phone_numbers: Vec::new(),
            account: None,
            webhooks: WebhookTargets::default(),
            callback_urls: true,
            live_limits: LiveLimits::default(),
        }
    }

    /// The mock's time, Unix milliseconds (see [`ClockSpec`]).
    pub fn now(&self) -> u64 {
        self.state.clock().now_ms()
    }

    /// Moves a virtual clock forward; created calls show the state of the new time on the next request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use openmic_mock::ClockSpec;
    /// let server = openmic_mock::MockServer::builder()
    ///     .clock(ClockSpec::Virtual(Some(1_767_225_600_000)))
    ///     .start()
    ///     .await?;
    /// server.advance(std::time::Duration::from_secs(90))?;
    /// assert_eq!(server.now(), 1_767_225_690_000);
    /// # Ok(()) }
    /// ```
    pub fn advance(&self, by: std::time::Duration) -> Result<u64, ClockError> {
        let ms = u64::try_from(by.as_millis()).map_err(|_| ClockError::TooLate)?;
        let now = self.state.clock().advance(ms)?;
        self.state.data().schedule().wake.notify_one();
        Ok(now)
    }

    /// Sets a virtual clock to `ms` (Unix milliseconds), which must not be before its time.
    pub fn set_now(&self, ms: u64) -> Result<u64, ClockError> {
        let now = self.state.clock().set(ms)?;
        self.state.data().schedule().wake.notify_one();
        Ok(now)
    }

    /// Moves a virtual clock forward like `POST /__admin/clock/advance`: one due webhook at a time, so that when
    /// it returns every webhook due in the interval has been delivered or has failed (`docs/time.md`).
    pub async fn advance_and_send(&self, by: std::time::Duration) -> Result<u64, ClockError> {
        let ms = u64::try_from(by.as_millis()).map_err(|_| ClockError::TooLate)?;
        crate::outbound::dispatch::advance_by(&self.state, ms).await
    }

    /// Waits until every webhook due at the clock's time has been delivered or has failed.
    pub async fn send_due_webhooks(&self) {
        crate::outbound::dispatch::settle(&self.state).await;
    }

    /// The default data set's webhooks.
    pub fn webhooks(&self) -> WebhookTargets {
        self.state.data().webhooks(None).unwrap_or_default()
    }

    /// Configures the default data set's webhooks (`WebhookTargets::default()` turns them off); refused when a
    /// URL cannot be called.
    pub fn set_webhooks(&self, webhooks: WebhookTargets) -> Result<(), DataError> {
        self.set_tenant_webhooks_in(None, webhooks)
    }

    /// Configures the webhooks of tenant `api_key`, which must exist.
    pub fn set_tenant_webhooks(
        &self,
        api_key: &str,
        webhooks: WebhookTargets,
    ) -> Result<(), DataError> {
        self.set_tenant_webhooks_in(Some(api_key), webhooks)
    }

    fn set_tenant_webhooks_in(
        &self,
        tenant: Option<&str>,
        webhooks: WebhookTargets,
    ) -> Result<(), DataError> {
        let problems = webhooks.problems();
        if !problems.is_empty() {
            return Err(DataError::InvalidWebhooks(problems.join("; ")));
        }
        self.state.data().set_webhooks(tenant, webhooks)
    }

    /// The webhooks of tenant `api_key`.
    pub fn tenant_webhooks(&self, api_key: &str) -> Result<WebhookTargets, DataError> {
        self.state.data().webhooks(Some(api_key))
    }

    /// A simulated inbound call, like `POST /__admin/inbound-calls`: a customer at `from_number` rings the
    /// account's `to_number`, answered by `agent_id` (default: the agent that last answered that number). The
    /// call plays out like a created one, pre-call webhook included; returns it as Get Call shows it now.
    pub fn inbound_call(
        &self,
        from_number: &str,
        to_number: &str,
        agent_id: Option<&str>,
    ) -> Result<Call, CreateError> {
        let json = self.state.data().create_in(
            None,
            CreateRequest {
                from_number: from_number.to_string(),
                to_number: to_number.to_string(),
                override_agent_id: agent_id.map(str::to_string),
                customer_id: None,
                dynamic_variables: None,
                callback_url: None,
                direction: openmic_fixtures::Direction::Inbound,
            },
        )?;
        // The mock wrote this JSON from a `Call`, so it reads back as one.
        serde_json::from_str(&json).map_err(|e| {
            CreateError::Store(Problems {
                file: openmic_fixtures::IN_MEMORY_NAME.to_string(),
                problems: vec![openmic_fixtures::Problem {
                    line: 0,
                    column: None,
                    call_index: Some(0),
                    call_id: None,
                    field: None,
                    message: format!("the created call does not read back: {e}"),
                }],
                omitted: 0,
            })
        })
    }

    /// Every webhook attempt the deliveries journal keeps, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<DeliveryAttempt> {
        self.state.outbound().deliveries.all()
    }

    /// Sends the `end-of-call-report` of a finished call of the default data set to its post-call URL now, like
    /// `POST /__admin/webhooks/send`.
    pub async fn send_webhook(&self, call_id: &str) -> Result<DeliveryAttempt, SendError> {
        crate::outbound::dispatch::send_report(&self.state, None, call_id).await
    }

    /// Queues outcomes for the next created calls (see [`crate::time::lifecycle::CallOutcome`]); returns how many are
    /// queued. Every outcome is checked first, and none is queued if one breaks a rule.
    pub fn push_outcomes(&self, outcomes: Vec<CallOutcome>) -> Result<usize, DataError> {
        if let Some(problem) = outcomes.iter().flat_map(CallOutcome::problems).next() {
            return Err(DataError::InvalidOutcome(problem));
        }
        self.state.data().push_outcomes(None, outcomes)
    }

    /// The outcomes still queued.
    pub fn outcomes(&self) -> Vec<CallOutcome> {
        self.state.data().outcomes(None).unwrap_or_default()
    }

    /// The base URL, such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// An API key the server accepts (the first one configured).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The calls served now by default, in canonical order (parsed back from the served JSON): a copy that
    /// later changes do not touch.
    pub fn calls(&self) -> Vec<Call> {
        self.state.store().calls()
    }

    /// Replaces the default data set atomically; on a problem, nothing changes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = openmic_mock::MockServer::builder().start().await?;
    /// server.set_calls(openmic_fixtures::generate(1, 3))?;
    /// assert_eq!(server.calls().len(), 3);
    /// server.reset(); // back to the startup data set
    /// assert_eq!(server.calls().len(), openmic_fixtures::DEFAULT_COUNT);
    /// # Ok(()) }
    /// ```
    pub fn set_calls(&self, calls: Vec<Call>) -> Result<(), DataError> {
        self.state.data().replace(calls).map(drop)
    }

    /// Adds calls to the default data set, all or none: a `call_id` already served is
    /// [`DataError::DuplicateIds`].
    pub fn add_calls(&self, calls: Vec<Call>) -> Result<(), DataError> {
        self.state.data().add(calls).map(drop)
    }

    /// Inserts `call` into the default data set, or replaces the call with its `call_id`, atomically;
    /// `true` when it replaced one.
    pub fn upsert_call(&self, call: Call) -> Result<bool, DataError> {
        let json = serde_json::to_string(&call)
            .map_err(|err| DataError::Invalid(crate::data::set::unserializable(&call, &err)))?;
        self.state
            .data()
            .upsert_json(json.into_boxed_str())
            .map(|(replaced, _)| replaced)
    }

    /// The bots and phone numbers of the default data set (`tenant: None`) or of a tenant's, in the API's order:
    /// a copy that later changes do not touch.
    pub fn account(&self, tenant: Option<&str>) -> Result<openmic_fixtures::Account, AccountError> {
        Ok(self.state.data().account_of(tenant)?.account())
    }

    /// The bots of the default data set, in the API's order.
    pub fn bots(&self) -> Vec<openmic_fixtures::Bot> {
        self.account(None).map(|a| a.bots).unwrap_or_default()
    }

    /// The phone numbers of the default data set, in the API's order.
    pub fn phone_numbers(&self) -> Vec<openmic_fixtures::PhoneNumber> {
        self.account(None)
            .map(|a| a.phone_numbers)
            .unwrap_or_default()
    }

    /// Replaces the bots of the default data set (`tenant: None`) or a tenant's; agents of the calls left
    /// without a bot get generated ones. Returns how many bots there are now.
    pub fn set_bots(
        &self,
        tenant: Option<&str>,
        bots: Vec<openmic_fixtures::Bot>,
    ) -> Result<usize, AccountError> {
        check_records(&bots, |b| {
            openmic_fixtures::check_bot(b, openmic_fixtures::BotFields::Stored)
        })?;
        self.state.data().set_bots(tenant, bots)
    }

    /// Inserts a bot, or replaces the one with its `uid`; `true` when it replaced one.
    pub fn upsert_bot(
        &self,
        tenant: Option<&str>,
        bot: openmic_fixtures::Bot,
    ) -> Result<bool, AccountError> {
        check_records(std::slice::from_ref(&bot), |b| {
            openmic_fixtures::check_bot(b, openmic_fixtures::BotFields::Stored)
        })?;
        self.state.data().upsert_bot(tenant, bot)
    }

    /// Removes a bot whatever uses it: numbers linking it are unlinked, its calls keep their `agent_id`.
    pub fn remove_bot(&self, tenant: Option<&str>, uid: &str) -> Result<(), AccountError> {
        self.state.data().remove_bot(tenant, uid).map(drop)
    }

    /// Replaces the phone numbers of the default data set (`tenant: None`) or a tenant's; every linked agent
    /// must be a bot. Returns how many numbers there are now.
    pub fn set_phone_numbers(
        &self,
        tenant: Option<&str>,
        numbers: Vec<openmic_fixtures::PhoneNumber>,
    ) -> Result<usize, AccountError> {
        check_records(&numbers, openmic_fixtures::check_phone_number)?;
        self.state.data().set_numbers(tenant, numbers)
    }

    /// Inserts a phone number, or replaces the one with its `phone_number_id`; `true` when it replaced one.
    pub fn upsert_phone_number(
        &self,
        tenant: Option<&str>,
        number: openmic_fixtures::PhoneNumber,
    ) -> Result<bool, AccountError> {
        check_records(
            std::slice::from_ref(&number),
            openmic_fixtures::check_phone_number,
        )?;
        self.state.data().upsert_number(tenant, number)
    }

    /// Removes a phone number.
    pub fn remove_phone_number(&self, tenant: Option<&str>, id: &str) -> Result<(), AccountError> {
        self.state.data().remove_number(tenant, id).map(drop)
    }

    /// Limits each API key to `limit` from now on (full buckets), or stops limiting with `None`.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.state.set_rate_limit(limit);
    }

    /// Removes one call from the default data set.
    pub fn remove_call(&self, call_id: &str) -> Result<(), DataError> {
        self.state.data().remove(call_id).map(drop)
    }

    /// Restores the startup data set, clears faults, the journal and the rate-limit buckets (tenants stay).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Replaces the fault configuration (and restarts its random sequence from `faults.seed`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use openmic_mock::{Delay, Fault, Faults};
    ///
    /// let server = openmic_mock::MockServer::builder().start().await?;
    /// server.set_faults(Faults {
    ///     latency_ms: Some(Delay::Uniform { min: 5, max: 20 }),
    ///     error_rate: 0.1,
    ///     seed: Some(42),
    ///     ..Faults::default()
    /// });
    /// server.push_fault(Fault::Status { status: 429, retry_after: Some(2) });
    /// assert_eq!(server.faults().next.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn set_faults(&self, faults: Faults) {
        self.state.faults().set(faults);
    }

    /// Queues a fault for the next API request (after those already queued); a [`ScriptedFault`] can be
    /// limited to a path.
    pub fn push_fault(&self, fault: impl Into<ScriptedFault>) {
        self.state.faults().push(fault.into());
    }

    /// The fault configuration, with what remains of the `next` queue.
    pub fn faults(&self) -> Faults {
        self.state.faults().get()
    }

    /// Injects no more faults.
    pub fn clear_faults(&self) {
        self.state.faults().clear();
    }

    /// Creates or replaces an isolated data set served only to requests with `api_key`, which becomes valid.
    /// Parallel tests on one server each use their own key and never see each other's calls.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = openmic_mock::MockServer::builder().start().await?;
    /// server.tenant("test-a", openmic_fixtures::generate(1, 2))?;
    /// let page: serde_json::Value = reqwest::Client::new()
    ///     .get(format!("{}/v1/calls", server.uri()))
    ///     .bearer_auth("test-a")
    ///     .send()
    ///     .await?
    ///     .json()
    ///     .await?;
    /// assert_eq!(page["pagination"]["total"], 2);
    /// # Ok(()) }
    /// ```
    pub fn tenant(&self, api_key: &str, calls: Vec<Call>) -> Result<(), DataError> {
        self.state.check_tenant_key(api_key)?;
        self.state.data().set_tenant(api_key, calls).map(drop)
    }

    /// Removes a tenant; its key stops being valid (unless configured). `false` if there was none.
    pub fn remove_tenant(&self, api_key: &str) -> bool {
        self.state.remove_tenant(api_key)
    }

    /// The requests received so far, oldest first (bounded by the journal capacity).
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.state.journal().snapshot()
    }

    /// Forgets the received requests.
    pub fn reset_received_requests(&self) {
        self.state.journal().clear();
    }

    /// The server's state, for building more routers over the same data.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server to end. Webhooks
    /// not yet sent never are.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.state.data().schedule().stop();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .unwrap_or_else(|err| Err(std::io::Error::other(err))),
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.state.data().schedule().stop();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Checks typed records by the rules of a fixture file (a record built in code can break them: a name of 300
/// characters, a `max_call_duration` of 60).
fn check_records<T: serde::Serialize>(
    records: &[T],
    check: impl Fn(&serde_json::Map<String, serde_json::Value>) -> openmic_fixtures::Checked,
) -> Result<(), AccountError> {
    let mut problems = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if let Ok(serde_json::Value::Object(object)) = serde_json::to_value(record) {
            problems.extend(check(&object).problems.iter().map(|p| format!("[{i}].{p}")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many made calls each log line says, for `count` calls made in runs of `run`, in order.
    fn progress_lines(count: u64, run: u64) -> Vec<u64> {
        let progress = Progress::of(count);
        (0..count.div_ceil(run))
            .filter_map(|k| progress.made(&(k * run..count.min((k + 1) * run))))
            .collect()
    }

    #[test]
    fn generated_calls_made_in_runs_on_every_core_are_the_calls_made_one_by_one() {
        let count = 2 * GENERATED_RUN as usize + 5;
        let (store, account) = DataSource::Generated { seed: 11, count }
            .into_data()
            .unwrap();
        let generator = Generator::new(11);
        let one_by_one = CallStore::from_calls(generator.calls(0..count as u64)).unwrap();
        assert_eq!(store.len(), count);
        assert!(store.json_calls().eq(one_by_one.json_calls()));
        let mut uses = openmic_fixtures::AccountUses::new();
        generator.calls(0..count as u64).for_each(|c| uses.add(&c));
        assert_eq!(
            format!("{account:?}"),
            format!("{:?}", uses.account(&generator))
        );
        // Moved as made: every timestamp by the same whole days.
        let Loaded { store: moved, .. } = DataSource::Generated { seed: 11, count }
            .into_data_moved(3)
            .unwrap();
        let mut shifted = one_by_one;
        shifted.shift(3).unwrap();
        assert!(moved.json_calls().eq(shifted.json_calls()));
    }

    #[test]
    fn generated_calls_are_moved_as_made_by_the_days_the_window_end_asks() {
        use openmic_fixtures::{WINDOW_END_MS, WINDOW_START_MS};
        let day = DAY_MS as i64;
        let end = WINDOW_END_MS as i64;
        let at = |ms: i64| generated_days(ms as u64);
        // The window's last instant lands on the anchor, or less than a day before it.
        assert_eq!(at(end - 1), 0);
        assert_eq!(at(end - 1 + 300 * day), 300);
        assert_eq!(at(end - 2 + 300 * day), 299);
        assert_eq!(at(end - 1 - 5 * day), -5);
        assert_eq!(at(end - 2 - 5 * day), -6);
        // Back to the first instant the window's start can take, and no further.
        let earliest = (WINDOW_START_MS / DAY_MS) as i64;
        assert_eq!(at(end - 1 - earliest * day), -earliest);
        assert_eq!(at(end - 2 - earliest * day), 0);
        assert_eq!(at(0), 0);
    }

    #[test]
    fn a_large_generated_set_logs_each_tenth_and_a_smaller_one_nothing() {
        let tenths = |step: u64| (1..=10).map(|k| k * step).collect::<Vec<_>>();
        assert_eq!(progress_lines(100_000, 1), tenths(10_000));
        assert_eq!(progress_lines(123_456, 1), tenths(12_345));
        assert_eq!(progress_lines(99_999, 1), Vec::<u64>::new());
        // In runs, once per tenth, at the end of the run that reaches it.
        assert_eq!(
            progress_lines(100_000, 3_000),
            [12, 21, 30, 42, 51, 60, 72, 81, 90, 100].map(|k| k * 1_000)
        );
        let million = progress_lines(1_000_000, GENERATED_RUN);
        assert_eq!(million.len(), 10);
        assert_eq!(million.last(), Some(&1_000_000));
        assert_eq!(progress_lines(99_999, GENERATED_RUN), Vec::<u64>::new());
        // Runs counted out of order (as threads finish them) still say each tenth once, with the total so far.
        let progress = Progress::of(100_000);
        assert_eq!(progress.made(&(50_000..60_000)), Some(10_000));
        assert_eq!(progress.made(&(0..5_000)), None);
        assert_eq!(progress.made(&(5_000..25_000)), Some(35_000));
    }
}
