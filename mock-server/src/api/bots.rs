//! The bot endpoints: `GET /v1/bots` (List Bots), `POST /v1/bots` (Create Bot), and `GET`, `PATCH` and
//! `DELETE /v1/bots/{uid}`. The key is checked first, then the query or the body (every broken rule named at
//! once, as for create-phone-call), then one snapshot of the caller's account answers; a change swaps in a
//! new account whole (see [`crate::data::account`]).

use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use openmic_fixtures::{BotFields, check_bot};
use serde_json::{Map, Value};

use crate::api::account_query::{ListBotsParams, strict_errors};
use crate::api::create::{
    BodyError, MAX_CREATE_BODY_BYTES, json_body, object_entries, warn_unknown_fields,
};
use crate::api::error::ApiError;
use crate::api::query::ListCallsQuery;
use crate::body::{add_warning, json_bytes_response};
use crate::data::book::AccountError;
use crate::state::{ApiKey, AppState};
use crate::text::shown;

/// `GET /v1/bots`.
pub(super) async fn list_bots(
    key: ApiKey,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = ListBotsParams::try_from(ListCallsQuery::parse(raw.as_deref()))
        .map_err(ApiError::InvalidQuery)?;
    if state.config().strict && !params.unknown.is_empty() {
        return Err(ApiError::InvalidQuery(strict_errors(
            &params.unknown,
            "GET /v1/bots",
        )));
    }
    let account = state.data().account_for_key(&key.0);
    let mut response = json_bytes_response(StatusCode::OK, account.list_bots(&params));
    let warnings = params.warnings();
    if !warnings.is_empty() {
        add_warning(&mut response, &warnings.join("; "));
    }
    Ok(response)
}

/// `GET /v1/bots/{uid}`.
pub(super) async fn get_bot(
    key: ApiKey,
    State(state): State<AppState>,
    Uid(uid): Uid,
) -> Result<Response, ApiError> {
    let account = state.data().account_for_key(&key.0);
    let bot = account.bot(&uid).ok_or(ApiError::BotNotFound)?;
    Ok(json_bytes_response(
        StatusCode::OK,
        bot.json.as_bytes().to_vec(),
    ))
}

/// `POST /v1/bots`.
pub(super) async fn create_bot(
    key: ApiKey,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let body = BotBody::read(request, BotFields::Create, state.config().strict).await?;
    let (fields, data) = (body.fields.clone(), state.clone());
    let created = tokio::task::spawn_blocking(move || data.data().create_bot(&key.0, fields))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(account_error)?;
    let mut response = json_bytes_response(StatusCode::CREATED, created.as_bytes().to_vec());
    warn_unknown_fields(&mut response, "CreateBotRequest", &body.unknown);
    Ok(response)
}

/// `PATCH /v1/bots/{uid}`.
pub(super) async fn update_bot(
    key: ApiKey,
    State(state): State<AppState>,
    Uid(uid): Uid,
    request: Request,
) -> Result<Response, ApiError> {
    let body = BotBody::read(request, BotFields::Update, state.config().strict).await?;
    let (fields, data) = (body.fields.clone(), state.clone());
    let updated = tokio::task::spawn_blocking(move || data.data().update_bot(&key.0, &uid, fields))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(account_error)?;
    let mut response = json_bytes_response(StatusCode::OK, updated.as_bytes().to_vec());
    warn_unknown_fields(&mut response, "UpdateBotRequest", &body.unknown);
    Ok(response)
}

/// `DELETE /v1/bots/{uid}`.
pub(super) async fn delete_bot(
    key: ApiKey,
    State(state): State<AppState>,
    Uid(uid): Uid,
) -> Result<Response, ApiError> {
    let data = state.clone();
    tokio::task::spawn_blocking(move || data.data().delete_bot(&key.0, &uid))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(account_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The API's answer to a refused account change.
pub(super) fn account_error(err: AccountError) -> ApiError {
    match err {
        AccountError::BotNotFound(_) => ApiError::BotNotFound,
        AccountError::NumberNotFound(_) => ApiError::PhoneNumberNotFound,
        AccountError::NumberOrBotNotFound { .. } => ApiError::NumberOrBotNotFound,
        AccountError::BotInUse(why) => ApiError::BotInUse(why),
        // The key's tenant was removed between authentication and the change.
        AccountError::TenantNotFound(_) => ApiError::Unauthorized,
        AccountError::Invalid(problems) => {
            tracing::error!(?problems, "a checked bot did not fit the model");
            ApiError::Internal
        }
    }
}

/// A create or update body: the checked fields (unknown ones taken out), and the unknown ones' paths.
struct BotBody {
    fields: Map<String, Value>,
    unknown: Vec<String>,
}

impl BotBody {
    async fn read(request: Request, fields: BotFields, strict: bool) -> Result<Self, ApiError> {
        let bytes = json_body(request).await.map_err(|err| match err {
            BodyError::TooLarge => ApiError::PayloadTooLarge(MAX_CREATE_BODY_BYTES),
            BodyError::TimedOut(why) => ApiError::BodyTimedOut(why),
            BodyError::Problem(problem) => ApiError::InvalidRequest(vec![problem]),
        })?;
        Self::parse(&bytes, fields, strict)
    }

    /// Every broken rule is named (`field: rule`), in the schema's field order; in strict mode an unknown
    /// field is one.
    fn parse(bytes: &[u8], kind: BotFields, strict: bool) -> Result<Self, ApiError> {
        let entries = object_entries(bytes, "bot").map_err(ApiError::InvalidRequest)?;
        let mut problems = Vec::new();
        let mut fields = Map::new();
        for (key, value) in entries {
            if fields.contains_key(&key) {
                let repeated = format!("{}: is given more than once", shown(&key));
                if !problems.contains(&repeated) {
                    problems.push(repeated);
                }
                continue;
            }
            fields.insert(key, value);
        }
        let checked = check_bot(&fields, kind);
        problems.extend(checked.problems.iter().map(ToString::to_string));
        let request = match kind {
            BotFields::Update => "UpdateBotRequest",
            _ => "CreateBotRequest",
        };
        if strict {
            problems.extend(
                checked.unknown.iter().map(|path| {
                    format!("{}: is not a field of {request} (strict mode)", shown(path))
                }),
            );
        }
        if !problems.is_empty() {
            return Err(ApiError::InvalidRequest(problems));
        }
        for path in &checked.unknown {
            match path.split_once('.') {
                Some((object, key)) => {
                    if let Some(Value::Object(settings)) = fields.get_mut(object) {
                        settings.remove(key);
                        // Only unknown fields: as if the object had not been sent.
                        if settings.is_empty() {
                            fields.remove(object);
                        }
                    }
                }
                None => {
                    fields.remove(path);
                }
            }
        }
        Ok(BotBody {
            fields,
            unknown: checked.unknown,
        })
    }
}

/// The `{uid}` path segment, percent-decoded; one that does not decode names no bot (the documented 404).
pub(super) struct Uid(pub(super) String);

impl FromRequestParts<AppState> for Uid {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Uid(id))
            .map_err(|_| ApiError::BotNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str, kind: BotFields) -> Vec<String> {
        match BotBody::parse(body.as_bytes(), kind, false) {
            Err(ApiError::InvalidRequest(problems)) => problems,
            Err(other) => panic!("expected a 400 for {body}, got {other:?}"),
            Ok(_) => panic!("expected a 400 for {body}"),
        }
    }

    #[test]
    fn a_body_names_every_problem_and_drops_unknown_fields_at_any_depth() {
        assert_eq!(
            problems(r#"{"name": 1, "name": 2}"#, BotFields::Create),
            [
                "\"name\": is given more than once",
                "name: expected a string, found 1",
                "prompt: is required"
            ]
        );
        assert_eq!(
            problems("[]", BotFields::Update),
            ["body: must be a JSON object"]
        );
        let body = BotBody::parse(
            br#"{"name":"a","prompt":"b","tone":1,"call_settings":{"max_call_duration":5,"x":2}}"#,
            BotFields::Create,
            false,
        )
        .unwrap_or_else(|_| panic!("valid"));
        assert_eq!(body.unknown, ["call_settings.x", "tone"]);
        assert_eq!(
            Value::Object(body.fields),
            serde_json::json!({"name":"a","prompt":"b","call_settings":{"max_call_duration":5}})
        );
        let body = BotBody::parse(br#"{"call_settings":{"x":1}}"#, BotFields::Update, false)
            .unwrap_or_else(|_| panic!("valid"));
        assert!(
            body.fields.is_empty(),
            "a settings object of unknown fields is dropped whole"
        );
        let body = BotBody::parse(br#"{"call_settings":{}}"#, BotFields::Update, false)
            .unwrap_or_else(|_| panic!("valid"));
        assert_eq!(
            Value::Object(body.fields),
            serde_json::json!({"call_settings": {}})
        );
        match BotBody::parse(br#"{"tone":1}"#, BotFields::Update, true) {
            Err(ApiError::InvalidRequest(p)) => {
                assert_eq!(
                    p,
                    ["\"tone\": is not a field of UpdateBotRequest (strict mode)"]
                )
            }
            _ => panic!("strict mode refuses unknown fields"),
        }
    }
}
