//! The OpenMic contract kit: a property-based suite that checks any List Calls server (the in-process mock,
//! another fake, or the live API) against the contract of `docs/contract.md`, and reports where a target
//! drifts from the mock's assumed rules.
//!
//! A tour of the modules:
//! - [`client`]: the HTTP client with a request budget, a rate limit and `429 Retry-After`; requests print as
//!   curl commands with the key redacted.
//! - [`dataset`]: learning the target's data by listing it (windowed when it is larger than the budget).
//! - [`reference`]: the reference model, plain code over a `Vec` of calls.
//! - [`properties`]: the named properties; [`check`]: running one with a seeded, shrinking proptest runner.
//! - [`shape`]: the `CallResponse` shape on raw JSON; [`dates`]: date bounds as query strings carry them.
//! - [`suite`]: a whole run, the drift report, the text and JUnit output.
//! - [`responder`]: a contract-faithful wiremock responder and [`mount`], with deliberate [`Fault`]s.
//! - [`under_test`]: the [`ClientUnderTest`] trait a client is checked through, and its [`ClientError`] kinds.
//! - [`client_suite`]: the client properties, run against an in-process mock ([`run_client_properties`]).
//! - [`adapter`]: a client in any language behind a JSON Lines pipe ([`AdapterClient`]).
//!
//! Running the suite against a server from Rust:
//!
//! ```no_run
//! use openmic_contract::{SuiteConfig, Target, suite};
//!
//! let config = SuiteConfig::new(Target::new("http://127.0.0.1:8080", "test-key"));
//! let report = suite::run(&config, &mut std::io::stdout(), None)?;
//! assert_eq!(report.failed(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod adapter;
pub mod check;
pub mod client;
pub mod client_suite;
pub mod dataset;
pub mod dates;
pub mod properties;
pub mod reference;
pub mod responder;
pub mod shape;
pub mod suite;
pub mod under_test;

pub use adapter::AdapterClient;
pub use client::{Client, Limits, Target};
pub use client_suite::{ClientReport, ClientSuiteConfig, run_client_properties};
pub use responder::{Fault, OpenMicResponder, mount};
pub use suite::{Report, SuiteConfig};
pub use under_test::{CallsPage, ClientError, ClientUnderTest, ErrorKind, ListCallsParams};
