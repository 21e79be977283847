//! The handlers of `GET /v1/calls` (List Calls) and `GET /v1/call/{id}` (Get Call): the key checked first, then
//! the query, then one snapshot of the caller's data set answers the whole request.

use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;

use crate::api::account_query::strict_errors;
use crate::api::error::ApiError;
use crate::api::pages::CachedPage;
use crate::api::query::{ListCallsParams, ListCallsQuery};
use crate::body::json_bytes_response;
use crate::state::{ApiKey, AppState};

/// `GET /v1/calls`.
pub(super) async fn list_calls(
    key: ApiKey,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = ListCallsParams::try_from(ListCallsQuery::parse(raw.as_deref()))
        .map_err(ApiError::InvalidQuery)?;
    if state.config().strict && !params.unknown.is_empty() {
        return Err(ApiError::InvalidQuery(strict_errors(
            &params.unknown,
            "GET /v1/calls",
        )));
    }
    // One snapshot for the whole answer: a concurrent replace cannot tear this page.
    let store = state.data().served_for_key(&key.0);
    // The same query on the same version is the same page: answered again from the cache.
    let query = raw.as_deref().unwrap_or("");
    let page = match state.pages().get(store.version(), query) {
        Some(page) => page,
        None => {
            let page = CachedPage::new(store.list(&params).to_json());
            state.pages().put(store.version(), query, &page);
            page
        }
    };
    let mut response = page.into_response();
    let warnings = params.warnings();
    if !warnings.is_empty() {
        crate::body::add_warning(&mut response, &warnings.join("; "));
    }
    Ok(response)
}

/// `GET /v1/call/{id}`.
pub(super) async fn get_call(
    key: ApiKey,
    State(state): State<AppState>,
    CallId(id): CallId,
) -> Result<Response, ApiError> {
    let store = state.data().served_for_key(&key.0);
    let json = store.get_json(&id).ok_or(ApiError::CallNotFound)?;
    Ok(json_bytes_response(
        StatusCode::OK,
        json.as_bytes().to_vec(),
    ))
}

/// The `{id}` path segment, percent-decoded. An id that does not decode to UTF-8 cannot name a call, so it
/// is the documented 404 rather than axum's plain-text rejection.
pub(super) struct CallId(String);

impl FromRequestParts<AppState> for CallId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| CallId(id))
            .map_err(|_| ApiError::CallNotFound)
    }
}
