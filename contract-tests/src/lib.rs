//! The OpenMic contract kit: checks that a List Calls **server** (the mock, another fake, the live API) and a
//! **client** (a Rust type, or a program in any language behind an adapter) keep the contract of
//! `docs/contract.md`, and reports where a server drifts from the mock's assumed rules.
//!
//! A tour, from the bottom up; each layer imports only the ones above it in this list:
//! - [`contract`]: the oracle both suites trust: the reference model, the wire shape, date parsing. It never
//!   imports the mock.
//! - [`http`]: the kit's own HTTP client ([`HttpClient`]) with a request budget, a rate limit,
//!   `429 Retry-After` and a cap on requests that are not `GET`; requests print as curl commands with the key
//!   redacted.
//! - [`runner`]: seeded, shrinking proptest cases, the budget's effect on them, and the [`runner::Outcome`]
//!   of a property.
//! - [`report`]: how results read: diffs, page summaries, clipping, JUnit.
//! - [`server`]: the server suite: its properties (List Calls and Get Call, then create-phone-call), the
//!   dataset it learns by listing, the drift report and a wiremock responder.
//! - [`client`]: the client suite: the [`ClientUnderTest`] trait, the JSON Lines adapter, and (with the
//!   default `client-suite` feature, which starts `openmic-mock` in-process) its properties.
//! - [`webhook`]: the webhook suite: checks a team's receiver of the vendor's post-call and pre-call webhooks
//!   by sending it generated payloads of the documented shapes ([`run_webhook_properties`]).
//!
//! Running the server suite from Rust:
//!
//! ```no_run
//! use openmic_contract::{ServerSuiteConfig, Target, server};
//!
//! let config = ServerSuiteConfig::new(Target::new("http://127.0.0.1:8080", "test-key"));
//! let report = server::suite::run(&config, &mut std::io::stdout(), None)?;
//! assert_eq!(report.failed(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
pub mod contract;
pub mod http;
pub mod report;
pub mod runner;
pub mod server;
pub mod webhook;

pub use client::{AdapterClient, CallsPage, ClientError, ClientParams, ClientUnderTest, ErrorKind};
#[cfg(feature = "client-suite")]
pub use client::{ClientReport, ClientSuiteConfig, run_client_properties};
pub use http::{HttpClient, HttpError, Limits, Target};
pub use server::{OpenMicResponder, Report, ResponderFault, ServerSuiteConfig, mount};
pub use webhook::{WebhookKind, WebhookReport, WebhookSuiteConfig, run_webhook_properties};
