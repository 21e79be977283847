//! A bounded record of the requests the server received, for tests that check what a client sent.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

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
    /// The status the server answered with.
    pub status: u16,
    /// How long the server took to produce the response head.
    pub duration: Duration,
}

impl ReceivedRequest {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
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

    /// Forgets every recorded request.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
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
}
