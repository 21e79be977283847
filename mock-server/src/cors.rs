//! CORS for the API, off unless asked for (`--cors [ORIGIN]`): so a call dashboard running in a browser can
//! call the mock. Preflights on the API's paths are answered here, and every API answer (errors and injected
//! faults included) says which origin may read it and which of its headers a page may see. The admin API never
//! gets CORS headers: a page must not be able to drive it (see `docs/limits.md`).

use std::str::FromStr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::admin::ADMIN_PREFIX;
use crate::state::AppState;

/// How long a browser may cache a preflight's answer, in seconds.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// The response headers a page may read besides the simple ones.
const EXPOSED_HEADERS: &str = "x-mock-warning, retry-after";

/// The request headers a page may send.
const ALLOWED_HEADERS: &str = "authorization, content-type";

/// Which origins may read the API's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// Any origin (`Access-Control-Allow-Origin: *`). The API uses a bearer token, never cookies, so no
    /// credentials mode is needed.
    Any,
    /// Only this origin, such as `http://localhost:3000`.
    Exactly(String),
}

impl FromStr for CorsOrigin {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(CorsOrigin::Any);
        }
        let well_formed = (text.starts_with("http://") || text.starts_with("https://"))
            && !text.ends_with('/')
            && HeaderValue::from_str(text).is_ok()
            && !text.contains(char::is_whitespace);
        if well_formed {
            Ok(CorsOrigin::Exactly(text.to_string()))
        } else {
            Err(format!(
                "expected * or an origin such as http://localhost:3000 (scheme, host and port, no path), got {text:?}"
            ))
        }
    }
}

impl std::fmt::Display for CorsOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorsOrigin::Any => f.write_str("*"),
            CorsOrigin::Exactly(origin) => f.write_str(origin),
        }
    }
}

impl CorsOrigin {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if that origin may read.
    fn allow(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match self {
            CorsOrigin::Any => Some(HeaderValue::from_static("*")),
            CorsOrigin::Exactly(allowed) => origin
                .filter(|o| o.as_bytes() == allowed.as_bytes())
                .cloned(),
        }
    }
}

/// The methods a path takes, for `Access-Control-Allow-Methods`.
fn methods_for(_path: &str) -> &'static str {
    "GET"
}

/// Answers preflights on API paths and adds the CORS headers to every API answer, when CORS is on.
pub(crate) async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(policy) = state.config().cors.clone() else {
        return next.run(request).await;
    };
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed = policy.allow(origin.as_ref());
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        if let Some(allowed) = allowed {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(methods_for(request.uri().path())),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(PREFLIGHT_MAX_AGE_SECS),
            );
        }
        vary_on_origin(headers, &policy);
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(allowed) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    vary_on_origin(headers, &policy);
    response
}

/// An answer that depends on the `Origin` says so, so a cache never serves one origin's answer to another.
fn vary_on_origin(headers: &mut HeaderMap, policy: &CorsOrigin) {
    if matches!(policy, CorsOrigin::Exactly(_)) {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_or_one_origin_and_refuses_the_rest() {
        assert_eq!("*".parse::<CorsOrigin>(), Ok(CorsOrigin::Any));
        assert_eq!(
            "http://localhost:3000".parse::<CorsOrigin>(),
            Ok(CorsOrigin::Exactly("http://localhost:3000".into()))
        );
        for bad in ["localhost:3000", "http://x/", "http://a b", "", "ftp://x"] {
            assert!(bad.parse::<CorsOrigin>().is_err(), "{bad}");
        }
        let one = CorsOrigin::Exactly("http://a.test".into());
        assert_eq!(
            one.allow(Some(&HeaderValue::from_static("http://a.test"))),
            Some(HeaderValue::from_static("http://a.test"))
        );
        assert_eq!(
            one.allow(Some(&HeaderValue::from_static("http://b.test"))),
            None
        );
        assert_eq!(one.allow(None), None);
    }
}
