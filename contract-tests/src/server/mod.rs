//! The server suite: checks any List Calls server (the mock, another fake, the live API) over HTTP.
//!
//! - [`suite`]: a whole run ([`suite::run`]): list the data, run each property within its share of the budget,
//!   print each result, the drift report and the count line.
//! - [`dataset`]: learning the target's data by listing it (windowed when it is larger than the budget).
//! - [`properties`]: the named List Calls and Get Call properties, dispatched by the [`PROPERTIES`] table.
//! - [`create`]: the create-phone-call properties, dispatched by the [`CREATE_PROPERTIES`] table, run after
//!   every other (they add calls), only with `--allow-create` on a target that is not this machine, and
//!   within `--max-creates`.
//! - [`create_inputs`]: the generated create requests, valid ones and ones that break one rule.
//! - [`inputs`]: the generated inputs, plain choices interpreted against the listed data.
//! - [`boundaries`]: the cases every pagination and date property runs first, on every run, where off-by-one
//!   bugs live.
//! - [`context`]: what a property gets ([`Ctx`]: the budgeted client and the data).
//! - [`responder`]: a second, independent server for wiremock ([`OpenMicResponder`], [`mount`]) with
//!   deliberate [`ResponderFault`]s, which the kit's own tests use to prove each property catches its bug.

pub mod boundaries;
pub mod context;
pub mod create;
pub mod create_inputs;
pub mod dataset;
pub mod inputs;
pub mod properties;
pub mod responder;
pub mod suite;

pub use context::Ctx;
pub use create::CREATE_PROPERTIES;
pub use properties::PROPERTIES;
pub use responder::{OpenMicResponder, ResponderFault, mount};
pub use suite::{Report, ServerSuiteConfig};
