//! The admin API under `/__admin`: health, runtime data, the request journal, faults, tenants, the clock and
//! the outcomes of created calls.
//!
//! It lets tests in any language drive the standalone binary the way Rust tests drive
//! [`MockServer`](crate::MockServer). Admin requests pass through none of the API's layers: they are not
//! journaled, faulted or rate limited, so a test can always inspect and reconfigure the mock, however broken
//! it made the API.
//! Errors are `{"error", "message"}` like the API's, and the message names the field or value at fault.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, OriginalUri, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, post, put};
use openmic_fixtures::{FixtureFormat, LoadError};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

pub use self::error::AdminError;
use crate::body::{Fields, json_response};
use crate::faults::{Faults, scripted_fault_from_json};
use crate::journal::{JournalEntry, ReceivedRequest};
use crate::state::{AdminAccess, AppState, bearer_token};

/// The largest admin body accepted (a fixture of a few hundred thousand calls).
pub const MAX_ADMIN_BODY_BYTES: usize = 512 * 1024 * 1024;

pub use crate::state::ADMIN_PREFIX;

mod error;
mod time;
mod webhooks;

type Result<T, E = AdminError> = std::result::Result<T, E>;

/// The admin routes, for [`crate::app`] to merge beside the API.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/__admin/health", only(get(health)))
        .route(
            "/__admin/calls",
            only(get(list_calls).put(replace_calls).post(add_calls)),
        )
        .route(
            "/__admin/calls/{id}",
            only(put(upsert_call).delete(delete_call)),
        )
        .route(
            "/__admin/rate-limit",
            only(
                get(show_rate_limit)
                    .put(set_rate_limit)
                    .delete(clear_rate_limit),
            ),
        )
        .route("/__admin/reset", only(post(reset)))
        .route(
            "/__admin/requests",
            only(get(list_requests).delete(clear_requests)),
        )
        .route(
            "/__admin/faults",
            only(get(show_faults).put(set_faults).delete(clear_faults)),
        )
        .route("/__admin/faults/next", only(post(push_fault)))
        .route(
            "/__admin/clock",
            only(get(time::show_clock).put(time::set_clock)),
        )
        .route("/__admin/clock/advance", only(post(time::advance_clock)))
        .route(
            "/__admin/outcomes",
            only(
                get(time::show_outcomes)
                    .post(time::push_outcomes)
                    .delete(time::clear_outcomes),
            ),
        )
        .route(
            "/__admin/tenants/{api_key}/outcomes",
            only(
                get(time::show_tenant_outcomes)
                    .post(time::push_tenant_outcomes)
                    .delete(time::clear_tenant_outcomes),
            ),
        )
        .route(
            "/__admin/webhooks",
            only(
                get(webhooks::show)
                    .put(webhooks::set)
                    .delete(webhooks::clear),
            ),
        )
        .route("/__admin/webhooks/send", only(post(webhooks::send)))
        .route(
            "/__admin/webhooks/deliveries",
            only(get(webhooks::deliveries).delete(webhooks::clear_deliveries)),
        )
        .route("/__admin/inbound-calls", only(post(webhooks::inbound)))
        .route(
            "/__admin/tenants/{api_key}/webhooks",
            only(
                get(webhooks::show_tenant)
                    .put(webhooks::set_tenant)
                    .delete(webhooks::clear_tenant),
            ),
        )
        .route(
            "/__admin/tenants/{api_key}/webhooks/send",
            only(post(webhooks::send_tenant)),
        )
        .route(
            "/__admin/tenants/{api_key}/inbound-calls",
            only(post(webhooks::inbound_tenant)),
        )
        .route("/__admin/tenants", only(get(list_tenants)))
        .route("/__admin/tenants/{api_key}", only(delete(delete_tenant)))
        .route(
            "/__admin/tenants/{api_key}/calls",
            only(
                get(list_tenant_calls)
                    .put(put_tenant)
                    .post(add_tenant_calls),
            ),
        )
        .route(
            "/__admin/tenants/{api_key}/calls/{id}",
            only(put(upsert_tenant_call).delete(delete_tenant_call)),
        )
        .route("/__admin/tenants/{api_key}/reset", only(post(reset_tenant)))
        .route(
            "/__admin/tenants/{api_key}/faults",
            only(
                get(show_tenant_faults)
                    .put(set_tenant_faults)
                    .delete(clear_tenant_faults),
            ),
        )
        .route(
            "/__admin/tenants/{api_key}/faults/next",
            only(post(push_tenant_fault)),
        )
        .route("/__admin", any(route_not_found))
        .route("/__admin/", any(route_not_found))
        .route("/__admin/{*rest}", any(route_not_found))
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .with_state(state)
}

/// Only `GET /__admin/health`: what is left of the admin API with `--no-admin`.
pub(crate) fn health_only(state: AppState) -> Router {
    Router::new()
        .route("/__admin/health", only(get(health)))
        .with_state(state)
}

/// A route whose other methods get the admin 405.
fn only(router: MethodRouter<AppState>) -> MethodRouter<AppState> {
    router.fallback(method_not_allowed)
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> AdminError {
    AdminError::MethodNotAllowed {
        method,
        path: uri.path().to_string(),
    }
}

async fn route_not_found(method: Method, OriginalUri(uri): OriginalUri) -> AdminError {
    AdminError::RouteNotFound {
        method,
        path: uri.path().to_string(),
    }
}

/// Requires the admin key, when one is configured, on everything but health; then a JSON content type on every
/// request that changes something (see [`AdminError::UnsupportedMediaType`]).
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let AdminAccess::Key(key) = &state.config().admin
        && request.uri().path() != "/__admin/health"
        && bearer_token(request.headers()) != Some(key.as_str())
    {
        return AdminError::Unauthorized.into_response();
    }
    let changes_something = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_something && !is_json(request.headers()) && !is_json_lines(request.headers()) {
        let found = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| crate::query::shown(&String::from_utf8_lossy(v.as_bytes())));
        return AdminError::UnsupportedMediaType(found).into_response();
    }
    next.run(request).await
}

/// The media type of `Content-Type`, lowercase, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
}

/// Whether `Content-Type` is `application/json` (parameters such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| media == "application/json")
}

/// A path segment, percent-decoded; a segment that is not UTF-8 is a precise 400, not axum's plain text.
struct Segment(String);

impl FromRequestParts<AppState> for Segment {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(s)| Segment(s))
            .map_err(|err| AdminError::BadRequest(format!("bad path segment: {err}")))
    }
}

/// Two path segments (a tenant's key and a call id), percent-decoded.
struct Segments(String, String);

impl FromRequestParts<AppState> for Segments {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|Path((a, b))| Segments(a, b))
            .map_err(|err| AdminError::BadRequest(format!("bad path segment: {err}")))
    }
}

async fn read_body(body: Body) -> Result<Bytes> {
    axum::body::to_bytes(body, MAX_ADMIN_BODY_BYTES)
        .await
        .map_err(|err| {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                AdminError::PayloadTooLarge(MAX_ADMIN_BODY_BYTES)
            } else {
                AdminError::BadRequest(format!("could not read the body: {err}"))
            }
        })
}

async fn read_json(body: Body) -> Result<Value> {
    let bytes = read_body(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::BadRequest(
            "the body is empty; expected a JSON object".into(),
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|err| AdminError::BadRequest(format!("the body is not valid JSON: {err}")))
}

/// Whether a `Content-Type` names JSON Lines.
fn is_json_lines(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| {
        [
            "application/x-ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/json-lines",
            "application/jsonlines",
        ]
        .contains(&media.as_str())
    })
}

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
pub fn parse_calls(name: &str, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Box<str>>> {
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

/// Runs a data change (parsing, validating and indexing calls: CPU work that grows with the data) on tokio's
/// blocking threads, so API requests never wait behind it.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "a data change failed");
            Err(AdminError::BadRequest(
                "the change could not be made (see the server log); nothing was changed".into(),
            ))
        })
}

fn ok(value: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, value)
}

/// `GET /__admin/health`: answers while the server runs; no key needed, so a readiness poll stays simple.
async fn health(State(state): State<AppState>) -> Response {
    ok(&Fields(&[
        ("status", json!("ok")),
        ("calls", json!(state.store().len())),
    ]))
}

/// `PUT /__admin/calls`: replaces the default data set, or changes nothing and lists every problem.
async fn replace_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let count = blocking(move || {
        let calls = parse_calls("PUT /__admin/calls", &headers, &body)?;
        Ok(state.data().replace_json(calls)?)
    })
    .await?;
    Ok(ok(&Fields(&[("calls", json!(count))])))
}

/// `POST /__admin/calls`: adds one call or several, all or none (a `call_id` already served is a 409).
async fn add_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    add(state, None, headers, body).await
}

/// `POST /__admin/tenants/{api_key}/calls`: [`add_calls`] on a tenant's data set.
async fn add_tenant_calls(
    State(state): State<AppState>,
    Segment(api_key): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    add(state, Some(api_key), headers, body).await
}

/// Adds the calls of `body` to the default data set, or to `tenant`'s.
async fn add(
    state: AppState,
    tenant: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let (added, count) = blocking(move || {
        let name = match &tenant {
            None => "POST /__admin/calls".to_string(),
            Some(key) => format!("POST /__admin/tenants/{key}/calls"),
        };
        let calls = parse_calls(&name, &headers, &body)?;
        let added = calls.len();
        let count = match &tenant {
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

/// The most calls one page of `GET /__admin/calls` holds.
pub const MAX_ADMIN_CALLS_PAGE: u32 = 1000;

/// `limit` (default 100, 1 to 1000) and `offset` (default 0) of `GET /__admin/calls`.
fn admin_page(raw: Option<&str>) -> Result<crate::query::ListCallsParams> {
    let mut params = crate::query::ListCallsParams {
        limit: 100,
        ..Default::default()
    };
    let mut seen = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if seen.contains(&name) {
            return Err(AdminError::BadRequest(format!(
                "`{}` is given more than once; give it once",
                crate::query::shown_name(&name)
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
                            crate::query::shown(&value)
                        ))
                    })?;
            }
            "offset" => {
                params.offset = value.parse::<u64>().map_err(|_| {
                    AdminError::BadRequest(format!(
                        "`offset` must be a whole number (0 or more), got {}",
                        crate::query::shown(&value)
                    ))
                })?;
            }
            other => {
                return Err(AdminError::BadRequest(format!(
                    "unknown parameter `{}`; expected limit or offset",
                    crate::query::shown_name(other)
                )));
            }
        }
        seen.push(name);
    }
    Ok(params)
}

/// A page of `store`, in the API's order and shape (`{"calls": [...], "pagination": {...}}`).
fn calls_page(store: &crate::store::CallStore, raw: Option<&str>) -> Result<Response> {
    let params = admin_page(raw)?;
    Ok(crate::body::json_bytes_response(
        StatusCode::OK,
        store.list(&params).to_json(),
    ))
}

/// `GET /__admin/calls?limit=&offset=`: the default data set in force, paged, in the API's order.
async fn list_calls(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response> {
    calls_page(&state.store(), raw.as_deref())
}

/// `GET /__admin/tenants/{api_key}/calls?limit=&offset=`: a tenant's data set, paged.
async fn list_tenant_calls(
    State(state): State<AppState>,
    Segment(api_key): Segment,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let store = state
        .data()
        .tenant(&api_key)
        .ok_or_else(|| AdminError::NotFound(format!("no tenant with API key {api_key:?}")))?;
    calls_page(&store, raw.as_deref())
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
    let body_id = crate::data::call_id_of(&call).unwrap_or_default();
    if body_id != id {
        return Err(AdminError::BadRequest(format!(
            "the body's call_id {body_id:?} is not the path's {id:?}; they must be the same"
        )));
    }
    Ok(call)
}

/// `PUT /__admin/calls/{id}`: inserts the call, or replaces the call with that id, atomically.
async fn upsert_call(
    State(state): State<AppState>,
    Segment(id): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    upsert(state, None, id, headers, body).await
}

/// `PUT /__admin/tenants/{api_key}/calls/{id}`: [`upsert_call`] on a tenant's data set.
async fn upsert_tenant_call(
    State(state): State<AppState>,
    Segments(api_key, id): Segments,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    upsert(state, Some(api_key), id, headers, body).await
}

/// Upserts the one call of `body` into the default data set, or into `tenant`'s.
async fn upsert(
    state: AppState,
    tenant: Option<String>,
    id: String,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let (replaced, count) = {
        let id = id.clone();
        blocking(move || {
            let name = match &tenant {
                None => format!("PUT /__admin/calls/{id}"),
                Some(key) => format!("PUT /__admin/tenants/{key}/calls/{id}"),
            };
            let call = one_call(&name, &id, &headers, &body)?;
            Ok(match &tenant {
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

/// `GET /__admin/rate-limit`: `{"per_minute": N}`, or `null` when requests are not limited.
async fn show_rate_limit(State(state): State<AppState>) -> Response {
    let per_minute = state
        .rate_limiter()
        .map(|l| l.limit().requests_per_minute());
    ok(&json!({ "per_minute": per_minute }))
}

/// `PUT /__admin/rate-limit` `{"per_minute": N}`: limits each API key from now on, with full buckets.
async fn set_rate_limit(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    let per_minute = value.get("per_minute");
    let limit = per_minute
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(crate::rate_limit::RateLimit::per_minute)
        .ok_or_else(|| {
            AdminError::BadRequest(format!(
                "expected {{\"per_minute\": N}} with N a whole number from 1, got {}",
                crate::query::shown(&value.to_string())
            ))
        })?;
    if let Some(other) = value
        .as_object()
        .and_then(|m| m.keys().find(|k| *k != "per_minute"))
    {
        return Err(AdminError::BadRequest(format!(
            "unknown field `{}`; expected per_minute",
            crate::query::shown_name(other)
        )));
    }
    state.set_rate_limit(Some(limit));
    Ok(show_rate_limit(State(state)).await)
}

/// `DELETE /__admin/rate-limit`: requests are no longer limited.
async fn clear_rate_limit(State(state): State<AppState>) -> Response {
    state.set_rate_limit(None);
    show_rate_limit(State(state)).await
}

/// `DELETE /__admin/calls/{id}`.
async fn delete_call(State(state): State<AppState>, Segment(id): Segment) -> Result<Response> {
    remove(state, None, id).await
}

/// `DELETE /__admin/tenants/{api_key}/calls/{id}`: [`delete_call`] on a tenant's data set.
async fn delete_tenant_call(
    State(state): State<AppState>,
    Segments(api_key, id): Segments,
) -> Result<Response> {
    remove(state, Some(api_key), id).await
}

/// Removes call `id` from the default data set, or from `tenant`'s.
async fn remove(state: AppState, tenant: Option<String>, id: String) -> Result<Response> {
    let count = {
        let id = id.clone();
        blocking(move || {
            Ok(match &tenant {
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

/// `POST /__admin/reset`: the startup data set, no faults, an empty journal, full rate-limit buckets.
/// Tenants are kept: each belongs to one test, and another test's reset must not pull its data away.
async fn reset(State(state): State<AppState>) -> Response {
    state.reset();
    ok(&Fields(&[
        ("status", json!("reset")),
        ("calls", json!(state.store().len())),
    ]))
}

/// The most entries one page of `GET /__admin/requests` holds, and how many it holds by default.
pub const MAX_JOURNAL_PAGE: usize = 1000;
/// How many entries a page of `GET /__admin/requests` holds when `limit` is not given.
pub const DEFAULT_JOURNAL_PAGE: usize = 100;
/// The most bytes of JSON one page of `GET /__admin/requests` holds (at least one entry is always served):
/// reading the journal costs a page at a time, whatever its size.
pub const MAX_JOURNAL_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The filters and the page of `GET /__admin/requests`.
#[derive(Debug, Default, PartialEq, Eq)]
struct JournalFilter {
    path: Option<String>,
    status: Option<u16>,
    limit: Option<usize>,
    after: Option<u64>,
    key: Option<u64>,
    since_ms: Option<i64>,
}

impl JournalFilter {
    fn parse(raw: Option<&str>) -> Result<Self> {
        let mut filter = JournalFilter::default();
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if seen.iter().any(|s| *s == name) {
                return Err(AdminError::BadRequest(format!(
                    "`{}` is given more than once; give it once",
                    crate::query::shown_name(&name)
                )));
            }
            seen.push(name.to_string());
            match &*name {
                "path" => filter.path = Some(value.into_owned()),
                "status" => {
                    filter.status = Some(
                        value
                            .parse::<u16>()
                            .ok()
                            .filter(|s| *s == 0 || (100..=599).contains(s))
                            .ok_or_else(|| {
                                AdminError::BadRequest(format!(
                                    "`status` must be an HTTP status from 100 to 599 (or 0 for no \
                                     response), got {}",
                                    crate::query::shown(&value)
                                ))
                            })?,
                    );
                }
                "limit" => {
                    filter.limit = Some(
                        value
                            .parse::<usize>()
                            .ok()
                            .filter(|n| (1..=MAX_JOURNAL_PAGE).contains(n))
                            .ok_or_else(|| {
                                AdminError::BadRequest(format!(
                                    "`limit` must be a whole number from 1 to {MAX_JOURNAL_PAGE}, got {}",
                                    crate::query::shown(&value)
                                ))
                            })?,
                    );
                }
                "after" => {
                    filter.after = Some(value.parse::<u64>().map_err(|_| {
                        AdminError::BadRequest(format!(
                            "`after` must be the `seq` of an entry (a whole number, 0 for the start), got {}",
                            crate::query::shown(&value)
                        ))
                    })?);
                }
                "api_key" => filter.key = Some(crate::journal::key_fingerprint(&value)),
                "since" => {
                    let since = match value.parse::<i64>() {
                        Ok(ms) if ms >= 0 => Ok(ms),
                        _ => crate::query::parse_rfc3339_millis(&value),
                    };
                    filter.since_ms = Some(since.map_err(|_| {
                        AdminError::BadRequest(format!(
                            "`since` must be a time in RFC 3339 (2026-01-31T09:00:00Z) or Unix \
                             milliseconds, got {}",
                            crate::query::shown(&value)
                        ))
                    })?);
                }
                other => {
                    return Err(AdminError::BadRequest(format!(
                        "unknown parameter `{}`; expected path, status, api_key, since, limit or after",
                        crate::query::shown_name(other)
                    )));
                }
            }
        }
        Ok(filter)
    }

    fn matches(&self, request: &ReceivedRequest) -> bool {
        let path_ok = self
            .path
            .as_deref()
            .is_none_or(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => request.path.starts_with(prefix),
                None => request.path == pattern,
            });
        let received_ms = request
            .received_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        path_ok
            && self.status.is_none_or(|s| request.status == s)
            && self.key.is_none_or(|k| request.key_fingerprint == Some(k))
            && self.since_ms.is_none_or(|since| received_ms >= since)
    }
}

/// `GET /__admin/requests`: API requests, oldest first, a page at a time. Without `after`, the latest `limit`
/// (default 100) that match `?path=` (exact) and `?status=`; with `after=SEQ`, the first `limit` that match
/// after entry `SEQ` (`after=0` reads from the start). A page also stops at [`MAX_JOURNAL_PAGE_BYTES`] of JSON;
/// `has_more` says whether matching entries are left beyond it (older ones without `after`, newer ones with it).
async fn list_requests(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response> {
    let filter = JournalFilter::parse(raw.as_deref())?;
    let limit = filter.limit.unwrap_or(DEFAULT_JOURNAL_PAGE);
    let entries = state.journal().entries();
    let matching = entries.iter().filter(|e| filter.matches(&e.request));
    // The page's entries, in the order they are read: forward after a cursor, backward from the newest.
    let candidates: Vec<&JournalEntry> = match filter.after {
        Some(after) => matching.filter(|e| e.seq > after).take(limit + 1).collect(),
        None => {
            let mut latest: Vec<&JournalEntry> = matching.rev().take(limit + 1).collect();
            latest.reverse();
            latest
        }
    };
    let redact = &state.config().redact_headers;
    let mut has_more = candidates.len() > limit;
    let window: &[&JournalEntry] = match (filter.after, has_more) {
        (Some(_), true) => &candidates[..limit],
        (None, true) => &candidates[1..],
        _ => &candidates[..],
    };
    // Each entry is serialized once: its text both counts toward the page's size and goes into the body.
    let mut page: Vec<String> = Vec::with_capacity(window.len());
    let mut bytes = 0;
    // Forward pages keep their first entries; backward pages keep their newest.
    let ordered: Box<dyn Iterator<Item = &&JournalEntry>> = if filter.after.is_some() {
        Box::new(window.iter())
    } else {
        Box::new(window.iter().rev())
    };
    for entry in ordered {
        let mut json = entry.request.to_json_redacted(redact);
        json["seq"] = json!(entry.seq);
        let text = json.to_string();
        if !page.is_empty() && bytes + text.len() > MAX_JOURNAL_PAGE_BYTES {
            has_more = true;
            break;
        }
        bytes += text.len();
        page.push(text);
    }
    if filter.after.is_none() {
        page.reverse();
    }
    let body = format!(
        r#"{{"requests":[{}],"has_more":{has_more}}}"#,
        page.join(",")
    );
    Ok(crate::body::json_bytes_response(
        StatusCode::OK,
        body.into_bytes(),
    ))
}

/// `DELETE /__admin/requests`.
async fn clear_requests(State(state): State<AppState>) -> Response {
    let cleared = state.journal().clear();
    ok(&json!({ "cleared": cleared }))
}

/// `GET /__admin/faults`: the configuration, with what remains of the `next` queue.
async fn show_faults(State(state): State<AppState>) -> Response {
    ok(&state.faults().get().to_json())
}

/// `PUT /__admin/faults`: replaces the whole configuration (fields left out take their defaults).
async fn set_faults(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    let faults = Faults::from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    state.faults().set(faults);
    Ok(ok(&state.faults().get().to_json()))
}

/// `DELETE /__admin/faults`.
async fn clear_faults(State(state): State<AppState>) -> Response {
    state.faults().clear();
    ok(&state.faults().get().to_json())
}

/// `POST /__admin/faults/next`: appends one scripted fault to the queue.
async fn push_fault(State(state): State<AppState>, body: Body) -> Result<Response> {
    let value = read_json(body).await?;
    let fault = scripted_fault_from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    state.faults().push(fault);
    Ok(ok(&state.faults().get().to_json()))
}

/// `GET /__admin/tenants`: each tenant's key and call count, sorted by key.
async fn list_tenants(State(state): State<AppState>) -> Response {
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

/// `PUT /__admin/tenants/{api_key}/calls`: creates or replaces the data set served only to that key, which
/// becomes valid.
async fn put_tenant(
    State(state): State<AppState>,
    Segment(api_key): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let body = read_body(body).await?;
    let name = format!("PUT /__admin/tenants/{api_key}/calls");
    let key = api_key.clone();
    let count = blocking(move || {
        let calls = parse_calls(&name, &headers, &body)?;
        Ok(state.data().set_tenant_json(&key, calls)?)
    })
    .await?;
    Ok(ok(&Fields(&[
        ("api_key", json!(api_key)),
        ("calls", json!(count)),
    ])))
}

/// `DELETE /__admin/tenants/{api_key}`: the key stops being valid (unless configured on the command line), and
/// its own faults are gone.
async fn delete_tenant(
    State(state): State<AppState>,
    Segment(api_key): Segment,
) -> Result<Response> {
    if state.remove_tenant(&api_key) {
        Ok(ok(&json!({ "deleted": api_key })))
    } else {
        Err(AdminError::NotFound(format!(
            "no tenant with API key {api_key:?}"
        )))
    }
}

/// `POST /__admin/tenants/{api_key}/reset`: `POST /__admin/reset` for one tenant (created if there is none): a
/// copy of the startup data set, no faults of its own, none of its requests in the journal, a full rate-limit
/// bucket. Nothing of another key changes: this is how each test starts from the same data on a shared server.
async fn reset_tenant(
    State(state): State<AppState>,
    Segment(api_key): Segment,
) -> Result<Response> {
    let count = state.reset_tenant(&api_key)?;
    Ok(ok(&Fields(&[
        ("status", json!("reset")),
        ("api_key", json!(api_key)),
        ("calls", json!(count)),
    ])))
}

/// The key of an existing tenant, or the admin 404.
fn existing_tenant(state: &AppState, api_key: String) -> Result<String> {
    if state.data().has_tenant(&api_key) {
        Ok(api_key)
    } else {
        Err(crate::data::DataError::TenantNotFound(api_key).into())
    }
}

/// A tenant's own fault configuration, as `GET /__admin/tenants/{api_key}/faults` shows it: empty (the default
/// configuration) when it has none, and the server-wide faults apply to it.
fn tenant_faults_json(state: &AppState, api_key: &str) -> Value {
    state
        .faults()
        .for_key(api_key)
        .unwrap_or_default()
        .to_json()
}

/// `GET /__admin/tenants/{api_key}/faults`: the tenant's own faults.
async fn show_tenant_faults(
    State(state): State<AppState>,
    Segment(api_key): Segment,
) -> Result<Response> {
    let api_key = existing_tenant(&state, api_key)?;
    Ok(ok(&tenant_faults_json(&state, &api_key)))
}

/// `PUT /__admin/tenants/{api_key}/faults`: faults for the tenant's requests alone, in place of the
/// server-wide ones.
async fn set_tenant_faults(
    State(state): State<AppState>,
    Segment(api_key): Segment,
    body: Body,
) -> Result<Response> {
    let api_key = existing_tenant(&state, api_key)?;
    let value = read_json(body).await?;
    let faults = Faults::from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    state.faults().set_for_key(&api_key, faults);
    Ok(ok(&tenant_faults_json(&state, &api_key)))
}

/// `DELETE /__admin/tenants/{api_key}/faults`: drops the tenant's own faults; the server-wide ones apply to it
/// again.
async fn clear_tenant_faults(
    State(state): State<AppState>,
    Segment(api_key): Segment,
) -> Result<Response> {
    let api_key = existing_tenant(&state, api_key)?;
    state.faults().clear_for_key(&api_key);
    Ok(ok(&tenant_faults_json(&state, &api_key)))
}

/// `POST /__admin/tenants/{api_key}/faults/next`: appends one scripted fault to the tenant's own queue.
async fn push_tenant_fault(
    State(state): State<AppState>,
    Segment(api_key): Segment,
    body: Body,
) -> Result<Response> {
    let api_key = existing_tenant(&state, api_key)?;
    let value = read_json(body).await?;
    let fault = scripted_fault_from_json(&value).map_err(|err| AdminError::BadRequest(err.0))?;
    state.faults().push_for_key(&api_key, fault);
    Ok(ok(&tenant_faults_json(&state, &api_key)))
}
