//! The clock (`/__admin/clock`): shown, set, or advanced. A virtual clock moves one due time at a time, sending
//! the webhooks that fall due on the way; a real clock refuses both.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{AdminError, Result, ok, only_keys, read_json};
use crate::instant::parse_instant;
use crate::state::AppState;
use crate::text::shown;
use crate::time::clock::ClockError;

/// `GET /__admin/clock`: `{"now": <ms>, "mode": "real"|"virtual"}`.
pub(super) async fn show(State(state): State<AppState>) -> Response {
    ok(&clock_json(&state))
}

fn clock_json(state: &AppState) -> Value {
    let clock = state.clock();
    json!({
        "now": clock.now_ms(),
        "mode": clock.mode().as_str(),
        "now_rfc3339": openmic_fixtures::rfc3339_ms(clock.now_ms()),
    })
}

/// `POST /__admin/clock/advance` `{"ms": N}`: moves a virtual clock forward.
pub(super) async fn advance(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    only_keys(&value, &["ms"])?;
    let ms = value.get("ms").and_then(Value::as_u64).ok_or_else(|| {
        AdminError::BadRequest(format!(
            "expected {{\"ms\": N}} with N a whole number of milliseconds from 0, got {}",
            shown(&value.to_string())
        ))
    })?;
    // From the clock's time when this advance's turn comes (advances sent together add up); a target past the
    // clock's range, and a real clock, are refused by the clock itself.
    crate::outbound::dispatch::advance_by(&state, ms)
        .await
        .map_err(clock_error)?;
    Ok(ok(&clock_json(&state)))
}

/// `PUT /__admin/clock` `{"now": <ms or RFC 3339>}`: sets a virtual clock, never backwards.
pub(super) async fn set(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    only_keys(&value, &["now"])?;
    let now = match value.get("now") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => parse_instant(s),
        _ => None,
    }
    .ok_or_else(|| {
        AdminError::BadRequest(format!(
            "expected {{\"now\": T}} with T Unix milliseconds or an RFC 3339 time such as \
             \"2026-01-15T09:00:00Z\", got {}",
            shown(&value.to_string())
        ))
    })?;
    crate::outbound::dispatch::advance_to(&state, now)
        .await
        .map_err(clock_error)?;
    Ok(ok(&clock_json(&state)))
}

fn clock_error(err: ClockError) -> AdminError {
    match err {
        ClockError::Real => AdminError::Conflict(err.to_string()),
        ClockError::Backwards { .. } | ClockError::TooLate => {
            AdminError::BadRequest(err.to_string())
        }
    }
}
