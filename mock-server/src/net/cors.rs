//! CORS for the API, off unless asked for (`--cors [ORIGIN]`): so a call dashboard running in a browser can
//! call the mock. Preflights on the API's paths are answered here, and every API answer (errors and injected
//! faults included) says which origin may read it and which of its headers a page may see. The admin API never
//! gets CORS headers: a page must not be able to drive it (see `docs/limits.md`).

use std::str::FromStr;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

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

/// The methods a path takes, for `Access-Control-Allow-Methods` (the same as its 405 names).
fn methods_for(path: &str) -> &'static str {
    match path.trim_end_matches('/') {
        "/v1/create-phone-call"
        | "/v1/phone-numbers/link-agent"
        | "/v1/phone-numbers/unlink-agent" => "POST",
        "/v1/bots" => "GET, POST",
        bot if bot.starts_with("/v1/bots/") => "GET, PATCH, DELETE",
        _ => "GET",
    }
}

/// Whether a request is a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`.
pub(crate) fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from `origin` for `path` under `policy`: 204, with the CORS headers when the
/// origin may read.
pub(crate) fn preflight(policy: &CorsOrigin, origin: Option<&HeaderValue>, path: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    if let Some(allowed) = policy.allow(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods_for(path)),
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
    vary_on_origin(headers, policy);
    response
}

/// Adds to an API answer the headers that let a page from `origin` read it (and its warning and wait).
pub(crate) fn decorate(policy: &CorsOrigin, origin: Option<&HeaderValue>, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(allowed) = policy.allow(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    vary_on_origin(headers, policy);
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

    #[test]
    fn a_preflight_names_the_methods_of_its_path() {
        for (path, methods) in [
            ("/v1/calls", "GET"),
            ("/v1/call/x/", "GET"),
            ("/v1/create-phone-call/", "POST"),
            ("/v1/bots", "GET, POST"),
            ("/v1/bots/abc", "GET, PATCH, DELETE"),
            ("/v1/phone-numbers", "GET"),
            ("/v1/phone-numbers/abc", "GET"),
            ("/v1/phone-numbers/link-agent", "POST"),
            ("/v1/phone-numbers/unlink-agent/", "POST"),
        ] {
            assert_eq!(methods_for(path), methods, "{path}");
        }
    }
}
