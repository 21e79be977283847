//! Fault injection: added latency, random errors, and a script of faults for the next API requests, all
//! reproducible from a seed; server-wide, or for one API key (a tenant's) alone.
//!
//! A client's unhappy paths (a 429 with `Retry-After`, a 500 on page 3, a slow answer, a dropped connection)
//! are the ones worth testing and the hardest to provoke against a real API. [`Faults`] describes what to
//! inject; [`FaultInjector`] decides, request by request, what happens. Faults are typed and (de)serialize to
//! the JSON of `PUT /__admin/faults`, so the HTTP and Rust APIs say the same thing.
//!
//! - `model`: what can be injected ([`Delay`], [`Fault`], [`ScriptedFault`], [`Faults`]), its defaults and
//!   bounds.
//! - `wire`: their JSON form, read with messages that name the field, and written back.
//! - `injector`: deciding each request ([`FaultInjector`]): the `next` queue, the seeded draws, per-key faults.

mod injector;
mod model;
mod wire;

pub use injector::FaultInjector;
pub(crate) use model::DEFAULT_RETRY_AFTER_SECS;
pub use model::{Delay, Fault, Faults, ScriptedFault};
pub(crate) use wire::scripted_fault_from_json;
