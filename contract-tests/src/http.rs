//! The kit's HTTP client: the workspace's polite client (`openmic_http`, in `http-client/`) with the kit's
//! policy. One target, a request budget, a client-side rate limit that also honours `429 Retry-After`, a
//! separate cap on requests that may change the target (anything but `GET`), and requests that can be printed
//! as a ready-to-paste `curl` command with the key redacted. Nothing but a 429 is retried: a check must see the
//! 5xx or the dropped connection it got.
//!
//! It is synchronous from the outside (it owns a current-thread tokio runtime) because proptest's runner
//! calls test closures synchronously; the suite never runs two requests at once, which also keeps a live run
//! polite.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use openmic_http::{Client, ClientPolicy, MAX_429_RETRIES, On429, RequestError, RequestEvent};

pub use openmic_http::{Auth, Request, Response, Target, install_crypto_provider};

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

impl From<RequestError> for HttpError {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::BudgetSpent { .. }
            | RequestError::ShareSpent
            | RequestError::WriteCapReached => HttpError::BudgetExhausted,
            RequestError::RateLimited { .. } => HttpError::RateLimited,
            RequestError::Transport { summary, .. } => HttpError::Transport(summary),
            RequestError::NeedsTls => HttpError::Transport(
                "https targets need the `tls` feature: install with `cargo install --path contract-tests --features tls` \
                 (or run `cargo run --release -p openmic-contract --features tls -- server ...`)"
                    .into(),
            ),
            // The kit's policy retries nothing and `send` refuses no status, so these come only from a build
            // or a URL: their message says what happened.
            other @ (RequestError::BadBaseUrl(_)
            | RequestError::Build(_)
            | RequestError::Refused { .. }
            | RequestError::Failing { .. }) => HttpError::Transport(other.to_string()),
        }
    }
}

/// Where progress messages go (stderr in the CLI, a buffer in tests).
pub type ProgressSink = Rc<dyn Fn(&str)>;

/// The suite's client. Counts every request against the budget, spaces requests to the rate limit, and waits
/// out `429` answers. Requests other than `GET` also count against a separate write cap, every attempt
/// included: a `POST` to create-phone-call may place a real phone call.
pub struct HttpClient {
    runtime: tokio::runtime::Runtime,
    client: RefCell<Client>,
    target: Target,
    limits: Limits,
    progress: RefCell<Option<ProgressSink>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.target.base_url)
            .field("limits", &self.limits)
            .field("used", &self.used())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `target`. HTTPS (with the `tls` feature) uses rustls with the `ring` provider (no C
    /// toolchain beyond `cc`) and the platform's certificate store.
    pub fn new(target: Target, limits: Limits) -> Result<Self, HttpError> {
        let policy = ClientPolicy {
            max_requests: limits.max_requests,
            per_minute: limits.rate_per_minute,
            // A 429 is waited out before each retry and after the last one too, so whatever runs next starts
            // after the server's window.
            on_429: On429 {
                retries: MAX_429_RETRIES,
                wait_after_last: true,
            },
            // A 5xx or a dropped connection is what a check must see.
            retries: None,
            ..ClientPolicy::new(concat!("openmic-contract/", env!("CARGO_PKG_VERSION")))
        };
        let client = Client::new(target.clone(), policy)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HttpError::Transport(format!("cannot start a runtime: {e}")))?;
        Ok(Self {
            runtime,
            client: RefCell::new(client),
            target,
            limits,
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

    /// Tells the progress sink about a wait of a second or more.
    fn tell(&self, event: RequestEvent) {
        let waiting = |wait: Duration, why: &str| {
            if wait >= Duration::from_secs(1) {
                self.say(&format!("waiting {:.1}s ({why})", wait.as_secs_f64()));
            }
        };
        match event {
            RequestEvent::Pacing { wait } => waiting(wait, "client-side rate limit"),
            RequestEvent::RateLimited { wait } => {
                self.say(&format!(
                    "429 from the server, Retry-After {}s",
                    wait.as_secs()
                ));
                waiting(wait, "429 Retry-After");
            }
            // The kit's policy retries nothing else.
            RequestEvent::Retrying { .. } => {}
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
        self.client.borrow().used()
    }

    /// Requests left in the whole budget.
    pub fn remaining(&self) -> u64 {
        self.client.borrow().remaining()
    }

    /// Time spent waiting for the rate limit or a `Retry-After`.
    pub fn waited(&self) -> Duration {
        self.client.borrow().waited()
    }

    /// Allows at most `n` more requests until [`HttpClient::clear_share`]: how a property is kept to its share.
    pub fn set_share(&self, n: u64) {
        self.client.borrow_mut().set_share(n);
    }

    /// Lifts the per-property share.
    pub fn clear_share(&self) {
        self.client.borrow_mut().clear_share();
    }

    /// Requests other than `GET` sent so far (each attempt of a retried one counts).
    pub fn writes(&self) -> u64 {
        self.client.borrow().writes()
    }

    /// Allows at most `n` more requests other than `GET` (attempts, 429 retries included) until changed: how
    /// the suite keeps the calls a run may create within `--max-creates`. Without it there is no cap.
    pub fn set_write_share(&self, n: u64) {
        self.client.borrow_mut().set_write_share(n);
    }

    /// Requests other than `GET` still allowed by the write cap.
    pub fn writes_left(&self) -> u64 {
        self.client.borrow().writes_left()
    }

    /// Sends `request`; a 429 is waited out (its `Retry-After`, else the body's `retryAfter`, else 60 s)
    /// and retried, each attempt counted against the budget (and, when it is not a `GET`, the write cap).
    pub fn send(&self, request: &Request) -> Result<Response, HttpError> {
        let mut client = self.client.borrow_mut();
        let mut tell = |event| self.tell(event);
        Ok(self.runtime.block_on(client.send(request, &mut tell))?)
    }

    /// Sends `request` past the property's share (never past the budget), without charging it to the share:
    /// how a write property puts back what it changed after its share ran out.
    pub fn send_beyond_share(&self, request: &Request) -> Result<Response, HttpError> {
        let left = self.client.borrow().share_left();
        self.clear_share();
        let result = self.send(request);
        if let Some(left) = left {
            self.set_share(left);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_shows_its_target_and_use_but_never_its_key() {
        let client = HttpClient::new(
            Target::new("http://127.0.0.1:9", "secret-key"),
            Limits::UNLIMITED,
        )
        .unwrap();
        let shown = format!("{client:?}");
        assert!(shown.starts_with("HttpClient {"), "{shown}");
        assert!(shown.contains("\"http://127.0.0.1:9\""), "{shown}");
        assert!(shown.contains("used: 0"), "{shown}");
        assert!(!shown.contains("secret-key"), "{shown}");
    }

    #[test]
    fn waits_of_a_second_or_more_are_told_and_every_429_is() {
        let client =
            HttpClient::new(Target::new("http://127.0.0.1:9", "k"), Limits::UNLIMITED).unwrap();
        let told = Rc::new(RefCell::new(Vec::<String>::new()));
        let sink = told.clone();
        client.set_progress(Some(Rc::new(move |line: &str| {
            sink.borrow_mut().push(line.to_string())
        })));
        client.tell(RequestEvent::Pacing {
            wait: Duration::from_millis(999),
        });
        client.tell(RequestEvent::Pacing {
            wait: Duration::from_secs(1),
        });
        client.tell(RequestEvent::RateLimited {
            wait: Duration::from_millis(500),
        });
        client.tell(RequestEvent::RateLimited {
            wait: Duration::from_secs(2),
        });
        assert_eq!(
            *told.borrow(),
            [
                "waiting 1.0s (client-side rate limit)",
                "429 from the server, Retry-After 0s",
                "429 from the server, Retry-After 2s",
                "waiting 2.0s (429 Retry-After)",
            ]
        );
    }

    #[test]
    fn the_budget_the_share_and_the_write_cap_are_counted_through_the_synchronous_face() {
        let limits = Limits {
            max_requests: 3,
            rate_per_minute: None,
        };
        // The server runs on its own runtime: the client blocks on another.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(wiremock::MockServer::start());
        runtime.block_on(
            wiremock::Mock::given(wiremock::matchers::any())
                .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("{}"))
                .mount(&server),
        );
        let client = HttpClient::new(Target::new(server.uri(), "k"), limits).unwrap();
        assert_eq!(client.limits().max_requests, 3);
        assert!(client.target().base_url.starts_with("http://127.0.0.1:"));
        let counts = |c: &HttpClient| (c.used(), c.remaining(), c.writes(), c.writes_left());
        assert_eq!(counts(&client), (0, 3, 0, u64::MAX));
        client.set_write_share(1);
        assert_eq!(counts(&client), (0, 3, 0, 1));
        assert_eq!(
            client
                .send(&Request::get("/v1/calls", vec![]))
                .unwrap()
                .status,
            200
        );
        assert_eq!(counts(&client), (1, 2, 0, 1));
        let post = Request::post("/v1/create-phone-call", Some("application/json"), "{}");
        assert_eq!(client.send(&post).unwrap().status, 200);
        assert_eq!(counts(&client), (2, 1, 1, 0));
        client.set_share(0);
        assert!(client.send(&Request::get("/v1/calls", vec![])).is_err());
        assert_eq!(counts(&client), (2, 1, 1, 0));
        // Past the share, not past the budget, and the share stays spent.
        assert_eq!(
            client
                .send_beyond_share(&Request::get("/v1/calls", vec![]))
                .unwrap()
                .status,
            200
        );
        assert_eq!(counts(&client), (3, 0, 1, 0));
        assert!(client.send(&Request::get("/v1/calls", vec![])).is_err());
        client.clear_share();
        assert!(
            client
                .send_beyond_share(&Request::get("/v1/calls", vec![]))
                .is_err()
        );
        assert_eq!(client.waited(), Duration::ZERO);
        let received = runtime.block_on(server.received_requests()).unwrap();
        assert_eq!(received.len(), 3, "the refused request was never sent");
    }
}
