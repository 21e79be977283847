//! Who may use the admin API and how: the admin key (when one is configured) on everything but health, the
//! index and the web page's files, and a JSON (or JSON Lines) content type on every request that changes
//! something.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::AdminError;
use crate::state::{AdminAccess, AppState, bearer_token};

/// Requires the admin key, when one is configured, on everything but what [`needs_no_key`]; then a JSON content type on every
/// request that changes something (see [`AdminError::UnsupportedMediaType`]).
pub(super) async fn authorize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let AdminAccess::Key(key) = &state.config().admin
        && !needs_no_key(request.method(), request.uri().path())
        && bearer_token(request.headers()) != Some(key.as_str())
    {
        return AdminError::Unauthorized.into_response();
    }
    let changes_something = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_something && !is_json(request.headers()) && !is_json_lines(request.headers()) {
        let found = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| crate::text::shown(&String::from_utf8_lossy(v.as_bytes())));
        return AdminError::UnsupportedMediaType(found).into_response();
    }
    next.run(request).await
}

/// Health, and a read of the admin index or of the web page's files: none of them holds data (the page reads
/// everything it shows through the routes that need the key).
fn needs_no_key(method: &Method, path: &str) -> bool {
    path == "/__admin/health"
        || (matches!(*method, Method::GET | Method::HEAD)
            && (matches!(path, "/__admin" | "/__admin/") || super::ui::is_page_file(path)))
}

/// The media type of `Content-Type`, lowercase, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
}

/// Whether `Content-Type` is `application/json` (parameters such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| media == "application/json")
}

/// Whether a `Content-Type` names JSON Lines.
pub(super) fn is_json_lines(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| {
        [
            "application/x-ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/json-lines",
            "application/jsonlines",
        ]
        .contains(&media.as_str())
    })
}
