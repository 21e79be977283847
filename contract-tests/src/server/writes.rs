//! The account's write properties and their tables, [`WRITE_PROPERTIES`] and [`CALLING_WRITE_PROPERTIES`]: create, update and delete a bot,
//! link and unlink one to a phone number, a created call that takes the linked agent, and the 409 of a bot in
//! use. They change data on the target, so they run only with `--allow-writes` ([`write_refusal`]), last, and
//! each puts back what it changed: every bot it creates is deleted, every number it links gets its agents back
//! (its `updated_at` cannot be put back). `linked_agent_call` also places a call, so it needs what the
//! create-phone-call properties need too.

use std::cell::Cell;

use serde_json::{Value, json};

use crate::contract::account::{
    BAD_DIRECTION, BOT_NOT_FOUND, DIRECTIONS, INVALID_BODY, LINK_NOT_FOUND, LINK_PATH,
    NUMBER_NOT_FOUND, Resource, UNLINK_PATH, bot_shape_problems, created_ms, link_message,
    link_response,
};
use crate::contract::create::{CREATE_PATH, INVALID_REQUEST};
use crate::http::{Request, Response};
use crate::report::render;
use crate::runner::{Boundary, CaseError, Outcome, RunSettings, run_cases_with_boundaries};
use crate::server::account::listing;
use crate::server::bot_inputs::{BOT_BREACHES, full_bot, valid_bot};
use crate::server::context::{Ctx, run_property_with_boundaries};
use crate::server::create::{answer_text, is_invalid_request, sent};
use crate::server::create_inputs::fictional_number;
use crate::server::dataset::Listed;
use crate::server::properties::{Property, encode_segment};

/// Every write property, in the order they run (after every other property).
pub const WRITE_PROPERTIES: &[Property] = &[
    Property {
        name: "bot_create_validation",
        summary: "a create body that breaks one rule (required, type, enum, range, step) is a 400 with the documented error",
        needs_data: false,
        run: bot_create_validation,
    },
    Property {
        name: "bot_create",
        summary: "a valid create is a 201 BotResponse with the fields sent, created_at = updated_at, then found by get",
        needs_data: false,
        run: bot_create,
    },
    Property {
        name: "bot_update",
        summary: "PATCH replaces the fields given, keeps created_at, moves updated_at; unknown uid 404",
        needs_data: false,
        run: bot_update,
    },
    Property {
        name: "bot_update_merge",
        summary: "PATCH merges a settings object field by field: the fields not given stay",
        needs_data: false,
        run: bot_update_merge,
    },
    Property {
        name: "bot_delete",
        summary: "DELETE is a 204 with no body, then get and delete are the documented 404",
        needs_data: false,
        run: bot_delete,
    },
    Property {
        name: "link_unlink",
        summary: "link and unlink answer the number's agents and the message; bad directions 400, unknown ids 404",
        needs_data: false,
        run: link_unlink,
    },
    Property {
        name: "bot_in_use",
        summary: "a bot linked to a phone number gets 409 on delete, and stays",
        needs_data: false,
        run: bot_in_use,
    },
];

/// The write properties that also place calls (run after [`WRITE_PROPERTIES`], within `--max-creates` and,
/// off this machine, only with `--allow-create` as well).
pub const CALLING_WRITE_PROPERTIES: &[Property] = &[Property {
    name: "linked_agent_call",
    summary: "a call created from a number without override_agent_id takes the number's linked outbound agent",
    needs_data: false,
    run: linked_agent_call,
}];

/// Why the write properties are skipped without `--allow-writes`.
pub const WRITES_NOT_ALLOWED: &str =
    "changes bots and phone numbers on the target; pass --allow-writes to run";

/// `Some(reason)` when the write properties must not run: they change data wherever they run, this machine
/// included, so they always need `--allow-writes`.
pub fn write_refusal(allow_writes: bool) -> Option<&'static str> {
    (!allow_writes).then_some(WRITES_NOT_ALLOWED)
}

/// Requests a write property keeps aside from its share of the budget to put back what it changed when the
/// share runs out mid-case (delete a bot, give a number its two agents back, one repeat).
pub const CLEANUP_RESERVE: u64 = 4;

/// Writes one case of `linked_agent_call` sends: link, create the call, put the link back.
pub const WRITES_PER_LINKED_CALL: u64 = 3;
/// At most this many calls `linked_agent_call` places (one per case).
pub const LINKED_CALLS: u64 = 2;

fn bot_path(uid: &str) -> String {
    format!("/v1/bots/{}", encode_segment(uid))
}

fn post_json(path: &str, body: &Value) -> Request {
    Request::post(path, Some("application/json"), body.to_string())
}

/// Equal as JSON, numbers compared as numbers (`1` and `1.0` are the same value).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_json(v, w))
        }
        _ => a == b,
    }
}

fn mismatch(
    request: &Request,
    rule: impl Into<String>,
    expected: String,
    response: &Response,
) -> CaseError {
    let got = response.json();
    CaseError::mismatch(request, rule, expected, answer_text(response, got.as_ref()))
        .with_input(|| sent(request))
}

/// Deletes a bot the property created; what it answers is another property's business.
fn delete_quietly(ctx: &Ctx<'_>, uid: &str) {
    let _ = ctx.send_cleanup(&Request::delete(bot_path(uid)));
}

/// Creates `body` and expects a 201 with a `uid`; answers the body.
fn create_bot(ctx: &Ctx<'_>, body: &Value) -> Result<Value, CaseError> {
    let request = post_json("/v1/bots", body);
    let response = ctx.send(&request)?;
    match response.json() {
        Some(bot)
            if response.status == 201 && bot["uid"].as_str().is_some_and(|u| !u.is_empty()) =>
        {
            Ok(bot)
        }
        _ => Err(mismatch(
            &request,
            "a valid create answers 201 with the bot and its uid",
            format!("HTTP 201\n{}", render(body, None)),
            &response,
        )),
    }
}

/// Sends `request` and expects `status` with `error` exactly `error` and, when present, a string `message`.
fn expect_error(
    ctx: &Ctx<'_>,
    request: &Request,
    rule: &str,
    status: u16,
    error: &str,
) -> Result<Response, CaseError> {
    let response = ctx.send(request)?;
    let ok = response.status == status
        && response.json().is_some_and(|b| {
            b["error"] == error
                && b.as_object().is_some_and(|o| {
                    o.iter()
                        .all(|(k, v)| k == "error" || (k == "message" && v.is_string()))
                })
        });
    if ok {
        Ok(response)
    } else {
        Err(mismatch(
            request,
            rule,
            format!(
                "HTTP {status}\n{}",
                render(&json!({ "error": error }), None)
            ),
            &response,
        ))
    }
}

/// A uid no listed bot has, from `r`: a PATCH or DELETE of it must never reach a real bot.
fn unknown_uid(bots: &Listed, r: u64) -> String {
    let mut uid = format!("nosuchbot{r:016x}");
    while bots.find(Resource::Bots, &uid).is_some() {
        uid.push('x');
    }
    uid
}

// ---------------------------------------------------------------------------------------------------------
// Bots.

fn bot_create_validation(ctx: &Ctx<'_>) -> Outcome {
    let boundaries = (0..BOT_BREACHES.len())
        .map(|i| Boundary {
            what: BOT_BREACHES[i].rule.to_string(),
            value: (i, 0u64),
        })
        .collect();
    run_property_with_boundaries(
        ctx,
        "bot_create_validation",
        boundaries,
        (0..BOT_BREACHES.len(), proptest::prelude::any::<u64>()),
        |(i, seed)| {
            let breach = BOT_BREACHES[i];
            let request = Request::post(
                "/v1/bots",
                Some("application/json"),
                breach.body(&full_bot(seed)),
            );
            let response = ctx.send(&request)?;
            let got = response.json();
            if response.status == 400 && got.as_ref().is_some_and(is_invalid_request) {
                return Ok(());
            }
            let mut rule = format!("{}: 400 with error {INVALID_REQUEST:?}", breach.rule);
            if let Some(uid) = got.as_ref().and_then(|b| b["uid"].as_str())
                && (200..300).contains(&response.status)
            {
                delete_quietly(ctx, uid);
                rule.push_str(" (it was accepted: the bot was deleted again)");
            }
            Err(mismatch(
                &request,
                rule,
                format!(
                    "HTTP 400\n{}",
                    render(&json!({ "error": INVALID_REQUEST }), None)
                ),
                &response,
            ))
        },
    )
}

/// What a created bot must be: its fields as sent, plus `uid`, `created_at` and `updated_at`.
fn check_created(ctx: &Ctx<'_>, sent_body: &Value, bot: &Value) -> Vec<String> {
    let mut problems = bot_shape_problems(bot);
    for (key, value) in sent_body.as_object().into_iter().flatten() {
        if !bot.get(key).is_some_and(|got| same_json(value, got)) {
            problems.push(format!("`{key}` must be {value} as sent, got {}", bot[key]));
        }
    }
    if bot["created_at"] != bot["updated_at"] {
        problems.push(format!(
            "created_at {} and updated_at {} must be equal on a new bot",
            bot["created_at"], bot["updated_at"]
        ));
    }
    let uid = bot["uid"].as_str().unwrap_or_default();
    if ctx.data.bots.find(Resource::Bots, uid).is_some() {
        problems.push(format!("uid {uid:?} is a listed bot's: it must be fresh"));
    }
    problems
}

fn bot_create(ctx: &Ctx<'_>) -> Outcome {
    let boundaries = vec![
        Boundary {
            what: "only name and prompt".into(),
            value: 0,
        },
        Boundary {
            what: "every field".into(),
            value: u64::MAX,
        },
    ];
    run_property_with_boundaries(
        ctx,
        "bot_create",
        boundaries,
        proptest::prelude::any::<u64>(),
        |seed| {
            let body = valid_bot(seed);
            let request = post_json("/v1/bots", &body);
            let response = ctx.send(&request)?;
            let got = response.json().unwrap_or(Value::Null);
            let uid = got["uid"].as_str().map(str::to_string);
            let problems = check_created(ctx, &body, &got);
            let result = if response.status != 201 || !problems.is_empty() {
                Err(mismatch(
                    &request,
                    format!(
                        "a valid create answers 201 with a BotResponse: the fields sent, a fresh uid, created_at = updated_at{}",
                        problems
                            .iter()
                            .map(|p| format!("; {p}"))
                            .collect::<String>()
                    ),
                    format!("HTTP 201\n{}", render(&body, None)),
                    &response,
                ))
            } else {
                let uid = uid.clone().unwrap_or_default();
                ctx.expect_body(
                    &Request::get(bot_path(&uid), vec![]),
                    "GET /v1/bots/{uid} answers the created bot exactly as the 201 did",
                    200,
                    &got,
                )
                .map(drop)
            };
            if let Some(uid) = uid {
                delete_quietly(ctx, &uid);
            }
            result
        },
    )
}

/// Top-level fields a patch may replace, with two values each.
const PATCHES: [(&str, [&str; 2]); 5] = [
    ("name", ["\"openmic-contract bot renamed\"", "\"x\""]),
    ("prompt", ["\"A new prompt.\"", "\"\""]),
    ("voice_speed", ["1.2", "0.8"]),
    ("first_message", ["\"Hi again.\"", "\"\""]),
    ("llm_model_temperature", ["0.1", "0.9"]),
];

fn updated_at_moved(before: &Value, after: &Value) -> bool {
    let ms = |bot: &Value| {
        bot["updated_at"]
            .as_str()
            .and_then(|t| created_ms(&json!({ "created_at": t })))
    };
    matches!((ms(before), ms(after)), (Some(b), Some(a)) if a > b)
}

/// Waits until this machine's clock has moved a few milliseconds, so a target's `updated_at` can move.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(3));
}

/// The seed of [`bot_update`]'s boundary bots: its `voice_speed` (0.5) and `llm_model_temperature` (0.0) are
/// off their defaults, so a PATCH that resets a field it was not given shows.
const PATCH_BOUNDARY_SEED: u64 = 0;

/// The cases of `bot_update` run first: an unknown uid, then each field of [`PATCHES`] alone.
fn bot_update_boundaries() -> Vec<Boundary<(u64, u32, bool)>> {
    let mut boundaries = vec![Boundary {
        what: "an unknown uid".into(),
        value: (0u64, 0u32, true),
    }];
    boundaries.extend(PATCHES.iter().enumerate().map(|(i, (key, _))| Boundary {
        what: format!("{key} alone"),
        value: (PATCH_BOUNDARY_SEED, 1 << i, false),
    }));
    boundaries
}

fn bot_update(ctx: &Ctx<'_>) -> Outcome {
    run_property_with_boundaries(
        ctx,
        "bot_update",
        bot_update_boundaries(),
        (
            proptest::prelude::any::<u64>(),
            1..(1u32 << PATCHES.len()),
            proptest::bool::weighted(0.1),
        ),
        |(seed, fields, unknown)| {
            let mut patch = json!({});
            for (i, (key, values)) in PATCHES.iter().enumerate() {
                if fields & (1 << i) != 0 {
                    patch[*key] = serde_json::from_str(values[(seed as usize >> i) & 1])
                        .unwrap_or(Value::Null);
                }
            }
            if unknown {
                let request = Request::patch(
                    bot_path(&unknown_uid(&ctx.data.bots, seed)),
                    patch.to_string(),
                );
                return ctx
                    .expect_body(
                        &request,
                        "PATCH of an unknown uid gives the documented 404",
                        404,
                        &json!({ "error": BOT_NOT_FOUND }),
                    )
                    .map(drop);
            }
            let created = create_bot(ctx, &full_bot(seed))?;
            let uid = created["uid"].as_str().unwrap_or_default().to_string();
            tick();
            let result = (|| {
                let request = Request::patch(bot_path(&uid), patch.to_string());
                let response = ctx.send(&request)?;
                let got = response.json().unwrap_or(Value::Null);
                let mut expected = created.clone();
                for (key, value) in patch.as_object().into_iter().flatten() {
                    expected[key] = value.clone();
                }
                expected["updated_at"] = got["updated_at"].clone();
                if response.status != 200
                    || !same_json(&expected, &got)
                    || !updated_at_moved(&created, &got)
                {
                    expected["updated_at"] = json!(format!(
                        "later than {}",
                        created["updated_at"].as_str().unwrap_or("?")
                    ));
                    return Err(mismatch(
                        &request,
                        "PATCH answers 200 with the bot: the fields given replaced, the others and created_at kept, updated_at later",
                        format!("HTTP 200\n{}", render(&expected, Some(&got))),
                        &response,
                    ));
                }
                ctx.expect_body(
                    &Request::get(bot_path(&uid), vec![]),
                    "GET /v1/bots/{uid} answers the bot as the PATCH did",
                    200,
                    &got,
                )
                .map(drop)
            })();
            delete_quietly(ctx, &uid);
            result
        },
    )
}

/// Settings fields a merge patch sets, with a valid value other than [`full_bot`]'s.
const MERGES: [(&str, &str, &str); 6] = [
    ("call_settings", "max_call_duration", "17"),
    ("call_settings", "call_recording_enabled", "false"),
    ("advanced_settings", "long_pause", "2.5"),
    ("advanced_settings", "agent_personality", "\"formal\""),
    ("post_call_settings", "summary_prompt", "\"Merged.\""),
    (
        "post_call_settings",
        "structured_extraction_prompt",
        "\"Extract.\"",
    ),
];

fn bot_update_merge(ctx: &Ctx<'_>) -> Outcome {
    let boundaries = (0..MERGES.len())
        .map(|i| Boundary {
            what: format!("{}.{} alone", MERGES[i].0, MERGES[i].1),
            value: (i, 1u64),
        })
        .collect();
    run_property_with_boundaries(
        ctx,
        "bot_update_merge",
        boundaries,
        (0..MERGES.len(), proptest::prelude::any::<u64>()),
        |(i, seed)| {
            let (object, field, value) = MERGES[i];
            let value: Value = serde_json::from_str(value).unwrap_or(Value::Null);
            let created = create_bot(ctx, &full_bot(seed))?;
            let uid = created["uid"].as_str().unwrap_or_default().to_string();
            let result = (|| {
                let patch = json!({ object: { field: value.clone() } });
                let request = Request::patch(bot_path(&uid), patch.to_string());
                let response = ctx.send(&request)?;
                let got = response.json().unwrap_or(Value::Null);
                let mut expected = json!({});
                for name in ["call_settings", "advanced_settings", "post_call_settings"] {
                    expected[name] = created[name].clone();
                }
                expected[object][field] = value.clone();
                let answered = json!({
                    "call_settings": got["call_settings"],
                    "advanced_settings": got["advanced_settings"],
                    "post_call_settings": got["post_call_settings"],
                });
                if response.status == 200 && same_json(&expected, &answered) {
                    return Ok(());
                }
                Err(mismatch(
                    &request,
                    format!(
                        "PATCH of {object}.{field} alone keeps every other settings field (a merge, assumed)"
                    ),
                    format!("HTTP 200\n{}", render(&expected, Some(&answered))),
                    &response,
                ))
            })();
            delete_quietly(ctx, &uid);
            result
        },
    )
}

fn bot_delete(ctx: &Ctx<'_>) -> Outcome {
    let boundaries = vec![Boundary {
        what: "an unknown uid".into(),
        value: (0u64, true),
    }];
    let not_found = json!({ "error": BOT_NOT_FOUND });
    run_property_with_boundaries(
        ctx,
        "bot_delete",
        boundaries,
        (
            proptest::prelude::any::<u64>(),
            proptest::bool::weighted(0.1),
        ),
        |(seed, unknown)| {
            if unknown {
                return ctx
                    .expect_body(
                        &Request::delete(bot_path(&unknown_uid(&ctx.data.bots, seed))),
                        "DELETE of an unknown uid gives the documented 404",
                        404,
                        &not_found,
                    )
                    .map(drop);
            }
            let created = create_bot(ctx, &valid_bot(seed))?;
            let uid = created["uid"].as_str().unwrap_or_default().to_string();
            let request = Request::delete(bot_path(&uid));
            let response = match ctx.send(&request) {
                Ok(response) => response,
                Err(e) => {
                    delete_quietly(ctx, &uid);
                    return Err(e);
                }
            };
            if response.status != 204 || !response.body.is_empty() {
                delete_quietly(ctx, &uid);
                return Err(mismatch(
                    &request,
                    "DELETE of a bot answers 204 with an empty body",
                    "HTTP 204\n".into(),
                    &response,
                ));
            }
            ctx.expect_body(
                &Request::get(bot_path(&uid), vec![]),
                "a deleted bot is not found: the documented 404",
                404,
                &not_found,
            )?;
            ctx.expect_body(
                &request,
                "deleting a deleted bot again gives the documented 404",
                404,
                &not_found,
            )
            .map(drop)
        },
    )
}

// ---------------------------------------------------------------------------------------------------------
// Links.

/// A listed phone number and the agents it had when listed.
struct Number<'a> {
    record: &'a Value,
    id: String,
    inbound: Option<String>,
    outbound: Option<String>,
}

fn numbers<'a>(ctx: &Ctx<'a>) -> Result<Vec<Number<'a>>, Outcome> {
    let listed = listing(ctx, Resource::PhoneNumbers);
    if let Some(why) = listed.unusable(Resource::PhoneNumbers) {
        return Err(Outcome::Skipped(why));
    }
    Ok(listed
        .records
        .iter()
        .map(|record| Number {
            record,
            id: Resource::PhoneNumbers.id_of(record),
            inbound: record["inbound_agent_id"].as_str().map(str::to_string),
            outbound: record["outbound_agent_id"].as_str().map(str::to_string),
        })
        .collect())
}

fn link_request(number: &str, agent: &str, direction: &str) -> Request {
    post_json(
        LINK_PATH,
        &json!({"phone_number_id": number, "agent_id": agent, "direction": direction}),
    )
}

fn unlink_request(number: &str, direction: &str) -> Request {
    post_json(
        UNLINK_PATH,
        &json!({"phone_number_id": number, "direction": direction}),
    )
}

/// The agents after linking (`Some(agent)`) or unlinking (`None`) `direction`.
fn after(
    (inbound, outbound): (Option<String>, Option<String>),
    direction: &str,
    agent: Option<&str>,
) -> (Option<String>, Option<String>) {
    let agent = agent.map(str::to_string);
    match direction {
        "inbound" => (agent, outbound),
        "outbound" => (inbound, agent),
        _ => (agent.clone(), agent),
    }
}

/// Links or unlinks `direction` of `number` and expects the documented 200 with the agents now `state`.
fn expect_link(
    ctx: &Ctx<'_>,
    number: &Number<'_>,
    request: &Request,
    direction: &str,
    state: &(Option<String>, Option<String>),
    linked: bool,
) -> Result<(), CaseError> {
    let expected = link_response(
        number.record,
        state.0.as_deref(),
        state.1.as_deref(),
        link_message(direction, linked),
    );
    let response = ctx.send(request)?;
    if response.status == 200 && response.json().as_ref() == Some(&expected) {
        return Ok(());
    }
    Err(mismatch(
        request,
        format!(
            "{} answers 200 with the number, its agents now and the message",
            if linked { "link-agent" } else { "unlink-agent" }
        ),
        format!("HTTP 200\n{}", render(&expected, response.json().as_ref())),
        &response,
    ))
}

/// Gives `number` back the agents it had when listed.
fn restore(ctx: &Ctx<'_>, number: &Number<'_>) -> Result<(), CaseError> {
    if number.inbound == number.outbound {
        put_back(ctx, number, "both", &number.inbound)
    } else {
        put_back(ctx, number, "inbound", &number.inbound)?;
        put_back(ctx, number, "outbound", &number.outbound)
    }
}

/// Gives `direction` of `number` back the agent it had when listed: a link, or an unlink when it had none.
fn put_back(
    ctx: &Ctx<'_>,
    number: &Number<'_>,
    direction: &str,
    agent: &Option<String>,
) -> Result<(), CaseError> {
    let request = match agent {
        Some(agent) => link_request(&number.id, agent, direction),
        None => unlink_request(&number.id, direction),
    };
    let response = ctx.send_cleanup(&request)?;
    if response.status == 200 {
        Ok(())
    } else {
        Err(mismatch(
            &request,
            "putting the number's agents back as listed answers 200",
            "HTTP 200\n".into(),
            &response,
        ))
    }
}

/// Runs `run` with the uid of a bot created for the property, and deletes the bot at the end whatever
/// happened, unless `run` says it deleted it (its second value).
fn with_bot(ctx: &Ctx<'_>, seed: u64, run: impl FnOnce(&str) -> (Outcome, bool)) -> Outcome {
    let body = valid_bot(seed);
    let created = match create_bot(ctx, &body) {
        Ok(bot) => bot,
        Err(CaseError::Budget) => return Outcome::Skipped("no request budget left".into()),
        Err(CaseError::Fail(mismatch)) => {
            return Outcome::Failed(Box::new(crate::runner::Failure::fixed(*mismatch, ctx.seed)));
        }
    };
    let uid = created["uid"].as_str().unwrap_or_default().to_string();
    let (outcome, deleted) = run(&uid);
    if !deleted {
        delete_quietly(ctx, &uid);
    }
    outcome
}

/// What one `link_unlink` case checks besides a link and an unlink: one documented error.
const LINK_ERRORS: [&str; 7] = [
    "link with a direction that is not one of the three",
    "link with a direction in another case",
    "link an unknown phone number",
    "link an unknown bot",
    "unlink with a direction that is not one of the three",
    "unlink without phone_number_id",
    "unlink an unknown phone number",
];

fn link_error(
    ctx: &Ctx<'_>,
    number: &Number<'_>,
    bot: &str,
    which: usize,
) -> Result<(), CaseError> {
    let missing = format!("nosuchnumber{}", number.id.len());
    let (request, status, error) = match which {
        0 => (
            link_request(&number.id, bot, "sideways"),
            400,
            BAD_DIRECTION,
        ),
        1 => (link_request(&number.id, bot, "Inbound"), 400, BAD_DIRECTION),
        2 => (link_request(&missing, bot, "both"), 404, LINK_NOT_FOUND),
        3 => (
            link_request(&number.id, &unknown_uid(&ctx.data.bots, 7), "inbound"),
            404,
            LINK_NOT_FOUND,
        ),
        4 => (unlink_request(&number.id, "all"), 400, INVALID_BODY),
        5 => (
            post_json(UNLINK_PATH, &json!({"direction": "inbound"})),
            400,
            INVALID_BODY,
        ),
        _ => (unlink_request(&missing, "inbound"), 404, NUMBER_NOT_FOUND),
    };
    expect_error(ctx, &request, LINK_ERRORS[which], status, error).map(drop)
}

/// A `link_unlink` case: the number, the directions linked and unlinked, or one documented error.
type LinkCase = (usize, usize, usize, Option<usize>);

fn link_unlink(ctx: &Ctx<'_>) -> Outcome {
    let numbers = match numbers(ctx) {
        Ok(numbers) => numbers,
        Err(skip) => return skip,
    };
    let n = numbers.len();
    with_bot(ctx, ctx.seed, |bot| {
        let mut boundaries: Vec<Boundary<LinkCase>> = (0..3)
            .map(|d| Boundary {
                what: format!("link and unlink {}", DIRECTIONS[d]),
                value: (0, d, d, None),
            })
            .collect();
        boundaries.extend((0..LINK_ERRORS.len()).map(|e| Boundary {
            what: LINK_ERRORS[e].to_string(),
            value: (0, 2, 2, Some(e)),
        }));
        let outcome = run_property_with_boundaries(
            ctx,
            "link_unlink",
            boundaries,
            (
                0..n,
                0..3usize,
                0..3usize,
                proptest::option::weighted(0.2, 0..LINK_ERRORS.len()),
            ),
            |(i, d, u, error)| {
                let number = &numbers[i];
                if let Some(which) = error {
                    let result = link_error(ctx, number, bot, which);
                    if result.is_err() {
                        // A wrongly accepted link changed the number.
                        let _ = restore(ctx, number);
                    }
                    return result;
                }
                let (link, unlink) = (DIRECTIONS[d], DIRECTIONS[u]);
                let result = (|| {
                    let linked = after(
                        (number.inbound.clone(), number.outbound.clone()),
                        link,
                        Some(bot),
                    );
                    expect_link(
                        ctx,
                        number,
                        &link_request(&number.id, bot, link),
                        link,
                        &linked,
                        true,
                    )?;
                    let get = Request::get(
                        format!("/v1/phone-numbers/{}", encode_segment(&number.id)),
                        vec![],
                    );
                    let response = ctx.send(&get)?;
                    let found = response.json().unwrap_or(Value::Null);
                    let agents = |v: &Value| json!([v["inbound_agent_id"], v["outbound_agent_id"]]);
                    let want = json!([linked.0, linked.1]);
                    if response.status != 200 || agents(&found) != want {
                        return Err(mismatch(
                            &get,
                            "after a link, GET /v1/phone-numbers/{uid} shows the new agents at once",
                            format!("HTTP 200\n[inbound, outbound]: {want}\n"),
                            &response,
                        ));
                    }
                    let unlinked = after(linked, unlink, None);
                    expect_link(
                        ctx,
                        number,
                        &unlink_request(&number.id, unlink),
                        unlink,
                        &unlinked,
                        false,
                    )
                })();
                let restored = restore(ctx, number);
                result.and(restored)
            },
        );
        (outcome, false)
    })
}

fn bot_in_use(ctx: &Ctx<'_>) -> Outcome {
    let numbers = match numbers(ctx) {
        Ok(numbers) => numbers,
        Err(skip) => return skip,
    };
    let n = numbers.len();
    let deleted = Cell::new(false);
    with_bot(ctx, ctx.seed ^ 0x5eed, |bot| {
        let boundaries = (0..3)
            .map(|d| Boundary {
                what: format!("linked {}", DIRECTIONS[d]),
                value: (0, d),
            })
            .collect();
        let outcome = run_property_with_boundaries(
            ctx,
            "bot_in_use",
            boundaries,
            (0..n, 0..3usize),
            |(i, d)| {
                let number = &numbers[i];
                let direction = DIRECTIONS[d];
                let result = (|| {
                    let request = link_request(&number.id, bot, direction);
                    let response = ctx.send(&request)?;
                    if response.status != 200 {
                        return Err(mismatch(
                            &request,
                            "linking a bot answers 200",
                            "HTTP 200\n".into(),
                            &response,
                        ));
                    }
                    let delete = Request::delete(bot_path(bot));
                    let response = ctx.send(&delete)?;
                    let error_ok = response
                        .json()
                        .is_some_and(|b| b["error"].as_str().is_some_and(|e| !e.is_empty()));
                    if response.status != 409 || !error_ok {
                        if response.status == 204 {
                            deleted.set(true);
                        }
                        return Err(mismatch(
                            &delete,
                            format!(
                                "a bot linked to a phone number ({direction}) is in use: DELETE answers 409 with an error (assumed)"
                            ),
                            format!(
                                "HTTP 409\n{}",
                                render(&json!({"error": "Bot is currently in use."}), None)
                            ),
                            &response,
                        ));
                    }
                    let get = Request::get(bot_path(bot), vec![]);
                    let response = ctx.send(&get)?;
                    if response.status == 200 {
                        return Ok(());
                    }
                    Err(mismatch(
                        &get,
                        "a bot whose delete was refused with 409 is still there",
                        "HTTP 200\n".into(),
                        &response,
                    ))
                })();
                let restored = restore(ctx, number);
                result.and(restored)
            },
        );
        if deleted.get() || !matches!(outcome, Outcome::Passed { .. }) {
            return (outcome, deleted.get());
        }
        // Unlinked again, the bot is no longer in use: the delete goes through.
        let delete = Request::delete(bot_path(bot));
        match ctx.send_cleanup(&delete) {
            Ok(response) if response.status == 204 => (outcome, true),
            Ok(response) => match mismatch(
                &delete,
                "once no number links it, the bot's DELETE answers 204",
                "HTTP 204\n".into(),
                &response,
            ) {
                CaseError::Fail(failed) => (
                    Outcome::Failed(Box::new(crate::runner::Failure::fixed(*failed, ctx.seed))),
                    false,
                ),
                CaseError::Budget => (outcome, false),
            },
            Err(_) => (outcome, false),
        }
    })
}

fn linked_agent_call(ctx: &Ctx<'_>) -> Outcome {
    if let Some(why) = ctx.create_refusal {
        return Outcome::Skipped(why.into());
    }
    let numbers = match numbers(ctx) {
        Ok(numbers) => numbers,
        Err(skip) => return skip,
    };
    let bots = &ctx.data.bots;
    if let Some(why) = bots.unusable(Resource::Bots) {
        return Outcome::Skipped(why);
    }
    // Each case: a listed number with a listed bot that is not its outbound agent.
    let cases: Vec<(usize, String)> = numbers
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            crate::contract::account::is_e164_text(
                n.record["phone_number"].as_str().unwrap_or_default(),
            )
        })
        .filter_map(|(i, n)| {
            bots.records
                .iter()
                .map(|b| Resource::Bots.id_of(b))
                .find(|uid| Some(uid) != n.outbound.as_ref())
                .map(|uid| (i, uid))
        })
        .take(LINKED_CALLS as usize)
        .collect();
    let allowed = (ctx.client.writes_left() / WRITES_PER_LINKED_CALL) as usize;
    if cases.is_empty() {
        return Outcome::Skipped("no listed phone number with a bot to link".into());
    }
    if allowed == 0 {
        return Outcome::Skipped("no creates left within --max-creates".into());
    }
    let boundaries: Vec<Boundary<usize>> = (0..cases.len().min(allowed))
        .map(|k| Boundary {
            what: format!("a listed number linked to another listed bot ({})", k + 1),
            value: k,
        })
        .collect();
    let settings = RunSettings {
        cases: boundaries.len() as u32,
        seed: ctx.seed,
        max_shrink_iters: 0,
    };
    run_cases_with_boundaries(&settings, "linked_agent_call", boundaries, 0..1usize, |k| {
        let (i, bot) = &cases[k];
        let number = &numbers[*i];
        let result = (|| {
            let request = link_request(&number.id, bot, "outbound");
            let response = ctx.send(&request)?;
            if response.status != 200 {
                return Err(mismatch(
                    &request,
                    "linking a listed bot for outbound calls answers 200",
                    "HTTP 200\n".into(),
                    &response,
                ));
            }
            let call = json!({
                "from_number": number.record["phone_number"],
                "to_number": fictional_number(80 + k),
            });
            let create = post_json(CREATE_PATH, &call);
            let response = ctx.send(&create)?;
            let got = response.json().unwrap_or(Value::Null);
            if response.status == 201 && got["agent_id"] == bot.as_str() {
                return Ok(());
            }
            Err(mismatch(
                &create,
                "a call created from a number without override_agent_id takes the agent linked for outbound calls, at once (assumed)",
                format!("HTTP 201\n{}", render(&json!({"agent_id": bot}), None)),
                &response,
            ))
        })();
        // Only the outbound link changed: one write puts it back, so a case costs WRITES_PER_LINKED_CALL.
        let restored = put_back(ctx, number, "outbound", &number.outbound);
        result.and(restored)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_update_tries_an_unknown_uid_then_each_field_alone() {
        let boundaries = bot_update_boundaries();
        assert_eq!(boundaries[0].value, (0, 0, true));
        let alone: Vec<(String, u32)> = boundaries[1..]
            .iter()
            .map(|b| {
                assert!(!b.value.2, "{}", b.what);
                (b.what.clone(), b.value.1)
            })
            .collect();
        let want: Vec<(String, u32)> = [
            ("name", 1),
            ("prompt", 2),
            ("voice_speed", 4),
            ("first_message", 8),
            ("llm_model_temperature", 16),
        ]
        .iter()
        .map(|(key, mask)| (format!("{key} alone"), *mask))
        .collect();
        assert_eq!(alone, want);
    }

    #[test]
    fn an_unknown_uid_steps_around_every_listed_bot() {
        let bots = |uids: &[&str]| Listed {
            records: uids.iter().map(|u| json!({"uid": u})).collect(),
            served: true,
            complete: true,
            ..Listed::default()
        };
        assert_eq!(unknown_uid(&bots(&[]), 255), "nosuchbot00000000000000ff");
        assert_eq!(
            unknown_uid(
                &bots(&["nosuchbot00000000000000ff", "nosuchbot00000000000000ffx"]),
                255
            ),
            "nosuchbot00000000000000ffxx"
        );
    }

    #[test]
    fn the_patch_boundary_bot_has_its_numbers_off_their_defaults() {
        let bot = full_bot(PATCH_BOUNDARY_SEED);
        assert_eq!(bot["voice_speed"], json!(0.5));
        assert_eq!(bot["llm_model_temperature"], json!(0.0));
    }

    #[test]
    fn same_json_compares_numbers_as_numbers_at_any_depth_and_everything_else_exactly() {
        let same = |a: Value, b: Value| same_json(&a, &b) && same_json(&b, &a);
        assert!(same(json!(1), json!(1.0)));
        assert!(same(
            json!({"a": 1, "b": [2]}),
            json!({"b": [2.0], "a": 1.0})
        ));
        assert!(same(json!([1, {"x": 3}]), json!([1.0, {"x": 3.0}])));
        assert!(same(json!("x"), json!("x")));
        assert!(!same(json!(1), json!(2)));
        assert!(!same(json!(1), json!("1")));
        assert!(!same(json!({"a": 1}), json!({"a": 1, "b": 2})));
        assert!(!same(json!({"a": 1}), json!({"b": 1})));
        assert!(!same(json!({"a": 1}), json!({"a": 2})));
        assert!(!same(json!([1]), json!([1, 2])));
        assert!(!same(json!([1, 2]), json!([2, 1])));
        assert!(!same(json!([]), json!({})));
    }
}
