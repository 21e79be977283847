//! The admin API under `/__admin`: health, runtime data, the request journal, faults, tenants, the clock and
//! the outcomes of created calls.
//!
//! It lets tests in any language drive the standalone binary the way Rust tests drive
//! [`MockServer`](crate::MockServer). Admin requests pass through none of the API's layers: they are not
//! journaled, faulted or rate limited, so a test can always inspect and reconfigure the mock, however broken
//! it made the API.
//! Errors are `{"error", "message"}` like the API's, and the message names the field or value at fault.

//!
//! One file a resource: [`calls`], [`account`] (bots and phone numbers), [`journal`], [`faults`], [`rate_limit`], [`tenants`] (and resets),
//! [`clock`], [`outcomes`], [`webhooks`], [`served`] (the API's reads of a data set, unjournaled). The web page
//! that shows all of them is [`ui`]. What every handler reads is in [`request`] (whose data a route acts
//! on: [`request::Scope`]), who may call is in [`gate`], the answers of a refusal in [`error`]. The routes that
//! exist for the default data set and for a tenant's are written once ([`scoped_routes`]) and mounted twice, so
//! the same handler serves both.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodRouter, any, delete, get, post, put};
use serde_json::json;

use crate::body::Fields;
use crate::state::AppState;

mod account;
mod calls;
mod clock;
pub(crate) mod error;
mod faults;
mod gate;
mod journal;
pub(crate) mod openapi;
mod outcomes;
mod rate_limit;
mod request;
mod served;
mod tenants;
pub(crate) mod ui;
mod webhooks;

use error::AdminError;
use request::ok;

/// The admin routes, for [`crate::api::routes`] to merge beside the API.
pub(crate) fn routes(state: AppState) -> Router {
    let router = Router::new()
        .route("/__admin/health", only(get(health)))
        .route("/__admin/openapi.json", only(get(openapi::document)))
        .route(
            "/__admin/rate-limit",
            only(
                get(rate_limit::show)
                    .put(rate_limit::set)
                    .delete(rate_limit::clear),
            ),
        )
        .route(
            "/__admin/requests",
            only(get(journal::list_requests).delete(journal::clear_requests)),
        )
        .route("/__admin/requests/{id}", only(get(journal::one_request)))
        .route("/__admin/clock", only(get(clock::show).put(clock::set)))
        .route("/__admin/clock/advance", only(post(clock::advance)))
        .route(
            "/__admin/webhooks/deliveries",
            only(get(webhooks::deliveries).delete(webhooks::clear_deliveries)),
        )
        .route("/__admin/tenants", only(get(tenants::list_tenants)))
        .route("/__admin/tenants/{api_key}", only(delete(tenants::delete)));
    scoped_routes(
        scoped_routes(router, "/__admin"),
        "/__admin/tenants/{api_key}",
    )
    .merge(ui::routes())
    .route("/__admin", only(get(index)))
    .route("/__admin/", only(get(index)))
    .route("/__admin/{*rest}", any(route_not_found))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        gate::authorize,
    ))
    .with_state(state)
}

/// The routes that act on one data set and what belongs to it, under `prefix`: `/__admin` for the default data
/// set, `/__admin/tenants/{api_key}` for a tenant's. Each handler reads which from the path
/// ([`request::Scope`]).
fn scoped_routes(router: Router<AppState>, prefix: &str) -> Router<AppState> {
    let at = |path: &str| format!("{prefix}{path}");
    router
        .route(
            &at("/calls"),
            only(get(calls::list).put(calls::replace).post(calls::add)),
        )
        .route(
            &at("/calls/{id}"),
            only(put(calls::upsert).delete(calls::remove)),
        )
        .route(
            &at("/bots"),
            only(get(account::bots).put(account::replace_bots)),
        )
        .route(
            &at("/bots/{id}"),
            only(put(account::upsert_bot).delete(account::remove_bot)),
        )
        .route(
            &at("/phone-numbers"),
            only(get(account::numbers).put(account::replace_numbers)),
        )
        .route(
            &at("/phone-numbers/{id}"),
            only(put(account::upsert_number).delete(account::remove_number)),
        )
        .route(&at("/v1/calls"), only(get(served::list)))
        .route(&at("/v1/call/{id}"), only(get(served::get)))
        .route(&at("/reset"), only(post(tenants::reset)))
        .route(
            &at("/faults"),
            only(get(faults::show).put(faults::set).delete(faults::clear)),
        )
        .route(&at("/faults/next"), only(post(faults::push)))
        .route(
            &at("/outcomes"),
            only(
                get(outcomes::show)
                    .post(outcomes::push)
                    .delete(outcomes::clear),
            ),
        )
        .route(
            &at("/webhooks"),
            only(
                get(webhooks::show)
                    .put(webhooks::set)
                    .delete(webhooks::clear),
            ),
        )
        .route(&at("/webhooks/send"), only(post(webhooks::send)))
        .route(&at("/inbound-calls"), only(post(webhooks::inbound)))
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

/// `GET /__admin/health`: answers while the server runs; no key needed, so a readiness poll stays simple.
async fn health(State(state): State<AppState>) -> Response {
    ok(&Fields(&[
        ("status", json!("ok")),
        ("calls", json!(state.store().len())),
    ]))
}

/// `GET /__admin`: where to go from here, the web page first. It names paths only, so it needs no admin key.
async fn index() -> Response {
    ok(&Fields(&[
        ("ui", json!(ui::UI_PATH)),
        ("openapi", json!("/__admin/openapi.json")),
        ("health", json!("/__admin/health")),
        ("requests", json!("/__admin/requests")),
    ]))
}
