//! The [`Client`]: one request at a time to one [`Target`], every attempt counted against a budget (and, for
//! anything but `GET`, a write cap), starts spaced to a pace, `429 Retry-After` waited out, transient failures
//! retried with backoff when the [`ClientPolicy`] says so, and for [`Client::fetch_within`] each answer kept to its
//! [`AnswerLimits`]. It tells its caller what it waits for through [`RequestEvent`]s.

use std::time::{Duration, Instant};

use crate::error::{AnswerError, RequestError};
use crate::policy::{AnswerLimits, ClientPolicy, DEFAULT_RETRY_AFTER, backoff};
use crate::request::{Method, Request, Response, Target};
use crate::tls::{TLS, install_crypto_provider};

/// Something worth telling the person waiting. Sent before the wait it announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestEvent {
    /// The pace holds the next request back for `wait`.
    Pacing {
        /// How long.
        wait: Duration,
    },
    /// A 429: waiting `wait` before asking again.
    RateLimited {
        /// How long.
        wait: Duration,
    },
    /// A transient failure: retrying after `wait`.
    Retrying {
        /// What went wrong.
        cause: String,
        /// Which retry this is (1-based).
        retry: u32,
        /// Retries allowed.
        of: u32,
        /// How long until it.
        wait: Duration,
    },
}

/// What [`Client::fetch`]'s rule makes of an answer that is neither a 429 nor a retried 5xx.
enum Rejected {
    /// A transient failure with this cause: retried as a 5xx is.
    Retry(String),
    /// An answer that asking again would not change.
    Stop(RequestError),
}

/// One attempt's outcome.
enum Attempt {
    Answered {
        response: Response,
        retry_after: Option<u64>,
    },
    Transport {
        summary: String,
        cause: String,
    },
    /// A body past [`AnswerLimits::max_body_bytes`]; the rest was not read.
    TooLarge {
        status: u16,
    },
}

/// A client for one target under a [`ClientPolicy`]. Not `Clone`: the budget and the pace belong to one
/// sequence of requests.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    target: Target,
    policy: ClientPolicy,
    used: u64,
    /// A lower, temporary cap on `used`: the share of the budget given to one part of a run.
    share_cap: u64,
    /// Requests other than `GET` sent so far, every attempt counted.
    writes: u64,
    /// No request other than `GET` once `writes` reaches this.
    write_cap: u64,
    last_sent: Option<Instant>,
    waited: Duration,
}

impl Client {
    /// A client for `target`. An `https:` base URL needs the `tls` feature (rustls with the `ring` provider,
    /// installed here, and the platform's certificate store); without it the answer is
    /// [`RequestError::NeedsTls`]. Nothing else about the URL is checked: see [`Target::check`].
    pub fn new(target: Target, policy: ClientPolicy) -> Result<Self, RequestError> {
        if target.base_url.starts_with("https:") && !TLS {
            return Err(RequestError::NeedsTls);
        }
        install_crypto_provider();
        let http = crate::resolve::client_builder()
            .timeout(policy.timeout)
            .user_agent(policy.user_agent)
            .build()
            .map_err(|err| RequestError::Build(err.to_string()))?;
        Ok(Client {
            http,
            target,
            policy,
            used: 0,
            share_cap: u64::MAX,
            writes: 0,
            write_cap: u64::MAX,
            last_sent: None,
            waited: Duration::ZERO,
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The policy.
    pub fn policy(&self) -> &ClientPolicy {
        &self.policy
    }

    /// Requests sent so far, every attempt counted.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Requests left in the whole budget.
    pub fn remaining(&self) -> u64 {
        self.policy.max_requests.saturating_sub(self.used)
    }

    /// Time spent waiting for the pace, `Retry-After` and backoff.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Allows at most `n` more requests until [`Client::clear_share`]: how one part of a run is kept to its
    /// share of the budget.
    pub fn set_share(&mut self, n: u64) {
        self.share_cap = self.used.saturating_add(n);
    }

    /// Lifts the share.
    pub fn clear_share(&mut self) {
        self.share_cap = u64::MAX;
    }

    /// Requests the share still allows, `None` when no share is set.
    pub fn share_left(&self) -> Option<u64> {
        (self.share_cap != u64::MAX).then(|| self.share_cap.saturating_sub(self.used))
    }

    /// Requests other than `GET` sent so far (each attempt of a retried one counts).
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Allows at most `n` more requests other than `GET` (attempts, 429 retries included) until changed: a
    /// `POST` may create something real. Without it there is no cap.
    pub fn set_write_share(&mut self, n: u64) {
        self.write_cap = self.writes.saturating_add(n);
    }

    /// Requests other than `GET` still allowed by the write cap.
    pub fn writes_left(&self) -> u64 {
        self.write_cap.saturating_sub(self.writes)
    }

    /// Sends `request` and returns the answer, whatever its status, read whole, except that a 429 is waited out
    /// ([`crate::On429`]) and, when the policy retries transient failures, a 5xx or a dropped connection is
    /// retried with backoff.
    pub async fn send(
        &mut self,
        request: &Request,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<Response, RequestError> {
        self.exchange(request, AnswerLimits::NONE, Ok, on_event)
            .await
            .map_err(unlimited)
    }

    /// Sends `request` until a 200 comes whose body `parse` takes. A body `parse` refuses (its `Err` is the
    /// cause, as shown) is a transient failure, like a 5xx; any status other than 200, 429 and a retried 5xx is
    /// [`RequestError::Refused`] at once, with the body's message. Answers are read whole and every
    /// `Retry-After` waited out: [`Client::fetch_within`] sets limits.
    pub async fn fetch<T>(
        &mut self,
        request: &Request,
        parse: impl Fn(&[u8]) -> Result<T, String>,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<T, RequestError> {
        self.fetch_within(request, AnswerLimits::NONE, parse, on_event)
            .await
            .map_err(unlimited)
    }

    /// [`Client::fetch`] for a server not trusted with the caller's memory or time: no answer passes `limits`.
    /// A body read past [`AnswerLimits::max_body_bytes`], or a wait asked past
    /// [`AnswerLimits::max_retry_after`], is an [`AnswerError`] at once, not asked again.
    pub async fn fetch_within<T>(
        &mut self,
        request: &Request,
        limits: AnswerLimits,
        parse: impl Fn(&[u8]) -> Result<T, String>,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<T, AnswerError> {
        let judge = |response: Response| {
            if response.status == 200 {
                parse(&response.body).map_err(Rejected::Retry)
            } else {
                Err(Rejected::Stop(RequestError::Refused {
                    status: response.status,
                    message: error_message(&response.body),
                }))
            }
        };
        self.exchange(request, limits, judge, on_event).await
    }

    /// The one loop behind [`Client::send`] and [`Client::fetch_within`]: `judge` gets each answer that is neither a
    /// 429 nor a 5xx the policy retries, and no answer passes `limits`.
    async fn exchange<T>(
        &mut self,
        request: &Request,
        limits: AnswerLimits,
        judge: impl Fn(Response) -> Result<T, Rejected>,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<T, AnswerError> {
        let url = format!("{}{}", self.target.base_url, request.path_and_query());
        let retries = self.policy.retries;
        let mut failures = 0_u32;
        let mut limited = 0_u32;
        loop {
            self.check_budget(request.method)
                .map_err(AnswerError::Request)?;
            self.pace(on_event).await;
            self.used += 1;
            if request.method != Method::Get {
                self.writes += 1;
            }
            self.last_sent = Some(Instant::now());
            let too_long = |status: u16, asked: Duration| {
                (asked > limits.max_retry_after).then(|| AnswerError::RetryAfterTooLong {
                    request: request.line(),
                    status,
                    asked,
                    cap: limits.max_retry_after,
                })
            };
            let (cause, told_wait) = match self.attempt(request, &url, limits.max_body_bytes).await
            {
                Attempt::Answered {
                    response,
                    retry_after,
                } if response.status == 429 => {
                    limited += 1;
                    let on_429 = self.policy.on_429;
                    let last = limited > on_429.retries;
                    if last && !on_429.wait_after_last {
                        return Err(RequestError::RateLimited {
                            retries: on_429.retries,
                        }
                        .into());
                    }
                    let wait = retry_after
                        .or_else(|| retry_after_in_body(&response.body))
                        .map_or(
                            DEFAULT_RETRY_AFTER.min(limits.max_retry_after),
                            Duration::from_secs,
                        );
                    if let Some(err) = too_long(429, wait) {
                        return Err(err);
                    }
                    on_event(RequestEvent::RateLimited { wait });
                    self.sleep(wait).await;
                    if last {
                        return Err(RequestError::RateLimited {
                            retries: on_429.retries,
                        }
                        .into());
                    }
                    continue;
                }
                // A 5xx's own Retry-After, when it has one, replaces the backoff.
                Attempt::Answered {
                    response,
                    retry_after,
                } if response.status >= 500 && retries.is_some() => {
                    let told_wait = retry_after.map(Duration::from_secs);
                    if let Some(err) = told_wait.and_then(|wait| too_long(response.status, wait)) {
                        return Err(err);
                    }
                    (
                        format!("the server answered {}", response.status),
                        told_wait,
                    )
                }
                Attempt::Answered { response, .. } => match judge(response) {
                    Ok(value) => return Ok(value),
                    Err(Rejected::Stop(err)) => return Err(err.into()),
                    Err(Rejected::Retry(cause)) => (cause, None),
                },
                Attempt::Transport { summary, cause } => {
                    if retries.is_none() {
                        return Err(RequestError::Transport { summary, cause }.into());
                    }
                    (cause, None)
                }
                Attempt::TooLarge { status } => {
                    return Err(AnswerError::BodyTooLarge {
                        request: request.line(),
                        status,
                        limit: limits.max_body_bytes,
                    });
                }
            };
            let (allowed, first_backoff) =
                retries.map_or((0, Duration::ZERO), |r| (r.retries, r.backoff));
            failures += 1;
            if failures > allowed {
                return Err(RequestError::Failing {
                    cause,
                    attempts: failures,
                }
                .into());
            }
            let wait = told_wait.unwrap_or_else(|| backoff(first_backoff, failures));
            on_event(RequestEvent::Retrying {
                cause,
                retry: failures,
                of: allowed,
                wait,
            });
            self.sleep(wait).await;
        }
    }

    /// Refuses the next attempt when a budget, the share or (for anything but `GET`) the write cap is spent.
    fn check_budget(&self, method: Method) -> Result<(), RequestError> {
        if self.used >= self.policy.max_requests {
            return Err(RequestError::BudgetSpent {
                max: self.policy.max_requests,
            });
        }
        if self.used >= self.share_cap {
            return Err(RequestError::ShareSpent);
        }
        if method != Method::Get && self.writes >= self.write_cap {
            return Err(RequestError::WriteCapReached);
        }
        Ok(())
    }

    /// One request; its body read as it arrives, and no further than `max_body` bytes.
    async fn attempt(&self, request: &Request, url: &str, max_body: u64) -> Attempt {
        let mut builder = match request.method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url),
            Method::Patch => self.http.patch(url),
            Method::Delete => self.http.delete(url),
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
        let failed = |err: reqwest::Error| Attempt::Transport {
            summary: err.to_string(),
            cause: transport_cause(&err, self.policy.timeout),
        };
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return failed(err),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if response
            .content_length()
            .is_some_and(|length| length > max_body)
        {
            return Attempt::TooLarge { status };
        }
        // Chunk by chunk, never trusting a length: a chunked body has none, and it may never end.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > max_body {
                        return Attempt::TooLarge { status };
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(err) => return failed(err),
            }
        }
        Attempt::Answered {
            response: Response { status, body },
            retry_after,
        }
    }

    /// Waits until the pace allows the next request.
    async fn pace(&mut self, on_event: &mut dyn FnMut(RequestEvent)) {
        let Some(last) = self.last_sent else {
            return;
        };
        // Zero once the gap has passed already.
        let wait = (last + self.policy.gap()).saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            on_event(RequestEvent::Pacing { wait });
            self.sleep(wait).await;
        }
    }

    async fn sleep(&mut self, duration: Duration) {
        self.waited += duration;
        tokio::time::sleep(duration).await;
    }
}

/// The error of an exchange under [`AnswerLimits::NONE`], which no answer passes: always a [`RequestError`]. (Were
/// it not, the overrun is said as a failure all the same, never dropped.)
fn unlimited(err: AnswerError) -> RequestError {
    match err {
        AnswerError::Request(err) => err,
        overrun @ (AnswerError::BodyTooLarge { .. } | AnswerError::RetryAfterTooLong { .. }) => {
            RequestError::Failing {
                cause: overrun.to_string(),
                attempts: 1,
            }
        }
    }
}

/// The v2 429 body's `retryAfter`, in seconds.
fn retry_after_in_body(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["retryAfter"].as_u64())
}

/// The most useful text of an error body: its `message`, else its `error`, else the body (cut to 200 bytes).
fn error_message(body: &[u8]) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| v[name].as_str())
            .map(str::to_string)
    };
    field("message")
        .or_else(|| field("error"))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.chars().take(200).collect();
            if cut.len() < text.len() {
                format!("{cut}...")
            } else {
                cut
            }
        })
}

/// A transport error with its causes (reqwest's own message names only the request).
fn transport_cause(err: &reqwest::Error, timeout: Duration) -> String {
    let mut cause = if err.is_timeout() {
        format!("no answer within {timeout:?}")
    } else {
        "the connection failed".to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        cause.push_str(": ");
        cause.push_str(&inner.to_string());
        source = inner.source();
    }
    cause
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::Retries;

    /// A reply of the scripted server: bytes as they go on the wire, or a 200 whose chunked body goes on until
    /// the client stops reading (at most 256 MiB).
    enum Reply {
        Raw(String),
        Endless,
    }

    /// A server on a thread that gives each connection the next reply, and counts the requests and the bytes of
    /// endless bodies it managed to send.
    struct Scripted {
        url: String,
        requests: Arc<AtomicU64>,
        streamed: Arc<AtomicU64>,
    }

    fn scripted(replies: Vec<Reply>) -> Scripted {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU64::new(0));
        let streamed = Arc::new(AtomicU64::new(0));
        let (counted, sent) = (requests.clone(), streamed.clone());
        let replies = Mutex::new(replies.into_iter());
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                let mut head = Vec::new();
                let mut buf = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counted.fetch_add(1, Ordering::Relaxed);
                let Some(reply) = replies.lock().unwrap().next() else {
                    return;
                };
                match reply {
                    Reply::Raw(text) => {
                        let _ = socket.write_all(text.as_bytes());
                    }
                    Reply::Endless => {
                        let mut chunk = b"10000\r\n".to_vec();
                        chunk.resize(chunk.len() + 0x10000, b' ');
                        chunk.extend_from_slice(b"\r\n");
                        let _ = socket.write_all(
                            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                        );
                        while sent.load(Ordering::Relaxed) < 256 << 20
                            && socket.write_all(&chunk).is_ok()
                        {
                            sent.fetch_add(0x10000, Ordering::Relaxed);
                        }
                    }
                }
            }
        });
        Scripted {
            url,
            requests,
            streamed,
        }
    }

    /// An answer with this status, extra header lines and body, with its `Content-Length`.
    fn answer(status: u16, headers: &str, body: &str) -> Reply {
        Reply::Raw(format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
            body.len()
        ))
    }

    /// A 200 of `body` in chunks of 3 bytes, with no length.
    fn chunked(body: &str) -> Reply {
        let mut text = String::from(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        for piece in body.as_bytes().chunks(3) {
            text.push_str(&format!(
                "{:x}\r\n{}\r\n",
                piece.len(),
                String::from_utf8_lossy(piece)
            ));
        }
        text.push_str("0\r\n\r\n");
        Reply::Raw(text)
    }

    fn client(url: &str) -> Client {
        let mut policy = ClientPolicy::new("test");
        policy.retries = Some(Retries {
            retries: 2,
            backoff: Duration::from_millis(1),
        });
        Client::new(Target::new(url, "k"), policy).unwrap()
    }

    fn limits(max_body_bytes: u64, max_retry_after: u64) -> AnswerLimits {
        AnswerLimits {
            max_body_bytes,
            max_retry_after: Duration::from_secs(max_retry_after),
        }
    }

    /// `fetch_within` of `/p` from a server giving `replies`, its text as the value, and the events told.
    async fn fetch(
        replies: Vec<Reply>,
        limits: AnswerLimits,
    ) -> (Result<String, AnswerError>, Vec<RequestEvent>, Scripted) {
        let server = scripted(replies);
        let mut client = client(&server.url);
        let mut events = Vec::new();
        let parse = |body: &[u8]| Ok(String::from_utf8_lossy(body).into_owned());
        let got = client
            .fetch_within(&Request::get("/p", vec![]), limits, parse, &mut |e| {
                events.push(e)
            })
            .await;
        (got, events, server)
    }

    fn too_large(status: u16, limit: u64) -> AnswerError {
        AnswerError::BodyTooLarge {
            request: "GET /p".into(),
            status,
            limit,
        }
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_its_limit_and_not_past_it_with_a_length_or_without() {
        let body = "0123456789";
        for reply in [|| answer(200, "", "0123456789"), || chunked("0123456789")] {
            let (got, ..) = fetch(vec![reply()], limits(10, 0)).await;
            assert_eq!(got, Ok(body.to_string()));
            let (got, _, server) = fetch(vec![reply()], limits(9, 0)).await;
            assert_eq!(got, Err(too_large(200, 9)));
            // Not asked again, though the policy retries.
            assert_eq!(server.requests.load(Ordering::Relaxed), 1);
        }
        // Whatever the status: a 5xx's body is bounded too, and the 5xx is not retried then.
        let (got, _, server) = fetch(vec![answer(503, "", body)], limits(4, 0)).await;
        assert_eq!(got, Err(too_large(503, 4)));
        assert_eq!(server.requests.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_dropped_at_the_limit() {
        let (got, _, server) = fetch(vec![Reply::Endless], limits(1 << 20, 0)).await;
        assert_eq!(got, Err(too_large(200, 1 << 20)));
        let streamed = server.streamed.load(Ordering::Relaxed);
        // The limit, and what the sockets' buffers took.
        assert!(streamed < 32 << 20, "{streamed}");
    }

    #[tokio::test]
    async fn a_retry_after_is_waited_up_to_the_cap_and_a_longer_one_is_refused_at_once() {
        let limited = |retry_after: &str, body: &str| {
            answer(429, &format!("Retry-After: {retry_after}\r\n"), body)
        };
        let ok = || answer(200, "", "fine");
        // At the cap: waited.
        let (got, events, _) = fetch(vec![limited("1", ""), ok()], limits(100, 1)).await;
        assert_eq!(got, Ok("fine".into()));
        assert_eq!(
            events,
            [RequestEvent::RateLimited {
                wait: Duration::from_secs(1)
            }]
        );
        // Past it: refused, nothing waited, nothing told.
        let refused = |status, asked| AnswerError::RetryAfterTooLong {
            request: "GET /p".into(),
            status,
            asked: Duration::from_secs(asked),
            cap: Duration::from_secs(1),
        };
        let (got, events, server) = fetch(vec![limited("2", ""), ok()], limits(100, 1)).await;
        assert_eq!(got, Err(refused(429, 2)));
        assert!(events.is_empty());
        assert_eq!(server.requests.load(Ordering::Relaxed), 1);
        // The v2 body's retryAfter, and a retried 5xx's Retry-After.
        let (got, ..) = fetch(
            vec![answer(429, "", r#"{"retryAfter":30}"#), ok()],
            limits(100, 1),
        )
        .await;
        assert_eq!(got, Err(refused(429, 30)));
        let (got, ..) = fetch(
            vec![answer(503, "Retry-After: 7200\r\n", ""), ok()],
            limits(100, 1),
        )
        .await;
        assert_eq!(got, Err(refused(503, 7200)));
        // A 429 that asks nothing waits the default, or the cap when it is shorter.
        let (got, events, _) = fetch(vec![answer(429, "", ""), ok()], limits(100, 0)).await;
        assert_eq!(got, Ok("fine".into()));
        assert_eq!(
            events,
            [RequestEvent::RateLimited {
                wait: Duration::ZERO
            }]
        );
    }

    #[tokio::test]
    async fn fetch_and_send_take_no_limits() {
        let server = scripted(vec![answer(200, "", "0123456789"), answer(200, "", "abc")]);
        let mut client = client(&server.url);
        let parse = |body: &[u8]| Ok(body.len());
        let got = client
            .fetch(&Request::get("/p", vec![]), parse, &mut |_| {})
            .await;
        assert_eq!(got, Ok(10));
        let got = client
            .send(&Request::get("/p", vec![]), &mut |_| {})
            .await
            .unwrap();
        assert_eq!(got.body, b"abc");
        assert_eq!(
            unlimited(AnswerError::Request(RequestError::ShareSpent)),
            RequestError::ShareSpent
        );
        assert_eq!(
            unlimited(too_large(200, 9)),
            RequestError::Failing {
                cause: "the answer to GET /p is larger than 9 bytes".into(),
                attempts: 1
            }
        );
    }

    #[test]
    fn an_error_body_gives_its_message_or_error_or_its_text() {
        assert_eq!(
            error_message(
                br#"{"error":"Invalid query parameters provided.","message":"limit must be..."}"#
            ),
            "limit must be..."
        );
        assert_eq!(
            error_message(br#"{"error":"Unauthorized"}"#),
            "Unauthorized"
        );
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
        let long = "x".repeat(300);
        assert_eq!(
            error_message(long.as_bytes()),
            format!("{}...", "x".repeat(200))
        );
        assert_eq!(retry_after_in_body(br#"{"retryAfter":7}"#), Some(7));
        assert_eq!(retry_after_in_body(b"{}"), None);
    }
}
