//! Tenants: data sets served to one API key alone, each a copy of the startup set or a set of its own, with
//! its own created calls, outcomes and webhooks. A reset or a change of one never touches another.

use std::collections::BTreeSet;
use std::sync::Arc;

use openmic_fixtures::{Account, Call};

use crate::data::error::DataError;
use crate::data::served::Served;
use crate::data::set::{DataSet, remove_from, to_json, upsert_into};
use crate::data::sets::{DataSets, is_valid_api_key};
use crate::data::store::CallStore;

impl DataSets {
    /// The tenant data set of `api_key`, if it has one, as one store.
    pub fn tenant(&self, api_key: &str) -> Option<Arc<CallStore>> {
        self.tenant_set(api_key)
            .map(|set| self.advanced(&set).merged())
    }

    /// What the API answers from for the default data set (`None`) or a tenant's (`None` when it has none),
    /// in both tiers, as of now.
    pub fn served(&self, tenant: Option<&str>) -> Option<Arc<Served>> {
        match tenant {
            None => Some(self.advanced(&self.default)),
            Some(key) => self.tenant_set(key).map(|set| self.advanced(&set)),
        }
    }

    /// Whether `api_key` has a tenant data set.
    pub fn has_tenant(&self, api_key: &str) -> bool {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(api_key)
    }

    pub(super) fn tenant_set(&self, api_key: &str) -> Option<Arc<DataSet>> {
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

    /// [`DataSets::add_json`] on the data set of tenant `api_key`, which must exist.
    pub fn add_tenant_json(&self, api_key: &str, calls: Vec<Box<str>>) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let set = self
            .tenant_set(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        self.add_into(&set, calls)
    }

    /// [`DataSets::remove`] on the data set of tenant `api_key`, which must exist.
    pub fn remove_tenant_call(&self, api_key: &str, call_id: &str) -> Result<usize, DataError> {
        let _writer = self.lock_writer();
        let set = self
            .tenant_set(api_key)
            .ok_or_else(|| DataError::TenantNotFound(api_key.to_string()))?;
        remove_from(&set, call_id)
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
        let upserted = upsert_into(&set, call)?;
        self.complete_account(&set);
        Ok(upserted)
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
        let set = DataSet::new(Arc::new(store), Some(api_key)).with_webhooks(webhooks);
        let account = self.starting_account(&set, Account::default());
        tenants.insert(api_key.to_string(), Arc::new(set.with_account(account)));
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
                Arc::new(
                    DataSet::new(self.startup.clone(), Some(api_key))
                        .with_account(self.startup_account.clone()),
                ),
            );
        Ok(self.startup.len())
    }
}
