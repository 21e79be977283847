//! A faithful local fake of the OpenMic.ai calls API: `GET /v1/calls`, `GET /v1/call/{id}` and
//! `POST /v1/create-phone-call`, with created calls that play out on a clock tests control.
//!
//! The contract it implements, rule by rule and marked documented or assumed, is `docs/contract.md`.
//!
//! A tour of the modules:
//! - [`app`](mod@app): the router, authentication and handlers; [`app()`] builds a [`Router`](axum::Router) for
//!   in-process tests with `tower::ServiceExt::oneshot`.
//! - [`query`]: the query string, parsed in two stages ([`ListCallsQuery`] -> [`ListCallsParams`]).
//! - [`store`]: the calls in canonical order, pre-serialized; filtering and paging ([`CallStore`]).
//! - [`served`]: a data set in two tiers, loaded calls and created ones, merged page by page ([`Served`]);
//!   [`live`] holds the created ones.
//! - [`create`]: `POST /v1/create-phone-call`, its body read and checked.
//! - [`lifecycle`]: how a created call plays out on the clock, and the outcomes queue tests fill.
//! - [`clock`]: the real or virtual clock everything time-dependent reads, and `--anchor`.
//! - [`webhook`]: where webhooks go, how one is sent, the journal of attempts; [`dispatch`]: when they go out
//!   (post-call reports, pre-call attempts and retries) on the clock.
//! - [`error`]: every error answer and the vendor's JSON bodies ([`ApiError`]).
//! - [`journal`]: a bounded record of received requests ([`ReceivedRequest`]).
//! - [`accept`]: [`run`] on a listener: its own accept loop, so a fault can drop a connection, with connection
//!   limits, timeouts, the `Host` check and a shutdown deadline ([`ServeOptions`]).
//! - [`server`]: [`MockServer`] for tests, and where its calls come from ([`DataSource`]).
//! - [`admin`]: the admin API under `/__admin` (health, data, journal, faults, tenants).
//! - [`data`]: the data sets served, swapped atomically, and tenants' isolated ones ([`DataSets`]).
//! - [`faults`]: what to inject into API requests ([`Faults`], [`Fault`]) and the seeded decisions.
//! - [`rate_limit`]: the per-key token bucket behind `--rate-limit N/min` ([`RateLimit`]).
//! - [`record`]: `openmic-mock record`, a walk over another server's List Calls that becomes a fixture
//!   ([`Recorder`](record::Recorder)), and its HTTP client with budget, pace and retries.
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

pub mod accept;
pub mod admin;
pub mod app;
mod body;
pub mod clock;
pub mod cors;
pub mod create;
pub mod data;
pub mod dispatch;
pub mod error;
pub mod faults;
pub mod journal;
pub mod lifecycle;
pub mod live;
pub mod messages;
pub mod query;
pub mod rate_limit;
pub mod record;
pub mod served;
pub mod server;
pub mod state;
pub mod store;
pub mod webhook;

pub use accept::{ServeOptions, run, serve_router};
pub use admin::AdminError;
pub use app::{ResetConnection, app};
pub use body::JSON_CONTENT_TYPE;
pub use cors::CorsOrigin;
pub use data::{DataError, DataSets};
pub use error::ApiError;
pub use faults::{Fault, Faults, Latency, ScriptedFault};
pub use journal::ReceivedRequest;
/// The call model, so a user of the builder needs no second import.
pub use openmic_fixtures::{
    Call, CallAnalysis, CallCost, CallStatus, CallType, Direction, Latency as CallLatency,
    TimestampMs, TranscriptEntry,
};
pub use query::{ListCallsParams, ListCallsQuery};
pub use rate_limit::RateLimit;
pub use served::Served;
pub use server::{DataSource, MockServer, MockServerBuilder, StartError};
pub use state::{AdminAccess, AppState, Config, DEFAULT_API_KEY};
pub use store::{CallStore, Page, Pagination};
