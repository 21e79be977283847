//! Deliberately broken clients: a plain blocking reqwest client with one bug each, the kind found in real
//! integrations. The tests in `clients.rs` prove each is caught by the property that owns the broken rule.

use openmic_contract::{
    CallsPage, ClientError, ClientParams, ClientUnderTest, CreateCallParams, ErrorKind, WaitParams,
    format_bare_date, format_rfc3339_ms, parse_date,
};
use openmic_fixtures::CALL_FIELDS;
use serde_json::{Value, json};

/// One bug per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bug {
    /// Never sends `offset`.
    DropsOffset,
    /// Never sends `limit`: every page is the default 50.
    DropsLimit,
    /// `list_calls` sends its request five times (a retry loop that does not stop at a 200).
    ListsFiveTimes,
    /// Sends the `bot_id` filter as `agent_id`.
    AgentIdForBotId,
    /// Leaves `+` raw in the query string, where the server reads it as a space.
    PlusNotEncoded,
    /// Sends `limit=0` when no limit was asked for (a zero default).
    SendsLimitZero,
    /// `list_all` stops when a page is shorter than the page size it assumes (100 when none was given).
    StopsOnShortPage,
    /// `list_all` never advances `offset`, so `has_more` stays true forever.
    LoopsOnHasMore,
    /// `list_all` sends the key only with the first page.
    ForgetsAuthAfterFirstPage,
    /// `get_call` answers a 404 with an empty object.
    NotFoundIsEmpty,
    /// Reports every HTTP error as an error of kind `other` (its status kept).
    ErrorsOfNoKind,
    /// Retries a 429 at once, ignoring `Retry-After`.
    RetriesWithoutWaiting,
    /// Its call model has no `recording_url`.
    DropsRecordingUrl,
    /// Turns `duration_ms` into null.
    NullsDurationMs,
    /// Formats dates without their milliseconds.
    DropsMilliseconds,
    /// Formats dates as the wall time of UTC+01:00 with a `Z`, as a client that takes local time for UTC.
    ShiftsByLocalOffset,
    /// Sends only the date of a date-time.
    SendsDateOnly,
    /// Converts a date to UTC with its offset's sign lost: `-05:00` taken as `+05:00`.
    OffsetSignIgnored,
    /// `list_all` reads `total` from the first page and fetches `total / page size` pages, rounding down: it
    /// misses a last page that is not full.
    CountsPagesRoundingDown,
    /// Not a bug: retries a 429 after its `Retry-After`, and a 500 or a dropped connection at once, at most 3
    /// times. The contract allows it; the report says what it did.
    RetriesPolitely,
    /// Not a bug: a typed model with every documented field as an explicit `null` when absent and no room for
    /// undocumented ones. The contract accepts it; the report notes it.
    TypedWithoutExtras,
    /// Not a bug when the user says so: retries a 429 after its `Retry-After`, up to 4 times.
    RetriesFourTimes,
    /// `create_call` sends `to_number` without its `+`.
    DropsPlusFromNumber,
    /// `create_call` sends every optional field, `null` when not asked for.
    SendsNullOptionals,
    /// `create_call` sends its JSON as `text/plain`.
    PlainTextBody,
    /// `create_call` retries a 400 once.
    Retries400,
    /// `create_call` gives up on a 429 at once.
    GivesUpOn429,
    /// `create_call` retries a 5xx up to 3 times.
    RetriesCreateAfter500,
    /// `create_call` retries a dropped connection once.
    RetriesCreateAfterDrop,
    /// `create_call` posts to the collection, `/v1/calls`, as REST would have it.
    PostsToCalls,
    /// `create_call`, once a retried 429 is answered 201, posts once more (its loop tests the first answer).
    PostsAgainAfterRetried201,
    /// `create_call` returns any JSON answer as the call, a 4xx's included.
    CreateErrorsAsCalls,
    /// `create_call` reports every HTTP error as a transport error.
    CreateErrorsAllTransport,
    /// `create_call` retries a 429 at once, before its `Retry-After`.
    RetriesCreate429AtOnce,
    /// `create_call` sends no `Authorization` header.
    CreatesWithoutKey,
    /// `create_call` returns the body it sent, not the server's answer.
    ReturnsItsRequest,
    /// `create_call` takes only a 200 for success: the documented 201 is an error.
    Only200IsCreated,
    /// `wait_for_end` polls without pausing.
    PollsInTightLoop,
    /// `wait_for_end` waits until the call ends, whatever its deadline.
    IgnoresDeadline,
    /// `wait_for_end` stops only at `ended`, and keeps polling a call in `error`.
    StopsOnlyAtEnded,
    /// `wait_for_end` polls `GET /v1/calls/{id}`, REST's item of the collection, not the vendor's `/v1/call/{id}`.
    PollsCallsCollection,
    /// `wait_for_end` fetches the call once more after it ended (for its final version) and returns that.
    PollsOnceMoreAtEnd,
    /// `wait_for_end` gives up at its deadline with a transport error (a socket timeout's kind), not `deadline`.
    DeadlineAsTransport,
    /// `wait_for_end` takes a 404 for "not visible yet" and polls twice more before giving up.
    RetriesNotFound,
    /// `wait_for_end` turns a 404 into an error of kind `other`.
    WaitNotFoundAsOther,
}

/// A client with `bug`.
pub struct BrokenClient {
    http: reqwest::blocking::Client,
    base_url: String,
    api_key: String,
    bug: Bug,
}

impl BrokenClient {
    pub fn new(base_url: &str, api_key: &str, bug: Bug) -> Self {
        Self {
            http: reqwest::blocking::Client::new(),
            base_url: base_url.to_string(),
            api_key: api_key.to_string(),
            bug,
        }
    }

    fn query_string(&self, params: &ClientParams) -> String {
        let mut pairs = params.pairs();
        if self.bug == Bug::SendsLimitZero && params.limit.is_none() {
            pairs.push(("limit", "0".into()));
        }
        pairs
            .into_iter()
            .filter(|(k, _)| !(self.bug == Bug::DropsOffset && *k == "offset"))
            .filter(|(k, _)| !(self.bug == Bug::DropsLimit && *k == "limit"))
            .map(|(k, v)| {
                let name = if self.bug == Bug::AgentIdForBotId && k == "bot_id" {
                    "agent_id"
                } else {
                    k
                };
                let v = if k == "from_date" || k == "to_date" {
                    self.date(&v)
                } else {
                    v
                };
                let mut value: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
                if self.bug == Bug::PlusNotEncoded {
                    value = value.replace("%2B", "+");
                }
                format!("{name}={value}")
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A date parameter as this client formats it.
    fn date(&self, value: &str) -> String {
        let Some(ms) = parse_date(value) else {
            return value.to_string();
        };
        match self.bug {
            Bug::DropsMilliseconds => format!("{}Z", &format_rfc3339_ms(ms)[..19]),
            Bug::ShiftsByLocalOffset => format_rfc3339_ms(ms + 3_600_000),
            Bug::SendsDateOnly => format_bare_date(ms),
            Bug::OffsetSignIgnored => {
                let unsigned = match value.len().checked_sub(6) {
                    Some(i) if value.as_bytes()[i] == b'-' => {
                        format!("{}+{}", &value[..i], &value[i + 1..])
                    }
                    _ => value.to_string(),
                };
                parse_date(&unsigned).map_or_else(|| value.to_string(), format_rfc3339_ms)
            }
            _ => value.to_string(),
        }
    }

    fn get(&self, path_and_query: &str, auth: bool) -> Result<Value, ClientError> {
        let mut attempts = 0;
        loop {
            let mut request = self.http.get(format!("{}{path_and_query}", self.base_url));
            if auth {
                request = request.bearer_auth(&self.api_key);
            }
            let polite = self.bug == Bug::RetriesPolitely && attempts < 3;
            let response = match request.send() {
                Ok(response) => response,
                Err(_) if polite => {
                    attempts += 1;
                    continue;
                }
                Err(e) => return Err(ClientError::new(ErrorKind::Transport, e.to_string())),
            };
            let status = response.status().as_u16();
            if polite && (status == 429 || status >= 500) {
                let wait: u64 = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                std::thread::sleep(std::time::Duration::from_secs(wait));
                attempts += 1;
                continue;
            }
            if status == 429 && self.bug == Bug::RetriesFourTimes && attempts < 4 {
                std::thread::sleep(std::time::Duration::from_secs(1));
                attempts += 1;
                continue;
            }
            if status == 429 && self.bug == Bug::RetriesWithoutWaiting && attempts < 2 {
                attempts += 1;
                continue;
            }
            if status != 200 && self.bug == Bug::ErrorsOfNoKind {
                return Err(ClientError {
                    kind: ErrorKind::Other,
                    status: Some(status),
                    message: response.text().unwrap_or_default(),
                });
            }
            if status != 200 {
                return Err(ClientError::from_status(
                    status,
                    response.text().unwrap_or_default(),
                ));
            }
            return response
                .json()
                .map_err(|e| ClientError::new(ErrorKind::Other, e.to_string()));
        }
    }

    fn model(&self, mut call: Value) -> Value {
        if let Some(map) = call.as_object_mut() {
            match self.bug {
                Bug::DropsRecordingUrl => {
                    map.remove("recording_url");
                }
                Bug::NullsDurationMs => {
                    if let Some(duration) = map.get_mut("duration_ms") {
                        *duration = Value::Null;
                    }
                }
                Bug::TypedWithoutExtras => {
                    map.retain(|k, _| CALL_FIELDS.contains(&k.as_str()));
                    for field in CALL_FIELDS {
                        map.entry(field.to_string()).or_insert(Value::Null);
                    }
                }
                _ => {}
            }
        }
        call
    }

    fn page(&self, params: &ClientParams, auth: bool) -> Result<CallsPage, ClientError> {
        let body = self.get(&format!("/v1/calls?{}", self.query_string(params)), auth)?;
        Ok(CallsPage {
            calls: body["calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|c| self.model(c))
                .collect(),
            pagination: body["pagination"].clone(),
        })
    }
}

impl BrokenClient {
    fn post_create(&self, body: &Value) -> Result<reqwest::blocking::Response, reqwest::Error> {
        let mut body = body.clone();
        if self.bug == Bug::DropsPlusFromNumber {
            let to = body["to_number"]
                .as_str()
                .unwrap_or("")
                .trim_start_matches('+')
                .to_string();
            body["to_number"] = json!(to);
        }
        if self.bug == Bug::SendsNullOptionals {
            for field in ["override_agent_id", "customer_id", "dynamic_variables"] {
                body.as_object_mut()
                    .unwrap()
                    .entry(field)
                    .or_insert(Value::Null);
            }
        }
        let content_type = if self.bug == Bug::PlainTextBody {
            "text/plain"
        } else {
            "application/json"
        };
        let path = if self.bug == Bug::PostsToCalls {
            "/v1/calls"
        } else {
            "/v1/create-phone-call"
        };
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", content_type)
            .body(body.to_string());
        if self.bug != Bug::CreatesWithoutKey {
            request = request.bearer_auth(&self.api_key);
        }
        request.send()
    }
}

impl ClientUnderTest for BrokenClient {
    fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
        let body = params.to_json();
        let mut retries = 0;
        loop {
            let response = match self.post_create(&body) {
                Ok(response) => response,
                Err(_) if self.bug == Bug::RetriesCreateAfterDrop && retries < 1 => {
                    retries += 1;
                    continue;
                }
                Err(e) => return Err(ClientError::new(ErrorKind::Transport, e.to_string())),
            };
            let status = response.status().as_u16();
            let retry = match status {
                429 => self.bug != Bug::GivesUpOn429 && retries < 3,
                400 => self.bug == Bug::Retries400 && retries < 1,
                500..=599 => self.bug == Bug::RetriesCreateAfter500 && retries < 3,
                _ => false,
            };
            if retry {
                if status == 429 && self.bug != Bug::RetriesCreate429AtOnce {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                retries += 1;
                continue;
            }
            if self.bug == Bug::CreateErrorsAllTransport && !response.status().is_success() {
                return Err(ClientError::new(
                    ErrorKind::Transport,
                    format!("HTTP {status}"),
                ));
            }
            if (!response.status().is_success() && self.bug != Bug::CreateErrorsAsCalls)
                || (self.bug == Bug::Only200IsCreated && status != 200)
            {
                return Err(ClientError::from_status(
                    status,
                    response.text().unwrap_or_default(),
                ));
            }
            if self.bug == Bug::PostsAgainAfterRetried201 && retries == 1 {
                retries += 1;
                continue;
            }
            if self.bug == Bug::ReturnsItsRequest {
                return Ok(body);
            }
            return response
                .json()
                .map_err(|e| ClientError::new(ErrorKind::Other, e.to_string()));
        }
    }

    fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
        let started = std::time::Instant::now();
        let mut not_found = 0;
        loop {
            let path = if self.bug == Bug::PollsCallsCollection {
                format!("/v1/calls/{call_id}")
            } else {
                format!("/v1/call/{call_id}")
            };
            let call = match self.get(&path, true) {
                Err(e)
                    if e.kind == ErrorKind::NotFound
                        && self.bug == Bug::RetriesNotFound
                        && not_found < 2 =>
                {
                    not_found += 1;
                    std::thread::sleep(wait.min_interval);
                    continue;
                }
                Err(e) if e.kind == ErrorKind::NotFound && self.bug == Bug::WaitNotFoundAsOther => {
                    return Err(ClientError::new(ErrorKind::Other, "gone"));
                }
                other => other?,
            };
            let status = call["call_status"].as_str().unwrap_or("");
            let done = if self.bug == Bug::StopsOnlyAtEnded {
                status == "ended"
            } else {
                status == "ended" || status == "error"
            };
            if done && self.bug == Bug::PollsOnceMoreAtEnd {
                std::thread::sleep(wait.min_interval);
                return self.get(&path, true);
            }
            if done {
                return Ok(call);
            }
            if self.bug != Bug::IgnoresDeadline
                && started.elapsed() + wait.min_interval > wait.timeout
            {
                let kind = if self.bug == Bug::DeadlineAsTransport {
                    ErrorKind::Transport
                } else {
                    ErrorKind::Deadline
                };
                return Err(ClientError::new(kind, "still going"));
            }
            if self.bug != Bug::PollsInTightLoop {
                std::thread::sleep(wait.min_interval);
            }
        }
    }

    fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError> {
        if self.bug == Bug::ListsFiveTimes {
            for _ in 0..4 {
                self.page(params, true)?;
            }
        }
        self.page(params, true)
    }

    fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError> {
        match self.get(&format!("/v1/call/{call_id}"), true) {
            Err(e) if e.kind == ErrorKind::NotFound && self.bug == Bug::NotFoundIsEmpty => {
                Ok(json!({}))
            }
            other => other.map(|c| self.model(c)),
        }
    }

    fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
        if self.bug == Bug::CountsPagesRoundingDown {
            let size = params.limit.unwrap_or(50);
            let mut params = params.clone();
            params.limit = Some(size);
            params.offset = Some(0);
            let first = self.page(&params, true)?;
            let total = first.pagination["total"].as_u64().unwrap_or(0);
            let mut calls = first.calls;
            for page in 1..(total / size).max(1) {
                params.offset = Some(page * size);
                calls.extend(self.page(&params, true)?.calls);
            }
            return Ok(calls);
        }
        let page_size = params.limit.unwrap_or(100) as usize;
        let mut params = params.clone();
        let mut offset = 0;
        let mut calls = Vec::new();
        for page_number in 0.. {
            params.offset = Some(offset);
            let auth = !(self.bug == Bug::ForgetsAuthAfterFirstPage && page_number > 0);
            let page = self.page(&params, auth)?;
            let got = page.calls.len();
            calls.extend(page.calls);
            if self.bug != Bug::LoopsOnHasMore {
                offset += got as u64;
            }
            if self.bug == Bug::StopsOnShortPage && got < page_size {
                break;
            }
            if page.pagination["has_more"] != Value::Bool(true) {
                break;
            }
        }
        Ok(calls)
    }
}
