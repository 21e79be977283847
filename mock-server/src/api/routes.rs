//! The HTTP surface: the routes, and the layers that keep every answer JSON.
//!
//! Request flow: the journal layer records the request and its status; the gate injects the configured
//! faults and enforces the rate limit ([`api_gate`]); the panic layer turns a panic into the vendor's 500 body;
//! the router picks a route (unknown path: 404, wrong method: 405, both before authentication); the handler
//! ([`crate::api::calls`], [`crate::api::create`]) checks the API key first
//! ([`ApiKey`](crate::state::ApiKey)), then the parameters. The admin API (`/__admin`, see [`crate::admin`]) is
//! merged beside these routes and passes through none of those layers.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;

use crate::admin;
use crate::api::error::{
    ApiError, fault_status_response, internal_error_response, rate_limited_response,
};
use crate::api::pages::CachedPage;
use crate::api::query::ListCallsQuery;
use crate::api::{bots, calls, phone_numbers};
use crate::body::json_bytes_response;
use crate::faults::Fault;
use crate::journal::{
    MAX_QUERY_BYTES, ReceivedRequest, answer_head, clip, journal_headers, journal_query,
    key_fingerprint,
};
use crate::state::{ADMIN_PREFIX, AdminAccess, AppState, bearer_token};
use crate::text::seconds;

/// The most bytes of a request's URI one log line shows; the rest is cut and the cut marked.
const MAX_LOGGED_URI_BYTES: usize = 512;

/// The mock's router: the vendor's v1 API (calls, create-phone-call, bots, phone numbers; each path with an
/// optional trailing slash), wrapped
/// by [`with_api_layers`], plus the admin API under `/__admin` unless it is [`AdminAccess::Off`].
pub fn app(state: AppState) -> Router {
    let admin_routes = match state.config().admin {
        // CI scripts wait on health whatever the settings; nothing else of the admin API is there.
        AdminAccess::Off => Some(admin::health_only(state.clone())),
        _ => Some(admin::routes(state.clone())),
    };
    let api = api_routes(state);
    match admin_routes {
        Some(admin_routes) => api.merge(admin_routes),
        None => api,
    }
}

fn api_routes(state: AppState) -> Router {
    let list = || get_only(calls::list_calls);
    let one = || get_only(calls::get_call);
    let create =
        || post(crate::api::create::create_phone_call).fallback(not_allowed(&[Method::POST]));
    let bots_route = || {
        get(bots::list_bots)
            .post(bots::create_bot)
            .head(not_allowed(&[Method::GET, Method::POST]))
            .fallback(not_allowed(&[Method::GET, Method::POST]))
    };
    let bot_route = || {
        const ALLOW: &[Method] = &[Method::GET, Method::PATCH, Method::DELETE];
        get(bots::get_bot)
            .patch(bots::update_bot)
            .delete(bots::delete_bot)
            .head(not_allowed(ALLOW))
            .fallback(not_allowed(ALLOW))
    };
    let numbers = || get_only(phone_numbers::list_numbers);
    let number = || get_only(phone_numbers::get_number);
    let link = || post(phone_numbers::link_agent).fallback(not_allowed(&[Method::POST]));
    let unlink = || post(phone_numbers::unlink_agent).fallback(not_allowed(&[Method::POST]));
    let mut routes = Router::new();
    for slash in ["", "/"] {
        routes = routes
            .route(&format!("/v1/calls{slash}"), list())
            .route(&format!("/v1/call/{{id}}{slash}"), one())
            .route(&format!("/v1/create-phone-call{slash}"), create())
            .route(&format!("/v1/bots{slash}"), bots_route())
            .route(&format!("/v1/bots/{{uid}}{slash}"), bot_route())
            .route(&format!("/v1/phone-numbers{slash}"), numbers())
            .route(&format!("/v1/phone-numbers/{{uid}}{slash}"), number())
            .route(&format!("/v1/phone-numbers/link-agent{slash}"), link())
            .route(&format!("/v1/phone-numbers/unlink-agent{slash}"), unlink());
    }
    with_api_layers(routes, state)
}

/// What every API route of the mock gets: a JSON 404 for unknown paths, a panic turned into the documented
/// 500, faults and the rate limit (the API gate), and each request recorded in the journal. Public so that
/// extra routes (and tests of these layers) get the same treatment.
pub fn with_api_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .fallback(route_not_found)
        .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string payload".into());
            tracing::error!(panic = %what, "a request handler panicked; answering with the documented 500");
            internal_error_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), api_gate))
        .layer(middleware::from_fn_with_state(state.clone(), journal_requests))
        .layer(middleware::from_fn_with_state(state.clone(), cors))
        .with_state(state)
}

/// A route that answers GET with `handler` and every other method, HEAD included, with a JSON 405.
fn get_only<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    get(handler)
        .head(not_allowed(&[Method::GET]))
        .fallback(not_allowed(&[Method::GET]))
}

/// A handler answering the JSON 405 of a path that takes only `allow`.
fn not_allowed(
    allow: &'static [Method],
) -> impl Fn(Method, OriginalUri) -> std::future::Ready<ApiError> + Clone + Send + Sync + 'static {
    move |method, OriginalUri(uri)| {
        std::future::ready(ApiError::MethodNotAllowed {
            method,
            path: uri.path().to_string(),
            allow,
        })
    }
}

async fn route_not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::RouteNotFound {
        method,
        path: uri.path().to_string(),
    }
}

/// Answers CORS preflights on API paths and adds the CORS headers to every API answer, when `--cors` is on
/// (see [`crate::net::cors`]). Never on the admin API.
async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(policy) = state.config().cors.clone() else {
        return next.run(request).await;
    };
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    let origin = request.headers().get(header::ORIGIN).cloned();
    if crate::net::cors::is_preflight(request.method(), request.headers()) {
        return crate::net::cors::preflight(&policy, origin.as_ref(), request.uri().path());
    }
    let mut response = next.run(request).await;
    crate::net::cors::decorate(&policy, origin.as_ref(), &mut response);
    response
}

/// Records each request in the journal and logs it.
async fn journal_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let received_at = state.clock().now();
    let method = request.method().to_string();
    let uri = request.uri().clone();
    let key_fingerprint = bearer_token(request.headers()).map(key_fingerprint);
    let (headers, headers_clipped) = journal_headers(
        request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes())),
    );
    let response = next.run(request).await;
    let (response, answer_body, answer_bytes) = kept_answer(response).await;
    let applied = response.extensions().get::<AppliedFault>().copied();
    let status = if response.extensions().get::<ResetConnection>().is_some() {
        0
    } else {
        response.status().as_u16()
    };
    let duration = started.elapsed();
    let (answer_headers, _) = if status == 0 {
        (Vec::new(), false)
    } else {
        journal_headers(
            response
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_bytes())),
        )
    };
    // Successes at debug (a load test should not pay for a log line per request); client and server
    // errors at info, since they are what someone debugging a client is looking for.
    let micros = duration.as_micros() as u64;
    // The URI is formatted and clipped only when the line is logged (tracing evaluates fields of enabled
    // events only), so a load test at the default level pays nothing for it.
    if response.status().is_success() {
        tracing::debug!(%method, uri = %clip(&uri.to_string(), MAX_LOGGED_URI_BYTES), status, micros, "request");
    } else {
        tracing::info!(%method, uri = %clip(&uri.to_string(), MAX_LOGGED_URI_BYTES), status, micros, "request");
    }
    let raw_query = uri.query().map(|q| clip(q, MAX_QUERY_BYTES));
    let (query, query_clipped) = journal_query(ListCallsQuery::parse(uri.query()).pairs);
    let path = clip(uri.path(), MAX_QUERY_BYTES);
    let clipped = headers_clipped
        || query_clipped
        || uri.path().len() > MAX_QUERY_BYTES
        || uri.query().is_some_and(|q| q.len() > MAX_QUERY_BYTES);
    state.journal().record(ReceivedRequest {
        received_at,
        method,
        path,
        raw_query,
        query,
        headers,
        status,
        duration,
        fault: applied.and_then(|a| a.fault),
        injected_latency: applied.map_or(Duration::ZERO, |a| a.latency),
        clipped,
        key_fingerprint,
        answer_headers,
        answer_body,
        answer_bytes,
    });
    response
}

/// The response, and the start of its body ([`answer_head`]) and its whole length, for the
/// journal. Every body the API answers is already whole in memory (its size is exact), so reading it costs a
/// reference count, and it is sent on unchanged; a body of unknown size (none today) would be sent on unread.
/// A kept List Calls page ([`CachedPage`]) brings its start, cut once for every answer of it.
async fn kept_answer(response: Response) -> (Response, Bytes, u64) {
    let (mut parts, body) = response.into_parts();
    let page = parts.extensions.remove::<CachedPage>();
    let Some(size) = body.size_hint().exact() else {
        return (Response::from_parts(parts, body), Bytes::new(), 0);
    };
    // Its exact size bounds the read.
    match axum::body::to_bytes(body, usize::try_from(size).unwrap_or(usize::MAX)).await {
        Ok(bytes) => {
            let kept = page
                .and_then(|page| page.head_of(&bytes))
                .unwrap_or_else(|| answer_head(&bytes));
            (Response::from_parts(parts, Body::from(bytes)), kept, size)
        }
        Err(_) => (Response::from_parts(parts, Body::empty()), Bytes::new(), 0),
    }
}

/// Marks a response that must not be sent: the server drops the connection instead (a `reset` fault). In
/// process (`Router::oneshot`), where there is no connection, the response is an empty 500 carrying this
/// marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetConnection;

/// What the gate injected into a request, for the journal.
#[derive(Debug, Clone, Copy)]
struct AppliedFault {
    fault: Option<Fault>,
    latency: Duration,
}

/// Injects the configured faults ([`FaultInjector::decide`](crate::faults::FaultInjector::decide)) and enforces the rate limit. A scripted or random
/// fault answers in place of the API (so it neither needs a valid key nor takes a token); otherwise a request
/// with an accepted key takes a token, and an empty bucket is the vendor's 429. The faults are those of the
/// request's bearer key when it has its own (a tenant's), else the server-wide ones.
pub async fn api_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let decision = state.faults().decide(
        request.method().as_str(),
        request.uri().path(),
        request.uri().query(),
        bearer_token(request.headers()),
    );
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let mut response = match decision.fault {
        Some(Fault::Reset) => {
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response.extensions_mut().insert(ResetConnection);
            response
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => fault_status_response(status, retry_after),
        Some(Fault::Timeout { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            rate_limited_or_run(&state, request, next).await
        }
        Some(Fault::Malformed) => truncated(rate_limited_or_run(&state, request, next).await).await,
        None => rate_limited_or_run(&state, request, next).await,
    };
    response.extensions_mut().insert(AppliedFault {
        fault: decision.fault,
        latency: decision.latency,
    });
    response
}

async fn rate_limited_or_run(state: &AppState, request: Request, next: Next) -> Response {
    if let Some(limiter) = state.rate_limiter()
        && let Some(key) = crate::state::accepted_key(request.headers(), state)
        && let Err(retry_after) = limiter.check(key, state.clock().now_ms())
    {
        let limit = limiter.limit().requests_per_minute();
        return rate_limited_response(
            retry_after,
            &format!(
                "Rate limit exceeded: {limit} requests per minute. Please retry after {}.",
                seconds(retry_after)
            ),
        );
    }
    next.run(request).await
}

/// A 200 with the JSON content type and the first half of `response`'s body: JSON cut short.
async fn truncated(response: Response) -> Response {
    let bytes = match axum::body::to_bytes(response.into_body(), usize::MAX).await {
        Ok(bytes) => bytes.to_vec(),
        Err(_) => Vec::new(),
    };
    let cut = if bytes.len() < 2 {
        br#"{"calls":["#.to_vec()
    } else {
        bytes[..bytes.len() / 2].to_vec()
    };
    json_bytes_response(StatusCode::OK, cut)
}
