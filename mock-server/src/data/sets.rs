//! The data sets the mock serves: the default one (swapped atomically at runtime), a copy of the startup set
//! for reset, and the isolated data sets of tenants; and in each, the calls created through the API as they
//! play out on the clock (see [`crate::time::lifecycle`]).
//!
//! Data sets are changed as JSON: calls read from a body are served exactly as sent (whitespace aside), and
//! adding or removing calls keeps every other call's bytes as they were.
//!
//! Every change builds a complete new [`CallStore`] and then swaps an `Arc` to it in one step. A request clones
//! the `Arc` it starts with and answers from it, so a reader sees either the old data set or the new one, never
//! a mixture, and a replace never waits for readers to finish. Adding or removing calls parses only the calls
//! that change and shares the others' JSON with the old store; what it costs is indexing the set again, which
//! blocks: the admin API runs every change on tokio's blocking threads, never on the threads serving requests.
//!
//! Created calls change state as the clock moves. Each data set knows when its next change is due; a read that
//! finds the time passed re-serializes the calls that changed (one call each, never the store) and swaps in the
//! store with them, under the same lock as admin changes. Until then a read costs one atomic load more.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use openmic_fixtures::{Call, CallStatus, Direction, Generator, Problems};

use crate::data::served::Served;
use crate::data::store::CallStore;
use crate::outbound::webhook::{Job, Schedule, Scheduled, WebhookTargets};
use crate::time::clock::Clock;
use crate::time::lifecycle::{CallOutcome, CallToCreate, CreatedCall, OutcomeQueue};

/// Finished created calls move from the live tier to the base once there are this many (or an eighth of the
/// base, if more): often enough that the live tier stays small, rarely enough that re-indexing the base is
/// paid once per many calls.
pub const FOLD_AT_LEAST: usize = 1024;

/// Why a change to the data was refused; the data is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The calls break a rule (duplicate `call_id` among them, end before start...).
    #[error("{0}")]
    Invalid(Problems),
    /// Calls to add have ids that are already served.
    #[error("call_id already present: {}", .0.join(", "))]
    DuplicateIds(Vec<String>),
    /// No call with this id.
    #[error("no call with call_id {0:?}")]
    CallNotFound(String),
    /// No tenant has this API key.
    #[error("no tenant with API key {0:?}")]
    TenantNotFound(String),
    /// A tenant key no `Authorization: Bearer` header can carry.
    #[error("invalid API key {0:?}: a key must be non-empty visible ASCII without spaces")]
    InvalidApiKey(String),
    /// An outcome breaks a rule (`field: rule`).
    #[error("{0}")]
    InvalidOutcome(String),
    /// A webhook URL that cannot be called (`field: why`).
    #[error("{0}")]
    InvalidWebhooks(String),
    /// The outcome queue is full.
    #[error(
        "the outcome queue holds {queued} outcomes and at most {max}: let calls take them, or clear it",
        max = crate::time::lifecycle::MAX_QUEUED_OUTCOMES
    )]
    OutcomeQueueFull {
        /// How many are queued.
        queued: usize,
    },
}

impl From<Problems> for DataError {
    fn from(problems: Problems) -> Self {
        DataError::Invalid(problems)
    }
}

/// Why `POST /v1/create-phone-call` could not create a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// `from_number` is not one of the account's numbers.
    #[error("from_number {number} is not a phone number of this account")]
    NotAccountNumber {
        /// The number sent.
        number: String,
        /// The account's numbers (the first few).
        known: Vec<String>,
    },
    /// `override_agent_id` names no agent of the account.
    #[error("no agent {0:?}")]
    AgentNotFound(String),
    /// The data set has no agent at all to place the call.
    #[error("the data set has no calls, so no agent to place a call")]
    NoAgent,
    /// The tenant named has no data set (it was removed meanwhile).
    #[error("no tenant {0:?}")]
    TenantNotFound(String),
    /// The store refused the call (an internal error).
    #[error("{0}")]
    Store(Problems),
}

/// Why a finished call's report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinishedCallError {
    /// No such data set or call.
    #[error(transparent)]
    Data(DataError),
    /// The call has not finished.
    #[error("call is {0}; only ended and error calls have a post-call report")]
    NotFinished(CallStatus),
    /// The call's JSON does not read as a call (it was served, so this would be a bug).
    #[error("the call cannot be read: {0}")]
    Unreadable(String),
}

/// Whether a bearer token can carry `key`: non-empty visible ASCII, no spaces.
pub fn is_valid_api_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What a create request carries once its shape is checked; the data set supplies the rest.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// The account's number that calls.
    pub from_number: String,
    /// The number called.
    pub to_number: String,
    /// The agent asked for.
    pub override_agent_id: Option<String>,
    /// The client's customer id.
    pub customer_id: Option<String>,
    /// Prompt variables.
    pub dynamic_variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where call events go (kept for the post-call webhook).
    pub callback_url: Option<String>,
    /// `outbound` for create-phone-call; `inbound` for a simulated inbound call, whose `to_number` is then
    /// the account's number.
    pub direction: Direction,
}

/// Numbers a data set accepts as `from_number` besides its calls' (`--phone-number`).
#[derive(Debug, Clone, Default)]
pub struct LifecycleConfig {
    /// The seed of call ids and plans.
    pub seed: u64,
    /// Extra account numbers.
    pub phone_numbers: Vec<String>,
    /// The default data set's webhooks.
    pub webhooks: WebhookTargets,
}

/// One data set: its calls in two tiers (see [`crate::data::served`]), and the created calls still playing out.
#[derive(Debug)]
struct DataSet {
    served: RwLock<Arc<Served>>,
    live: Mutex<Live>,
    /// When the next created call changes state (Unix ms); `u64::MAX` when none will.
    next_due: AtomicU64,
    /// How many calls were created here, and where this data set's ids start: each data set numbers its own
    /// calls, so a test's ids do not depend on what other tests (tenants) create at the same time.
    created: AtomicU64,
    id_salt: u64,
    /// Where this data set's webhooks go.
    webhooks: Mutex<WebhookTargets>,
}

#[derive(Debug, Default)]
struct Live {
    /// Created calls not yet ended, with the time of their next change.
    pending: Vec<(Arc<CreatedCall>, u64)>,
    /// Every call created in this data set, by id.
    created: HashMap<String, Arc<CreatedCall>>,
    /// The agent of the latest call created from each number (its latest use, whatever canonical order says
    /// of calls not started yet).
    last_agent: HashMap<String, String>,
    outcomes: OutcomeQueue,
}

impl DataSet {
    fn new(store: Arc<CallStore>, api_key: Option<&str>) -> Self {
        DataSet {
            served: RwLock::new(Arc::new(Served::base_only(store))),
            live: Mutex::new(Live::default()),
            next_due: AtomicU64::new(u64::MAX),
            created: AtomicU64::new(0),
            // FNV-1a of the tenant's key: a stable starting point per tenant (0 for the default data set).
            id_salt: api_key.map_or(0, |key| {
                key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
                }) << 24
            }),
            webhooks: Mutex::new(WebhookTargets::default()),
        }
    }

    /// The same data set with `webhooks` configured.
    fn with_webhooks(self, webhooks: WebhookTargets) -> Self {
        *self.webhooks.lock().unwrap_or_else(|p| p.into_inner()) = webhooks;
        self
    }

    fn webhooks(&self) -> WebhookTargets {
        self.webhooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn served(&self) -> Arc<Served> {
        self.served
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn swap(&self, served: Served) -> usize {
        let len = served.len();
        *self.served.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(served);
        len
    }

    /// Serves `base` with this data set's live tier.
    fn swap_base(&self, base: CallStore) -> usize {
        let live = self.served().live().clone();
        self.swap(Served::new(Arc::new(base), live))
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets created calls (the data set was replaced): they stop changing.
    fn forget_created(&self) {
        let mut live = self.live();
        live.pending.clear();
        live.created.clear();
        live.last_agent.clear();
        self.next_due.store(u64::MAX, Ordering::Release);
    }

    /// Stops playing out the created call `call_id` (an admin change removed or replaced it).
    fn forget(&self, call_id: &str) {
        let mut live = self.live();
        live.pending.retain(|(call, _)| call.call_id() != call_id);
        live.created.remove(call_id);
        let next = live
            .pending
            .iter()
            .map(|(_, t)| *t)
            .min()
            .unwrap_or(u64::MAX);
        self.next_due.store(next, Ordering::Release);
    }
}

/// The default data set, its startup copy, and the tenants' data sets.
#[derive(Debug)]
pub struct DataSets {
    startup: Arc<CallStore>,
    default: DataSet,
    tenants: RwLock<HashMap<String, Arc<DataSet>>>,
    // Serializes read-modify-write changes (add, remove, created calls moving on), so two concurrent changes
    // cannot lose one another.
    writer: Mutex<()>,
    clock: Arc<Clock>,
    generator: Generator,
    extra_numbers: Vec<String>,
    /// The webhooks due: pre-call attempts and post-call reports of created calls.
    schedule: Arc<Schedule>,
    startup_webhooks: WebhookTargets,
}

impl DataSets {
    /// Serves `store` by default and remembers it for [`DataSets::reset`], on a real clock.
    pub fn new(store: CallStore) -> Self {
        Self::with_clock(store, Arc::new(Clock::real()), LifecycleConfig::default())
    }

    /// Serves `store`, with created calls playing out on `clock`.
    pub fn with_clock(store: CallStore, clock: Arc<Clock>, lifecycle: LifecycleConfig) -> Self {
        let store = Arc::new(store);
        DataSets {
            startup: store.clone(),
            default: DataSet::new(store, None).with_webhooks(lifecycle.webhooks.clone()),
            startup_webhooks: lifecycle.webhooks,
            tenants: RwLock::new(HashMap::new()),
            writer: Mutex::new(()),
            clock,
            generator: Generator::new(lifecycle.seed),
            extra_numbers: lifecycle.phone_numbers,
            schedule: Arc::new(Schedule::default()),
        }
    }

    /// The webhooks due.
    pub fn schedule(&self) -> &Arc<Schedule> {
        &self.schedule
    }

    /// The webhooks of the default data set (`tenant: None`) or a tenant's.
    pub fn webhooks(&self, tenant: Option<&str>) -> Result<WebhookTargets, DataError> {
        Ok(self.set_named(tenant)?.get().webhooks())
    }

    /// Configures the webhooks of the default data set or a tenant's; the URLs must already be checked
    /// ([`WebhookTargets::problems`]). Applies to what is sent from now on.
    pub fn set_webhooks(
        &self,
        tenant: Option<&str>,
        webhooks: WebhookTargets,
    ) -> Result<(), DataError> {
        let set = self.set_named(tenant)?;
        *set.get().webhooks.lock().unwrap_or_else(|p| p.into_inner()) = webhooks;
        Ok(())
    }

    /// What a scheduled webhook needs, if it still applies: the data set's webhooks, when `call` is still that
    /// data set's created call (not removed, not replaced by a reset).
    pub fn webhook_target(&self, item: &Scheduled) -> Option<WebhookTargets> {
        let set = self.set_named(item.tenant.as_deref()).ok()?;
        let set = set.get();
        let live = set.live();
        let current = live.created.get(item.call.call_id())?;
        Arc::ptr_eq(current, &item.call).then(|| set.webhooks())
    }

    /// Replaces a held created call by what its pre-call webhook made of it (released, or failed) at `now`,
    /// and schedules its post-call report. `false` if the call no longer belongs to its data set.
    pub fn settle_pre_call(&self, item: &Scheduled, settled: CreatedCall) -> bool {
        let _writer = self.lock_writer();
        let Ok(set) = self.set_named(item.tenant.as_deref()) else {
            return false;
        };
        let set = set.get();
        let now = self.clock.now_ms();
        self.advance_locked(set, now);
        let mut live = set.live();
        match live.created.get(item.call.call_id()) {
            Some(current) if Arc::ptr_eq(current, &item.call) => {}
            _ => return false,
        }
        let settled = Arc::new(settled);
        let served = set.served();
        match served.live().with_replaced(to_json(&[settled.at(now)])) {
            Ok(tier) => {
                set.swap(Served::new(served.base().clone(), Arc::new(tier)));
            }
            Err(problems) => {
                tracing::error!(%problems, "a created call's new state was refused");
                return false;
            }
        }
        if let Some(next) = settled.next_change_after(now) {
            live.pending.push((settled.clone(), next));
            set.next_due.fetch_min(next, Ordering::AcqRel);
        }
        live.created
            .insert(settled.call_id().to_string(), settled.clone());
        self.schedule.push(
            settled.end_ms(),
            Scheduled {
                tenant: item.tenant.clone(),
                call: settled,
                job: Job::PostCall,
            },
        );
        true
    }

    /// A finished call of the default data set or a tenant's, by id, as served now, with its disconnection
    /// reason: a created call's own, else the call's `disconnection_reason` field when it holds a documented
    /// one, else a default drawn from its id ([`openmic_fixtures::default_disconnection_reason`]).
    pub fn finished_call(
        &self,
        tenant: Option<&str>,
        call_id: &str,
    ) -> Result<(Call, String), FinishedCallError> {
        let set = self.set_named(tenant).map_err(FinishedCallError::Data)?;
        let served = self.advanced(set.get());
        let json = served
            .get_json(call_id)
            .ok_or_else(|| FinishedCallError::Data(DataError::CallNotFound(call_id.to_string())))?;
        let call: Call =
            serde_json::from_str(json).map_err(|e| FinishedCallError::Unreadable(e.to_string()))?;
        if !matches!(call.call_status, CallStatus::Ended | CallStatus::Error) {
            return Err(FinishedCallError::NotFinished(call.call_status));
        }
        let created = set.get().live().created.get(call_id).cloned();
        let reason = match created {
            Some(created) => created.disconnection_reason.clone(),
            None => call
                .extra
                .get("disconnection_reason")
                .and_then(serde_json::Value::as_str)
                .filter(|r| openmic_fixtures::is_disconnection_reason(r))
                .or_else(|| {
                    openmic_fixtures::default_disconnection_reason(&call.call_id, call.call_status)
                })
                .unwrap_or("user_ended_call")
                .to_string(),
        };
        Ok((call, reason))
    }

    /// The clock created calls play out on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The default data set as of now, both tiers in one store; the snapshot stays whole whatever changes
    /// later.
    pub fn current(&self) -> Arc<CallStore> {
        self.advanced(&self.default).merged()
    }

    /// The data set served to `api_key` (its tenant's, or the default one) as of now, in its two tiers: what
    /// the API answers from.
    pub fn served_for_key(&self, api_key: &str) -> Arc<Served> {
        match self.tenant_set(api_key) {
            Some(set) => self.advanced(&set),
            None => self.advanced(&self.default),
        }
    }

    /// The tenant data set of `api_key`, if it has one, as one store.
    pub fn tenant(&self, api_key: &str) -> Option<Arc<CallStore>> {
        self.tenant_set(api_key)
            .map(|set| self.advanced(&set).merged())
    }

    /// Whether `api_key` has a tenant data set.
    pub fn has_tenant(&self, api_key: &str) -> bool {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(api_key)
    }

    fn tenant_set(&self, api_key: &str) -> Option<Arc<DataSet>> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(api_key)
            .cloned()
    }

    /// The keys of every tenant, sorted.
    pub fn tenant_keys(&self) -> BTreeSet<String> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `set` with every created call in its state at the clock's time.
    fn advanced(&self, set: &DataSet) -> Arc<Served> {
        let now = self.clock.now_ms();
        if set.next_due.load(Ordering::Acquire) > now {
            return set.served();
        }
        let _writer = self.lock_writer();
        self.advance_locked(set, now);
        set.served()
    }

    /// Moves created calls whose next change is due at `now` on; the writer lock is held. Only the live tier
    /// is re-indexed, and finished calls move to the base once there are enough of them.
    fn advance_locked(&self, set: &DataSet, now: u64) {
        if set.next_due.load(Ordering::Acquire) > now {
            return;
        }
        let mut live = set.live();
        let mut changed = Vec::new();
        let mut next_due = u64::MAX;
        live.pending.retain_mut(|(call, next)| {
            if *next <= now {
                changed.push(to_json(&[call.at(now)]).remove(0));
                match call.next_change_after(now) {
                    Some(t) => *next = t,
                    None => return false,
                }
            }
            next_due = next_due.min(*next);
            true
        });
        if !changed.is_empty() {
            let served = set.served();
            match served.live().with_replaced(changed) {
                Ok(tier) => {
                    let served = Served::new(served.base().clone(), Arc::new(tier));
                    set.swap(fold_finished(served, &live.pending));
                }
                // Created calls are made by the mock and always valid: this would be a bug.
                Err(problems) => {
                    tracing::error!(%problems, "a created call's new state was refused");
                }
            }
        }
        set.next_due.store(next_due, Ordering::Release);
    }

    /// Replaces the default data set; returns how many calls it now has.
    pub fn replace(&self, calls: Vec<Call>) -> Result<usize, DataError> {
        self.replace_json(to_json(&calls))
    }

    /// [`DataSets::replace`] with each call's JSON (as `openmic_fixtures::load_str_json` gives it).
    pub fn replace_json(&self, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let store = CallStore::from_json(calls)?;
        let _writer = self.lock_writer();
        self.default.forget_created();
        Ok(self.default.swap(Served::base_only(Arc::new(store))))
    }

    /// Adds calls to the default data set, all or none; returns how many calls it now has.
    pub fn add(&self, calls: Vec<Call>) -> Result<usize, DataError> {
        self.add_json(to_json(&calls))
    }

    /// [`DataSets::add`] with each call's JSON. The calls already served keep their bytes.
    pub fn add_json(&self, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        self.add_into(&self.default, calls)
    }

    /// [`DataSets::add_json`] on the data set of tenant `api_key`, which must exist.
    pub fn add_tenant_json(&self, api_key: &str, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let set = self
            .tenant_set(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        self.add_into(&set, calls)
    }

    /// Adds calls to `set`, all or none (the writer lock is held).
    fn add_into(&self, set: &DataSet, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        self.advance_locked(set, self.clock.now_ms());
        let current = set.served();
        let mut duplicates: Vec<String> = calls
            .iter()
            .filter_map(|json| call_id_of(json))
            .filter(|id| current.contains(id))
            .map(std::borrow::Cow::into_owned)
            .collect();
        if !duplicates.is_empty() {
            duplicates.dedup();
            return Err(DataError::DuplicateIds(duplicates));
        }
        Ok(set.swap_base(current.base().with_added(calls)?))
    }

    /// Removes one call from the default data set; returns how many calls remain.
    pub fn remove(&self, call_id: &str) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        remove_from(&self.default, call_id)
    }

    /// [`DataSets::remove`] on the data set of tenant `api_key`, which must exist.
    pub fn remove_tenant_call(&self, api_key: &str, call_id: &str) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let set = self
            .tenant_set(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        remove_from(&set, call_id)
    }

    /// Inserts one call (given as its JSON) into the default data set, or replaces the call with its
    /// `call_id`; returns whether it replaced one, and how many calls the set now has. Readers see the set
    /// before or after, never between. A created call replaced this way stops changing.
    pub fn upsert_json(&self, call: Box<str>) -> Result<(bool, usize), DataError> {
        let _writer = self.lock_writer();
        upsert_into(&self.default, call)
    }

    /// [`DataSets::upsert_json`] on the data set of tenant `api_key`, which must exist.
    pub fn upsert_tenant_json(
        &self,
        api_key: &str,
        call: Box<str>,
    ) -> Result<(bool, usize), DataError> {
        let _writer = self.lock_writer();
        let set = self
            .tenant_set(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        upsert_into(&set, call)
    }

    /// Serves the startup data set again: created calls and queued outcomes are gone, and the webhooks are
    /// the startup ones.
    pub fn reset(&self) {
        let _writer = self.lock_writer();
        self.default.forget_created();
        self.default.live().outcomes.clear();
        *self
            .default
            .webhooks
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = self.startup_webhooks.clone();
        self.default.swap(Served::base_only(self.startup.clone()));
    }

    /// Creates or replaces the data set served only to `api_key`; returns how many calls it has.
    pub fn set_tenant(&self, api_key: &str, calls: Vec<Call>) -> Result<usize, DataError> {
        self.set_tenant_json(api_key, to_json(&calls))
    }

    /// [`DataSets::set_tenant`] with each call's JSON.
    pub fn set_tenant_json(&self, api_key: &str, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        if !is_valid_api_key(api_key) {
            return Err(DataError::InvalidApiKey(api_key.to_string()));
        }
        let store = CallStore::from_json(calls)?;
        let len = store.len();
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        let webhooks = tenants
            .get(api_key)
            .map(|set| set.webhooks())
            .unwrap_or_default();
        tenants.insert(
            api_key.to_string(),
            Arc::new(DataSet::new(Arc::new(store), Some(api_key)).with_webhooks(webhooks)),
        );
        Ok(len)
    }

    /// Removes a tenant; `false` if there was none.
    pub fn remove_tenant(&self, api_key: &str) -> bool {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(api_key)
            .is_some()
    }

    /// Gives tenant `api_key` a copy of the startup data set (creating the tenant if there is none), with no
    /// created calls, an empty outcome queue and no webhooks; returns how many calls it has. The copy costs nothing: data
    /// sets share calls until one changes, and every change builds a new store.
    pub fn reset_tenant(&self, api_key: &str) -> Result<usize, DataError> {
        if !is_valid_api_key(api_key) {
            return Err(DataError::InvalidApiKey(api_key.to_string()));
        }
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                api_key.to_string(),
                Arc::new(DataSet::new(self.startup.clone(), Some(api_key))),
            );
        Ok(self.startup.len())
    }

    /// The data set `api_key` is served (a tenant's, or the default one), or the tenant named, which must
    /// exist, when `tenant` is given.
    fn set_named(&self, tenant: Option<&str>) -> Result<SetRef<'_>, DataError> {
        match tenant {
            None => Ok(SetRef::Default(&self.default)),
            Some(key) => self
                .tenant_set(key)
                .map(SetRef::Tenant)
                .ok_or_else(|| DataError::TenantNotFound(key.to_string())),
        }
    }

    fn set_for_key(&self, api_key: &str) -> SetRef<'_> {
        self.tenant_set(api_key)
            .map_or(SetRef::Default(&self.default), SetRef::Tenant)
    }

    /// Appends outcomes to the queue of the default data set (`tenant: None`) or a tenant's; returns how many
    /// are queued.
    pub fn push_outcomes(
        &self,
        tenant: Option<&str>,
        outcomes: Vec<CallOutcome>,
    ) -> Result<usize, DataError> {
        let set = self.set_named(tenant)?;
        let mut live = set.get().live();
        live.outcomes
            .push(outcomes)
            .map_err(|queued| DataError::OutcomeQueueFull { queued })
    }

    /// The outcomes still queued.
    pub fn outcomes(&self, tenant: Option<&str>) -> Result<Vec<CallOutcome>, DataError> {
        Ok(self.set_named(tenant)?.get().live().outcomes.queued())
    }

    /// Empties the outcome queue; returns how many were dropped.
    pub fn clear_outcomes(&self, tenant: Option<&str>) -> Result<usize, DataError> {
        Ok(self.set_named(tenant)?.get().live().outcomes.clear())
    }

    /// A created call of the data set `api_key` is served, by id.
    pub fn created_call(&self, api_key: &str, call_id: &str) -> Option<Arc<CreatedCall>> {
        self.set_for_key(api_key)
            .get()
            .live()
            .created
            .get(call_id)
            .cloned()
    }

    /// Creates a call in the data set `api_key` is served: checks `from_number` and the agent against the
    /// data set, draws an id, takes the next matching outcome, and adds the call as `registered`. Returns the
    /// call's JSON, exactly as Get Call serves it until it starts.
    pub fn create(&self, api_key: &str, request: CreateRequest) -> Result<Box<str>, CreateError> {
        let tenant = self.has_tenant(api_key).then_some(api_key);
        self.create_in(tenant, request)
    }

    /// [`DataSets::create`] in the default data set (`tenant: None`) or a tenant's, which must exist. For an
    /// inbound call, `to_number` is the account's number. When the data set has a pre-call webhook for the
    /// call's direction, the call waits, `registered`, for it; either way its post-call report is scheduled.
    pub fn create_in(
        &self,
        tenant: Option<&str>,
        request: CreateRequest,
    ) -> Result<Box<str>, CreateError> {
        let _writer = self.lock_writer();
        let set = match tenant {
            None => SetRef::Default(&self.default),
            Some(key) => self
                .tenant_set(key)
                .map(SetRef::Tenant)
                .ok_or_else(|| CreateError::TenantNotFound(key.to_string()))?,
        };
        let set = set.get();
        let now = self.clock.now_ms();
        self.advance_locked(set, now);
        let served = set.served();
        let store = served.base();
        let account = store.account();
        let account_number = match request.direction {
            Direction::Outbound => &request.from_number,
            Direction::Inbound => &request.to_number,
        }
        .clone();
        if !account.has_number(&account_number) && !self.extra_numbers.contains(&account_number) {
            let mut known: Vec<String> = account
                .numbers()
                .into_iter()
                .chain(self.extra_numbers.iter().map(String::as_str))
                .map(str::to_string)
                .collect();
            known.sort_unstable();
            known.dedup();
            return Err(CreateError::NotAccountNumber {
                number: account_number,
                known,
            });
        }
        let live_tier = served.live();
        let last_created = set.live().last_agent.get(&account_number).cloned();
        let agent_id = match request.override_agent_id {
            Some(agent) if store.has_agent(&agent) || live_tier.has_agent(&agent) => agent,
            Some(agent) => return Err(CreateError::AgentNotFound(agent)),
            None => last_created
                .or_else(|| store.default_agent(&account_number).map(|a| a.to_string()))
                .ok_or(CreateError::NoAgent)?,
        };
        let call_id = loop {
            let n = set
                .id_salt
                .wrapping_add(set.created.fetch_add(1, Ordering::Relaxed));
            let id = self.generator.created_call_id(n, now);
            if !served.contains(&id) {
                break id;
            }
        };
        let mut live = set.live();
        live.last_agent.insert(account_number, agent_id.clone());
        let outcome = live.outcomes.take_for(&request.to_number);
        let direction = request.direction;
        let created = CreatedCall::new(
            CallToCreate {
                call_id,
                from_number: request.from_number,
                to_number: request.to_number,
                agent_id,
                customer_id: request.customer_id,
                dynamic_variables: request.dynamic_variables,
                callback_url: request.callback_url,
                direction: request.direction,
            },
            now,
            outcome,
            &self.generator,
        );
        let webhooks = set.webhooks();
        let pre_call = webhooks.pre_call_url.is_some() && webhooks.direction.matches(direction);
        let created = Arc::new(if pre_call { created.held() } else { created });
        let json = to_json(&[created.at(now)]).remove(0);
        let added = live_tier
            .with_added(vec![json.clone()])
            .map_err(CreateError::Store)?;
        set.swap(Served::new(store.clone(), Arc::new(added)));
        if let Some(next) = created.next_change_after(now) {
            live.pending.push((created.clone(), next));
            set.next_due.fetch_min(next, Ordering::AcqRel);
        }
        live.created
            .insert(created.call_id().to_string(), created.clone());
        let (due, job) = if pre_call {
            (now, Job::PreCall { attempt: 1 })
        } else {
            (created.end_ms(), Job::PostCall)
        };
        self.schedule.push(
            due,
            Scheduled {
                tenant: tenant.map(str::to_string),
                call: created,
                job,
            },
        );
        Ok(json)
    }
}

/// `served` with its finished created calls moved to the base, when there are enough of them (see
/// [`FOLD_AT_LEAST`]); `pending` are the created calls still changing, which stay live.
fn fold_finished(served: Served, pending: &[(Arc<CreatedCall>, u64)]) -> Served {
    let live = served.live();
    let finished = live.len().saturating_sub(pending.len());
    if finished < FOLD_AT_LEAST.max(served.base().len() / 8) {
        return served;
    }
    let still: std::collections::HashSet<&str> =
        pending.iter().map(|(call, _)| call.call_id()).collect();
    let mut moving = Vec::with_capacity(finished);
    let mut positions = Vec::with_capacity(finished);
    for (position, json) in live.json_calls().enumerate() {
        if call_id_of(json).is_some_and(|id| !still.contains(&*id)) {
            positions.push(position);
            moving.push(Box::<str>::from(json));
        }
    }
    match served.base().with_added(moving) {
        Ok(base) => Served::new(Arc::new(base), Arc::new(live.without_positions(&positions))),
        Err(problems) => {
            tracing::error!(%problems, "finished created calls could not move to the base");
            served
        }
    }
}

/// A data set: the default one (borrowed) or a tenant's (shared).
enum SetRef<'a> {
    Default(&'a DataSet),
    Tenant(Arc<DataSet>),
}

impl SetRef<'_> {
    fn get(&self) -> &DataSet {
        match self {
            SetRef::Default(set) => set,
            SetRef::Tenant(set) => set,
        }
    }
}

/// Removes one call from `set` (the writer lock is held); returns how many calls remain. A created call
/// removed this way stops changing.
fn remove_from(set: &DataSet, call_id: &str) -> Result<usize, DataError> {
    let current = set.served();
    let (base, live) = (current.base(), current.live());
    let served = if let Some(gone) = live.position(call_id) {
        Served::new(base.clone(), Arc::new(live.without(gone)))
    } else if let Some(gone) = base.position(call_id) {
        Served::new(Arc::new(base.without(gone)), live.clone())
    } else {
        return Err(DataError::CallNotFound(call_id.to_string()));
    };
    set.forget(call_id);
    Ok(set.swap(served))
}

/// Upserts `call` into `set` (the writer lock is held). A created call it replaces leaves the live tier and
/// stops changing: the admin API's version is a plain call of the base.
fn upsert_into(set: &DataSet, call: Box<str>) -> Result<(bool, usize), DataError> {
    let id = call_id_of(&call).map(std::borrow::Cow::into_owned);
    let served = set.served();
    let live_position = id.as_deref().and_then(|id| served.live().position(id));
    let (replaced, base) = upserted(served.base(), call)?;
    let live = match live_position {
        Some(position) => Arc::new(served.live().without(position)),
        None => served.live().clone(),
    };
    if let Some(id) = id {
        set.forget(&id);
    }
    Ok((
        replaced || live_position.is_some(),
        set.swap(Served::new(Arc::new(base), live)),
    ))
}

/// The `call_id` of a call's JSON, if it has a string one (borrowed unless it has escapes).
pub(crate) fn call_id_of(json: &str) -> Option<std::borrow::Cow<'_, str>> {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        call_id: std::borrow::Cow<'a, str>,
    }
    serde_json::from_str::<Id<'_>>(json)
        .ok()
        .map(|id| id.call_id)
}

/// `store` with `call` added, or in place of the call with its `call_id`; and whether it replaced one.
fn upserted(store: &CallStore, call: Box<str>) -> Result<(bool, CallStore), DataError> {
    let position = call_id_of(&call).and_then(|id| store.position(&id));
    Ok(match position {
        Some(position) => (true, store.without(position).with_added(vec![call])?),
        None => (false, store.with_added(vec![call])?),
    })
}

/// The problem of a call that cannot be serialized (only a map keyed by non-strings could cause it).
pub(crate) fn unserializable(call: &Call, err: &serde_json::Error) -> Problems {
    Problems {
        file: openmic_fixtures::IN_MEMORY_NAME.to_string(),
        problems: vec![openmic_fixtures::Problem {
            line: 0,
            column: None,
            call_index: Some(0),
            call_id: Some(call.call_id.clone()),
            field: None,
            message: format!("cannot serialize the call: {err}"),
        }],
        omitted: 0,
    }
}

/// Calls given in code, as the compact JSON the store serves.
fn to_json(calls: &[Call]) -> Vec<Box<str>> {
    calls
        .iter()
        .map(|call| {
            serde_json::to_string(call)
                .expect("a Call always serializes: its maps have string keys and its numbers are finite")
                .into_boxed_str()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::ListCallsParams;

    fn sets(store: CallStore, start: u64) -> DataSets {
        DataSets::with_clock(
            store,
            Arc::new(Clock::starting_at(start)),
            LifecycleConfig {
                seed: 1,
                phone_numbers: vec!["+15550001111".into()],
                ..LifecycleConfig::default()
            },
        )
    }

    fn request(to: &str) -> CreateRequest {
        CreateRequest {
            from_number: "+15550001111".into(),
            to_number: to.into(),
            override_agent_id: None,
            customer_id: None,
            dynamic_variables: None,
            callback_url: None,
            direction: Direction::Outbound,
        }
    }

    #[test]
    fn finished_calls_fold_at_1024_or_an_eighth_of_the_base_whichever_is_more() {
        // One call under many ids: cheaper than generating thousands.
        let call = openmic_fixtures::generate(3, 1).remove(0);
        let json: Vec<Box<str>> = (0..8200 + 1025)
            .map(|i| {
                let mut call = call.clone();
                call.call_id = format!("fold{i:05}");
                to_json(&[call]).remove(0)
            })
            .collect();
        let bases = [50, 8200].map(|n| Arc::new(CallStore::from_json(json[..n].to_vec()).unwrap()));
        let tiers = [1023, 1024, 1025].map(|n| {
            Arc::new(crate::data::live::LiveTier::from_json(json[8200..8200 + n].to_vec()).unwrap())
        });
        let served = |base: usize, live: usize| {
            let store = bases.iter().find(|b| b.len() == base).unwrap().clone();
            let tier = tiers.iter().find(|t| t.len() == live).unwrap().clone();
            Served::new(store, tier)
        };
        for (base, live, folds) in [
            (50, 1023, false),
            (50, 1024, true),
            (8200, 1024, false),
            (8200, 1025, true),
        ] {
            let folded = fold_finished(served(base, live), &[]);
            let left = if folds { 0 } else { live };
            assert_eq!(folded.live().len(), left, "base {base}, live {live}");
            assert_eq!(folded.len(), base + live);
        }
    }

    #[test]
    fn finished_created_calls_move_to_the_base_and_nothing_else_changes() {
        let start = 1_767_225_600_000;
        let data = sets(
            CallStore::new(openmic_fixtures::generate(3, 50)).unwrap(),
            start,
        );
        let outcome = CallOutcome {
            ring_ms: Some(10),
            talk_ms: Some(20),
            status: Some(openmic_fixtures::CallStatus::Ended),
            ..CallOutcome::default()
        };
        let count = FOLD_AT_LEAST + 10;
        data.push_outcomes(None, vec![outcome; count]).unwrap();
        for i in 0..count {
            data.create("test-key", request(&format!("+1555{i:07}")))
                .unwrap();
        }
        // One more that keeps ringing: it must stay live.
        data.create("test-key", request("+15559999999")).unwrap();
        let before = data.served_for_key("test-key");
        assert_eq!(before.live().len(), count + 1);
        assert_eq!(before.base().len(), 50);

        data.clock().advance(30).unwrap();
        let after = data.served_for_key("test-key");
        assert_eq!(after.live().len(), 1, "the finished calls moved");
        assert_eq!(after.base().len(), 50 + count);
        let all = ListCallsParams {
            limit: 100,
            ..ListCallsParams::default()
        };
        let merged = after.merged();
        for offset in [0, 100, 1000, 1050] {
            let params = ListCallsParams {
                offset,
                ..all.clone()
            };
            assert_eq!(after.list(&params).calls, merged.list(&params).calls);
        }
        let ended = ListCallsParams {
            call_status: Some(openmic_fixtures::CallStatus::Ended),
            ..all
        };
        let page = after.list(&ended);
        assert!(page.pagination.total >= count as u64);
        // The call still ringing changes when its time comes, from the live tier.
        let ringing = after
            .live()
            .json_calls()
            .next()
            .and_then(call_id_of)
            .unwrap()
            .into_owned();
        let plan = data.created_call("test-key", &ringing).unwrap();
        data.clock().set(plan.end_ms()).unwrap();
        let done = data.served_for_key("test-key");
        assert!(
            done.get_json(&ringing)
                .unwrap()
                .contains("\"call_status\":\"ended\"")
                || done
                    .get_json(&ringing)
                    .unwrap()
                    .contains("\"call_status\":\"error\"")
        );
    }

    #[test]
    fn a_created_id_is_never_one_already_served_and_admin_adds_see_both_tiers() {
        let data = sets(CallStore::default(), 1_000);
        let json = data.create("test-key", request("+15550000001"));
        assert_eq!(json, Err(CreateError::NoAgent));
        let data = sets(
            CallStore::new(openmic_fixtures::generate(3, 5)).unwrap(),
            1_000,
        );
        let json = data.create("test-key", request("+15550000001")).unwrap();
        let id = call_id_of(&json).unwrap().into_owned();
        assert!(!data.served_for_key("test-key").is_empty());
        assert!(Served::base_only(Arc::new(CallStore::default())).is_empty());
        // An agent whose calls are all gone from the base is still known by its created call.
        let agent = serde_json::from_str::<openmic_fixtures::Call>(&json)
            .unwrap()
            .agent_id;
        for call in data.current().calls() {
            if call.agent_id == agent && call.call_id != id {
                data.remove(&call.call_id).unwrap();
            }
        }
        let again = CreateRequest {
            override_agent_id: Some(agent.clone()),
            ..request("+15550000002")
        };
        let second = data.create("test-key", again).unwrap();
        assert!(second.contains(&agent));
        let second_id = call_id_of(&second).unwrap().into_owned();
        data.remove(&second_id).unwrap();
        assert_eq!(
            data.add_json(vec![json.clone()]),
            Err(DataError::DuplicateIds(vec![id.clone()]))
        );
        let before = data.served_for_key("test-key").len();
        assert_eq!(data.remove(&id), Ok(before - 1));
        assert_eq!(data.remove(&id), Err(DataError::CallNotFound(id)));
    }
}
