//! Boundary cases, chosen on purpose rather than drawn: off-by-one bugs live where a page ends exactly at,
//! or 1 or 2 calls before, the end of the matches, where a page starts just past it, at `limit` 1 and 100,
//! and a millisecond either side of a date bound. Random limits and offsets rarely land there (a subtle
//! `has_more` bug was found by 1 seed in 5 at 32 cases), so every pagination and date property runs these
//! first, on every run, then spends its remaining cases randomly.
//!
//! Each builder answers values in its property's own input type, so the property's test runs them unchanged.
//! Pages are probed on the whole listing and on one filtered subset, since a bug may use the unfiltered total.

use crate::contract::reference::all_matches;
use crate::runner::Boundary;
use crate::server::context::Ctx;
use crate::server::inputs::{
    DateBoundsInput, DateFormat, DateSpec, FilterSpec, PageInput, Variant,
};

/// A set of matches the boundaries are placed in.
struct Subset {
    /// `the 300 calls of the unfiltered listing`, `the 41 calls with call_status=ended`.
    what: String,
    spec: FilterSpec,
    matches: u64,
}

fn count(ctx: &Ctx<'_>, spec: &FilterSpec) -> u64 {
    all_matches(&ctx.data.calls, &spec.query(ctx)).len() as u64
}

/// The unfiltered listing and the largest proper subset one filter (status, type or bot) gives, with at least
/// three matches so a page can end 2 before its end.
fn subsets(ctx: &Ctx<'_>) -> Vec<Subset> {
    let whole = FilterSpec::unfiltered(0);
    let all = count(ctx, &whole);
    let mut out = vec![Subset {
        what: format!("the {all} calls of the unfiltered listing"),
        spec: whole,
        matches: all,
    }];
    let mut best: Option<Subset> = None;
    let mut seen = std::collections::BTreeSet::new();
    for (pivot, (call, _)) in ctx.data.calls.iter().enumerate() {
        let candidates = [
            (
                format!("call_status={}", call.call_status.as_str()),
                FilterSpec {
                    call_status: Some(false),
                    ..FilterSpec::unfiltered(pivot)
                },
            ),
            (
                format!("call_type={}", call.call_type.as_str()),
                FilterSpec {
                    call_type: Some(false),
                    ..FilterSpec::unfiltered(pivot)
                },
            ),
            (
                format!("bot_id={}", call.agent_id),
                FilterSpec {
                    bot_id: Some((false, Variant::Exact)),
                    ..FilterSpec::unfiltered(pivot)
                },
            ),
        ];
        for (filter, spec) in candidates {
            if !seen.insert(filter.clone()) {
                continue;
            }
            let matches = count(ctx, &spec);
            if (3..all).contains(&matches) && best.as_ref().is_none_or(|b| matches > b.matches) {
                best = Some(Subset {
                    what: format!("the {matches} calls with {filter}"),
                    spec,
                    matches,
                });
            }
        }
    }
    out.extend(best);
    out
}

fn calls(n: u64) -> String {
    if n == 1 {
        "1 call".into()
    } else {
        format!("{n} calls")
    }
}

/// For `filtering`: `(filters, limit, offset)` pages ending 2, 1 and 0 calls before the end, starting at and
/// just past the end, of size 1 at the last match, and `limit` 1 and 100 from the start.
pub(crate) fn pages(ctx: &Ctx<'_>) -> Vec<Boundary<PageInput>> {
    let mut out = Vec::new();
    for subset in subsets(ctx) {
        let m = subset.matches;
        let mut push = |what: String, limit: u64, offset: u64| {
            out.push(Boundary {
                what: format!("{what}, in {}", subset.what),
                value: (subset.spec.clone(), Some(limit), Some(offset)),
            });
        };
        let size = m.saturating_sub(2).clamp(1, 10);
        for before in [2, 1, 0] {
            if m >= size + before {
                push(
                    format!("a page of {size} ending {} before the end", calls(before)),
                    size,
                    m - before - size,
                );
            }
        }
        push(format!("a page of {size} starting at the end"), size, m);
        push(
            format!("a page of {size} starting past the end"),
            size,
            m + 1,
        );
        if m > 0 {
            push("a page of 1 at the last match".into(), 1, m - 1);
        }
        push("limit=1 from the start".into(), 1, 0);
        push("limit=100 from the start".into(), 100, 0);
    }
    out
}

/// For `defaults` (no `limit`: pages of 50): `(filters, mode, k)` with mode 1 meaning offset `k` and mode 2
/// offset `matches + k`; pages ending 2, 1 and 0 before the end, the last match alone, and past the end.
pub(crate) fn default_pages(ctx: &Ctx<'_>) -> Vec<Boundary<(FilterSpec, usize, u64)>> {
    const DEFAULT: u64 = crate::contract::reference::DEFAULT_LIMIT;
    let mut out = Vec::new();
    for subset in subsets(ctx) {
        let m = subset.matches;
        let mut push = |what: String, mode: usize, k: u64| {
            out.push(Boundary {
                what: format!("{what} (no limit), in {}", subset.what),
                value: (subset.spec.clone(), mode, k),
            });
        };
        for before in [2, 1, 0] {
            if m >= DEFAULT + before {
                push(
                    format!("a page ending {} before the end", calls(before)),
                    1,
                    m - before - DEFAULT,
                );
            }
        }
        if m > 0 {
            push("the last match alone".into(), 1, m - 1);
        }
        push("a page starting at the end".into(), 2, 0);
        push("a page starting past the end".into(), 2, 1);
    }
    out
}

/// For `ordering` (`limit=100`): `(filters, offset)` for the last one and two matches and a page of 100
/// ending 2, 1 and 0 before the end.
pub(crate) fn ordered_pages(ctx: &Ctx<'_>) -> Vec<Boundary<(FilterSpec, u64)>> {
    let mut out = Vec::new();
    for subset in subsets(ctx) {
        let m = subset.matches;
        let mut push = |what: String, offset: u64| {
            out.push(Boundary {
                what: format!("{what} (limit=100), in {}", subset.what),
                value: (subset.spec.clone(), offset),
            });
        };
        for last in [1, 2] {
            if m >= last {
                push(format!("the last {}", calls(last)), m - last);
            }
        }
        for before in [2, 1, 0] {
            if m >= 100 + before {
                push(
                    format!("a page ending {} before the end", calls(before)),
                    m - before - 100,
                );
            }
        }
    }
    out
}

/// For `pagination_walk`: `(filters, size)` walks whose page size makes a page end exactly 2, 1 and 0 calls
/// before the end, plus pages of 100 (and of 1 when the subset is small enough to walk one by one). `size`
/// is what the property's strategy draws: the page size is `min_size + size % (101 - min_size)`.
pub(crate) fn walks(ctx: &Ctx<'_>) -> Vec<Boundary<(FilterSpec, u64)>> {
    let mut out = Vec::new();
    for subset in subsets(ctx) {
        let m = subset.matches;
        let min_size = m.div_ceil(15).max(1);
        let mut push = |what: String, limit: u64| {
            if (min_size..=100).contains(&limit) {
                out.push(Boundary {
                    what: format!("a walk in pages of {limit}{what}, in {}", subset.what),
                    value: (subset.spec.clone(), limit - min_size),
                });
            }
        };
        for before in [2, 1, 0] {
            let end = m.saturating_sub(before);
            if let Some(limit) =
                (min_size..=100.min(end.saturating_sub(1))).find(|l| end.is_multiple_of(*l))
            {
                push(
                    format!(", one ending {} before the end", calls(before)),
                    limit,
                );
            }
        }
        push(String::new(), 100);
        push(String::new(), 1);
    }
    out
}

/// For `date_bounds`: `(which, i, j, from, to)` over the sorted distinct start times, with a time that has
/// milliseconds (so a server that drops them is caught): `from_date` and `to_date` exactly on it and 1 ms
/// either side, and both bounds on it.
pub(crate) fn date_bounds(times: &[i64]) -> Vec<Boundary<DateBoundsInput>> {
    let Some(k) = times
        .iter()
        .position(|t| !matches!(t.rem_euclid(1000), 0 | 999))
        .or((!times.is_empty()).then_some(0))
    else {
        return Vec::new();
    };
    let spec = |delta_ms| DateSpec {
        from_other: false,
        delta_ms,
        format: DateFormat::Utc,
    };
    let t = crate::contract::dates::format_rfc3339_ms(times[k]);
    let mut out = Vec::new();
    for delta in [-1, 0, 1] {
        let at = match delta {
            -1 => "1 ms before",
            0 => "exactly on",
            _ => "1 ms after",
        };
        out.push(Boundary {
            what: format!("from_date {at} the call started at {t}"),
            value: (0, k, k, spec(delta), spec(0)),
        });
        out.push(Boundary {
            what: format!("to_date {at} the call started at {t}"),
            value: (1, k, k, spec(0), spec(delta)),
        });
    }
    out.push(Boundary {
        what: format!("from_date and to_date both exactly on the call started at {t}"),
        value: (2, k, k, spec(0), spec(0)),
    });
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use openmic_fixtures::{Call, CallStatus, CallType};

    use super::*;
    use crate::http::{HttpClient, Limits, Target};
    use crate::server::dataset::Dataset;

    /// Runs `f` with a context whose listing is `calls` (no requests are sent).
    fn with_ctx<R>(calls: Vec<Call>, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let data = Dataset {
            reported_total: calls.len() as u64,
            calls: calls
                .into_iter()
                .map(|c| {
                    let json = serde_json::to_value(&c).unwrap();
                    (c, json)
                })
                .collect(),
            raw: Vec::new(),
            window: None,
            until: None,
            in_flight: 0,
            requests: 0,
            problems: Vec::new(),
            flaky: Vec::new(),
            bots: Default::default(),
            phone_numbers: Default::default(),
        };
        let client =
            HttpClient::new(Target::new("http://127.0.0.1:9", "k"), Limits::UNLIMITED).unwrap();
        let ctx = Ctx {
            client: &client,
            data: &data,
            cases: 1,
            seed: 0,
            max_shrink_iters: 0,
            flaky: RefCell::new(Vec::new()),
            create_refusal: None,
        };
        f(&ctx)
    }

    #[test]
    fn a_listing_of_two_calls_gets_only_the_pages_that_fit() {
        let pages: Vec<(String, Option<u64>, Option<u64>)> =
            with_ctx(openmic_fixtures::generate(7, 2), |ctx| {
                pages(ctx)
                    .into_iter()
                    .map(|b| {
                        let what = b
                            .what
                            .replace(", in the 2 calls of the unfiltered listing", "");
                        (what, b.value.1, b.value.2)
                    })
                    .collect()
            });
        let want = [
            ("a page of 1 ending 1 call before the end", 1, 0),
            ("a page of 1 ending 0 calls before the end", 1, 1),
            ("a page of 1 starting at the end", 1, 2),
            ("a page of 1 starting past the end", 1, 3),
            ("a page of 1 at the last match", 1, 1),
        ];
        for (what, limit, offset) in want {
            assert!(
                pages.contains(&(what.to_string(), Some(limit), Some(offset))),
                "{what}: {pages:#?}"
            );
        }
        assert!(
            !pages
                .iter()
                .any(|(what, _, _)| what.contains("2 calls before")),
            "{pages:#?}"
        );
    }

    /// The subsets of `calls`, checked against the sizes counted here directly; the filter of the second.
    fn filtered_subset_of(calls: Vec<Call>) -> String {
        let all = calls.len() as u64;
        let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
        for call in &calls {
            for key in [
                format!("call_status={}", call.call_status.as_str()),
                format!("call_type={}", call.call_type.as_str()),
                format!("bot_id={}", call.agent_id),
            ] {
                *sizes.entry(key).or_default() += 1;
            }
        }
        with_ctx(calls, |ctx| {
            let largest = sizes
                .values()
                .copied()
                .filter(|n| (3..all).contains(n))
                .max()
                .unwrap();
            let subsets = subsets(ctx);
            assert_eq!(subsets.len(), 2);
            assert_eq!(
                subsets[0].what,
                format!("the {all} calls of the unfiltered listing")
            );
            assert_eq!(subsets[0].matches, all);
            assert_eq!(count(ctx, &subsets[0].spec), all);
            let filter = subsets[1].what.rsplit(' ').next().unwrap().to_string();
            assert_eq!(
                subsets[1].what,
                format!("the {largest} calls with {filter}")
            );
            assert_eq!(sizes[&filter], largest, "{}", subsets[1].what);
            // The subset's spec filters: the reference model finds exactly its matches.
            assert_eq!(subsets[1].matches, largest);
            assert_eq!(count(ctx, &subsets[1].spec), largest);
            filter
        })
    }

    #[test]
    fn the_subsets_are_the_whole_listing_and_the_largest_one_filter_subset_of_three_or_more() {
        let generated = openmic_fixtures::generate(7, 60);
        // As generated: 41 ended calls, 40 phone calls, at most 14 of one bot.
        assert_eq!(filtered_subset_of(generated.clone()), "call_status=ended");
        // Statuses evenly spread: the call type is the largest.
        let statuses = [
            CallStatus::Registered,
            CallStatus::Ongoing,
            CallStatus::Ended,
            CallStatus::Error,
        ];
        let mut even = generated;
        for (i, call) in even.iter_mut().enumerate() {
            call.call_status = statuses[i % 4];
        }
        assert_eq!(filtered_subset_of(even.clone()), "call_type=phonecall");
        // Types evenly spread too, and most calls by one bot: the bot is.
        let bot = even[0].agent_id.clone();
        for (i, call) in even.iter_mut().enumerate() {
            call.call_type = [CallType::Phone, CallType::Web][i % 2];
            if i < 40 {
                call.agent_id = bot.clone();
            }
        }
        assert_eq!(filtered_subset_of(even), format!("bot_id={bot}"));
        assert_eq!(
            (calls(1), calls(2)),
            ("1 call".to_string(), "2 calls".to_string())
        );
    }

    /// `n` generated calls of one status, one type and one bot: the only subset is the whole listing.
    fn uniform(n: usize) -> Vec<Call> {
        let mut calls = openmic_fixtures::generate(7, n);
        let bot = calls.first().map(|c| c.agent_id.clone());
        for call in &mut calls {
            call.call_status = CallStatus::Ended;
            call.call_type = CallType::Phone;
            call.agent_id = bot.clone().unwrap();
        }
        calls
    }

    /// What each builder gives over `n` uniform calls, each case's text without its subset.
    fn cases<V>(n: usize, build: impl Fn(&Ctx<'_>) -> Vec<Boundary<V>>) -> Vec<(String, V)> {
        with_ctx(uniform(n), |ctx| {
            build(ctx)
                .into_iter()
                .map(|b| {
                    let what = b.what.split(", in the ").next().unwrap().to_string();
                    (what, b.value)
                })
                .collect()
        })
    }

    #[test]
    fn an_empty_listing_gets_only_the_pages_at_and_past_its_end() {
        let pages: Vec<(String, Option<u64>, Option<u64>)> = cases(0, pages)
            .into_iter()
            .map(|(what, (_, limit, offset))| (what, limit, offset))
            .collect();
        let want = [
            ("a page of 1 starting at the end", 1, 0),
            ("a page of 1 starting past the end", 1, 1),
            ("limit=1 from the start", 1, 0),
            ("limit=100 from the start", 100, 0),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(w, l, o)| (w.to_string(), Some(*l), Some(*o)))
            .collect();
        assert_eq!(pages, want);
        let defaults: Vec<(String, usize, u64)> = cases(0, default_pages)
            .into_iter()
            .map(|(what, (_, mode, k))| (what, mode, k))
            .collect();
        assert_eq!(
            defaults,
            [
                ("a page starting at the end (no limit)".to_string(), 2, 0),
                ("a page starting past the end (no limit)".to_string(), 2, 1),
            ]
        );
        assert!(cases(0, ordered_pages).is_empty());
    }

    #[test]
    fn pages_of_the_default_size_are_placed_only_where_they_fit() {
        let defaults = |n| -> Vec<(String, usize, u64)> {
            cases(n, default_pages)
                .into_iter()
                .map(|(what, (_, mode, k))| (what.replace(" (no limit)", ""), mode, k))
                .collect()
        };
        let owned = |want: &[(&str, usize, u64)]| -> Vec<(String, usize, u64)> {
            want.iter()
                .map(|(w, m, k)| (w.to_string(), *m, *k))
                .collect()
        };
        assert_eq!(
            defaults(2),
            owned(&[
                ("the last match alone", 1, 1),
                ("a page starting at the end", 2, 0),
                ("a page starting past the end", 2, 1),
            ])
        );
        // 50 matches: only the page ending at the end fits.
        assert_eq!(
            defaults(50),
            owned(&[
                ("a page ending 0 calls before the end", 1, 0),
                ("the last match alone", 1, 49),
                ("a page starting at the end", 2, 0),
                ("a page starting past the end", 2, 1),
            ])
        );
        assert_eq!(
            defaults(52),
            owned(&[
                ("a page ending 2 calls before the end", 1, 0),
                ("a page ending 1 call before the end", 1, 1),
                ("a page ending 0 calls before the end", 1, 2),
                ("the last match alone", 1, 51),
                ("a page starting at the end", 2, 0),
                ("a page starting past the end", 2, 1),
            ])
        );
    }

    #[test]
    fn ordered_pages_are_the_last_matches_and_the_pages_of_100_that_fit() {
        let ordered = |n| -> Vec<(String, u64)> {
            cases(n, ordered_pages)
                .into_iter()
                .map(|(what, (_, offset))| (what.replace(" (limit=100)", ""), offset))
                .collect()
        };
        let owned = |want: &[(&str, u64)]| -> Vec<(String, u64)> {
            want.iter().map(|(w, o)| (w.to_string(), *o)).collect()
        };
        assert_eq!(ordered(1), owned(&[("the last 1 call", 0)]));
        assert_eq!(
            ordered(2),
            owned(&[("the last 1 call", 1), ("the last 2 calls", 0)])
        );
        assert_eq!(
            ordered(102),
            owned(&[
                ("the last 1 call", 101),
                ("the last 2 calls", 100),
                ("a page ending 2 calls before the end", 0),
                ("a page ending 1 call before the end", 1),
                ("a page ending 0 calls before the end", 2),
            ])
        );
    }

    #[test]
    fn date_bounds_sit_on_the_first_start_with_milliseconds_or_on_the_first_start() {
        let on = |times: &[i64]| -> Vec<(String, usize)> {
            date_bounds(times)
                .into_iter()
                .map(|b| (b.what, b.value.1))
                .collect()
        };
        // 1 s, 2.5 s, 3.999 s after the epoch: the second is the first with milliseconds (0 and 999 do not
        // count: a server that rounds or truncates gets them right by luck).
        let bounds = on(&[1_000, 2_500, 3_999]);
        let texts: Vec<&str> = bounds
            .iter()
            .map(|(what, _)| what.split(" the call").next().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "from_date 1 ms before",
                "to_date 1 ms before",
                "from_date exactly on",
                "to_date exactly on",
                "from_date 1 ms after",
                "to_date 1 ms after",
                "from_date and to_date both exactly on",
            ]
        );
        assert!(
            bounds
                .iter()
                .all(|(what, k)| *k == 1 && what.ends_with("1970-01-01T00:00:02.500Z")),
            "{bounds:#?}"
        );
        // None with milliseconds: the first start.
        let bounds = on(&[1_000, 2_999]);
        assert_eq!(bounds.len(), 7);
        assert!(bounds.iter().all(|(_, k)| *k == 0), "{bounds:#?}");
        assert!(on(&[]).is_empty());
    }
}
