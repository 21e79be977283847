//! The OpenMic contract kit: checks that a List Calls **server** (the mock, another fake, the live API) and a
//! **client** (a Rust type, or a program in any language behind an adapter) keep the contract of
//! `docs/contract.md`, and reports where a server drifts from the mock's assumed rules.
//!
//! A tour, from the bottom up; each layer imports only the ones above it in this list. The first four are
//! private: their names that callers need are re-exported here.
//! - `contract/`: the oracle both suites trust: the reference model, the wire shape, date parsing. It never
//!   imports the mock.
//! - `http.rs`: the kit's own HTTP client ([`HttpClient`]) with a request budget, a rate limit,
//!   `429 Retry-After` and a cap on requests that are not `GET`; requests print as curl commands with the key
//!   redacted.
//! - `runner.rs`: seeded, shrinking proptest cases, the budget's effect on them, and the [`Outcome`] of a
//!   property.
//! - `report.rs`: how results read: diffs, page summaries, clipping, JUnit.
//! - [`server`]: the server suite: its properties (List Calls and Get Call, then create-phone-call), the
//!   dataset it learns by listing, the drift report and a wiremock responder.
//! - [`client`]: the client suite: the [`ClientUnderTest`] trait, the JSON Lines adapter, and (with the
//!   default `client-suite` feature, which starts `openmic-mock` in-process) its properties.
//! - [`webhook`]: the webhook suite: checks a team's receiver of the vendor's post-call and pre-call webhooks
//!   by sending it generated payloads of the documented shapes ([`run_webhook_properties`]).
//!
//! The `openmic-contract` binary is `main.rs` and `cli/` (one file per subcommand), outside this library: it
//! uses only the names exported here.
//!
//! Running the server suite from Rust:
//!
//! ```no_run
//! use openmic_contract::{ServerSuiteConfig, Target, server};
//!
//! let config = ServerSuiteConfig::new(Target::new("http://127.0.0.1:8080", "test-key"));
//! let report = server::run(&config, &mut std::io::stdout(), None)?;
//! assert_eq!(report.failed(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The three suites are public modules because each is itself an API: a namespace for its run, its config,
// its report and its constants (`server::run`, `server::junit`, `server::DEFAULT_CASES`), names that would
// be ambiguous at the root. Each keeps its own files private and re-exports what callers use.
pub mod client;
pub mod server;
pub mod webhook;

// Private: the layers the suites stand on. What callers need of them is re-exported below by name.
mod contract;
mod http;
mod report;
mod runner;

pub use client::{
    AdapterClient, CallsPage, ClientError, ClientParams, ClientUnderTest, CreateCallParams,
    ErrorKind, WaitParams,
};
#[cfg(feature = "client-suite")]
pub use client::{ClientReport, ClientSuiteConfig, run_client_properties};
// The oracle's calendar, for a client under test (or a test's deliberately broken one) that writes and reads
// date bounds the way the kit does.
pub use contract::dates::{format_bare_date, format_rfc3339_ms, parse_date};
pub use http::{HttpClient, HttpError, Limits, Target};
pub use http::{ProgressSink, Request, install_crypto_provider};
pub use runner::Outcome;
pub use server::{OpenMicResponder, Report, ResponderFault, ServerSuiteConfig, mount};
pub use webhook::{WebhookKind, WebhookReport, WebhookSuiteConfig, run_webhook_properties};
