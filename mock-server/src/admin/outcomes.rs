//! The outcomes queue (`/__admin/outcomes`, and a tenant's under `/__admin/tenants/{api_key}/outcomes`): how the
//! next created calls play out, shown, appended to, or emptied.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{AdminError, Result, Scope, ok, read_json};
use crate::state::AppState;
use crate::time::lifecycle::CallOutcome;

/// The outcomes of a body: one object, or an array of them. Every rule broken by any of them is named.
fn outcomes_of(value: Value) -> Result<Vec<CallOutcome>> {
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
        match serde_json::from_value::<CallOutcome>(item) {
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

fn queue_json(queued: Vec<CallOutcome>) -> Value {
    json!({ "queued": queued.len(), "outcomes": queued })
}

/// `GET .../outcomes`: the outcomes still queued, in order.
pub(super) async fn show(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    Ok(ok(&queue_json(state.data().outcomes(scope.tenant())?)))
}

/// `POST .../outcomes`: appends one outcome (an object) or several (an array) to the queue.
pub(super) async fn push(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let outcomes = outcomes_of(read_json(body).await?)?;
    state.data().push_outcomes(scope.tenant(), outcomes)?;
    Ok(ok(&queue_json(state.data().outcomes(scope.tenant())?)))
}

/// `DELETE .../outcomes`: empties the queue.
pub(super) async fn clear(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    let cleared = state.data().clear_outcomes(scope.tenant())?;
    Ok(ok(&json!({ "cleared": cleared })))
}
