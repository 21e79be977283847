//! The journal of every webhook attempt the mock made ([`Deliveries`]): what was sent where, and what came back,
//! bounded by count and by bytes.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How many attempts the deliveries journal keeps, and how many bytes of them.
pub const DELIVERIES_CAPACITY: usize = 1_000;

/// See [`DELIVERIES_CAPACITY`].
pub const DELIVERIES_BYTES: usize = 16 * 1024 * 1024;

/// The most bytes of one request body the journal keeps (the rest is cut, and the entry says so).
pub const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024;

/// Which webhook an attempt belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryKind {
    /// The `end-of-call-report` to the post-call URL.
    PostCall,
    /// The same report to a created call's `callback_url`.
    Callback,
    /// A pre-call attempt.
    PreCall,
}

impl DeliveryKind {
    /// `post-call`, `callback` or `pre-call`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::PostCall => "post-call",
            DeliveryKind::Callback => "callback",
            DeliveryKind::PreCall => "pre-call",
        }
    }

    /// Parses [`DeliveryKind::as_str`]'s spelling.
    pub fn from_wire(s: &str) -> Option<Self> {
        [
            DeliveryKind::PostCall,
            DeliveryKind::Callback,
            DeliveryKind::PreCall,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One attempt to deliver a webhook, as the deliveries journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// Its number: from 1, never repeating while the server runs (clearing does not reset it).
    pub seq: u64,
    /// Which webhook.
    pub kind: DeliveryKind,
    /// Where it went.
    pub url: String,
    /// The call it is about.
    pub call_id: String,
    /// The attempt, from 1 (pre-call: up to 3; the others: always 1).
    pub attempt: u32,
    /// When it was sent, Unix milliseconds on the mock's clock.
    pub sent_at: u64,
    /// The request body (cut at 64 KiB; see `body_clipped`).
    pub body: String,
    /// Whether `body` was cut.
    pub body_clipped: bool,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed (no answer in time, a connection error, a status that is not 2xx, a pre-call reply
    /// of the wrong shape); `None` when it succeeded.
    pub error: Option<String>,
    /// The start of the reply (at most 4 KiB), when there was one.
    pub reply: Option<String>,
    /// How long it took, in real milliseconds.
    pub duration_ms: u64,
}

impl DeliveryAttempt {
    /// Whether the attempt succeeded.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// The entry as the admin API shows it: the fields, `ok`, and `sent_at` also as RFC 3339.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        value["ok"] = json!(self.ok());
        value["sent_at_rfc3339"] = json!(openmic_fixtures::rfc3339_ms(self.sent_at));
        value
    }

    fn bytes(&self) -> usize {
        self.body.len()
            + self.url.len()
            + self.call_id.len()
            + self.reply.as_ref().map_or(0, String::len)
            + self.error.as_ref().map_or(0, String::len)
            + 128
    }
}

/// The bounded journal of delivery attempts: the oldest go first past [`DELIVERIES_CAPACITY`] entries or
/// [`DELIVERIES_BYTES`] bytes.
#[derive(Debug, Default)]
pub struct Deliveries {
    inner: Mutex<DeliveriesInner>,
}

#[derive(Debug, Default)]
struct DeliveriesInner {
    entries: VecDeque<DeliveryAttempt>,
    bytes: usize,
    next_seq: u64,
}

impl Deliveries {
    /// Adds an attempt (its `seq` is assigned here) and returns it as kept.
    pub fn push(&self, mut delivery: DeliveryAttempt) -> DeliveryAttempt {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.next_seq += 1;
        delivery.seq = inner.next_seq;
        inner.bytes += delivery.bytes();
        inner.entries.push_back(delivery.clone());
        while inner.entries.len() > DELIVERIES_CAPACITY || inner.bytes > DELIVERIES_BYTES {
            match inner.entries.pop_front() {
                Some(old) => inner.bytes -= old.bytes(),
                None => break,
            }
        }
        delivery
    }

    /// Every attempt kept, oldest first.
    pub fn all(&self) -> Vec<DeliveryAttempt> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.iter().cloned().collect()
    }

    /// The attempts numbered after `after` that `keep` accepts, oldest first, at most `limit` of them, and
    /// whether more follow. Only the page is copied.
    pub fn page(
        &self,
        after: u64,
        limit: usize,
        keep: impl Fn(&DeliveryAttempt) -> bool,
    ) -> (Vec<DeliveryAttempt>, bool) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut matching = inner.entries.iter().filter(|d| d.seq > after && keep(d));
        let page = matching.by_ref().take(limit).cloned().collect();
        (page, matching.next().is_some())
    }

    /// Forgets every attempt; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.bytes = 0;
        let n = inner.entries.len();
        inner.entries.clear();
        n
    }
}

/// `body` cut at [`MAX_LOGGED_BODY_BYTES`] on a character boundary, and whether it was cut.
pub fn logged_body(body: &str) -> (String, bool) {
    clip(body, MAX_LOGGED_BODY_BYTES)
}

/// `text` cut at `max` bytes on a character boundary, and whether it was cut.
pub fn clip(text: &str, max: usize) -> (String, bool) {
    let head = crate::text::prefix_within(text, max);
    (head.to_string(), head.len() < text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(body_len: usize) -> DeliveryAttempt {
        DeliveryAttempt {
            seq: 0,
            kind: DeliveryKind::PostCall,
            url: "http://h/".into(),
            call_id: "c".into(),
            attempt: 1,
            sent_at: 0,
            body: "x".repeat(body_len),
            body_clipped: false,
            status: Some(200),
            error: None,
            reply: None,
            duration_ms: 1,
        }
    }

    #[test]
    fn the_journal_numbers_attempts_and_drops_the_oldest_past_its_limits() {
        let journal = Deliveries::default();
        for _ in 0..DELIVERIES_CAPACITY + 5 {
            journal.push(delivery(10));
        }
        let all = journal.all();
        assert_eq!(all.len(), DELIVERIES_CAPACITY);
        assert_eq!(all[0].seq, 6);
        assert_eq!(all.last().unwrap().seq, DELIVERIES_CAPACITY as u64 + 5);
        assert_eq!(journal.clear(), DELIVERIES_CAPACITY);
        assert!(journal.all().is_empty());
        // Numbers go on after a clear.
        assert_eq!(
            journal.push(delivery(1)).seq,
            DELIVERIES_CAPACITY as u64 + 6
        );
        // Bytes: big bodies push the old ones out.
        for _ in 0..100 {
            journal.push(delivery(MAX_LOGGED_BODY_BYTES * 4));
        }
        let kept = journal.all();
        let bytes: usize = kept.iter().map(DeliveryAttempt::bytes).sum();
        assert!(bytes <= DELIVERIES_BYTES, "{bytes}");
        // 16 MiB over (256 KiB of body + 138 bytes of the rest) each: 63 fit.
        assert_eq!(kept.len(), 63);
    }

    #[test]
    fn an_attempt_weighs_its_texts_and_a_fixed_overhead() {
        let mut d = delivery(100);
        d.url = "u".repeat(10);
        d.call_id = "c".repeat(5);
        d.reply = Some("r".repeat(7));
        d.error = Some("e".repeat(3));
        assert_eq!(d.bytes(), 100 + 10 + 5 + 7 + 3 + 128);
    }

    #[test]
    fn a_journal_filled_to_exactly_its_byte_limit_keeps_everything() {
        let journal = Deliveries::default();
        // 64 attempts of exactly 256 KiB each (the body plus 9 + 1 + 128 bytes): 16 MiB in all.
        let per = DELIVERIES_BYTES / 64;
        for _ in 0..64 {
            journal.push(delivery(per - 138));
        }
        assert_eq!(journal.all().len(), 64);
        journal.push(delivery(1));
        assert_eq!(
            journal.all().len(),
            64,
            "one more byte pushes the oldest out"
        );
        assert_eq!(journal.all()[0].seq, 2);
    }

    #[test]
    fn bodies_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("héllo", 10), ("héllo".to_string(), false));
        assert_eq!(clip("héllo", 2), ("h".to_string(), true));
        assert_eq!(clip("héllo", 3), ("hé".to_string(), true));
        assert_eq!(clip("abc", 3), ("abc".to_string(), false));
    }

    #[test]
    fn kinds_round_trip_their_spelling() {
        for kind in [
            DeliveryKind::PostCall,
            DeliveryKind::Callback,
            DeliveryKind::PreCall,
        ] {
            assert_eq!(DeliveryKind::from_wire(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(DeliveryKind::from_wire("postcall"), None);
    }
}
