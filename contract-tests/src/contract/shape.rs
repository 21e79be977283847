//! The shape of what a List Calls server sends, checked on raw JSON (not through serde, which would forgive a
//! `null` for an absent field): required fields, types, enum values, units as integers, transcript pairs.

use serde_json::Value;

fn enum_field(call: &Value, field: &str, allowed: &[&str], problems: &mut Vec<String>) {
    match call.get(field) {
        None => problems.push(format!("required field `{field}` is missing")),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
        Some(other) => problems.push(format!(
            "`{field}` must be one of {}, got {other}",
            allowed.join("|")
        )),
    }
}

fn typed(
    call: &Value,
    field: &str,
    required: bool,
    ok: fn(&Value) -> bool,
    what: &str,
    problems: &mut Vec<String>,
) {
    match call.get(field) {
        None if required => problems.push(format!("required field `{field}` is missing")),
        None => {}
        Some(v) if ok(v) => {}
        Some(v) => problems.push(format!("`{field}` must be {what}, got {v}")),
    }
}

fn numbers_object(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.values().all(Value::is_number))
}

fn nulls(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Null if path != "call_analysis.extracted_data" => {
            out.push(format!(
                "`{path}` is null: absent optional fields are omitted, not null"
            ));
        }
        Value::Object(map) => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                nulls(v, &child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                nulls(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Everything wrong with one call object; empty when it is a well-formed `CallResponse`.
pub fn call_shape_problems(call: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if !call.is_object() {
        return vec![format!("a call must be an object, got {call}")];
    }
    enum_field(call, "call_type", &["phonecall", "webcall"], &mut problems);
    enum_field(call, "direction", &["inbound", "outbound"], &mut problems);
    enum_field(
        call,
        "call_status",
        &["registered", "ongoing", "ended", "error"],
        &mut problems,
    );
    for field in ["from_number", "to_number", "call_id", "agent_id"] {
        typed(
            call,
            field,
            true,
            Value::is_string,
            "a string",
            &mut problems,
        );
    }
    typed(
        call,
        "customer_id",
        false,
        Value::is_string,
        "a string",
        &mut problems,
    );
    typed(
        call,
        "recording_url",
        false,
        Value::is_string,
        "a string",
        &mut problems,
    );
    typed(
        call,
        "telephony_identifier",
        false,
        Value::is_object,
        "an object",
        &mut problems,
    );
    typed(
        call,
        "dynamic_variables",
        false,
        Value::is_object,
        "an object",
        &mut problems,
    );
    for field in ["start_timestamp", "end_timestamp", "duration_ms"] {
        typed(
            call,
            field,
            false,
            |v| v.is_u64(),
            "a non-negative integer (milliseconds)",
            &mut problems,
        );
    }
    typed(
        call,
        "latency",
        false,
        numbers_object,
        "an object of numbers (seconds)",
        &mut problems,
    );
    typed(
        call,
        "call_cost",
        false,
        numbers_object,
        "an object of numbers (USD)",
        &mut problems,
    );
    typed(
        call,
        "transcript",
        false,
        |v| {
            v.as_array().is_some_and(|entries| {
                entries.iter().all(|e| {
                    e.as_array()
                        .is_some_and(|pair| pair.len() == 2 && pair.iter().all(Value::is_string))
                })
            })
        },
        "an array of [speaker, message] string pairs",
        &mut problems,
    );
    if let Some(analysis) = call.get("call_analysis") {
        if analysis.is_object() {
            typed(
                analysis,
                "summary",
                false,
                Value::is_string,
                "a string",
                &mut problems,
            );
            typed(
                analysis,
                "is_successful",
                false,
                Value::is_boolean,
                "a boolean",
                &mut problems,
            );
            typed(
                analysis,
                "success_evaluation",
                false,
                Value::is_string,
                "a string",
                &mut problems,
            );
            typed(
                analysis,
                "extracted_data",
                false,
                |v| v.is_object() || v.is_null(),
                "an object or null",
                &mut problems,
            );
        } else {
            problems.push(format!("`call_analysis` must be an object, got {analysis}"));
        }
    }
    nulls(call, "", &mut problems);
    problems
}

/// Everything wrong with a List Calls body's envelope and its calls.
pub fn page_shape_problems(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match body.get("calls").and_then(Value::as_array) {
        None => problems.push("`calls` must be an array".to_string()),
        Some(calls) => {
            for call in calls {
                problems.extend(call_shape_problems(call));
            }
        }
    }
    let pagination = &body["pagination"];
    for field in ["limit", "offset", "total"] {
        if !pagination[field].is_u64() {
            problems.push(format!(
                "`pagination.{field}` must be a non-negative integer, got {}",
                pagination[field]
            ));
        }
    }
    if !pagination["has_more"].is_boolean() {
        problems.push(format!(
            "`pagination.has_more` must be a boolean, got {}",
            pagination["has_more"]
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"call_type": "webcall", "from_number": "+1", "to_number": "+2", "direction": "inbound",
               "call_id": "c1", "agent_id": "a1", "call_status": "ended", "start_timestamp": 5,
               "transcript": [["user", "hi"]], "call_analysis": {"extracted_data": null}})
    }

    #[test]
    fn a_well_formed_call_has_no_problems() {
        assert_eq!(call_shape_problems(&good()), Vec::<String>::new());
    }

    #[test]
    fn nulls_string_timestamps_and_three_item_transcript_entries_are_problems() {
        let mut call = good();
        call["customer_id"] = Value::Null;
        call["start_timestamp"] = json!("5");
        call["transcript"] = json!([["user", "hi", "extra"]]);
        let problems = call_shape_problems(&call);
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }
}
