//! The webhook suite: checks a team's **receiver** of the vendor's webhooks (the post-call
//! `end-of-call-report`, the pre-call request) by sending it generated payloads of the documented shapes,
//! exactly as the vendor sends them, to the one URL given.
//!
//! - `suite.rs`: a whole check ([`run_webhook_properties`]), its [`WebhookSuiteConfig`] and [`WebhookReport`].
//! - `properties.rs`: the named checks, dispatched by the [`WEBHOOK_PROPERTIES`] table.
//! - `payloads.rs`: the generated reports and pre-call requests, as choices that shrink to plain ones.
//! - `sender.rs`: the delivery itself (headers, no redirects, timeouts, a bounded reply) and its curl replay.
//! - `context.rs`: what a property gets ([`WebhookCtx`]) and how a reply becomes a passed or failed case.
//!
//! It imports only the layers below it (`contract` for the calendar, `http` for the TLS provider, `runner`,
//! `report`) and the payload types of `openmic_fixtures` ([`EndOfCallReport`](openmic_fixtures::EndOfCallReport),
//! [`PreCallRequest`](openmic_fixtures::PreCallRequest), [`PreCallReply`](openmic_fixtures::PreCallReply)), never
//! the mock.

// Private: the files are how the suite is built, not its API; what callers use is re-exported below.
mod context;
mod payloads;
mod properties;
mod sender;
mod suite;

pub use context::WebhookCtx;
pub use properties::{WEBHOOK_PROPERTIES, WebhookKind, WebhookProperty};
pub use sender::{Delivery, DeliveryError, MAX_REPLY_BYTES, WebhookSender};
pub use suite::{
    VENDOR_POST_CALL_TIMEOUT, VENDOR_PRE_CALL_TIMEOUT, WEBHOOK_ASSUMED_RULES, WebhookError,
    WebhookPropertyResult, WebhookReport, WebhookSuiteConfig, run_webhook_properties,
};
