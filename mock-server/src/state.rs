//! What every request handler shares: the configuration ([`Config`]), who may use the admin API
//! ([`AdminAccess`]), and the state ([`AppState`]): data sets, journal, faults and rate-limit buckets. Kept apart
//! from the router, so the admin routes and the API routes both depend on it and not on each other.
//!
//! It also holds the two rules both sides apply the same way: how an `Authorization: Bearer` header is read
//! ([`bearer_token`]), and what a reset clears ([`AppState::reset`], and [`AppState::reset_tenant`] for one
//! tenant).

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::api::error::ApiError;

use crate::api::pages::{DEFAULT_PAGE_CACHE_BYTES, PageCache};
use crate::data::error::DataError;
use crate::data::sets::{DataSets, LifecycleConfig};
use crate::data::store::CallStore;
use crate::faults::FaultInjector;
use crate::journal::{DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CAPACITY, Journal, key_fingerprint};
use crate::net::cors::CorsOrigin;
use crate::outbound::sender::Outbound;
use crate::outbound::targets::WebhookTargets;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::time::clock::{Clock, ClockSpec, system_now_ms};

/// The API key used when none is configured.
pub const DEFAULT_API_KEY: &str = "test-key";

/// The path every admin route lives under.
pub const ADMIN_PREFIX: &str = "/__admin";

/// Who may use the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AdminAccess {
    /// Anyone who can reach the port: the default, safe on loopback only.
    #[default]
    Open,
    /// Only requests with `Authorization: Bearer <key>` (`GET /__admin/health` excepted).
    Key(String),
    /// No admin API: `/__admin/...` is an unknown path like any other (`--no-admin`).
    Off,
}

/// How the mock behaves, apart from its data.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API keys accepted in `Authorization: Bearer <key>`.
    pub api_keys: BTreeSet<String>,
    /// Reject unknown query parameters with a 400 instead of ignoring them.
    pub strict: bool,
    /// How many requests the journal keeps.
    pub journal_capacity: usize,
    /// How many bytes of requests the journal keeps.
    pub journal_bytes: usize,
    /// How many bytes of List Calls pages are kept to answer the same page again (0 keeps none).
    pub page_cache_bytes: usize,
    /// Headers `GET /__admin/requests` hides besides the built-in credential headers
    /// (`authorization`, `cookie`, `set-cookie`, `x-api-key`...).
    pub redact_headers: Vec<String>,
    /// Host names a loopback-bound server answers to besides localhost, 127.0.0.1 and \[::1\]; bound to
    /// another address, the only names it answers to when not empty (see [`ServeOptions`](crate::ServeOptions)).
    pub allowed_hosts: Vec<String>,
    /// Who may use the admin API (`/__admin`).
    pub admin: AdminAccess,
    /// Requests per minute per API key; `None` (the default) does not limit.
    pub rate_limit: Option<RateLimit>,
    /// Which origins a browser lets read the API's answers; `None` (the default) sends no CORS header.
    pub cors: Option<CorsOrigin>,
    /// The clock: real (the default) or virtual. A virtual clock without a start begins at the time the state
    /// is built.
    pub clock: ClockSpec,
    /// The seed of created calls' ids and how they play out.
    pub seed: u64,
    /// Numbers `POST /v1/create-phone-call` accepts as `from_number` besides those of the data set's calls:
    /// each gets a phone-number record, linked both ways to the agent with the most calls.
    pub phone_numbers: Vec<String>,
    /// The bots and phone numbers loaded with the calls (completed from the calls: every agent gets a bot and
    /// every number a record).
    pub account: openmic_fixtures::Account,
    /// The default data set's webhooks (tenants configure their own).
    pub webhooks: WebhookTargets,
    /// Whether a created call's `callback_url` also gets its `end-of-call-report` (on by default).
    pub callback_urls: bool,
    /// How many created calls may be in progress at once.
    pub live_limits: crate::data::sets::LiveLimits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: BTreeSet::from([DEFAULT_API_KEY.to_string()]),
            strict: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            page_cache_bytes: DEFAULT_PAGE_CACHE_BYTES,
            redact_headers: Vec::new(),
            allowed_hosts: Vec::new(),
            admin: AdminAccess::Open,
            rate_limit: None,
            cors: None,
            clock: ClockSpec::Real,
            seed: openmic_fixtures::DEFAULT_SEED,
            phone_numbers: Vec::new(),
            account: openmic_fixtures::Account::default(),
            webhooks: WebhookTargets::default(),
            callback_urls: true,
            live_limits: crate::data::sets::LiveLimits::default(),
        }
    }
}

/// Everything a request handler needs; cheap to clone, and every clone shares the same data, journal, faults
/// and rate-limit buckets (a change through one is seen by all).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// What every clone of an [`AppState`] shares: one reference count per clone, not one per part (a request
/// clones the state for each layer it passes).
#[derive(Debug)]
struct Shared {
    data: Arc<DataSets>,
    config: Arc<Config>,
    journal: Arc<Journal>,
    pages: PageCache,
    faults: Arc<FaultInjector>,
    clock: Arc<Clock>,
    outbound: Arc<Outbound>,
    // Swapped whole by `PUT /__admin/rate-limit`; a request holds the limiter it started with.
    limiter: Arc<RwLock<Option<Arc<RateLimiter>>>>,
}

impl AppState {
    /// State serving `store` with `config`.
    pub fn new(store: CallStore, config: Config) -> Self {
        let journal = Arc::new(Journal::with_limits(
            config.journal_capacity,
            config.journal_bytes,
        ));
        let limiter = config.rate_limit.map(|l| Arc::new(RateLimiter::new(l)));
        let clock = Arc::new(Clock::from_spec(config.clock, system_now_ms()));
        let lifecycle = LifecycleConfig {
            seed: config.seed,
            phone_numbers: config.phone_numbers.clone(),
            webhooks: config.webhooks.clone(),
            account: config.account.clone(),
            live_limits: config.live_limits,
        };
        let data = Arc::new(DataSets::with_clock(store, clock.clone(), lifecycle));
        let outbound = Arc::new(Outbound::default());
        outbound.set_callbacks(config.callback_urls);
        Self(Arc::new(Shared {
            data,
            clock,
            outbound,
            pages: PageCache::new(config.page_cache_bytes),
            config: Arc::new(config),
            journal,
            faults: Arc::new(FaultInjector::default()),
            limiter: Arc::new(RwLock::new(limiter)),
        }))
    }

    /// The default data set as of now: a snapshot that later changes do not touch.
    pub fn store(&self) -> Arc<CallStore> {
        self.0.data.current()
    }

    /// The data sets: the default one, and the tenants'.
    pub fn data(&self) -> &DataSets {
        &self.0.data
    }

    /// The data sets, shared: what the webhook dispatcher holds (weakly, so it ends with them).
    pub(crate) fn data_handle(&self) -> &Arc<DataSets> {
        &self.0.data
    }

    /// What webhooks are sent with: the sender, the journal of attempts, whether `callback_url`s get reports.
    pub(crate) fn outbound(&self) -> &Arc<Outbound> {
        &self.0.outbound
    }

    /// The clock every time-dependent part of the mock reads.
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// The fault configuration.
    pub fn faults(&self) -> &FaultInjector {
        &self.0.faults
    }

    /// The rate limiter in force (`--rate-limit`, or set at runtime), if any.
    pub fn rate_limiter(&self) -> Option<Arc<RateLimiter>> {
        self.0
            .limiter
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Limits each API key to `limit` from now on, with full buckets; `None` stops limiting.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        *self.0.limiter.write().unwrap_or_else(|p| p.into_inner()) =
            limit.map(|l| Arc::new(RateLimiter::new(l)));
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Restores the startup data set (created calls and queued outcomes are gone) and webhooks, and clears
    /// faults, the journal, the webhook deliveries and the rate-limit buckets. The clock keeps its time: a
    /// virtual clock never goes back. Tenants stay: each belongs to one test, and another test's reset must not
    /// pull its data away.
    pub fn reset(&self) {
        self.0.data.reset();
        self.0.outbound.deliveries.clear();
        self.0.faults.clear();
        self.0.journal.clear();
        if let Some(limiter) = self.rate_limiter() {
            limiter.clear();
        }
    }

    /// Refuses a tenant key that is an API key of the default data set ([`DataError::DefaultSetKey`]): the
    /// tenant would silently take that key's requests from the default data set.
    pub fn check_tenant_key(&self, api_key: &str) -> Result<(), DataError> {
        if self.config().api_keys.contains(api_key) {
            return Err(DataError::DefaultSetKey(api_key.to_string()));
        }
        Ok(())
    }

    /// [`AppState::reset`] for one tenant: `api_key` gets a copy of the startup data set (the tenant is created
    /// if there is none), loses its own faults, its requests in the journal and its created calls and queued
    /// outcomes, and has a full rate-limit bucket; returns how many calls it has. Nothing of any other key
    /// changes, so a test resets its own tenant while others run.
    pub fn reset_tenant(&self, api_key: &str) -> Result<usize, DataError> {
        self.check_tenant_key(api_key)?;
        let count = self.0.data.reset_tenant(api_key)?;
        self.0.faults.clear_for_key(api_key);
        self.0.journal.forget_key(key_fingerprint(api_key));
        if let Some(limiter) = self.rate_limiter() {
            limiter.forget(api_key);
        }
        Ok(count)
    }

    /// Removes a tenant and its own faults; its key stops being valid (unless configured). `false` if there
    /// was none. Its requests stay in the journal, like every other request, until they age out.
    pub fn remove_tenant(&self, api_key: &str) -> bool {
        let removed = self.0.data.remove_tenant(api_key);
        self.0.faults.clear_for_key(api_key);
        if let Some(limiter) = self.rate_limiter() {
            limiter.forget(api_key);
        }
        removed
    }

    /// The request journal.
    pub fn journal(&self) -> &Journal {
        &self.0.journal
    }

    /// The List Calls pages answered lately.
    pub(crate) fn pages(&self) -> &PageCache {
        &self.0.pages
    }
}

/// The API key of a request: `Authorization: Bearer <key>` with a configured key. Extracted first, so auth
/// is checked before anything about the request's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey(pub String);

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        accepted_key(&parts.headers, state)
            .map(|key| ApiKey(key.to_string()))
            .ok_or(ApiError::Unauthorized)
    }
}

/// The key of a single, well-formed `Authorization: Bearer` header, if the server accepts it: a configured
/// key, or a tenant's.
pub(crate) fn accepted_key<'h>(headers: &'h HeaderMap, state: &AppState) -> Option<&'h str> {
    let key = bearer_token(headers)?;
    (state.config().api_keys.contains(key) || state.data().has_tenant(key)).then_some(key)
}

/// The token of the request's one `Authorization` header, read as `Bearer <token>`: the scheme matched
/// case-insensitively (RFC 9110), one or more spaces, then a token with no whitespace (RFC 6750's `b64token`
/// allows none, so `Bearer key ` with a trailing space is malformed rather than trimmed). No header, two
/// headers, another scheme or a malformed value give `None`. The API and the admin API both use this rule.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let value = value.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim_start_matches(' ');
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && !token.contains(|c: char| c.is_ascii_whitespace());
    well_formed.then_some(token)
}
