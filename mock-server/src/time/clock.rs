//! The mock's clock: real time, or a virtual time that moves only when a test says so.
//!
//! Everything time-dependent reads this clock ([`Clock::now_ms`]): the lifecycle of created calls, the rate
//! limiter's refill and the journal's times. Injected fault latency is real time whatever the clock: it exists
//! to make a client wait.
//!
//! A virtual clock never goes backwards: what a test has seen happen stays happened.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::instant::parse_instant;

/// Which kind of clock, as `GET /__admin/clock` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The system's time.
    Real,
    /// A time that moves only when told.
    Virtual,
}

impl ClockMode {
    /// `real` or `virtual`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::Real => "real",
            ClockMode::Virtual => "virtual",
        }
    }
}

/// What `--clock` asks for: `real`, `virtual` (starting at the anchor, or now), or `virtual:<RFC 3339>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockSpec {
    /// The system's time (the default).
    #[default]
    Real,
    /// A virtual clock; `None` starts it at the anchor, or at the time the server starts.
    Virtual(Option<u64>),
}

impl FromStr for ClockSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "real" => Ok(ClockSpec::Real),
            "virtual" => Ok(ClockSpec::Virtual(None)),
            _ => match s.strip_prefix("virtual:") {
                Some(start) => parse_instant(start)
                    .map(|ms| ClockSpec::Virtual(Some(ms)))
                    .ok_or_else(|| {
                        format!(
                            "invalid clock start {start:?}: expected an RFC 3339 time such as \
                             2026-01-15T09:00:00Z, or Unix milliseconds"
                        )
                    }),
                None => Err(format!(
                    "invalid clock {s:?}: expected real, virtual or virtual:<RFC 3339 time>"
                )),
            },
        }
    }
}

impl fmt::Display for ClockSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockSpec::Real => f.write_str("real"),
            ClockSpec::Virtual(None) => f.write_str("virtual"),
            ClockSpec::Virtual(Some(ms)) => {
                write!(f, "virtual:{}", openmic_fixtures::rfc3339_ms(*ms))
            }
        }
    }
}

/// Where `--anchor` puts the data in time (see [`openmic_fixtures::shift_days`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    /// Serve the timestamps as loaded.
    #[default]
    Off,
    /// The newest call within the 24 hours before the clock's time at startup.
    Now,
    /// The newest call within the 24 hours before this time (Unix milliseconds).
    At(u64),
}

impl FromStr for Anchor {
    type Err = String;

    /// `now`, `off`, an RFC 3339 time, or a bare `YYYY-MM-DD`, which means the end of that day (UTC), so that
    /// the newest call falls on that date.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "now" => Ok(Anchor::Now),
            "off" => Ok(Anchor::Off),
            _ => {
                let at = parse_instant(s).ok_or_else(|| {
                    format!(
                        "invalid anchor {s:?}: expected now, off, an RFC 3339 time such as \
                         2026-01-15T09:00:00Z, or a date such as 2026-01-15"
                    )
                })?;
                let bare_date = s.len() == 10 && s.as_bytes().get(4) == Some(&b'-');
                Ok(Anchor::At(if bare_date { at + DAY_MS - 1 } else { at }))
            }
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Off => f.write_str("off"),
            Anchor::Now => f.write_str("now"),
            Anchor::At(ms) => f.write_str(&openmic_fixtures::rfc3339_ms(*ms)),
        }
    }
}

const DAY_MS: u64 = openmic_fixtures::DAY_MS;

/// Why a virtual clock could not be moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// Only a virtual clock can be moved.
    #[error(
        "the clock is real: it cannot be moved. Start the mock with --clock virtual (or \
         MockServer::builder().clock(ClockSpec::Virtual(..))) to control time"
    )]
    Real,
    /// A virtual clock never goes backwards.
    #[error(
        "the clock cannot go backwards: it is at {now} ({now_text}) and {asked} ({asked_text}) is earlier",
        now_text = openmic_fixtures::rfc3339_ms(*.now),
        asked_text = openmic_fixtures::rfc3339_ms(*.asked)
    )]
    Backwards {
        /// The clock's time, Unix milliseconds.
        now: u64,
        /// The time asked for.
        asked: u64,
    },
    /// The time asked for is past what the clock can show.
    #[error("the clock cannot pass {}", openmic_fixtures::rfc3339_ms(MAX_CLOCK_MS))]
    TooLate,
}

/// The latest time a virtual clock can show: 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write.
pub const MAX_CLOCK_MS: u64 = 253_402_300_799_999;

/// The clock every time-dependent part of the mock reads.
#[derive(Debug)]
pub struct Clock {
    // `None`: real time.
    virtual_ms: Option<AtomicU64>,
}

impl Clock {
    /// The system's clock.
    pub fn real() -> Self {
        Clock { virtual_ms: None }
    }

    /// A virtual clock showing `start_ms` (Unix milliseconds) until moved.
    pub fn starting_at(start_ms: u64) -> Self {
        Clock {
            virtual_ms: Some(AtomicU64::new(start_ms.min(MAX_CLOCK_MS))),
        }
    }

    /// The clock `spec` asks for; a virtual one without a start begins at `default_start_ms`.
    pub fn from_spec(spec: ClockSpec, default_start_ms: u64) -> Self {
        match spec {
            ClockSpec::Real => Clock::real(),
            ClockSpec::Virtual(start) => Clock::starting_at(start.unwrap_or(default_start_ms)),
        }
    }

    /// Real or virtual.
    pub fn mode(&self) -> ClockMode {
        if self.virtual_ms.is_some() {
            ClockMode::Virtual
        } else {
            ClockMode::Real
        }
    }

    /// The time, Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        match &self.virtual_ms {
            Some(ms) => ms.load(Ordering::Acquire),
            None => system_now_ms(),
        }
    }

    /// The time as a [`SystemTime`].
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_millis(self.now_ms())
    }

    /// Moves a virtual clock forward by `ms`; returns the new time.
    pub fn advance(&self, ms: u64) -> Result<u64, ClockError> {
        let clock = self.virtual_ms.as_ref().ok_or(ClockError::Real)?;
        let mut now = clock.load(Ordering::Acquire);
        loop {
            let next = now
                .checked_add(ms)
                .filter(|&t| t <= MAX_CLOCK_MS)
                .ok_or(ClockError::TooLate)?;
            match clock.compare_exchange(now, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(next),
                Err(seen) => now = seen,
            }
        }
    }

    /// Sets a virtual clock to `ms`, which must not be before its time; returns the new time.
    pub fn set(&self, ms: u64) -> Result<u64, ClockError> {
        let clock = self.virtual_ms.as_ref().ok_or(ClockError::Real)?;
        if ms > MAX_CLOCK_MS {
            return Err(ClockError::TooLate);
        }
        let mut now = clock.load(Ordering::Acquire);
        loop {
            if ms < now {
                return Err(ClockError::Backwards { now, asked: ms });
            }
            match clock.compare_exchange(now, ms, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(ms),
                Err(seen) => now = seen,
            }
        }
    }
}

/// The system's time in Unix milliseconds (0 before 1970, which no real machine reports).
pub fn system_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_clock_spec_and_names_what_is_wrong() {
        assert_eq!("real".parse(), Ok(ClockSpec::Real));
        assert_eq!("virtual".parse(), Ok(ClockSpec::Virtual(None)));
        assert_eq!(
            "virtual:2026-01-15T09:00:00Z".parse(),
            Ok(ClockSpec::Virtual(Some(1_768_467_600_000)))
        );
        let err = "virtual:soon".parse::<ClockSpec>().unwrap_err();
        assert!(err.contains("\"soon\""), "{err}");
        let err = "fake".parse::<ClockSpec>().unwrap_err();
        assert!(err.contains("real, virtual"), "{err}");
        assert_eq!(
            ClockSpec::Virtual(Some(1_768_467_600_000)).to_string(),
            "virtual:2026-01-15T09:00:00.000Z"
        );
    }

    #[test]
    fn parses_each_anchor_and_a_bare_date_means_the_end_of_that_day() {
        assert_eq!("now".parse(), Ok(Anchor::Now));
        assert_eq!("off".parse(), Ok(Anchor::Off));
        assert_eq!(
            "2026-01-15T09:00:00Z".parse(),
            Ok(Anchor::At(1_768_467_600_000))
        );
        assert_eq!(
            "2026-01-15".parse(),
            Ok(Anchor::At(1_768_435_200_000 + DAY_MS - 1))
        );
        assert_eq!("1000".parse(), Ok(Anchor::At(1_000)));
        let err = "yesterday".parse::<Anchor>().unwrap_err();
        assert!(err.contains("\"yesterday\""), "{err}");
        assert_eq!(
            Anchor::At(1_768_467_600_000).to_string(),
            "2026-01-15T09:00:00.000Z"
        );
    }

    #[test]
    fn a_virtual_clock_moves_only_forward_and_only_when_told() {
        let clock = Clock::starting_at(1_000);
        assert_eq!(clock.mode(), ClockMode::Virtual);
        assert_eq!(clock.now_ms(), 1_000);
        assert_eq!(clock.advance(500), Ok(1_500));
        assert_eq!(clock.now_ms(), 1_500);
        assert_eq!(clock.set(1_500), Ok(1_500));
        assert_eq!(clock.set(2_000), Ok(2_000));
        assert_eq!(
            clock.set(1_999),
            Err(ClockError::Backwards {
                now: 2_000,
                asked: 1_999
            })
        );
        assert_eq!(clock.advance(u64::MAX), Err(ClockError::TooLate));
        assert_eq!(Clock::starting_at(0).set(MAX_CLOCK_MS), Ok(MAX_CLOCK_MS));
        assert_eq!(clock.set(MAX_CLOCK_MS + 1), Err(ClockError::TooLate));
        assert_eq!(clock.now_ms(), 2_000);
    }

    #[test]
    fn a_real_clock_reads_the_system_time_and_refuses_to_move() {
        let clock = Clock::real();
        let before = system_now_ms();
        let now = clock.now_ms();
        assert!(now >= before && now <= system_now_ms());
        assert_eq!(clock.advance(1), Err(ClockError::Real));
        assert_eq!(clock.set(now + 1), Err(ClockError::Real));
        assert_eq!(clock.mode(), ClockMode::Real);
    }
}
