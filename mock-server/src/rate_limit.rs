//! Rate limiting per API key, as a token bucket, answered with the vendor's v2 429 body and `Retry-After`.
//!
//! Off by default: the vendor's v1 documents no limit. `100/min` mirrors the limit its v2 documents, so a
//! client can be tested against the 429 it will meet in production, `Retry-After` included.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;

/// A limit of `N` requests per minute per API key (`--rate-limit N/min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    per_minute: NonZeroU32,
}

impl RateLimit {
    /// `n` requests per minute; `None` for 0, which would refuse everything.
    pub fn per_minute(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(|per_minute| RateLimit { per_minute })
    }

    /// How many requests a key may make per minute (also the burst a full bucket allows).
    pub fn requests_per_minute(&self) -> u32 {
        self.per_minute.get()
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/min", self.per_minute)
    }
}

/// Why a `--rate-limit` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected N/min with N a whole number of at least 1, such as 100/min; got {0:?}")]
pub struct ParseRateLimitError(String);

impl FromStr for RateLimit {
    type Err = ParseRateLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseRateLimitError(s.to_string());
        let count = s.trim().strip_suffix("/min").ok_or_else(error)?;
        if !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        count
            .parse::<u32>()
            .ok()
            .and_then(RateLimit::per_minute)
            .ok_or_else(error)
    }
}

/// A bucket per API key: it holds up to `N` tokens, refills at `N` per minute, and each request takes one.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    // Keyed by API key; only valid keys get here, so its size is bounded by the configured keys and tenants.
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// A bucket in exact integer units: a token is [`TOKEN`] units, and `N` units come back per millisecond, so a
/// full bucket (`N` tokens) refills in a minute with no rounding drift.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    /// Unix milliseconds on the mock's clock.
    updated: u64,
}

/// The units one request takes: a minute's worth of milliseconds.
const TOKEN: u64 = 60_000;

impl RateLimiter {
    /// A limiter with every bucket full.
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limit enforced.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token from `key`'s bucket at `now_ms` (the mock's clock, so a virtual clock refills buckets only
    /// when it moves); when the bucket is empty, `Err` with the whole seconds (rounded up, at least 1) until a
    /// token is back.
    pub fn check(&self, key: &str, now_ms: u64) -> Result<(), u64> {
        let per_ms = u64::from(self.limit.per_minute.get());
        let capacity = per_ms * TOKEN;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            units: capacity,
            updated: now_ms,
        });
        let elapsed = now_ms.saturating_sub(bucket.updated);
        bucket.units = elapsed
            .saturating_mul(per_ms)
            .saturating_add(bucket.units)
            .min(capacity);
        bucket.updated = bucket.updated.max(now_ms);
        if bucket.units >= TOKEN {
            bucket.units -= TOKEN;
            Ok(())
        } else {
            let wait_ms = (TOKEN - bucket.units).div_ceil(per_ms);
            Err(wait_ms.div_ceil(1_000).max(1))
        }
    }

    /// Refills `key`'s bucket (a tenant's, on its reset), and forgets it.
    pub fn forget(&self, key: &str) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Refills every bucket.
    pub fn clear(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_n_per_minute_and_refuses_anything_else() {
        assert_eq!(
            "100/min"
                .parse::<RateLimit>()
                .map(|r| r.requests_per_minute()),
            Ok(100)
        );
        for bad in [
            "0/min", "100", "100/s", "-1/min", "+5/min", "/min", "1.5/min",
        ] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn allows_a_burst_of_n_then_asks_to_wait_for_the_next_token() {
        let limiter = RateLimiter::new(RateLimit::per_minute(2).unwrap_or(RateLimit {
            per_minute: NonZeroU32::MIN,
        }));
        let start = 1_767_225_600_000_u64;
        assert_eq!(limiter.check("k", start), Ok(()));
        assert_eq!(limiter.check("k", start), Ok(()));
        assert_eq!(limiter.check("k", start), Err(30));
        assert_eq!(limiter.check("other", start), Ok(()), "buckets are per key");
        // 29.5 s later the token is nearly back: still a refusal, rounded up to 1 s, never 0.
        assert_eq!(limiter.check("k", start + 29_500), Err(1));
        // A clock that went back a little (a real clock adjusted) refills nothing and breaks nothing.
        assert_eq!(limiter.check("k", start + 29_000), Err(1));
        assert_eq!(limiter.check("k", start + 30_000), Ok(()));
    }
}
