//! What the admin API answers when a request cannot be served: [`AdminError`], its statuses and bodies, and how
//! a refused data change becomes one.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::body::json_response;
use crate::data::error::DataError;
use crate::messages::{METHOD_NOT_ALLOWED, ROUTE_NOT_FOUND, UNAUTHORIZED};

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
    /// A request the mock's current state cannot take (409), such as moving a real clock; the message says
    /// what to change.
    #[error("conflict: {0}")]
    Conflict(String),
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
    /// A body that did not arrive within the body read timeout (408).
    #[error("{0}")]
    BodyTimedOut(crate::net::deadline::BodyTimedOut),
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
            AdminError::DuplicateIds(_) | AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::NotFound(_) | AdminError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            AdminError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AdminError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            AdminError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

impl From<DataError> for AdminError {
    fn from(err: DataError) -> Self {
        match err {
            DataError::Invalid(problems) => AdminError::InvalidCalls(problems),
            DataError::DuplicateIds(ids) => AdminError::DuplicateIds(ids),
            DataError::CallNotFound(id) => {
                AdminError::NotFound(format!("no call with call_id {id:?}"))
            }
            err @ (DataError::InvalidApiKey(_)
            | DataError::InvalidOutcome(_)
            | DataError::InvalidWebhooks(_)) => AdminError::BadRequest(err.to_string()),
            err @ DataError::TenantNotFound(_) => AdminError::NotFound(err.to_string()),
            err @ (DataError::OutcomeQueueFull { .. } | DataError::DefaultSetKey(_)) => {
                AdminError::Conflict(err.to_string())
            }
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
            AdminError::Conflict(message) => ("Conflict", message, None),
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
            AdminError::BodyTimedOut(why) => ("Request Timeout", why.to_string(), None),
            AdminError::UnsupportedMediaType(found) => (
                "Unsupported Media Type",
                format!(
                    "admin requests that change something must be sent with `Content-Type: \
                     application/json` (JSON Lines types also work for calls), found {}; with curl, add \
                     -H 'Content-Type: application/json'",
                    found.unwrap_or_else(|| "none".to_string())
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
