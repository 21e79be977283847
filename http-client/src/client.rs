//! The [`Client`]: one request at a time to one [`Target`], every attempt counted against a budget (and, for
//! anything but `GET`, a write cap), starts spaced to a pace, `429 Retry-After` waited out, transient failures
//! retried with backoff when the [`ClientPolicy`] says so. It tells its caller what it waits for through
//! [`RequestEvent`]s.

use std::time::{Duration, Instant};

use crate::error::RequestError;
use crate::policy::{ClientPolicy, DEFAULT_RETRY_AFTER, backoff};
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

    /// Sends `request` and returns the answer, whatever its status, except that a 429 is waited out
    /// ([`crate::On429`]) and, when the policy retries transient failures, a 5xx or a dropped connection is
    /// retried with backoff.
    pub async fn send(
        &mut self,
        request: &Request,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<Response, RequestError> {
        self.exchange(request, Ok, on_event).await
    }

    /// Sends `request` until a 200 comes whose body `parse` takes. A body `parse` refuses (its `Err` is the
    /// cause, as shown) is a transient failure, like a 5xx; any status other than 200, 429 and a retried 5xx is
    /// [`RequestError::Refused`] at once, with the body's message.
    pub async fn fetch<T>(
        &mut self,
        request: &Request,
        parse: impl Fn(&[u8]) -> Result<T, String>,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<T, RequestError> {
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
        self.exchange(request, judge, on_event).await
    }

    /// The one loop behind [`Client::send`] and [`Client::fetch`]: `judge` gets each answer that is neither a
    /// 429 nor a 5xx the policy retries.
    async fn exchange<T>(
        &mut self,
        request: &Request,
        judge: impl Fn(Response) -> Result<T, Rejected>,
        on_event: &mut dyn FnMut(RequestEvent),
    ) -> Result<T, RequestError> {
        let url = format!("{}{}", self.target.base_url, request.path_and_query());
        let retries = self.policy.retries;
        let mut failures = 0_u32;
        let mut limited = 0_u32;
        loop {
            self.check_budget(request.method)?;
            self.pace(on_event).await;
            self.used += 1;
            if request.method != Method::Get {
                self.writes += 1;
            }
            self.last_sent = Some(Instant::now());
            let (cause, told_wait) = match self.attempt(request, &url).await {
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
                        });
                    }
                    let wait = retry_after
                        .or_else(|| retry_after_in_body(&response.body))
                        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
                    on_event(RequestEvent::RateLimited { wait });
                    self.sleep(wait).await;
                    if last {
                        return Err(RequestError::RateLimited {
                            retries: on_429.retries,
                        });
                    }
                    continue;
                }
                // A 5xx's own Retry-After, when it has one, replaces the backoff.
                Attempt::Answered {
                    response,
                    retry_after,
                } if response.status >= 500 && retries.is_some() => (
                    format!("the server answered {}", response.status),
                    retry_after.map(Duration::from_secs),
                ),
                Attempt::Answered { response, .. } => match judge(response) {
                    Ok(value) => return Ok(value),
                    Err(Rejected::Stop(err)) => return Err(err),
                    Err(Rejected::Retry(cause)) => (cause, None),
                },
                Attempt::Transport { summary, cause } => {
                    if retries.is_none() {
                        return Err(RequestError::Transport { summary, cause });
                    }
                    (cause, None)
                }
            };
            let (allowed, first_backoff) =
                retries.map_or((0, Duration::ZERO), |r| (r.retries, r.backoff));
            failures += 1;
            if failures > allowed {
                return Err(RequestError::Failing {
                    cause,
                    attempts: failures,
                });
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

    async fn attempt(&self, request: &Request, url: &str) -> Attempt {
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
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return failed(err),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match response.bytes().await {
            Ok(body) => Attempt::Answered {
                response: Response {
                    status,
                    body: body.to_vec(),
                },
                retry_after,
            },
            Err(err) => failed(err),
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
    use super::*;

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
