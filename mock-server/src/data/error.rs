//! What a change of the data can run into ([`DataError`]): every problem of the calls given, a duplicate or
//! unknown id, an unknown tenant, an invalid key. The admin API and [`crate::MockServer`] turn it into their
//! own answers.

use openmic_fixtures::Problems;

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
    /// A tenant named like an API key of the default data set, which would take that key's requests over.
    #[error(
        "{0:?} is an API key of the default data set (--api-key / OPENMIC_MOCK_API_KEY, test-key by default): a \
         tenant under it would take over that key's requests. The default data set is at /__admin/... (without \
         /tenants/KEY); give a tenant a key of its own"
    )]
    DefaultSetKey(String),
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
