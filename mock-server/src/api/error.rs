//! Every error the API answers with, and the one place that turns each into the vendor's JSON body.
//!
//! The vendor documents one error shape, `{"error": string, "message"?: string}`, and four bodies (400, 401,
//! 404, 500). Those texts are in [`crate::messages`]; the shapes for unknown routes (404) and wrong methods
//! (405) are the mock's own, in the same `{"error", "message"}` form. The admin API's errors are
//! [`AdminError`](crate::admin::error::AdminError), beside its routes.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::query::ParamError;
use crate::body::{Fields, json_response};
use crate::messages::{
    AGENT_NOT_FOUND, BOT_IN_USE, BOT_NOT_FOUND, CALL_NOT_FOUND, INTERNAL_ERROR, INVALID_API_KEY,
    INVALID_BODY, INVALID_DIRECTION, INVALID_QUERY, INVALID_REQUEST, METHOD_NOT_ALLOWED,
    NUMBER_OR_BOT_NOT_FOUND, PAYLOAD_TOO_LARGE, PHONE_NUMBER_NOT_FOUND, RATE_LIMITED,
    REQUEST_TIMEOUT, ROUTE_NOT_FOUND, UNAUTHORIZED,
};
use crate::text::seconds;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed or unknown API key (401).
    #[error("unauthorized")]
    Unauthorized,
    /// One or more query parameters broke a rule (400). Never empty.
    #[error("invalid query parameters: {}", join_params(.0))]
    InvalidQuery(Vec<ParamError>),
    /// `GET /v1/call/{id}` with an id the data set does not have (404).
    #[error("call not found")]
    CallNotFound,
    /// A create-phone-call body that breaks a rule (400): each `field: rule`, never empty.
    #[error("invalid request: {}", .0.join("; "))]
    InvalidRequest(Vec<String>),
    /// A create-phone-call `override_agent_id` the account does not have (404).
    #[error("agent not found")]
    AgentNotFound,
    /// A bot uid the account does not have (404).
    #[error("bot not found")]
    BotNotFound,
    /// A phone number id the account does not have (404).
    #[error("phone number not found")]
    PhoneNumberNotFound,
    /// Link: the number or the bot does not exist (404).
    #[error("phone number or bot not found")]
    NumberOrBotNotFound,
    /// Delete: the bot is in use (409), and why.
    #[error("bot in use: {0}")]
    BotInUse(String),
    /// A link or unlink body that breaks a rule (400): each `field: rule`, never empty.
    #[error("invalid request body: {}", .0.join("; "))]
    InvalidBody(Vec<String>),
    /// Link: a `direction` that is not `inbound`, `outbound` or `both` (400), and what was sent.
    #[error("invalid direction: {0}")]
    InvalidDirection(String),
    /// A request body over the limit (413).
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A request body that did not arrive within the body read timeout (408).
    #[error("{0}")]
    BodyTimedOut(crate::net::deadline::BodyTimedOut),
    /// A path the API does not have (404).
    #[error("no route for {method} {path}")]
    RouteNotFound {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
    },
    /// A known path with a method it does not take (405).
    #[error("{method} not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The methods the path takes.
        allow: &'static [Method],
    },
    /// Anything that went wrong inside the mock (500). The cause is logged, never sent.
    #[error("internal error")]
    Internal,
}

fn join_params(errors: &[ParamError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The wire form of every error body.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub(crate) error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::InvalidQuery(_)
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidBody(_)
            | ApiError::InvalidDirection(_) => StatusCode::BAD_REQUEST,
            ApiError::CallNotFound
            | ApiError::AgentNotFound
            | ApiError::BotNotFound
            | ApiError::PhoneNumberNotFound
            | ApiError::NumberOrBotNotFound
            | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BotInUse(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody<'static> {
        let (error, message) = match self {
            ApiError::Unauthorized => (UNAUTHORIZED, Some(INVALID_API_KEY.to_string())),
            ApiError::InvalidQuery(errors) => (INVALID_QUERY, Some(join_params(errors))),
            ApiError::CallNotFound => (CALL_NOT_FOUND, None),
            ApiError::InvalidRequest(problems) => (INVALID_REQUEST, Some(problems.join("; "))),
            ApiError::AgentNotFound => (AGENT_NOT_FOUND, None),
            ApiError::BotNotFound => (BOT_NOT_FOUND, None),
            ApiError::PhoneNumberNotFound => (PHONE_NUMBER_NOT_FOUND, None),
            ApiError::NumberOrBotNotFound => (NUMBER_OR_BOT_NOT_FOUND, None),
            ApiError::BotInUse(why) => (BOT_IN_USE, Some(why.clone())),
            ApiError::InvalidBody(problems) => (INVALID_BODY, Some(problems.join("; "))),
            ApiError::InvalidDirection(found) => {
                (INVALID_DIRECTION, Some(format!("direction: got {found}")))
            }
            ApiError::PayloadTooLarge(limit) => (
                PAYLOAD_TOO_LARGE,
                Some(format!("the request body is larger than {limit} bytes")),
            ),
            ApiError::BodyTimedOut(why) => (REQUEST_TIMEOUT, Some(why.to_string())),
            ApiError::RouteNotFound { method, path } => (
                ROUTE_NOT_FOUND,
                Some(format!(
                    "No route for {method} {path}. This server provides GET /v1/calls, GET /v1/call/{{id}}, \
                     POST /v1/create-phone-call, GET and POST /v1/bots, GET, PATCH and DELETE /v1/bots/{{uid}}, \
                     GET /v1/phone-numbers, GET /v1/phone-numbers/{{uid}}, POST /v1/phone-numbers/link-agent \
                     and POST /v1/phone-numbers/unlink-agent."
                )),
            ),
            ApiError::MethodNotAllowed {
                method,
                path,
                allow,
            } => (
                METHOD_NOT_ALLOWED,
                Some(format!(
                    "{method} is not allowed on {path}; use {}.",
                    methods(allow, " or ")
                )),
            ),
            ApiError::Internal => (INTERNAL_ERROR, None),
        };
        ErrorBody { error, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status(), &self.body());
        if let ApiError::MethodNotAllowed { allow, .. } = &self
            && let Ok(value) = HeaderValue::from_str(&methods(allow, ", "))
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        response
    }
}

/// `GET, POST` (an `Allow` header) or `GET or POST` (a message).
fn methods(allow: &[Method], separator: &str) -> String {
    allow
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(separator)
}

/// The documented 500 response, for panics caught by the server.
pub(crate) fn internal_error_response() -> Response {
    ApiError::Internal.into_response()
}

/// The answer to a request whose `Host` the server does not serve (DNS rebinding protection): 403 in the
/// vendor's error shape, naming the flag that allows it.
pub(crate) fn host_refused_response(host: &str) -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        &ErrorBody {
            error: "Forbidden",
            message: Some(format!(
                "the Host {} is not one this server answers to: bound to loopback, it answers to \
                 localhost, 127.0.0.1 and [::1] (any port) and to the names given with --allowed-host \
                 (OPENMIC_MOCK_ALLOWED_HOST); this guards against DNS rebinding",
                crate::text::shown(host)
            )),
        },
    )
}

/// The answer to a request the server refuses before routing it, in the vendor's error shape: 400 for a `Host`
/// header missing from an HTTP/1.1 request or given twice (RFC 9112, section 3.2), 403 for a request carrying
/// the `User-Agent` of OpenMic's webhooks, which only a webhook sender (this mock's, another mock's) sends: the
/// mock answers none of them, so no webhook URL can drive its admin API or its API, whatever its spelling.
pub(crate) fn refused_before_routing(
    version: axum::http::Version,
    has_authority: bool,
    headers: &axum::http::HeaderMap,
) -> Option<Response> {
    let hosts = headers.get_all(axum::http::header::HOST).iter().count();
    let bad_request = |message: String| {
        json_response(
            StatusCode::BAD_REQUEST,
            &ErrorBody {
                error: "Bad Request",
                message: Some(message),
            },
        )
    };
    if hosts > 1 {
        return Some(bad_request(format!(
            "the request has {hosts} Host headers: HTTP/1.1 allows exactly one (RFC 9112, section 3.2)"
        )));
    }
    if hosts == 0 && version == axum::http::Version::HTTP_11 && !has_authority {
        return Some(bad_request(
            "the request has no Host header: HTTP/1.1 requires one (RFC 9112, section 3.2)".into(),
        ));
    }
    let webhook_agent = headers
        .get_all(axum::http::header::USER_AGENT)
        .iter()
        .any(|agent| agent.as_bytes() == openmic_fixtures::WEBHOOK_USER_AGENT.as_bytes());
    if webhook_agent {
        return Some(json_response(
            StatusCode::FORBIDDEN,
            &ErrorBody {
                error: "Forbidden",
                message: Some(format!(
                    "this request carries the User-Agent of OpenMic's webhooks ({}): a webhook URL or \
                     callback_url names this mock itself, and the mock answers none of its own webhooks, so they \
                     can never drive its admin API or its API",
                    openmic_fixtures::WEBHOOK_USER_AGENT
                )),
            },
        ));
    }
    None
}

/// The vendor's v2 429 body, `{"success":false,"message","error","retryAfter"}`, with a `Retry-After` header
/// of the same whole seconds, so a client can be tested against either.
pub fn rate_limited_response(retry_after_secs: u64, message: &str) -> Response {
    let retry_after_secs = retry_after_secs.max(1);
    // The vendor's v2 429 body, keys in its documented order.
    let body = Fields(&[
        ("success", serde_json::json!(false)),
        ("message", serde_json::json!(message)),
        ("error", serde_json::json!(RATE_LIMITED)),
        ("retryAfter", serde_json::json!(retry_after_secs)),
    ]);
    let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// The answer of an injected status fault: the vendor's documented body for 400, 401, 404, 429 and 500, and
/// `{"error": "<reason phrase>"}` in the same shape for any other status.
pub(crate) fn fault_status_response(status: u16, retry_after_secs: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match status {
        StatusCode::BAD_REQUEST => json_response(
            status,
            &ErrorBody {
                error: INVALID_QUERY,
                message: Some("injected by openmic-mock".into()),
            },
        ),
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized.into_response(),
        StatusCode::NOT_FOUND => ApiError::CallNotFound.into_response(),
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::Internal.into_response(),
        StatusCode::TOO_MANY_REQUESTS => {
            let secs = retry_after_secs.unwrap_or(crate::faults::DEFAULT_RETRY_AFTER_SECS);
            return rate_limited_response(
                secs,
                &format!("Rate limit exceeded. Please retry after {}.", seconds(secs)),
            );
        }
        other => json_response(
            other,
            &ErrorBody {
                error: other.canonical_reason().unwrap_or("Error"),
                message: None,
            },
        ),
    };
    // A 503 (or any status) with `Retry-After` is how many APIs say "come back later".
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
