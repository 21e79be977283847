//! Comparing what a client returned with what the mock served, field for field: the rule `decoding` and
//! `pagination_helper` share.

use std::cell::RefCell;
use std::collections::BTreeSet;

use openmic_fixtures::CALL_FIELDS;
use serde_json::Value;

use crate::report::clip;

/// Compares what the client returned with what was served. Problems break the contract; notes are accepted
/// liberties (an absent field as `null`, an undocumented field dropped).
pub(crate) struct Comparison<'e> {
    /// Where notes go: the property's notes ([`crate::client::harness::Env::notes`]).
    pub(crate) notes: &'e RefCell<BTreeSet<String>>,
    /// What breaks the contract, one line each.
    pub(crate) problems: Vec<String>,
}

impl Comparison<'_> {
    fn note(&self, text: String) {
        self.notes.borrow_mut().insert(text);
    }

    /// One call: its top-level fields are documented when [`CALL_FIELDS`] names them.
    pub(crate) fn call(&mut self, served: &Value, got: &Value, path: &str) {
        let (Some(served_map), Some(got_map)) = (served.as_object(), got.as_object()) else {
            self.value(served, got, path);
            return;
        };
        for (key, served_value) in served_map {
            let field = format!("{path}.{key}");
            match got_map.get(key) {
                Some(got_value) => self.value(served_value, got_value, &field),
                None if CALL_FIELDS.contains(&key.as_str()) => self
                    .problems
                    .push(format!("documented field `{field}` is missing")),
                None => self.note(format!("undocumented fields dropped (accepted): {key}")),
            }
        }
        self.extra_fields(served_map, got_map, path);
    }

    fn extra_fields(
        &mut self,
        served: &serde_json::Map<String, Value>,
        got: &serde_json::Map<String, Value>,
        path: &str,
    ) {
        for (key, got_value) in got {
            if served.contains_key(key) {
                continue;
            }
            if got_value.is_null() {
                self.note(format!("absent fields returned as null (accepted): {key}"));
            } else {
                self.problems.push(format!(
                    "`{path}.{key}` was not served but the client returned {}",
                    clip(&got_value.to_string(), 200)
                ));
            }
        }
    }

    pub(crate) fn value(&mut self, served: &Value, got: &Value, path: &str) {
        match (served, got) {
            (Value::Object(s), Value::Object(g)) => {
                for (key, served_value) in s {
                    let field = format!("{path}.{key}");
                    match g.get(key) {
                        Some(got_value) => self.value(served_value, got_value, &field),
                        None => self.problems.push(format!("field `{field}` is missing")),
                    }
                }
                self.extra_fields(s, g, path);
            }
            (Value::Array(s), Value::Array(g)) if s.len() == g.len() => {
                for (i, (sv, gv)) in s.iter().zip(g).enumerate() {
                    self.value(sv, gv, &format!("{path}[{i}]"));
                }
            }
            (Value::Number(s), Value::Number(g)) if s == g || s.as_f64() == g.as_f64() => {}
            (s, Value::Null) if !s.is_null() => self.problems.push(format!(
                "`{path}` was {} but the client returned null",
                clip(&s.to_string(), 200)
            )),
            (s, g) if s == g => {}
            (s, g) => self.problems.push(format!(
                "`{path}` was {} but the client returned {}",
                clip(&s.to_string(), 200),
                clip(&g.to_string(), 200)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The problems and notes of comparing `served` with `got` as one value.
    fn compare(served: Value, got: Value) -> (Vec<String>, BTreeSet<String>) {
        let notes = RefCell::new(BTreeSet::new());
        let mut comparison = Comparison {
            notes: &notes,
            problems: Vec::new(),
        };
        comparison.value(&served, &got, "call");
        (comparison.problems, notes.into_inner())
    }

    #[test]
    fn numbers_are_compared_as_numbers_and_arrays_element_by_element() {
        assert_eq!(compare(json!(12), json!(12.0)).0, Vec::<String>::new());
        assert_eq!(
            compare(json!({"d": [1, 2.5]}), json!({"d": [1.0, 2.5]})).0,
            Vec::<String>::new()
        );
        assert_eq!(
            compare(json!(12), json!(13)).0,
            ["`call` was 12 but the client returned 13"]
        );
        assert_eq!(
            compare(json!([1, 2]), json!([1, 3])).0,
            ["`call[1]` was 2 but the client returned 3"]
        );
        assert_eq!(
            compare(json!([1, 2]), json!([1])).0,
            ["`call` was [1,2] but the client returned [1]"]
        );
        assert_eq!(
            compare(json!([1]), json!([1, 2])).0,
            ["`call` was [1] but the client returned [1,2]"]
        );
    }

    #[test]
    fn a_missing_field_is_a_problem_and_an_extra_null_a_note() {
        let (problems, notes) = compare(json!({"a": 1, "b": 2}), json!({"a": 1, "c": null}));
        assert_eq!(problems, ["field `call.b` is missing"]);
        assert_eq!(
            notes.into_iter().collect::<Vec<_>>(),
            ["absent fields returned as null (accepted): c"]
        );
        assert_eq!(
            compare(json!("x"), json!(null)).0,
            ["`call` was \"x\" but the client returned null"]
        );
    }
}
