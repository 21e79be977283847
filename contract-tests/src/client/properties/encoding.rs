//! `encoding`: generated parameters, awkward strings included, reach the server decoded to exactly what was
//! asked (none missing, extra or altered), with `Authorization: Bearer <key>` on every request. The oracle is
//! the mock's journal, not the client's answer.

use std::cell::RefCell;
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;

use crate::client::harness::{Env, check_auth, fail, journal_text, pairs_text, result_text};
use crate::client::under_test::{ClientParams, ClientUnderTest};
use crate::contract::dates::instant_moved;
use crate::runner::{CaseError, Outcome, RunSettings, run_cases};

/// Strings that clients get wrong on the way into a query string.
const AWKWARD_PIECES: &[&str] = &[
    "+", " ", "&", "=", "#", "%", "/", "?", ";", ",", "é", "日本", "😀", "a", "Z", "7", "%2B",
    "+1 555", " lead", "trail ",
];

fn awkward_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(AWKWARD_PIECES), 1..5).prop_map(|pieces| pieces.concat())
}

fn text_value(real: Vec<String>) -> BoxedStrategy<String> {
    if real.is_empty() {
        awkward_string().boxed()
    } else {
        prop_oneof![2 => awkward_string(), 1 => select(real)].boxed()
    }
}

fn date_value() -> impl Strategy<Value = String> {
    (
        1_600_000_000_000i64..1_800_000_000_000,
        select(&[0i64, 150, -300, 330][..]),
    )
        .prop_map(|(ms, offset)| {
            if offset == 0 {
                crate::contract::dates::format_rfc3339_ms(ms)
            } else {
                crate::contract::dates::format_rfc3339_offset(ms, offset)
            }
        })
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    values.collect::<BTreeSet<_>>().into_iter().collect()
}

pub(crate) fn encoding(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    let calls = || env.data.iter().map(|(c, _)| c);
    let strategy = (
        (
            proptest::option::of(1u64..=100),
            proptest::option::of(0u64..=150),
            proptest::option::of(text_value(distinct(
                calls().filter_map(|c| c.customer_id.clone()),
            ))),
            proptest::option::of(text_value(distinct(calls().map(|c| c.from_number.clone())))),
            proptest::option::of(text_value(distinct(calls().map(|c| c.to_number.clone())))),
        ),
        (
            proptest::option::of(text_value(distinct(calls().map(|c| c.agent_id.clone())))),
            proptest::option::of(select(&["registered", "ongoing", "ended", "error"][..])),
            proptest::option::of(select(&["phonecall", "webcall"][..])),
            proptest::option::of(date_value()),
            proptest::option::of(date_value()),
        ),
    )
        .prop_map(
            |(
                (limit, offset, customer_id, from_number, to_number),
                (bot_id, call_status, call_type, from_date, to_date),
            )| ClientParams {
                limit,
                offset,
                customer_id,
                from_number,
                to_number,
                bot_id,
                call_status: call_status.map(str::to_string),
                call_type: call_type.map(str::to_string),
                from_date,
                to_date,
            },
        );
    run_cases(settings, "encoding", strategy, |params| {
        check(env, client, &params)
            .map_err(|e| e.with_input(|| format!("list_calls({})", params.to_json())))
    })
}

/// One case: the client lists a page with `params`; the journal must show exactly those parameters.
fn check(
    env: &Env<'_>,
    client: &RefCell<dyn ClientUnderTest + '_>,
    params: &ClientParams,
) -> Result<(), CaseError> {
    env.begin();
    let result = client.borrow_mut().list_calls(params);
    let journal = env.take_journal();
    if journal.is_empty() {
        return Err(fail(
            "list_calls sent no request for valid parameters",
            "one GET /v1/calls\n",
            format!("no request; the client answered {}\n", result_text(&result)),
        ));
    }
    if journal.len() > 1 + env.max_retries {
        return Err(fail(
            format!(
                "list_calls sent {} requests for one page (at most {}: one and --max-retries {})",
                journal.len(),
                1 + env.max_retries,
                env.max_retries
            ),
            "one GET /v1/calls\n",
            journal_text(&journal),
        ));
    }
    let mut expected: Vec<(String, String)> = params
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    expected.sort();
    for request in &journal {
        if request.path.trim_end_matches('/') != "/v1/calls" {
            return Err(fail(
                "list_calls must request GET /v1/calls",
                "GET /v1/calls\n",
                journal_text(&journal),
            ));
        }
        let (got, moved) = same_instants_as_asked(&expected, &request.query);
        if got != expected {
            let rule = "the query the server decoded must be exactly the parameters asked for: none missing, none extra, none altered (dates: the same instant)";
            return Err(fail(
                if moved.is_empty() {
                    rule.to_string()
                } else {
                    format!("{rule}; {}", moved.join("; "))
                },
                pairs_text(&expected),
                format!(
                    "{}raw query: {}\n",
                    pairs_text(&got),
                    request.raw_query.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    check_auth(&journal, "list_calls")
}

/// The parameters a date is compared by instant on.
const DATE_PARAMETERS: [&str; 2] = ["from_date", "to_date"];

/// What the server decoded, sorted, with each date that denotes the same instant as the one asked for written
/// as asked (another spelling of one instant is not an alteration); and, for each date that does not, how its
/// instant moved.
fn same_instants_as_asked(
    asked: &[(String, String)],
    decoded: &[(String, String)],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut moved = Vec::new();
    let mut got: Vec<(String, String)> = decoded
        .iter()
        .map(|(name, sent)| {
            let wanted = asked.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            match wanted {
                Some(wanted) if DATE_PARAMETERS.contains(&name.as_str()) => {
                    match instant_moved(wanted, sent) {
                        None => (name.clone(), wanted.clone()),
                        Some(how) => {
                            moved.push(format!("{name}: {how}"));
                            (name.clone(), sent.clone())
                        }
                    }
                }
                _ => (name.clone(), sent.clone()),
            }
        })
        .collect();
    got.sort();
    (got, moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_date_in_another_spelling_of_the_same_instant_is_what_was_asked() {
        let asked = pairs(&[("limit", "5"), ("to_date", "2020-09-13T12:26:40.001Z")]);
        let decoded = pairs(&[("to_date", "2020-09-13T12:26:40.001000Z"), ("limit", "5")]);
        assert_eq!(same_instants_as_asked(&asked, &decoded), (asked, vec![]));
    }

    #[test]
    fn a_date_whose_instant_moved_stays_as_sent_and_says_how() {
        let asked = pairs(&[("from_date", "2020-09-13T12:26:40.001Z")]);
        let decoded = pairs(&[("from_date", "2020-09-13T12:26:40Z")]);
        let (got, moved) = same_instants_as_asked(&asked, &decoded);
        assert_eq!(got, decoded);
        assert_eq!(moved.len(), 1);
        assert!(
            moved[0].starts_with("from_date: the instant moved 1 ms earlier"),
            "{moved:?}"
        );
    }

    #[test]
    fn distinct_values_are_each_kept_once_in_order() {
        let values = ["b", "a", "b", "", "a"].map(String::from);
        assert_eq!(distinct(values.into_iter()), ["", "a", "b"]);
        assert!(distinct(std::iter::empty()).is_empty());
    }

    #[test]
    fn other_parameters_are_compared_as_strings() {
        let asked = pairs(&[("customer_id", "2020-09-13")]);
        let decoded = pairs(&[("customer_id", "2020-09-13T00:00:00Z")]);
        assert_ne!(same_instants_as_asked(&asked, &decoded).0, asked);
    }
}
