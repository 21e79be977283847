//! The create-phone-call properties and their table, [`CREATE_PROPERTIES`]. They run after every property of
//! [`PROPERTIES`](crate::server::properties::PROPERTIES): each may add a call to the target, and the list
//! properties compare against the listing taken at the start.
//!
//! A create is a real phone call on the live API, so these properties run on a non-loopback target only with
//! `--allow-create` ([`create_refusal`]), and every request that could create a call (an invalid one too: a
//! lenient server would create a call from it) counts against `--max-creates`, which the suite enforces
//! through the client's write cap.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::contract::create::{
    INVALID_REQUEST, NewCall, agent_not_found_body, identity, is_call_id, top_level_keys,
};
use crate::contract::shape::call_shape_problems;
use crate::http::{Request, Response, Target};
use crate::report::render;
use crate::runner::{CaseError, Outcome};
use crate::server::context::{Ctx, run_property_with_boundaries};
use crate::server::create_inputs::{
    Account, Rejection, breach, breach_boundaries, call_boundaries, call_spec,
};
use crate::server::properties::{Property, encode_segment, unauthorized_body};

/// Every create-phone-call property, in the order they run (after every list property).
pub const CREATE_PROPERTIES: &[Property] = &[
    Property {
        name: "create_validation",
        summary: "invalid create requests give 400 with the documented error; a bad key 401; an unknown bot 404",
        needs_data: true,
        run: create_validation,
    },
    Property {
        name: "create_shape",
        summary: "a valid create answers 201 with exactly the documented keys, in order, and values",
        needs_data: true,
        run: create_shape,
    },
    Property {
        name: "create_then_found",
        summary: "a created call is then found by Get Call and by List Calls (to_number) with the same identity",
        needs_data: true,
        run: create_then_found,
    },
];

/// Why the create properties are skipped on this target: they place real phone calls, so a target that is not
/// this machine needs `--allow-create`.
pub const CREATE_NOT_ALLOWED: &str = "creates real phone calls; pass --allow-create to run";

/// `Some(reason)` when the create properties must not run against `target`.
pub fn create_refusal(target: &Target, allow_create: bool) -> Option<&'static str> {
    (!target.is_local() && !allow_create).then_some(CREATE_NOT_ALLOWED)
}

/// Why a create property ran no case: the other create properties used up `--max-creates`.
const NO_CREATES_LEFT: &str = "no creates left within --max-creates";

fn no_account() -> Outcome {
    Outcome::Skipped(
        "no number of the account was listed (the from_number of an outbound call or the to_number of an inbound one)"
            .into(),
    )
}

/// `POST /v1/create-phone-call <body>`, for the `input:` line of a failure.
pub(crate) fn sent(request: &Request) -> String {
    let body = request.body.as_ref().map_or("", |b| b.text.as_str());
    format!("{} {body}", request.line())
}

pub(crate) fn answer_text(response: &Response, got: Option<&Value>) -> String {
    format!(
        "HTTP {}\n{}",
        response.status,
        got.map_or_else(|| response.text() + "\n", |g| render(g, None))
    )
}

/// Whether `body` is the documented 400: `error` exactly, `message` a non-empty string when present (the live
/// API may leave it out), nothing else.
pub(crate) fn is_invalid_request(body: &Value) -> bool {
    body["error"] == INVALID_REQUEST
        && body.as_object().is_some_and(|o| {
            o.iter().all(|(k, v)| {
                k == "error" || (k == "message" && v.as_str().is_some_and(|m| !m.is_empty()))
            })
        })
}

fn create_validation(ctx: &Ctx<'_>) -> Outcome {
    let Some(account) = Account::of(ctx.data) else {
        return no_account();
    };
    if ctx.client.writes_left() == 0 {
        return Outcome::Skipped(NO_CREATES_LEFT.into());
    }
    run_property_with_boundaries(
        ctx,
        "create_validation",
        breach_boundaries(),
        (breach(), call_spec()),
        |(breach, spec)| {
            let request = breach.request(&spec, &account);
            let response = ctx.send(&request)?;
            let got = response.json();
            let (ok, expected) = match breach.rejection() {
                Rejection::Invalid => {
                    let mut expected = json!({"error": INVALID_REQUEST});
                    if let Some(message) = got
                        .as_ref()
                        .and_then(|b| b.get("message"))
                        .filter(|m| m.as_str().is_some_and(|m| !m.is_empty()))
                    {
                        expected["message"] = message.clone();
                    }
                    let ok = response.status == 400 && got.as_ref().is_some_and(is_invalid_request);
                    (ok, format!("HTTP 400\n{}", render(&expected, None)))
                }
                Rejection::Unauthorized => (
                    response.status == 401 && got == Some(unauthorized_body()),
                    format!("HTTP 401\n{}", render(&unauthorized_body(), None)),
                ),
                Rejection::UnknownAgent => (
                    response.status == 404 && got == Some(agent_not_found_body()),
                    format!("HTTP 404\n{}", render(&agent_not_found_body(), None)),
                ),
            };
            if ok {
                return Ok(());
            }
            let rule = if (200..300).contains(&response.status) {
                format!(
                    "{} (it was accepted: a call may have been created)",
                    breach.rule()
                )
            } else {
                breach.rule()
            };
            Err(CaseError::mismatch(
                &request,
                rule,
                expected,
                answer_text(&response, got.as_ref()),
            )
            .with_input(|| sent(&request)))
        },
    )
}

/// Sends a valid create and checks the 201: status, exactly the documented keys in order, the values sent
/// back, `call_type` `phonecall`, `direction` `outbound`, `call_status` `registered`, a well-formed id.
fn expect_created(ctx: &Ctx<'_>, request: &Request, call: &NewCall) -> Result<Value, CaseError> {
    let response = ctx.send(request)?;
    let got = response.json();
    let keys = top_level_keys(&response.text());
    let expected = call.expected_created(got.as_ref().unwrap_or(&Value::Null));
    let expected_keys = call.expected_keys();
    let keys_match = keys.as_ref().is_some_and(|k| {
        k.iter()
            .map(String::as_str)
            .eq(expected_keys.iter().copied())
    });
    if response.status == 201 && keys_match && got.as_ref() == Some(&expected) {
        return Ok(expected);
    }
    let got_text = match (&got, &keys) {
        (Some(body), Some(keys)) => format!(
            "HTTP {}\nkeys: {}\n{}",
            response.status,
            keys.join(", "),
            render(body, None)
        ),
        _ => answer_text(&response, got.as_ref()),
    };
    Err(CaseError::mismatch(
        request,
        "a valid create answers 201 with exactly call_type, from_number, to_number, direction, call_id, agent_id, \
         call_status (then customer_id, dynamic_variables when sent), in that order: phonecall, outbound, registered, \
         the numbers and values sent, a fresh 25-character id starting with c",
        format!(
            "HTTP 201\nkeys: {}\n{}",
            expected_keys.join(", "),
            render(&expected, None)
        ),
        got_text,
    )
    .with_input(|| sent(request)))
}

fn create_shape(ctx: &Ctx<'_>) -> Outcome {
    let Some(account) = Account::of(ctx.data) else {
        return no_account();
    };
    if ctx.client.writes_left() == 0 {
        return Outcome::Skipped(NO_CREATES_LEFT.into());
    }
    let listed: BTreeSet<&str> = ctx
        .data
        .calls
        .iter()
        .map(|(c, _)| c.call_id.as_str())
        .collect();
    let created = RefCell::new(BTreeSet::new());
    run_property_with_boundaries(
        ctx,
        "create_shape",
        call_boundaries(),
        call_spec(),
        |spec| {
            let call = spec.new_call(&account);
            let request = spec.request(&account);
            let body = expect_created(ctx, &request, &call)?;
            let id = body["call_id"].as_str().unwrap_or_default().to_string();
            if listed.contains(id.as_str()) || !created.borrow_mut().insert(id.clone()) {
                return Err(CaseError::mismatch(
                &request,
                "every create answers a fresh call_id: not one listed, not one created before in this run",
                "a call_id never seen before\n",
                format!("call_id {id}, seen before\n"),
            )
            .with_input(|| sent(&request)));
            }
            Ok(())
        },
    )
}

fn create_then_found(ctx: &Ctx<'_>) -> Outcome {
    let Some(account) = Account::of(ctx.data) else {
        return no_account();
    };
    if ctx.client.writes_left() == 0 {
        return Outcome::Skipped(NO_CREATES_LEFT.into());
    }
    run_property_with_boundaries(
        ctx,
        "create_then_found",
        call_boundaries(),
        call_spec(),
        |spec| {
            let call = spec.new_call(&account);
            let request = spec.request(&account);
            let response = ctx.send(&request)?;
            let got = response.json();
            let Some(id) = got
                .as_ref()
                .filter(|_| response.status == 201)
                .and_then(|b| b["call_id"].as_str())
                .filter(|id| is_call_id(id))
                .map(str::to_string)
            else {
                return Err(CaseError::mismatch(
                &request,
                "a valid create answers 201 with a call_id (create_shape checks the rest of the body)",
                "HTTP 201\na call_id of 25 characters starting with c\n",
                answer_text(&response, got.as_ref()),
            )
            .with_input(|| sent(&request)));
            };
            let expected = identity(&call.expected_created(got.as_ref().unwrap_or(&Value::Null)));
            let created = || {
                format!(
                    "the call created by {} -> 201, call_id {id}",
                    sent(&request)
                )
            };

            let get = Request::get(format!("/v1/call/{}", encode_segment(&id)), vec![]);
            let response = ctx.send(&get)?;
            let found = response.json();
            let problems = found.as_ref().map(call_shape_problems).unwrap_or_default();
            if response.status != 200
                || !problems.is_empty()
                || found.as_ref().map(identity).as_ref() != Some(&expected)
            {
                return Err(CaseError::mismatch(
                &get,
                "Get Call finds the created call, a well-formed call with the identity the create gave it \
                 (whatever its status now)",
                format!("HTTP 200\n{}", render(&expected, None)),
                format!(
                    "HTTP {}\n{}{}",
                    response.status,
                    problems.iter().map(|p| format!("{p}\n")).collect::<String>(),
                    found.as_ref().map_or_else(|| response.text() + "\n", |f| render(&identity(f), None))
                ),
            )
            .with_input(created));
            }

            let list = Request::get(
                "/v1/calls",
                vec![
                    ("to_number".into(), call.to_number.clone()),
                    ("limit".into(), "100".into()),
                ],
            );
            let response = ctx.send(&list)?;
            let page = response.json();
            let listed = page
                .as_ref()
                .and_then(|p| p["calls"].as_array())
                .and_then(|calls| calls.iter().find(|c| c["call_id"] == id.as_str()));
            let problems = listed.map(call_shape_problems).unwrap_or_default();
            if response.status != 200
                || !problems.is_empty()
                || listed.map(identity).as_ref() != Some(&expected)
            {
                let got = match listed {
                    Some(listed) => format!(
                        "HTTP {}\n{}{}",
                        response.status,
                        problems
                            .iter()
                            .map(|p| format!("{p}\n"))
                            .collect::<String>(),
                        render(&identity(listed), None)
                    ),
                    None => answer_text(&response, page.as_ref()),
                };
                return Err(CaseError::mismatch(
                &list,
                "List Calls filtered by the created call's to_number lists it, with the identity Get Call gave it",
                format!("HTTP 200\n{}", render(&expected, None)),
                got,
            )
            .with_input(created));
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_documented_400_is_its_error_and_at_most_a_non_empty_message() {
        assert!(is_invalid_request(&json!({"error": INVALID_REQUEST})));
        assert!(is_invalid_request(
            &json!({"error": INVALID_REQUEST, "message": "to_number is required"})
        ));
        for wrong in [
            json!({"error": INVALID_REQUEST, "message": ""}),
            json!({"error": INVALID_REQUEST, "message": 5}),
            json!({"error": INVALID_REQUEST, "detail": "an extra field"}),
            json!({"error": "Bad Request"}),
            json!([INVALID_REQUEST]),
        ] {
            assert!(!is_invalid_request(&wrong), "{wrong}");
        }
    }
}
