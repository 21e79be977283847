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

    /// A call with every field the shape knows, each well-formed.
    fn full() -> Value {
        json!({"call_type": "phonecall", "from_number": "+1", "to_number": "+2", "direction": "outbound",
               "call_id": "c1", "agent_id": "a1", "customer_id": "cus_1", "call_status": "ongoing",
               "recording_url": "https://r", "telephony_identifier": {"sid": "x"},
               "dynamic_variables": {"name": "Ada"}, "start_timestamp": 5, "end_timestamp": 9,
               "duration_ms": 4, "latency": {"llm": 0.5}, "call_cost": {"total": 1},
               "transcript": [], "call_analysis": {"summary": "s", "is_successful": true,
               "success_evaluation": "good", "extracted_data": {"k": 1}}})
    }

    #[test]
    fn every_field_is_checked_for_presence_type_or_value() {
        assert_eq!(call_shape_problems(&full()), Vec::<String>::new());
        for status in ["registered", "ongoing", "ended", "error"] {
            let mut call = full();
            call["call_status"] = json!(status);
            assert_eq!(call_shape_problems(&call), Vec::<String>::new(), "{status}");
        }
        let cases: &[(&str, Value, &str)] = &[
            (
                "call_type",
                json!("PHONECALL"),
                "`call_type` must be one of phonecall|webcall, got \"PHONECALL\"",
            ),
            (
                "direction",
                json!(1),
                "`direction` must be one of inbound|outbound, got 1",
            ),
            (
                "call_status",
                json!("done"),
                "`call_status` must be one of registered|ongoing|ended|error",
            ),
            (
                "from_number",
                json!(15551234567u64),
                "`from_number` must be a string, got 15551234567",
            ),
            ("to_number", json!(["+2"]), "`to_number` must be a string"),
            ("call_id", json!(7), "`call_id` must be a string"),
            ("agent_id", json!({}), "`agent_id` must be a string"),
            ("customer_id", json!(3), "`customer_id` must be a string"),
            (
                "recording_url",
                json!(true),
                "`recording_url` must be a string",
            ),
            (
                "telephony_identifier",
                json!("x"),
                "`telephony_identifier` must be an object",
            ),
            (
                "dynamic_variables",
                json!([]),
                "`dynamic_variables` must be an object",
            ),
            (
                "start_timestamp",
                json!(-1),
                "`start_timestamp` must be a non-negative integer (milliseconds)",
            ),
            (
                "end_timestamp",
                json!(1.5),
                "`end_timestamp` must be a non-negative integer (milliseconds)",
            ),
            (
                "duration_ms",
                json!("4"),
                "`duration_ms` must be a non-negative integer (milliseconds)",
            ),
            (
                "latency",
                json!({"llm": "fast"}),
                "`latency` must be an object of numbers (seconds)",
            ),
            (
                "latency",
                json!([0.5]),
                "`latency` must be an object of numbers (seconds)",
            ),
            (
                "call_cost",
                json!({"total": "1"}),
                "`call_cost` must be an object of numbers (USD)",
            ),
            (
                "transcript",
                json!([["user"]]),
                "`transcript` must be an array of [speaker, message] string pairs",
            ),
            (
                "transcript",
                json!([["user", 1]]),
                "`transcript` must be an array of [speaker, message] string pairs",
            ),
            (
                "transcript",
                json!(["user: hi"]),
                "`transcript` must be an array of [speaker, message] string pairs",
            ),
            (
                "transcript",
                json!({}),
                "`transcript` must be an array of [speaker, message] string pairs",
            ),
            (
                "call_analysis",
                json!("s"),
                "`call_analysis` must be an object, got \"s\"",
            ),
        ];
        for (field, value, want) in cases {
            let mut call = full();
            call[*field] = value.clone();
            let problems = call_shape_problems(&call);
            assert_eq!(problems.len(), 1, "{field} = {value}: {problems:#?}");
            assert!(
                problems[0].starts_with(want),
                "{field} = {value}: {problems:#?}"
            );
        }
        let analysis: &[(&str, Value, &str)] = &[
            ("summary", json!(1), "`summary` must be a string"),
            (
                "is_successful",
                json!("true"),
                "`is_successful` must be a boolean",
            ),
            (
                "success_evaluation",
                json!(5),
                "`success_evaluation` must be a string",
            ),
            (
                "extracted_data",
                json!([]),
                "`extracted_data` must be an object or null",
            ),
        ];
        for (field, value, want) in analysis {
            let mut call = full();
            call["call_analysis"][*field] = value.clone();
            let problems = call_shape_problems(&call);
            assert_eq!(problems.len(), 1, "{field} = {value}: {problems:#?}");
            assert!(
                problems[0].starts_with(want),
                "{field} = {value}: {problems:#?}"
            );
        }
        for field in [
            "call_type",
            "direction",
            "call_status",
            "from_number",
            "to_number",
            "call_id",
            "agent_id",
        ] {
            let mut call = full();
            call.as_object_mut().unwrap().remove(field);
            assert_eq!(
                call_shape_problems(&call),
                [format!("required field `{field}` is missing")],
                "{field}"
            );
        }
        let mut call = full();
        for field in [
            "customer_id",
            "recording_url",
            "telephony_identifier",
            "dynamic_variables",
            "start_timestamp",
            "end_timestamp",
            "duration_ms",
            "latency",
            "call_cost",
            "transcript",
            "call_analysis",
        ] {
            call.as_object_mut().unwrap().remove(field);
        }
        assert_eq!(
            call_shape_problems(&call),
            Vec::<String>::new(),
            "optional fields left out"
        );
        assert_eq!(
            call_shape_problems(&json!([])),
            ["a call must be an object, got []"]
        );
    }

    #[test]
    fn a_null_anywhere_but_extracted_data_is_named_by_its_path() {
        let mut call = full();
        call["call_analysis"]["extracted_data"] = Value::Null;
        assert_eq!(call_shape_problems(&call), Vec::<String>::new());
        call["telephony_identifier"]["sid"] = Value::Null;
        call["transcript"] = json!([["user", "hi"], ["assistant", "yes"]]);
        call["dynamic_variables"]["name"] = Value::Null;
        let problems = call_shape_problems(&call);
        assert_eq!(
            problems,
            [
                "`dynamic_variables.name` is null: absent optional fields are omitted, not null",
                "`telephony_identifier.sid` is null: absent optional fields are omitted, not null",
            ]
        );
        let mut out = Vec::new();
        nulls(&json!([1, null]), "transcript", &mut out);
        assert_eq!(
            out,
            ["`transcript[1]` is null: absent optional fields are omitted, not null"]
        );
    }

    #[test]
    fn a_page_has_calls_and_four_pagination_fields() {
        let good = json!({"calls": [full()], "pagination": {"limit": 1, "offset": 0, "total": 1, "has_more": false}});
        assert_eq!(page_shape_problems(&good), Vec::<String>::new());
        let mut bad = good.clone();
        bad["calls"][0]["call_id"] = json!(1);
        assert_eq!(
            page_shape_problems(&bad),
            ["`call_id` must be a string, got 1"]
        );
        for field in ["limit", "offset", "total"] {
            let mut bad = good.clone();
            bad["pagination"][field] = json!(-1);
            assert_eq!(
                page_shape_problems(&bad),
                [format!(
                    "`pagination.{field}` must be a non-negative integer, got -1"
                )]
            );
        }
        let mut bad = good.clone();
        bad["pagination"]["has_more"] = json!("no");
        assert_eq!(
            page_shape_problems(&bad),
            ["`pagination.has_more` must be a boolean, got \"no\""]
        );
        let mut bad = good;
        bad["calls"] = json!({});
        assert_eq!(page_shape_problems(&bad), ["`calls` must be an array"]);
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
