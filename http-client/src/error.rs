//! Why a request gave no usable answer: [`RequestError`], whose variants name the rule that stopped it, and, for
//! [`crate::Client::fetch_within`], [`AnswerError`], which adds the answers past the [`crate::AnswerLimits`] it was
//! given. Each caller renders the rules in its own words (its flags, its install hint); the messages here are
//! plain and never include the API key.

use std::time::Duration;

/// Why a request gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The base URL does not parse, or its scheme is neither `http` nor `https` ([`crate::Target::check`]).
    #[error("{0}")]
    BadBaseUrl(String),
    /// An `https://` target in a build without the `tls` feature.
    #[error("https needs the `tls` feature")]
    NeedsTls,
    /// reqwest could not build its client.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// The whole request budget ([`crate::ClientPolicy::max_requests`]) is spent; nothing was sent.
    #[error("the request budget ({max} requests) is spent")]
    BudgetSpent {
        /// The budget.
        max: u64,
    },
    /// The share of the budget given to the current part of the run ([`crate::Client::set_share`]) is spent;
    /// nothing was sent.
    #[error("the share of the request budget is spent")]
    ShareSpent,
    /// A request other than `GET` past the write cap ([`crate::Client::set_write_share`]); nothing was sent.
    #[error("the cap on requests other than GET is reached")]
    WriteCapReached,
    /// The connection failed or timed out, and the policy retries no such failure ([`crate::ClientPolicy::retries`]
    /// is `None`).
    #[error("{summary}")]
    Transport {
        /// reqwest's own message, which names the request.
        summary: String,
        /// What went wrong, with its causes: `the connection failed: ...` or `no answer within 30s`.
        cause: String,
    },
    /// The server answered 429 more times in a row than [`crate::On429::retries`] allows.
    #[error("the server still answered 429 after {retries} waits for Retry-After")]
    RateLimited {
        /// The waits allowed.
        retries: u32,
    },
    /// [`crate::Client::fetch`] only: a status other than 200, 429 and a retried 5xx. Asking again would get the
    /// same answer.
    #[error("the server refused the request: {status} {message}")]
    Refused {
        /// The status.
        status: u16,
        /// The body's `message` (or `error`, or the body itself, cut short).
        message: String,
    },
    /// A transient failure (a 5xx, a dropped connection, a body the caller refused), more times in a row than
    /// [`crate::Retries::retries`] allows.
    #[error("{cause}, {attempts} times in a row")]
    Failing {
        /// What the last attempt got.
        cause: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// Why [`crate::Client::fetch_within`] gave no value: a rule of the client's policy, or an answer past the
/// [`crate::AnswerLimits`] it was given. Neither of the last two is asked again: the same server would answer the
/// same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// A rule of the policy stopped the request, as for [`crate::Client::send`].
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A body longer than [`crate::AnswerLimits::max_body_bytes`]: reading stopped there (or before the first
    /// byte, when the `Content-Length` said so), and the connection was dropped.
    #[error("the answer to {request} is larger than {limit} bytes")]
    BodyTooLarge {
        /// The request, as [`crate::Request::line`] gives it: its method, path and query.
        request: String,
        /// The answer's status.
        status: u16,
        /// The limit.
        limit: u64,
    },
    /// A 429, or a 5xx the policy retries, that asked for a wait (`Retry-After`, or the v2 body's
    /// `retryAfter`) longer than [`crate::AnswerLimits::max_retry_after`]. Nothing was waited.
    #[error(
        "the server answered {status} to {request} asking to wait {} s, longer than {} s",
        asked.as_secs(),
        cap.as_secs()
    )]
    RetryAfterTooLong {
        /// The request, as [`crate::Request::line`] gives it.
        request: String,
        /// The answer's status.
        status: u16,
        /// The wait asked for.
        asked: Duration,
        /// The limit.
        cap: Duration,
    },
}
