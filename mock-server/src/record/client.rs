//! The recorder's side of the workspace's polite client (`openmic_http`, in `http-client/`): `record`'s options
//! and their defaults, its `--rate-limit` value ([`Pace`]), and its words for what stops a walk ([`FetchError`])
//! and for what the person waiting is told ([`ClientEvent`]).
//!
//! Its policy: one GET at a time under a request budget and a pace, `429 Retry-After` waited out five times in
//! a row, and a 5xx, a dropped connection or a cut body retried with backoff (what a long walk over a live API
//! meets). The contract kit's live mode uses the same client with its own policy.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use openmic_http::{Client, ClientPolicy, RequestError, RequestEvent, Retries, Target};

use crate::rate_limit::RateLimit;

pub use openmic_http::{DEFAULT_TIMEOUT, MAX_429_RETRIES, MAX_BACKOFF};

/// The request budget `record` uses unless told otherwise: 100,000 calls at 100 a page, with room for retries.
pub const DEFAULT_MAX_REQUESTS: u64 = 1_100;

/// The pace `record` keeps unless told otherwise, as the contract kit's live mode: under the 100 a minute per
/// organization that the vendor's v2 documents.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 90;

/// How many times a 5xx, a dropped connection or a cut body is retried by default before the walk stops.
pub const DEFAULT_RETRIES: u32 = 4;

/// The wait before the first retry of a 5xx or a dropped connection; it doubles with each retry, up to
/// [`MAX_BACKOFF`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);

/// How fast requests go out: `N/min` (spaced evenly), or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// At most this many requests a minute, one every `60 s / N`.
    PerMinute(RateLimit),
    /// As fast as the server answers (for a server on this machine).
    Unlimited,
}

impl Pace {
    /// The gap kept between the starts of two requests.
    pub fn interval(self) -> Duration {
        self.per_minute()
            .map_or(Duration::ZERO, openmic_http::spacing)
    }

    /// Requests a minute, or `None` for no pace.
    fn per_minute(self) -> Option<u32> {
        match self {
            Pace::PerMinute(limit) => Some(limit.requests_per_minute()),
            Pace::Unlimited => None,
        }
    }
}

impl Default for Pace {
    fn default() -> Self {
        RateLimit::per_minute(DEFAULT_REQUESTS_PER_MINUTE).map_or(Pace::Unlimited, Pace::PerMinute)
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::PerMinute(limit) => limit.fmt(f),
            Pace::Unlimited => f.write_str("off"),
        }
    }
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "off" {
            return Ok(Pace::Unlimited);
        }
        s.parse::<RateLimit>()
            .map(Pace::PerMinute)
            .map_err(|err| format!("{err}, or off"))
    }
}

/// Where to send requests and how much of the server to use.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL, such as `https://api.openmic.ai` or `http://127.0.0.1:8080`; a trailing slash is dropped.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>`; never printed.
    pub api_key: String,
    /// At most this many requests (retries and 429s included).
    pub max_requests: u64,
    /// How fast requests go out.
    pub pace: Pace,
    /// Retries of a 5xx, a dropped connection or a cut body before giving up.
    pub retries: u32,
    /// The wait before the first such retry; doubles each time, up to [`MAX_BACKOFF`].
    pub backoff: Duration,
    /// How long one request may take, connection to last byte; longer is a failure, retried as a dropped
    /// connection is.
    pub timeout: Duration,
}

impl ClientOptions {
    /// Options with the defaults of `openmic-mock record`.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        ClientOptions {
            base_url: base_url.into(),
            api_key: api_key.into(),
            max_requests: DEFAULT_MAX_REQUESTS,
            pace: Pace::default(),
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A client for these options. The base URL must parse with an `http` scheme (`https` needs the `tls`
    /// feature; without it the error names the command that builds it in).
    pub(crate) fn client(self) -> Result<Client, FetchError> {
        let max_requests = self.max_requests;
        let target = Target::new(self.base_url, self.api_key);
        target
            .check()
            .map_err(|err| FetchError::from_request(err, max_requests))?;
        let policy = ClientPolicy {
            max_requests: self.max_requests,
            per_minute: self.pace.per_minute(),
            timeout: self.timeout,
            // `on_429` is the default: MAX_429_RETRIES waits for `Retry-After`, and none after the last 429.
            retries: Some(Retries {
                retries: self.retries,
                backoff: self.backoff,
            }),
            ..ClientPolicy::new(concat!("openmic-mock-record/", env!("CARGO_PKG_VERSION")))
        };
        Client::new(target, policy).map_err(|err| FetchError::from_request(err, max_requests))
    }
}

/// Why a request gave no usable answer. Messages never include the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The base URL cannot be used.
    #[error("{0}")]
    BadBaseUrl(String),
    /// The request budget is spent.
    #[error("the request budget (--max-requests {max}) is spent")]
    BudgetSpent {
        /// The budget.
        max: u64,
    },
    /// A 4xx other than 429: asking again would get the same answer.
    #[error("the server refused the request: {status} {message}")]
    Refused {
        /// The status.
        status: u16,
        /// The body's `message` (or `error`, or the body itself, cut short).
        message: String,
    },
    /// 429 after 429.
    #[error("the server still answered 429 after {MAX_429_RETRIES} waits for Retry-After")]
    RateLimited,
    /// A 5xx, a dropped connection or a cut body, more times in a row than retries allow.
    #[error("{cause}, {attempts} times in a row")]
    Failing {
        /// What the last attempt got.
        cause: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl FetchError {
    /// `record`'s words for why the client stopped, under a budget of `max_requests`.
    pub(crate) fn from_request(err: RequestError, max_requests: u64) -> Self {
        match err {
            RequestError::BadBaseUrl(message) => FetchError::BadBaseUrl(message),
            RequestError::NeedsTls => FetchError::BadBaseUrl(
                "https needs the `tls` feature: install with `cargo install --path mock-server --features tls` \
                 (or run `cargo run --release -p openmic-mock --features tls -- record ...`)"
                    .into(),
            ),
            RequestError::Build(_) => FetchError::BadBaseUrl(err.to_string()),
            RequestError::BudgetSpent { max } => FetchError::BudgetSpent { max },
            // `record` sets no share and sends only GETs; were it to, a spent share would stop the walk as the
            // budget does.
            RequestError::ShareSpent | RequestError::WriteCapReached => FetchError::BudgetSpent {
                max: max_requests,
            },
            RequestError::Refused { status, message } => FetchError::Refused { status, message },
            RequestError::RateLimited { .. } => FetchError::RateLimited,
            RequestError::Failing { cause, attempts } => FetchError::Failing { cause, attempts },
            // `record`'s policy retries transport failures, so one comes back only as `Failing`.
            RequestError::Transport { cause, .. } => FetchError::Failing { cause, attempts: 1 },
        }
    }
}

/// Something worth telling the person waiting.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// A 429: waiting `wait` before asking again.
    RateLimited {
        /// How long.
        wait: Duration,
    },
    /// A 5xx, a dropped connection or a cut body: retrying after `wait`.
    Retrying {
        /// What went wrong.
        cause: String,
        /// Which retry this is (1-based).
        retry: u32,
        /// Retries allowed.
        of: u32,
        /// How long until it.
        wait: Duration,
    },
}

impl ClientEvent {
    /// What `record` tells of a client's event: its 429s and retries, not the waits of the pace it was asked for.
    pub(crate) fn shown(event: RequestEvent) -> Option<Self> {
        match event {
            RequestEvent::Pacing { .. } => None,
            RequestEvent::RateLimited { wait } => Some(ClientEvent::RateLimited { wait }),
            RequestEvent::Retrying {
                cause,
                retry,
                of,
                wait,
            } => Some(ClientEvent::Retrying {
                cause,
                retry,
                of,
                wait,
            }),
        }
    }
}

/// The page size of the walk: the largest the API allows.
pub const PAGE_LIMIT: u64 = 100;

/// Something for the progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordEvent {
    /// A page arrived.
    Page {
        /// Calls listed so far by this walk (each once).
        listed: u64,
        /// `pagination.total` of the last page, when the server gives it.
        total: Option<u64>,
        /// Requests sent so far.
        requests: u64,
    },
    /// The client waits or retries.
    Client(ClientEvent),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pace_is_n_per_minute_or_off() {
        assert_eq!("off".parse::<Pace>(), Ok(Pace::Unlimited));
        let pace: Pace = "120/min".parse().unwrap();
        assert_eq!(pace.interval(), Duration::from_millis(500));
        assert_eq!(pace.to_string(), "120/min");
        assert_eq!(Pace::default().to_string(), "90/min");
        assert_eq!(Pace::Unlimited.interval(), Duration::ZERO);
        let err = "fast".parse::<Pace>().unwrap_err();
        assert!(err.contains("N/min") && err.ends_with("or off"), "{err}");
        assert!("0/min".parse::<Pace>().is_err());
    }

    #[test]
    fn a_bad_base_url_is_refused_before_any_request_and_https_names_the_tls_build() {
        let refused = |url: &str| {
            ClientOptions::new(url, "k")
                .client()
                .unwrap_err()
                .to_string()
        };
        assert!(refused("not a url").contains("invalid base URL"));
        assert!(refused("ftp://example.com").contains("http or https"));
        if !openmic_http::TLS {
            assert!(refused("https://api.openmic.ai").contains("--features tls"));
            assert!(refused("HTTPS://api.openmic.ai").contains("--features tls"));
        }
        let client = ClientOptions::new("http://127.0.0.1:9/", "k")
            .client()
            .unwrap();
        assert_eq!(client.target().base_url, "http://127.0.0.1:9");
    }
}
