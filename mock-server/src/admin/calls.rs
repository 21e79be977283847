//! The calls of a data set, default or a tenant's (`/__admin/calls`, `/__admin/tenants/{api_key}/calls`): read
//! a page, replace the set, add calls, upsert or delete one. Bodies are read in any fixture format.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use openmic_fixtures::{FixtureFormat, LoadError};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;

use super::gate::is_json_lines;
use super::request::{AdminError, IdParam, Result, Scope, blocking, ok, read_body};
use crate::api::query::ListCallsParams;
use crate::body::{Fields, json_response};
use crate::data::error::DataError;
use crate::data::store::CallStore;
use crate::state::AppState;

/// What the whole of a JSON body starting with `{` is.
#[derive(Deserialize)]
struct Probe {
    calls: Option<IgnoredAny>,
}

/// Calls from a body in any fixture format: JSON Lines by `Content-Type` (`application/x-ndjson`,
/// `application/jsonl`); otherwise sniffed: an array, a saved List Calls response (`{"calls": [...]}`), one
/// call object, or several objects one per line (JSON Lines). Problems are reported as by
/// `openmic-mock validate`, with lines and columns in the body and `name` as the file name. Each call comes back
/// as its own JSON text, as sent (whitespace between tokens removed), which is what the data set then serves.
pub(super) fn parse_calls(name: &str, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Box<str>>> {
    let text = std::str::from_utf8(body).map_err(|err| {
        AdminError::BadRequest(format!(
            "the body is not UTF-8: invalid byte at offset {}",
            err.valid_up_to()
        ))
    })?;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.is_empty() {
        return Err(AdminError::BadRequest(
            "the body is empty; expected calls as a JSON array, a saved List Calls response, one call \
             object, or JSON Lines"
                .into(),
        ));
    }
    let loaded = if is_json_lines(headers) {
        openmic_fixtures::load_str_json(name, text, FixtureFormat::JsonLines)
    } else if trimmed.starts_with('[') {
        openmic_fixtures::load_str_json(name, text, FixtureFormat::Json)
    } else {
        match serde_json::from_str::<Probe>(text) {
            Ok(Probe { calls: Some(_) }) => {
                openmic_fixtures::load_str_json(name, text, FixtureFormat::Json)
            }
            // One call object: read as an array of one. The `[` added in front shifts line 1 by a column,
            // which is taken back so positions point into the body as sent.
            Ok(Probe { calls: None }) => {
                let wrapped = format!("[{}]", text.strip_prefix('\u{feff}').unwrap_or(text));
                openmic_fixtures::load_str_json(name, &wrapped, FixtureFormat::Json).map_err(
                    |err| match err {
                        LoadError::Invalid(mut problems) => {
                            for p in &mut problems.problems {
                                if p.line == 1 {
                                    p.column = p.column.map(|c| c.saturating_sub(1).max(1));
                                }
                            }
                            LoadError::Invalid(problems)
                        }
                        other => other,
                    },
                )
            }
            Err(_) => openmic_fixtures::load_str_json(name, text, FixtureFormat::JsonLines),
        }
    };
    loaded.map_err(|err| match err {
        LoadError::Invalid(problems) => AdminError::InvalidCalls(problems),
        other => AdminError::BadRequest(other.to_string()),
    })
}

/// `GET .../calls?limit=&offset=`: the data set in force, paged, in the API's order (`{"calls": [...],
/// "pagination": {...}}`); a tenant must exist.
pub(super) async fn list(
    State(state): State<AppState>,
    scope: Scope,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let store = match scope.tenant() {
        None => state.store(),
        Some(key) => state
            .data()
            .tenant(key)
            .ok_or_else(|| DataError::TenantNotFound(key.to_string()))?,
    };
    calls_page(&store, raw.as_deref())
}

/// The most calls one page of `GET /__admin/calls` holds.
pub const MAX_ADMIN_CALLS_PAGE: u32 = 1000;

/// `limit` (default 100, 1 to 1000) and `offset` (default 0) of `GET /__admin/calls`.
fn admin_page(raw: Option<&str>) -> Result<ListCallsParams> {
    let mut params = ListCallsParams {
        limit: 100,
        ..Default::default()
    };
    let mut seen = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if seen.contains(&name) {
            return Err(AdminError::BadRequest(format!(
                "`{}` is given more than once; give it once",
                crate::text::shown_name(&name)
            )));
        }
        match &*name {
            "limit" => {
                params.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_ADMIN_CALLS_PAGE).contains(n))
                    .ok_or_else(|| {
                        AdminError::BadRequest(format!(
                            "`limit` must be a whole number from 1 to {MAX_ADMIN_CALLS_PAGE}, got {}",
                            crate::text::shown(&value)
                        ))
                    })?;
            }
            "offset" => {
                params.offset = value.parse::<u64>().map_err(|_| {
                    AdminError::BadRequest(format!(
                        "`offset` must be a whole number (0 or more), got {}",
                        crate::text::shown(&value)
                    ))
                })?;
            }
            other => {
                return Err(AdminError::BadRequest(format!(
                    "unknown parameter `{}`; expected limit or offset",
                    crate::text::shown_name(other)
                )));
            }
        }
        seen.push(name);
    }
    Ok(params)
}

/// A page of `store`, in the API's order and shape (`{"calls": [...], "pagination": {...}}`).
fn calls_page(store: &CallStore, raw: Option<&str>) -> Result<Response> {
    let params = admin_page(raw)?;
    Ok(crate::body::json_bytes_response(
        StatusCode::OK,
        store.list(&params).to_json(),
    ))
}

/// `PUT /__admin/calls`: replaces the default data set, or changes nothing and lists every problem.
/// `PUT /__admin/tenants/{api_key}/calls`: creates or replaces the data set served only to that key, which
/// becomes valid.
pub(super) async fn replace(
    State(state): State<AppState>,
    scope: Scope,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let name = format!("PUT {}", scope.path("/calls"));
    let tenant = scope.tenant().map(str::to_string);
    let count = blocking(move || {
        let calls = parse_calls(&name, &headers, &body)?;
        Ok(match &tenant {
            None => state.data().replace_json(calls)?,
            Some(key) => state.data().set_tenant_json(key, calls)?,
        })
    })
    .await?;
    Ok(match scope.tenant() {
        None => ok(&Fields(&[("calls", json!(count))])),
        Some(key) => ok(&Fields(&[("api_key", json!(key)), ("calls", json!(count))])),
    })
}

/// `POST .../calls`: adds one call or several, all or none (a `call_id` already served is a 409).
pub(super) async fn add(
    State(state): State<AppState>,
    scope: Scope,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let (added, count) = blocking(move || {
        let calls = parse_calls(&format!("POST {}", scope.path("/calls")), &headers, &body)?;
        let added = calls.len();
        let count = match scope.tenant() {
            None => state.data().add_json(calls)?,
            Some(key) => state.data().add_tenant_json(key, calls)?,
        };
        Ok((added, count))
    })
    .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &Fields(&[("added", json!(added)), ("calls", json!(count))]),
    ))
}

/// The one call of an upsert body, whose `call_id` must be the path's.
fn one_call(name: &str, id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Box<str>> {
    let mut calls = parse_calls(name, headers, body)?;
    if calls.len() != 1 {
        return Err(AdminError::BadRequest(format!(
            "expected one call object, found {} calls",
            calls.len()
        )));
    }
    let call = calls.remove(0);
    let body_id = crate::data::set::call_id_of(&call).unwrap_or_default();
    if body_id != id {
        return Err(AdminError::BadRequest(format!(
            "the body's call_id {body_id:?} is not the path's {id:?}; they must be the same"
        )));
    }
    Ok(call)
}

/// `PUT .../calls/{id}`: inserts the call, or replaces the call with that id, atomically.
pub(super) async fn upsert(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(id): IdParam,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let (replaced, count) = {
        let id = id.clone();
        blocking(move || {
            let name = format!("PUT {}", scope.path(&format!("/calls/{id}")));
            let call = one_call(&name, &id, &headers, &body)?;
            Ok(match scope.tenant() {
                None => state.data().upsert_json(call)?,
                Some(key) => state.data().upsert_tenant_json(key, call)?,
            })
        })
        .await?
    };
    Ok(ok(&Fields(&[
        ("call_id", json!(id)),
        ("replaced", json!(replaced)),
        ("calls", json!(count)),
    ])))
}

/// `DELETE .../calls/{id}`.
pub(super) async fn remove(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(id): IdParam,
) -> Result<Response> {
    let count = {
        let id = id.clone();
        blocking(move || {
            Ok(match scope.tenant() {
                None => state.data().remove(&id)?,
                Some(key) => state.data().remove_tenant_call(key, &id)?,
            })
        })
        .await?
    };
    Ok(ok(&Fields(&[
        ("deleted", json!(id)),
        ("calls", json!(count)),
    ])))
}
