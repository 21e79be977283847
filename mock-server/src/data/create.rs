//! Calls created through `POST /v1/create-phone-call` (and simulated inbound calls) in a data set: the request
//! the data set trusts, the checks against the account (its numbers and agents), the id drawn, the outcome
//! taken from the queue, and the webhooks scheduled.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use openmic_fixtures::{Direction, Problems};

use crate::data::error::DataError;
use crate::data::served::Served;
use crate::data::set::{SetRef, to_json};
use crate::data::sets::DataSets;
use crate::time::lifecycle::{CallOutcome, CallToCreate, CreatedCall};
use crate::time::schedule::{Job, Scheduled};

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
    /// `override_agent_id` names no bot of the account.
    #[error("no agent {0:?}")]
    AgentNotFound(String),
    /// No `override_agent_id`, and the number has no agent linked for the call's direction.
    #[error("phone number {number} has no {direction} agent")]
    NoLinkedAgent {
        /// The account's number.
        number: String,
        /// The call's direction.
        direction: Direction,
    },
    /// The tenant named has no data set (it was removed meanwhile).
    #[error("no tenant {0:?}")]
    TenantNotFound(String),
    /// The store refused the call (an internal error).
    #[error("{0}")]
    Store(Problems),
    /// As many created calls as the limit allows are in progress, in the data set or in the server.
    #[error("{live} calls in progress {scope}, the most allowed ({flag})")]
    TooManyLive {
        /// How many are in progress.
        live: usize,
        /// Where: `in this account` or `in this server`.
        scope: &'static str,
        /// The flag that sets the limit.
        flag: &'static str,
        /// Milliseconds until the first of them ends (at least 1,000).
        retry_after_ms: u64,
    },
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

impl DataSets {
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

    /// Refuses a create when `set`, or the server, already has as many calls in progress as allowed.
    fn check_live_limits(&self, set: &super::set::DataSet, now: u64) -> Result<(), CreateError> {
        // The live calls of one set, and when the first of them ends.
        let count = |set: &super::set::DataSet| {
            let live = set.live();
            live.pending
                .iter()
                .map(|(call, _)| call.end_ms())
                .filter(|end| *end > now)
                .fold((0usize, u64::MAX), |(n, first), end| {
                    (n + 1, first.min(end))
                })
        };
        let retry = |first: u64| first.saturating_sub(now).max(1_000);
        let (live, first) = count(set);
        if live >= self.live_limits.per_data_set {
            return Err(CreateError::TooManyLive {
                live,
                scope: "in this account",
                flag: "--max-live-calls",
                retry_after_ms: retry(first),
            });
        }
        let tenants = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        let (total, first) = std::iter::once(&self.default)
            .chain(tenants.values().map(|set| &**set))
            .map(count)
            .fold((0usize, u64::MAX), |(n, first), (m, f)| {
                (n + m, first.min(f))
            });
        if total >= self.live_limits.total {
            return Err(CreateError::TooManyLive {
                live: total,
                scope: "in this server",
                flag: "--max-live-calls-total",
                retry_after_ms: retry(first),
            });
        }
        Ok(())
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
        self.check_live_limits(set, now)?;
        let served = set.served();
        let store = served.base();
        let account = set.account();
        let account_number = match request.direction {
            Direction::Outbound => &request.from_number,
            Direction::Inbound => &request.to_number,
        }
        .clone();
        let Some(number) = account.number_for(&account_number) else {
            return Err(CreateError::NotAccountNumber {
                number: account_number,
                known: account.e164_numbers(),
            });
        };
        let live_tier = served.live();
        let agent_id = match request.override_agent_id {
            Some(agent) if account.bot(&agent).is_some() => agent,
            Some(agent) => return Err(CreateError::AgentNotFound(agent)),
            None => number
                .number
                .agent_for(request.direction)
                .map(str::to_string)
                .ok_or_else(|| CreateError::NoLinkedAgent {
                    number: account_number.clone(),
                    direction: request.direction,
                })?,
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
