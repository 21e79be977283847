//! A faithful local fake of the OpenMic.ai calls API: `GET /v1/calls`, `GET /v1/call/{id}` and
//! `POST /v1/create-phone-call`, with created calls that play out on a clock tests control.
//!
//! The contract it implements, rule by rule and marked documented or assumed, is `docs/contract.md`.
//!
//! The API, in the order a test meets it: [`MockServer`] (and its [`MockServerBuilder`]) starts a mock on a free
//! port and does everything the admin API can; [`app`] builds the [`Router`](axum::Router) for in-process tests;
//! [`run`] serves it on a listener with [`ServeOptions`]. What a test configures or reads back: the data
//! ([`DataSource`], [`CallStore`], [`DataSets`]), faults ([`Faults`], [`Fault`], [`ScriptedFault`], [`Delay`]),
//! the rate limit ([`RateLimit`]), the clock ([`ClockSpec`], [`Anchor`]), outcomes of created calls
//! ([`CallOutcome`]), webhooks ([`WebhookTargets`]), CORS ([`CorsOrigin`]) and the journal ([`ReceivedRequest`]).
//! [`record`] is the recorder behind `openmic-mock record`.
//!
//! The source, folder by folder (`ARCHITECTURE.md` walks a request through them):
//! - `api/`: the router and the layers every API answer passes (`routes.rs`), the handlers of List Calls and Get
//!   Call (`calls.rs`), `POST /v1/create-phone-call` (`create.rs`), the query string parsed in two stages
//!   (`query.rs`: [`ListCallsQuery`] -> [`ListCallsParams`]), and every error body (`error.rs`: [`ApiError`]).
//! - `data/`: the indexed store of loaded calls (`store.rs`), the live tier of created ones (`live.rs`), both
//!   merged page by page (`served.rs`), and the data sets, swapped atomically, with tenants' (`sets.rs` and
//!   beside it).
//! - `time/`: the real or virtual clock (`clock.rs`) and how a created call plays out on it (`lifecycle.rs`).
//! - `outbound/`: the webhooks the mock sends: where they go, how one is sent and journaled, when they fall due.
//! - `net/`: the accept loop with its limits, timeouts, `Host` policy and shutdown (`accept.rs`), and CORS.
//! - `admin/`: the admin API under `/__admin`, one file a resource, and its web page (`admin/ui/`).
//! - `faults/`, `journal.rs`, `rate_limit.rs`: what is injected, what is recorded, what is limited.
//! - `server.rs` ([`MockServer`]) and `state.rs` ([`AppState`], [`Config`]): the whole, and what handlers share.
//! - `text.rs`, `instant.rs`, `body.rs`, `messages.rs`: how values are shown in messages, instants parsed, JSON
//!   answered, and the texts of error bodies.
//! - `record/`: [`record`].
//!
//! Starting a mock in a test and listing calls:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! use axum::body::Body;
//! use axum::http::Request;
//!
//! let state = openmic_mock::MockServer::builder().generated(42, 10).build_state()?;
//! let response = openmic_mock::app(state)
//!     .oneshot(
//!         Request::get("/v1/calls?limit=5")
//!             .header("authorization", "Bearer test-key")
//!             .body(Body::empty())?,
//!     )
//!     .await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod body;
mod data;
mod faults;
mod instant;
mod journal;
mod messages;
mod net;
mod outbound;
mod rate_limit;
// The recorder is an API of its own (`openmic-mock record` and any program that records an account), with
// names (`Recorder`, `ClientOptions`, `Pace`...) that only make sense beside it.
pub mod record;
mod server;
mod state;
mod text;
mod time;

pub use admin::error::AdminError;
pub use admin::openapi::OPENAPI_JSON;
pub use admin::ui::UI_PATH;
pub use api::error::ApiError;
pub use api::pages::DEFAULT_PAGE_CACHE_BYTES;
pub use api::query::{ListCallsParams, ListCallsQuery};
pub use api::routes::{ResetConnection, app, with_api_layers};
pub use body::JSON_CONTENT_TYPE;
pub use data::account::LinkAnswer;
pub use data::book::{AccountBook, AccountError};
pub use data::create::CreateRequest;
pub use data::error::DataError;
pub use data::live::LiveTier;
pub use data::served::Served;
pub use data::sets::{
    DEFAULT_MAX_LIVE_CALLS, DEFAULT_MAX_LIVE_CALLS_TOTAL, DataSets, LifecycleConfig, LiveLimits,
};
pub use data::store::{CallStore, Page, Pagination, canonical_order};
pub use faults::{Delay, Fault, FaultInjector, Faults, ScriptedFault};
pub use journal::{
    DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CAPACITY, MAX_ANSWER_BODY_BYTES, ReceivedRequest,
};
pub use net::accept::{DEFAULT_MAX_CONNECTIONS, ServeOptions, run, serve_router};
pub use net::cors::CorsOrigin;
/// The call model, so a user of the builder needs no second import.
pub use openmic_fixtures::{
    Call, CallAnalysis, CallCost, CallLatency, CallStatus, CallType, Direction, TimestampMs,
    TranscriptEntry,
};
pub use outbound::deliveries::{DeliveryAttempt, DeliveryKind};
pub use outbound::dispatch::{SendError, spawn_dispatcher};
pub use outbound::targets::{DirectionFilter, WebhookTargets};
pub use rate_limit::RateLimit;
pub use server::{DataSource, MockServer, MockServerBuilder, StartError};
pub use state::{AdminAccess, AppState, Config, DEFAULT_API_KEY};
pub use time::clock::{Anchor, Clock, ClockError, ClockMode, ClockSpec, system_now_ms};
pub use time::lifecycle::CallOutcome;
