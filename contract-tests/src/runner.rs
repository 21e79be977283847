//! Running one property, for either suite: a seeded proptest runner, the request budget, and the minimal
//! failure.
//!
//! A property's test closure returns [`CaseError::Fail`] with a [`Mismatch`] (the rule, the request, expected
//! and got) when the side under test breaks the contract, or [`CaseError::Budget`] when the request budget ran
//! out. proptest shrinks the generated input; the last mismatch recorded is the one of the minimal failing
//! input, since shrinking ends on a failing case.

use std::cell::{Cell, RefCell};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::http::Request;

/// Where the side under test broke the contract.
#[derive(Debug, Clone, Default)]
pub struct Mismatch {
    /// The rule, in words; for a pagination failure, one sentence on what went wrong.
    pub rule: String,
    /// The request that showed it (the last one sent, for checks that send several).
    pub request: Option<Request>,
    /// The generated input in the user's terms (a query string, the data it ran on), when the request alone
    /// does not say it.
    pub input: Option<String>,
    /// What else a reader needs before the diff, such as the requests a client made, one per line.
    pub detail: Option<String>,
    /// The boundary case that showed it, when it was one (see [`Boundary`]).
    pub boundary: Option<String>,
    /// What the contract says, as text.
    pub expected: String,
    /// What the side under test answered, as text.
    pub got: String,
}

impl Mismatch {
    /// A mismatch without a request.
    pub fn new(
        rule: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.into(),
            expected: expected.into(),
            got: got.into(),
            ..Self::default()
        }
    }

    /// The same, with the generated input described in the user's terms.
    #[must_use]
    pub fn with_input(mut self, input: impl Into<String>) -> Self {
        self.input = Some(input.into());
        self
    }

    /// The same, with lines to show between the rule and the diff.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Why a case stopped.
#[derive(Debug)]
pub enum CaseError {
    /// The budget (or this property's share of it) ran out: the case counts as not run.
    Budget,
    /// The target broke the contract.
    Fail(Box<Mismatch>),
}

impl CaseError {
    /// A mismatch for `request`.
    pub fn mismatch(
        request: &Request,
        rule: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        CaseError::Fail(Box::new(Mismatch {
            request: Some(request.clone()),
            ..Mismatch::new(rule, expected, got)
        }))
    }

    /// The same error, with the generated input described in the user's terms when it is a failure.
    #[must_use]
    pub fn with_input(self, input: impl FnOnce() -> String) -> Self {
        match self {
            CaseError::Fail(mismatch) => CaseError::Fail(Box::new(mismatch.with_input(input()))),
            budget => budget,
        }
    }

    /// The same error, with lines to show before the diff when it is a failure.
    #[must_use]
    pub fn with_detail(self, detail: String) -> Self {
        match self {
            CaseError::Fail(mismatch) => CaseError::Fail(Box::new(mismatch.with_detail(detail))),
            budget => budget,
        }
    }

    /// `mismatch` as a failed case.
    pub fn fail(mismatch: Mismatch) -> Self {
        CaseError::Fail(Box::new(mismatch))
    }
}

/// What a property's run came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every case held.
    Passed {
        /// Cases run (shrinking excluded).
        cases: u32,
        /// Said when the budget cut the run short.
        note: Option<String>,
    },
    /// A case failed; this is the minimal one.
    Failed(Box<Failure>),
    /// Nothing was checked (no budget, no data).
    Skipped(String),
}

/// A failed property, ready to report.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The mismatch of the minimal failing input.
    pub mismatch: Mismatch,
    /// Set when shrinking was cut off after this many steps: the input shown may not be the smallest.
    pub shrinking_stopped: Option<u32>,
    /// The seed that replays it (with the same data on the target).
    pub seed: u64,
}

impl Failure {
    /// A failure found without generated input (a fixed scenario, a shape check).
    pub fn fixed(mismatch: Mismatch, seed: u64) -> Self {
        Self {
            mismatch,
            shrinking_stopped: None,
            seed,
        }
    }
}

/// 32 seed bytes for one property: the run's seed mixed with the property's name, so `--property` replays
/// the same cases.
fn seed_bytes(seed: u64, name: &str) -> [u8; 32] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        // splitmix64 steps
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15 ^ i as u64);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}

/// How many cases to run, from which seed, and how hard to shrink: what [`run_cases`] needs from a suite.
#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    /// Cases per property.
    pub cases: u32,
    /// The run's seed.
    pub seed: u64,
    /// At most this many shrink steps (each may cost requests); the report says when shrinking stopped there.
    pub max_shrink_iters: u32,
}

/// Runs `test` on inputs from `strategy`, seeded by the run's seed and the property's name, and shrinks a
/// failure to a minimal input. Both suites run their properties through it, so both report failures,
/// budgets and shrunk inputs the same way.
pub fn run_cases<S>(
    settings: &RunSettings,
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), CaseError>,
) -> Outcome
where
    S: Strategy,
{
    // proptest's own shrink limit prints its internal text to stderr; the kit counts steps itself instead and,
    // past its limit, answers every further shrink candidate as passing, which ends shrinking at once. proptest
    // reads `u32::MAX` as "4 x cases", not as no limit: one less is none.
    let config = Config {
        cases: settings.cases,
        failure_persistence: None,
        max_shrink_iters: u32::MAX - 1,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(settings.seed, name));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let ran = Cell::new(0u32);
    let out_of_budget = Cell::new(false);
    let failed = Cell::new(false);
    let shrink_steps = Cell::new(0u32);
    let shrinking_stopped = Cell::new(false);
    let last = RefCell::new(None);
    let result = runner.run(&strategy, |value| {
        if out_of_budget.get() || shrinking_stopped.get() {
            return Ok(());
        }
        if failed.get() {
            if shrink_steps.get() >= settings.max_shrink_iters {
                shrinking_stopped.set(true);
                return Ok(());
            }
            shrink_steps.set(shrink_steps.get() + 1);
        }
        match test(value) {
            Ok(()) => {
                if !failed.get() {
                    ran.set(ran.get() + 1);
                }
                Ok(())
            }
            Err(CaseError::Budget) => {
                out_of_budget.set(true);
                Ok(())
            }
            Err(CaseError::Fail(mismatch)) => {
                failed.set(true);
                let rule = mismatch.rule.clone();
                *last.borrow_mut() = Some(*mismatch);
                Err(TestCaseError::fail(rule))
            }
        }
    });
    match result {
        Ok(()) if ran.get() == 0 => Outcome::Skipped("no request budget left".into()),
        Ok(()) => Outcome::Passed {
            cases: ran.get(),
            note: out_of_budget
                .get()
                .then(|| format!("budget reached after {} cases", ran.get())),
        },
        Err(TestError::Fail(reason, _)) => {
            let mismatch = last
                .borrow_mut()
                .take()
                .unwrap_or_else(|| Mismatch::new(reason.to_string(), "", ""));
            Outcome::Failed(Box::new(Failure {
                mismatch,
                shrinking_stopped: shrinking_stopped.get().then(|| shrink_steps.get()),
                seed: settings.seed,
            }))
        }
        Err(TestError::Abort(reason)) => Outcome::Failed(Box::new(Failure::fixed(
            Mismatch::new(format!("the property aborted: {reason}"), "", ""),
            settings.seed,
        ))),
    }
}

/// One case chosen on purpose, not drawn: where off-by-one bugs live (the last page, one millisecond past a
/// bound). `what` says which boundary, for the report.
#[derive(Debug, Clone)]
pub struct Boundary<V> {
    /// The boundary, in words: `a page ending 1 call before the end of the 300 matches`.
    pub what: String,
    /// The input, in the property's own terms, so the same test runs it.
    pub value: V,
}

/// Runs every boundary case first, then spends the rest of `settings.cases` on random cases with
/// [`run_cases`]. Random limits and offsets rarely land where off-by-one bugs live, so a property that has
/// boundaries checks them on every run, whatever the seed. A failing boundary is reported as is: it is already
/// the smallest input that shows the bug.
pub fn run_cases_with_boundaries<S>(
    settings: &RunSettings,
    name: &str,
    boundaries: Vec<Boundary<S::Value>>,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), CaseError>,
) -> Outcome
where
    S: Strategy,
{
    let fixed = boundaries.len() as u32;
    for (ran, boundary) in boundaries.into_iter().enumerate() {
        match test(boundary.value) {
            Ok(()) => {}
            Err(CaseError::Budget) if ran == 0 => {
                return Outcome::Skipped("no request budget left".into());
            }
            Err(CaseError::Budget) => {
                return Outcome::Passed {
                    cases: ran as u32,
                    note: Some(format!("budget reached after {ran} boundary cases")),
                };
            }
            Err(CaseError::Fail(mismatch)) => {
                let mut mismatch = *mismatch;
                mismatch.boundary = Some(boundary.what);
                return Outcome::Failed(Box::new(Failure::fixed(mismatch, settings.seed)));
            }
        }
    }
    let random = settings.cases.saturating_sub(fixed);
    if random == 0 {
        return Outcome::Passed {
            cases: fixed,
            note: None,
        };
    }
    let rest = RunSettings {
        cases: random,
        ..*settings
    };
    match run_cases(&rest, name, strategy, test) {
        Outcome::Passed { cases, note } => Outcome::Passed {
            cases: fixed + cases,
            note,
        },
        Outcome::Skipped(_) => Outcome::Passed {
            cases: fixed,
            note: Some(format!("budget reached after {fixed} boundary cases")),
        },
        failed => failed,
    }
}

/// How many outcomes are passes; shared by the server and client reports.
pub fn count_passed<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> usize {
    outcomes
        .filter(|o| matches!(o, Outcome::Passed { .. }))
        .count()
}

/// The names whose outcome is a failure, in run order.
pub fn failed_names<'a>(
    results: impl Iterator<Item = (&'static str, &'a Outcome)>,
) -> Vec<&'static str> {
    results
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .map(|(name, _)| name)
        .collect()
}

/// The failure of the property called `name`, if it failed.
pub fn failure_of<'a>(
    mut results: impl Iterator<Item = (&'static str, &'a Outcome)>,
    name: &str,
) -> Option<&'a Failure> {
    results.find_map(|(n, outcome)| match outcome {
        Outcome::Failed(f) if n == name => Some(f.as_ref()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The inputs a passing run of `name` draws with `seed`.
    fn drawn(seed: u64, name: &str) -> Vec<u64> {
        let settings = RunSettings {
            cases: 8,
            seed,
            max_shrink_iters: 0,
        };
        let seen = RefCell::new(Vec::new());
        let outcome = run_cases(&settings, name, any::<u64>(), |n| {
            seen.borrow_mut().push(n);
            Ok(())
        });
        assert!(matches!(outcome, Outcome::Passed { .. }), "{outcome:?}");
        seen.into_inner()
    }

    #[test]
    fn a_seed_replays_its_cases_and_another_seed_or_property_draws_others() {
        let first = drawn(3, "listing");
        assert_eq!(first.len(), 8);
        assert_eq!(
            drawn(3, "listing"),
            first,
            "the same seed and property replay the same cases"
        );
        assert_ne!(
            drawn(3, "paging"),
            first,
            "another property draws other cases"
        );
        // Seeds 0-7, the ones a user tries first, each draw their own cases.
        let by_seed: Vec<Vec<u64>> = (0..8).map(|seed| drawn(seed, "listing")).collect();
        for (i, a) in by_seed.iter().enumerate() {
            for (j, b) in by_seed.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "seeds {i} and {j} drew the same cases");
            }
        }
    }

    #[test]
    fn a_run_whose_budget_ends_before_its_first_case_is_skipped_and_one_cut_later_passes_with_a_note()
     {
        let settings = RunSettings {
            cases: 8,
            seed: 1,
            max_shrink_iters: 0,
        };
        let outcome = run_cases(&settings, "listing", any::<u64>(), |_| {
            Err(CaseError::Budget)
        });
        assert!(
            matches!(&outcome, Outcome::Skipped(why) if why == "no request budget left"),
            "{outcome:?}"
        );
        let ran = Cell::new(0);
        let outcome = run_cases(&settings, "listing", any::<u64>(), |_| {
            ran.set(ran.get() + 1);
            if ran.get() > 3 {
                Err(CaseError::Budget)
            } else {
                Ok(())
            }
        });
        assert!(
            matches!(&outcome, Outcome::Passed { cases: 3, note: Some(note) } if note == "budget reached after 3 cases"),
            "{outcome:?}"
        );
    }

    #[test]
    fn the_failure_of_a_property_is_its_own_not_the_first_one_found() {
        let failed =
            |rule: &str| Outcome::Failed(Box::new(Failure::fixed(Mismatch::new(rule, "", ""), 0)));
        let results = [
            (
                "a",
                Outcome::Passed {
                    cases: 1,
                    note: None,
                },
            ),
            ("b", failed("rule b")),
            ("c", failed("rule c")),
        ];
        let of = |name: &str| {
            failure_of(results.iter().map(|(n, o)| (*n, o)), name).map(|f| f.mismatch.rule.clone())
        };
        assert_eq!(of("c").as_deref(), Some("rule c"));
        assert_eq!(of("b").as_deref(), Some("rule b"));
        assert_eq!(of("a"), None);
        assert_eq!(of("d"), None);
    }

    #[test]
    fn shrinking_stops_at_the_kits_limit_and_the_failure_says_so() {
        let settings = RunSettings {
            cases: 8,
            seed: 1,
            max_shrink_iters: 5,
        };
        let calls = Cell::new(0u32);
        let outcome = run_cases(
            &settings,
            "always_fails",
            proptest::collection::vec(any::<u32>(), 50..100),
            |_| {
                calls.set(calls.get() + 1);
                Err(CaseError::fail(Mismatch::new("always", "a", "b")))
            },
        );
        let Outcome::Failed(failure) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(failure.shrinking_stopped, Some(5));
        assert_eq!(calls.get(), 6, "the first failure and five shrink steps");
        assert_eq!(failure.mismatch.rule, "always");
    }

    #[test]
    fn a_failure_that_shrinks_fully_does_not_say_shrinking_stopped() {
        let settings = RunSettings {
            cases: 8,
            seed: 1,
            max_shrink_iters: 1000,
        };
        let outcome = run_cases(&settings, "big_numbers", 0u32..1000, |n| {
            if n >= 10 {
                Err(CaseError::fail(
                    Mismatch::new("too big", "", "").with_input(n.to_string()),
                ))
            } else {
                Ok(())
            }
        });
        let Outcome::Failed(failure) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(failure.shrinking_stopped, None);
        assert_eq!(failure.mismatch.input.as_deref(), Some("10"));
    }

    #[test]
    fn shrinking_is_not_limited_by_the_number_of_cases() {
        // One case: proptest's default limit would be 4 shrink steps, too few to get from a random number
        // down to 10.
        let settings = RunSettings {
            cases: 1,
            seed: 2,
            max_shrink_iters: 1000,
        };
        let outcome = run_cases(&settings, "one_case", 1000u32..1_000_000, |n| {
            Err(CaseError::fail(
                Mismatch::new("always", "", "").with_input(n.to_string()),
            ))
        });
        let Outcome::Failed(failure) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(failure.shrinking_stopped, None);
        assert_eq!(failure.mismatch.input.as_deref(), Some("1000"));
    }

    #[test]
    fn boundary_cases_run_first_on_every_seed_and_a_failing_one_is_named() {
        for seed in 0..20 {
            let settings = RunSettings {
                cases: 32,
                seed,
                max_shrink_iters: 100,
            };
            let boundaries = vec![
                Boundary {
                    what: "the smallest".into(),
                    value: 0u32,
                },
                Boundary {
                    what: "exactly at the edge".into(),
                    value: 999_999,
                },
            ];
            let outcome =
                run_cases_with_boundaries(&settings, "edge", boundaries, 0u32..1_000_000, |n| {
                    if n == 999_999 {
                        Err(CaseError::fail(Mismatch::new("off by one", "", "")))
                    } else {
                        Ok(())
                    }
                });
            let Outcome::Failed(failure) = outcome else {
                panic!("seed {seed}: {outcome:?}");
            };
            assert_eq!(
                failure.mismatch.boundary.as_deref(),
                Some("exactly at the edge")
            );
        }
    }

    #[test]
    fn boundary_cases_count_towards_the_cases_of_a_passing_run() {
        let settings = RunSettings {
            cases: 10,
            seed: 3,
            max_shrink_iters: 100,
        };
        let boundaries = (0..4)
            .map(|value| Boundary {
                what: value.to_string(),
                value,
            })
            .collect();
        let outcome =
            run_cases_with_boundaries(&settings, "fine", boundaries, 0u32..10, |_| Ok(()));
        assert!(
            matches!(
                outcome,
                Outcome::Passed {
                    cases: 10,
                    note: None
                }
            ),
            "{outcome:?}"
        );
    }
}
