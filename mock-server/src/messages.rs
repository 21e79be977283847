//! The texts of error bodies: the vendor's documented ones, and the mock's own for answers the vendor does not
//! document, in the same `{"error", "message"}` shape. Named once here, so a changed text is one reviewed diff
//! and every layer (API errors, admin errors, the last-resort 500 of a body that cannot be serialized) uses
//! the same words.

/// The documented 400 `error` text.
pub const INVALID_QUERY: &str = "Invalid query parameters provided.";
/// The documented 401 `error` text.
pub const UNAUTHORIZED: &str = "Unauthorized";
/// The documented 401 `message` text.
pub const INVALID_API_KEY: &str = "Invalid or expired API key";
/// The documented 404 `error` text of `GET /v1/call/{id}`.
pub const CALL_NOT_FOUND: &str = "Call with the specified ID was not found.";
/// The documented 400 `error` text of `POST /v1/create-phone-call`.
pub const INVALID_REQUEST: &str = "Invalid request format, please check API reference.";
/// The documented 404 `error` text of `POST /v1/create-phone-call` for an unknown `override_agent_id`.
pub const AGENT_NOT_FOUND: &str = "Bot with the specified override_agent_id was not found.";
/// The documented 500 `error` text.
pub const INTERNAL_ERROR: &str = "An unexpected error occurred. Please try again later.";
/// The `error` text for a path the API does not have (not documented by the vendor).
pub const ROUTE_NOT_FOUND: &str = "Not Found";
/// The `error` text for a method a path does not allow (not documented by the vendor).
pub const METHOD_NOT_ALLOWED: &str = "Method Not Allowed";

/// The `error` text for a request body over the limit (not documented by the vendor).
pub const PAYLOAD_TOO_LARGE: &str = "Payload Too Large";

/// The `error` text of a 429 (the vendor's v2 body shape; the text itself is assumed).
pub const RATE_LIMITED: &str = "Too Many Requests";
