//! How one webhook request is sent ([`Sender`]: `POST`, JSON, the vendor's `User-Agent`, no redirects, a
//! timeout, a bounded reply, a cap on requests in flight), and the machinery a server sends with
//! ([`Outbound`]): its sender, the journal of attempts, and whether `callback_url`s get reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::outbound::deliveries::Deliveries;

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
        let client = openmic_http::client_builder()
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

/// What a server sends webhooks with: one sender (one connection pool per server, so pooled connections never
/// outlive the runtime that made them), the journal of attempts, whether created calls' `callback_url`s get the
/// report too (`--no-callback-url` turns it off), and the lock that keeps two virtual-clock advances from
/// interleaving their sends.
#[derive(Debug)]
pub struct Outbound {
    sender: std::sync::OnceLock<Sender>,
    /// The delivery attempts made.
    pub deliveries: Deliveries,
    callbacks: AtomicBool,
    /// Held while the virtual clock moves through due webhooks, so two advances do not interleave.
    pub(crate) advancing: tokio::sync::Mutex<()>,
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound {
            sender: std::sync::OnceLock::new(),
            deliveries: Deliveries::default(),
            callbacks: AtomicBool::new(true),
            advancing: tokio::sync::Mutex::new(()),
        }
    }
}

impl Outbound {
    /// The sender of this server's webhooks, made on first use (inside the server's runtime).
    pub fn sender(&self) -> &Sender {
        self.sender.get_or_init(Sender::new)
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
