//! What every admin handler reads: whose data a route acts on ([`Scope`]: the default data set or a tenant's,
//! from the path), the call id of a path, a body read within its limit, a JSON body, data changes run off the
//! request threads, and the plain 200 answer.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::Value;

pub(super) use super::error::AdminError;
use crate::body::json_response;
use crate::data::error::DataError;
use crate::state::AppState;
use crate::text::{shown, shown_name};

/// The largest admin body accepted (a fixture of a few hundred thousand calls).
pub const MAX_ADMIN_BODY_BYTES: usize = 512 * 1024 * 1024;

pub(super) type Result<T, E = AdminError> = std::result::Result<T, E>;

/// Whose data an admin route acts on: the default data set (`/__admin/...`), or the tenant whose API key is the
/// path's `{api_key}` (`/__admin/tenants/{api_key}/...`). The same handler serves both routes.
pub(super) struct Scope(Option<String>);

impl Scope {
    /// The tenant's key, or `None` for the default data set.
    pub(super) fn tenant(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// Refuses a tenant scope whose tenant does not exist (the admin 404); the default scope always exists.
    pub(super) fn existing(&self, state: &AppState) -> Result<()> {
        match self.tenant() {
            Some(key) if !state.data().has_tenant(key) => {
                Err(DataError::TenantNotFound(key.to_string()).into())
            }
            _ => Ok(()),
        }
    }

    /// The route's path for messages: `/__admin{rest}` or `/__admin/tenants/{key}{rest}`.
    pub(super) fn path(&self, rest: &str) -> String {
        match &self.0 {
            None => format!("/__admin{rest}"),
            Some(key) => format!("/__admin/tenants/{key}{rest}"),
        }
    }
}

impl FromRequestParts<AppState> for Scope {
    type Rejection = AdminError;

    /// A tenant path naming an API key of the default data set is a 409: no tenant can have that key.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let key = path_param(parts, state, "api_key").await?;
        if let Some(key) = &key {
            state.check_tenant_key(key)?;
        }
        Ok(Scope(key))
    }
}

/// The `{id}` of a route (a call, a bot, a phone number), percent-decoded.
pub(super) struct IdParam(pub(super) String);

impl FromRequestParts<AppState> for IdParam {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        path_param(parts, state, "id")
            .await?
            .map(IdParam)
            .ok_or_else(|| AdminError::BadRequest("the path has no id".into()))
    }
}

/// The path parameter `name`, percent-decoded, if the route has one; a segment that is not UTF-8 is a precise
/// 400, not axum's plain text.
async fn path_param(parts: &mut Parts, state: &AppState, name: &str) -> Result<Option<String>> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|err| AdminError::BadRequest(format!("bad path segment: {err}")))?;
    Ok(params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string()))
}

pub(super) async fn read_body(body: Body) -> Result<Bytes> {
    axum::body::to_bytes(body, MAX_ADMIN_BODY_BYTES)
        .await
        .map_err(|err| {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                AdminError::PayloadTooLarge(MAX_ADMIN_BODY_BYTES)
            } else if let Some(timed_out) = crate::net::deadline::BodyTimedOut::find(&err) {
                AdminError::BodyTimedOut(timed_out)
            } else {
                AdminError::BadRequest(format!("could not read the body: {err}"))
            }
        })
}

pub(super) async fn read_json(body: Body) -> Result<Value> {
    let bytes = read_body(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::BadRequest(
            "the body is empty; expected a JSON object".into(),
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|err| AdminError::BadRequest(format!("the body is not valid JSON: {err}")))
}

/// Runs a data change (parsing, validating and indexing calls: CPU work that grows with the data) on tokio's
/// blocking threads, so API requests never wait behind it.
pub(super) async fn blocking<T: Send + 'static>(
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

pub(super) fn ok(value: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, value)
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
            shown_name(other),
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}
