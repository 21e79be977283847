//! Deciding, request by request, what the fault model does to an API request: which scripted fault in the
//! `next` queue matches it and answers, the seeded random draws for latency and errors (in request order, so a
//! seed replays), and the per-API-key configurations that decide a tenant's requests in place of the
//! server-wide one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::model::{Delay, Fault, Faults, ScriptedFault};

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
