//! The polite HTTP client of the workspace, shared by the contract kit's live mode (`openmic-contract server`,
//! through its synchronous `HttpClient`) and `openmic-mock record`. Both talk to a server someone else runs and
//! may pay for, so both follow the same rules, and differ only in the values of a [`ClientPolicy`]:
//!
//! - a request budget: every attempt counts (429s and retries included), and a request past it is never sent;
//!   a temporary share of it ([`Client::set_share`]) and a separate cap on anything but `GET`
//!   ([`Client::set_write_share`]), since a `POST` may create a real phone call;
//! - a pace: at most N requests a minute, their starts spaced evenly;
//! - `429`: waited out for its `Retry-After` (else the v2 body's `retryAfter`, else 60 s), then asked again,
//!   a bounded number of times ([`On429`]);
//! - transient failures (a 5xx, a dropped connection, a timeout, a body the caller refuses): retried with
//!   backoff when the policy says so ([`Retries`]), returned as they are when it does not;
//! - for [`Client::fetch_within`], limits on what one answer may cost ([`AnswerLimits`]): a body read as it arrives up
//!   to a bound, a `Retry-After` waited out up to a cap; past either, an [`AnswerError`] at once;
//! - HTTPS behind the `tls` feature, rustls with the `ring` provider ([`install_crypto_provider`]).
//!
//! It depends on neither the mock nor the kit, so the kit's oracle stays independent of the mock.
//!
//! Modules, all private (their names are re-exported here):
//! - `request`: [`Target`], [`Request`] (with its `curl` line, key redacted), [`Response`];
//! - `policy`: [`ClientPolicy`], [`On429`], [`Retries`], [`AnswerLimits`] and the defaults;
//! - `client`: the async [`Client`] and its [`RequestEvent`]s;
//! - `error`: [`RequestError`], [`AnswerError`];
//! - `resolve`: [`Resolver`] (host names without the C library) and [`client_builder`], where every reqwest client
//!   of the workspace starts;
//! - `tls`: [`install_crypto_provider`].
//!
//! ```no_run
//! use openmic_http::{Client, ClientPolicy, Request, Target};
//!
//! # async fn example() -> Result<(), openmic_http::RequestError> {
//! let mut policy = ClientPolicy::new("my-tool/1.0");
//! policy.max_requests = 100;
//! policy.per_minute = Some(90);
//! let mut client = Client::new(Target::new("http://127.0.0.1:8080", "test-key"), policy)?;
//! let request = Request::get("/v1/calls", vec![("limit".into(), "10".into())]);
//! let response = client.send(&request, &mut |event| eprintln!("{event:?}")).await?;
//! println!("{} after {} requests", response.status, client.used());
//! # Ok(())
//! # }
//! ```

mod client;
mod error;
mod policy;
mod request;
mod resolve;
mod tls;

pub use client::{Client, RequestEvent};
pub use error::{AnswerError, RequestError};
pub use policy::{
    AnswerLimits, ClientPolicy, DEFAULT_RETRY_AFTER, DEFAULT_TIMEOUT, MAX_429_RETRIES, MAX_BACKOFF,
    On429, Retries, spacing,
};
pub use request::{Auth, Method, REDACTED_KEY, Request, RequestBody, Response, Target};
pub use resolve::{HOSTS_FILE, RESOLV_CONF, Resolver, client_builder};
pub use tls::{TLS, install_crypto_provider};
