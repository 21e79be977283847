//! The admin API's web page, `/__admin/ui`: the journal, the data, created calls, the clock, webhook deliveries
//! and faults, for a developer to keep open beside the app they build.
//!
//! Three hand-written files (`index.html`, `app.css`, `app.js`) are embedded in the binary: no build step, no
//! network at run time. The page holds no data; everything it shows it reads through the admin API itself, so
//! it obeys every rule the admin API has (the `Host` policy, the admin key, a JSON `Content-Type` on writes).
//! That is why the files are served without the admin key: they are the same bytes for everyone. Every answer
//! carries a strict Content-Security-Policy (scripts and styles from this origin only, no inline code, no
//! framing), so another site can neither inject into the page nor frame it to click its buttons.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Where the page is served.
pub const UI_PATH: &str = "/__admin/ui";

const INDEX_HTML: &str = include_str!("index.html");
const APP_CSS: &str = include_str!("app.css");
const APP_JS: &str = include_str!("app.js");

/// The policy every file of the page is served with: nothing from elsewhere, no inline script or style, no
/// plugins, no framing, forms and `<base>` disabled.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's files and their paths: the page at [`UI_PATH`] (and with a trailing slash), its script and style
/// beside it.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(UI_PATH, get(page))
        .route(&format!("{UI_PATH}/"), get(page))
        .route(&format!("{UI_PATH}/app.js"), get(script))
        .route(&format!("{UI_PATH}/app.css"), get(style))
}

/// Whether `path` is one of the page's files, which [`super::gate`] serves without the admin key.
pub(super) fn is_page_file(path: &str) -> bool {
    matches!(
        path.strip_prefix(UI_PATH),
        Some("" | "/" | "/app.js" | "/app.css")
    )
}

async fn page() -> Response {
    file("text/html; charset=utf-8", INDEX_HTML)
}

async fn script() -> Response {
    file("text/javascript; charset=utf-8", APP_JS)
}

async fn style() -> Response {
    file("text/css; charset=utf-8", APP_CSS)
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-cache");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_and_its_two_files_are_page_files() {
        for path in [
            "/__admin/ui",
            "/__admin/ui/",
            "/__admin/ui/app.js",
            "/__admin/ui/app.css",
        ] {
            assert!(is_page_file(path), "{path}");
        }
        for path in [
            "/__admin",
            "/__admin/uix",
            "/__admin/ui/app.jsx",
            "/__admin/ui/../requests",
            "/__admin/requests",
            "/__admin/ui/x/app.js",
        ] {
            assert!(!is_page_file(path), "{path}");
        }
    }

    #[test]
    fn the_page_is_small_and_loads_nothing_from_elsewhere() {
        let bytes = INDEX_HTML.len() + APP_CSS.len() + APP_JS.len();
        assert!(bytes < 150 * 1024, "{bytes} bytes");
        for text in [INDEX_HTML, APP_CSS, APP_JS] {
            assert!(!text.contains("http://") && !text.contains("https://"));
            assert!(!text.contains("<script>"), "no inline script");
            assert!(!text.contains("style=\""), "no inline style");
        }
    }
}
