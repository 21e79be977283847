//! The API's reads as a client of a data set gets them (`GET .../v1/calls`, `GET .../v1/call/{id}` under
//! `/__admin` or `/__admin/tenants/{api_key}`): the same query, the same answer and warning, created calls in
//! their state of now, but without a key, the journal, faults or the rate limit. The web page lists data this
//! way, so looking at the data never shows up as a request of the client under test, nor spends a scripted
//! fault.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::request::{IdParam, Result, Scope};
use crate::api::error::ApiError;
use crate::api::query::{ListCallsParams, ListCallsQuery};
use crate::body::json_bytes_response;
use crate::data::error::DataError;
use crate::data::served::Served;
use crate::state::AppState;

fn served(state: &AppState, scope: &Scope) -> Result<std::sync::Arc<Served>> {
    state.data().served(scope.tenant()).ok_or_else(|| {
        DataError::TenantNotFound(scope.tenant().unwrap_or_default().to_string()).into()
    })
}

/// `GET .../v1/calls?<List Calls query>`: what `GET /v1/calls` answers; a query it refuses is its 400.
pub(super) async fn list(
    State(state): State<AppState>,
    scope: Scope,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let store = served(&state, &scope)?;
    let params = match ListCallsParams::try_from(ListCallsQuery::parse(raw.as_deref())) {
        Ok(params) => params,
        Err(errors) => return Ok(ApiError::InvalidQuery(errors).into_response()),
    };
    let mut response = json_bytes_response(StatusCode::OK, store.list(&params).to_json());
    let warnings = params.warnings();
    if !warnings.is_empty() {
        crate::body::add_warning(&mut response, &warnings.join("; "));
    }
    Ok(response)
}

/// `GET .../v1/call/{id}`: what `GET /v1/call/{id}` answers (its 404 for an unknown id).
pub(super) async fn get(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(id): IdParam,
) -> Result<Response> {
    let store = served(&state, &scope)?;
    Ok(match store.get_json(&id) {
        Some(json) => json_bytes_response(StatusCode::OK, json.as_bytes().to_vec()),
        None => ApiError::CallNotFound.into_response(),
    })
}
