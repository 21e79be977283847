//! A bounded record of the API requests the server received, for tests that check what a client sent.
//!
//! In-process tests read it with [`MockServer::received_requests`](crate::MockServer::received_requests); other
//! languages read `GET /__admin/requests`, where [`ReceivedRequest::to_json_redacted`] hides credentials.
//!
//! Memory is bounded three ways, so that neither a long soak nor a hostile client can exhaust it: by count
//! (`--journal-size`) and by bytes (`--journal-bytes`), dropping the oldest requests first, and per request,
//! where each header value and the query are clipped to a few KiB ([`MAX_VALUE_BYTES`], [`MAX_QUERY_BYTES`])
//! with the cut marked, and the answer's body to [`MAX_ANSWER_BODY_BYTES`]. Entries are shared (`Arc`), so reading the journal copies pointers, not requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::text::prefix_within;

/// The most bytes of an answer's body the journal keeps; the rest is cut, and the entry gives the whole length.
pub const MAX_ANSWER_BODY_BYTES: usize = 64 * 1024;

/// How many requests the journal keeps by default; the oldest are dropped first.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 1000;

/// How many bytes of requests the journal keeps by default (64 MiB); the oldest are dropped first.
pub const DEFAULT_JOURNAL_BYTES: usize = 64 * 1024 * 1024;

/// The most bytes of one header value a journal entry keeps; the rest is cut and the cut marked.
pub const MAX_VALUE_BYTES: usize = 2 * 1024;

/// The most bytes of all header values of one entry; later headers are dropped and the cut marked.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The most bytes of the query one entry keeps, raw and decoded each; the rest is cut and the cut marked.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Headers whose values are credentials: `GET /__admin/requests` never shows them (the scheme of an
/// `Authorization` value is kept, so `Basic` sent instead of `Bearer` stays visible).
pub const REDACTED_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// The marker that ends a clipped value: `…[cut: 409600 bytes in all]`.
fn cut_marker(total: usize) -> String {
    format!("…[cut: {total} bytes in all]")
}

/// `text` clipped to at most `max` bytes (at a character boundary) with the cut marked.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}{}", prefix_within(text, max), cut_marker(text.len()))
}

/// The start of an answer's body the journal keeps: the body itself up to [`MAX_ANSWER_BODY_BYTES`], else a copy of
/// its first [`MAX_ANSWER_BODY_BYTES`], so that an entry never holds a large answer's whole buffer.
pub(crate) fn answer_head(body: &Bytes) -> Bytes {
    if body.len() <= MAX_ANSWER_BODY_BYTES {
        body.clone()
    } else {
        Bytes::copy_from_slice(&body[..MAX_ANSWER_BODY_BYTES])
    }
}

/// A request's headers as the journal keeps them: decoded lossily as UTF-8, each value clipped to
/// [`MAX_VALUE_BYTES`], and no more than [`MAX_HEADER_BYTES`] of values in all.
pub(crate) fn journal_headers<'h>(
    headers: impl Iterator<Item = (&'h str, &'h [u8])>,
) -> (Vec<(String, String)>, bool) {
    let mut kept = Vec::new();
    let mut total = 0;
    let mut cut = false;
    let mut dropped = 0;
    for (name, value) in headers {
        if total >= MAX_HEADER_BYTES {
            dropped += 1;
            continue;
        }
        // Invalid UTF-8 bytes become U+FFFD, three bytes each: clip before and after decoding.
        let head = &value[..value.len().min(MAX_VALUE_BYTES)];
        let mut text = String::from_utf8_lossy(head).into_owned();
        if value.len() > MAX_VALUE_BYTES || text.len() > MAX_VALUE_BYTES {
            let end = prefix_within(&text, MAX_VALUE_BYTES).len();
            text.truncate(end);
            text.push_str(&cut_marker(value.len()));
            cut = true;
        }
        total += name.len() + text.len();
        kept.push((name.to_string(), text));
    }
    if dropped > 0 {
        kept.push((
            "x-mock-journal-cut".to_string(),
            format!("{dropped} more headers not kept"),
        ));
        cut = true;
    }
    (kept, cut)
}

/// The decoded query pairs the journal keeps: in order, until [`MAX_QUERY_BYTES`] of names and values.
pub(crate) fn journal_query(pairs: Vec<(String, String)>) -> (Vec<(String, String)>, bool) {
    let mut total = 0;
    let mut kept = Vec::new();
    let all = pairs.len();
    for (name, value) in pairs {
        let size = name.len() + value.len();
        if total + size > MAX_QUERY_BYTES {
            break;
        }
        total += size;
        kept.push((name, value));
    }
    let cut = kept.len() < all;
    (kept, cut)
}

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
    /// The fault injected into this request, if any (see [`Faults`](crate::Faults)).
    pub fault: Option<Fault>,
    /// Latency injected before answering (`latency_ms`), zero when none.
    pub injected_latency: Duration,
    /// Whether a header value, the headers or the query were too long to keep whole (see the module docs).
    pub clipped: bool,
    /// A fingerprint of the request's bearer token (an FNV-1a hash), so entries can be found by API key
    /// without the journal keeping the key where `GET /__admin/requests` could show it.
    pub key_fingerprint: Option<u64>,
    /// The answer's headers as sent (none when nothing was answered), each value clipped like a request's.
    pub answer_headers: Vec<(String, String)>,
    /// The start of the answer's body, at most [`MAX_ANSWER_BODY_BYTES`].
    pub answer_body: Bytes,
    /// The whole answer body's length, in bytes.
    pub answer_bytes: u64,
}

/// A fingerprint of an API key: equal keys give equal fingerprints within one run of the server (it is not
/// meant to be stored or compared across runs).
pub fn key_fingerprint(key: &str) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    static STATE: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(RandomState::new).hash_one(key)
}

impl ReceivedRequest {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON form served by `GET /__admin/requests`, with the values of credential headers (`authorization`, `cookie`, `x-api-key`...) hidden: the
    /// time in RFC 3339 (UTC, milliseconds), the decoded query as `[name, value]` pairs, headers as pairs,
    /// `status` `null` when nothing was answered.
    pub fn to_json(&self) -> Value {
        self.to_json_redacted(&[])
    }

    /// [`ReceivedRequest::to_json`], also hiding the headers named in `extra` (case-insensitive). The answer
    /// is shown without its body, which would make a page of the journal a hundred times larger:
    /// [`ReceivedRequest::to_json_with_answer_body`] has it.
    pub fn to_json_redacted(&self, extra: &[String]) -> Value {
        self.json(extra, false)
    }

    /// [`ReceivedRequest::to_json_redacted`] with the start of the answer's body as text (`answer.body`), as
    /// `GET /__admin/requests/{seq}` shows one entry.
    pub fn to_json_with_answer_body(&self, extra: &[String]) -> Value {
        self.json(extra, true)
    }

    fn json(&self, extra: &[String], with_body: bool) -> Value {
        let secret = |name: &str| {
            REDACTED_HEADERS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
                || extra.iter().any(|h| h.eq_ignore_ascii_case(name))
        };
        let shown = |pairs: &[(String, String)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(name, value)| {
                    let shown = if secret(name) {
                        redact(value)
                    } else {
                        value.clone()
                    };
                    (name.clone(), shown)
                })
                .collect()
        };
        let headers = shown(&self.headers);
        let answer = (self.status != 0).then(|| {
            let mut answer = json!({
                "headers": shown(&self.answer_headers),
                "bytes": self.answer_bytes,
                "body_clipped": (self.answer_body.len() as u64) < self.answer_bytes,
            });
            if with_body {
                answer["body"] = json!(String::from_utf8_lossy(&self.answer_body));
            }
            answer
        });
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
            "clipped": self.clipped,
            "answer": answer,
        })
    }

    /// Roughly how many bytes this entry holds: its text plus a fixed allowance for the rest.
    fn weight(&self) -> usize {
        const FIXED: usize = 256;
        let pairs = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
        };
        FIXED
            + self.method.len()
            + self.path.len()
            + self.raw_query.as_ref().map_or(0, String::len)
            + pairs(&self.query)
            + pairs(&self.headers)
            + pairs(&self.answer_headers)
            + self.answer_body.len()
    }
}

/// A credential header's value with its credentials replaced.
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
    rfc3339_ms(since.as_millis() as u64)
}

use openmic_fixtures::rfc3339_ms;

/// One journal entry: a request and its number. Numbers start at 1 and never repeat while the server runs
/// (clearing does not reset them), so `after=N` reads on from where a reader stopped.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    /// The entry's number.
    pub seq: u64,
    /// The request.
    pub request: Arc<ReceivedRequest>,
}

/// The journal: a ring buffer of [`ReceivedRequest`]s bounded by count and by bytes.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    max_bytes: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    entries: VecDeque<(u64, Arc<ReceivedRequest>, usize)>,
    bytes: usize,
    next_seq: u64,
}

impl Journal {
    /// A journal that keeps the last `capacity` requests (0 keeps none) within [`DEFAULT_JOURNAL_BYTES`].
    pub fn new(capacity: usize) -> Self {
        Self::with_limits(capacity, DEFAULT_JOURNAL_BYTES)
    }

    /// A journal that keeps the last `capacity` requests, and no more than `max_bytes` of them.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity,
            max_bytes,
            inner: Mutex::new(Entries {
                entries: VecDeque::with_capacity(capacity.min(1024)),
                bytes: 0,
                next_seq: 1,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a request, dropping the oldest while over the count or the byte bound. A request larger than
    /// the whole byte bound is not kept (its number is still used).
    pub fn record(&self, request: ReceivedRequest) {
        let weight = request.weight();
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if self.capacity == 0 || weight > self.max_bytes {
            return;
        }
        while inner.entries.len() >= self.capacity || inner.bytes + weight > self.max_bytes {
            match inner.entries.pop_front() {
                Some((_, _, dropped)) => inner.bytes -= dropped,
                None => break,
            }
        }
        inner.bytes += weight;
        inner.entries.push_back((seq, Arc::new(request), weight));
    }

    /// The recorded requests, oldest first (deep copies: for tests in the server's own process).
    pub fn snapshot(&self) -> Vec<ReceivedRequest> {
        self.lock()
            .entries
            .iter()
            .map(|(_, request, _)| ReceivedRequest::clone(request))
            .collect()
    }

    /// The recorded requests with their numbers, oldest first; shares the entries rather than copying them.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock()
            .entries
            .iter()
            .map(|(seq, request, _)| JournalEntry {
                seq: *seq,
                request: request.clone(),
            })
            .collect()
    }

    /// Forgets every recorded request; returns how many there were. The memory goes back with them.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let count = inner.entries.len();
        inner.entries = VecDeque::new();
        inner.bytes = 0;
        count
    }

    /// Forgets the recorded requests made with the API key whose [`key_fingerprint`] is `fingerprint` (a
    /// tenant's, on its reset); returns how many there were. Numbers are not reused.
    pub fn forget_key(&self, fingerprint: u64) -> usize {
        let mut inner = self.lock();
        let before = inner.entries.len();
        let mut freed = 0;
        inner.entries.retain(|(_, request, weight)| {
            let keep = request.key_fingerprint != Some(fingerprint);
            if !keep {
                freed += weight;
            }
            keep
        });
        inner.bytes -= freed;
        before - inner.entries.len()
    }

    /// How many requests it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many bytes of requests it keeps at most.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// How many bytes the kept requests hold now (as the bound counts them).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
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
            clipped: false,
            key_fingerprint: None,
            answer_headers: vec![],
            answer_body: Bytes::new(),
            answer_bytes: 0,
        }
    }

    #[test]
    fn an_answer_counts_toward_the_bytes_kept() {
        let answered = |path: &str| ReceivedRequest {
            answer_headers: vec![("content-type".into(), "application/json".into())],
            answer_body: Bytes::from(vec![b'x'; 10_000]),
            answer_bytes: 10_000,
            ..request(path)
        };
        let pair = "content-type".len() + "application/json".len() + 48;
        assert_eq!(
            answered("/a").weight(),
            request("/a").weight() + 10_000 + pair
        );
        let journal = Journal::with_limits(10, 25_000);
        for path in ["/a", "/b", "/c"] {
            journal.record(answered(path));
        }
        let paths: Vec<_> = journal.snapshot().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert_eq!(journal.bytes(), 2 * answered("/b").weight());
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
    fn forgetting_a_key_gives_its_bytes_back_and_keeps_the_others_numbers() {
        let by = |path: &str, key: &str| ReceivedRequest {
            key_fingerprint: Some(key_fingerprint(key)),
            ..request(path)
        };
        let journal = Journal::new(10);
        journal.record(by("/a1", "a"));
        journal.record(by("/b1", "b"));
        journal.record(request("/none"));
        journal.record(by("/a2", "a"));
        let kept_bytes = by("/b1", "b").weight() + request("/none").weight();
        assert_eq!(journal.forget_key(key_fingerprint("a")), 2);
        assert_eq!(journal.bytes(), kept_bytes);
        let seqs: Vec<u64> = journal.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(journal.forget_key(key_fingerprint("a")), 0);
        journal.record(by("/a3", "a"));
        assert_eq!(journal.entries().last().map(|e| e.seq), Some(5));
    }

    #[test]
    fn drops_the_oldest_requests_when_over_the_byte_bound() {
        let mut big = request("/big");
        big.headers = vec![("x-big".into(), "b".repeat(1000))];
        let weight = big.weight();
        let journal = Journal::with_limits(100, 2 * weight + 10);
        journal.record(request("/a"));
        journal.record(big.clone());
        journal.record(big.clone());
        let paths: Vec<_> = journal.snapshot().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/big", "/big"]);
        assert!(journal.bytes() <= journal.max_bytes());
        // Larger than the whole bound: not kept, nothing else dropped, but its number is used.
        let mut huge = request("/huge");
        huge.headers = vec![("x-huge".into(), "h".repeat(5000))];
        journal.record(huge);
        journal.record(request("/after"));
        let seqs: Vec<u64> = journal.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 5]);
    }

    #[test]
    fn an_entry_weighs_its_text_and_a_small_allowance() {
        let mut entry = request("/v1/calls");
        entry.headers = vec![("x-a".into(), "v".repeat(1000))];
        entry.query = vec![("limit".into(), "5".repeat(500))];
        let text = entry.method.len()
            + entry.path.len()
            + entry.raw_query.as_ref().map_or(0, String::len)
            + "x-a".len()
            + 1000
            + "limit".len()
            + 500;
        // 256 for the entry, and 48 for each pair.
        assert_eq!(entry.weight(), 256 + text + 2 * 48);
    }

    #[test]
    fn a_journal_filled_to_exactly_its_bytes_keeps_every_entry() {
        let weight = request("/a").weight();
        let journal = Journal::with_limits(10, 2 * weight);
        assert_eq!((journal.capacity(), journal.max_bytes()), (10, 2 * weight));
        journal.record(request("/a"));
        journal.record(request("/b"));
        let paths: Vec<_> = journal.snapshot().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/a", "/b"]);
        assert_eq!(journal.bytes(), 2 * weight);
        let journal = Journal::with_limits(10, weight);
        journal.record(request("/c"));
        assert_eq!(
            journal.snapshot().len(),
            1,
            "one entry as large as the bound is kept"
        );
    }

    #[test]
    fn a_credential_is_redacted_after_a_scheme_or_whole() {
        assert_eq!(redact("Bearer omic_secret"), "Bearer [redacted]");
        assert_eq!(redact("omic_secret"), "[redacted]");
        assert_eq!(redact("omic-1 secret"), "[redacted]", "not a scheme");
    }

    #[test]
    fn clipping_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééé", 3), "é…[cut: 6 bytes in all]");
        let value = vec![b'v'; MAX_VALUE_BYTES + 10];
        let (headers, cut) = journal_headers([("x-long", &value[..])].into_iter());
        assert!(cut);
        assert_eq!(
            headers[0].1,
            format!(
                "{}…[cut: {} bytes in all]",
                "v".repeat(MAX_VALUE_BYTES),
                MAX_VALUE_BYTES + 10
            )
        );
        // Invalid UTF-8 becomes U+FFFD (three bytes each), and the cap still holds.
        let bad = vec![0xff_u8; MAX_VALUE_BYTES];
        let (headers, cut) = journal_headers([("x-bad", &bad[..])].into_iter());
        assert!(cut && headers[0].1.len() < MAX_VALUE_BYTES + 32);
        // More headers than fit: the rest are counted, not kept.
        let many: Vec<(String, Vec<u8>)> = (0..20)
            .map(|i| (format!("x-{i}"), vec![b'a'; MAX_VALUE_BYTES]))
            .collect();
        let (headers, cut) = journal_headers(many.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        assert!(cut);
        assert_eq!(headers.last().unwrap().1, "12 more headers not kept");
        let (pairs, cut) = journal_query(vec![("a".into(), "x".repeat(MAX_QUERY_BYTES)); 2]);
        assert!(cut && pairs.is_empty());
        // A value of exactly the cap is kept whole.
        let exact = vec![b'e'; MAX_VALUE_BYTES];
        let (headers, cut) = journal_headers([("x-exact", &exact[..])].into_iter());
        assert!(!cut);
        assert_eq!(headers[0].1, "e".repeat(MAX_VALUE_BYTES));
        // A query of exactly the cap is kept whole; past it, the pairs that do not fit go.
        let exact = vec![("a".to_string(), "x".repeat(MAX_QUERY_BYTES - 1))];
        assert_eq!(journal_query(exact.clone()), (exact, false));
        let (pairs, cut) =
            journal_query(vec![("a".to_string(), "x".repeat(MAX_QUERY_BYTES / 2)); 3]);
        assert!(cut);
        assert_eq!(pairs.len(), 1);
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

    #[test]
    fn journal_times_are_right_on_every_kind_of_calendar_day() {
        // Epoch milliseconds, independently known (`date -u -d ... +%s%3N`).
        for (millis, expected) in [
            (0_u64, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (946_684_799_000, "1999-12-31T23:59:59.000Z"),
            (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
            (1_735_689_599_999, "2024-12-31T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (4_107_542_399_000, "2100-02-28T23:59:59.000Z"),
            (13_574_563_200_000, "2400-02-29T00:00:00.000Z"),
        ] {
            assert_eq!(
                rfc3339_millis(UNIX_EPOCH + Duration::from_millis(millis)),
                expected,
                "{millis}"
            );
        }
    }

    #[test]
    fn redacts_every_credential_header_and_the_ones_named() {
        let mut entry = request("/v1/calls");
        entry.headers = vec![
            ("Cookie".into(), "session=abc".into()),
            ("proxy-authorization".into(), "Basic dXNlcjpwYXNz".into()),
            ("x-api-key".into(), "k-123".into()),
            ("x-tenant-token".into(), "t-456".into()),
            ("x-other".into(), "kept".into()),
        ];
        let json = entry.to_json_redacted(&["X-Tenant-Token".to_string()]);
        assert_eq!(
            json["headers"],
            json!([
                ["Cookie", "[redacted]"],
                ["proxy-authorization", "Basic [redacted]"],
                ["x-api-key", "[redacted]"],
                ["x-tenant-token", "[redacted]"],
                ["x-other", "kept"]
            ])
        );
    }
}
