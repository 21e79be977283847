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
