//! `decoding`: what the client returns equals what the mock served for the request it sent, field for field.
//! An absent field returned as `null` and a dropped undocumented field are accepted and noted.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::sample::Index;

use crate::client::harness::{Env, check_auth, fail, journal_text};
use crate::client::properties::comparison::Comparison;
use crate::client::under_test::{ClientParams, ClientUnderTest};
use crate::runner::{CaseError, Outcome, RunSettings, run_cases};

pub(crate) fn decoding(
    env: &Env<'_>,
    settings: &RunSettings,
    client: &RefCell<dyn ClientUnderTest + '_>,
) -> Outcome {
    let strategy = (
        proptest::option::of(1u64..=25),
        proptest::option::of(0u64..=130),
        proptest::option::of((0usize..3, any::<Index>())),
        any::<Index>(),
    );
    run_cases(
        settings,
        "decoding",
        strategy,
        |(limit, offset, filter, get_index)| {
            let mut params = ClientParams {
                limit,
                offset,
                ..ClientParams::default()
            };
            if let Some((field, index)) = filter {
                let call = &env.data[index.index(env.data.len())].0;
                match field {
                    0 => params.call_status = Some(call.call_status.as_str().into()),
                    1 => params.bot_id = Some(call.agent_id.clone()),
                    _ => params.customer_id = call.customer_id.clone(),
                }
            }
            let id = env.data[get_index.index(env.data.len())].0.call_id.clone();
            let input = || format!("list_calls({}), then get_call({id:?})", params.to_json());
            check(env, client, &params, &id).map_err(|e| e.with_input(input))
        },
    )
}

/// One case: a page with `params`, then the call `id`; each must be what the mock served.
fn check(
    env: &Env<'_>,
    client: &RefCell<dyn ClientUnderTest + '_>,
    params: &ClientParams,
    id: &str,
) -> Result<(), CaseError> {
    env.begin();
    let result = client.borrow_mut().list_calls(params);
    let journal = env.take_journal();
    let page = result.map_err(|e| {
        fail(
            "list_calls failed a valid request",
            "a page\n",
            format!("error {e}\n{}", journal_text(&journal)),
        )
    })?;
    let Some(sent) = journal.last() else {
        return Err(fail(
            "list_calls returned a page without asking the server",
            "one GET /v1/calls\n",
            "no request\n",
        ));
    };
    let served = env.served(&sent.path, sent.query.clone())?;
    let mut comparison = Comparison {
        notes: &env.notes,
        problems: Vec::new(),
    };
    let served_calls = served["calls"].as_array().cloned().unwrap_or_default();
    if served_calls.len() != page.calls.len() {
        comparison.problems.push(format!(
            "{} calls were served, the client returned {}",
            served_calls.len(),
            page.calls.len()
        ));
    } else {
        for (i, (s, g)) in served_calls.iter().zip(&page.calls).enumerate() {
            comparison.call(s, g, &format!("calls[{i}]"));
        }
    }
    comparison.value(&served["pagination"], &page.pagination, "pagination");
    if !comparison.problems.is_empty() {
        return Err(fail(
            "list_calls must return what was served: no value changed, no documented field lost",
            format!("served for {}\n", journal_text(&journal).trim_end()),
            comparison.problems.join("\n") + "\n",
        ));
    }
    // get_call of one call.
    env.begin();
    let result = client.borrow_mut().get_call(id);
    let journal = env.take_journal();
    let got = result.map_err(|e| {
        fail(
            format!("get_call({id:?}) failed for a call that exists"),
            "the call\n",
            format!("error {e}\n{}", journal_text(&journal)),
        )
    })?;
    let served = env.served(&format!("/v1/call/{id}"), Vec::new())?;
    comparison.call(&served, &got, "call");
    if !comparison.problems.is_empty() {
        return Err(fail(
            format!("get_call({id:?}) must return what was served"),
            format!("served for {}\n", journal_text(&journal).trim_end()),
            comparison.problems.join("\n") + "\n",
        ));
    }
    check_auth(&journal, "get_call")
}
