//! The fault model: what the mock can inject into an API request ([`Delay`], [`Fault`]), which requests a
//! scripted fault answers ([`ScriptedFault`]), and a whole configuration ([`Faults`]) with its defaults and
//! bounds. Reading and writing their JSON lives in `wire`; applying them to requests, in `injector`.

use std::collections::BTreeMap;

/// The status of random errors when `error_status` is not given: the vendor's documented 500.
pub const DEFAULT_ERROR_STATUS: u16 = 500;

/// The longest `retry_after` a fault may give: one day. Longer waits mean nothing to a test, and clients keep
/// the value in types as small as 32-bit milliseconds (a day is 86,400,000 of them).
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// The `Retry-After` (seconds) of an injected 429 that does not give `retry_after`.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// Extra time before an API request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// Always this many milliseconds. JSON: a number.
    Fixed(u64),
    /// Uniformly between `min` and `max` milliseconds, both inclusive. JSON: `{"min": .., "max": ..}`.
    Uniform {
        /// The shortest delay.
        min: u64,
        /// The longest delay.
        max: u64,
    },
}

/// One fault applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and the vendor's body for it (`{"status": 503}`). With `retry_after`, the answer
    /// carries a `Retry-After` header of that many seconds (`{"status": 503, "retry_after": 30}`); a 429 always
    /// does (default 1 second), and its body's `retryAfter` says the same.
    Status {
        /// The HTTP status, 400 to 599.
        status: u16,
        /// Seconds for `Retry-After` (and a 429's `retryAfter`).
        retry_after: Option<u64>,
    },
    /// Drop the connection without any response (`{"kind": "reset"}`): the client sees a connection error.
    Reset,
    /// Answer normally, but only after `ms` milliseconds (`{"kind": "timeout", "ms": 5000}`), to trip the
    /// client's timeout.
    Timeout {
        /// How long to hold the answer back.
        ms: u64,
    },
    /// A 200 with the JSON content type whose body is cut short (`{"kind": "malformed"}`), to exercise the
    /// client's parse-error path.
    Malformed,
}

/// A fault in the `next` queue, and which requests it answers: those that match its `path`, `method` and
/// `query` (each optional), after letting `after` of them through, `times` times (then it leaves the queue).
///
/// ```
/// use openmic_mock::{Fault, ScriptedFault};
///
/// // A 429 on page 2 of a walk with limit=50, once.
/// let page_two = ScriptedFault::new(Fault::Status { status: 429, retry_after: Some(1) })
///     .path("/v1/calls")
///     .query("offset", "50");
/// // Let two requests through, then fail every one after them until the faults are cleared.
/// let from_the_third = ScriptedFault::new(Fault::Status { status: 500, retry_after: None })
///     .after(2)
///     .times(None);
/// assert_eq!(from_the_third.times, None);
/// # let _ = page_two;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedFault {
    /// What to do.
    pub fault: Fault,
    /// Only requests for this path (exact, such as `/v1/calls`; a trailing `*` matches any path with that
    /// prefix).
    pub path: Option<String>,
    /// Only requests with this method, such as `POST` (upper case).
    pub method: Option<String>,
    /// Only requests whose query has each of these parameters with this decoded value (others may be there
    /// too; a repeated parameter matches when any of its values does).
    pub query: BTreeMap<String, String>,
    /// How many matching requests to let through before answering; counts down as they come.
    pub after: u64,
    /// How many matching requests to answer, then leave the queue; `None` answers every one until the faults
    /// are cleared. Counts down as it answers.
    pub times: Option<u64>,
}

impl From<Fault> for ScriptedFault {
    fn from(fault: Fault) -> Self {
        ScriptedFault::new(fault)
    }
}

impl ScriptedFault {
    /// `fault` for the next request, whatever it is, once.
    pub fn new(fault: Fault) -> Self {
        ScriptedFault {
            fault,
            path: None,
            method: None,
            query: BTreeMap::new(),
            after: 0,
            times: Some(1),
        }
    }

    /// The fault, limited to requests for `path`.
    pub fn on_path(fault: Fault, path: impl Into<String>) -> Self {
        ScriptedFault::new(fault).path(path)
    }

    /// Only requests for `path` (a trailing `*` matches a prefix).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Only requests with `method` (compared in upper case).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    /// Only requests whose query has `name` with the decoded `value`; may be called repeatedly.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.insert(name.into(), value.into());
        self
    }

    /// Let `count` matching requests through first.
    pub fn after(mut self, count: u64) -> Self {
        self.after = count;
        self
    }

    /// Answer `count` matching requests (`None`: every one, until cleared).
    pub fn times(mut self, count: Option<u64>) -> Self {
        self.times = count;
        self
    }
}

/// Everything the mock injects into API requests. The default injects nothing.
///
/// ```
/// use openmic_mock::{Fault, Faults};
///
/// let faults: Faults = serde_json::from_str(
///     r#"{"next": [{"status": 429}, {"status": 500, "path": "/v1/calls"}, {"kind": "reset"}], "seed": 7}"#,
/// )?;
/// assert_eq!(faults.next[0].fault, Fault::Status { status: 429, retry_after: None });
/// assert_eq!(faults.next[1].path.as_deref(), Some("/v1/calls"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Added to every API request.
    pub latency_ms: Option<Delay>,
    /// The probability, 0 to 1, that a request not handled by `next` gets `error_status`.
    pub error_rate: f64,
    /// The status of random errors (default 500).
    pub error_status: u16,
    /// Scripted faults, applied to the next API requests in order.
    pub next: Vec<ScriptedFault>,
    /// Seeds the random choices (latency, errors), so a failing run can be replayed. Without one, a seed is
    /// taken from the clock.
    pub seed: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: None,
            error_rate: 0.0,
            error_status: DEFAULT_ERROR_STATUS,
            next: Vec::new(),
            seed: None,
        }
    }
}
