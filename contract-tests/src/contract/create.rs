//! What create-phone-call (`POST /v1/create-phone-call`) must answer, from the vendor's OpenAPI document: the
//! request the kit sends ([`NewCall`]), the documented error bodies, the 201 body's keys in order and their
//! values, and the identity fields a created call keeps whatever its status becomes.
//!
//! Like the rest of the oracle it is written from the documentation, not from the mock: it imports nothing of
//! `openmic_mock`.

use serde_json::{Map, Value, json};

/// The path.
pub const CREATE_PATH: &str = "/v1/create-phone-call";

/// The documented `error` of a 400 (a missing or malformed field, a body that is not a JSON object, a
/// `Content-Type` that is not `application/json`). The vendor documents only this text: `message` may be
/// absent.
pub const INVALID_REQUEST: &str = "Invalid request format, please check API reference.";

/// The documented 404 body for an `override_agent_id` that names no bot of the account.
pub fn agent_not_found_body() -> Value {
    json!({"error": "Bot with the specified override_agent_id was not found."})
}

/// The length of a fresh `call_id` (a CUID: `c` and 24 more characters).
pub const CALL_ID_LEN: usize = 25;

/// The fields that say which call it is: the same in the 201 body, in Get Call and in List Calls, whatever the
/// status has become since (a call moves on from `registered` as it rings, talks and ends).
pub const IDENTITY_FIELDS: [&str; 8] = [
    "call_id",
    "call_type",
    "direction",
    "from_number",
    "to_number",
    "agent_id",
    "customer_id",
    "dynamic_variables",
];

/// A valid `CreateCallRequest`, typed: what the kit asks for when it means a call to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    /// A number of the account, E.164.
    pub from_number: String,
    /// The number to call, E.164.
    pub to_number: String,
    /// A bot of the account to use instead of the number's own.
    pub override_agent_id: Option<String>,
    /// The integrator's identifier, served back on the call.
    pub customer_id: Option<String>,
    /// Variables for the bot's prompt, served back on the call.
    pub dynamic_variables: Option<Map<String, Value>>,
    /// Where the vendor posts the call's result.
    pub callback_url: Option<String>,
}

impl NewCall {
    /// The request body.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("from_number".into(), self.from_number.clone().into());
        body.insert("to_number".into(), self.to_number.clone().into());
        let optional = [
            (
                "override_agent_id",
                self.override_agent_id.clone().map(Value::from),
            ),
            ("customer_id", self.customer_id.clone().map(Value::from)),
            (
                "dynamic_variables",
                self.dynamic_variables.clone().map(Value::Object),
            ),
            ("callback_url", self.callback_url.clone().map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body.insert(key.into(), value);
            }
        }
        Value::Object(body)
    }

    /// The keys of the 201 body, in order: the seven required call fields, then `customer_id` and
    /// `dynamic_variables` only when they were sent. No timestamps, nothing else.
    pub fn expected_keys(&self) -> Vec<&'static str> {
        let mut keys = vec![
            "call_type",
            "from_number",
            "to_number",
            "direction",
            "call_id",
            "agent_id",
            "call_status",
        ];
        if self.customer_id.is_some() {
            keys.push("customer_id");
        }
        if self.dynamic_variables.is_some() {
            keys.push("dynamic_variables");
        }
        keys
    }

    /// The 201 body this request must get. The server chooses `call_id` and, without `override_agent_id`,
    /// `agent_id` (the number's bot): `got`'s are taken when they are well-formed (a `call_id` of
    /// [`CALL_ID_LEN`] characters starting with `c`, a non-empty `agent_id`), and a placeholder naming the
    /// rule stands in otherwise, so a diff shows the rule.
    pub fn expected_created(&self, got: &Value) -> Value {
        let call_id = got["call_id"]
            .as_str()
            .filter(|id| is_call_id(id))
            .map_or_else(
                || {
                    Value::from(format!(
                        "<a fresh id: {CALL_ID_LEN} characters starting with c>"
                    ))
                },
                Value::from,
            );
        let agent_id = match &self.override_agent_id {
            Some(agent) => Value::from(agent.clone()),
            None => got["agent_id"]
                .as_str()
                .filter(|a| !a.is_empty())
                .map_or_else(
                    || Value::from("<the number's agent: a non-empty string>"),
                    Value::from,
                ),
        };
        let mut call = json!({
            "call_type": "phonecall",
            "from_number": self.from_number,
            "to_number": self.to_number,
            "direction": "outbound",
            "call_id": call_id,
            "agent_id": agent_id,
            "call_status": "registered",
        });
        if let Some(customer_id) = &self.customer_id {
            call["customer_id"] = Value::from(customer_id.clone());
        }
        if let Some(variables) = &self.dynamic_variables {
            call["dynamic_variables"] = Value::Object(variables.clone());
        }
        call
    }
}

/// Whether `id` has the form of a fresh `call_id`: [`CALL_ID_LEN`] characters, the first a `c`.
pub fn is_call_id(id: &str) -> bool {
    id.chars().count() == CALL_ID_LEN && id.starts_with('c')
}

/// The [`IDENTITY_FIELDS`] `call` has, as an object (absent ones stay absent).
pub fn identity(call: &Value) -> Value {
    Value::Object(
        IDENTITY_FIELDS
            .iter()
            .filter_map(|&field| call.get(field).map(|v| (field.to_string(), v.clone())))
            .collect(),
    )
}

/// The keys of a JSON object text, in the order they are written; `None` when `text` is not a JSON object.
/// `serde_json::Value` sorts keys, so the order the 201 body is documented in can only be read from the text.
pub fn top_level_keys(text: &str) -> Option<Vec<String>> {
    if !serde_json::from_str::<Value>(text).ok()?.is_object() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut keys = Vec::new();
    let (mut depth, mut key_next, mut i) = (0usize, false, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while *bytes.get(i)? != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && key_next {
                    keys.push(serde_json::from_str(text.get(start..=i)?).ok()?);
                    key_next = false;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1;
            }
            b'}' | b']' => depth -= 1,
            b',' if depth == 1 => key_next = true,
            _ => {}
        }
        i += 1;
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_come_in_written_order_and_skip_nested_and_quoted_ones() {
        let text =
            r#"{"b": {"x": 1, "y": [2, {"z": 3}]}, "a\"q": "k\"ey: ,", "c": [1, 2], "d": {}}"#;
        assert_eq!(top_level_keys(text).unwrap(), ["b", "a\"q", "c", "d"]);
        assert_eq!(top_level_keys("{}").unwrap(), Vec::<String>::new());
        assert_eq!(top_level_keys("[1]"), None);
        assert_eq!(top_level_keys("{\"a\": "), None);
    }

    #[test]
    fn the_expected_201_keeps_the_servers_id_and_agent_only_when_well_formed() {
        let call = NewCall {
            from_number: "+12125550100".into(),
            to_number: "+12125550101".into(),
            override_agent_id: None,
            customer_id: Some("cust-1".into()),
            dynamic_variables: None,
            callback_url: Some("https://example.com/cb".into()),
        };
        let id = "c".to_string() + &"x".repeat(24);
        let good = json!({"call_id": id, "agent_id": "bot1"});
        let expected = call.expected_created(&good);
        assert_eq!(expected["call_id"], id.as_str());
        assert_eq!(expected["agent_id"], "bot1");
        assert_eq!(expected["customer_id"], "cust-1");
        assert!(expected.get("callback_url").is_none());
        // Each half of the form alone is not enough: 25 characters without the `c`, a `c` of another length.
        for half in ["x".repeat(25), "c".repeat(24), "c".repeat(26)] {
            let expected = call.expected_created(&json!({"call_id": half, "agent_id": "bot1"}));
            assert!(
                expected["call_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("<a fresh id"),
                "{half}"
            );
        }
        let bad = json!({"call_id": "x1", "agent_id": ""});
        let expected = call.expected_created(&bad);
        assert!(
            expected["call_id"]
                .as_str()
                .unwrap()
                .starts_with("<a fresh id")
        );
        assert!(
            expected["agent_id"]
                .as_str()
                .unwrap()
                .starts_with("<the number's agent")
        );
        assert_eq!(
            call.expected_keys(),
            [
                "call_type",
                "from_number",
                "to_number",
                "direction",
                "call_id",
                "agent_id",
                "call_status",
                "customer_id"
            ]
        );
    }
}
