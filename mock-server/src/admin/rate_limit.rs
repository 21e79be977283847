//! The rate limit (`/__admin/rate-limit`): shown, set from now on with full buckets, or lifted.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{AdminError, Result, ok, read_json};
use crate::state::AppState;

/// `GET /__admin/rate-limit`: `{"per_minute": N}`, or `null` when requests are not limited.
pub(super) async fn show(State(state): State<AppState>) -> Response {
    let per_minute = state
        .rate_limiter()
        .map(|l| l.limit().requests_per_minute());
    ok(&json!({ "per_minute": per_minute }))
}

/// `PUT /__admin/rate-limit` `{"per_minute": N}`: limits each API key from now on, with full buckets.
pub(super) async fn set(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    let per_minute = value.get("per_minute");
    let limit = per_minute
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(crate::rate_limit::RateLimit::per_minute)
        .ok_or_else(|| {
            AdminError::BadRequest(format!(
                "expected {{\"per_minute\": N}} with N a whole number from 1, got {}",
                crate::text::shown(&value.to_string())
            ))
        })?;
    if let Some(other) = value
        .as_object()
        .and_then(|m| m.keys().find(|k| *k != "per_minute"))
    {
        return Err(AdminError::BadRequest(format!(
            "unknown field `{}`; expected per_minute",
            crate::text::shown_name(other)
        )));
    }
    state.set_rate_limit(Some(limit));
    Ok(show(State(state)).await)
}

/// `DELETE /__admin/rate-limit`: requests are no longer limited.
pub(super) async fn clear(State(state): State<AppState>) -> Response {
    state.set_rate_limit(None);
    show(State(state)).await
}
