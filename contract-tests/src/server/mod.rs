//! The server suite: checks any List Calls server (the mock, another fake, the live API) over HTTP.
//!
//! - [`suite`]: a whole run ([`suite::run`]): list the data, run each property within its share of the budget,
//!   print each result, the drift report and the count line.
//! - [`dataset`]: learning the target's data by listing it (windowed when it is larger than the budget).
//! - [`properties`]: the named properties, dispatched by the [`PROPERTIES`] table.
//! - [`inputs`]: the generated inputs, plain choices interpreted against the listed data.
//! - [`boundaries`]: the cases every pagination and date property runs first, on every run, where off-by-one
//!   bugs live.
//! - [`context`]: what a property gets ([`Ctx`]: the budgeted client and the data).
//! - [`responder`]: a second, independent server for wiremock ([`OpenMicResponder`], [`mount`]) with
//!   deliberate [`ResponderFault`]s, which the kit's own tests use to prove each property catches its bug.

pub mod boundaries;
pub mod context;
pub mod dataset;
pub mod inputs;
pub mod properties;
pub mod responder;
pub mod suite;

pub use context::Ctx;
pub use properties::PROPERTIES;
pub use responder::{OpenMicResponder, ResponderFault, mount};
pub use suite::{Report, SuiteConfig};
