//! Every error the API answers with, and the one place that turns each into the vendor's JSON body.
//!
//! The vendor documents one error shape, `{"error": string, "message"?: string}`, and four bodies (400, 401,
//! 404, 500). Those texts are the constants below; the shapes for unknown routes (404) and wrong methods (405)
//! are the mock's own, in the same `{"error", "message"}` form.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::body::json_response;

/// The documented 400 `error` text.
pub const INVALID_QUERY: &str = "Invalid query parameters provided.";
/// The documented 401 `error` text.
pub const UNAUTHORIZED: &str = "Unauthorized";
/// The documented 401 `message` text.
pub const INVALID_API_KEY: &str = "Invalid or expired API key";
/// The documented 404 `error` text of `GET /v1/call/{id}`.
pub const CALL_NOT_FOUND: &str = "Call with the specified ID was not found.";
/// The documented 500 `error` text.
pub const INTERNAL_ERROR: &str = "An unexpected error occurred. Please try again later.";
/// The `error` text for a path the API does not have (not documented by the vendor).
pub const ROUTE_NOT_FOUND: &str = "Not Found";
/// The `error` text for a method a path does not allow (not documented by the vendor).
pub const METHOD_NOT_ALLOWED: &str = "Method Not Allowed";

/// One rejected query parameter: which one and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name as sent.
    pub param: String,
    /// The rule, phrased to complete "`param` ...", including what was received.
    pub rule: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.param, self.rule)
    }
}

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
    /// A path the API does not have (404).
    #[error("no route for {method} {path}")]
    RouteNotFound {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
    },
    /// A known path with a method other than GET (405).
    #[error("{method} not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
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
            ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::CallNotFound | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody<'static> {
        let (error, message) = match self {
            ApiError::Unauthorized => (UNAUTHORIZED, Some(INVALID_API_KEY.to_string())),
            ApiError::InvalidQuery(errors) => (INVALID_QUERY, Some(join_params(errors))),
            ApiError::CallNotFound => (CALL_NOT_FOUND, None),
            ApiError::RouteNotFound { method, path } => (
                ROUTE_NOT_FOUND,
                Some(format!(
                    "No route for {method} {path}. This server provides GET /v1/calls and GET /v1/call/{{id}}."
                )),
            ),
            ApiError::MethodNotAllowed { method, path } => (
                METHOD_NOT_ALLOWED,
                Some(format!("{method} is not allowed on {path}; use GET.")),
            ),
            ApiError::Internal => (INTERNAL_ERROR, None),
        };
        ErrorBody { error, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status(), &self.body());
        if matches!(self, ApiError::MethodNotAllowed { .. }) {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
        }
        response
    }
}

/// The documented 500 response, for panics caught by the server.
pub(crate) fn internal_error_response() -> Response {
    ApiError::Internal.into_response()
}

/// `1 second`, `30 seconds`.
pub(crate) fn seconds(secs: u64) -> String {
    if secs == 1 {
        "1 second".to_string()
    } else {
        format!("{secs} seconds")
    }
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
                crate::query::shown(host)
            )),
        },
    )
}

/// The `error` text of a 429 (the vendor's v2 body shape; the text itself is assumed).
pub const RATE_LIMITED: &str = "Too Many Requests";

/// The vendor's v2 429 body, `{"success":false,"message","error","retryAfter"}`, with a `Retry-After` header
/// of the same whole seconds, so a client can be tested against either.
pub fn rate_limited_response(retry_after_secs: u64, message: &str) -> Response {
    let retry_after_secs = retry_after_secs.max(1);
    let body = serde_json::json!({
        "success": false,
        "message": message,
        "error": RATE_LIMITED,
        "retryAfter": retry_after_secs,
    });
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
    match status {
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
            rate_limited_response(
                secs,
                &format!("Rate limit exceeded. Please retry after {}.", seconds(secs)),
            )
        }
        other => json_response(
            other,
            &ErrorBody {
                error: other.canonical_reason().unwrap_or("Error"),
                message: None,
            },
        ),
    }
}

/// An error answer of the admin API (`/__admin/...`): `{"error", "message"}` like the API's own errors, with a
/// message that says which field or value was wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// Missing or wrong admin key (401).
    #[error("admin key missing or wrong")]
    Unauthorized,
    /// A body or parameter that cannot be used (400); the message says why.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Calls that break the fixture rules (400); every problem is listed.
    #[error("invalid calls: {0}")]
    InvalidCalls(openmic_fixtures::Problems),
    /// Calls to add whose `call_id`s are already served (409); nothing was added.
    #[error("duplicate call_id: {}", .0.join(", "))]
    DuplicateIds(Vec<String>),
    /// Something named in the path does not exist (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// A path the admin API does not have (404).
    #[error("no admin route for {method} {path}")]
    RouteNotFound {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
    },
    /// A method the admin path does not take (405).
    #[error("{method} not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
    },
    /// A body over the admin body limit (413).
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A request that changes something without `Content-Type: application/json` (415). A web page can send a
    /// cross-origin POST without asking first only with a form or text content type, so requiring JSON keeps
    /// pages in the developer's browser from driving the admin API.
    #[error("content type {0:?} is not JSON")]
    UnsupportedMediaType(Option<String>),
}

impl AdminError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::BadRequest(_) | AdminError::InvalidCalls(_) => StatusCode::BAD_REQUEST,
            AdminError::DuplicateIds(_) => StatusCode::CONFLICT,
            AdminError::NotFound(_) | AdminError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            AdminError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AdminError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

impl From<crate::data::DataError> for AdminError {
    fn from(err: crate::data::DataError) -> Self {
        use crate::data::DataError;
        match err {
            DataError::Invalid(problems) => AdminError::InvalidCalls(problems),
            DataError::DuplicateIds(ids) => AdminError::DuplicateIds(ids),
            DataError::CallNotFound(id) => {
                AdminError::NotFound(format!("no call with call_id {id:?}"))
            }
            err @ DataError::InvalidApiKey(_) => AdminError::BadRequest(err.to_string()),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (error, message, problems) = match self {
            AdminError::Unauthorized => (
                UNAUTHORIZED,
                "the admin API needs Authorization: Bearer <admin key> (--admin-key)".to_string(),
                None,
            ),
            AdminError::BadRequest(message) => ("Bad Request", message, None),
            AdminError::InvalidCalls(problems) => {
                let lines: Vec<String> = problems.to_string().lines().map(str::to_string).collect();
                let count = problems.total();
                let message = format!(
                    "{count} problem{} in the calls; nothing was changed:\n{}",
                    if count == 1 { "" } else { "s" },
                    lines.join("\n")
                );
                ("Invalid calls", message, Some(lines))
            }
            AdminError::DuplicateIds(ids) => (
                "Conflict",
                format!(
                    "call_id already present, nothing was added: {}",
                    ids.join(", ")
                ),
                None,
            ),
            AdminError::NotFound(message) => (ROUTE_NOT_FOUND, message, None),
            AdminError::RouteNotFound { method, path } => (
                ROUTE_NOT_FOUND,
                format!("No admin route for {method} {path}. See docs/control-plane.md."),
                None,
            ),
            AdminError::MethodNotAllowed { method, path } => (
                METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}."),
                None,
            ),
            AdminError::PayloadTooLarge(limit) => (
                "Payload Too Large",
                format!("the body is larger than the admin limit of {limit} bytes"),
                None,
            ),
            AdminError::UnsupportedMediaType(found) => (
                "Unsupported Media Type",
                format!(
                    "admin requests that change something must be sent with `Content-Type: \
                     application/json` (JSON Lines types also work for calls), found {}; with curl, add \
                     -H 'Content-Type: application/json'",
                    found.map_or_else(|| "none".to_string(), |f| format!("{f:?}"))
                ),
                None,
            ),
        };
        let mut body = serde_json::json!({ "error": error, "message": message });
        if let Some(problems) = problems {
            body["problems"] = serde_json::json!(problems);
        }
        json_response(status, &body)
    }
}
