//! `POST /v1/create-phone-call`: the body read and checked in two stages, like the list's query string (the
//! raw JSON object's entries, then a [`CreateRequest`] the data set trusts), and the new call answered with 201.
//!
//! What the data set decides (whether `from_number` is the account's, which agent speaks, the id, how the
//! call plays out) is in [`crate::data::sets::DataSets::create`] and [`crate::time::lifecycle`].

use std::fmt;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::api::error::ApiError;
use crate::api::query::MAX_NAMED_UNKNOWN;
use crate::body::{add_warning, json_bytes_response};
use crate::data::create::{CreateError, CreateRequest};
use crate::state::{ApiKey, AppState};
use crate::text::shown;
use openmic_fixtures::is_e164;

/// The largest create-phone-call body read; a larger one is a 413.
pub const MAX_CREATE_BODY_BYTES: usize = 64 * 1024;

/// The fields of the vendor's `CreateCallRequest`, in its order.
pub const CREATE_FIELDS: [&str; 6] = [
    "from_number",
    "to_number",
    "override_agent_id",
    "customer_id",
    "dynamic_variables",
    "callback_url",
];

/// How many account numbers a "not a number of this account" message lists.
const LISTED_NUMBERS: usize = 10;

/// `POST /v1/create-phone-call`.
pub(crate) async fn create_phone_call(
    key: ApiKey,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let bytes = json_body(request).await.map_err(|err| match err {
        BodyError::TooLarge => ApiError::PayloadTooLarge(MAX_CREATE_BODY_BYTES),
        BodyError::TimedOut(why) => ApiError::BodyTimedOut(why),
        BodyError::Problem(problem) => ApiError::InvalidRequest(vec![problem]),
    })?;
    let body = CreateBody::parse(&bytes)?;
    if state.config().strict && !body.unknown.is_empty() {
        return Err(ApiError::InvalidRequest(
            body.unknown
                .iter()
                .map(|k| {
                    format!(
                        "{}: is not a field of CreateCallRequest (strict mode)",
                        shown(k)
                    )
                })
                .collect(),
        ));
    }
    let unknown = body.unknown.clone();
    let request = body.request;
    let data_state = state.clone();
    // Adding a call indexes the data set again: off the threads that serve requests.
    let created = tokio::task::spawn_blocking(move || data_state.data().create(&key.0, request))
        .await
        .map_err(|_| ApiError::Internal)?;
    if let Err(CreateError::TooManyLive {
        live,
        scope,
        flag,
        retry_after_ms,
    }) = &created
    {
        let secs = retry_after_ms.div_ceil(1_000);
        let message = format!(
            "{live} calls are in progress {scope}, the most the mock allows at once ({flag}); the first of \
             them ends in {}",
            crate::text::seconds(secs)
        );
        return Ok(crate::api::error::rate_limited_response(secs, &message));
    }
    let json = created.map_err(|err| match err {
        CreateError::NotAccountNumber { number, known } => {
            let listed: Vec<&str> = known.iter().take(LISTED_NUMBERS).map(String::as_str).collect();
            let more = known.len().saturating_sub(LISTED_NUMBERS);
            ApiError::InvalidRequest(vec![format!(
                "from_number: must be a number purchased from OpenMic (one of this account's), got {}; \
                 this account's numbers (GET /v1/phone-numbers) are {}{}; add more with --phone-number \
                 or PUT /__admin/phone-numbers/{{id}}",
                shown(&number),
                if listed.is_empty() { "none".to_string() } else { listed.join(", ") },
                if more > 0 { format!(" and {more} more") } else { String::new() },
            )])
        }
        CreateError::AgentNotFound(_) => ApiError::AgentNotFound,
        CreateError::NoLinkedAgent { number, .. } => ApiError::InvalidRequest(vec![format!(
            "from_number: {number} has no outbound agent; link one with POST \
             /v1/phone-numbers/link-agent (direction outbound or both) or send override_agent_id"
        )]),
        // The key's tenant was removed between authentication and the create.
        CreateError::TenantNotFound(_) => ApiError::Unauthorized,
        CreateError::Store(problems) => {
            tracing::error!(%problems, "the store refused a created call");
            ApiError::Internal
        }
        // Answered above.
        CreateError::TooManyLive { .. } => ApiError::Internal,
    })?;
    let mut response = json_bytes_response(StatusCode::CREATED, json.as_bytes().to_vec());
    warn_unknown_fields(&mut response, "CreateCallRequest", &unknown);
    Ok(response)
}

/// Names the ignored fields of a request body in `X-Mock-Warning` (`ignored unknown fields of <of>: "a", "b"`),
/// the first [`MAX_NAMED_UNKNOWN`] and then how many more; nothing when there are none.
pub(crate) fn warn_unknown_fields(response: &mut Response, of: &str, unknown: &[String]) {
    if unknown.is_empty() {
        return;
    }
    let mut names: Vec<String> = unknown
        .iter()
        .take(MAX_NAMED_UNKNOWN)
        .map(|k| shown(k))
        .collect();
    if unknown.len() > MAX_NAMED_UNKNOWN {
        names.push(format!("and {} more", unknown.len() - MAX_NAMED_UNKNOWN));
    }
    add_warning(
        response,
        &format!("ignored unknown fields of {of}: {}", names.join(", ")),
    );
}

/// Why a JSON request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than [`MAX_CREATE_BODY_BYTES`].
    TooLarge,
    /// Not all there within the body read timeout.
    TimedOut(crate::net::deadline::BodyTimedOut),
    /// Not sent as JSON, or not a JSON object (`field: rule`).
    Problem(String),
}

/// The body of a request that must carry JSON (`POST /v1/create-phone-call`, the bot and phone-number
/// writes): its `Content-Type` checked, at most [`MAX_CREATE_BODY_BYTES`] read.
pub(crate) async fn json_body(request: Request) -> Result<axum::body::Bytes, BodyError> {
    let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
    if !is_json(content_type.as_ref()) {
        let found = content_type.as_ref().map_or_else(
            || "none".to_string(),
            |v| shown(&String::from_utf8_lossy(v.as_bytes())),
        );
        return Err(BodyError::Problem(format!(
            "Content-Type: must be application/json, got {found}"
        )));
    }
    axum::body::to_bytes(request.into_body(), MAX_CREATE_BODY_BYTES)
        .await
        .map_err(|err| {
            if let Some(timed_out) = crate::net::deadline::BodyTimedOut::find(&err) {
                BodyError::TimedOut(timed_out)
            } else if std::error::Error::source(&err)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            {
                BodyError::TooLarge
            } else {
                BodyError::Problem(format!("body: could not be read ({err})"))
            }
        })
}

/// A JSON object's entries in body order, repeats kept; a body that is not one is `body: ...`. The body of a
/// `noun` (the record it becomes: `call`, `bot`) is held to the loader's rules for a record's text too: at most
/// [`openmic_fixtures::MAX_CALL_DEPTH`] levels, no key repeated inside a nested object (the handlers name a
/// repeated top-level field themselves), no lone surrogate escape; so what the API accepts, a fixture file holds.
pub(crate) fn object_entries(
    bytes: &[u8],
    noun: &str,
) -> Result<Vec<(String, Value)>, Vec<String>> {
    let text_problems = || {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        openmic_fixtures::record_text_problems(text, noun)
            .into_iter()
            .filter(|problem| !problem.top_level_repeat)
            .map(|problem| {
                let field = if problem.field.is_empty() {
                    "body"
                } else {
                    &problem.field
                };
                format!("{field}: {}", problem.message)
            })
            .collect::<Vec<_>>()
    };
    let entries = match serde_json::from_slice::<Entries>(bytes) {
        Ok(entries) => entries.0,
        Err(err) if err.is_data() => return Err(vec!["body: must be a JSON object".to_string()]),
        // Nesting past serde_json's own limit (128): the loader's message for it, naming the field.
        Err(err) if err.to_string().starts_with("recursion limit exceeded") => {
            let deep = text_problems();
            return Err(if deep.is_empty() {
                vec![format!("body: is not valid JSON ({err})")]
            } else {
                deep
            });
        }
        Err(err) => return Err(vec![format!("body: is not valid JSON ({err})")]),
    };
    let problems = text_problems();
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// Whether a `Content-Type` is `application/json`, parameters (such as `charset=utf-8`) allowed.
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A create-phone-call body: the request, and the keys it does not know.
#[derive(Debug)]
pub struct CreateBody {
    /// The checked request.
    pub request: CreateRequest,
    /// Keys that are not fields of `CreateCallRequest`, in body order.
    pub unknown: Vec<String>,
}

impl CreateBody {
    /// Reads and checks a body; every broken rule is named (`field: rule`), in field order.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let entries = object_entries(bytes, "call").map_err(ApiError::InvalidRequest)?;
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut fields: [Option<&Value>; 6] = [None; 6];
        for (key, value) in &entries {
            if seen.contains(&key.as_str()) {
                problems.push(format!("{}: is given more than once", shown(key)));
                continue;
            }
            seen.push(key);
            match CREATE_FIELDS.iter().position(|f| f == key) {
                Some(i) => fields[i] = Some(value),
                None => unknown.push(key.clone()),
            }
        }
        let [from, to, agent, customer, variables, callback] = fields;
        let from_number = phone_number("from_number", from, &mut problems);
        let to_number = phone_number("to_number", to, &mut problems);
        let override_agent_id = string("override_agent_id", agent, &mut problems);
        let customer_id = string("customer_id", customer, &mut problems);
        let dynamic_variables = match variables {
            None => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(other) => {
                problems.push(format!(
                    "dynamic_variables: must be an object, got {}",
                    Kind(other)
                ));
                None
            }
        };
        let callback_url = string("callback_url", callback, &mut problems);
        match (from_number, to_number) {
            (Some(from_number), Some(to_number)) if problems.is_empty() => Ok(CreateBody {
                request: CreateRequest {
                    from_number,
                    to_number,
                    override_agent_id,
                    customer_id,
                    dynamic_variables,
                    callback_url,
                    direction: openmic_fixtures::Direction::Outbound,
                },
                unknown,
            }),
            _ => Err(ApiError::InvalidRequest(problems)),
        }
    }
}

/// A required E.164 number.
fn phone_number(field: &str, value: Option<&Value>, problems: &mut Vec<String>) -> Option<String> {
    match value {
        None => {
            problems.push(format!("{field}: is required"));
            None
        }
        Some(Value::String(number)) if is_e164(number) => Some(number.clone()),
        Some(Value::String(number)) => {
            problems.push(format!(
                "{field}: must be an E.164 number (^\\+[1-9]\\d{{1,14}}$, such as +15551234567), got {}",
                shown(number)
            ));
            None
        }
        Some(other) => {
            problems.push(format!("{field}: must be a string, got {}", Kind(other)));
            None
        }
    }
}

/// An optional string.
fn string(field: &str, value: Option<&Value>, problems: &mut Vec<String>) -> Option<String> {
    match value {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(format!("{field}: must be a string, got {}", Kind(other)));
            None
        }
    }
}

/// A JSON value's kind, for messages: `null`, `a number`, ...
struct Kind<'a>(&'a Value);

impl fmt::Display for Kind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        })
    }
}

/// A JSON object's entries in body order, repeats kept (serde_json's map keeps only the last).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str) -> Vec<String> {
        match CreateBody::parse(body.as_bytes()) {
            Err(ApiError::InvalidRequest(problems)) => problems,
            other => panic!("expected a 400 for {body}, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_body_keeps_every_field_and_names_unknown_keys() {
        let body = CreateBody::parse(
            br#"{"from_number":"+15550000001","to_number":"+15550000002","override_agent_id":"a",
                "customer_id":"c","dynamic_variables":{"name":"John"},"callback_url":"https://x","extra":1}"#,
        )
        .unwrap();
        assert_eq!(body.request.from_number, "+15550000001");
        assert_eq!(body.request.to_number, "+15550000002");
        assert_eq!(body.request.override_agent_id.as_deref(), Some("a"));
        assert_eq!(body.request.customer_id.as_deref(), Some("c"));
        assert_eq!(body.request.callback_url.as_deref(), Some("https://x"));
        assert_eq!(
            body.request.dynamic_variables.map(Value::Object),
            Some(serde_json::json!({"name": "John"}))
        );
        assert_eq!(body.unknown, vec!["extra".to_string()]);
    }

    #[test]
    fn each_broken_rule_is_named_in_field_order() {
        assert_eq!(
            problems(r#"{"to_number":"5","customer_id":7,"dynamic_variables":[],"callback_url":null}"#),
            vec![
                "from_number: is required".to_string(),
                "to_number: must be an E.164 number (^\\+[1-9]\\d{1,14}$, such as +15551234567), got \"5\"".into(),
                "customer_id: must be a string, got a number".into(),
                "dynamic_variables: must be an object, got an array".into(),
                "callback_url: must be a string, got null".into(),
            ]
        );
        assert_eq!(
            problems(r#"{"from_number":"+12","from_number":"+12","to_number":"+13"}"#),
            vec!["\"from_number\": is given more than once".to_string()]
        );
        assert_eq!(
            problems("[1]"),
            vec!["body: must be a JSON object".to_string()]
        );
        assert_eq!(
            problems("\"x\""),
            vec!["body: must be a JSON object".to_string()]
        );
        let broken = problems("{\"from_number\":");
        assert!(
            broken[0].starts_with("body: is not valid JSON"),
            "{broken:?}"
        );
    }

    #[test]
    fn only_application_json_is_json() {
        let value = |s: &'static str| HeaderValue::from_static(s);
        assert!(is_json(Some(&value("application/json"))));
        assert!(is_json(Some(&value("Application/JSON; charset=utf-8"))));
        assert!(!is_json(Some(&value("text/plain"))));
        assert!(!is_json(Some(&value("application/jsonx"))));
        assert!(!is_json(None));
    }
}
