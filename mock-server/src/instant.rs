//! Instants as the mock reads them: RFC 3339 date-times (the query's `created_after`/`created_before`, admin
//! bodies, `--anchor`) and Unix milliseconds. Formatting is [`openmic_fixtures::rfc3339_ms`].

pub use openmic_fixtures::parse_rfc3339_millis;

/// An instant given on the command line or in an admin body: an RFC 3339 date-time, a bare `YYYY-MM-DD`
/// (midnight UTC), or Unix milliseconds (digits only). `None` for anything else, or a time before 1970.
pub fn parse_instant(text: &str) -> Option<u64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    parse_rfc3339_millis(text)
        .ok()
        .and_then(|ms| u64::try_from(ms).ok())
}
