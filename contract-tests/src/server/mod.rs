//! The server suite: checks any List Calls server (the mock, another fake, the live API) over HTTP.
//!
//! - `suite.rs`: a whole run ([`run`]): list the data, run each property within its share of the budget,
//!   print each result, the drift report and the count line.
//! - `dataset.rs`: learning the target's data by listing it (windowed when it is larger than the budget).
//! - `properties.rs`: the named List Calls and Get Call properties, dispatched by the [`PROPERTIES`] table.
//! - `create.rs`: the create-phone-call properties, dispatched by the [`CREATE_PROPERTIES`] table, run after
//!   every other (they add calls), only with `--allow-create` on a target that is not this machine, and
//!   within `--max-creates`.
//! - `create_inputs.rs`: the generated create requests, valid ones and ones that break one rule.
//! - `account.rs`: the bots' and phone numbers' list and get properties, dispatched by the
//!   [`ACCOUNT_PROPERTIES`] table (the listing they compare with is taken after the calls').
//! - `writes.rs`: create, update and delete a bot, link and unlink, the 409 of a bot in use, a call that takes
//!   the linked agent: the [`WRITE_PROPERTIES`] table, run last and only with `--allow-writes`; each puts back
//!   what it changed. `bot_inputs.rs`: the bot bodies they send.
//! - `inputs.rs`: the generated inputs, plain choices interpreted against the listed data.
//! - `boundaries.rs`: the cases every pagination and date property runs first, on every run, where off-by-one
//!   bugs live.
//! - `context.rs`: what a property gets ([`Ctx`]: the budgeted client and the data).
//! - `responder/`: a second, independent server for wiremock ([`OpenMicResponder`], [`mount`]) with
//!   deliberate [`ResponderFault`]s, which the kit's own tests use to prove each property catches its bug.

// Private: the files are how the suite is built, not its API; what callers use is re-exported below.
mod account;
mod bot_inputs;
mod boundaries;
mod context;
mod create;
mod create_inputs;
mod dataset;
mod inputs;
mod properties;
mod responder;
mod suite;
mod writes;

pub use account::ACCOUNT_PROPERTIES;
pub use context::Ctx;
pub use create::{CREATE_NOT_ALLOWED, CREATE_PROPERTIES, create_refusal};
pub use properties::PROPERTIES;
pub use responder::{DEFAULT_KEY, OpenMicResponder, ResponderFault, mount};
pub use suite::{
    ASSUMED_RULES, DEFAULT_CASES, DEFAULT_MAX_CREATES_REMOTE, Report, ServerSuiteConfig, Suite,
    SuiteState, Verdict, junit, run,
};
pub use writes::{CALLING_WRITE_PROPERTIES, WRITE_PROPERTIES, WRITES_NOT_ALLOWED};
