//! The request journal (`/__admin/requests`): received API requests, filtered, a page at a time, and cleared;
//! one entry with its answer's body (`/__admin/requests/{seq}`).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::request::{AdminError, IdParam, Result, ok};
use crate::journal::{JournalEntry, ReceivedRequest};
use crate::state::AppState;

/// The most entries one page of `GET /__admin/requests` holds, and how many it holds by default.
pub const MAX_JOURNAL_PAGE: usize = 1000;

/// How many entries a page of `GET /__admin/requests` holds when `limit` is not given.
pub const DEFAULT_JOURNAL_PAGE: usize = 100;

/// The most bytes of JSON one page of `GET /__admin/requests` holds (at least one entry is always served):
/// reading the journal costs a page at a time, whatever its size.
pub const MAX_JOURNAL_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The filters and the page of `GET /__admin/requests`.
#[derive(Debug, Default, PartialEq, Eq)]
struct JournalFilter {
    path: Option<String>,
    status: Option<u16>,
    limit: Option<usize>,
    after: Option<u64>,
    key: Option<u64>,
    since_ms: Option<i64>,
}

impl JournalFilter {
    fn parse(raw: Option<&str>) -> Result<Self> {
        let mut filter = JournalFilter::default();
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if seen.iter().any(|s| *s == name) {
                return Err(AdminError::BadRequest(format!(
                    "`{}` is given more than once; give it once",
                    crate::text::shown_name(&name)
                )));
            }
            seen.push(name.to_string());
            match &*name {
                "path" => filter.path = Some(value.into_owned()),
                "status" => {
                    filter.status = Some(
                        value
                            .parse::<u16>()
                            .ok()
                            .filter(|s| *s == 0 || (100..=599).contains(s))
                            .ok_or_else(|| {
                                AdminError::BadRequest(format!(
                                    "`status` must be an HTTP status from 100 to 599 (or 0 for no \
                                     response), got {}",
                                    crate::text::shown(&value)
                                ))
                            })?,
                    );
                }
                "limit" => {
                    filter.limit = Some(
                        value
                            .parse::<usize>()
                            .ok()
                            .filter(|n| (1..=MAX_JOURNAL_PAGE).contains(n))
                            .ok_or_else(|| {
                                AdminError::BadRequest(format!(
                                    "`limit` must be a whole number from 1 to {MAX_JOURNAL_PAGE}, got {}",
                                    crate::text::shown(&value)
                                ))
                            })?,
                    );
                }
                "after" => {
                    filter.after = Some(value.parse::<u64>().map_err(|_| {
                        AdminError::BadRequest(format!(
                            "`after` must be the `seq` of an entry (a whole number, 0 for the start), got {}",
                            crate::text::shown(&value)
                        ))
                    })?);
                }
                "api_key" => filter.key = Some(crate::journal::key_fingerprint(&value)),
                "since" => {
                    let since = match value.parse::<i64>() {
                        Ok(ms) if ms >= 0 => Ok(ms),
                        _ => crate::instant::parse_rfc3339_millis(&value),
                    };
                    filter.since_ms = Some(since.map_err(|_| {
                        AdminError::BadRequest(format!(
                            "`since` must be a time in RFC 3339 (2026-01-31T09:00:00Z) or Unix \
                             milliseconds, got {}",
                            crate::text::shown(&value)
                        ))
                    })?);
                }
                other => {
                    return Err(AdminError::BadRequest(format!(
                        "unknown parameter `{}`; expected path, status, api_key, since, limit or after",
                        crate::text::shown_name(other)
                    )));
                }
            }
        }
        Ok(filter)
    }

    fn matches(&self, request: &ReceivedRequest) -> bool {
        let path_ok = self
            .path
            .as_deref()
            .is_none_or(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => request.path.starts_with(prefix),
                None => request.path == pattern,
            });
        let received_ms = request
            .received_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        path_ok
            && self.status.is_none_or(|s| request.status == s)
            && self.key.is_none_or(|k| request.key_fingerprint == Some(k))
            && self.since_ms.is_none_or(|since| received_ms >= since)
    }
}

/// `GET /__admin/requests`: API requests, oldest first, a page at a time. Without `after`, the latest `limit`
/// (default 100) that match `?path=` (exact) and `?status=`; with `after=SEQ`, the first `limit` that match
/// after entry `SEQ` (`after=0` reads from the start). A page also stops at [`MAX_JOURNAL_PAGE_BYTES`] of JSON;
/// `has_more` says whether matching entries are left beyond it (older ones without `after`, newer ones with it).
pub(super) async fn list_requests(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let filter = JournalFilter::parse(raw.as_deref())?;
    let limit = filter.limit.unwrap_or(DEFAULT_JOURNAL_PAGE);
    let entries = state.journal().entries();
    let matching = entries.iter().filter(|e| filter.matches(&e.request));
    // The page's entries, in the order they are read: forward after a cursor, backward from the newest.
    let candidates: Vec<&JournalEntry> = match filter.after {
        Some(after) => matching.filter(|e| e.seq > after).take(limit + 1).collect(),
        None => {
            let mut latest: Vec<&JournalEntry> = matching.rev().take(limit + 1).collect();
            latest.reverse();
            latest
        }
    };
    let redact = &state.config().redact_headers;
    let mut has_more = candidates.len() > limit;
    let window: &[&JournalEntry] = match (filter.after, has_more) {
        (Some(_), true) => &candidates[..limit],
        (None, true) => &candidates[1..],
        _ => &candidates[..],
    };
    // Each entry is serialized once: its text both counts toward the page's size and goes into the body.
    let mut page: Vec<String> = Vec::with_capacity(window.len());
    let mut bytes = 0;
    // Forward pages keep their first entries; backward pages keep their newest.
    let ordered: Box<dyn Iterator<Item = &&JournalEntry>> = if filter.after.is_some() {
        Box::new(window.iter())
    } else {
        Box::new(window.iter().rev())
    };
    for entry in ordered {
        let mut json = entry.request.to_json_redacted(redact);
        json["seq"] = json!(entry.seq);
        let text = json.to_string();
        if !page.is_empty() && bytes + text.len() > MAX_JOURNAL_PAGE_BYTES {
            has_more = true;
            break;
        }
        bytes += text.len();
        page.push(text);
    }
    if filter.after.is_none() {
        page.reverse();
    }
    let body = format!(
        r#"{{"requests":[{}],"has_more":{has_more}}}"#,
        page.join(",")
    );
    Ok(crate::body::json_bytes_response(
        StatusCode::OK,
        body.into_bytes(),
    ))
}

/// `GET /__admin/requests/{seq}`: one entry, with the start of its answer's body; a 404 once it has left the
/// journal.
pub(super) async fn one_request(
    State(state): State<AppState>,
    IdParam(seq): IdParam,
) -> Result<Response> {
    let seq: u64 = seq.parse().map_err(|_| {
        AdminError::BadRequest(format!(
            "the path's `seq` must be an entry's number (a whole number from 1), got {}",
            crate::text::shown(&seq)
        ))
    })?;
    let entry = state
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.seq == seq)
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "no journal entry {seq}: it was never made, or it left the journal (cleared, reset, or \
                 past --journal-size or --journal-bytes)"
            ))
        })?;
    let mut json = entry
        .request
        .to_json_with_answer_body(&state.config().redact_headers);
    json["seq"] = json!(entry.seq);
    Ok(ok(&json))
}

/// `DELETE /__admin/requests`.
pub(super) async fn clear_requests(State(state): State<AppState>) -> Response {
    let cleared = state.journal().clear();
    ok(&json!({ "cleared": cleared }))
}
