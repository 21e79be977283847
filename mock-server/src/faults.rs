//! Fault injection: added latency, random errors, and a script of faults for the next API requests, all
//! reproducible from a seed.
//!
//! A client's unhappy paths (a 429 with `Retry-After`, a 500 on page 3, a slow answer, a dropped connection)
//! are the ones worth testing and the hardest to provoke against a real API. [`Faults`] describes what to
//! inject; [`FaultInjector`] decides, request by request, what happens. Faults are typed and (de)serialize to
//! the JSON of `PUT /__admin/faults`, so the HTTP and Rust APIs say the same thing.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The status of random errors when `error_status` is not given: the vendor's documented 500.
pub const DEFAULT_ERROR_STATUS: u16 = 500;

/// The longest `retry_after` a fault may give: one day. Longer waits mean nothing to a test, and clients keep
/// the value in types as small as 32-bit milliseconds (a day is 86,400,000 of them).
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// The `Retry-After` (seconds) of an injected 429 that does not give `retry_after`.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// Extra time before an API request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// Always this many milliseconds. JSON: a number.
    Fixed(u64),
    /// Uniformly between `min` and `max` milliseconds, both inclusive. JSON: `{"min": .., "max": ..}`.
    Uniform {
        /// The shortest delay.
        min: u64,
        /// The longest delay.
        max: u64,
    },
}

/// One fault applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and the vendor's body for it (`{"status": 503}`). A 429 carries a `Retry-After`
    /// header of `retry_after` seconds (default 1; `{"status": 429, "retry_after": 30}`).
    Status {
        /// The HTTP status, 400 to 599.
        status: u16,
        /// Seconds for `Retry-After` and `retryAfter`; used only with 429.
        retry_after: Option<u64>,
    },
    /// Drop the connection without any response (`{"kind": "reset"}`): the client sees a connection error.
    Reset,
    /// Answer normally, but only after `ms` milliseconds (`{"kind": "timeout", "ms": 5000}`), to trip the
    /// client's timeout.
    Timeout {
        /// How long to hold the answer back.
        ms: u64,
    },
    /// A 200 with the JSON content type whose body is cut short (`{"kind": "malformed"}`), to exercise the
    /// client's parse-error path.
    Malformed,
}

/// A fault in the `next` queue, optionally waiting for a request to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedFault {
    /// What to do.
    pub fault: Fault,
    /// Apply only to a request for this path (exact match, such as `/v1/calls`; a trailing `*` matches any
    /// path with that prefix). Requests to other paths pass it by, and it stays queued.
    pub path: Option<String>,
}

impl From<Fault> for ScriptedFault {
    fn from(fault: Fault) -> Self {
        ScriptedFault { fault, path: None }
    }
}

impl ScriptedFault {
    /// The fault, limited to requests for `path`.
    pub fn on_path(fault: Fault, path: impl Into<String>) -> Self {
        ScriptedFault {
            fault,
            path: Some(path.into()),
        }
    }

    fn applies_to(&self, request_path: &str) -> bool {
        match self.path.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_suffix('*') {
                Some(prefix) => request_path.starts_with(prefix),
                None => request_path == pattern,
            },
        }
    }
}

/// Everything the mock injects into API requests. The default injects nothing.
///
/// ```
/// use openmic_mock::faults::{Fault, Faults};
///
/// let faults: Faults = serde_json::from_str(
///     r#"{"next": [{"status": 429}, {"status": 500, "path": "/v1/calls"}, {"kind": "reset"}], "seed": 7}"#,
/// )?;
/// assert_eq!(faults.next[0].fault, Fault::Status { status: 429, retry_after: None });
/// assert_eq!(faults.next[1].path.as_deref(), Some("/v1/calls"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Added to every API request.
    pub latency_ms: Option<Latency>,
    /// The probability, 0 to 1, that a request not handled by `next` gets `error_status`.
    pub error_rate: f64,
    /// The status of random errors (default 500).
    pub error_status: u16,
    /// Scripted faults, applied to the next API requests in order.
    pub next: Vec<ScriptedFault>,
    /// Seeds the random choices (latency, errors), so a failing run can be replayed. Without one, a seed is
    /// taken from the clock.
    pub seed: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: None,
            error_rate: 0.0,
            error_status: DEFAULT_ERROR_STATUS,
            next: Vec::new(),
            seed: None,
        }
    }
}

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

impl Latency {
    fn from_json(value: &Value, field: &str) -> Result<Self, FaultsError> {
        if value.is_number() {
            return millis(value, field).map(Latency::Fixed);
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
        Ok(Latency::Uniform { min, max })
    }

    fn to_json(self) -> Value {
        match self {
            Latency::Fixed(ms) => json!(ms),
            Latency::Uniform { min, max } => json!({"min": min, "max": max}),
        }
    }
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
                no_unknown_fields(map, field, &["status", "retry_after", "path"])?;
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
                if retry_after.is_some() && status != 429 {
                    return Err(FaultsError(format!(
                        "`{field}.retry_after` only applies to status 429, not {status}"
                    )));
                }
                Ok(Fault::Status {
                    status,
                    retry_after,
                })
            }
            (None, Some(kind)) => match kind.as_str() {
                Some("reset") => {
                    no_unknown_fields(map, field, &["kind", "path"])?;
                    Ok(Fault::Reset)
                }
                Some("malformed") => {
                    no_unknown_fields(map, field, &["kind", "path"])?;
                    Ok(Fault::Malformed)
                }
                Some("timeout") => {
                    no_unknown_fields(map, field, &["kind", "ms", "path"])?;
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
        let path = match map.get("path") {
            None => None,
            Some(Value::String(path)) if path.starts_with('/') => Some(path.clone()),
            Some(other) => {
                return Err(bad(
                    &format!("{field}.path"),
                    "a path starting with `/`, such as \"/v1/calls\"",
                    other,
                ));
            }
        };
        Ok(ScriptedFault { fault, path })
    }

    fn to_json(&self) -> Value {
        let mut map = self.fault.to_map();
        if let Some(path) = &self.path {
            map.insert("path".into(), Value::String(path.clone()));
        }
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
            faults.latency_ms = Some(Latency::from_json(value, "latency_ms")?);
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
            "latency_ms": self.latency_ms.map(Latency::to_json),
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
    ScriptedFault::from_json(v, "fault").and_then(|s| match s.path {
        None => Ok(s.fault),
        Some(_) => Err(FaultsError(
            "`fault.path` belongs to a scripted fault, not a fault".into(),
        )),
    })
});

/// What happens to one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Wait this long first.
    pub latency: Duration,
    /// Then apply this fault, if any.
    pub fault: Option<Fault>,
}

/// The live fault configuration and its random number generator; decides each API request's fate.
#[derive(Debug)]
pub struct FaultInjector {
    inner: Mutex<Injector>,
}

#[derive(Debug)]
struct Injector {
    faults: Faults,
    rng: ChaCha8Rng,
}

fn rng_for(seed: Option<u64>) -> ChaCha8Rng {
    let seed = seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
    });
    ChaCha8Rng::seed_from_u64(seed)
}

impl Default for FaultInjector {
    fn default() -> Self {
        FaultInjector {
            inner: Mutex::new(Injector {
                faults: Faults::default(),
                rng: rng_for(Some(0)),
            }),
        }
    }
}

impl FaultInjector {
    fn lock(&self) -> std::sync::MutexGuard<'_, Injector> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the configuration and restarts the random sequence from its seed.
    pub fn set(&self, faults: Faults) {
        let mut inner = self.lock();
        inner.rng = rng_for(faults.seed);
        inner.faults = faults;
    }

    /// Appends to the `next` queue.
    pub fn push(&self, fault: ScriptedFault) {
        self.lock().faults.next.push(fault);
    }

    /// The current configuration, with what remains of the `next` queue.
    pub fn get(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Injects nothing from now on.
    pub fn clear(&self) {
        self.set(Faults::default());
    }

    /// Decides the fate of a request for `path`: the first queued fault that applies to it (removed from the
    /// queue), otherwise a random error at `error_rate`; plus the latency. The random draws happen in request
    /// order, so the same seed and the same request sequence give the same decisions.
    pub fn decide(&self, path: &str) -> Decision {
        let mut inner = self.lock();
        let Injector { faults, rng } = &mut *inner;
        let latency = match faults.latency_ms {
            None => 0,
            Some(Latency::Fixed(ms)) => ms,
            Some(Latency::Uniform { min, max }) => rng.random_range(min..=max),
        };
        let scripted = faults.next.iter().position(|f| f.applies_to(path));
        let fault = match scripted {
            Some(index) => Some(faults.next.remove(index).fault),
            None if faults.error_rate > 0.0 && rng.random::<f64>() < faults.error_rate => {
                Some(Fault::Status {
                    status: faults.error_status,
                    retry_after: None,
                })
            }
            None => None,
        };
        Decision {
            latency: Duration::from_millis(latency),
            fault,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_fails_when_its_draw_is_below_the_error_rate_not_at_it() {
        // The first draw of seed 9, used as the rate itself: a draw equal to the rate is not below it.
        let draw = rng_for(Some(9)).random::<f64>();
        let injector = FaultInjector::default();
        let at = |rate: f64| Faults {
            error_rate: rate,
            seed: Some(9),
            ..Faults::default()
        };
        injector.set(at(draw));
        assert_eq!(injector.decide("/v1/calls").fault, None);
        injector.set(at(f64::min(draw * (1.0 + 1e-12), 1.0)));
        assert!(injector.decide("/v1/calls").fault.is_some());
        // The bounds: 0 never fails, 1 always does.
        injector.set(at(0.0));
        assert!((0..200).all(|_| injector.decide("/v1/calls").fault.is_none()));
        injector.set(at(1.0));
        assert!((0..200).all(|_| injector.decide("/v1/calls").fault.is_some()));
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
            latency_ms: Some(Latency::Uniform { min: 1, max: 5 }),
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

    #[test]
    fn the_same_seed_gives_the_same_decisions() {
        let decisions = |seed| {
            let injector = FaultInjector::default();
            injector.set(Faults {
                latency_ms: Some(Latency::Uniform { min: 0, max: 1000 }),
                error_rate: 0.5,
                seed: Some(seed),
                ..Faults::default()
            });
            (0..50)
                .map(|_| injector.decide("/v1/calls"))
                .collect::<Vec<_>>()
        };
        assert_eq!(decisions(1), decisions(1));
        assert_ne!(decisions(1), decisions(2));
        let errors = decisions(1).iter().filter(|d| d.fault.is_some()).count();
        assert!(
            (10..=40).contains(&errors),
            "{errors} errors of 50 at rate 0.5"
        );
    }

    #[test]
    fn a_path_limited_fault_waits_for_its_path() {
        let injector = FaultInjector::default();
        injector.push(ScriptedFault::on_path(Fault::Reset, "/v1/call/*"));
        injector.push(Fault::Malformed.into());
        assert_eq!(injector.decide("/v1/calls").fault, Some(Fault::Malformed));
        assert_eq!(injector.decide("/v1/calls").fault, None);
        assert_eq!(injector.decide("/v1/call/x").fault, Some(Fault::Reset));
    }
}
