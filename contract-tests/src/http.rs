//! The kit's HTTP client: one target, a request budget, a client-side rate limit that also honours
//! `429 Retry-After`, a separate cap on requests that may change the target (anything but `GET`), and requests
//! that can be printed as a ready-to-paste `curl` command with the key redacted.
//!
//! It is synchronous from the outside (it owns a current-thread tokio runtime) because proptest's runner
//! calls test closures synchronously; the suite never runs two requests at once, which also keeps a live run
//! polite.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Installs rustls's `ring` provider as the process default, when the `tls` feature is on (a no-op
/// otherwise). With that feature reqwest is built without a provider and panics in `Client::new()` unless
/// one is installed; call this before building your own reqwest clients in the same process.
pub fn install_crypto_provider() {
    // Ignore the error: the provider may be installed already.
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Where the API key goes in a curl command: the key itself is never printed.
pub const REDACTED_KEY: &str = "$OPENMIC_API_KEY";

/// How often a request answered with 429 is retried before the client gives up.
const MAX_429_RETRIES: u32 = 5;

/// Which server to check.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash, such as `http://127.0.0.1:8080` or `https://api.openmic.ai`.
    pub base_url: String,
    /// The API key sent as `Authorization: Bearer <key>`.
    pub api_key: String,
}

impl Target {
    /// A target; a trailing slash on the base URL is dropped so paths can be appended.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Self {
            base_url,
            api_key: api_key.into(),
        }
    }

    /// Whether the host is this machine: the kit then runs without budget or rate limit by default, since no
    /// one is billed and nothing is throttled.
    pub fn is_local(&self) -> bool {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .is_some_and(|host| {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
    }
}

/// How much of the target the kit may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many HTTP requests in the whole run (429 answers included).
    pub max_requests: u64,
    /// At most this many requests per minute; `None` for no limit.
    pub rate_per_minute: Option<u32>,
}

impl Limits {
    /// No budget and no rate limit: for local servers.
    pub const UNLIMITED: Limits = Limits {
        max_requests: u64::MAX,
        rate_per_minute: None,
    };
    /// The live defaults: 300 requests, 90 a minute (the vendor's v2 documents 100 a minute per organization).
    pub const LIVE: Limits = Limits {
        max_requests: 300,
        rate_per_minute: Some(90),
    };
}

/// The `Authorization` header a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Bearer <the target's key>`.
    Valid,
    /// No header at all.
    Missing,
    /// This exact header value; `{key}` stands for the target's key.
    Header(String),
}

/// The HTTP method. Only `GET` is safe to repeat: the client never repeats anything else on its own account,
/// and counts it against the write cap ([`HttpClient::set_write_share`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// May create something on the target (`POST /v1/create-phone-call`).
    Post,
}

impl Method {
    /// As on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request body exactly as sent: the text and its `Content-Type` (`None`: no such header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The bytes, as text (the kit only sends text bodies).
    pub text: String,
}

/// One request, as the suite builds it: a method, a path and decoded query pairs (encoded on the way out),
/// and for a `POST` its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET` for every List Calls and Get Call check.
    pub method: Method,
    /// Path starting with `/`, percent-encoded where needed.
    pub path: String,
    /// Query pairs in order, not yet encoded.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header.
    pub auth: Auth,
    /// The body, if any.
    pub body: Option<RequestBody>,
}

impl Request {
    /// A GET of `path` with the valid key.
    pub fn get(path: impl Into<String>, query: Vec<(String, String)>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            query,
            auth: Auth::Valid,
            body: None,
        }
    }

    /// A POST of `text` to `path` with the valid key, under `content_type` (`None`: no `Content-Type`).
    pub fn post(
        path: impl Into<String>,
        content_type: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            method: Method::Post,
            path: path.into(),
            query: Vec::new(),
            auth: Auth::Valid,
            body: Some(RequestBody {
                content_type: content_type.map(str::to_string),
                text: text.into(),
            }),
        }
    }

    /// `GET /v1/calls?...` or `POST /v1/create-phone-call`: the method and what [`Request::path_and_query`] gives.
    pub fn line(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path_and_query())
    }

    /// The path and encoded query, as they go on the wire.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut encoder = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            encoder.append_pair(k, v);
        }
        format!("{}?{}", self.path, encoder.finish())
    }

    fn authorization(&self, key: &str) -> Option<String> {
        match &self.auth {
            Auth::Valid => Some(format!("Bearer {key}")),
            Auth::Missing => None,
            Auth::Header(template) => Some(template.replace("{key}", key)),
        }
    }

    /// A ready-to-paste curl command; the key is shown as `$OPENMIC_API_KEY`. A body goes in `--data-raw`
    /// with its `Content-Type` (an empty `-H 'Content-Type:'` when it has none, so curl adds none either).
    pub fn curl(&self, base_url: &str) -> String {
        let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
        let url = format!("{base_url}{}", self.path_and_query());
        let mut command = String::from("curl -sS");
        if let Some(header) = self.authorization(REDACTED_KEY) {
            command.push_str(&format!(
                " -H \"Authorization: {}\"",
                header.replace('"', "\\\"")
            ));
        }
        if let Some(body) = &self.body {
            let content_type = format!(
                "Content-Type:{}",
                body.content_type
                    .as_deref()
                    .map_or(String::new(), |t| format!(" {t}"))
            );
            command.push_str(&format!(
                " -H {} --data-raw {}",
                quote(&content_type),
                quote(&body.text)
            ));
        } else if self.method != Method::Get {
            command.push_str(&format!(" -X {}", self.method.as_str()));
        }
        format!("{command} {}", quote(&url))
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON, or `None` when it is not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The request budget (or the share of it given to the current property, or for a request other than
    /// `GET` the write cap) is used up.
    BudgetExhausted,
    /// The connection failed or timed out.
    Transport(String),
    /// The server kept answering 429.
    RateLimited,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::BudgetExhausted => f.write_str("request budget exhausted"),
            HttpError::Transport(e) => write!(f, "request failed: {e}"),
            HttpError::RateLimited => {
                write!(
                    f,
                    "still rate limited (429) after {MAX_429_RETRIES} retries"
                )
            }
        }
    }
}

impl std::error::Error for HttpError {}

/// Where progress messages go (stderr in the CLI, a buffer in tests).
pub type ProgressSink = Rc<dyn Fn(&str)>;

/// The suite's client. Counts every request against the budget, spaces requests to the rate limit, and waits
/// out `429` answers. Requests other than `GET` also count against a separate write cap, every attempt
/// included: a `POST` to create-phone-call may place a real phone call.
pub struct HttpClient {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    target: Target,
    limits: Limits,
    used: Cell<u64>,
    /// A lower, temporary cap: the share of the budget given to the property that is running.
    cap: Cell<u64>,
    /// Requests other than `GET` sent so far, every attempt counted.
    writes: Cell<u64>,
    /// No request other than `GET` once `writes` reaches this.
    write_cap: Cell<u64>,
    last_sent: Cell<Option<Instant>>,
    waited: Cell<Duration>,
    progress: RefCell<Option<ProgressSink>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.target.base_url)
            .field("limits", &self.limits)
            .field("used", &self.used.get())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `target`. HTTPS (with the `tls` feature) uses rustls with the `ring` provider (no C
    /// toolchain beyond `cc`) and the platform's certificate store.
    pub fn new(target: Target, limits: Limits) -> Result<Self, HttpError> {
        if target.base_url.starts_with("https:") && !cfg!(feature = "tls") {
            return Err(HttpError::Transport(
                "https targets need the `tls` feature: install with `cargo install --path contract-tests --features tls` \
                 (or run `cargo run --release -p openmic-contract --features tls -- server ...`)"
                    .into(),
            ));
        }
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("openmic-contract/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Transport(format!("cannot build the HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HttpError::Transport(format!("cannot start a runtime: {e}")))?;
        Ok(Self {
            runtime,
            http,
            target,
            limits,
            used: Cell::new(0),
            cap: Cell::new(u64::MAX),
            writes: Cell::new(0),
            write_cap: Cell::new(u64::MAX),
            last_sent: Cell::new(None),
            waited: Cell::new(Duration::ZERO),
            progress: RefCell::new(None),
        })
    }

    /// Sends progress messages (rate-limit waits, 429s) to `sink`.
    pub fn set_progress(&self, sink: Option<ProgressSink>) {
        *self.progress.borrow_mut() = sink;
    }

    fn say(&self, message: &str) {
        if let Some(sink) = self.progress.borrow().as_ref() {
            sink(message);
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Requests sent so far.
    pub fn used(&self) -> u64 {
        self.used.get()
    }

    /// Requests left in the whole budget.
    pub fn remaining(&self) -> u64 {
        self.limits.max_requests.saturating_sub(self.used.get())
    }

    /// Time spent waiting for the rate limit or a `Retry-After`.
    pub fn waited(&self) -> Duration {
        self.waited.get()
    }

    /// Allows at most `n` more requests until [`HttpClient::clear_share`]: how a property is kept to its share.
    pub fn set_share(&self, n: u64) {
        self.cap.set(self.used.get().saturating_add(n));
    }

    /// Lifts the per-property share.
    pub fn clear_share(&self) {
        self.cap.set(u64::MAX);
    }

    /// Requests other than `GET` sent so far (each attempt of a retried one counts).
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    /// Allows at most `n` more requests other than `GET` (attempts, 429 retries included) until changed: how
    /// the suite keeps the calls a run may create within `--max-creates`. Without it there is no cap.
    pub fn set_write_share(&self, n: u64) {
        self.write_cap.set(self.writes.get().saturating_add(n));
    }

    /// Requests other than `GET` still allowed by the write cap.
    pub fn writes_left(&self) -> u64 {
        self.write_cap.get().saturating_sub(self.writes.get())
    }

    fn budget_left(&self, method: Method) -> bool {
        let used = self.used.get();
        used < self.limits.max_requests
            && used < self.cap.get()
            && (method == Method::Get || self.writes.get() < self.write_cap.get())
    }

    fn wait(&self, duration: Duration, why: &str) {
        if duration >= Duration::from_secs(1) {
            self.say(&format!("waiting {:.1}s ({why})", duration.as_secs_f64()));
        }
        self.waited.set(self.waited.get() + duration);
        self.runtime
            .block_on(async { tokio::time::sleep(duration).await });
    }

    fn pace(&self) {
        let (Some(rate), Some(last)) = (self.limits.rate_per_minute, self.last_sent.get()) else {
            return;
        };
        if rate == 0 {
            return;
        }
        let interval = Duration::from_secs(60) / rate;
        let next = last + interval;
        let now = Instant::now();
        if next > now {
            self.wait(next - now, "client-side rate limit");
        }
    }

    /// Sends `request`; a 429 is waited out (its `Retry-After`, else the body's `retryAfter`, else 60 s)
    /// and retried, each attempt counted against the budget (and, when it is not a `GET`, the write cap).
    pub fn send(&self, request: &Request) -> Result<Response, HttpError> {
        let url = format!("{}{}", self.target.base_url, request.path_and_query());
        for _ in 0..=MAX_429_RETRIES {
            if !self.budget_left(request.method) {
                return Err(HttpError::BudgetExhausted);
            }
            self.pace();
            self.used.set(self.used.get() + 1);
            if request.method != Method::Get {
                self.writes.set(self.writes.get() + 1);
            }
            self.last_sent.set(Some(Instant::now()));
            let mut builder = match request.method {
                Method::Get => self.http.get(&url),
                Method::Post => self.http.post(&url),
            };
            if let Some(value) = request.authorization(&self.target.api_key) {
                builder = builder.header(reqwest::header::AUTHORIZATION, value);
            }
            if let Some(body) = &request.body {
                if let Some(content_type) = &body.content_type {
                    builder = builder.header(reqwest::header::CONTENT_TYPE, content_type);
                }
                builder = builder.body(body.text.clone());
            }
            let (status, retry_after, body) = self.runtime.block_on(async {
                let response = builder
                    .send()
                    .await
                    .map_err(|e| HttpError::Transport(e.to_string()))?;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| HttpError::Transport(e.to_string()))?;
                Ok::<_, HttpError>((status, retry_after, body.to_vec()))
            })?;
            if status != 429 {
                return Ok(Response { status, body });
            }
            let from_body = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["retryAfter"].as_u64());
            let seconds = retry_after.or(from_body).unwrap_or(60);
            self.say(&format!("429 from the server, Retry-After {seconds}s"));
            self.wait(Duration::from_secs(seconds), "429 Retry-After");
        }
        Err(HttpError::RateLimited)
    }
}
