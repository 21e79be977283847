//! The account's read properties and their table, [`ACCOUNT_PROPERTIES`]: `GET /v1/bots`, `GET /v1/bots/{uid}`,
//! `GET /v1/phone-numbers` and `GET /v1/phone-numbers/{uid}`, checked against what listing them taught
//! ([`Listed`]) and the oracle of `contract::account`.
//!
//! Each check of a documented rule is written so that it does not depend on an assumed one: `*_list` and
//! `*_walk` compare pages as sets of records, so a target with another order still passes them, and the
//! assumed order, filters and keys have properties of their own (`*_order`, `bots_name_filter`,
//! `bots_created_bounds`, `phone_numbers_filters`, `phone_number_links`), which the drift report names.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::contract::account::{
    AccountQuery, Resource, agent_key_problems, all_account_matches, expected_account_page,
};
use crate::contract::dates::format_rfc3339_ms;
use crate::contract::reference::{DEFAULT_LIMIT, DateBound};
use crate::http::Request;
use crate::report::{clip, render};
use crate::runner::{Boundary, CaseError, Failure, Mismatch, Outcome};
use crate::server::context::{Ctx, run_property_with_boundaries};
use crate::server::dataset::Listed;
use crate::server::properties::{INVALID_QUERY, Property, encode_segment, expect_invalid};

/// Every property of the account's lists and gets, in the order they run (after the calls' properties).
pub const ACCOUNT_PROPERTIES: &[Property] = &[
    Property {
        name: "bots_list",
        summary: "GET /v1/bots pages: limit/offset echoed, total and has_more right, each bot as listed",
        needs_data: false,
        run: |ctx| list(ctx, Resource::Bots),
    },
    Property {
        name: "bots_walk",
        summary: "walking the bots' pages yields every bot exactly once; total constant",
        needs_data: false,
        run: |ctx| walk(ctx, Resource::Bots),
    },
    Property {
        name: "bots_order",
        summary: "bots come newest created_at first, ties by uid ascending, the same on every request",
        needs_data: false,
        run: |ctx| order(ctx, Resource::Bots),
    },
    Property {
        name: "bots_name_filter",
        summary: "name matches a case-insensitive substring of the bot's name",
        needs_data: false,
        run: bots_name_filter,
    },
    Property {
        name: "bots_created_bounds",
        summary: "created_after and created_before are strict bounds on created_at, to the millisecond",
        needs_data: false,
        run: bots_created_bounds,
    },
    Property {
        name: "bots_validation",
        summary: "invalid or repeated limit, offset, created_after, created_before: 400 with the documented error",
        needs_data: false,
        run: |ctx| validation(ctx, Resource::Bots),
    },
    Property {
        name: "get_bot",
        summary: "every listed bot equals GET /v1/bots/{uid}; unknown uids give the documented 404",
        needs_data: false,
        run: |ctx| get(ctx, Resource::Bots),
    },
    Property {
        name: "bot_shape",
        summary: "every bot is a BotResponse: required fields, types, enums, settings' ranges and steps",
        needs_data: false,
        run: |ctx| shape(ctx, Resource::Bots),
    },
    Property {
        name: "phone_numbers_list",
        summary: "GET /v1/phone-numbers pages: limit/offset echoed, total and has_more right, each number as listed",
        needs_data: false,
        run: |ctx| list(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "phone_numbers_walk",
        summary: "walking the phone numbers' pages yields every number exactly once; total constant",
        needs_data: false,
        run: |ctx| walk(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "phone_numbers_order",
        summary: "phone numbers come newest created_at first, ties by phone_number_id ascending, stable",
        needs_data: false,
        run: |ctx| order(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "phone_numbers_filters",
        summary: "phone_number matches a substring, name a case-insensitive substring",
        needs_data: false,
        run: phone_numbers_filters,
    },
    Property {
        name: "phone_numbers_validation",
        summary: "invalid or repeated limit and offset: 400 with the documented error",
        needs_data: false,
        run: |ctx| validation(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "get_phone_number",
        summary: "every listed number equals GET /v1/phone-numbers/{uid}; unknown ids give the documented 404",
        needs_data: false,
        run: |ctx| get(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "phone_number_shape",
        summary: "every phone number is a PhoneNumberResponse: required fields, types, an E.164 number",
        needs_data: false,
        run: |ctx| shape(ctx, Resource::PhoneNumbers),
    },
    Property {
        name: "phone_number_links",
        summary: "every number has inbound_agent_id and outbound_agent_id, null or a listed bot's uid",
        needs_data: false,
        run: phone_number_links,
    },
];

/// What listing `resource` found.
pub fn listing<'a>(ctx: &Ctx<'a>, resource: Resource) -> &'a Listed {
    match resource {
        Resource::Bots => &ctx.data.bots,
        Resource::PhoneNumbers => &ctx.data.phone_numbers,
    }
}

/// The listing, or the skip that says why the property cannot use it.
fn ready<'a>(ctx: &Ctx<'a>, resource: Resource) -> Result<&'a Listed, Outcome> {
    let listed = listing(ctx, resource);
    match listed.unusable(resource) {
        Some(why) => Err(Outcome::Skipped(why)),
        None => Ok(listed),
    }
}

fn ids(resource: Resource, records: &[Value]) -> Vec<String> {
    records.iter().map(|r| resource.id_of(r)).collect()
}

fn lines(ids: &[String]) -> String {
    ids.iter().map(|id| format!("{id}\n")).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Pages, as sets.

/// The pages every run probes first: limit 1 and 100, no limit, pages ending 2, 1 and 0 records before the
/// end, starting at and past the end.
fn page_boundaries(total: u64) -> Vec<Boundary<(Option<u64>, Option<u64>)>> {
    let mut out = vec![
        Boundary {
            what: "limit=1 at the start".into(),
            value: (Some(1), Some(0)),
        },
        Boundary {
            what: "limit=100".into(),
            value: (Some(100), None),
        },
        Boundary {
            what: "no limit, no offset".into(),
            value: (None, None),
        },
        Boundary {
            what: "a page of 1 at the last record".into(),
            value: (Some(1), Some(total.saturating_sub(1))),
        },
        Boundary {
            what: "a page starting at the end".into(),
            value: (Some(10), Some(total)),
        },
        Boundary {
            what: "a page starting past the end".into(),
            value: (Some(10), Some(total + 1)),
        },
    ];
    let size = (total / 2).clamp(1, 10);
    for left in 0..=2u64 {
        if let Some(offset) = total.checked_sub(size + left) {
            out.push(Boundary {
                what: format!("a page of {size} ending {left} before the end of {total}"),
                value: (Some(size), Some(offset)),
            });
        }
    }
    out
}

/// Sends a page request and checks it as a set: status 200, `pagination` exactly, the page's length, and each
/// record equal to the one listed with its id (each once).
fn check_page(
    ctx: &Ctx<'_>,
    resource: Resource,
    listed: &Listed,
    query: &AccountQuery,
    total: u64,
) -> Result<Vec<Value>, CaseError> {
    let request = Request::get(resource.path(), query.to_pairs());
    let response = ctx.send(&request)?;
    let body = response.json().unwrap_or(Value::Null);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = query.offset.unwrap_or(0);
    let len = limit.min(total.saturating_sub(offset));
    let want =
        json!({"limit": limit, "offset": offset, "total": total, "has_more": offset + len < total});
    let records = body[resource.items_key()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let strangers: Vec<String> = records
        .iter()
        .filter(|r| {
            let id = resource.id_of(r);
            !seen.insert(id.clone()) || listed.find(resource, &id) != Some(*r)
        })
        .map(|r| clip(&r.to_string(), 200))
        .collect();
    if response.status == 200
        && body["pagination"] == want
        && records.len() as u64 == len
        && strangers.is_empty()
    {
        return Ok(records);
    }
    Err(CaseError::mismatch(
        &request,
        format!(
            "a page of {}: limit and offset echoed (limit 50 when not given), total the number listed, \
             has_more = offset + page length < total, and each record as listed, once",
            resource.plural()
        ),
        format!(
            "HTTP 200\npagination: {want}\n{len} {} as listed\n",
            resource.plural()
        ),
        format!(
            "HTTP {}\npagination: {}\n{} {}{}\n",
            response.status,
            body["pagination"],
            records.len(),
            resource.plural(),
            if strangers.is_empty() {
                String::new()
            } else {
                format!(", not as listed or repeated:\n{}", strangers.join("\n"))
            }
        ),
    ))
}

fn list(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = match ready(ctx, resource) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let total = listed.records.len() as u64;
    let strategy = (
        proptest::option::weighted(0.8, 1..=100u64),
        proptest::option::weighted(0.7, 0..=total + 3),
    );
    run_property_with_boundaries(
        ctx,
        &format!("{}_list", resource.items_key()),
        page_boundaries(total),
        strategy,
        |(limit, offset)| {
            let query = AccountQuery {
                limit,
                offset,
                ..AccountQuery::default()
            };
            check_page(ctx, resource, listed, &query, total).map(drop)
        },
    )
}

fn walk(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = match ready(ctx, resource) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let total = listed.records.len() as u64;
    let mut expected = ids(resource, &listed.records);
    expected.sort();
    let boundaries = [1, total.saturating_sub(1).max(1), total.max(1), 100]
        .into_iter()
        .map(|size| Boundary {
            what: format!("a walk in pages of {size} over {total} records"),
            value: size,
        })
        .collect();
    // At most ~15 pages per walk.
    let min_size = total.div_ceil(15).max(1);
    run_property_with_boundaries(
        ctx,
        &format!("{}_walk", resource.items_key()),
        boundaries,
        min_size..=100u64,
        |limit| {
            let mut got = Vec::new();
            for page in 0..=total / limit + 1 {
                let query = AccountQuery {
                    limit: Some(limit),
                    offset: Some(page * limit),
                    ..AccountQuery::default()
                };
                got.extend(ids(
                    resource,
                    &check_page(ctx, resource, listed, &query, total)?,
                ));
            }
            got.sort();
            if got == expected {
                return Ok(());
            }
            Err(CaseError::mismatch(
                &Request::get(resource.path(), vec![("limit".into(), limit.to_string())]),
                format!(
                    "walking every page (limit={limit}) must yield every listed {} exactly once",
                    resource.items_key()
                ),
                lines(&expected),
                lines(&got),
            ))
        },
    )
}

fn order(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = match ready(ctx, resource) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let total = listed.records.len() as u64;
    let boundaries = vec![Boundary {
        what: format!("the whole listing of {total} in one page"),
        value: (100, 0),
    }];
    run_property_with_boundaries(
        ctx,
        &format!("{}_order", resource.items_key()),
        boundaries,
        (1..=100u64, 0..total.max(1)),
        |(limit, offset)| {
            let query = AccountQuery {
                limit: Some(limit),
                offset: Some(offset),
                ..AccountQuery::default()
            };
            let request = Request::get(resource.path(), query.to_pairs());
            let first = ctx.send(&request)?.json().unwrap_or(Value::Null);
            let second = ctx.send(&request)?.json().unwrap_or(Value::Null);
            if first != second {
                return Err(CaseError::mismatch(
                    &request,
                    "the same request twice must answer the same page (a total, stable order)",
                    render(&first, Some(&second)),
                    render(&second, Some(&first)),
                ));
            }
            let expected = expected_account_page(resource, &listed.records, &query);
            if first == expected {
                return Ok(());
            }
            let summary = |page: &Value| {
                page[resource.items_key()]
                    .as_array()
                    .map(|rs| {
                        rs.iter()
                            .map(|r| {
                                format!(
                                    "{} {}\n",
                                    resource.id_of(r),
                                    r["created_at"].as_str().unwrap_or("-")
                                )
                            })
                            .collect::<String>()
                    })
                    .unwrap_or_default()
            };
            Err(CaseError::mismatch(
                &request,
                format!(
                    "{} newest created_at first, ties by {} ascending (assumed)",
                    resource.plural(),
                    resource.id_field()
                ),
                format!(
                    "pagination: {}\n{}",
                    expected["pagination"],
                    summary(&expected)
                ),
                format!("pagination: {}\n{}", first["pagination"], summary(&first)),
            ))
        },
    )
}

// ---------------------------------------------------------------------------------------------------------
// Filters, compared as sets.

/// Sends `query` (with `limit=100`) and expects exactly the reference model's matches, in any order, and their
/// number as `total`.
fn expect_matches(
    ctx: &Ctx<'_>,
    resource: Resource,
    listed: &Listed,
    mut query: AccountQuery,
    rule: &str,
) -> Result<(), CaseError> {
    query.limit = Some(100);
    let mut want: Vec<String> = all_account_matches(resource, &listed.records, &query)
        .iter()
        .map(|r| resource.id_of(r))
        .collect();
    want.sort();
    let request = Request::get(resource.path(), query.to_pairs());
    let response = ctx.send(&request)?;
    let body = response.json().unwrap_or(Value::Null);
    let mut got = ids(
        resource,
        body[resource.items_key()].as_array().map_or(&[][..], |v| v),
    );
    got.sort();
    let total = body["pagination"]["total"].as_u64();
    if response.status == 200 && got == want && total == Some(want.len() as u64) {
        return Ok(());
    }
    Err(CaseError::mismatch(
        &request,
        rule,
        format!("HTTP 200\ntotal {}\n{}", want.len(), lines(&want)),
        format!(
            "HTTP {}\ntotal {}\n{}",
            response.status,
            body["pagination"]["total"],
            lines(&got)
        ),
    ))
}

/// The `name` a case of `bots_name_filter` sends: a name no bot has (`miss`), or a [`fragment`] of `name` with
/// `start` and `len` as it takes them, where `usize::MAX` stands for the last character (`start`) or for the
/// rest of the name from `start` (`len`).
fn name_filter_value(name: &str, (start, len, case, miss): (usize, usize, usize, bool)) -> String {
    if miss {
        return "zq-no-such-bot-name".to_string();
    }
    let start = if start == usize::MAX {
        name.chars().count().max(1) - 1
    } else {
        start
    };
    let len = if len == usize::MAX {
        rest_of(name, start)
    } else {
        len
    };
    fragment(name, start, len, case)
}

/// The `len` that makes [`fragment`] take all of `text` from `start` on: it takes `1 + len` modulo what is left.
fn rest_of(text: &str, start: usize) -> usize {
    let chars = text.chars().count().max(1);
    chars - start % chars - 1
}

/// A piece of `text` (`start` and `len` taken modulo its characters), in one of three cases.
fn fragment(text: &str, start: usize, len: usize, case: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let start = start % chars.len();
    let len = 1 + len % (chars.len() - start);
    let piece: String = chars[start..start + len].iter().collect();
    match case {
        0 => piece,
        1 => piece.to_uppercase(),
        _ => piece.to_lowercase(),
    }
}

fn bots_name_filter(ctx: &Ctx<'_>) -> Outcome {
    let listed = match ready(ctx, Resource::Bots) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let n = listed.records.len();
    let name = |i: usize| listed.records[i]["name"].as_str().unwrap_or_default();
    let boundaries = vec![
        Boundary {
            what: "a whole name in upper case".into(),
            value: (0, 0, usize::MAX, 1, false),
        },
        Boundary {
            what: "a name's last character".into(),
            value: (0, usize::MAX, 0, 0, false),
        },
        Boundary {
            what: "a name that is no bot's".into(),
            value: (0, 0, 0, 0, true),
        },
    ];
    run_property_with_boundaries(
        ctx,
        "bots_name_filter",
        boundaries,
        (
            0..n,
            0..64usize,
            0..64usize,
            0..3usize,
            proptest::bool::weighted(0.15),
        ),
        |(i, start, len, case, miss)| {
            let value = name_filter_value(name(i), (start, len, case, miss));
            expect_matches(
                ctx,
                Resource::Bots,
                listed,
                AccountQuery {
                    name: Some(value),
                    ..AccountQuery::default()
                },
                "name matches every bot whose name contains it, ignoring case (assumed)",
            )
        },
    )
}

fn bound(ms: i64) -> DateBound {
    DateBound {
        ms,
        text: format_rfc3339_ms(ms),
    }
}

fn bots_created_bounds(ctx: &Ctx<'_>) -> Outcome {
    let listed = match ready(ctx, Resource::Bots) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let mut times: Vec<i64> = listed
        .records
        .iter()
        .filter_map(crate::contract::account::created_ms)
        .collect();
    times.sort_unstable();
    times.dedup();
    if times.is_empty() {
        return Outcome::Skipped("no listed bot has a created_at date-time".into());
    }
    let n = times.len();
    run_property_with_boundaries(
        ctx,
        "bots_created_bounds",
        created_bounds_boundaries(n),
        created_bounds_cases(n),
        |case| {
            expect_matches(
                ctx,
                Resource::Bots,
                listed,
                created_bounds_query(&times, case),
                "created_after keeps created_at > the bound, created_before created_at < the bound (strict, assumed)",
            )
        },
    )
}

/// A case of `bots_created_bounds`: which bounds (0 `created_after`, 1 `created_before`, 2 both), two indexes
/// into the sorted distinct `created_at` times, and each bound's offset from its time in milliseconds.
type CreatedBoundsCase = (usize, usize, usize, i64, i64);

/// Random cases over `n` distinct times: any bounds, any two times, offsets of -1, 0 or 1 ms.
fn created_bounds_cases(n: usize) -> impl Strategy<Value = CreatedBoundsCase> {
    (0..3usize, 0..n, 0..n, -1..=1i64, -1..=1i64)
}

/// Each bound alone, 1 ms before, at and 1 ms after the middle bot's `created_at`.
fn created_bounds_boundaries(n: usize) -> Vec<Boundary<CreatedBoundsCase>> {
    let mut boundaries = Vec::new();
    for (which, word) in [(0, "created_after"), (1, "created_before")] {
        for delta in [-1, 0, 1] {
            boundaries.push(Boundary {
                what: format!("{word} {delta:+} ms from a bot's created_at"),
                value: (which, n / 2, n / 2, delta, delta),
            });
        }
    }
    boundaries
}

/// The query of a case: `created_after` from the earlier of the two times, `created_before` from the earlier
/// alone or from the later with both.
fn created_bounds_query(times: &[i64], (which, i, j, a, b): CreatedBoundsCase) -> AccountQuery {
    let (lo, hi) = (times[i.min(j)], times[i.max(j)]);
    let mut query = AccountQuery::default();
    if which != 1 {
        query.created_after = Some(bound(lo + a));
    }
    if which != 0 {
        query.created_before = Some(bound(if which == 1 { lo + b } else { hi + b }));
    }
    query
}

fn phone_numbers_filters(ctx: &Ctx<'_>) -> Outcome {
    let listed = match ready(ctx, Resource::PhoneNumbers) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let n = listed.records.len();
    let text = |i: usize, field: &str| {
        listed.records[i][field]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let boundaries = vec![
        Boundary {
            what: "a whole number, with its +".into(),
            value: (0, 0, 0, 99, 0),
        },
        Boundary {
            what: "a number's last 4 digits".into(),
            value: (0, 0, 98, 3, 0),
        },
        Boundary {
            what: "a whole name in upper case".into(),
            value: (1, 0, 0, 999, 1),
        },
    ];
    run_property_with_boundaries(
        ctx,
        "phone_numbers_filters",
        boundaries,
        (0..3usize, 0..n, 0..64usize, 0..64usize, 0..3usize),
        |(field, i, start, len, case)| {
            let query = phone_numbers_filter_query(
                &text(i, "phone_number"),
                &text(i, "name"),
                (field, start, len, case),
            );
            expect_matches(
                ctx,
                Resource::PhoneNumbers,
                listed,
                query,
                "phone_number matches numbers that contain it; name names that contain it, ignoring case (assumed)",
            )
        },
    )
}

/// The query of a case of `phone_numbers_filters`: a piece of the number (`field` 0; `start` 98 stands for its
/// last 4 characters, `len` 99 for the rest of it from `start`), a piece of the name (1; `len` 999 for the rest
/// of it), or a number no record has (2).
fn phone_numbers_filter_query(
    number: &str,
    name: &str,
    (field, start, len, case): (usize, usize, usize, usize),
) -> AccountQuery {
    let mut query = AccountQuery::default();
    match field {
        0 => {
            let start = match start {
                98 => number.chars().count().saturating_sub(4),
                s => s,
            };
            let len = if len == 99 {
                rest_of(number, start)
            } else {
                len
            };
            query.phone_number = Some(fragment(number, start, len, 0));
        }
        1 => {
            let len = if len == 999 {
                rest_of(name, start)
            } else {
                len
            };
            query.name = Some(fragment(name, start, len, case));
        }
        _ => query.phone_number = Some(format!("999{start:02}{len:02}0")),
    }
    query
}

// ---------------------------------------------------------------------------------------------------------
// Validation, gets, shapes.

/// Invalid values per parameter of a list; the bots' dates only for bots.
fn invalid_values(resource: Resource) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-1"),
        ("limit", "1.5"),
        ("limit", "abc"),
        ("limit", ""),
        ("offset", "-1"),
        ("offset", "x"),
        ("offset", "1.5"),
    ];
    if resource == Resource::Bots {
        for name in ["created_after", "created_before"] {
            for value in [
                "2025-13-01",
                "not-a-date",
                "2025-12-01T25:00:00Z",
                "12/01/2025",
                "",
            ] {
                out.push((name, value));
            }
        }
    }
    out
}

fn validation(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = listing(ctx, resource);
    if !listed.served {
        return Outcome::Skipped(format!("the target does not serve GET {}", resource.path()));
    }
    let values = invalid_values(resource);
    let repeated: &[(&str, &str, &str)] = match resource {
        Resource::Bots => &[
            ("limit", "5", "7"),
            ("offset", "0", "1"),
            ("name", "a", "b"),
            ("created_after", "2025-01-01", "2025-01-02"),
        ],
        Resource::PhoneNumbers => &[
            ("limit", "5", "5"),
            ("offset", "0", "1"),
            ("phone_number", "1", "2"),
            ("name", "a", "a"),
        ],
    };
    let boundaries = (0..values.len())
        .map(|i| Boundary {
            what: format!("{}={:?}", values[i].0, values[i].1),
            value: (false, i),
        })
        .collect();
    let (nv, nr) = (values.len(), repeated.len());
    run_property_with_boundaries(
        ctx,
        &format!("{}_validation", resource.items_key()),
        boundaries,
        (any::<bool>(), 0..nv.max(nr)),
        |(repeat, i)| {
            if repeat {
                let (name, a, b) = repeated[i % nr];
                let request = Request::get(
                    resource.path(),
                    vec![(name.into(), a.into()), (name.into(), b.into())],
                );
                expect_invalid(ctx, &request, &format!("{name} given twice must be a 400"))
            } else {
                let (name, value) = values[i % nv];
                let request = Request::get(resource.path(), vec![(name.into(), value.into())]);
                expect_invalid(
                    ctx,
                    &request,
                    &format!("{name}={value:?} is invalid: 400 with error {INVALID_QUERY:?}"),
                )
            }
        },
    )
}

fn get(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = match ready(ctx, resource) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let n = listed.records.len();
    let strategy = (
        0..n,
        proptest::option::weighted(0.3, (0..4usize, any::<u32>())),
    );
    let name = match resource {
        Resource::Bots => "get_bot",
        Resource::PhoneNumbers => "get_phone_number",
    };
    // Each way of missing, on the newest record, runs on every run.
    let boundaries = [
        (None, "the newest record's id"),
        (
            Some((0, 0)),
            "the newest record's id without its first character",
        ),
        (Some((1, 0)), "the newest record's id with an x after it"),
        (Some((2, 0)), "the newest record's id in upper case"),
        (Some((3, 0)), "an id never issued"),
    ]
    .into_iter()
    .map(|(miss, what)| Boundary {
        what: what.to_string(),
        value: (0, miss),
    })
    .collect();
    run_property_with_boundaries(ctx, name, boundaries, strategy, |(i, miss)| {
        let record = &listed.records[i];
        let id = resource.id_of(record);
        let path = |id: &str| format!("{}/{}", resource.path(), encode_segment(id));
        match miss {
            None => ctx
                .expect_body(
                    &Request::get(path(&id), vec![]),
                    "GET {path}/{id} must answer the record exactly as the list serves it",
                    200,
                    record,
                )
                .map(drop),
            Some((how, r)) => {
                let Some(candidate) =
                    miss_candidate(&id, how, r, |c| listed.find(resource, c).is_some())
                else {
                    return Ok(());
                };
                ctx.expect_body(
                    &Request::get(path(&candidate), vec![]),
                    "an unknown id must give 404 with the documented body",
                    404,
                    &resource.not_found_body(),
                )
                .map(drop)
            }
        }
    })
}

/// The id a miss of `get_bot` or `get_phone_number` asks for: by `how`, the record's `id` without its first
/// character, with an `x` after it, in upper case (when that changes it), or else an id never issued (from `r`).
/// `None` when that is empty or the id of a record `listed` holds: there is no miss to ask for.
fn miss_candidate(id: &str, how: usize, r: u32, listed: impl Fn(&str) -> bool) -> Option<String> {
    let candidate = match how {
        0 => id.chars().skip(1).collect(),
        1 => format!("{id}x"),
        2 if id.to_uppercase() != id => id.to_uppercase(),
        _ => format!("nosuchid{r:016}"),
    };
    (!candidate.is_empty() && !listed(&candidate)).then_some(candidate)
}

fn fixed_failure(ctx: &Ctx<'_>, request: Request, rule: String, got: String) -> Outcome {
    let mismatch = Mismatch {
        request: Some(request),
        ..Mismatch::new(rule, "no problems\n", got)
    };
    Outcome::Failed(Box::new(Failure::fixed(mismatch, ctx.seed)))
}

fn problems_text(problems: &[String], record: &Value) -> String {
    problems
        .iter()
        .map(|p| format!("{p}\n"))
        .collect::<String>()
        + &format!("in: {}\n", clip(&record.to_string(), 400))
}

fn shape(ctx: &Ctx<'_>, resource: Resource) -> Outcome {
    let listed = match ready(ctx, resource) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let request = Request::get(resource.path(), vec![("limit".into(), "100".into())]);
    for record in &listed.records {
        let problems = resource.shape_problems(record);
        if !problems.is_empty() {
            return fixed_failure(
                ctx,
                request,
                format!(
                    "{} {:?} breaks the vendor's schema",
                    resource.items_key(),
                    resource.id_of(record)
                ),
                problems_text(&problems, record),
            );
        }
    }
    Outcome::Passed {
        cases: listed.records.len() as u32,
        note: None,
    }
}

/// What is wrong with a phone number's agent keys: each must be there, null or a string, and, when every bot
/// could be listed, a listed bot's uid (a partial listing proves nothing about the bots it did not reach).
fn link_problems(number: &Value, bots: &Listed) -> Vec<String> {
    let mut problems = agent_key_problems(number);
    if bots.served && bots.complete {
        for key in ["inbound_agent_id", "outbound_agent_id"] {
            if let Some(agent) = number[key].as_str()
                && bots.find(Resource::Bots, agent).is_none()
            {
                problems.push(format!("`{key}` {agent:?} is no listed bot"));
            }
        }
    }
    problems
}

fn phone_number_links(ctx: &Ctx<'_>) -> Outcome {
    let listed = match ready(ctx, Resource::PhoneNumbers) {
        Ok(listed) => listed,
        Err(skip) => return skip,
    };
    let bots = &ctx.data.bots;
    let request = Request::get(
        Resource::PhoneNumbers.path(),
        vec![("limit".into(), "100".into())],
    );
    for number in &listed.records {
        let problems = link_problems(number, bots);
        if !problems.is_empty() {
            return fixed_failure(
                ctx,
                request,
                format!(
                    "phone number {:?}: both agent keys present, each null or a listed bot's uid (assumed)",
                    Resource::PhoneNumbers.id_of(number)
                ),
                problems_text(&problems, number),
            );
        }
    }
    Outcome::Passed {
        cases: listed.records.len() as u32,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_links_to_listed_bots_only_when_every_bot_was_listed() {
        let number = json!({"inbound_agent_id": "b1", "outbound_agent_id": "b9"});
        let bots = |served, complete| Listed {
            records: vec![json!({"uid": "b1"})],
            served,
            complete,
            ..Listed::default()
        };
        assert_eq!(
            link_problems(&number, &bots(true, true)),
            ["`outbound_agent_id` \"b9\" is no listed bot"]
        );
        assert!(link_problems(&number, &bots(true, false)).is_empty());
        assert!(link_problems(&number, &bots(false, false)).is_empty());
        assert!(link_problems(&number, &bots(false, true)).is_empty());
        let linked = json!({"inbound_agent_id": null, "outbound_agent_id": "b1"});
        assert!(link_problems(&linked, &bots(true, true)).is_empty());
        assert_eq!(link_problems(&json!({}), &bots(true, true)).len(), 2);
    }

    #[test]
    fn a_miss_asks_for_an_id_near_the_records_unless_empty_or_listed() {
        let none = |_: &str| false;
        assert_eq!(miss_candidate("p1b", 0, 7, none).as_deref(), Some("1b"));
        assert_eq!(miss_candidate("p1b", 1, 7, none).as_deref(), Some("p1bx"));
        assert_eq!(miss_candidate("p1b", 2, 7, none).as_deref(), Some("P1B"));
        assert_eq!(
            miss_candidate("P1B", 2, 7, none).as_deref(),
            Some("nosuchid0000000000000007")
        );
        assert_eq!(
            miss_candidate("p1b", 3, 42, none).as_deref(),
            Some("nosuchid0000000000000042")
        );
        // A one-character id has nothing left without its first; a near id that is listed is no miss.
        assert_eq!(miss_candidate("p", 0, 7, none), None);
        assert_eq!(miss_candidate("p1b", 0, 7, |c| c == "1b"), None);
        assert_eq!(
            miss_candidate("p1b", 1, 7, |c| c == "1b").as_deref(),
            Some("p1bx")
        );
    }

    #[test]
    fn created_bounds_cases_set_after_before_or_both_from_the_times_offset() {
        let times = [1_000, 2_000, 3_000];
        let ms = |b: Option<DateBound>| b.map(|b| b.ms);
        let after = created_bounds_query(&times, (0, 2, 1, -1, 1));
        assert_eq!(
            (ms(after.created_after), ms(after.created_before)),
            (Some(1_999), None)
        );
        let before = created_bounds_query(&times, (1, 2, 1, -1, 1));
        assert_eq!(
            (ms(before.created_after), ms(before.created_before)),
            (None, Some(2_001))
        );
        let both = created_bounds_query(&times, (2, 2, 0, 1, -1));
        assert_eq!(
            (ms(both.created_after), ms(both.created_before)),
            (Some(1_001), Some(2_999))
        );
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let drawn: Vec<CreatedBoundsCase> = (0..300)
            .map(|_| {
                created_bounds_cases(4)
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
            })
            .collect();
        let seen = |f: fn(&CreatedBoundsCase) -> i64| {
            drawn
                .iter()
                .map(f)
                .collect::<std::collections::BTreeSet<i64>>()
        };
        assert_eq!(seen(|c| c.0 as i64), [0, 1, 2].into());
        assert_eq!(seen(|c| c.1 as i64), [0, 1, 2, 3].into());
        assert_eq!(seen(|c| c.2 as i64), [0, 1, 2, 3].into());
        assert_eq!(seen(|c| c.3), [-1, 0, 1].into());
        assert_eq!(seen(|c| c.4), [-1, 0, 1].into());
        let boundaries: Vec<CreatedBoundsCase> = created_bounds_boundaries(5)
            .into_iter()
            .map(|b| b.value)
            .collect();
        assert_eq!(
            boundaries,
            [
                (0, 2, 2, -1, -1),
                (0, 2, 2, 0, 0),
                (0, 2, 2, 1, 1),
                (1, 2, 2, -1, -1),
                (1, 2, 2, 0, 0),
                (1, 2, 2, 1, 1),
            ]
        );
    }

    #[test]
    fn the_name_filter_boundaries_send_the_whole_name_the_last_character_and_no_name() {
        assert_eq!(
            name_filter_value("Sales Bot", (0, usize::MAX, 1, false)),
            "SALES BOT"
        );
        assert_eq!(
            name_filter_value("Sales Bot", (6, usize::MAX, 0, false)),
            "Bot"
        );
        assert_eq!(
            name_filter_value("Sales Bot", (usize::MAX, 0, 0, false)),
            "t"
        );
        assert_eq!(name_filter_value("Sales Bot", (2, 3, 2, false)), "les ");
        assert_eq!(
            name_filter_value("Sales Bot", (2, 3, 2, true)),
            "zq-no-such-bot-name"
        );
        assert_eq!(name_filter_value("", (0, usize::MAX, 0, false)), "");
    }

    #[test]
    fn the_phone_number_filter_boundaries_send_the_whole_number_its_last_4_digits_and_the_whole_name()
     {
        let query = |case| phone_numbers_filter_query("+14155550123", "Front Desk", case);
        assert_eq!(
            query((0, 0, 99, 0)).phone_number.as_deref(),
            Some("+14155550123")
        );
        assert_eq!(query((0, 98, 3, 0)).phone_number.as_deref(), Some("0123"));
        assert_eq!(query((0, 2, 3, 0)).phone_number.as_deref(), Some("4155"));
        let name = query((1, 0, 999, 1));
        assert_eq!(
            (name.name.as_deref(), name.phone_number),
            (Some("FRONT DESK"), None)
        );
        assert_eq!(query((1, 6, 2, 2)).name.as_deref(), Some("des"));
        let none = query((2, 7, 12, 0));
        assert_eq!(
            (none.phone_number.as_deref(), none.name),
            (Some("99907120"), None)
        );
        assert_eq!(rest_of("abc", 1), 1);
        assert_eq!(rest_of("abc", 4), 1);
        assert_eq!(rest_of("", 0), 0);
    }

    #[test]
    fn a_fragment_wraps_its_start_and_length_and_takes_one_of_three_cases() {
        // Start 2, then 1 + 3 % 7 characters.
        assert_eq!(fragment("Sales Bot", 2, 3, 0), "les ");
        assert_eq!(fragment("Sales Bot", 2, 3, 1), "LES ");
        assert_eq!(fragment("Sales Bot", 2, 3, 2), "les ");
        assert_eq!(fragment("Sales Bot", 0, 1, 0), "Sa");
        assert_eq!(fragment("Sales Bot", 0, 1, 2), "sa");
        // A start past the end wraps; a length past the rest wraps within it.
        assert_eq!(fragment("Sales Bot", 11, 0, 0), "l");
        assert_eq!(fragment("Sales Bot", 8, 5, 0), "t");
        assert_eq!(fragment("", 3, 3, 1), "");
    }

    fn pages(total: u64) -> Vec<(Option<u64>, Option<u64>)> {
        page_boundaries(total)
            .into_iter()
            .map(|b| b.value)
            .collect()
    }

    #[test]
    fn the_boundary_pages_are_the_first_and_last_records_the_end_and_past_it() {
        assert_eq!(
            pages(25),
            [
                (Some(1), Some(0)),
                (Some(100), None),
                (None, None),
                (Some(1), Some(24)),
                (Some(10), Some(25)),
                (Some(10), Some(26)),
                (Some(10), Some(15)),
                (Some(10), Some(14)),
                (Some(10), Some(13)),
            ]
        );
        // A short listing: pages of half of it, as many as fit before its start.
        assert_eq!(
            pages(3)[3..],
            [
                (Some(1), Some(2)),
                (Some(10), Some(3)),
                (Some(10), Some(4)),
                (Some(1), Some(2)),
                (Some(1), Some(1)),
                (Some(1), Some(0)),
            ]
        );
        // An empty one: nothing ends before its start.
        assert_eq!(
            pages(0)[3..],
            [(Some(1), Some(0)), (Some(10), Some(0)), (Some(10), Some(1))]
        );
        for b in page_boundaries(25) {
            assert!(!b.what.is_empty());
        }
        assert_eq!(
            page_boundaries(25)[6].what,
            "a page of 10 ending 0 before the end of 25"
        );
    }
}
