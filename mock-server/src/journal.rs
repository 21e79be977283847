//! A bounded record of the API requests the server received, for tests that check what a client sent.
//!
//! In-process tests read it with [`MockServer::received_requests`](crate::MockServer::received_requests); other
//! languages read `GET /__admin/requests`, where [`ReceivedRequest::to_json`] redacts `Authorization`. The
//! bound (`--journal-size`) keeps a long soak from exhausting memory: the oldest requests are dropped first.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::faults::Fault;

/// How many requests the journal keeps by default; the oldest are dropped first.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 1000;

/// One request as the server received it, and the status it answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// When the request arrived.
    pub received_at: SystemTime,
    /// The method, such as `GET`.
    pub method: String,
    /// The path, still percent-encoded as sent.
    pub path: String,
    /// The raw query string, if any, as sent.
    pub raw_query: Option<String>,
    /// The decoded query parameters, in order, repeats kept.
    pub query: Vec<(String, String)>,
    /// The headers, in order, with values decoded lossily as UTF-8. Kept unredacted: the journal lives in
    /// the test's own process.
    pub headers: Vec<(String, String)>,
    /// The status the server answered with; `0` when it answered nothing (a `reset` fault dropped the
    /// connection).
    pub status: u16,
    /// How long the server took to produce the response head.
    pub duration: Duration,
    /// The fault injected into this request, if any (see [`crate::faults`]).
    pub fault: Option<Fault>,
    /// Latency injected before answering (`latency_ms`), zero when none.
    pub injected_latency: Duration,
}

impl ReceivedRequest {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON form served by `GET /__admin/requests`: the time in RFC 3339 (UTC, milliseconds), the
    /// decoded query as `[name, value]` pairs, headers as pairs with `Authorization` redacted (the scheme is
    /// kept, so `Basic` sent instead of `Bearer` stays visible), `status` `null` when nothing was answered.
    pub fn to_json(&self) -> Value {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    redact(value)
                } else {
                    value.clone()
                };
                (name.as_str(), shown)
            })
            .collect();
        json!({
            "time": rfc3339_millis(self.received_at),
            "method": self.method,
            "path": self.path,
            "raw_query": self.raw_query,
            "query": self.query,
            "headers": headers,
            "status": (self.status != 0).then_some(self.status),
            "duration_ms": self.duration.as_secs_f64() * 1000.0,
            "fault": self.fault,
            "injected_latency_ms": self.injected_latency.as_millis() as u64,
        })
    }
}

/// An `Authorization` value with its credentials replaced.
fn redact(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("{scheme} [redacted]")
        }
        _ => "[redacted]".to_string(),
    }
}

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn rfc3339_millis(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The journal: a ring buffer of [`ReceivedRequest`]s.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<ReceivedRequest>>,
}

impl Journal {
    /// A journal that keeps the last `capacity` requests (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    /// Records a request, dropping the oldest when full.
    pub fn record(&self, request: ReceivedRequest) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(request);
    }

    /// The recorded requests, oldest first.
    pub fn snapshot(&self) -> Vec<ReceivedRequest> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }

    /// Forgets every recorded request; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let count = entries.len();
        entries.clear();
        count
    }

    /// How many requests it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> ReceivedRequest {
        ReceivedRequest {
            received_at: SystemTime::UNIX_EPOCH,
            method: "GET".into(),
            path: path.into(),
            raw_query: None,
            query: vec![],
            headers: vec![],
            status: 200,
            duration: Duration::ZERO,
            fault: None,
            injected_latency: Duration::ZERO,
        }
    }

    #[test]
    fn drops_the_oldest_request_when_full() {
        let journal = Journal::new(2);
        for path in ["/a", "/b", "/c"] {
            journal.record(request(path));
        }
        let paths: Vec<_> = journal.snapshot().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
    }

    #[test]
    fn shows_times_in_rfc3339_and_redacts_authorization() {
        let mut entry = request("/v1/calls");
        entry.received_at = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123 + 86_400_000 * 59);
        entry.headers = vec![
            ("authorization".into(), "Bearer secret".into()),
            ("x-other".into(), "kept".into()),
        ];
        let json = entry.to_json();
        assert_eq!(json["time"], "2026-03-01T00:00:00.123Z");
        assert_eq!(
            json["headers"],
            json!([["authorization", "Bearer [redacted]"], ["x-other", "kept"]])
        );
        assert_eq!(redact("secret"), "[redacted]");
    }
}
