//! One data set: its calls in two tiers (see [`crate::data::served`]), the created calls still playing out with
//! the time of their next change, its outcome queue and its webhooks; and the changes every data set makes the
//! same way (a call removed or upserted, finished created calls folded into the base).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use openmic_fixtures::{Call, Problems};

use crate::data::book::AccountBook;
use crate::data::error::DataError;
use crate::data::served::Served;
use crate::data::store::CallStore;
use crate::outbound::targets::WebhookTargets;
use crate::time::lifecycle::{CreatedCall, OutcomeQueue};

/// Finished created calls move from the live tier to the base once there are this many (or an eighth of the
/// base, if more): often enough that the live tier stays small, rarely enough that re-indexing the base is
/// paid once per many calls.
pub const FOLD_AT_LEAST: usize = 1024;

/// One data set: its calls in two tiers (see [`crate::data::served`]), and the created calls still playing out.
#[derive(Debug)]
pub(super) struct DataSet {
    pub(super) served: RwLock<Arc<Served>>,
    pub(super) live: Mutex<Live>,
    /// When the next created call changes state (Unix ms); `u64::MAX` when none will.
    pub(super) next_due: AtomicU64,
    /// How many calls were created here, and where this data set's ids start: each data set numbers its own
    /// calls, so a test's ids do not depend on what other tests (tenants) create at the same time.
    pub(super) created: AtomicU64,
    pub(super) id_salt: u64,
    /// Where this data set's webhooks go.
    pub(super) webhooks: Mutex<WebhookTargets>,
    /// Its bots and phone numbers.
    pub(super) account: RwLock<Arc<AccountBook>>,
}

#[derive(Debug, Default)]
pub(super) struct Live {
    /// Created calls not yet ended, with the time of their next change.
    pub(super) pending: Vec<(Arc<CreatedCall>, u64)>,
    /// Every call created in this data set, by id.
    pub(super) created: HashMap<String, Arc<CreatedCall>>,
    pub(super) outcomes: OutcomeQueue,
}

impl DataSet {
    pub(super) fn new(store: Arc<CallStore>, api_key: Option<&str>) -> Self {
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
            account: RwLock::new(Arc::default()),
        }
    }

    /// The same data set with `account`.
    pub(super) fn with_account(self, account: Arc<AccountBook>) -> Self {
        self.swap_account(account);
        self
    }

    pub(super) fn account(&self) -> Arc<AccountBook> {
        self.account
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn swap_account(&self, account: impl Into<Arc<AccountBook>>) {
        *self.account.write().unwrap_or_else(|p| p.into_inner()) = account.into();
    }

    /// The same data set with `webhooks` configured.
    pub(super) fn with_webhooks(self, webhooks: WebhookTargets) -> Self {
        *self.webhooks.lock().unwrap_or_else(|p| p.into_inner()) = webhooks;
        self
    }

    pub(super) fn webhooks(&self) -> WebhookTargets {
        self.webhooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn served(&self) -> Arc<Served> {
        self.served
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn swap(&self, served: Served) -> usize {
        let len = served.len();
        *self.served.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(served);
        len
    }

    /// Serves `base` with this data set's live tier.
    pub(super) fn swap_base(&self, base: CallStore) -> usize {
        let live = self.served().live().clone();
        self.swap(Served::new(Arc::new(base), live))
    }

    pub(super) fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets created calls (the data set was replaced): they stop changing.
    pub(super) fn forget_created(&self) {
        let mut live = self.live();
        live.pending.clear();
        live.created.clear();
        self.next_due.store(u64::MAX, Ordering::Release);
    }

    /// Stops playing out the created call `call_id` (an admin change removed or replaced it).
    pub(super) fn forget(&self, call_id: &str) {
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

/// `served` with its finished created calls moved to the base, when there are enough of them (see
/// [`FOLD_AT_LEAST`]); `pending` are the created calls still changing, which stay live.
pub(super) fn fold_finished(served: Served, pending: &[(Arc<CreatedCall>, u64)]) -> Served {
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
pub(super) enum SetRef<'a> {
    Default(&'a DataSet),
    Tenant(Arc<DataSet>),
}

impl SetRef<'_> {
    pub(super) fn get(&self) -> &DataSet {
        match self {
            SetRef::Default(set) => set,
            SetRef::Tenant(set) => set,
        }
    }
}

/// Removes one call from `set` (the writer lock is held); returns how many calls remain. A created call
/// removed this way stops changing.
pub(super) fn remove_from(set: &DataSet, call_id: &str) -> Result<usize, DataError> {
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
pub(super) fn upsert_into(set: &DataSet, call: Box<str>) -> Result<(bool, usize), DataError> {
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

/// `store` with `call` added, or in place of the call with its `call_id`; and whether it replaced one.
pub(super) fn upserted(store: &CallStore, call: Box<str>) -> Result<(bool, CallStore), DataError> {
    let position = call_id_of(&call).and_then(|id| store.position(&id));
    Ok(match position {
        Some(position) => (true, store.without(position).with_added(vec![call])?),
        None => (false, store.with_added(vec![call])?),
    })
}

/// Calls given in code, as the compact JSON the store serves.
pub(super) fn to_json(calls: &[Call]) -> Vec<Box<str>> {
    calls
        .iter()
        .map(|call| {
            serde_json::to_string(call)
                .expect("a Call always serializes: its maps have string keys and its numbers are finite")
                .into_boxed_str()
        })
        .collect()
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
