//! The recorder's HTTP client: one GET at a time, under a request budget and a client-side rate limit, waiting
//! out `429 Retry-After` and retrying a 5xx, a dropped connection or a cut body with backoff.
//!
//! The contract kit's client (`openmic_contract::http`) follows the same rules for budget, pace and 429s and
//! the same TLS story (rustls with the `ring` provider behind a `tls` feature). This one is async and also
//! retries what a long walk over a live API meets (a 502, a reset connection); it lives here because the mock
//! cannot depend on the kit.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::rate_limit::RateLimit;

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

/// The longest wait between retries of a 5xx or a dropped connection (a `Retry-After` is honoured as given).
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// How many 429s in a row are waited out before the walk stops, as in the contract kit.
pub const MAX_429_RETRIES: u32 = 5;

/// The wait after a 429 that says neither `Retry-After` nor `retryAfter`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long one request may take, connection to last byte, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Installs rustls's `ring` provider as the process default, when the `tls` feature is on (a no-op otherwise):
/// reqwest built with `rustls-no-provider` needs one before its first client.
pub fn install_crypto_provider() {
    // The error only says a provider is installed already.
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

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
        match self {
            Pace::PerMinute(limit) => Duration::from_secs(60) / limit.requests_per_minute(),
            Pace::Unlimited => Duration::ZERO,
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

/// One attempt's outcome.
enum Attempt {
    Answered {
        status: u16,
        retry_after: Option<u64>,
        body: Vec<u8>,
    },
    Transport(String),
}

/// A GET client with a budget, a pace and retries.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    options: ClientOptions,
    used: u64,
    last_sent: Option<Instant>,
    waited: Duration,
}

impl Client {
    /// A client for `options`. HTTPS needs the `tls` feature; without it an `https://` base URL is refused
    /// with the command that builds it in.
    pub fn new(options: ClientOptions) -> Result<Self, FetchError> {
        let base_url = options.base_url.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base_url).map_err(|err| {
            FetchError::BadBaseUrl(format!(
                "invalid base URL {base_url:?}: {err} (expected something like https://api.openmic.ai)"
            ))
        })?;
        match url.scheme() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return Err(FetchError::BadBaseUrl(
                    "https needs the `tls` feature: install with `cargo install --path mock-server --features tls` \
                     (or run `cargo run --release -p openmic-mock --features tls -- record ...`)"
                        .into(),
                ));
            }
            other => {
                return Err(FetchError::BadBaseUrl(format!(
                    "invalid base URL {base_url:?}: the scheme must be http or https, not {other}"
                )));
            }
        }
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("openmic-mock-record/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                FetchError::BadBaseUrl(format!("cannot build the HTTP client: {err}"))
            })?;
        Ok(Client {
            http,
            base_url,
            options,
            used: 0,
            last_sent: None,
            waited: Duration::ZERO,
        })
    }

    /// Requests sent so far (every attempt).
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Time spent waiting for the pace, `Retry-After` and backoff.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// GETs `path_and_query` until `accept` takes a 200's body, or a rule says stop. A 429 is waited out
    /// ([`MAX_429_RETRIES`] times in a row); a 5xx, a dropped connection or a body `accept` refuses is retried
    /// `retries` times with backoff; any other status stops at once. Every attempt counts against the budget.
    pub async fn get<T>(
        &mut self,
        path_and_query: &str,
        accept: impl Fn(&[u8]) -> Result<T, String>,
        on_event: &mut dyn FnMut(ClientEvent),
    ) -> Result<T, FetchError> {
        let url = format!("{}{path_and_query}", self.base_url);
        let mut failures = 0_u32;
        let mut limited = 0_u32;
        loop {
            if self.used >= self.options.max_requests {
                return Err(FetchError::BudgetSpent {
                    max: self.options.max_requests,
                });
            }
            self.pace().await;
            self.used += 1;
            self.last_sent = Some(Instant::now());
            let (cause, told_wait) = match self.attempt(&url).await {
                Attempt::Answered {
                    status: 200, body, ..
                } => match accept(&body) {
                    Ok(value) => return Ok(value),
                    Err(why) => (
                        format!("a 200 whose body is not a List Calls page ({why})"),
                        None,
                    ),
                },
                Attempt::Answered {
                    status: 429,
                    retry_after,
                    body,
                } => {
                    limited += 1;
                    if limited > MAX_429_RETRIES {
                        return Err(FetchError::RateLimited);
                    }
                    let wait = retry_after
                        .or_else(|| retry_after_in_body(&body))
                        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
                    on_event(ClientEvent::RateLimited { wait });
                    self.sleep(wait).await;
                    continue;
                }
                // A 5xx's own Retry-After, when it has one, replaces the backoff.
                Attempt::Answered {
                    status,
                    retry_after,
                    ..
                } if status >= 500 => (
                    format!("the server answered {status}"),
                    retry_after.map(Duration::from_secs),
                ),
                Attempt::Answered { status, body, .. } => {
                    return Err(FetchError::Refused {
                        status,
                        message: error_message(&body),
                    });
                }
                Attempt::Transport(why) => (why, None),
            };
            failures += 1;
            if failures > self.options.retries {
                return Err(FetchError::Failing {
                    cause,
                    attempts: failures,
                });
            }
            let wait = told_wait.unwrap_or_else(|| backoff(self.options.backoff, failures));
            on_event(ClientEvent::Retrying {
                cause,
                retry: failures,
                of: self.options.retries,
                wait,
            });
            self.sleep(wait).await;
        }
    }

    async fn attempt(&self, url: &str) -> Attempt {
        let response = match self
            .http
            .get(url)
            .bearer_auth(&self.options.api_key)
            .send()
            .await
        {
            Ok(response) => response,
            Err(err) => return Attempt::Transport(transport_cause(&err, self.options.timeout)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match response.bytes().await {
            Ok(body) => Attempt::Answered {
                status,
                retry_after,
                body: body.to_vec(),
            },
            Err(err) => Attempt::Transport(transport_cause(&err, self.options.timeout)),
        }
    }

    /// Waits until the pace allows the next request.
    async fn pace(&mut self) {
        let Some(last) = self.last_sent else {
            return;
        };
        // Zero once the gap has passed already.
        let wait = (last + self.options.pace.interval()).saturating_duration_since(Instant::now());
        self.sleep(wait).await;
    }

    async fn sleep(&mut self, duration: Duration) {
        self.waited += duration;
        tokio::time::sleep(duration).await;
    }
}

/// The backoff before retry number `retry` (1-based): `first`, doubled for each retry before it, at most
/// [`MAX_BACKOFF`].
fn backoff(first: Duration, retry: u32) -> Duration {
    let factor = 1_u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(MAX_BACKOFF)
}

/// The v2 429 body's `retryAfter`, in seconds.
fn retry_after_in_body(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["retryAfter"].as_u64())
}

/// The most useful text of an error body: its `message`, else its `error`, else the body (cut to 200 bytes).
fn error_message(body: &[u8]) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| v[name].as_str())
            .map(str::to_string)
    };
    field("message")
        .or_else(|| field("error"))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.chars().take(200).collect();
            if cut.len() < text.len() {
                format!("{cut}...")
            } else {
                cut
            }
        })
}

/// A transport error with its causes (reqwest's own message names only the request).
fn transport_cause(err: &reqwest::Error, timeout: Duration) -> String {
    let mut cause = if err.is_timeout() {
        format!("no answer within {timeout:?}")
    } else {
        "the connection failed".to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        cause.push_str(": ");
        cause.push_str(&inner.to_string());
        source = inner.source();
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_wait_up_to_the_cap() {
        let first = Duration::from_millis(500);
        assert_eq!(backoff(first, 1), Duration::from_millis(500));
        assert_eq!(backoff(first, 2), Duration::from_secs(1));
        assert_eq!(backoff(first, 3), Duration::from_secs(2));
        assert_eq!(backoff(first, 5), MAX_BACKOFF);
        assert_eq!(backoff(first, 40), MAX_BACKOFF);
        assert_eq!(
            backoff(Duration::from_millis(1), 3),
            Duration::from_millis(4)
        );
    }

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
    fn an_error_body_gives_its_message_or_error_or_its_text() {
        assert_eq!(
            error_message(
                br#"{"error":"Invalid query parameters provided.","message":"limit must be..."}"#
            ),
            "limit must be..."
        );
        assert_eq!(
            error_message(br#"{"error":"Unauthorized"}"#),
            "Unauthorized"
        );
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
        let long = "x".repeat(300);
        assert_eq!(
            error_message(long.as_bytes()),
            format!("{}...", "x".repeat(200))
        );
        assert_eq!(retry_after_in_body(br#"{"retryAfter":7}"#), Some(7));
        assert_eq!(retry_after_in_body(b"{}"), None);
    }

    #[test]
    fn base_urls_must_be_http_and_https_needs_the_tls_feature() {
        let refused = |url: &str| {
            Client::new(ClientOptions::new(url, "k"))
                .unwrap_err()
                .to_string()
        };
        assert!(
            refused("not a url").contains("invalid base URL"),
            "{}",
            refused("not a url")
        );
        assert!(refused("ftp://example.com").contains("http or https"));
        if !cfg!(feature = "tls") {
            assert!(refused("https://api.openmic.ai").contains("--features tls"));
        }
        let client = Client::new(ClientOptions::new("http://127.0.0.1:9/", "k")).unwrap();
        assert_eq!(client.base_url, "http://127.0.0.1:9");
    }
}
