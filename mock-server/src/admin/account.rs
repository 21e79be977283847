//! The account of a data set, default or a tenant's: its bots (`/__admin/bots`) and phone numbers
//! (`/__admin/phone-numbers`), read whole, replaced whole, or one at a time. Each record is checked by the
//! rules of a fixture file (`openmic_fixtures::check_bot`, `check_phone_number`) and the account's own (unique
//! ids, linked agents that are bots); a body with a problem changes nothing and names every problem.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use openmic_fixtures::{Bot, BotFields, PhoneNumber, check_bot, check_phone_number};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::request::{AdminError, IdParam, Result, Scope, blocking, ok, read_json};
use crate::body::{Fields, json_bytes_response};
use crate::data::book::{AccountBook, AccountError};
use crate::state::AppState;

impl From<AccountError> for AdminError {
    fn from(err: AccountError) -> Self {
        match err {
            err @ (AccountError::BotNotFound(_)
            | AccountError::NumberNotFound(_)
            | AccountError::NumberOrBotNotFound { .. }
            | AccountError::TenantNotFound(_)) => AdminError::NotFound(err.to_string()),
            AccountError::BotInUse(why) => AdminError::Conflict(why),
            AccountError::Invalid(problems) => AdminError::BadRequest(problems.join("; ")),
        }
    }
}

/// `{"<key>":[...]}` of every record's JSON, in list order.
fn all(key: &str, items: Vec<&str>) -> Response {
    let mut body = format!("{{\"{key}\":[").into_bytes();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
    }
    body.extend_from_slice(b"]}");
    json_bytes_response(StatusCode::OK, body)
}

fn account(state: &AppState, scope: &Scope) -> Result<std::sync::Arc<AccountBook>> {
    Ok(state.data().account_of(scope.tenant())?)
}

/// `GET .../bots`: every bot, in the API's order.
pub(super) async fn bots(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    let book = account(&state, &scope)?;
    let account = book.account();
    let json: Vec<String> = account
        .bots
        .iter()
        .map(|b| {
            book.bot(&b.uid)
                .map(|e| e.json.to_string())
                .unwrap_or_default()
        })
        .collect();
    Ok(all("bots", json.iter().map(String::as_str).collect()))
}

/// `GET .../phone-numbers`: every phone number, in the API's order.
pub(super) async fn numbers(State(state): State<AppState>, scope: Scope) -> Result<Response> {
    let book = account(&state, &scope)?;
    let account = book.account();
    let json: Vec<String> = account
        .phone_numbers
        .iter()
        .map(|n| {
            book.number(&n.phone_number_id)
                .map(|e| e.json.to_string())
                .unwrap_or_default()
        })
        .collect();
    Ok(all(
        "phone_numbers",
        json.iter().map(String::as_str).collect(),
    ))
}

/// Records from a body that is an array or `{"<key>": [...]}`, each checked by `check`; every problem of
/// every record named as `<key>[i].field: why`.
fn records<T: DeserializeOwned>(
    value: Value,
    key: &str,
    check: impl Fn(&serde_json::Map<String, Value>) -> openmic_fixtures::Checked,
) -> Result<Vec<T>> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut object) if object.len() == 1 && object.contains_key(key) => {
            match object.remove(key) {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(AdminError::BadRequest(format!(
                        "`{key}` must be an array of {key}"
                    )));
                }
            }
        }
        _ => {
            return Err(AdminError::BadRequest(format!(
                "expected a JSON array of {key}, or {{\"{key}\": [...]}}"
            )));
        }
    };
    let mut problems = Vec::new();
    let mut typed = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match one(item, &check) {
            Ok(record) => typed.push(record),
            Err(found) => problems.extend(found.into_iter().map(|p| format!("{key}[{i}].{p}"))),
        }
    }
    if problems.is_empty() {
        Ok(typed)
    } else {
        Err(AdminError::BadRequest(problems.join("; ")))
    }
}

/// One record, checked; its problems as `field: why`.
fn one<T: DeserializeOwned>(
    item: Value,
    check: &impl Fn(&serde_json::Map<String, Value>) -> openmic_fixtures::Checked,
) -> std::result::Result<T, Vec<String>> {
    let Value::Object(object) = &item else {
        return Err(vec![format!(
            ": expected an object, found {}",
            openmic_fixtures::describe(&item)
        )]);
    };
    let checked = check(object);
    if !checked.problems.is_empty() {
        return Err(checked.problems.iter().map(ToString::to_string).collect());
    }
    serde_json::from_value(item).map_err(|err| vec![format!(": {err}")])
}

fn stored_bot(object: &serde_json::Map<String, Value>) -> openmic_fixtures::Checked {
    check_bot(object, BotFields::Stored)
}

/// `PUT .../bots`: replaces every bot; agents of the calls left without one get generated bots.
pub(super) async fn replace_bots(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    let count = blocking(move || {
        let bots: Vec<Bot> = records(value, "bots", stored_bot)?;
        Ok(state.data().set_bots(scope.tenant(), bots)?)
    })
    .await?;
    Ok(ok(&Fields(&[("bots", json!(count))])))
}

/// `PUT .../bots/{uid}`: inserts the bot, or replaces the one with that uid.
pub(super) async fn upsert_bot(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(uid): IdParam,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    let bot: Bot = one(value, &stored_bot)
        .map_err(|p| AdminError::BadRequest(p.join("; ").trim_start_matches(": ").to_string()))?;
    if bot.uid != uid {
        return Err(AdminError::BadRequest(format!(
            "the body's uid {:?} is not the path's {uid:?}; they must be the same",
            bot.uid
        )));
    }
    let replaced = blocking(move || Ok(state.data().upsert_bot(scope.tenant(), bot)?)).await?;
    Ok(ok(&Fields(&[
        ("uid", json!(uid)),
        ("replaced", json!(replaced)),
    ])))
}

/// `DELETE .../bots/{uid}`: removes the bot whatever uses it; numbers linking it are unlinked.
pub(super) async fn remove_bot(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(uid): IdParam,
) -> Result<Response> {
    let count = {
        let uid = uid.clone();
        blocking(move || Ok(state.data().remove_bot(scope.tenant(), &uid)?)).await?
    };
    Ok(ok(&Fields(&[
        ("deleted", json!(uid)),
        ("bots", json!(count)),
    ])))
}

/// `PUT .../phone-numbers`: replaces every phone number; numbers of the calls left without one get generated
/// records.
pub(super) async fn replace_numbers(
    State(state): State<AppState>,
    scope: Scope,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    let count = blocking(move || {
        let numbers: Vec<PhoneNumber> = records(value, "phone_numbers", check_phone_number)?;
        Ok(state.data().set_numbers(scope.tenant(), numbers)?)
    })
    .await?;
    Ok(ok(&Fields(&[("phone_numbers", json!(count))])))
}

/// `PUT .../phone-numbers/{id}`: inserts the number, or replaces the one with that id.
pub(super) async fn upsert_number(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(id): IdParam,
    body: Body,
) -> Result<Response> {
    let value = read_json(body).await?;
    let number: PhoneNumber = one(value, &check_phone_number)
        .map_err(|p| AdminError::BadRequest(p.join("; ").trim_start_matches(": ").to_string()))?;
    if number.phone_number_id != id {
        return Err(AdminError::BadRequest(format!(
            "the body's phone_number_id {:?} is not the path's {id:?}; they must be the same",
            number.phone_number_id
        )));
    }
    let replaced =
        blocking(move || Ok(state.data().upsert_number(scope.tenant(), number)?)).await?;
    Ok(ok(&Fields(&[
        ("phone_number_id", json!(id)),
        ("replaced", json!(replaced)),
    ])))
}

/// `DELETE .../phone-numbers/{id}`.
pub(super) async fn remove_number(
    State(state): State<AppState>,
    scope: Scope,
    IdParam(id): IdParam,
) -> Result<Response> {
    let count = {
        let id = id.clone();
        blocking(move || Ok(state.data().remove_number(scope.tenant(), &id)?)).await?
    };
    Ok(ok(&Fields(&[
        ("deleted", json!(id)),
        ("phone_numbers", json!(count)),
    ])))
}
