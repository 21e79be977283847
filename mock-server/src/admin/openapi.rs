//! The mock's own OpenAPI 3.1 document (`GET /__admin/openapi.json`, `openmic-mock openapi`): the vendor's whole
//! v1 API (12 operations) as the mock serves it, with its documented choices, and the admin API.
//!
//! The document is a committed file, `mock-server/openapi.json`, embedded as written (as the fixtures embed their
//! data set), so that tools read the same bytes from the repository, the binary and the running mock. The test
//! `mock-server/tests/it/openapi.rs` keeps it honest: every example in it validates against its schema, and
//! every answer the test drives out of the mock validates against the schema of its path, method and status.

use axum::http::StatusCode;
use axum::response::Response;

use crate::body::json_bytes_response;

/// The mock's OpenAPI 3.1 document, as JSON text.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// `GET /__admin/openapi.json`: the document, as committed.
pub(super) async fn document() -> Response {
    json_bytes_response(StatusCode::OK, OPENAPI_JSON.as_bytes().to_vec())
}
