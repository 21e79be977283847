//! The admin routes for webhooks: where they go (`/__admin/webhooks`, and per tenant under
//! `/__admin/tenants/{api_key}/webhooks`), a report sent on demand (`.../webhooks/send`), the journal of
//! attempts (`/__admin/webhooks/deliveries`), and simulated inbound calls (`/__admin/inbound-calls`).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use openmic_fixtures::Direction;
use serde_json::{Value, json};

use super::request::{AdminError, Result, Scope, blocking, ok, only_keys, read_json};
use crate::body::json_bytes_response;
use crate::data::create::{CreateError, CreateRequest};
use crate::data::webhooks::FinishedCallError;
use crate::outbound::deliveries::{DeliveryAttempt, DeliveryKind};
use crate::outbound::dispatch::{SendError, send_report};
use crate::outbound::targets::WebhookTargets;
use crate::state::AppState;
use crate::text::shown;

/// The most deliveries one page shows.
pub const MAX_DELIVERIES_PAGE: usize = 1_000;

/// The deliveries a page shows unless `limit` says otherwise.
pub const DEFAULT_DELIVERIES_PAGE: usize = 100;

/// `GET .../webhooks`.
pub(super) async fn show(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    Ok(ok(&state.data().webhooks(scope.tenant())?.to_json()))
}

/// `PUT .../webhooks` `{"post_call_url"?, "pre_call_url"?, "direction"?}`: replaces the configuration
/// (a key left out is off, or `both` for `direction`).
pub(super) async fn set(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let config = config_of(read_json(body).await?)?;
    state.data().set_webhooks(scope.tenant(), config.clone())?;
    Ok(ok(&config.to_json()))
}

/// `DELETE .../webhooks`: no webhooks from now on.
pub(super) async fn clear(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    state
        .data()
        .set_webhooks(scope.tenant(), WebhookTargets::default())?;
    Ok(ok(&WebhookTargets::default().to_json()))
}

fn config_of(value: Value) -> Result<WebhookTargets> {
    let config: WebhookTargets = serde_json::from_value(value).map_err(|e| {
        AdminError::BadRequest(format!(
            "{e}; expected {{\"post_call_url\"?: URL or null, \"pre_call_url\"?: URL or null, \
             \"direction\"?: \"inbound\"|\"outbound\"|\"both\"}}"
        ))
    })?;
    let problems = config.problems();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(AdminError::BadRequest(problems.join("; ")))
    }
}

/// `POST .../webhooks/send` `{"call_id": ..}`: sends that finished call's report to the post-call URL now and
/// answers with the attempt.
pub(super) async fn send(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    only_keys(&value, &["call_id"])?;
    let call_id = value
        .get("call_id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AdminError::BadRequest(format!(
                "expected {{\"call_id\": \"...\"}}, got {}",
                shown(&value.to_string())
            ))
        })?;
    let delivery = send_report(&state, scope.tenant(), call_id)
        .await
        .map_err(|err| match err {
            SendError::NoUrl => AdminError::Conflict(err.to_string()),
            SendError::Call(FinishedCallError::Data(data)) => data.into(),
            SendError::Call(err @ FinishedCallError::NotFinished(_)) => {
                AdminError::Conflict(format!("call {call_id:?}: {err}"))
            }
            SendError::Call(err @ FinishedCallError::Unreadable(_)) => {
                AdminError::BadRequest(err.to_string())
            }
        })?;
    Ok(ok(&delivery.to_json()))
}

/// `GET /__admin/webhooks/deliveries?call_id=&kind=&after=&limit=`: attempts oldest first, after the cursor
/// `after` (a `seq`), at most `limit` (default 100, at most 1000); `next_after` reads on.
pub(super) async fn deliveries(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let mut call_id = None;
    let mut kind = None;
    let mut after = 0_u64;
    let mut limit = DEFAULT_DELIVERIES_PAGE;
    for (name, value) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match &*name {
            "call_id" => call_id = Some(value.into_owned()),
            "kind" => {
                kind = Some(DeliveryKind::from_wire(&value).ok_or_else(|| {
                    AdminError::BadRequest(format!(
                        "kind: expected post-call, callback or pre-call, got {:?}",
                        shown(&value)
                    ))
                })?);
            }
            "after" => {
                after = value.parse().map_err(|_| {
                    AdminError::BadRequest(format!(
                        "after: expected a delivery's seq, a whole number from 0, got {:?}",
                        shown(&value)
                    ))
                })?;
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_DELIVERIES_PAGE).contains(n))
                    .ok_or_else(|| {
                        AdminError::BadRequest(format!(
                            "limit: expected a whole number from 1 to {MAX_DELIVERIES_PAGE}, got {:?}",
                            shown(&value)
                        ))
                    })?;
            }
            other => {
                return Err(AdminError::BadRequest(format!(
                    "unknown parameter `{}`; expected call_id, kind, after, limit",
                    crate::text::shown_name(other)
                )));
            }
        }
    }
    let (page, has_more) = state.outbound().deliveries.page(after, limit, |d| {
        call_id.as_deref().is_none_or(|id| d.call_id == id) && kind.is_none_or(|k| d.kind == k)
    });
    let next_after = page.last().map_or(after, |d| d.seq);
    let page: Vec<Value> = page.iter().map(DeliveryAttempt::to_json).collect();
    Ok(ok(&json!({
        "deliveries": page,
        "has_more": has_more,
        "next_after": next_after,
    })))
}

/// `DELETE /__admin/webhooks/deliveries`: forgets every attempt (numbers go on from where they were).
pub(super) async fn clear_deliveries(State(state): State<AppState>) -> Result<Response> {
    let cleared = state.outbound().deliveries.clear();
    Ok(ok(&json!({ "cleared": cleared })))
}

/// `POST .../inbound-calls` `{"from_number", "to_number", "agent_id"?}`: a customer calls one of the account's
/// numbers (`to_number`); the call plays out like a created one, pre-call webhook included.
pub(super) async fn inbound(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    only_keys(&value, &["from_number", "to_number", "agent_id"])?;
    let mut problems = Vec::new();
    let mut number = |field: &str| match value.get(field) {
        Some(Value::String(n)) if openmic_fixtures::is_e164(n) => Some(n.clone()),
        Some(other) => {
            problems.push(format!(
                "{field}: must be an E.164 number such as +15551234567, got {}",
                shown(&other.to_string())
            ));
            None
        }
        None => {
            problems.push(format!("{field}: required"));
            None
        }
    };
    let from_number = number("from_number");
    let to_number = number("to_number");
    let agent_id = match value.get("agent_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(agent)) => Some(agent.clone()),
        Some(other) => {
            problems.push(format!(
                "agent_id: must be a string, got {}",
                shown(&other.to_string())
            ));
            None
        }
    };
    let (Some(from_number), Some(to_number), true) = (from_number, to_number, problems.is_empty())
    else {
        return Err(AdminError::BadRequest(problems.join("; ")));
    };
    let request = CreateRequest {
        from_number,
        to_number,
        override_agent_id: agent_id,
        customer_id: None,
        dynamic_variables: None,
        callback_url: None,
        direction: Direction::Inbound,
    };
    let created = blocking(move || {
        state
            .data()
            .create_in(scope.tenant(), request)
            .map_err(|err| match err {
                CreateError::NotAccountNumber { number, known } => AdminError::BadRequest(format!(
                    "to_number: an inbound call must ring one of the account's numbers, got {}; this data \
                     set's numbers begin {}",
                    shown(&number),
                    known.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                )),
                CreateError::AgentNotFound(agent) => {
                    AdminError::NotFound(format!("agent_id: no agent {agent:?} in this data set"))
                }
                CreateError::NoLinkedAgent { number, .. } => AdminError::BadRequest(format!(
                    "to_number: {number} has no inbound agent; link one with POST \
                     /v1/phone-numbers/link-agent (direction inbound or both) or send agent_id"
                )),
                err @ CreateError::TenantNotFound(_) => AdminError::NotFound(err.to_string()),
                CreateError::Store(problems) => AdminError::InvalidCalls(problems),
                err @ CreateError::TooManyLive { .. } => AdminError::Conflict(format!(
                    "{err}: wait for calls to end, or raise the limit"
                )),
            })
    })
    .await?;
    Ok(json_bytes_response(
        StatusCode::CREATED,
        created.as_bytes().to_vec(),
    ))
}
