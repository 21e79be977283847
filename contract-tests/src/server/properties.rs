//! The properties, one function each, and the table that names them. Each property generates requests from
//! the listed data (values present and near misses), sends them, and compares the answer with the reference
//! model or the documented body.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::contract::dates::{DAY_MS, format_bare_date, format_rfc3339_ms};
use crate::contract::reference::{ListQuery, all_matches, contract_order, expected_page};
use crate::contract::shape::{call_shape_problems, page_shape_problems};
use crate::http::{Auth, Request};
use crate::report::{clip, id_sequence_difference, render};
use crate::runner::{Boundary, CaseError, Failure, Mismatch, Outcome};
use crate::server::boundaries;
use crate::server::context::{Ctx, run_property, run_property_with_boundaries};
use crate::server::inputs::{
    DateFormat, FilterSpec, Variant, apply_window, bound, date_spec, filter_spec, near_miss,
    variant,
};

/// The documented 401 body.
pub fn unauthorized_body() -> Value {
    json!({"error": "Unauthorized", "message": "Invalid or expired API key"})
}
/// The documented 400 `error`.
pub const INVALID_QUERY: &str = "Invalid query parameters provided.";
/// The documented 404 body of get-call.
pub fn not_found_body() -> Value {
    json!({"error": "Call with the specified ID was not found."})
}

/// A named check.
pub struct Property {
    /// The name printed on its line and accepted by `--property`.
    pub name: &'static str,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// Whether it needs at least one listed call.
    pub needs_data: bool,
    /// Runs it.
    pub run: fn(&Ctx<'_>) -> Outcome,
}

/// Every property, in the order they run.
pub const PROPERTIES: &[Property] = &[
    Property {
        name: "auth",
        summary: "missing, empty, wrong and malformed keys give the documented 401 on both paths",
        needs_data: false,
        run: auth,
    },
    Property {
        name: "validation",
        summary: "invalid values of every parameter give 400 with the documented error",
        needs_data: false,
        run: validation,
    },
    Property {
        name: "repeated_parameters",
        summary: "a known parameter sent twice is a 400",
        needs_data: true,
        run: repeated_parameters,
    },
    Property {
        name: "filtering",
        summary: "every filter combination with limit/offset equals the reference model",
        needs_data: true,
        run: filtering,
    },
    Property {
        name: "exact_matching",
        summary: "string filters match exactly: near misses match nothing, an empty value is no filter",
        needs_data: true,
        run: exact_matching,
    },
    Property {
        name: "date_bounds",
        summary: "from_date/to_date are inclusive on start_timestamp, to the millisecond",
        needs_data: true,
        run: date_bounds,
    },
    Property {
        name: "bare_dates",
        summary: "bare YYYY-MM-DD dates are accepted as midnight UTC",
        needs_data: true,
        run: bare_dates,
    },
    Property {
        name: "pagination_walk",
        summary: "walking pages yields every match once, in order; total constant; has_more false only at the end",
        needs_data: true,
        run: pagination_walk,
    },
    Property {
        name: "ordering",
        summary: "newest first, ties by call_id descending, the same on every request",
        needs_data: true,
        run: ordering,
    },
    Property {
        name: "defaults",
        summary: "no limit means 50 and is echoed; an offset past the end is an empty last page",
        needs_data: true,
        run: defaults,
    },
    Property {
        name: "unknown_parameters",
        summary: "unknown parameters are ignored",
        needs_data: true,
        run: unknown_parameters,
    },
    Property {
        name: "trailing_slash",
        summary: "/v1/calls/ and /v1/call/{id}/ answer as without the slash",
        needs_data: true,
        run: trailing_slash,
    },
    Property {
        name: "get_call",
        summary: "every listed call equals GET /v1/call/{id}; unknown ids give the documented 404",
        needs_data: true,
        run: get_call,
    },
    Property {
        name: "shape",
        summary: "required fields and types, enum values, no null but extracted_data, transcript pairs",
        needs_data: false,
        run: shape,
    },
];

fn list_request(path: &str, query: &ListQuery) -> Request {
    Request::get(path, query.to_pairs())
}

/// `query` sent to `path` must answer exactly what the reference model computes.
fn expect_reference(
    ctx: &Ctx<'_>,
    path: &str,
    query: &ListQuery,
    rule: &str,
) -> Result<Value, CaseError> {
    let expected = expected_page(&ctx.data.calls, query);
    ctx.expect_body(&list_request(path, query), rule, 200, &expected)
}

fn matches_count(ctx: &Ctx<'_>, query: &ListQuery) -> u64 {
    all_matches(&ctx.data.calls, query).len() as u64
}

// ---------------------------------------------------------------------------------------------------------
// The properties.

/// The ways `auth` sends a wrong key, in the order of its `match`.
const AUTH_WORDS: [&str; 8] = [
    "no Authorization header",
    "an empty Authorization header",
    "Bearer with no key",
    "the key with one more character",
    "another key",
    "the key as Basic",
    "the key without a scheme",
    "Bearer and the key without a space",
];
const AUTH_VARIANTS: usize = AUTH_WORDS.len();
/// The requests `auth` sends them with, in the order of its `match`.
const AUTH_PATHS: [&str; 3] = ["List Calls", "List Calls with limit=0", "Get Call"];

fn auth(ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.data.calls.first().map_or_else(
        || "cunknown0000000000000000".to_string(),
        |(c, _)| c.call_id.clone(),
    );
    // Each way of sending a wrong key once, and no key on each path, on every run.
    let boundaries: Vec<Boundary<(usize, usize)>> = (0..AUTH_PATHS.len())
        .map(|path| (path, 0))
        .chain((1..AUTH_VARIANTS).map(|variant| (variant % AUTH_PATHS.len(), variant)))
        .map(|(path, variant)| Boundary {
            what: format!("{} on {}", AUTH_WORDS[variant], AUTH_PATHS[path]),
            value: (path, variant),
        })
        .collect();
    let strategy = (0..AUTH_PATHS.len(), 0..AUTH_VARIANTS);
    run_property_with_boundaries(ctx, "auth", boundaries, strategy, |(path, variant)| {
        let (path, query) = match path {
            0 => ("/v1/calls".to_string(), vec![]),
            1 => (
                "/v1/calls".to_string(),
                vec![("limit".to_string(), "0".to_string())],
            ),
            _ => (format!("/v1/call/{}", encode_segment(&id)), vec![]),
        };
        let auth = match variant {
            0 => Auth::Missing,
            1 => Auth::Header(String::new()),
            2 => Auth::Header("Bearer ".into()),
            3 => Auth::Header("Bearer {key}x".into()),
            4 => Auth::Header("Bearer wrong-key-0000".into()),
            5 => Auth::Header("Basic {key}".into()),
            6 => Auth::Header("{key}".into()),
            _ => Auth::Header("Bearer{key}".into()),
        };
        let request = Request {
            auth,
            ..Request::get(path, query)
        };
        ctx.expect_body(
            &request,
            "a missing or invalid key must give 401 with the documented body (before any parameter check)",
            401,
            &unauthorized_body(),
        )
        .map(drop)
    })
}

/// Invalid values per parameter: out of range, not an integer, wrong case, unknown, malformed, empty.
const INVALID_VALUES: &[(&str, &[&str])] = &[
    (
        "limit",
        &[
            "0",
            "101",
            "1000",
            "-1",
            "1.5",
            "abc",
            "",
            "1e2",
            "+5",
            " 5",
            "0x10",
            "99999999999999999999",
        ],
    ),
    ("offset", &["-1", "1.5", "x", "", "ten", "+1", "1 "]),
    ("call_status", &["Ended", "ENDED", "done", "", "completed"]),
    (
        "call_type",
        &["PhoneCall", "phone_call", "web", "", "WEBCALL"],
    ),
    (
        "from_date",
        &[
            "2025-13-01",
            "2025-02-30",
            "not-a-date",
            "2025-12-01T25:00:00Z",
            "12/01/2025",
            "",
            "2025-12-01T10:00:00",
        ],
    ),
    (
        "to_date",
        &[
            "2025-00-10",
            "2025-04-31",
            "soon",
            "2025-12-01T10:61:00Z",
            "2025/12/01",
            "",
            "2025-12-01T10:00Z",
        ],
    ),
];

/// Checks a 400 answer: status and the documented `error`; `message`, when present, must be a string.
pub(crate) fn expect_invalid(
    ctx: &Ctx<'_>,
    request: &Request,
    rule: &str,
) -> Result<(), CaseError> {
    let response = ctx.send(request)?;
    let got = response.json();
    let ok = response.status == 400
        && got.as_ref().is_some_and(|b| {
            b["error"] == INVALID_QUERY
                && b.as_object().is_some_and(|o| {
                    o.iter()
                        .all(|(k, v)| k == "error" || (k == "message" && v.is_string()))
                })
        });
    if ok {
        return Ok(());
    }
    let mut expected = json!({"error": INVALID_QUERY});
    if let Some(message) = got
        .as_ref()
        .and_then(|b| b.get("message"))
        .filter(|m| m.is_string())
    {
        expected["message"] = message.clone();
    }
    Err(CaseError::mismatch(
        request,
        rule,
        format!("HTTP 400\n{}", render(&expected, None)),
        format!(
            "HTTP {}\n{}",
            response.status,
            got.map_or_else(|| response.text(), |g| render(&g, None))
        ),
    ))
}

fn validation(ctx: &Ctx<'_>) -> Outcome {
    let most = INVALID_VALUES
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(1);
    let strategy = (
        0..INVALID_VALUES.len(),
        0..most,
        proptest::option::of(1..=100u64),
    );
    run_property_with_boundaries(
        ctx,
        "validation",
        validation_boundaries(),
        strategy,
        |(param, value, limit)| {
            let (name, values) = INVALID_VALUES[param];
            let value = values[value % values.len()];
            let mut query = Vec::new();
            if let Some(limit) = limit.filter(|_| name != "limit") {
                query.push(("limit".to_string(), limit.to_string()));
            }
            query.push((name.to_string(), value.to_string()));
            let request = Request::get("/v1/calls", query);
            expect_invalid(
                ctx,
                &request,
                &format!("{name}={value:?} is invalid: 400 with error {INVALID_QUERY:?}"),
            )
        },
    )
}

/// The invalid values `validation` sends first on every run, each alone: the ones a language's own parser
/// takes (`+5`, a space, a number past 64 bits) and each end of `limit`'s range.
fn validation_boundaries() -> Vec<Boundary<(usize, usize, Option<u64>)>> {
    [
        ("limit", "+5"),
        ("limit", " 5"),
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "99999999999999999999"),
        ("offset", "-1"),
        ("offset", "+1"),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        let param = INVALID_VALUES.iter().position(|(n, _)| *n == name)?;
        let index = INVALID_VALUES[param].1.iter().position(|v| *v == value)?;
        Some(Boundary {
            what: format!("{name}={value:?}"),
            value: (param, index, None),
        })
    })
    .collect()
}

/// The parameters `repeated_parameters` gives twice, in the order of its `match`.
const REPEATED: [&str; 8] = [
    "limit",
    "offset",
    "call_status",
    "call_type",
    "bot_id",
    "from_number",
    "from_date",
    "to_date",
];

fn repeated_parameters(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    // Each parameter twice with two values, on every run: each may be parsed by its own code.
    let boundaries = REPEATED
        .iter()
        .enumerate()
        .map(|(param, name)| Boundary {
            what: format!("{name} given twice, two values"),
            value: (param, 0, false),
        })
        .collect();
    run_property_with_boundaries(
        ctx,
        "repeated_parameters",
        boundaries,
        (0..REPEATED.len(), 0..n, any::<bool>()),
        |(param, i, same)| {
            let call = &ctx.data.calls[i].0;
            let start = call.start_timestamp.map_or(0, |t| t.millis() as i64);
            let (name, a, b): (&str, String, String) = match param {
                0 => ("limit", "5".into(), "7".into()),
                1 => ("offset", "0".into(), "1".into()),
                2 => (
                    "call_status",
                    call.call_status.as_str().into(),
                    "ended".into(),
                ),
                3 => (
                    "call_type",
                    call.call_type.as_str().into(),
                    "webcall".into(),
                ),
                4 => ("bot_id", call.agent_id.clone(), "other-agent".into()),
                5 => (
                    "from_number",
                    call.from_number.clone(),
                    call.to_number.clone(),
                ),
                6 => (
                    "from_date",
                    format_rfc3339_ms(start),
                    format_rfc3339_ms(start + 1),
                ),
                _ => ("to_date", format_rfc3339_ms(start), format_bare_date(start)),
            };
            let b = if same { a.clone() } else { b };
            let request = Request::get("/v1/calls", vec![(name.into(), a), (name.into(), b)]);
            expect_invalid(ctx, &request, &format!("{name} given twice must be a 400"))
        },
    )
}

fn filtering(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    let total = ctx.data.calls.len() as u64;
    let strategy = (
        filter_spec(n, 0.35),
        proptest::option::weighted(0.8, 1..=100u64),
        proptest::option::weighted(0.6, 0..=total + 5),
    );
    run_property_with_boundaries(
        ctx,
        "filtering",
        boundaries::pages(ctx),
        strategy,
        |(spec, limit, offset)| {
            let mut query = spec.query(ctx);
            query.limit = limit;
            query.offset = offset;
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "the page and pagination must equal the reference model",
            )
            .map(drop)
        },
    )
}

/// The string filters `exact_matching` sends, in the order of its `match`.
const EXACT_FIELDS: [&str; 4] = ["customer_id", "from_number", "to_number", "bot_id"];

fn exact_matching(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    // Each filter with each near miss of the first call with a customer_id (every call has the other three),
    // on every run: a column may be compared by its own code.
    let with_customer = ctx
        .data
        .calls
        .iter()
        .position(|(c, _)| c.customer_id.is_some())
        .unwrap_or(0);
    // `None` is the empty value (`customer_id=`), which means the filter is not given (rule 7c).
    let mut boundaries = Vec::new();
    for (field, name) in EXACT_FIELDS.iter().enumerate() {
        for v in Variant::ALL {
            boundaries.push(Boundary {
                what: format!("{name}, {v:?}"),
                value: (field, with_customer, Some(v)),
            });
        }
        boundaries.push(Boundary {
            what: format!("{name} empty"),
            value: (field, with_customer, None),
        });
    }
    run_property_with_boundaries(
        ctx,
        "exact_matching",
        boundaries,
        (
            0..EXACT_FIELDS.len(),
            0..n,
            proptest::option::weighted(0.9, variant()),
        ),
        |(field, i, v)| {
            let call = &ctx.data.calls[i].0;
            let mut query = ListQuery {
                limit: Some(100),
                ..ListQuery::default()
            };
            let value = |text: &str| v.map_or_else(String::new, |v| near_miss(text, v));
            match field {
                0 => query.customer_id = call.customer_id.as_deref().map(value),
                1 => query.from_number = Some(value(&call.from_number)),
                2 => query.to_number = Some(value(&call.to_number)),
                _ => query.bot_id = Some(value(&call.agent_id)),
            }
            apply_window(ctx.data, &mut query);
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "string filters must match exactly (case, whitespace, whole value); an empty value is no filter",
            )
            .map(drop)
        },
    )
}

fn date_bounds(ctx: &Ctx<'_>) -> Outcome {
    let times = ctx.data.start_times();
    if times.is_empty() {
        return Outcome::Skipped("no listed call has a start_timestamp".into());
    }
    let n = times.len();
    let strategy = (0..3usize, 0..n, 0..n, date_spec(false), date_spec(false));
    run_property_with_boundaries(
        ctx,
        "date_bounds",
        boundaries::date_bounds(&times),
        strategy,
        |(which, i, j, a, b)| {
            let (lo, hi) = (times[i.min(j)], times[i.max(j)]);
            let mut query = ListQuery {
                limit: Some(100),
                ..ListQuery::default()
            };
            if which != 1 {
                query.from_date = Some(bound(lo + a.delta_ms, a.format));
            }
            if which != 0 {
                let t = if which == 1 { lo } else { hi };
                query.to_date = Some(bound(t + b.delta_ms, b.format));
            }
            apply_window(ctx.data, &mut query);
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "date bounds are inclusive, compare start_timestamp, and keep milliseconds",
            )
            .map(drop)
        },
    )
}

fn bare_dates(ctx: &Ctx<'_>) -> Outcome {
    let times = ctx.data.start_times();
    if times.is_empty() {
        return Outcome::Skipped("no listed call has a start_timestamp".into());
    }
    let n = times.len();
    run_property(
        ctx,
        "bare_dates",
        (0..3usize, 0..n, 0..2i64),
        |(which, i, shift)| {
            let t = times[i] + shift * DAY_MS;
            let mut query = ListQuery {
                limit: Some(100),
                ..ListQuery::default()
            };
            if which != 1 {
                query.from_date = Some(bound(t - DAY_MS, DateFormat::Bare));
            }
            if which != 0 {
                query.to_date = Some(bound(t, DateFormat::Bare));
            }
            apply_window(ctx.data, &mut query);
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "a bare YYYY-MM-DD date is accepted and means midnight UTC",
            )
            .map(drop)
        },
    )
}

fn pagination_walk(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    run_property_with_boundaries(
        ctx,
        "pagination_walk",
        boundaries::walks(ctx),
        (filter_spec(n, 0.2), 0..100u64),
        |(spec, size)| {
            let mut query = spec.query(ctx);
            let expected: Vec<Value> = all_matches(&ctx.data.calls, &query)
                .iter()
                .map(|(c, _)| Value::from(c.call_id.clone()))
                .collect();
            let total = expected.len() as u64;
            // At most ~15 pages per walk: small pages when there are few matches.
            let min_size = total.div_ceil(15).max(1);
            let limit = min_size + size % (101 - min_size.min(100));
            let limit = limit.min(100);
            query.limit = Some(limit);
            let mut got: Vec<Value> = Vec::new();
            let mut walked: Vec<String> = Vec::new();
            let max_pages = total / limit + 2;
            for page in 0..=max_pages {
                query.offset = Some(page * limit);
                let request = list_request("/v1/calls", &query);
                let response = ctx.send(&request)?;
                let body = response.json().unwrap_or(Value::Null);
                let calls = body["calls"].as_array().cloned().unwrap_or_default();
                walked.push(format!(
                    "GET {} -> {}, {} calls, has_more {}",
                    request.path_and_query(),
                    response.status,
                    calls.len(),
                    body["pagination"]["has_more"]
                ));
                let offset = page * limit;
                let want = json!({
                    "limit": limit, "offset": offset, "total": total,
                    "has_more": offset + (calls.len() as u64) < total,
                });
                if response.status != 200 || body["pagination"] != want {
                    return Err(CaseError::mismatch(
                        &request,
                        "on every page of a walk: limit and offset echoed, total constant, has_more = offset + page length < total",
                        format!("HTTP 200\npagination: {want}\n"),
                        format!(
                            "HTTP {}\npagination: {}\n",
                            response.status, body["pagination"]
                        ),
                    ));
                }
                got.extend(calls.iter().map(|c| c["call_id"].clone()));
                if !want["has_more"].as_bool().unwrap_or(false) {
                    if got != expected {
                        let ids = |values: &[Value]| -> Vec<String> {
                            values
                                .iter()
                                .map(|v| v.as_str().unwrap_or("?").to_string())
                                .collect()
                        };
                        let (expected, got) = (ids(&expected), ids(&got));
                        let lines = |ids: &[String]| {
                            ids.iter().map(|id| format!("{id}\n")).collect::<String>()
                        };
                        return Err(CaseError::mismatch(
                            &request,
                            format!(
                                "walking every page must yield every match once, in order: {}",
                                id_sequence_difference(&expected, &got)
                            ),
                            lines(&expected),
                            lines(&got),
                        )
                        .with_detail(format!("pages requested:\n{}", walked.join("\n"))));
                    }
                    return Ok(());
                }
            }
            Err(CaseError::mismatch(
                &list_request("/v1/calls", &query),
                "a walk must end: has_more false on the last page",
                format!("at most {} pages", max_pages + 1),
                "has_more still true".to_string(),
            ))
        },
    )
}

fn ordering(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    let total = n as u64;
    run_property_with_boundaries(
        ctx,
        "ordering",
        boundaries::ordered_pages(ctx),
        (filter_spec(n, 0.15), 0..=total),
        |(spec, offset)| {
            let mut query = spec.query(ctx);
            query.limit = Some(100);
            query.offset = Some(offset.min(total.saturating_sub(1)));
            let request = list_request("/v1/calls", &query);
            let first = ctx.send(&request)?;
            let second = ctx.send(&request)?;
            let (a, b) = (
                first.json().unwrap_or(Value::Null),
                second.json().unwrap_or(Value::Null),
            );
            if a != b {
                return Err(CaseError::mismatch(
                    &request,
                    "the same request twice must answer the same page (a total, stable order)",
                    render(&a, Some(&b)),
                    render(&b, Some(&a)),
                ));
            }
            let calls: Vec<openmic_fixtures::Call> = a["calls"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| serde_json::from_value(c.clone()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if calls
                .windows(2)
                .any(|w| contract_order(&w[0], &w[1]).is_gt())
            {
                let mut sorted = calls.clone();
                sorted.sort_by(contract_order);
                let lines = |cs: &[openmic_fixtures::Call]| {
                    cs.iter()
                        .map(|c| {
                            format!(
                                "{} {}\n",
                                c.call_id,
                                c.start_timestamp
                                    .map_or("-".into(), |t| t.millis().to_string())
                            )
                        })
                        .collect::<String>()
                };
                return Err(CaseError::mismatch(
                    &request,
                    "newest start_timestamp first (not started first), ties by call_id descending",
                    lines(&sorted),
                    lines(&calls),
                ));
            }
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "the page must be the reference model's (contract order)",
            )
            .map(drop)
        },
    )
}

fn defaults(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    let strategy = (filter_spec(n, 0.1), 0..3usize, 0..200u64);
    run_property_with_boundaries(
        ctx,
        "defaults",
        boundaries::default_pages(ctx),
        strategy,
        |(spec, mode, k)| {
            let mut query = spec.query(ctx);
            let matches = matches_count(ctx, &query);
            query.offset = match mode {
                0 => None,
                1 => Some(k % (matches + 1)),
                _ => Some(matches + k),
            };
            expect_reference(
            ctx,
            "/v1/calls",
            &query,
            "without limit the page holds up to 50 calls and pagination.limit is 50; past the end: empty, has_more false, true total",
        )
        .map(drop)
        },
    )
}

const UNKNOWN_NAMES: &[&str] = &[
    "page", "per_page", "sort", "order", "agent_id", "status", "search", "expand",
];

/// The unknown parameters `unknown_parameters` sends alone on every run, each with the value that shows a
/// server taking it for a documented one (indexes into [`UNKNOWN_NAMES`] and the values of the property).
const UNKNOWN_BOUNDARIES: [(usize, usize, &str); 3] = [
    (1, 0, "per_page=1, which an alias of limit would obey"),
    (
        4,
        2,
        "agent_id= the first call's agent, which an alias of bot_id would filter by",
    ),
    (
        5,
        3,
        "status=ended, which an alias of call_status would filter by",
    ),
];

fn unknown_parameters(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    let unknown = proptest::collection::vec((0..UNKNOWN_NAMES.len(), 0..4usize), 1..3);
    let strategy = (
        filter_spec(n, 0.15),
        proptest::option::of(1..=100u64),
        unknown,
    );
    let boundaries = UNKNOWN_BOUNDARIES
        .iter()
        .map(|&(name, value, what)| Boundary {
            what: what.to_string(),
            value: (FilterSpec::unfiltered(0), None, vec![(name, value)]),
        })
        .collect();
    run_property_with_boundaries(
        ctx,
        "unknown_parameters",
        boundaries,
        strategy,
        |(spec, limit, unknown)| {
            let mut query = spec.query(ctx);
            query.limit = limit;
            let pivot = &ctx.data.calls[0].0;
            query.unknown = unknown
                .iter()
                .map(|&(name, value)| {
                    let value = match value {
                        0 => "1".to_string(),
                        1 => "desc".to_string(),
                        2 => pivot.agent_id.clone(),
                        _ => "ended".to_string(),
                    };
                    (UNKNOWN_NAMES[name].to_string(), value)
                })
                .collect();
            expect_reference(
                ctx,
                "/v1/calls",
                &query,
                "unknown parameters must be ignored",
            )
            .map(drop)
        },
    )
}

fn trailing_slash(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    run_property(
        ctx,
        "trailing_slash",
        (any::<bool>(), filter_spec(n, 0.1), 1..=100u64),
        |(list, spec, limit)| {
            if list {
                let mut query = spec.query(ctx);
                query.limit = Some(limit);
                expect_reference(
                    ctx,
                    "/v1/calls/",
                    &query,
                    "/v1/calls/ must answer as /v1/calls",
                )
                .map(drop)
            } else {
                let (call, value) = &ctx.data.calls[spec.pivot];
                let request = Request::get(
                    format!("/v1/call/{}/", encode_segment(&call.call_id)),
                    vec![],
                );
                ctx.expect_body(
                    &request,
                    "/v1/call/{id}/ must answer as /v1/call/{id}",
                    200,
                    value,
                )
                .map(drop)
            }
        },
    )
}

/// A `get_call` case: the index of a listed call, and how its id is missed (0-3, with a number for an id of
/// no call), or `None` to ask for the call itself.
type GetCallCase = (usize, Option<(usize, u32)>);

/// The ids `get_call` tries first on every run: the first call's id near-missed each way, and an id of no call.
fn get_call_boundaries(n: usize) -> Vec<Boundary<GetCallCase>> {
    let ways = [
        "the first call's id without its last character",
        "the first call's id with a character added",
        "the first call's id in the other case",
        "an id of no call",
    ];
    if n == 0 {
        return Vec::new();
    }
    ways.iter()
        .enumerate()
        .map(|(how, what)| Boundary {
            what: what.to_string(),
            value: (0, Some((how, 0))),
        })
        .collect()
}

fn get_call(ctx: &Ctx<'_>) -> Outcome {
    let n = ctx.data.calls.len();
    let strategy = (
        0..n,
        proptest::option::weighted(0.3, (0..4usize, any::<u32>())),
    );
    run_property_with_boundaries(
        ctx,
        "get_call",
        get_call_boundaries(n),
        strategy,
        |(i, miss)| {
            let (call, value) = &ctx.data.calls[i];
            match miss {
                None => {
                    let request = Request::get(
                        format!("/v1/call/{}", encode_segment(&call.call_id)),
                        vec![],
                    );
                    ctx.expect_body(
                        &request,
                        "GET /v1/call/{id} must answer the call exactly as the list serves it",
                        200,
                        value,
                    )
                    .map(drop)
                }
                Some((how, r)) => {
                    let id = &call.call_id;
                    let candidate = match how {
                        0 => near_miss(id, Variant::Prefix),
                        1 => near_miss(id, Variant::Suffix),
                        2 => near_miss(id, Variant::OtherCase),
                        _ => format!("cnotacall{r:016}"),
                    };
                    if ctx.data.calls.iter().any(|(c, _)| c.call_id == candidate) {
                        return Ok(());
                    }
                    let request =
                        Request::get(format!("/v1/call/{}", encode_segment(&candidate)), vec![]);
                    ctx.expect_body(
                        &request,
                        "an unknown id must give 404 with the documented body",
                        404,
                        &not_found_body(),
                    )
                    .map(drop)
                }
            }
        },
    )
}

fn shape(ctx: &Ctx<'_>) -> Outcome {
    for value in &ctx.data.raw {
        let problems = call_shape_problems(value);
        if !problems.is_empty() {
            let id = value["call_id"].as_str().unwrap_or("?");
            return shape_failure(
                ctx,
                Request::get("/v1/calls", vec![]),
                &format!("call {id:?}"),
                problems,
                value,
            );
        }
    }
    let request = Request::get("/v1/calls", vec![("limit".into(), "1".into())]);
    match ctx.send(&request) {
        Err(CaseError::Budget) => Outcome::Skipped("no request budget left".into()),
        Err(CaseError::Fail(mismatch)) => {
            Outcome::Failed(Box::new(Failure::fixed(*mismatch, ctx.seed)))
        }
        Ok(response) => {
            let body = response.json().unwrap_or(Value::Null);
            let problems = page_shape_problems(&body);
            if problems.is_empty() {
                Outcome::Passed {
                    cases: ctx.data.raw.len() as u32 + 1,
                    note: None,
                }
            } else {
                shape_failure(ctx, request, "the page", problems, &body)
            }
        }
    }
}

fn shape_failure(
    ctx: &Ctx<'_>,
    request: Request,
    what: &str,
    problems: Vec<String>,
    value: &Value,
) -> Outcome {
    let mismatch = Mismatch {
        request: Some(request),
        ..Mismatch::new(
            format!("{what} breaks the CallResponse shape"),
            "no shape problems\n",
            problems
                .iter()
                .map(|p| format!("{p}\n"))
                .collect::<String>()
                + &format!("in: {}\n", clip(&value.to_string(), 400)),
        )
    };
    Outcome::Failed(Box::new(Failure::fixed(mismatch, ctx.seed)))
}

/// Percent-encodes a path segment (everything but unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_boundaries_name_invalid_values_each_sent_alone() {
        let boundaries = validation_boundaries();
        assert_eq!(boundaries.len(), 7);
        for b in &boundaries {
            let (param, index, limit) = b.value;
            let (name, values) = INVALID_VALUES[param];
            assert_eq!(b.what, format!("{name}={:?}", values[index]));
            assert_eq!(limit, None);
        }
        assert_eq!(boundaries[0].what, "limit=\"+5\"");
    }

    #[test]
    fn encode_segment_keeps_unreserved_characters_and_escapes_the_rest() {
        assert_eq!(encode_segment("cAZaz09-._~"), "cAZaz09-._~");
        assert_eq!(encode_segment("a/b c%é"), "a%2Fb%20c%25%C3%A9");
    }
}
