//! What a client under test looks like to the kit: the [`ClientUnderTest`] trait, the parameters the kit asks
//! it to send ([`ClientParams`], with the vendor's names), what it returns ([`CallsPage`], calls as JSON) and
//! how it fails ([`ClientError`] with an [`ErrorKind`]).
//!
//! Calls travel as `serde_json::Value` rather than a typed model on purpose: the kit compares what the client
//! decoded with what the mock served field for field, so a typed client serializes its own model back to JSON
//! and the comparison sees exactly what its model kept, lost or changed. An adapter in another language answers
//! the same JSON over its pipe ([`crate::client::adapter`]).

use std::time::Duration;

use serde_json::{Map, Value, json};

/// The List Calls parameters the kit asks a client to send: only those set are sent, each under the vendor's
/// name. Strings are passed through as given (awkward ones included), so the client's encoding is what is tested.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientParams {
    /// `limit` (the vendor allows 1..=100).
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// `customer_id`, exact match.
    pub customer_id: Option<String>,
    /// `from_number`, exact match.
    pub from_number: Option<String>,
    /// `to_number`, exact match.
    pub to_number: Option<String>,
    /// `bot_id`, matched against the call's `agent_id`.
    pub bot_id: Option<String>,
    /// `call_status`.
    pub call_status: Option<String>,
    /// `call_type`.
    pub call_type: Option<String>,
    /// `from_date`, an RFC 3339 string.
    pub from_date: Option<String>,
    /// `to_date`, an RFC 3339 string.
    pub to_date: Option<String>,
}

impl ClientParams {
    /// The parameters as decoded `(name, value)` pairs, in the vendor's order: what the server must receive.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(offset) = self.offset {
            pairs.push(("offset", offset.to_string()));
        }
        for (name, value) in self.strings() {
            if let Some(value) = value {
                pairs.push((name, value.clone()));
            }
        }
        pairs
    }

    fn strings(&self) -> [(&'static str, &Option<String>); 8] {
        [
            ("customer_id", &self.customer_id),
            ("from_number", &self.from_number),
            ("to_number", &self.to_number),
            ("bot_id", &self.bot_id),
            ("call_status", &self.call_status),
            ("call_type", &self.call_type),
            ("from_date", &self.from_date),
            ("to_date", &self.to_date),
        ]
    }

    /// The parameters as a query string, percent-encoded as they should go on the wire (`limit=5&bot_id=a%2Bb`),
    /// or `no parameters`. Reports show the input as the client was given it ([`ClientParams::to_json`]), not this.
    pub fn query_string(&self) -> String {
        let pairs = self.pairs();
        if pairs.is_empty() {
            return "no parameters".into();
        }
        pairs
            .iter()
            .map(|(k, v)| {
                let v: String = v
                    .bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect();
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The adapter protocol's `params` object: `limit` and `offset` as numbers, everything else as strings.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(limit) = self.limit {
            map.insert("limit".into(), json!(limit));
        }
        if let Some(offset) = self.offset {
            map.insert("offset".into(), json!(offset));
        }
        for (name, value) in self.strings() {
            if let Some(value) = value {
                map.insert(name.into(), json!(value));
            }
        }
        Value::Object(map)
    }
}

/// What the kit asks a client to create with create-phone-call: the body's fields, under the vendor's names.
/// Only those set are to be sent, each exactly as given (numbers in E.164, never reformatted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateCallParams {
    /// `from_number`, a number of the account, E.164.
    pub from_number: String,
    /// `to_number`, E.164.
    pub to_number: String,
    /// `override_agent_id`.
    pub override_agent_id: Option<String>,
    /// `customer_id`.
    pub customer_id: Option<String>,
    /// `dynamic_variables`, an object.
    pub dynamic_variables: Option<Map<String, Value>>,
}

impl CreateCallParams {
    /// The body the server must receive, and the adapter protocol's `params` object.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("from_number".into(), json!(self.from_number));
        map.insert("to_number".into(), json!(self.to_number));
        let optional = [
            (
                "override_agent_id",
                self.override_agent_id.clone().map(Value::from),
            ),
            ("customer_id", self.customer_id.clone().map(Value::from)),
            (
                "dynamic_variables",
                self.dynamic_variables.clone().map(Value::Object),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value);
            }
        }
        Value::Object(map)
    }
}

/// How `wait_for_end` may poll a call: never more often than every `min_interval`, and for at most `timeout`
/// before giving up with [`ErrorKind::Deadline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitParams {
    /// The least time between two polls.
    pub min_interval: Duration,
    /// How long to wait for the call to end, from the first poll.
    pub timeout: Duration,
}

/// What List Calls returned, as the client decoded it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsPage {
    /// The calls, each serialized back to JSON by the client.
    pub calls: Vec<Value>,
    /// The `pagination` object (`limit`, `offset`, `total`, `has_more`).
    pub pagination: Value,
}

/// How a request failed, in the categories a caller acts on differently (re-authenticate, fix the request,
/// treat as absent, wait and retry, retry later, check the network, report a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401: the key is missing, wrong or expired.
    Unauthorized,
    /// 400: the parameters were rejected (or the client refused to send them).
    BadRequest,
    /// 404: no such call.
    NotFound,
    /// 429: too many requests; `Retry-After` says how long to wait.
    RateLimited,
    /// 5xx.
    Server,
    /// No HTTP answer at all: refused, reset or timed-out connection.
    Transport,
    /// Anything else (an undecodable body, say).
    Other,
    /// Not a failure on the wire: `wait_for_end` reached its deadline with the call still going.
    Deadline,
    /// Not a failure on the wire: the client has no such operation (only `list_all` is optional).
    Unsupported,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Unauthorized,
        ErrorKind::BadRequest,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Transport,
        ErrorKind::Other,
        ErrorKind::Deadline,
        ErrorKind::Unsupported,
    ];

    /// The adapter protocol's spelling (`unauthorized`, `bad_request`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Transport => "transport",
            ErrorKind::Other => "other",
            ErrorKind::Deadline => "deadline",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    /// The kind spelled `text`, if any.
    pub fn parse(text: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The kind a client should report for an HTTP error status, as the contract documents them.
    pub fn for_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthorized,
            400 => ErrorKind::BadRequest,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Other,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client's failure: its kind, the HTTP status when there was one, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// Free text (the vendor's `error`/`message`, an I/O error, ...).
    pub message: String,
}

impl ClientError {
    /// An error of `kind` with a message and no status.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// The error for an HTTP error answer: the kind follows from the status.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::for_status(status),
            status: Some(status),
            message: message.into(),
        }
    }

    /// "This client has no such operation": the default of [`ClientUnderTest::list_all`].
    pub fn unsupported() -> Self {
        Self::new(ErrorKind::Unsupported, "not supported by this client")
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} (HTTP {status}): {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

impl std::error::Error for ClientError {}

/// A client to check: your own API wrapper behind a few methods (the last ones optional). The kit calls them one at a time and reads
/// the mock's journal to see what went over the wire.
pub trait ClientUnderTest {
    /// Lists one page with exactly these parameters.
    fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError>;

    /// Fetches one call by id.
    fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError>;

    /// The client's own pagination helper: every call matching `params` (whose `limit` is the page size),
    /// across as many pages as needed. Optional: the default says it is unsupported and the property is skipped.
    fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
        let _ = params;
        Err(ClientError::unsupported())
    }

    /// Creates an outbound call with create-phone-call: one `POST /v1/create-phone-call` whose JSON body holds
    /// exactly `params`, never retried after a 5xx or a dropped connection (the call may have been placed) unless
    /// the client makes that safe. Returns the created call as decoded. Optional: the default says it is
    /// unsupported and the create properties are skipped.
    fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
        let _ = params;
        Err(ClientError::unsupported())
    }

    /// Follows a call to its end: polls `GET /v1/call/{call_id}` no more often than `wait.min_interval` until
    /// its `call_status` is `ended` or `error`, and returns that call; gives up with [`ErrorKind::Deadline`]
    /// once `wait.timeout` has passed. Optional, as `create_call`.
    fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
        let _ = (call_id, wait);
        Err(ClientError::unsupported())
    }

    /// Why the client could not run at all, if it could not (an adapter that exited before its first answer):
    /// the kit then stops with a start-up error instead of failing every property for the same reason. Asked
    /// after a property fails; the default is that a client always starts.
    fn start_failure(&mut self) -> Option<String> {
        None
    }
}

impl<T: ClientUnderTest + ?Sized> ClientUnderTest for Box<T> {
    fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError> {
        (**self).list_calls(params)
    }

    fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError> {
        (**self).get_call(call_id)
    }

    fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
        (**self).list_all(params)
    }

    fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
        (**self).create_call(params)
    }

    fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
        (**self).wait_for_end(call_id, wait)
    }

    fn start_failure(&mut self) -> Option<String> {
        (**self).start_failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client whose every answer names the operation and its input.
    struct Echo;

    impl ClientUnderTest for Echo {
        fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError> {
            Ok(CallsPage {
                calls: vec![json!(format!("list_calls {:?}", params.limit))],
                pagination: json!({}),
            })
        }
        fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError> {
            Ok(json!(format!("get_call {call_id}")))
        }
        fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
            Ok(vec![json!(format!("list_all {:?}", params.limit))])
        }
        fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
            Ok(json!(format!("create_call {}", params.to_number)))
        }
        fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
            Ok(json!(format!("wait_for_end {call_id} {:?}", wait.timeout)))
        }
        fn start_failure(&mut self) -> Option<String> {
            Some("start_failure".into())
        }
    }

    #[test]
    fn a_boxed_client_is_the_client_it_boxes_for_every_operation() {
        let mut boxed: Box<dyn ClientUnderTest> = Box::new(Echo);
        let params = ClientParams {
            limit: Some(7),
            ..ClientParams::default()
        };
        let create = CreateCallParams {
            to_number: "+15550001111".into(),
            ..CreateCallParams::default()
        };
        let wait = WaitParams {
            min_interval: Duration::from_millis(1),
            timeout: Duration::from_secs(9),
        };
        assert_eq!(
            boxed.list_calls(&params).unwrap().calls,
            [json!("list_calls Some(7)")]
        );
        assert_eq!(boxed.get_call("c1").unwrap(), json!("get_call c1"));
        assert_eq!(
            boxed.list_all(&params).unwrap(),
            [json!("list_all Some(7)")]
        );
        assert_eq!(
            boxed.create_call(&create).unwrap(),
            json!("create_call +15550001111")
        );
        assert_eq!(
            boxed.wait_for_end("c2", &wait).unwrap(),
            json!("wait_for_end c2 9s")
        );
        assert_eq!(boxed.start_failure().as_deref(), Some("start_failure"));
    }

    #[test]
    fn every_error_kind_round_trips_through_its_protocol_spelling() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::parse("teapot"), None);
    }

    #[test]
    fn params_json_has_numbers_for_limit_and_offset_and_strings_otherwise() {
        let params = ClientParams {
            limit: Some(5),
            offset: Some(0),
            from_number: Some("+1 555".into()),
            ..ClientParams::default()
        };
        assert_eq!(
            params.to_json(),
            json!({"limit": 5, "offset": 0, "from_number": "+1 555"})
        );
        assert_eq!(
            params.query_string(),
            "limit=5&offset=0&from_number=%2B1%20555"
        );
        assert_eq!(ClientParams::default().query_string(), "no parameters");
        assert_eq!(
            params.pairs(),
            [
                ("limit", "5".to_string()),
                ("offset", "0".to_string()),
                ("from_number", "+1 555".to_string())
            ]
        );
    }
}
