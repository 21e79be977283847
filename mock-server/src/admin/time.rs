//! The admin routes for time: the clock (`/__admin/clock`) and the outcomes queue that decides how the next
//! created calls play out (`/__admin/outcomes`, and the same under `/__admin/tenants/{api_key}`).

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::{AdminError, Result, Segment, ok, read_json};
use crate::clock::ClockError;
use crate::lifecycle::Outcome;
use crate::query::{parse_instant, shown};
use crate::state::AppState;

/// `GET /__admin/clock`: `{"now": <ms>, "mode": "real"|"virtual"}`.
pub(super) async fn show_clock(State(state): State<AppState>) -> Response {
    ok(&clock_json(&state))
}

fn clock_json(state: &AppState) -> Value {
    let clock = state.clock();
    json!({
        "now": clock.now_ms(),
        "mode": clock.mode().as_str(),
        "now_rfc3339": crate::journal::rfc3339_ms(clock.now_ms()),
    })
}

/// `POST /__admin/clock/advance` `{"ms": N}`: moves a virtual clock forward.
pub(super) async fn advance_clock(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    only_keys(&value, &["ms"])?;
    let ms = value.get("ms").and_then(Value::as_u64).ok_or_else(|| {
        AdminError::BadRequest(format!(
            "expected {{\"ms\": N}} with N a whole number of milliseconds from 0, got {}",
            shown(&value.to_string())
        ))
    })?;
    // A target past the clock's range is refused by the clock itself, as is a real clock.
    let target = state.clock().now_ms().saturating_add(ms);
    crate::dispatch::advance_to(state.data_handle(), target)
        .await
        .map_err(clock_error)?;
    Ok(ok(&clock_json(&state)))
}

/// `PUT /__admin/clock` `{"now": <ms or RFC 3339>}`: sets a virtual clock, never backwards.
pub(super) async fn set_clock(State(state): State<AppState>, body: Body) -> Result<Response> {
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
    crate::dispatch::advance_to(state.data_handle(), now)
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

/// Refuses an object with keys other than `allowed` (or anything but an object).
pub(super) fn only_keys(value: &Value, allowed: &[&str]) -> Result<()> {
    let Some(object) = value.as_object() else {
        return Err(AdminError::BadRequest(format!(
            "expected a JSON object with {}, got {}",
            allowed.join(", "),
            shown(&value.to_string())
        )));
    };
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(other) => Err(AdminError::BadRequest(format!(
            "unknown field `{}`; expected {}",
            crate::query::shown_name(other),
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The outcomes of a body: one object, or an array of them. Every rule broken by any of them is named.
fn outcomes_of(value: Value) -> Result<Vec<Outcome>> {
    let many = value.is_array();
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut outcomes = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let at = if many {
            format!("outcome {index}: ")
        } else {
            String::new()
        };
        match serde_json::from_value::<Outcome>(item) {
            Ok(outcome) => {
                problems.extend(outcome.problems().into_iter().map(|p| format!("{at}{p}")));
                outcomes.push(outcome);
            }
            Err(err) => problems.push(format!(
                "{at}{err}; an outcome is an object with any of to_number, status, ring_ms, talk_ms, \
                 disconnection_reason, transcript, is_successful, summary"
            )),
        }
    }
    if problems.is_empty() {
        Ok(outcomes)
    } else {
        Err(AdminError::BadRequest(problems.join("; ")))
    }
}

fn queue_json(queued: Vec<Outcome>) -> Value {
    json!({ "queued": queued.len(), "outcomes": queued })
}

/// `GET /__admin/outcomes`: the outcomes still queued, in order.
pub(super) async fn show_outcomes(State(state): State<AppState>) -> Result<Response> {
    Ok(ok(&queue_json(state.data().outcomes(None)?)))
}

/// `POST /__admin/outcomes`: appends one outcome (an object) or several (an array) to the queue.
pub(super) async fn push_outcomes(State(state): State<AppState>, body: Body) -> Result<Response> {
    let outcomes = outcomes_of(read_json(body).await?)?;
    state.data().push_outcomes(None, outcomes)?;
    Ok(ok(&queue_json(state.data().outcomes(None)?)))
}

/// `DELETE /__admin/outcomes`: empties the queue.
pub(super) async fn clear_outcomes(State(state): State<AppState>) -> Result<Response> {
    let cleared = state.data().clear_outcomes(None)?;
    Ok(ok(&json!({ "cleared": cleared })))
}

/// `GET /__admin/tenants/{api_key}/outcomes`.
pub(super) async fn show_tenant_outcomes(
    State(state): State<AppState>,
    Segment(key): Segment,
) -> Result<Response> {
    Ok(ok(&queue_json(state.data().outcomes(Some(&key))?)))
}

/// `POST /__admin/tenants/{api_key}/outcomes`.
pub(super) async fn push_tenant_outcomes(
    State(state): State<AppState>,
    Segment(key): Segment,
    body: Body,
) -> Result<Response> {
    let outcomes = outcomes_of(read_json(body).await?)?;
    state.data().push_outcomes(Some(&key), outcomes)?;
    Ok(ok(&queue_json(state.data().outcomes(Some(&key))?)))
}

/// `DELETE /__admin/tenants/{api_key}/outcomes`.
pub(super) async fn clear_tenant_outcomes(
    State(state): State<AppState>,
    Segment(key): Segment,
) -> Result<Response> {
    let cleared = state.data().clear_outcomes(Some(&key))?;
    Ok(ok(&json!({ "cleared": cleared })))
}
