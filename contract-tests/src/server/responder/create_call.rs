//! `POST /v1/create-phone-call` for the responder, written from the vendor's OpenAPI document and apart from
//! the kit's oracle (`contract::create`), so the suite checks one implementation against another.
//!
//! The body must be a JSON object sent as `application/json`, with E.164 `from_number` (a number of the
//! account: the `from_number` of an outbound call or the `to_number` of an inbound one in the data) and
//! `to_number`, and optional `override_agent_id` (a bot of the data), `customer_id`, `dynamic_variables` and
//! `callback_url`. The 201 body has the seven required call fields in the documented order, then
//! `customer_id` and `dynamic_variables` when given; the call is stored as `registered` and served by Get Call
//! and List Calls from then on.

use std::sync::{MutexGuard, PoisonError};

use openmic_fixtures::{Call, Direction};
use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use super::{OpenMicResponder, ResponderFault, json_response};

/// The route.
pub(super) const CREATE_PATH: &str = "/v1/create-phone-call";

impl OpenMicResponder {
    /// The calls created so far.
    pub(super) fn created_calls(&self) -> MutexGuard<'_, Vec<(Call, Value)>> {
        self.created.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn invalid_request(&self, problems: &[String]) -> ResponseTemplate {
        let error = if self.has(ResponderFault::CreateWrongErrorText) {
            "Invalid request body"
        } else {
            "Invalid request format, please check API reference."
        };
        json_response(400, json!({"error": error, "message": problems.join("; ")}))
    }

    /// E.164 (`+`, a digit from 1 to 9, then 1 to 14 digits), or anything made of digits and punctuation
    /// under [`ResponderFault::CreateAcceptsBadNumber`].
    fn is_number(&self, text: &str) -> bool {
        if self.has(ResponderFault::CreateAcceptsBadNumber) {
            return text.bytes().filter(u8::is_ascii_digit).count() >= 2
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+ -()".contains(&b));
        }
        openmic_fixtures::is_e164(text)
    }

    /// The bot answering on `number`, when it is a number of the account: the agent of its newest call (of
    /// the first call, for any number, under [`ResponderFault::CreateAcceptsForeignNumber`]).
    fn agent_of_number(&self, number: &str) -> Option<String> {
        let own = self.calls.iter().find_map(|(call, _)| {
            let own = match call.direction {
                Direction::Outbound => &call.from_number,
                Direction::Inbound => &call.to_number,
            };
            (own == number).then(|| call.agent_id.clone())
        });
        match own {
            None if self.has(ResponderFault::CreateAcceptsForeignNumber) => {
                self.calls.first().map(|(call, _)| call.agent_id.clone())
            }
            own => own,
        }
    }

    fn is_bot(&self, agent: &str) -> bool {
        self.calls.iter().any(|(call, _)| call.agent_id == agent) || self.has_bot(agent)
    }

    pub(super) fn create(&self, request: &Request) -> ResponseTemplate {
        let is_json = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if !is_json && !self.has(ResponderFault::CreateIgnoresContentType) {
            return self.invalid_request(&["Content-Type must be application/json".into()]);
        }
        let parsed = match serde_json::from_slice::<Value>(&request.body) {
            // An array of one object read as that object: `Array.isArray(b) ? b[0] : b`.
            Ok(Value::Array(mut items))
                if items.len() == 1 && self.has(ResponderFault::CreateUnwrapsArrayBody) =>
            {
                items.remove(0)
            }
            // `body.from_number` on `null` throws: the handler crashes.
            Ok(Value::Null) if self.has(ResponderFault::CreateCrashesOnNullBody) => {
                return json_response(500, json!({"error": "Internal Server Error"}));
            }
            parsed => parsed.unwrap_or(Value::Null),
        };
        let Value::Object(mut body) = parsed else {
            return self.invalid_request(&["the body must be a JSON object".into()]);
        };
        if self.has(ResponderFault::CreateStringifiesFields) {
            // `String(value)` as JavaScript has it: an array of one string is that string.
            for value in body.values_mut() {
                if let Value::Array(items) = value
                    && let [Value::String(text)] = items.as_slice()
                {
                    *value = Value::String(text.clone());
                }
            }
        }
        let mut problems = Vec::new();
        let mut number = |field: &str| match body.get(field) {
            Some(Value::String(n)) if self.is_number(n) => Some(n.clone()),
            Some(Value::String(n)) => {
                problems.push(format!("{field} must be an E.164 number, got {n:?}"));
                None
            }
            Some(other) => {
                problems.push(format!("{field} must be a string, got {other}"));
                None
            }
            None => {
                problems.push(format!("{field} is required"));
                None
            }
        };
        let (from, to) = (number("from_number"), number("to_number"));
        let mut optional = |field: &str, ok: fn(&Value) -> bool, what: &str| match body.get(field) {
            Some(value) if !ok(value) => {
                problems.push(format!("{field} must be {what}, got {value}"));
                None
            }
            value => value.cloned(),
        };
        let agent = optional("override_agent_id", Value::is_string, "a string");
        let customer = optional("customer_id", Value::is_string, "a string");
        let variables = optional("dynamic_variables", Value::is_object, "an object");
        optional("callback_url", Value::is_string, "a string");
        let (Some(from), Some(to)) = (from, to) else {
            return self.invalid_request(&problems);
        };
        if !problems.is_empty() {
            return self.invalid_request(&problems);
        }
        let Some(newest_agent) = self.agent_of_number(&from) else {
            return self.invalid_request(&[format!(
                "from_number {from:?} is not a number of this account"
            )]);
        };
        // The number's linked outbound agent, unless the fault takes the agent of its newest call.
        let own_agent = match self.outbound_agent(&from) {
            _ if self.has(ResponderFault::CreateCallIgnoresLink) => Some(newest_agent),
            Some(linked) => linked,
            None => Some(newest_agent),
        };
        let agent = match agent.as_ref().and_then(Value::as_str) {
            Some(a) if self.is_bot(a) || self.has(ResponderFault::CreateAcceptsUnknownAgent) => {
                match &own_agent {
                    Some(own) if self.has(ResponderFault::CreateIgnoresOverrideAgent) => {
                        own.clone()
                    }
                    _ => a.to_string(),
                }
            }
            Some(_) => {
                return json_response(
                    404,
                    json!({"error": "Bot with the specified override_agent_id was not found."}),
                );
            }
            None => match own_agent {
                Some(agent) => agent,
                None => {
                    return self.invalid_request(&[format!(
                        "from_number: {from} has no outbound agent; link one with POST /v1/phone-numbers/link-agent or send override_agent_id"
                    )]);
                }
            },
        };
        let mut created = self.created_calls();
        let call_id = if self.has(ResponderFault::CreateRepeatsCallId) {
            format!("cwiremock{:016}", 0)
        } else {
            format!("cwiremock{:016}", created.len())
        };
        let mut fields: Vec<(&str, Value)> = vec![
            ("call_type", "phonecall".into()),
            ("from_number", from.into()),
            ("to_number", to.into()),
            ("direction", "outbound".into()),
            ("call_id", call_id.into()),
            ("agent_id", agent.into()),
            ("call_status", "registered".into()),
        ];
        fields.extend(customer.map(|c| ("customer_id", c)));
        fields.extend(variables.map(|v| ("dynamic_variables", v)));
        let mut stored: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        if self.has(ResponderFault::CreatedCallLosesCustomerId) {
            stored.remove("customer_id");
        }
        if self.has(ResponderFault::CreateDropsCustomerId) {
            fields.retain(|(k, _)| *k != "customer_id");
        }
        if self.has(ResponderFault::CreateAddsTimestamp) {
            fields.push(("start_timestamp", 1_764_000_000_000u64.into()));
        }
        if self.has(ResponderFault::CreateKeysSorted) {
            fields.sort_by_key(|(k, _)| *k);
        }
        let stored = Value::Object(stored);
        let Ok(call) = serde_json::from_value::<Call>(stored.clone()) else {
            return json_response(
                500,
                json!({"error": "An unexpected error occurred. Please try again later."}),
            );
        };
        if !self.has(ResponderFault::CreatedCallNotStored) {
            created.push((call, stored));
        }
        // Written by hand: a `serde_json::Value` would sort the keys.
        let text = format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let status = if self.has(ResponderFault::CreateAnswers200) {
            200
        } else {
            201
        };
        ResponseTemplate::new(status)
            .set_body_raw(text.into_bytes(), "application/json; charset=utf-8")
    }
}
