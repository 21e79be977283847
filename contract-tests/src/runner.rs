//! Running one property, for either suite: a seeded proptest runner, the request budget, and the minimal
//! failure.
//!
//! A property's test closure returns [`CaseError::Fail`] with a [`Mismatch`] (the rule, the request, expected
//! and got) when the side under test breaks the contract, or [`CaseError::Budget`] when the request budget ran
//! out. proptest shrinks the generated input; the last mismatch recorded is the one of the minimal failing
//! input, since shrinking ends on a failing case.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::http::Request;

/// Where a target broke the contract.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The rule, in words.
    pub rule: String,
    /// The request that showed it (the last one sent, for checks that send several).
    pub request: Option<Request>,
    /// What the contract says, as text.
    pub expected: String,
    /// What the target answered, as text.
    pub got: String,
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
            rule: rule.into(),
            request: Some(request.clone()),
            expected: expected.into(),
            got: got.into(),
        }))
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
    /// The minimal generated input, as proptest shows it.
    pub input: String,
    /// The seed that replays it (with the same data on the target).
    pub seed: u64,
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
    /// At most this many shrink steps.
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
    S::Value: Debug,
{
    let config = Config {
        cases: settings.cases,
        failure_persistence: None,
        max_shrink_iters: settings.max_shrink_iters,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(settings.seed, name));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let ran = Cell::new(0u32);
    let out_of_budget = Cell::new(false);
    let last = RefCell::new(None);
    let result = runner.run(&strategy, |value| {
        if out_of_budget.get() {
            return Ok(());
        }
        match test(value) {
            Ok(()) => {
                ran.set(ran.get() + 1);
                Ok(())
            }
            Err(CaseError::Budget) => {
                out_of_budget.set(true);
                Ok(())
            }
            Err(CaseError::Fail(mismatch)) => {
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
        Err(TestError::Fail(reason, input)) => {
            let mismatch = last.borrow_mut().take().unwrap_or(Mismatch {
                rule: reason.to_string(),
                request: None,
                expected: String::new(),
                got: String::new(),
            });
            Outcome::Failed(Box::new(Failure {
                mismatch,
                input: format!("{input:?}"),
                seed: settings.seed,
            }))
        }
        Err(TestError::Abort(reason)) => Outcome::Failed(Box::new(Failure {
            mismatch: Mismatch {
                rule: format!("the property aborted: {reason}"),
                request: None,
                expected: String::new(),
                got: String::new(),
            },
            input: String::new(),
            seed: settings.seed,
        })),
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
