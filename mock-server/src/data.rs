//! The data sets the mock serves: the default one (swapped atomically at runtime), a copy of the startup set
//! for reset, and the isolated data sets of tenants.
//!
//! Data sets are changed as JSON: calls read from a body are served exactly as sent (whitespace aside), and
//! adding or removing calls keeps every other call's bytes as they were.
//!
//! Every change builds a complete new [`CallStore`] and then swaps an `Arc` to it in one step. A request clones
//! the `Arc` it starts with and answers from it, so a reader sees either the old data set or the new one, never
//! a mixture, and a replace never waits for readers to finish. Adding or removing calls parses only the calls
//! that change and shares the others' JSON with the old store; what it costs is indexing the set again, which
//! blocks: the admin API runs every change on tokio's blocking threads, never on the threads serving requests.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use openmic_fixtures::{Call, Problems};

use crate::store::CallStore;

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
}

impl From<Problems> for DataError {
    fn from(problems: Problems) -> Self {
        DataError::Invalid(problems)
    }
}

/// Whether a bearer token can carry `key`: non-empty visible ASCII, no spaces.
pub fn is_valid_api_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The default data set, its startup copy, and the tenants' data sets.
#[derive(Debug)]
pub struct DataSets {
    startup: Arc<CallStore>,
    current: RwLock<Arc<CallStore>>,
    tenants: RwLock<HashMap<String, Arc<CallStore>>>,
    // Serializes read-modify-write changes (add, remove), so two concurrent adds cannot lose one another.
    writer: Mutex<()>,
}

impl DataSets {
    /// Serves `store` by default and remembers it for [`DataSets::reset`].
    pub fn new(store: CallStore) -> Self {
        let store = Arc::new(store);
        DataSets {
            startup: store.clone(),
            current: RwLock::new(store),
            tenants: RwLock::new(HashMap::new()),
            writer: Mutex::new(()),
        }
    }

    /// The default data set as of now; the snapshot stays whole whatever changes later.
    pub fn current(&self) -> Arc<CallStore> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The data set served to `api_key`: its tenant's, or the default one.
    pub fn for_key(&self, api_key: &str) -> Arc<CallStore> {
        self.tenant(api_key).unwrap_or_else(|| self.current())
    }

    /// The tenant data set of `api_key`, if it has one.
    pub fn tenant(&self, api_key: &str) -> Option<Arc<CallStore>> {
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

    fn swap(&self, store: CallStore) -> usize {
        let len = store.len();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(store);
        len
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the default data set; returns how many calls it now has.
    pub fn replace(&self, calls: Vec<Call>) -> Result<usize, DataError> {
        self.replace_json(to_json(&calls))
    }

    /// [`DataSets::replace`] with each call's JSON (as `openmic_fixtures::load_str_json` gives it).
    pub fn replace_json(&self, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let store = CallStore::from_json(calls)?;
        let _writer = self.lock_writer();
        Ok(self.swap(store))
    }

    /// Adds calls to the default data set, all or none; returns how many calls it now has.
    pub fn add(&self, calls: Vec<Call>) -> Result<usize, DataError> {
        self.add_json(to_json(&calls))
    }

    /// [`DataSets::add`] with each call's JSON. The calls already served keep their bytes.
    pub fn add_json(&self, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let current = self.current();
        let mut duplicates: Vec<String> = calls
            .iter()
            .filter_map(|json| call_id_of(json))
            .filter(|id| current.position(id).is_some())
            .map(std::borrow::Cow::into_owned)
            .collect();
        if !duplicates.is_empty() {
            duplicates.dedup();
            return Err(DataError::DuplicateIds(duplicates));
        }
        Ok(self.swap(current.with_added(calls)?))
    }

    /// Removes one call from the default data set; returns how many calls remain.
    pub fn remove(&self, call_id: &str) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let current = self.current();
        let Some(gone) = current.position(call_id) else {
            return Err(DataError::CallNotFound(call_id.to_string()));
        };
        Ok(self.swap(current.without(gone)))
    }

    /// Inserts one call (given as its JSON) into the default data set, or replaces the call with its
    /// `call_id`; returns whether it replaced one, and how many calls the set now has. Readers see the set
    /// before or after, never between.
    pub fn upsert_json(&self, call: Box<str>) -> Result<(bool, usize), DataError> {
        let _writer = self.lock_writer();
        let (replaced, store) = upserted(&self.current(), call)?;
        Ok((replaced, self.swap(store)))
    }

    /// [`DataSets::upsert_json`] on the data set of tenant `api_key`, which must exist.
    pub fn upsert_tenant_json(
        &self,
        api_key: &str,
        call: Box<str>,
    ) -> Result<(bool, usize), DataError> {
        let _writer = self.lock_writer();
        let current = self
            .tenant(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        let (replaced, store) = upserted(&current, call)?;
        let len = store.len();
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(api_key.to_string(), Arc::new(store));
        Ok((replaced, len))
    }

    /// Serves the startup data set again.
    pub fn reset(&self) {
        let _writer = self.lock_writer();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = self.startup.clone();
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
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(api_key.to_string(), Arc::new(store));
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
        file: openmic_fixtures::load::IN_MEMORY_NAME.to_string(),
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
