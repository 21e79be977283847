//! The parts of webhooks that know nothing of data sets: where they go ([`WebhookTargets`]), how one request is
//! sent ([`Sender`]: no redirects, a timeout, a bounded reply), and the journal of every attempt
//! ([`Deliveries`]). [`crate::outbound::dispatch`] decides when they are sent.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use crate::time::lifecycle::CreatedCall;

use openmic_fixtures::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long the vendor waits for a post-call receiver.
pub const POST_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the vendor waits for each pre-call attempt.
pub const PRE_CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// How many pre-call attempts the vendor makes.
pub const PRE_CALL_ATTEMPTS: u32 = 3;
/// The waits before the second and third pre-call attempts, in milliseconds on the mock's clock.
pub const PRE_CALL_DELAYS_MS: [u64; 2] = [1_000, 2_000];
/// The most bytes of a receiver's reply read (the rest is not waited for).
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// The most webhook requests in flight at once; more wait their turn (their timeout starts when they are sent).
pub const MAX_IN_FLIGHT: usize = 64;
/// The longest webhook URL accepted.
pub const MAX_URL_BYTES: usize = 2048;
/// How many attempts the deliveries journal keeps, and how many bytes of them.
pub const DELIVERIES_CAPACITY: usize = 1_000;
/// See [`DELIVERIES_CAPACITY`].
pub const DELIVERIES_BYTES: usize = 16 * 1024 * 1024;
/// The most bytes of one request body the journal keeps (the rest is cut, and the entry says so).
pub const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024;

/// Which calls get the pre-call webhook, by direction (the vendor's `webhook_direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionFilter {
    /// Inbound calls only.
    Inbound,
    /// Outbound calls only.
    Outbound,
    /// Both (the default).
    #[default]
    Both,
}

impl DirectionFilter {
    /// Whether a call of `direction` gets the pre-call webhook.
    pub fn matches(self, direction: Direction) -> bool {
        match self {
            DirectionFilter::Both => true,
            DirectionFilter::Inbound => direction == Direction::Inbound,
            DirectionFilter::Outbound => direction == Direction::Outbound,
        }
    }

    /// `inbound`, `outbound` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectionFilter::Inbound => "inbound",
            DirectionFilter::Outbound => "outbound",
            DirectionFilter::Both => "both",
        }
    }
}

impl std::str::FromStr for DirectionFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "inbound" => Ok(DirectionFilter::Inbound),
            "outbound" => Ok(DirectionFilter::Outbound),
            "both" => Ok(DirectionFilter::Both),
            other => Err(format!(
                "webhook direction must be inbound, outbound or both, got {:?}",
                crate::text::shown(other)
            )),
        }
    }
}

/// Where one data set's webhooks go. Only these URLs (and a created call's `callback_url`) are ever called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTargets {
    /// Where `end-of-call-report`s go.
    #[serde(default)]
    pub post_call_url: Option<String>,
    /// Where pre-call requests go.
    #[serde(default)]
    pub pre_call_url: Option<String>,
    /// Which calls get the pre-call webhook.
    #[serde(default)]
    pub direction: DirectionFilter,
}

impl WebhookTargets {
    /// Every problem with the URLs, each naming its field; empty when both can be called.
    pub fn problems(&self) -> Vec<String> {
        [
            ("post_call_url", &self.post_call_url),
            ("pre_call_url", &self.pre_call_url),
        ]
        .into_iter()
        .filter_map(|(field, url)| {
            let url = url.as_deref()?;
            check_url(url).err().map(|why| format!("{field}: {why}"))
        })
        .collect()
    }

    /// The configuration as the admin API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "post_call_url": self.post_call_url,
            "pre_call_url": self.pre_call_url,
            "direction": self.direction.as_str(),
        })
    }
}

/// Whether the mock can call `url`: an absolute `http://` URL with a host (`https://` too when built with the
/// `tls` feature), at most [`MAX_URL_BYTES`] long.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!("longer than {MAX_URL_BYTES} bytes"));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("{:?} is not an absolute URL ({e})", crate::text::shown(url)))?;
    match parsed.scheme() {
        "http" => {}
        "https" if cfg!(feature = "tls") => {}
        "https" => {
            return Err(format!(
                "{:?} needs HTTPS, which this build lacks (build with --features tls)",
                crate::text::shown(url)
            ));
        }
        other => {
            return Err(format!(
                "{:?} has scheme {other:?}; expected http or https",
                crate::text::shown(url)
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{:?} has no host", crate::text::shown(url)));
    }
    Ok(())
}

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
    /// The request body (cut at [`MAX_LOGGED_BODY_BYTES`]; see `body_clipped`).
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

/// What a receiver answered, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status, when it answered.
    pub status: Option<u16>,
    /// The reply body (at most [`MAX_REPLY_BYTES`]).
    pub body: Vec<u8>,
    /// Why it failed, for a timeout, a connection error or a status that is not 2xx.
    pub error: Option<String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Sends webhook requests: `POST`, JSON, the vendor's `User-Agent`, no redirects followed.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Default for Sender {
    fn default() -> Self {
        Self::new()
    }
}

impl Sender {
    /// A sender with its own connection pool.
    pub fn new() -> Self {
        openmic_http::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(openmic_fixtures::WEBHOOK_USER_AGENT)
            .connect_timeout(POST_CALL_TIMEOUT)
            .build()
            .unwrap_or_default();
        Sender {
            client,
            permits: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    /// Posts `body` to `url` and waits at most `timeout` for the whole answer.
    pub async fn post(&self, url: &str, body: String, timeout: Duration) -> Answer {
        // Never closed, so acquiring only waits.
        let _permit = self.permits.acquire().await.ok();
        let started = Instant::now();
        let result = tokio::time::timeout(timeout, self.exchange(url, body)).await;
        let elapsed = started.elapsed();
        match result {
            Ok(Ok((status, body))) => Answer {
                status: Some(status),
                error: (!(200..300).contains(&status))
                    .then(|| format!("answered {status}, not 2xx")),
                body,
                elapsed,
            },
            Ok(Err(why)) => Answer {
                status: None,
                body: Vec::new(),
                error: Some(why),
                elapsed,
            },
            Err(_) => Answer {
                status: None,
                body: Vec::new(),
                error: Some(format!("no answer within {} ms", timeout.as_millis())),
                elapsed,
            },
        }
    }

    async fn exchange(&self, url: &str, body: String) -> Result<(u16, Vec<u8>), String> {
        let mut response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        let status = response.status().as_u16();
        let mut reply = Vec::new();
        while reply.len() < MAX_REPLY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_REPLY_BYTES - reply.len();
                    reply.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => return Err(format!("reading the reply failed: {}", error_chain(&e))),
            }
        }
        Ok((status, reply))
    }
}

/// An error and its sources, `a: b: c`.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
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

/// What a scheduled webhook does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Ask the pre-call receiver, this attempt (from 1).
    PreCall {
        /// The attempt.
        attempt: u32,
    },
    /// Send the `end-of-call-report`.
    PostCall,
}

/// A webhook due for a created call.
#[derive(Debug, Clone)]
pub struct Scheduled {
    /// The call's tenant (`None`: the default data set).
    pub tenant: Option<String>,
    /// The call as it was when this was scheduled; the job is dropped if the data set no longer has this very
    /// call (it was removed, or its data set reset).
    pub call: Arc<CreatedCall>,
    /// What to do.
    pub job: Job,
}

/// The webhooks due, by time on the mock's clock, and how many are being sent. [`crate::outbound::dispatch`] sends them.
#[derive(Debug)]
pub struct Schedule {
    queue: Mutex<BTreeMap<(u64, u64), Scheduled>>,
    seq: AtomicU64,
    /// Woken when a job is added, the clock moves, or the server stops.
    pub(crate) wake: Notify,
    /// How many jobs are being sent right now.
    pub(crate) in_flight: watch::Sender<usize>,
    stopped: AtomicBool,
    /// The delivery attempts made.
    pub deliveries: Deliveries,
    /// Whether created calls' `callback_url`s get the report too (`--no-callback-url` turns it off).
    callbacks: AtomicBool,
    /// Held while the virtual clock moves through due webhooks, so two advances do not interleave.
    pub(crate) advancing: tokio::sync::Mutex<()>,
    sender: std::sync::OnceLock<Sender>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            queue: Mutex::default(),
            seq: AtomicU64::new(0),
            wake: Notify::new(),
            in_flight: watch::Sender::new(0),
            stopped: AtomicBool::new(false),
            deliveries: Deliveries::default(),
            callbacks: AtomicBool::new(true),
            advancing: tokio::sync::Mutex::new(()),
            sender: std::sync::OnceLock::new(),
        }
    }
}

impl Schedule {
    /// Adds a job due at `due` (Unix ms on the mock's clock).
    pub fn push(&self, due: u64, item: Scheduled) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((due, seq), item);
        self.wake.notify_one();
    }

    /// Takes every job due at `now` or before, earliest first, and counts them as in flight in the same step
    /// (so a waiter never sees a job neither queued nor in flight); each must be ended with
    /// [`Schedule::done`].
    pub fn take_due(&self, now: u64) -> Vec<(u64, Scheduled)> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let later = queue.split_off(&(now.saturating_add(1), 0));
        let due = std::mem::replace(&mut *queue, later);
        if !due.is_empty() {
            self.in_flight.send_modify(|n| *n += due.len());
        }
        due.into_iter().map(|((t, _), item)| (t, item)).collect()
    }

    /// Marks one job taken by [`Schedule::take_due`] as finished.
    pub fn done(&self) {
        self.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// The sender of this server's webhooks (one connection pool per server, so pooled connections never
    /// outlive the runtime that made them).
    pub fn sender(&self) -> &Sender {
        self.sender.get_or_init(Sender::new)
    }

    /// When the next job is due.
    pub fn next_due(&self) -> Option<u64> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .next()
            .map(|(t, _)| *t)
    }

    /// Stops sending: the dispatcher ends, and jobs still waiting are never sent.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Whether [`Schedule::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Whether `callback_url`s get reports.
    pub fn callbacks(&self) -> bool {
        self.callbacks.load(Ordering::Relaxed)
    }

    /// Turns reports to `callback_url`s on or off.
    pub fn set_callbacks(&self, on: bool) {
        self.callbacks.store(on, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_with_a_host_are_accepted() {
        assert!(check_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(check_url("http://receiver.test/x?y=1").is_ok());
        for (url, why) in [
            ("/relative", "not an absolute URL"),
            ("ftp://host/x", "scheme \"ftp\""),
            ("file:///etc/passwd", "scheme \"file\""),
            ("http://", "not an absolute URL"),
        ] {
            let err = check_url(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
        let long = format!("http://h/{}", "a".repeat(MAX_URL_BYTES));
        assert!(check_url(&long).unwrap_err().contains("longer than"));
        let exact = format!("http://h/{}", "a".repeat(MAX_URL_BYTES - 9));
        assert_eq!(exact.len(), MAX_URL_BYTES);
        assert!(check_url(&exact).is_ok());
        #[cfg(not(feature = "tls"))]
        assert!(
            check_url("https://h/x")
                .unwrap_err()
                .contains("--features tls")
        );
    }

    #[test]
    fn a_config_names_each_bad_url() {
        let config = WebhookTargets {
            post_call_url: Some("nope".into()),
            pre_call_url: Some("ftp://x/".into()),
            direction: DirectionFilter::Both,
        };
        let problems = config.problems();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("post_call_url: "));
        assert!(problems[1].starts_with("pre_call_url: "));
        assert!(WebhookTargets::default().problems().is_empty());
    }

    #[test]
    fn directions_filter_pre_calls() {
        use DirectionFilter::*;
        assert!(Both.matches(Direction::Inbound) && Both.matches(Direction::Outbound));
        assert!(Inbound.matches(Direction::Inbound) && !Inbound.matches(Direction::Outbound));
        assert!(Outbound.matches(Direction::Outbound) && !Outbound.matches(Direction::Inbound));
        for d in [Inbound, Outbound, Both] {
            assert_eq!(d.as_str().parse::<DirectionFilter>(), Ok(d));
        }
        assert!("Both".parse::<DirectionFilter>().is_err());
    }

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
