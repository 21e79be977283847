//! What goes out and what comes back: the [`Target`] (base URL and key), a [`Request`] as its caller builds it
//! (printable as a `curl` command with the key redacted), and the [`Response`] read whole.

use serde_json::Value;

use crate::error::RequestError;
use crate::tls::TLS;

/// Where the API key goes in a curl command: the key itself is never printed.
pub const REDACTED_KEY: &str = "$OPENMIC_API_KEY";

/// Which server to talk to, and the key it is sent.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash, such as `http://127.0.0.1:8080` or `https://api.openmic.ai`.
    pub base_url: String,
    /// The API key sent as `Authorization: Bearer <key>`.
    pub api_key: String,
}

impl Target {
    /// A target; a trailing slash on the base URL is dropped so paths can be appended.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Self {
            base_url,
            api_key: api_key.into(),
        }
    }

    /// Whether the host is this machine: no one is billed and nothing is throttled there, so a caller may run
    /// without budget or pace by default.
    pub fn is_local(&self) -> bool {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .is_some_and(|host| {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
    }

    /// Refuses, before any request, a base URL that does not parse or whose scheme is not `http` (or `https`,
    /// which needs the `tls` feature). [`crate::Client::new`] checks only the last: a caller that wants a bad
    /// URL caught up front (as `record` does) calls this first; one that does not lets the first request fail.
    pub fn check(&self) -> Result<(), RequestError> {
        let base_url = &self.base_url;
        let url = reqwest::Url::parse(base_url).map_err(|err| {
            RequestError::BadBaseUrl(format!(
                "invalid base URL {base_url:?}: {err} (expected something like https://api.openmic.ai)"
            ))
        })?;
        match url.scheme() {
            "http" => Ok(()),
            "https" if TLS => Ok(()),
            "https" => Err(RequestError::NeedsTls),
            other => Err(RequestError::BadBaseUrl(format!(
                "invalid base URL {base_url:?}: the scheme must be http or https, not {other}"
            ))),
        }
    }
}

/// The `Authorization` header a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Bearer <the target's key>`.
    Valid,
    /// No header at all.
    Missing,
    /// This exact header value; `{key}` stands for the target's key.
    Header(String),
}

/// The HTTP method. Only `GET` is safe to repeat: anything else counts against the client's write cap
/// ([`crate::Client::set_write_share`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// May create something on the target (`POST /v1/create-phone-call`, `POST /v1/bots`, a link).
    Post,
    /// Changes something on the target (`PATCH /v1/bots/{uid}`).
    Patch,
    /// Removes something from the target (`DELETE /v1/bots/{uid}`).
    Delete,
}

impl Method {
    /// As on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request body exactly as sent: the text and its `Content-Type` (`None`: no such header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The bytes, as text (only text bodies are sent).
    pub text: String,
}

/// One request: a method, a path and decoded query pairs (encoded on the way out), and for a `POST` its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET` for every List Calls and Get Call request.
    pub method: Method,
    /// Path starting with `/`, percent-encoded where needed.
    pub path: String,
    /// Query pairs in order, not yet encoded.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header.
    pub auth: Auth,
    /// The body, if any.
    pub body: Option<RequestBody>,
}

impl Request {
    /// A GET of `path` with the valid key.
    pub fn get(path: impl Into<String>, query: Vec<(String, String)>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            query,
            auth: Auth::Valid,
            body: None,
        }
    }

    /// A POST of `text` to `path` with the valid key, under `content_type` (`None`: no `Content-Type`).
    pub fn post(
        path: impl Into<String>,
        content_type: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            method: Method::Post,
            path: path.into(),
            query: Vec::new(),
            auth: Auth::Valid,
            body: Some(RequestBody {
                content_type: content_type.map(str::to_string),
                text: text.into(),
            }),
        }
    }

    /// A PATCH of the JSON `text` to `path` with the valid key (`Content-Type: application/json`).
    pub fn patch(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            method: Method::Patch,
            ..Self::post(path, Some("application/json"), text)
        }
    }

    /// A DELETE of `path` with the valid key and no body.
    pub fn delete(path: impl Into<String>) -> Self {
        Self {
            method: Method::Delete,
            body: None,
            ..Self::get(path, Vec::new())
        }
    }

    /// `GET /v1/calls?...` or `POST /v1/create-phone-call`: the method and what [`Request::path_and_query`] gives.
    pub fn line(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path_and_query())
    }

    /// The path and encoded query, as they go on the wire.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut encoder = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            encoder.append_pair(k, v);
        }
        format!("{}?{}", self.path, encoder.finish())
    }

    /// The `Authorization` header's value with `key` as the target's key, or `None` for no header.
    pub(crate) fn authorization(&self, key: &str) -> Option<String> {
        match &self.auth {
            Auth::Valid => Some(format!("Bearer {key}")),
            Auth::Missing => None,
            Auth::Header(template) => Some(template.replace("{key}", key)),
        }
    }

    /// A ready-to-paste curl command; the key is shown as `$OPENMIC_API_KEY`. A body goes in `--data-raw`
    /// with its `Content-Type` (an empty `-H 'Content-Type:'` when it has none, so curl adds none either).
    pub fn curl(&self, base_url: &str) -> String {
        let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
        let url = format!("{base_url}{}", self.path_and_query());
        let mut command = String::from("curl -sS");
        if let Some(header) = self.authorization(REDACTED_KEY) {
            command.push_str(&format!(
                " -H \"Authorization: {}\"",
                header.replace('"', "\\\"")
            ));
        }
        if !matches!(self.method, Method::Get | Method::Post) {
            command.push_str(&format!(" -X {}", self.method.as_str()));
        }
        if let Some(body) = &self.body {
            let content_type = format!(
                "Content-Type:{}",
                body.content_type
                    .as_deref()
                    .map_or(String::new(), |t| format!(" {t}"))
            );
            command.push_str(&format!(
                " -H {} --data-raw {}",
                quote(&content_type),
                quote(&body.text)
            ));
        } else if self.method == Method::Post {
            command.push_str(" -X POST");
        }
        format!("{command} {}", quote(&url))
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON, or `None` when it is not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_lines_name_every_method_but_get_and_a_post_with_a_body() {
        let base = "http://h";
        assert_eq!(
            Request::patch("/v1/bots/b", "{}").curl(base),
            "curl -sS -H \"Authorization: Bearer $OPENMIC_API_KEY\" -X PATCH -H 'Content-Type: application/json' --data-raw '{}' 'http://h/v1/bots/b'"
        );
        assert_eq!(
            Request::delete("/v1/bots/b").curl(base),
            "curl -sS -H \"Authorization: Bearer $OPENMIC_API_KEY\" -X DELETE 'http://h/v1/bots/b'"
        );
        assert!(!Request::post("/p", None, "x").curl(base).contains("-X"));
        assert!(
            Request::get("/g", vec![])
                .curl(base)
                .ends_with(" 'http://h/g'")
        );
        assert_eq!(Request::delete("/d").line(), "DELETE /d");
        assert_eq!(Request::patch("/p", "{}").line(), "PATCH /p");
    }

    #[test]
    fn base_urls_must_be_http_and_https_needs_the_tls_feature() {
        let refused = |url: &str| Target::new(url, "k").check().unwrap_err().to_string();
        assert!(
            refused("not a url").contains("invalid base URL"),
            "{}",
            refused("not a url")
        );
        assert!(refused("ftp://example.com").contains("http or https"));
        if !TLS {
            assert_eq!(
                Target::new("https://api.openmic.ai", "k").check(),
                Err(RequestError::NeedsTls)
            );
        }
        let target = Target::new("http://127.0.0.1:9/", "k");
        assert_eq!(target.check(), Ok(()));
        assert_eq!(target.base_url, "http://127.0.0.1:9");
    }
}
