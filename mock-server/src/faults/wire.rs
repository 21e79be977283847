//! The JSON form of the fault model, as `PUT /__admin/faults` and `POST /__admin/faults/next` take it and
//! `GET /__admin/faults` shows it: a hand-written reader that refuses unknown fields and out-of-range values
//! with a message naming the field and what was expected, the writer, and the serde impls built on both.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::model::{Delay, Fault, Faults, MAX_RETRY_AFTER_SECS, ScriptedFault};

/// Why a faults document was refused: the field, and what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultsError(pub String);

fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn bad(field: &str, expected: &str, got: &Value) -> FaultsError {
    FaultsError(format!(
        "`{field}` must be {expected}, got {}",
        describe(got)
    ))
}

fn object<'a>(
    value: &'a Value,
    field: &str,
    expected: &str,
) -> Result<&'a Map<String, Value>, FaultsError> {
    value.as_object().ok_or_else(|| bad(field, expected, value))
}

fn no_unknown_fields(
    map: &Map<String, Value>,
    field: &str,
    known: &[&str],
) -> Result<(), FaultsError> {
    // serde_json's Map is ordered by key, so the first unknown field reported is stable.
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        let place = if field.is_empty() {
            String::new()
        } else {
            format!(" in `{field}`")
        };
        return Err(FaultsError(format!(
            "unknown field `{unknown}`{place}; expected one of: {}",
            known.join(", ")
        )));
    }
    Ok(())
}

fn millis(value: &Value, field: &str) -> Result<u64, FaultsError> {
    value
        .as_u64()
        .ok_or_else(|| bad(field, "a whole number of milliseconds (0 or more)", value))
}

fn status(value: &Value, field: &str) -> Result<u16, FaultsError> {
    value
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..=599).contains(s))
        .ok_or_else(|| bad(field, "an HTTP error status from 400 to 599", value))
}

impl Delay {
    fn from_json(value: &Value, field: &str) -> Result<Self, FaultsError> {
        if value.is_number() {
            return millis(value, field).map(Delay::Fixed);
        }
        let expected = "a number of milliseconds or {\"min\": ms, \"max\": ms}";
        let map = object(value, field, expected)?;
        no_unknown_fields(map, field, &["min", "max"])?;
        let get = |name: &str| {
            let path = format!("{field}.{name}");
            map.get(name)
                .ok_or_else(|| FaultsError(format!("`{path}` is missing ({expected})")))
                .and_then(|v| millis(v, &path))
        };
        let (min, max) = (get("min")?, get("max")?);
        if min > max {
            return Err(FaultsError(format!(
                "`{field}.min` ({min}) must not be greater than `{field}.max` ({max})"
            )));
        }
        Ok(Delay::Uniform { min, max })
    }

    fn to_json(self) -> Value {
        match self {
            Delay::Fixed(ms) => json!(ms),
            Delay::Uniform { min, max } => json!({"min": min, "max": max}),
        }
    }
}

/// The fields of a scripted fault that say which requests it answers.
const MATCHING_FIELDS: [&str; 5] = ["path", "method", "query", "after", "times"];

/// A fault's own fields and the matching ones: what a scripted fault may have.
fn with_matching(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().copied().chain(MATCHING_FIELDS).collect()
}

impl Fault {
    /// Parses the JSON form, naming `field` in any error.
    fn from_map(map: &Map<String, Value>, field: &str) -> Result<Self, FaultsError> {
        let expected_kinds = "one of \"reset\", \"timeout\", \"malformed\"";
        match (map.get("status"), map.get("kind")) {
            (Some(_), Some(_)) => Err(FaultsError(format!(
                "`{field}` has both `status` and `kind`; give one"
            ))),
            (Some(value), None) => {
                no_unknown_fields(map, field, &with_matching(&["status", "retry_after"]))?;
                let status = status(value, &format!("{field}.status"))?;
                let retry_after = match map.get("retry_after") {
                    None => None,
                    Some(value) => Some(
                        value
                            .as_u64()
                            .filter(|s| (1..=MAX_RETRY_AFTER_SECS).contains(s))
                            .ok_or_else(|| {
                                bad(
                                    &format!("{field}.retry_after"),
                                    "a whole number of seconds from 1 to 86400 (one day)",
                                    value,
                                )
                            })?,
                    ),
                };
                Ok(Fault::Status {
                    status,
                    retry_after,
                })
            }
            (None, Some(kind)) => match kind.as_str() {
                Some("reset") => {
                    no_unknown_fields(map, field, &with_matching(&["kind"]))?;
                    Ok(Fault::Reset)
                }
                Some("malformed") => {
                    no_unknown_fields(map, field, &with_matching(&["kind"]))?;
                    Ok(Fault::Malformed)
                }
                Some("timeout") => {
                    no_unknown_fields(map, field, &with_matching(&["kind", "ms"]))?;
                    let ms = map.get("ms").ok_or_else(|| {
                        FaultsError(format!(
                            "`{field}.ms` is missing: a timeout fault needs the milliseconds to wait"
                        ))
                    })?;
                    Ok(Fault::Timeout {
                        ms: millis(ms, &format!("{field}.ms"))?,
                    })
                }
                _ => Err(bad(&format!("{field}.kind"), expected_kinds, kind)),
            },
            (None, None) => Err(FaultsError(format!(
                "`{field}` needs `status` (such as 500) or `kind` ({expected_kinds})"
            ))),
        }
    }

    fn to_map(self) -> Map<String, Value> {
        let value = match self {
            Fault::Status {
                status,
                retry_after: None,
            } => json!({ "status": status }),
            Fault::Status {
                status,
                retry_after: Some(secs),
            } => json!({ "status": status, "retry_after": secs }),
            Fault::Reset => json!({"kind": "reset"}),
            Fault::Timeout { ms } => json!({"kind": "timeout", "ms": ms}),
            Fault::Malformed => json!({"kind": "malformed"}),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

impl ScriptedFault {
    fn from_json(value: &Value, field: &str) -> Result<Self, FaultsError> {
        let map = object(
            value,
            field,
            "an object such as {\"status\": 500} or {\"kind\": \"reset\"}",
        )?;
        let fault = Fault::from_map(map, field)?;
        let mut scripted = ScriptedFault::new(fault);
        if let Some(path) = map.get("path") {
            match path {
                Value::String(path) if path.starts_with('/') => scripted.path = Some(path.clone()),
                other => {
                    return Err(bad(
                        &format!("{field}.path"),
                        "a path starting with `/`, such as \"/v1/calls\"",
                        other,
                    ));
                }
            }
        }
        if let Some(method) = map.get("method") {
            match method.as_str() {
                Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    scripted.method = Some(m.to_ascii_uppercase());
                }
                _ => {
                    return Err(bad(
                        &format!("{field}.method"),
                        "an HTTP method such as \"GET\" or \"POST\"",
                        method,
                    ));
                }
            }
        }
        if let Some(query) = map.get("query") {
            let expected = "an object of parameter values, such as {\"offset\": \"50\"}";
            let pairs = object(query, &format!("{field}.query"), expected)?;
            for (name, value) in pairs {
                let value = match value {
                    Value::String(v) => v.clone(),
                    // `{"offset": 50}` means what the client sends as `offset=50`.
                    Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
                    other => {
                        return Err(bad(
                            &format!("{field}.query.{name}"),
                            "the parameter's value as a string (such as \"50\") or a whole number",
                            other,
                        ));
                    }
                };
                scripted.query.insert(name.clone(), value);
            }
        }
        if let Some(after) = map.get("after") {
            scripted.after = after.as_u64().ok_or_else(|| {
                bad(
                    &format!("{field}.after"),
                    "how many matching requests to let through first (0 or more)",
                    after,
                )
            })?;
        }
        if let Some(times) = map.get("times") {
            scripted.times = match times {
                Value::Null => None,
                other => Some(other.as_u64().filter(|t| *t >= 1).ok_or_else(|| {
                    bad(
                        &format!("{field}.times"),
                        "how many matching requests to answer (1 or more), or null for every one",
                        other,
                    )
                })?),
            };
        }
        Ok(scripted)
    }

    fn to_json(&self) -> Value {
        let mut map = self.fault.to_map();
        if let Some(path) = &self.path {
            map.insert("path".into(), Value::String(path.clone()));
        }
        if let Some(method) = &self.method {
            map.insert("method".into(), Value::String(method.clone()));
        }
        if !self.query.is_empty() {
            map.insert("query".into(), json!(self.query));
        }
        map.insert("after".into(), json!(self.after));
        map.insert("times".into(), json!(self.times));
        Value::Object(map)
    }
}

impl Faults {
    /// Parses the JSON of `PUT /__admin/faults`, refusing unknown fields and out-of-range values with a
    /// message that names the field and says what was expected.
    pub fn from_json(value: &Value) -> Result<Self, FaultsError> {
        let map = object(value, "faults", "a JSON object")?;
        no_unknown_fields(
            map,
            "",
            &["latency_ms", "error_rate", "error_status", "next", "seed"],
        )?;
        let mut faults = Faults::default();
        if let Some(value) = map.get("latency_ms") {
            faults.latency_ms = Some(Delay::from_json(value, "latency_ms")?);
        }
        if let Some(value) = map.get("error_rate") {
            faults.error_rate = value
                .as_f64()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| bad("error_rate", "a number from 0 to 1", value))?;
        }
        if let Some(value) = map.get("error_status") {
            faults.error_status = status(value, "error_status")?;
        }
        if let Some(value) = map.get("next") {
            let items = value
                .as_array()
                .ok_or_else(|| bad("next", "an array of faults", value))?;
            faults.next = items
                .iter()
                .enumerate()
                .map(|(i, item)| ScriptedFault::from_json(item, &format!("next[{i}]")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(value) = map.get("seed") {
            faults.seed = Some(
                value
                    .as_u64()
                    .ok_or_else(|| bad("seed", "a whole number from 0 to 2^64-1", value))?,
            );
        }
        Ok(faults)
    }

    /// The JSON form, as `GET /__admin/faults` shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "latency_ms": self.latency_ms.map(Delay::to_json),
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "next": self.next.iter().map(ScriptedFault::to_json).collect::<Vec<_>>(),
            "seed": self.seed,
        })
    }
}

/// Parses one scripted fault, as `POST /__admin/faults/next` takes it.
pub fn scripted_fault_from_json(value: &Value) -> Result<ScriptedFault, FaultsError> {
    ScriptedFault::from_json(value, "fault")
}

macro_rules! serde_via_json {
    ($type:ty, $to:expr, $from:expr) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $to(self).serialize(serializer)
            }
        }
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Value::deserialize(deserializer)?;
                $from(&value).map_err(de::Error::custom)
            }
        }
    };
}

serde_via_json!(Faults, Faults::to_json, Faults::from_json);
serde_via_json!(
    ScriptedFault,
    ScriptedFault::to_json,
    scripted_fault_from_json
);
serde_via_json!(Fault, |f: &Fault| Value::Object(f.to_map()), |v: &Value| {
    let scripted = ScriptedFault::from_json(v, "fault")?;
    if scripted == ScriptedFault::new(scripted.fault) {
        Ok(scripted.fault)
    } else {
        Err(FaultsError(
            "`path`, `method`, `query`, `after` and `times` belong to a scripted fault, not a fault".into(),
        ))
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_is_quoted_whole_up_to_60_characters() {
        let sixty = json!("x".repeat(58));
        assert_eq!(describe(&sixty), sixty.to_string());
        let sixty_one = json!("x".repeat(59));
        assert_eq!(describe(&sixty_one), format!("\"{}...", "x".repeat(59)));
        let err = Faults::from_json(&json!({"error_rate": "y".repeat(100)})).unwrap_err();
        assert!(err.0.contains(&format!("\"{}...", "y".repeat(59))), "{err}");
    }

    #[test]
    fn a_latency_range_may_be_one_value_but_not_upside_down() {
        let faults = Faults::from_json(&json!({"latency_ms": {"min": 5, "max": 5}})).unwrap();
        assert_eq!(faults.latency_ms, Some(Delay::Uniform { min: 5, max: 5 }));
        let err = Faults::from_json(&json!({"latency_ms": {"min": 6, "max": 5}})).unwrap_err();
        assert!(err.0.contains("must not be greater"), "{err}");
    }

    #[test]
    fn a_query_value_may_be_a_whole_number_of_either_sign_but_not_a_fraction() {
        let faults = Faults::from_json(&json!({"next": [
            {"status": 500, "query": {"offset": 50, "limit": -5, "q": "x"}}
        ]}))
        .unwrap();
        let query = &faults.next[0].query;
        assert_eq!(query["offset"], "50");
        assert_eq!(query["limit"], "-5");
        assert_eq!(query["q"], "x");
        let err = Faults::from_json(&json!({"next": [{"status": 500, "query": {"offset": 1.5}}]}))
            .unwrap_err();
        assert!(err.0.contains("next[0].query.offset"), "{err}");
    }

    fn parse_err(json: &str) -> String {
        let value: Value = serde_json::from_str(json).unwrap_or_default();
        match Faults::from_json(&value) {
            Err(err) => err.0,
            Ok(faults) => panic!("accepted {json}: {faults:?}"),
        }
    }

    #[test]
    fn names_the_field_and_the_expectation_in_every_refusal() {
        assert_eq!(
            parse_err(r#"{"error_rate": 1.5}"#),
            "`error_rate` must be a number from 0 to 1, got 1.5"
        );
        assert_eq!(
            parse_err(r#"{"next": [{"status": 500}, {"kind": "explode"}]}"#),
            "`next[1].kind` must be one of \"reset\", \"timeout\", \"malformed\", got \"explode\""
        );
        assert_eq!(
            parse_err(r#"{"latency": 5}"#),
            "unknown field `latency`; expected one of: latency_ms, error_rate, error_status, next, seed"
        );
        assert_eq!(
            parse_err(r#"{"latency_ms": {"min": 9, "max": 3}}"#),
            "`latency_ms.min` (9) must not be greater than `latency_ms.max` (3)"
        );
        assert_eq!(
            parse_err(r#"{"next": [{"kind": "timeout"}]}"#),
            "`next[0].ms` is missing: a timeout fault needs the milliseconds to wait"
        );
        assert_eq!(
            parse_err(r#"{"next": [{"status": 200}]}"#),
            "`next[0].status` must be an HTTP error status from 400 to 599, got 200"
        );
    }

    #[test]
    fn round_trips_through_json() {
        let faults = Faults {
            latency_ms: Some(Delay::Uniform { min: 1, max: 5 }),
            error_rate: 0.25,
            error_status: 503,
            next: vec![
                Fault::Status {
                    status: 429,
                    retry_after: Some(3),
                }
                .into(),
                ScriptedFault::on_path(Fault::Timeout { ms: 10 }, "/v1/calls"),
                Fault::Reset.into(),
                Fault::Malformed.into(),
            ],
            seed: Some(9),
        };
        let json = serde_json::to_string(&faults).unwrap_or_default();
        let back: Faults = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, faults);
    }
}
