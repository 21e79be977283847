//! How polite a [`crate::Client`] is: its budget, its pace, what it does with a 429 and with a transient
//! failure, its timeout. The kit's live mode and `record` differ only in these values, never in code.

use std::time::Duration;

/// How long one request may take, connection to last byte, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many 429s in a row are waited out by default before the client gives up.
pub const MAX_429_RETRIES: u32 = 5;

/// The wait after a 429 that says neither `Retry-After` nor `retryAfter`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The longest wait between retries of a transient failure (a `Retry-After` is honoured as given).
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// What a client may use of its target and how it meets trouble.
#[derive(Debug, Clone)]
pub struct ClientPolicy {
    /// At most this many requests in all, every attempt counted (429s and retries included); `u64::MAX` for no
    /// budget.
    pub max_requests: u64,
    /// At most this many requests a minute, their starts spaced evenly ([`spacing`]); `None` or 0 for no pace.
    pub per_minute: Option<u32>,
    /// How long one request may take, connection to last byte.
    pub timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: &'static str,
    /// What a 429 gets.
    pub on_429: On429,
    /// Whether transient failures are retried, and how; `None`: a dropped connection is a
    /// [`crate::RequestError::Transport`] at once and a 5xx an answer like any other.
    pub retries: Option<Retries>,
}

impl ClientPolicy {
    /// No budget, no pace, a 30 s timeout, 429s waited out [`MAX_429_RETRIES`] times, nothing else retried.
    pub fn new(user_agent: &'static str) -> Self {
        ClientPolicy {
            max_requests: u64::MAX,
            per_minute: None,
            timeout: DEFAULT_TIMEOUT,
            user_agent,
            on_429: On429::default(),
            retries: None,
        }
    }

    /// The gap kept between the starts of two requests: [`spacing`] of the pace, zero without one.
    pub fn gap(&self) -> Duration {
        self.per_minute.map_or(Duration::ZERO, spacing)
    }
}

/// The gap between the starts of two requests at `per_minute` requests a minute: 60 s / N (zero for 0, no pace).
pub fn spacing(per_minute: u32) -> Duration {
    Duration::from_secs(60)
        .checked_div(per_minute)
        .unwrap_or(Duration::ZERO)
}

/// What a 429 gets: a wait for its `Retry-After` (else the v2 body's `retryAfter`, else
/// [`DEFAULT_RETRY_AFTER`]), then the same request again, each attempt counted against the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct On429 {
    /// Waits in a row before giving up with [`crate::RequestError::RateLimited`]: `retries + 1` attempts at most.
    pub retries: u32,
    /// Whether the 429 that ends the attempts is waited out too before giving up (the contract kit's way, so
    /// that whatever runs next starts after the server's window), or the client gives up at once (`record`'s).
    pub wait_after_last: bool,
}

impl Default for On429 {
    /// [`MAX_429_RETRIES`] waits, and none after the last 429.
    fn default() -> Self {
        On429 {
            retries: MAX_429_RETRIES,
            wait_after_last: false,
        }
    }
}

/// What [`crate::Client::fetch_within`] takes of one answer from a server it does not trust: how much of a body it
/// reads, and how long a `Retry-After` it waits out. Past either it gives up at once with an
/// [`crate::AnswerError`], since asking again would get the same answer. [`crate::Client::send`] and
/// [`crate::Client::fetch`] take no limits: the contract kit's checks see each answer whole, as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerLimits {
    /// The most bytes of one body read, whatever its status; read as it arrives, so a body that never ends
    /// costs this much and no more. A `Content-Length` above it is refused before the first byte.
    pub max_body_bytes: u64,
    /// The longest wait asked for by a 429 (`Retry-After`, else the v2 body's `retryAfter`), or by a retried
    /// 5xx's `Retry-After`, that is waited out. A 429 that asks nothing waits [`DEFAULT_RETRY_AFTER`], or this
    /// when it is shorter.
    pub max_retry_after: Duration,
}

impl AnswerLimits {
    /// No limit: bodies read whole, every wait waited out.
    pub const NONE: AnswerLimits = AnswerLimits {
        max_body_bytes: u64::MAX,
        max_retry_after: Duration::MAX,
    };
}

/// Retries of a transient failure: a 5xx, a dropped connection or a timeout, or a body the caller refused
/// ([`crate::Client::fetch`]). The failures of one request are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Retries before giving up with [`crate::RequestError::Failing`].
    pub retries: u32,
    /// The wait before the first retry; it doubles with each retry, up to [`MAX_BACKOFF`]. A 5xx's own
    /// `Retry-After` replaces it.
    pub backoff: Duration,
}

/// The backoff before retry number `retry` (1-based): `first`, doubled for each retry before it, at most
/// [`MAX_BACKOFF`].
pub(crate) fn backoff(first: Duration, retry: u32) -> Duration {
    let factor = 1_u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(MAX_BACKOFF)
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
    fn a_pace_of_n_a_minute_spaces_starts_by_a_minute_over_n_and_0_is_none() {
        assert_eq!(spacing(120), Duration::from_millis(500));
        assert_eq!(spacing(90), Duration::from_secs(60) / 90);
        assert_eq!(spacing(0), Duration::ZERO);
        let mut policy = ClientPolicy::new("t");
        assert_eq!(policy.gap(), Duration::ZERO);
        policy.per_minute = Some(600);
        assert_eq!(policy.gap(), Duration::from_millis(100));
        policy.per_minute = Some(0);
        assert_eq!(policy.gap(), Duration::ZERO);
    }
}
