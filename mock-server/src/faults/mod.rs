//! Fault injection: added latency, random errors, and a script of faults for the next API requests, all
//! reproducible from a seed; server-wide, or for one API key (a tenant's) alone.
//!
//! A client's unhappy paths (a 429 with `Retry-After`, a 500 on page 3, a slow answer, a dropped connection)
//! are the ones worth testing and the hardest to provoke against a real API. [`Faults`] describes what to
//! inject; [`FaultInjector`] decides, request by request, what happens. Faults are typed and (de)serialize to
//! the JSON of `PUT /__admin/faults`, so the HTTP and Rust APIs say the same thing.

mod model;

pub(crate) use model::{DEFAULT_RETRY_AFTER_SECS, MAX_RETRY_AFTER_SECS};
pub use model::{Delay, Fault, Faults, ScriptedFault};

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

// The model states a scripted fault's conditions; testing a request against them is part of deciding it.
impl ScriptedFault {
    /// Whether a request matches the path, method and query conditions. `query` is decoded lazily: only a
    /// fault with query conditions reads it.
    fn matches(&self, method: &str, path: &str, query: &mut Query<'_>) -> bool {
        let path_ok = match self.path.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == pattern,
            },
        };
        path_ok
            && self.method.as_deref().is_none_or(|m| m == method)
            && (self.query.is_empty()
                || self.query.iter().all(|(name, value)| {
                    query.pairs().iter().any(|(n, v)| n == name && v == value)
                }))
    }
}

/// A request's query string, decoded on first use.
pub struct Query<'a> {
    raw: Option<&'a str>,
    pairs: Option<Vec<(String, String)>>,
}

impl<'a> Query<'a> {
    /// The raw query string of a request (without the `?`).
    pub fn new(raw: Option<&'a str>) -> Self {
        Query { raw, pairs: None }
    }

    fn pairs(&mut self) -> &[(String, String)] {
        let raw = self.raw;
        self.pairs.get_or_insert_with(|| {
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect()
        })
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

/// What happens to one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Wait this long first.
    pub latency: Duration,
    /// Then apply this fault, if any.
    pub fault: Option<Fault>,
}

/// The live fault configurations and their random number generators: the server-wide one, and those of API
/// keys that have their own (a tenant's, so parallel tests script faults without hitting each other's
/// requests). Decides each API request's fate.
#[derive(Debug)]
pub struct FaultInjector {
    inner: Mutex<Injectors>,
}

#[derive(Debug)]
struct Injectors {
    server: Injector,
    /// Keys with faults of their own: their requests are decided by these alone.
    keys: HashMap<String, Injector>,
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

impl Default for Injector {
    fn default() -> Self {
        Injector {
            faults: Faults::default(),
            rng: rng_for(Some(0)),
        }
    }
}

impl Injector {
    /// A configuration whose random sequence starts from its seed.
    fn new(faults: Faults) -> Self {
        Injector {
            rng: rng_for(faults.seed),
            faults,
        }
    }

    /// See [`FaultInjector::decide`].
    fn decide(&mut self, method: &str, path: &str, query: Option<&str>) -> Decision {
        let Injector { faults, rng } = self;
        let latency = match faults.latency_ms {
            None => 0,
            Some(Delay::Fixed(ms)) => ms,
            Some(Delay::Uniform { min, max }) => rng.random_range(min..=max),
        };
        let mut query = Query::new(query);
        let mut answering = None;
        for (index, scripted) in faults.next.iter_mut().enumerate() {
            if !scripted.matches(method, path, &mut query) {
                continue;
            }
            if scripted.after > 0 {
                scripted.after -= 1;
            } else if answering.is_none() {
                answering = Some(index);
            }
        }
        let scripted = answering.map(|index| {
            let fault = faults.next[index].fault;
            match &mut faults.next[index].times {
                Some(1) => {
                    faults.next.remove(index);
                }
                Some(times) => *times -= 1,
                None => {}
            }
            fault
        });
        let fault = match scripted {
            Some(fault) => Some(fault),
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

impl Default for FaultInjector {
    fn default() -> Self {
        FaultInjector {
            inner: Mutex::new(Injectors {
                server: Injector::default(),
                keys: HashMap::new(),
            }),
        }
    }
}

impl FaultInjector {
    fn lock(&self) -> std::sync::MutexGuard<'_, Injectors> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the server-wide configuration and restarts its random sequence from its seed.
    pub fn set(&self, faults: Faults) {
        self.lock().server = Injector::new(faults);
    }

    /// Appends to the server-wide `next` queue.
    pub fn push(&self, fault: ScriptedFault) {
        self.lock().server.faults.next.push(fault);
    }

    /// The server-wide configuration, with what remains of its `next` queue.
    pub fn get(&self) -> Faults {
        self.lock().server.faults.clone()
    }

    /// Injects nothing server-wide from now on (keys with faults of their own keep them).
    pub fn clear(&self) {
        self.set(Faults::default());
    }

    /// Gives requests with `key` a configuration of their own, which decides them in place of the server-wide
    /// one, and restarts its random sequence from its seed.
    pub fn set_for_key(&self, key: &str, faults: Faults) {
        self.lock()
            .keys
            .insert(key.to_string(), Injector::new(faults));
    }

    /// Appends to the `next` queue of `key`'s own configuration, which starts empty (no latency, no random
    /// errors) if it has none yet: from then on the server-wide faults no longer apply to `key`.
    pub fn push_for_key(&self, key: &str, fault: ScriptedFault) {
        self.lock()
            .keys
            .entry(key.to_string())
            .or_default()
            .faults
            .next
            .push(fault);
    }

    /// The configuration of `key`'s own, if it has one.
    pub fn for_key(&self, key: &str) -> Option<Faults> {
        self.lock().keys.get(key).map(|i| i.faults.clone())
    }

    /// Drops `key`'s own configuration: the server-wide one applies to it again. `false` if it had none.
    pub fn clear_for_key(&self, key: &str) -> bool {
        self.lock().keys.remove(key).is_some()
    }

    /// Decides the fate of a request made with the API key `key` (if any), by that key's own configuration
    /// if it has one, else by the server-wide one: the first queued fault that matches it and has let its
    /// `after` requests through answers it (and counts down its `times`, leaving the queue at zero); every
    /// other matching fault still counting down `after` counts this request. Otherwise a random error at
    /// `error_rate`. Plus the latency. The random draws happen in request order, so the same seed and the same
    /// request sequence give the same decisions.
    pub fn decide(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        key: Option<&str>,
    ) -> Decision {
        let mut inner = self.lock();
        let Injectors { server, keys } = &mut *inner;
        let injector = match key.and_then(|k| keys.get_mut(k)) {
            Some(own) => own,
            None => server,
        };
        injector.decide(method, path, query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_error_rate_no_draw_is_spent_on_errors() {
        // The latencies are the seed's consecutive draws: none is taken for an error rate of 0.
        let injector = FaultInjector::default();
        injector.set(Faults {
            latency_ms: Some(Delay::Uniform { min: 0, max: 1000 }),
            seed: Some(4),
            ..Faults::default()
        });
        let mut rng = rng_for(Some(4));
        for _ in 0..20 {
            let expected = Duration::from_millis(rng.random_range(0..=1000));
            let decision = injector.decide("GET", "/v1/calls", None, None);
            assert_eq!(
                decision,
                Decision {
                    latency: expected,
                    fault: None
                }
            );
        }
    }

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
        assert_eq!(injector.decide("GET", "/v1/calls", None, None).fault, None);
        injector.set(at(f64::min(draw * (1.0 + 1e-12), 1.0)));
        assert!(
            injector
                .decide("GET", "/v1/calls", None, None)
                .fault
                .is_some()
        );
        // The bounds: 0 never fails, 1 always does.
        injector.set(at(0.0));
        assert!((0..200).all(|_| {
            injector
                .decide("GET", "/v1/calls", None, None)
                .fault
                .is_none()
        }));
        injector.set(at(1.0));
        assert!((0..200).all(|_| {
            injector
                .decide("GET", "/v1/calls", None, None)
                .fault
                .is_some()
        }));
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

    #[test]
    fn the_same_seed_gives_the_same_decisions() {
        let decisions = |seed| {
            let injector = FaultInjector::default();
            injector.set(Faults {
                latency_ms: Some(Delay::Uniform { min: 0, max: 1000 }),
                error_rate: 0.5,
                seed: Some(seed),
                ..Faults::default()
            });
            (0..50)
                .map(|_| injector.decide("GET", "/v1/calls", None, None))
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
    fn a_keys_own_faults_decide_its_requests_and_no_one_elses() {
        let injector = FaultInjector::default();
        injector.set(Faults {
            latency_ms: Some(Delay::Fixed(7)),
            ..Faults::default()
        });
        injector.push_for_key("key-a", Fault::Reset.into());
        let server_wide = Decision {
            latency: Duration::from_millis(7),
            fault: None,
        };
        let decide = |key| injector.decide("GET", "/v1/calls", None, key);
        assert_eq!(decide(Some("key-b")), server_wide);
        assert_eq!(decide(None), server_wide);
        // key-a's own configuration has no latency: the server-wide one does not apply to it at all.
        assert_eq!(
            decide(Some("key-a")),
            Decision {
                latency: Duration::ZERO,
                fault: Some(Fault::Reset)
            }
        );
        assert_eq!(decide(Some("key-a")), Decision::default());
        assert_eq!(injector.for_key("key-a"), Some(Faults::default()));
        injector.clear();
        assert_eq!(injector.for_key("key-a"), Some(Faults::default()), "kept");
        assert!(injector.clear_for_key("key-a"));
        assert!(!injector.clear_for_key("key-a"));
        assert_eq!(injector.for_key("key-a"), None);
        injector.set_for_key(
            "key-a",
            Faults {
                error_rate: 1.0,
                ..Faults::default()
            },
        );
        assert!(decide(Some("key-a")).fault.is_some());
        assert_eq!(decide(None), Decision::default());
    }

    #[test]
    fn a_path_limited_fault_waits_for_its_path() {
        let injector = FaultInjector::default();
        injector.push(ScriptedFault::on_path(Fault::Reset, "/v1/call/*"));
        injector.push(Fault::Malformed.into());
        assert_eq!(
            injector.decide("GET", "/v1/calls", None, None).fault,
            Some(Fault::Malformed)
        );
        assert_eq!(injector.decide("GET", "/v1/calls", None, None).fault, None);
        assert_eq!(
            injector.decide("GET", "/v1/call/x", None, None).fault,
            Some(Fault::Reset)
        );
    }
}
