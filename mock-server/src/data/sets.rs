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

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use openmic_fixtures::{Account, Call, Generator};

use crate::data::book::AccountBook;
use crate::data::error::DataError;
use crate::data::served::Served;
use crate::data::set::{
    DataSet, SetRef, call_id_of, fold_finished, remove_from, to_json, upsert_into,
};
use crate::data::store::CallStore;
use crate::outbound::targets::WebhookTargets;
use crate::time::clock::Clock;
use crate::time::schedule::Schedule;

/// Whether a bearer token can carry `key`: non-empty visible ASCII, no spaces.
pub fn is_valid_api_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
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
    /// The bots and phone numbers the data came with; completed from the calls.
    pub account: Account,
    /// How many created calls may be in progress at once.
    pub live_limits: LiveLimits,
}

/// How many created calls may be in progress (registered, ringing or ongoing) at once: in one data set (an
/// account: the default one or a tenant's) and in the whole server. A real account has a concurrency limit
/// (the vendor documents none's value); here the limits bound the memory created calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveLimits {
    /// In one data set (`--max-live-calls`).
    pub per_data_set: usize,
    /// In the server, all data sets together (`--max-live-calls-total`).
    pub total: usize,
}

/// The default [`LiveLimits::per_data_set`].
pub const DEFAULT_MAX_LIVE_CALLS: usize = 2_000;
/// The default [`LiveLimits::total`].
pub const DEFAULT_MAX_LIVE_CALLS_TOTAL: usize = 10_000;

impl Default for LiveLimits {
    fn default() -> Self {
        LiveLimits {
            per_data_set: DEFAULT_MAX_LIVE_CALLS,
            total: DEFAULT_MAX_LIVE_CALLS_TOTAL,
        }
    }
}

/// The default data set, its startup copy, and the tenants' data sets.
#[derive(Debug)]
pub struct DataSets {
    pub(super) startup: Arc<CallStore>,
    pub(super) default: DataSet,
    pub(super) tenants: RwLock<HashMap<String, Arc<DataSet>>>,
    // Serializes read-modify-write changes (add, remove, created calls moving on), so two concurrent changes
    // cannot lose one another.
    pub(super) writer: Mutex<()>,
    pub(super) clock: Arc<Clock>,
    pub(super) generator: Generator,
    pub(super) extra_numbers: Vec<String>,
    /// The webhooks due: pre-call attempts and post-call reports of created calls.
    pub(super) schedule: Arc<Schedule>,
    pub(super) startup_webhooks: WebhookTargets,
    /// The startup data set's account, for reset and new tenants.
    pub(super) startup_account: Arc<AccountBook>,
    /// How many created calls may be in progress.
    pub(super) live_limits: LiveLimits,
}

impl DataSets {
    /// Serves `store` by default and remembers it for [`DataSets::reset`], on a real clock.
    pub fn new(store: CallStore) -> Self {
        Self::with_clock(store, Arc::new(Clock::real()), LifecycleConfig::default())
    }

    /// Serves `store`, with created calls playing out on `clock`.
    pub fn with_clock(store: CallStore, clock: Arc<Clock>, lifecycle: LifecycleConfig) -> Self {
        let store = Arc::new(store);
        let mut sets = DataSets {
            startup: store.clone(),
            default: DataSet::new(store, None).with_webhooks(lifecycle.webhooks.clone()),
            startup_webhooks: lifecycle.webhooks,
            tenants: RwLock::new(HashMap::new()),
            writer: Mutex::new(()),
            clock,
            generator: Generator::new(lifecycle.seed),
            extra_numbers: lifecycle.phone_numbers,
            schedule: Arc::new(Schedule::default()),
            startup_account: Arc::default(),
            live_limits: lifecycle.live_limits,
        };
        let account = sets.starting_account(&sets.default, lifecycle.account);
        sets.default.swap_account(account.clone());
        sets.startup_account = account;
        sets
    }

    /// The webhooks due.
    pub fn schedule(&self) -> &Arc<Schedule> {
        &self.schedule
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

    pub(super) fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `set` with every created call in its state at the clock's time.
    pub(super) fn advanced(&self, set: &DataSet) -> Arc<Served> {
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
    pub(super) fn advance_locked(&self, set: &DataSet, now: u64) {
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
        let count = self.default.swap(Served::base_only(Arc::new(store)));
        self.complete_account(&self.default);
        Ok(count)
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

    /// Adds calls to `set`, all or none (the writer lock is held).
    pub(super) fn add_into(&self, set: &DataSet, calls: Vec<Box<str>>) -> Result<usize, DataError> {
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
        let count = set.swap_base(current.base().with_added(calls)?);
        self.complete_account(set);
        Ok(count)
    }

    /// Removes one call from the default data set; returns how many calls remain.
    pub fn remove(&self, call_id: &str) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        remove_from(&self.default, call_id)
    }

    /// Inserts one call (given as its JSON) into the default data set, or replaces the call with its
    /// `call_id`; returns whether it replaced one, and how many calls the set now has. Readers see the set
    /// before or after, never between. A created call replaced this way stops changing.
    pub fn upsert_json(&self, call: Box<str>) -> Result<(bool, usize), DataError> {
        let _writer = self.lock_writer();
        let upserted = upsert_into(&self.default, call)?;
        self.complete_account(&self.default);
        Ok(upserted)
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
        self.default.swap_account(self.startup_account.clone());
    }

    /// The data set `api_key` is served (a tenant's, or the default one), or the tenant named, which must
    /// exist, when `tenant` is given.
    pub(super) fn set_named(&self, tenant: Option<&str>) -> Result<SetRef<'_>, DataError> {
        match tenant {
            None => Ok(SetRef::Default(&self.default)),
            Some(key) => self
                .tenant_set(key)
                .map(SetRef::Tenant)
                .ok_or_else(|| DataError::TenantNotFound(key.to_string())),
        }
    }

    pub(super) fn set_for_key(&self, api_key: &str) -> SetRef<'_> {
        self.tenant_set(api_key)
            .map_or(SetRef::Default(&self.default), SetRef::Tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::ListCallsParams;
    use crate::data::create::{CreateError, CreateRequest};
    use crate::data::set::FOLD_AT_LEAST;
    use crate::time::lifecycle::CallOutcome;
    use openmic_fixtures::Direction;

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
        // With no calls, the --phone-number number has a record but no agent to link.
        assert_eq!(
            json,
            Err(CreateError::NoLinkedAgent {
                number: "+15550001111".into(),
                direction: Direction::Outbound
            })
        );
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
