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
/// The documented 404 `error` text of `GET`, `PATCH` and `DELETE /v1/bots/{uid}`.
pub const BOT_NOT_FOUND: &str = "Bot with the specified UID was not found.";
/// The documented 404 `error` text of `GET /v1/phone-numbers/{uid}` and `POST /v1/phone-numbers/unlink-agent`.
pub const PHONE_NUMBER_NOT_FOUND: &str = "Phone number with the specified UID was not found.";
/// The documented 404 `error` text of `POST /v1/phone-numbers/link-agent`.
pub const NUMBER_OR_BOT_NOT_FOUND: &str = "The specified phone number or bot was not found.";
/// The documented 400 `error` text of `POST /v1/phone-numbers/link-agent` for a bad `direction`.
pub const INVALID_DIRECTION: &str =
    "Invalid direction specified. Must be one of 'inbound', 'outbound', 'both'.";
/// The documented 400 `error` text of `POST /v1/phone-numbers/unlink-agent` (and of link-agent's other body
/// problems, an assumption).
pub const INVALID_BODY: &str = "Invalid request body.";
/// The `error` text of the documented 409 of `DELETE /v1/bots/{uid}` ("bot is currently in use"; the vendor
/// gives no example body).
pub const BOT_IN_USE: &str = "Bot is currently in use.";
/// The documented 500 `error` text.
pub const INTERNAL_ERROR: &str = "An unexpected error occurred. Please try again later.";
/// The `error` text for a path the API does not have (not documented by the vendor).
pub const ROUTE_NOT_FOUND: &str = "Not Found";
/// The `error` text for a method a path does not allow (not documented by the vendor).
pub const METHOD_NOT_ALLOWED: &str = "Method Not Allowed";

/// The `error` text for a request body over the limit (not documented by the vendor).
pub const PAYLOAD_TOO_LARGE: &str = "Payload Too Large";

/// The `error` text for a request body that did not arrive in time (not documented by the vendor).
pub const REQUEST_TIMEOUT: &str = "Request Timeout";

/// The `error` text of a 429 (the vendor's v2 body shape; the text itself is assumed).
pub const RATE_LIMITED: &str = "Too Many Requests";
