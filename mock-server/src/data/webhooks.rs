//! The webhooks of a data set: where they go, what a scheduled one needs if it still applies, a held call
//! settled by its pre-call webhook, and a finished call as its report shows it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use openmic_fixtures::{Call, CallStatus};

use crate::data::error::DataError;
use crate::data::served::Served;
use crate::data::set::to_json;
use crate::data::sets::DataSets;
use crate::outbound::targets::WebhookTargets;
use crate::time::lifecycle::CreatedCall;
use crate::time::schedule::{Job, Scheduled};

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

/// A finished call as its report shows it ([`DataSets::finished_call`]).
#[derive(Debug, Clone)]
pub struct FinishedCall {
    /// The call as served.
    pub call: Call,
    /// Why it ended.
    pub reason: String,
    /// When it was created, for a call created through the API or the admin's inbound calls; `None` for a
    /// call that was loaded (the REST API has no creation time).
    pub created_ms: Option<u64>,
}

impl DataSets {
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
    /// reason (a created call's own, else the call's `disconnection_reason` field when it holds a documented
    /// one, else a default drawn from its id: [`openmic_fixtures::default_disconnection_reason`]) and, for a
    /// created call, when it was created.
    pub fn finished_call(
        &self,
        tenant: Option<&str>,
        call_id: &str,
    ) -> Result<FinishedCall, FinishedCallError> {
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
        let created_ms = created.as_ref().map(|c| c.created_ms);
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
        Ok(FinishedCall {
            call,
            reason,
            created_ms,
        })
    }
}
