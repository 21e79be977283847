//! JSON response bodies with the content type every answer of the API carries.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// The `Content-Type` of every response: JSON, declared UTF-8.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The response header that names ignored (unknown) query parameters and body fields, and likely client
/// mistakes, such as an unencoded `+` in a phone number.
pub const WARNING_HEADER: &str = "x-mock-warning";

/// Adds `warning` to `response` as [`WARNING_HEADER`] (made printable ASCII) and logs it.
pub(crate) fn add_warning(response: &mut Response, warning: &str) {
    let warning = header_safe(warning);
    tracing::warn!(warning = %warning, "answered with a warning");
    if let Ok(value) = HeaderValue::from_str(&warning) {
        response.headers_mut().insert(WARNING_HEADER, value);
    }
}

/// Text made printable ASCII for a header value (non-ASCII and controls escaped).
fn header_safe(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                vec![c]
            } else {
                c.escape_unicode().collect()
            }
        })
        .collect()
}

/// A response with `bytes` (already JSON) as its body.
pub(crate) fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    json_shared_response(status, Bytes::from(bytes))
}

/// [`json_bytes_response`] with a body that may be shared (a kept page): sending it copies nothing.
pub(crate) fn json_shared_response(status: StatusCode, bytes: Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// A JSON object whose keys come out in the order given (a `serde_json::Value` object sorts them), for bodies
/// documented with their keys in a set order.
pub(crate) struct Fields<'a>(pub(crate) &'a [(&'a str, serde_json::Value)]);

impl Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A response with `value` serialized as its body.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes_response(status, bytes),
        Err(err) => {
            // Only reachable with a map keyed by non-strings, which no response type has.
            tracing::error!(error = %err, "failed to serialize a response body");
            json_bytes_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(r#"{{"error":"{}"}}"#, crate::messages::INTERNAL_ERROR).into_bytes(),
            )
        }
    }
}
