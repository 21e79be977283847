//! `pagination_helper`: `list_all` returns every match exactly once, in order (the reference model, not the
//! mock, says what matches), in a bounded number of requests. A watchdog revokes the client's key when the
//! bound is passed, so a client that never stops gets 401s and returns.

use std::cell::{Cell, RefCell};

use proptest::prelude::*;
use proptest::sample::Index;

use crate::client::harness::{Env, check_auth, fail, journal_text};
use crate::client::properties::comparison::Comparison;
use crate::client::under_test::{ClientParams, ClientUnderTest, ErrorKind};
use crate::contract::reference::{DEFAULT_LIMIT, ListQuery, all_matches};
use crate::report::id_sequence_difference;
use crate::runner::{Boundary, Outcome, RunSettings, run_cases_with_boundaries};

pub(crate) fn pagination_helper(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    let unsupported = Cell::new(false);
    let strategy = (
        prop_oneof![3 => (1u64..=12).prop_map(Some), 1 => Just(None)],
        proptest::option::of((0usize..4, any::<Index>())),
    );
    let outcome = run_cases_with_boundaries(
        settings,
        "pagination_helper",
        page_size_boundaries(env.data.len() as u64),
        strategy,
        |(page_size, filter)| {
            if unsupported.get() {
                return Ok(());
            }
            let mut params = ClientParams {
                limit: page_size,
                ..ClientParams::default()
            };
            let mut query = ListQuery::default();
            if let Some((field, index)) = filter {
                let call = &env.data[index.index(env.data.len())].0;
                match field {
                    0 => {
                        params.call_status = Some(call.call_status.as_str().into());
                        query.call_status = Some(call.call_status);
                    }
                    1 => {
                        params.call_type = Some(call.call_type.as_str().into());
                        query.call_type = Some(call.call_type);
                    }
                    2 => {
                        params.bot_id = Some(call.agent_id.clone());
                        query.bot_id = Some(call.agent_id.clone());
                    }
                    _ => {
                        params.customer_id = call.customer_id.clone();
                        query.customer_id = call.customer_id.clone();
                    }
                }
            }
            let expected = all_matches(&env.data, &query);
            let size = page_size.unwrap_or(DEFAULT_LIMIT) as usize;
            let pages = expected.len().div_ceil(size).max(1);
            // One more than the pages: a helper may confirm the end with an empty page.
            let bound = pages + 1;
            env.begin();
            let (result, tripped) = env.bounded(bound, || client.borrow_mut().list_all(&params));
            let journal = env.take_journal();
            if matches!(&result, Err(e) if e.kind == ErrorKind::Unsupported) {
                unsupported.set(true);
                return Ok(());
            }
            let input = || {
                format!(
                    "list_all({}) over the {} calls of the kit's data set, {} matching",
                    params.to_json(),
                    env.data.len(),
                    expected.len()
                )
            };
            if tripped || journal.len() > bound {
                // The last requests say where the client went round in circles; the first are all alike.
                let last = &journal[journal.len().saturating_sub(5)..];
                return Err(fail(
                    format!(
                        "list_all must stop: {} matches in pages of {size} need {pages} requests (at most {bound} allowed)",
                        expected.len()
                    ),
                    format!("at most {bound} requests\n"),
                    format!(
                        "{} requests before the kit revoked the key{}\n",
                        journal.len(),
                        if tripped { "" } else { " (not needed)" },
                    ),
                )
                .with_input(input)
                .with_detail(format!("last {} requests:\n{}", last.len(), journal_text(last))));
            }
            check_auth(&journal, "list_all").map_err(|e| e.with_input(input))?;
            let calls = result.map_err(|e| {
                fail(
                    "list_all failed a valid request",
                    "every match\n",
                    format!("error {e}\n{}", journal_text(&journal)),
                )
                .with_input(input)
            })?;
            let expected_ids: Vec<String> =
                expected.iter().map(|(c, _)| c.call_id.clone()).collect();
            let got_ids: Vec<String> = calls
                .iter()
                .map(|c| c["call_id"].as_str().unwrap_or("<no call_id>").to_string())
                .collect();
            if expected_ids != got_ids {
                let lines =
                    |ids: &[String]| ids.iter().map(|id| format!("{id}\n")).collect::<String>();
                return Err(fail(
                    format!(
                        "list_all {}",
                        walk_sentence(
                            &expected_ids,
                            &got_ids,
                            (journal.len(), journal.last().map(|r| r.query.as_slice()))
                        )
                    ),
                    lines(&expected_ids),
                    lines(&got_ids),
                )
                .with_input(input)
                .with_detail(format!("requests:\n{}", journal_text(&journal))));
            }
            let mut comparison = Comparison {
                notes: &env.notes,
                problems: Vec::new(),
            };
            for (i, ((_, served), got)) in expected.iter().zip(&calls).enumerate() {
                comparison.call(served, got, &format!("list_all[{i}]"));
            }
            if comparison.problems.is_empty() {
                Ok(())
            } else {
                Err(fail(
                    "list_all must return the calls as served",
                    "the served calls\n",
                    comparison.problems.join("\n") + "\n",
                )
                .with_input(input))
            }
        },
    );
    if unsupported.get() {
        Outcome::Skipped("the client has no list_all (it answered unsupported)".into())
    } else {
        outcome
    }
}

/// One sentence on how a helper's walk went wrong: where it stopped (and whether `has_more` said to go on),
/// or which calls it skipped, repeated or reordered.
/// `journal` is the walk's requests: how many, and the last one's decoded query.
fn walk_sentence(
    expected: &[String],
    got: &[String],
    journal: (usize, Option<&[(String, String)]>),
) -> String {
    let difference = id_sequence_difference(expected, got);
    let stopped_early = got.len() < expected.len() && expected.starts_with(got);
    let (requests, last) = journal;
    let Some(last) = last.filter(|_| stopped_early) else {
        return difference;
    };
    let param = |name: &str| {
        last.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let sent_limit = param("limit");
    let page_size = sent_limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let offset = param("offset").unwrap_or(0);
    let total = expected.len() as u64;
    let served = page_size.min(total.saturating_sub(offset));
    let has_more = offset + served < total;
    let mut sentence = format!(
        "stopped after page {} of {} {} ({} of {} matches returned)",
        requests,
        total.div_ceil(page_size).max(1),
        if has_more {
            "while has_more was true"
        } else {
            "although has_more was false"
        },
        got.len(),
        total
    );
    if sent_limit.is_none() {
        sentence.push_str(&format!(
            "; it sent no limit, so the server served its default of {DEFAULT_LIMIT} per page"
        ));
    }
    sentence
}

/// The generated input of `pagination_helper`: the page size (none: the server's default) and an optional
/// filter taken from one call.
type HelperInput = (Option<u64>, Option<(usize, Index)>);

/// Page sizes, over all `matches` calls, whose last page ends exactly at the end of a full page, 1 call and 2
/// calls into one, pages of 1 and of 100, and no page size (the server's default of 50): where a helper that
/// counts pages, or guesses the page size, instead of reading `has_more` goes wrong.
fn page_size_boundaries(matches: u64) -> Vec<Boundary<HelperInput>> {
    let mut out = Vec::new();
    for remainder in [0, 1, 2] {
        if let Some(size) = (2..=100)
            .filter(|size| size < &matches)
            .find(|size| matches % size == remainder)
        {
            out.push(Boundary {
                what: format!(
                    "list_all in pages of {size} over {matches} matches: the last page holds {}",
                    if remainder == 0 {
                        format!("a full {size}")
                    } else {
                        remainder.to_string()
                    }
                ),
                value: (Some(size), None),
            });
        }
    }
    for size in [1, 100] {
        out.push(Boundary {
            what: format!("list_all in pages of {size} over {matches} matches"),
            value: (Some(size), None),
        });
    }
    out.push(Boundary {
        what: format!("list_all with no page size over {matches} matches (the server's default of {DEFAULT_LIMIT})"),
        value: (None, None),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("c{i:02}")).collect()
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_walk_that_stopped_early_says_where_and_what_has_more_said() {
        let expected = ids(0..25);
        let last = query(&[("limit", "10"), ("offset", "10")]);
        assert_eq!(
            walk_sentence(&expected, &ids(0..20), (2, Some(&last))),
            "stopped after page 2 of 3 while has_more was true (20 of 25 matches returned)"
        );
        let last = query(&[("offset", "0")]);
        assert_eq!(
            walk_sentence(&ids(0..60), &ids(0..50), (1, Some(&last))),
            "stopped after page 1 of 2 while has_more was true (50 of 60 matches returned); it sent no limit, \
             so the server served its default of 50 per page"
        );
        let last = query(&[("limit", "10"), ("offset", "20")]);
        assert!(
            walk_sentence(&expected, &ids(0..24), (3, Some(&last)))
                .ends_with("although has_more was false (24 of 25 matches returned)")
        );
    }

    #[test]
    fn page_size_boundaries_end_on_a_full_page_and_on_one_or_two_calls_over_several_pages() {
        let sizes = |matches| {
            page_size_boundaries(matches)
                .into_iter()
                .map(|b| b.value.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sizes(120),
            [Some(2), Some(7), Some(59), Some(1), Some(100), None]
        );
        // 7 matches: no size under 7 divides them, so no walk of several pages ends on a full one.
        assert_eq!(sizes(7), [Some(2), Some(5), Some(1), Some(100), None]);
    }

    #[test]
    fn a_walk_that_skipped_or_repeated_calls_says_which() {
        let expected = ids(0..25);
        let last = query(&[("limit", "10"), ("offset", "20")]);
        let mut skipped = ids(0..25);
        skipped.remove(10);
        let sentence = walk_sentence(&expected, &skipped, (3, Some(&last)));
        assert!(!sentence.starts_with("stopped after"), "{sentence}");
        assert_eq!(sentence, id_sequence_difference(&expected, &skipped));
        let mut repeated = ids(0..25);
        repeated.insert(10, "c09".into());
        assert_eq!(
            walk_sentence(&expected, &repeated, (3, Some(&last))),
            id_sequence_difference(&expected, &repeated)
        );
    }
}
