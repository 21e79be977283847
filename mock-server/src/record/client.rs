//! The recorder's side of the workspace's polite client (`openmic_http`, in `http-client/`): `record`'s options
//! and their defaults, its `--rate-limit` value ([`Pace`]), the client a walk fetches pages with
//! ([`RecordClient`]), its words for how a walk ends ([`Ending`]: [`FetchError`], [`Inconsistency`], and the
//! [`Totals`] of a list's pages that the last one checks) and for what the person waiting is told
//! ([`ClientEvent`]).
//!
//! Its policy: one GET at a time under a request budget and a pace, `429 Retry-After` waited out five times in
//! a row, and a 5xx, a dropped connection or a cut body retried with backoff (what a long walk over a live API
//! meets). The server is not trusted further than that: a body is read up to `--max-body-bytes` and no more, a
//! `Retry-After` longer than `--max-retry-after` stops the walk rather than hold it for days, and the pages must
//! add up ([`Inconsistency`]). The contract kit's live mode uses the same client with its own policy.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use openmic_http::{
    AnswerError, AnswerLimits, Client, ClientPolicy, Request, RequestError, RequestEvent, Retries,
    Target,
};

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

/// The most bytes of one answer's body `record` reads unless told otherwise: a page of 100 calls of 640 KiB
/// each, where a call of the mock's generator is 1 to 2 KiB and a long conversation's transcript a few tens.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 << 20;

/// The longest `Retry-After` `record` waits out unless told otherwise: twice the window of the vendor's
/// documented limit (100 requests a minute per organization), whose 429s ask for a minute at most.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

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
    /// The most bytes of one answer's body read; past it the walk stops ([`FetchError::BodyTooLarge`]).
    pub max_body_bytes: u64,
    /// The longest `Retry-After` waited out; a longer one stops the walk ([`FetchError::RetryAfterTooLong`]).
    pub max_retry_after: Duration,
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
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }

    /// A client for these options. The base URL must parse with an `http` scheme (`https` needs the `tls`
    /// feature; without it the error names the command that builds it in).
    pub(crate) fn client(self) -> Result<RecordClient, FetchError> {
        let max_requests = self.max_requests;
        let limits = AnswerLimits {
            max_body_bytes: self.max_body_bytes,
            max_retry_after: self.max_retry_after,
        };
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
        let client = Client::new(target, policy)
            .map_err(|err| FetchError::from_request(err, max_requests))?;
        Ok(RecordClient { client, limits })
    }
}

/// The client of one walk: the workspace's client with `record`'s policy and answer limits, speaking `record`'s
/// words ([`FetchError`], [`RecordEvent`]).
#[derive(Debug)]
pub(crate) struct RecordClient {
    client: Client,
    limits: AnswerLimits,
}

impl RecordClient {
    /// Fetches a page that `parse` reads, within the walk's limits (see [`Client::fetch_within`]), telling `on_event` of 429s and retries.
    pub(crate) async fn fetch<T>(
        &mut self,
        request: &Request,
        parse: impl Fn(&[u8]) -> Result<T, String>,
        on_event: &mut dyn FnMut(RecordEvent),
    ) -> Result<T, FetchError> {
        let max_requests = self.client.policy().max_requests;
        self.client
            .fetch_within(request, self.limits, parse, &mut |event| {
                if let Some(event) = ClientEvent::shown(event) {
                    on_event(RecordEvent::Client(event));
                }
            })
            .await
            .map_err(|err| FetchError::from_answer(err, max_requests))
    }

    /// Requests sent so far, every attempt counted.
    pub(crate) fn used(&self) -> u64 {
        self.client.used()
    }

    /// Time spent waiting for the pace, `Retry-After` and backoff.
    pub(crate) fn waited(&self) -> Duration {
        self.client.waited()
    }

    /// The server.
    #[cfg(test)]
    fn target(&self) -> &Target {
        self.client.target()
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
    /// An answer's body past `--max-body-bytes`: not read further, and not asked again (it would be as large).
    #[error("the answer to {request} is larger than --max-body-bytes ({limit} bytes)")]
    BodyTooLarge {
        /// The request, with the page's `offset` and `limit`: `GET /v1/calls?limit=100&offset=200`.
        request: String,
        /// The limit.
        limit: u64,
    },
    /// A 429 (or a 5xx) that asked for a longer wait than `--max-retry-after`: not waited.
    #[error(
        "the server answered {status} to {request} asking to wait {asked} s ({}Retry-After), more than \
         --max-retry-after ({cap} s)",
        about(*asked).map_or(String::new(), |about| format!("{about}, "))
    )]
    RetryAfterTooLong {
        /// The request, with the page's `offset` and `limit`.
        request: String,
        /// The answer's status.
        status: u16,
        /// The wait asked for, in seconds.
        asked: u64,
        /// `--max-retry-after`, in seconds.
        cap: u64,
    },
}

/// A long wait in words: `about 11.6 days`; nothing under a minute.
fn about(secs: u64) -> Option<String> {
    let secs_f = secs as f64;
    [(86_400.0, "days"), (3_600.0, "hours"), (60.0, "minutes")]
        .into_iter()
        .find(|(unit, _)| secs_f >= *unit)
        .map(|(unit, name)| format!("about {:.1} {name}", secs_f / unit))
}

impl FetchError {
    /// What to change before going on, when the stop is one a plain `--resume` would meet again.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            FetchError::BodyTooLarge { .. } => {
                Some("if the server's pages are really this large, raise --max-body-bytes")
            }
            FetchError::RetryAfterTooLong { .. } => {
                Some("record does not wait that long (raise --max-retry-after to let it)")
            }
            FetchError::BadBaseUrl(_)
            | FetchError::BudgetSpent { .. }
            | FetchError::Refused { .. }
            | FetchError::RateLimited
            | FetchError::Failing { .. } => None,
        }
    }

    /// When to go on: `once the wait is over` after a `Retry-After` past the cap, else `to go on`.
    pub fn when_to_go_on(&self) -> &'static str {
        match self {
            FetchError::RetryAfterTooLong { .. } => "once the wait is over",
            FetchError::BadBaseUrl(_)
            | FetchError::BudgetSpent { .. }
            | FetchError::Refused { .. }
            | FetchError::RateLimited
            | FetchError::Failing { .. }
            | FetchError::BodyTooLarge { .. } => "to go on",
        }
    }

    /// `record`'s words for why the client stopped fetching a page, under a budget of `max_requests`.
    pub(crate) fn from_answer(err: AnswerError, max_requests: u64) -> Self {
        match err {
            AnswerError::Request(err) => FetchError::from_request(err, max_requests),
            AnswerError::BodyTooLarge { request, limit, .. } => {
                FetchError::BodyTooLarge { request, limit }
            }
            AnswerError::RetryAfterTooLong {
                request,
                status,
                asked,
                cap,
            } => FetchError::RetryAfterTooLong {
                request,
                status,
                asked: asked.as_secs(),
                cap: cap.as_secs(),
            },
        }
    }

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

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The server said there was nothing more, and what was listed adds up.
    Complete,
    /// A rule stopped it before the end (budget, errors, an answer past a bound); what was listed is kept.
    Stopped(FetchError),
    /// The pages do not add up; what was listed is kept.
    Inconsistent(Inconsistency),
}

/// The `pagination.total`s of one list's pages, and how they moved between pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) first: Option<u64>,
    pub(crate) last: Option<u64>,
    /// What the total grew by between pages, in all.
    pub(crate) grown: u64,
    /// What it shrank by, in all.
    pub(crate) shrunk: u64,
}

/// How the total moved since the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moved {
    pub(crate) before: Option<u64>,
    pub(crate) shrank: u64,
}

impl Totals {
    /// Takes a page's total (`None`, when it gives none, changes nothing) and says how it moved.
    pub(crate) fn page(&mut self, total: Option<u64>) -> Moved {
        let before = self.last;
        let (grew, shrank) = match (before, total) {
            (Some(before), Some(now)) => (now.saturating_sub(before), before.saturating_sub(now)),
            _ => (0, 0),
        };
        self.grown += grew;
        self.shrunk += shrank;
        self.first = self.first.or(total);
        self.last = total.or(before);
        Moved { before, shrank }
    }

    /// The check at the end of a walk that listed `listed` distinct `noun`: `None` when it holds, or when the
    /// server gave no total to check against.
    pub(crate) fn miscount(&self, noun: &'static str, listed: u64) -> Option<Inconsistency> {
        let (first_total, total) = (self.first?, self.last?);
        let miscount = Miscount {
            noun,
            listed,
            first_total,
            total,
            grown: self.grown,
            shrunk: self.shrunk,
        };
        (!miscount.holds()).then_some(Inconsistency::Miscount(miscount))
    }
}

/// Why a walk that reached its end is not complete: its pages do not add up. What was listed is kept, but a
/// recording that says "complete" must hold every record the server's totals promise, once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    /// A page with nothing on it that says there is more: asking on would loop, and stopping would not be the
    /// end.
    #[error(
        "the page of {path} at offset {offset} is empty but says has_more: true{}",
        total.map_or(String::new(), |total| format!(" (pagination.total {total})"))
    )]
    EmptyPageWithMore {
        /// The list walked, `/v1/calls`.
        path: &'static str,
        /// Where the page starts.
        offset: u64,
        /// Its `pagination.total`, if any.
        total: Option<u64>,
    },
    /// A page of records all listed before, with no growth of `pagination.total` to explain it (new records
    /// push older ones onto later pages): the server ignores `offset`.
    #[error(
        "the page of {path} at offset {offset} lists only {noun} listed before ({count} of them) and \
         pagination.total did not grow to explain it: the server seems to ignore offset"
    )]
    RepeatedPage {
        /// The list walked.
        path: &'static str,
        /// The records' name: `calls`.
        noun: &'static str,
        /// Where the page starts.
        offset: u64,
        /// Records on it.
        count: u64,
    },
    /// At the end, the distinct records listed are more or fewer than `pagination.total` says, beyond what the
    /// changes of the total between pages explain.
    #[error("{0}")]
    Miscount(Miscount),
    /// `pagination.total` of an account list changed between its pages: records added or deleted meanwhile may
    /// be missing, since these lists are not read back as calls are.
    #[error(
        "pagination.total of {path} changed from {from} to {to} during its walk: {noun} added or deleted \
         meanwhile may be missing (the account's lists are not read back as calls are)"
    )]
    Changed {
        /// The list walked.
        path: &'static str,
        /// The records' name.
        noun: &'static str,
        /// The total before.
        from: u64,
        /// The total after.
        to: u64,
    },
}

/// The distinct records a walk listed, against what its pages' `pagination.total`s explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miscount {
    /// The records' name: `calls`.
    pub noun: &'static str,
    /// Distinct records listed by this walk.
    pub listed: u64,
    /// `pagination.total` of the first page.
    pub first_total: u64,
    /// `pagination.total` of the last page.
    pub total: u64,
    /// What the total grew by between pages, in all.
    pub grown: u64,
    /// What it shrank by, in all.
    pub shrunk: u64,
}

impl Miscount {
    /// The distinct records a walk may have listed, least and most: every record of the last total, but for
    /// those added meanwhile before the walk's place (never listed), and with those deleted meanwhile after
    /// being listed (kept).
    pub fn expected(&self) -> (u64, u64) {
        (
            self.total.saturating_sub(self.grown),
            self.total.saturating_add(self.shrunk),
        )
    }

    /// Whether the count is within what the totals explain.
    pub fn holds(&self) -> bool {
        let (low, high) = self.expected();
        (low..=high).contains(&self.listed)
    }
}

impl fmt::Display for Miscount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Miscount {
            noun,
            listed,
            first_total,
            total,
            grown,
            shrunk,
        } = *self;
        let (low, high) = self.expected();
        let how = if listed < low {
            "the pages skipped some"
        } else {
            "the pages listed more than that"
        };
        if low == high {
            write!(
                f,
                "pagination.total says {total} {noun}, but {listed} distinct {noun} were listed: {how}"
            )
        } else {
            write!(
                f,
                "{listed} distinct {noun} were listed, but pagination.total went from {first_total} to {total} \
                 during the walk (up by {grown} and down by {shrunk} between pages), which explains {low} to \
                 {high}: {how}"
            )
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
    fn a_long_wait_is_told_in_the_largest_unit_it_reaches() {
        assert_eq!(about(59), None);
        assert_eq!(about(60).as_deref(), Some("about 1.0 minutes"));
        assert_eq!(about(3_599).as_deref(), Some("about 60.0 minutes"));
        assert_eq!(about(3_600).as_deref(), Some("about 1.0 hours"));
        assert_eq!(about(86_399).as_deref(), Some("about 24.0 hours"));
        assert_eq!(about(1_000_000).as_deref(), Some("about 11.6 days"));
    }

    #[test]
    fn only_an_answer_past_a_bound_asks_for_a_change_before_going_on() {
        let body = FetchError::BodyTooLarge {
            request: "GET /v1/bots?limit=100&offset=0".into(),
            limit: 5,
        };
        assert_eq!(
            body.to_string(),
            "the answer to GET /v1/bots?limit=100&offset=0 is larger than --max-body-bytes (5 bytes)"
        );
        assert!(body.advice().unwrap().contains("--max-body-bytes"));
        assert_eq!(body.when_to_go_on(), "to go on");
        let wait = FetchError::RetryAfterTooLong {
            request: "GET /v1/calls".into(),
            status: 503,
            asked: 7_200,
            cap: 120,
        };
        assert!(wait.advice().unwrap().contains("--max-retry-after"));
        assert_eq!(wait.when_to_go_on(), "once the wait is over");
        for other in [
            FetchError::BudgetSpent { max: 1 },
            FetchError::RateLimited,
            FetchError::BadBaseUrl("x".into()),
        ] {
            assert_eq!((other.advice(), other.when_to_go_on()), (None, "to go on"));
        }
    }

    #[test]
    fn record_s_limits_reach_the_client_and_its_answers_are_in_record_s_words() {
        let mut options = ClientOptions::new("http://127.0.0.1:9", "k");
        assert_eq!(
            (options.max_body_bytes, options.max_retry_after),
            (64 << 20, Duration::from_secs(120))
        );
        options.max_body_bytes = 7;
        options.max_retry_after = Duration::from_secs(3);
        let client = options.client().unwrap();
        assert_eq!(
            client.limits,
            AnswerLimits {
                max_body_bytes: 7,
                max_retry_after: Duration::from_secs(3)
            }
        );
        assert_eq!(
            FetchError::from_answer(
                AnswerError::RetryAfterTooLong {
                    request: "GET /v1/calls".into(),
                    status: 429,
                    asked: Duration::from_millis(5_900),
                    cap: Duration::from_secs(3),
                },
                10
            ),
            FetchError::RetryAfterTooLong {
                request: "GET /v1/calls".into(),
                status: 429,
                asked: 5,
                cap: 3
            }
        );
        assert_eq!(
            FetchError::from_answer(AnswerError::Request(RequestError::ShareSpent), 10),
            FetchError::BudgetSpent { max: 10 }
        );
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
