//! Tenants and resets: the tenants listed (`/__admin/tenants`), one removed (`DELETE /__admin/tenants/{api_key}`),
//! and the reset of the default state (`POST /__admin/reset`) or of one tenant's
//! (`POST /__admin/tenants/{api_key}/reset`).

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{Result, Scope, ok};
use crate::body::Fields;
use crate::data::error::DataError;
use crate::state::AppState;

/// `GET /__admin/tenants`: each tenant's key and call count, sorted by key.
pub(super) async fn list_tenants(State(state): State<AppState>) -> Response {
    let tenants: Vec<Value> = state
        .data()
        .tenant_keys()
        .into_iter()
        .filter_map(|key| {
            let calls = state.data().tenant(&key)?.len();
            Some(json!({ "api_key": key, "calls": calls }))
        })
        .collect();
    ok(&json!({ "tenants": tenants }))
}

/// `DELETE /__admin/tenants/{api_key}`: the key stops being valid (unless configured on the command line), and
/// its own faults are gone.
pub(super) async fn delete(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    let api_key = scope.tenant().unwrap_or_default();
    if state.remove_tenant(api_key) {
        Ok(ok(&json!({ "deleted": api_key })))
    } else {
        Err(DataError::TenantNotFound(api_key.to_string()).into())
    }
}

/// `POST /__admin/reset`: the startup data set, no faults, an empty journal, full rate-limit buckets.
/// Tenants are kept: each belongs to one test, and another test's reset must not pull its data away.
///
/// `POST /__admin/tenants/{api_key}/reset`: the same for one tenant (created if there is none): a copy of the
/// startup data set, no faults of its own, none of its requests in the journal, a full rate-limit bucket.
/// Nothing of another key changes: this is how each test starts from the same data on a shared server.
pub(super) async fn reset(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    Ok(match scope.tenant() {
        None => {
            state.reset();
            ok(&Fields(&[
                ("status", json!("reset")),
                ("calls", json!(state.store().len())),
            ]))
        }
        Some(api_key) => {
            let count = state.reset_tenant(api_key)?;
            ok(&Fields(&[
                ("status", json!("reset")),
                ("api_key", json!(api_key)),
                ("calls", json!(count)),
            ]))
        }
    })
}
