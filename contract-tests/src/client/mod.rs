//! The client suite: checks a client (a Rust type or a program in any language) against the contract.
//!
//! - `under_test.rs`: the [`ClientUnderTest`] trait a client is checked through, the [`ClientParams`] it is
//!   asked to send, and its [`ClientError`] kinds.
//! - `adapter.rs`: a client in any language behind a JSON Lines pipe ([`AdapterClient`]).
//!
//! With the default `client-suite` feature (which brings in `openmic-mock`):
//! - `suite.rs`: a whole run ([`run_client_properties`]) against the mock started in-process.
//! - `harness.rs`: the mock, the client's revocable key, the journal of what reached the server, the watchdog.
//! - `scripted.rs`: a scripted HTTP server that keeps request bodies, for the create and polling properties.
//! - `properties/`: `encoding`, `decoding`, `pagination_helper`, `errors` (against the mock),
//!   `create_request`, `create_errors` and `wait_for_end` (against the scripted server), dispatched by the
//!   [`CLIENT_PROPERTIES`] table.

// Private: the files are how the suite is built, not its API; what callers use is re-exported below.
mod adapter;
mod under_test;

#[cfg(feature = "client-suite")]
mod harness;
#[cfg(feature = "client-suite")]
mod properties;
#[cfg(feature = "client-suite")]
mod scripted;
#[cfg(feature = "client-suite")]
mod suite;

pub use adapter::{AdapterClient, DEFAULT_ADAPTER_TIMEOUT};
#[cfg(feature = "client-suite")]
pub use harness::{
    CLIENT_KEY, DATA_COUNT, DATA_SEED, DEFAULT_MAX_RETRIES, UNDOCUMENTED_FIELD, client_dataset,
};
#[cfg(feature = "client-suite")]
pub use properties::CLIENT_PROPERTIES;
#[cfg(feature = "client-suite")]
pub use suite::{ClientReport, ClientSuiteConfig, run_client_properties};
pub use under_test::{
    CallsPage, ClientError, ClientParams, ClientUnderTest, CreateCallParams, ErrorKind, WaitParams,
};
