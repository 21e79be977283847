//! Faults (`/__admin/faults`, and a tenant's own under `/__admin/tenants/{api_key}/faults`): shown, replaced,
//! cleared, and one scripted fault appended to the `next` queue. A tenant's own faults replace the server-wide
//! ones for its requests; a tenant without any gets the server-wide ones.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::request::{AdminError, Result, Scope, ok, read_json};
use crate::faults::{Faults, scripted_fault_from_json};
use crate::state::AppState;

/// The faults of the scope as `GET` shows them: the server-wide configuration with what remains of its `next`
/// queue, or a tenant's own (empty, the default configuration, when it has none).
fn faults_json(state: &AppState, scope: &Scope) -> Value {
    match scope.tenant() {
        None => state.faults().get().to_json(),
        Some(key) => state.faults().for_key(key).unwrap_or_default().to_json(),
    }
}

/// `GET .../faults`.
pub(super) async fn show(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    scope.existing(&state)?;
    Ok(ok(&faults_json(&state, &scope)))
}

/// `PUT .../faults`: replaces the whole configuration (fields left out take their defaults); for a tenant,
/// faults for its requests alone, in place of the server-wide ones.
pub(super) async fn set(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    scope.existing(&state)?;
    let value = read_json(body).await?;
    let faults = Faults::from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    match scope.tenant() {
        None => state.faults().set(faults),
        Some(key) => state.faults().set_for_key(key, faults),
    }
    Ok(ok(&faults_json(&state, &scope)))
}

/// `DELETE .../faults`: no faults; for a tenant, the server-wide ones apply to it again.
pub(super) async fn clear(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    scope.existing(&state)?;
    match scope.tenant() {
        None => state.faults().clear(),
        Some(key) => {
            state.faults().clear_for_key(key);
        }
    }
    Ok(ok(&faults_json(&state, &scope)))
}

/// `POST .../faults/next`: appends one scripted fault to the queue (a tenant's own, for a tenant).
pub(super) async fn push(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    scope.existing(&state)?;
    let value = read_json(body).await?;
    let fault = scripted_fault_from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    match scope.tenant() {
        None => state.faults().push(fault),
        Some(key) => state.faults().push_for_key(key, fault),
    }
    Ok(ok(&faults_json(&state, &scope)))
}
