//! The phone-number endpoints: `GET /v1/phone-numbers` (List Phone Numbers), `GET /v1/phone-numbers/{uid}`,
//! and `POST /v1/phone-numbers/link-agent` and `unlink-agent`, which decide the agent the number's next call
//! gets (see [`crate::data::create`]).

use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use openmic_fixtures::LinkDirection;
use serde_json::Value;

use crate::api::account_query::{ListNumbersParams, strict_errors};
use crate::api::bots::account_error;
use crate::api::create::{
    BodyError, MAX_CREATE_BODY_BYTES, json_body, object_entries, warn_unknown_fields,
};
use crate::api::error::ApiError;
use crate::api::query::ListCallsQuery;
use crate::body::{add_warning, json_bytes_response, json_response};
use crate::data::account::LinkAnswer;
use crate::state::{ApiKey, AppState};
use crate::text::shown;

/// `GET /v1/phone-numbers`.
pub(super) async fn list_numbers(
    key: ApiKey,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = ListNumbersParams::try_from(ListCallsQuery::parse(raw.as_deref()))
        .map_err(ApiError::InvalidQuery)?;
    if state.config().strict && !params.unknown.is_empty() {
        return Err(ApiError::InvalidQuery(strict_errors(
            &params.unknown,
            "GET /v1/phone-numbers",
        )));
    }
    let account = state.data().account_for_key(&key.0);
    let mut response = json_bytes_response(StatusCode::OK, account.list_numbers(&params));
    let warnings = params.warnings();
    if !warnings.is_empty() {
        add_warning(&mut response, &warnings.join("; "));
    }
    Ok(response)
}

/// `GET /v1/phone-numbers/{uid}`.
pub(super) async fn get_number(
    key: ApiKey,
    State(state): State<AppState>,
    NumberId(id): NumberId,
) -> Result<Response, ApiError> {
    let account = state.data().account_for_key(&key.0);
    let number = account.number(&id).ok_or(ApiError::PhoneNumberNotFound)?;
    Ok(json_bytes_response(
        StatusCode::OK,
        number.json.as_bytes().to_vec(),
    ))
}

/// `POST /v1/phone-numbers/link-agent` `{phone_number_id, agent_id, direction}`.
pub(super) async fn link_agent(
    key: ApiKey,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let body = LinkBody::read(request, true, state.config().strict).await?;
    let data = state.clone();
    let answer = tokio::task::spawn_blocking(move || {
        data.data()
            .link_agent(&key.0, &body.number_id, &body.agent_id, body.direction)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(account_error)?;
    Ok(linked(&answer, &body.unknown))
}

/// `POST /v1/phone-numbers/unlink-agent` `{phone_number_id, direction}`.
pub(super) async fn unlink_agent(
    key: ApiKey,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let body = LinkBody::read(request, false, state.config().strict).await?;
    let data = state.clone();
    let answer = tokio::task::spawn_blocking(move || {
        data.data()
            .unlink_agent(&key.0, &body.number_id, body.direction)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(account_error)?;
    Ok(linked(&answer, &body.unknown))
}

fn linked(answer: &LinkAnswer, unknown: &[String]) -> Response {
    let mut response = json_response(StatusCode::OK, answer);
    warn_unknown_fields(&mut response, "the request body", unknown);
    response
}

/// A link or unlink body, checked.
#[derive(Debug)]
struct LinkBody {
    number_id: String,
    agent_id: String,
    direction: LinkDirection,
    unknown: Vec<String>,
}

impl LinkBody {
    async fn read(request: Request, link: bool, strict: bool) -> Result<Self, ApiError> {
        let bytes = json_body(request).await.map_err(|err| match err {
            BodyError::TooLarge => ApiError::PayloadTooLarge(MAX_CREATE_BODY_BYTES),
            BodyError::TimedOut(why) => ApiError::BodyTimedOut(why),
            BodyError::Problem(problem) => ApiError::InvalidBody(vec![problem]),
        })?;
        Self::parse(&bytes, link, strict)
    }

    /// A link body needs `phone_number_id`, `agent_id` and `direction`; an unlink body the first and the last.
    /// Every broken rule is named (the vendor's "Invalid request body."); a link's `direction` that is a
    /// string but not a direction is the vendor's own "Invalid direction specified." answer.
    fn parse(bytes: &[u8], link: bool, strict: bool) -> Result<Self, ApiError> {
        let entries = object_entries(bytes, "request body").map_err(ApiError::InvalidBody)?;
        let fields: &[&str] = if link {
            &["phone_number_id", "agent_id", "direction"]
        } else {
            &["phone_number_id", "direction"]
        };
        let mut problems = Vec::new();
        let mut values: Vec<Option<&Value>> = vec![None; fields.len()];
        let mut unknown = Vec::new();
        for (key, value) in &entries {
            match fields.iter().position(|f| f == key) {
                Some(i) if values[i].is_some() => {
                    problems.push(format!("{}: is given more than once", shown(key)))
                }
                Some(i) => values[i] = Some(value),
                None if strict => problems.push(format!(
                    "{}: is not a field of the request body (strict mode)",
                    shown(key)
                )),
                None => unknown.push(key.clone()),
            }
        }
        let mut strings = fields.iter().zip(values).map(|(field, value)| match value {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                problems.push(format!(
                    "{field}: must be a string, got {}",
                    openmic_fixtures::describe(other)
                ));
                None
            }
            None => {
                problems.push(format!("{field}: is required"));
                None
            }
        });
        let number_id = strings.next().flatten();
        let agent_id = if link {
            strings.next().flatten()
        } else {
            Some(String::new())
        };
        let direction = strings.next().flatten();
        drop(strings);
        let parsed = direction
            .as_deref()
            .map(|d| (d, LinkDirection::from_wire(d)));
        if let Some((sent, None)) = parsed
            && (!link || !problems.is_empty())
        {
            problems.push(format!(
                "direction: must be one of {}, got {}",
                LinkDirection::choices(),
                shown(sent)
            ));
        }
        if !problems.is_empty() {
            return Err(ApiError::InvalidBody(problems));
        }
        match (number_id, agent_id, parsed) {
            (Some(number_id), Some(agent_id), Some((_, Some(direction)))) => Ok(LinkBody {
                number_id,
                agent_id,
                direction,
                unknown,
            }),
            (_, _, Some((sent, None))) => Err(ApiError::InvalidDirection(shown(sent))),
            _ => Err(ApiError::InvalidBody(vec!["body: incomplete".into()])),
        }
    }
}

/// The `{uid}` path segment of a phone number, percent-decoded; one that does not decode is the 404.
pub(super) struct NumberId(String);

impl FromRequestParts<AppState> for NumberId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| NumberId(id))
            .map_err(|_| ApiError::PhoneNumberNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str, link: bool) -> Result<LinkBody, ApiError> {
        LinkBody::parse(body.as_bytes(), link, false)
    }

    #[test]
    fn a_link_body_needs_three_strings_and_a_known_direction() {
        let body = parse(
            r#"{"phone_number_id":"p","agent_id":"a","direction":"both","x":1}"#,
            true,
        )
        .unwrap();
        assert_eq!(
            (body.number_id.as_str(), body.agent_id.as_str()),
            ("p", "a")
        );
        assert_eq!(body.direction, LinkDirection::Both);
        assert_eq!(body.unknown, ["x"]);
        assert_eq!(
            parse(
                r#"{"phone_number_id":"p","agent_id":"a","direction":"sideways"}"#,
                true
            )
            .unwrap_err(),
            ApiError::InvalidDirection("\"sideways\"".into())
        );
        assert_eq!(
            parse(r#"{"phone_number_id":1,"direction":"up"}"#, true).unwrap_err(),
            ApiError::InvalidBody(vec![
                "phone_number_id: must be a string, got 1".into(),
                "agent_id: is required".into(),
                "direction: must be one of inbound|outbound|both, got \"up\"".into(),
            ])
        );
        assert_eq!(
            parse("[]", true).unwrap_err(),
            ApiError::InvalidBody(vec!["body: must be a JSON object".into()])
        );
    }

    #[test]
    fn an_unlink_body_needs_no_agent_and_a_bad_direction_is_a_bad_body() {
        let body = parse(r#"{"phone_number_id":"p","direction":"inbound"}"#, false).unwrap();
        assert_eq!(body.direction, LinkDirection::Inbound);
        assert_eq!(
            parse(r#"{"phone_number_id":"p","direction":"in"}"#, false).unwrap_err(),
            ApiError::InvalidBody(vec![
                "direction: must be one of inbound|outbound|both, got \"in\"".into()
            ])
        );
        assert_eq!(
            parse(r#"{"direction":"inbound","direction":"inbound"}"#, false).unwrap_err(),
            ApiError::InvalidBody(vec![
                "\"direction\": is given more than once".into(),
                "phone_number_id: is required".into(),
            ])
        );
    }
}
