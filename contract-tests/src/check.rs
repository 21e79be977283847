//! Running one property: a seeded proptest runner, the request budget, and the minimal failing request.
//!
//! A property's test closure sends requests and returns [`CaseError::Fail`] with a [`Mismatch`] (the request,
//! the rule, expected and got) when the target breaks the contract. proptest shrinks the generated input; the
//! last mismatch recorded is the one of the minimal failing input, since shrinking ends on a failing case.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::Value;

use crate::client::{Client, ClientError, Request, Response};
use crate::dataset::Dataset;

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

/// What every property gets.
pub struct Ctx<'a> {
    /// The client (budget, rate limit).
    pub client: &'a Client,
    /// What listing the target taught.
    pub data: &'a Dataset,
    /// Cases per property.
    pub cases: u32,
    /// The run's seed.
    pub seed: u64,
    /// At most this many shrink steps (each costs requests).
    pub max_shrink_iters: u32,
}

impl Ctx<'_> {
    /// Sends `request`; the budget running out becomes [`CaseError::Budget`], a transport failure a mismatch.
    pub fn send(&self, request: &Request) -> Result<Response, CaseError> {
        self.client.send(request).map_err(|e| match e {
            ClientError::BudgetExhausted => CaseError::Budget,
            other => CaseError::mismatch(request, other.to_string(), "an HTTP response", "none"),
        })
    }

    /// Sends `request` and expects `status` with exactly `expected` as the JSON body.
    pub fn expect_body(
        &self,
        request: &Request,
        rule: &str,
        status: u16,
        expected: &Value,
    ) -> Result<Value, CaseError> {
        let response = self.send(request)?;
        let got = response.json();
        if response.status == status && got.as_ref() == Some(expected) {
            return Ok(expected.clone());
        }
        let got_text = match &got {
            Some(value) => render(value, Some(expected)),
            None => response.text(),
        };
        Err(CaseError::mismatch(
            request,
            rule,
            format!("HTTP {status}\n{}", render(expected, got.as_ref())),
            format!("HTTP {}\n{got_text}", response.status),
        ))
    }
}

/// A body as text for a diff. A List Calls page is shown as `pagination` plus one `call_id start_timestamp`
/// line per call, so the diff names the calls, unless the other side lists the same calls: then the pretty
/// JSON, so the diff shows the field that differs.
pub fn render(value: &Value, other: Option<&Value>) -> String {
    let summary = |v: &Value| -> Option<String> {
        let calls = v.get("calls")?.as_array()?;
        let mut lines = vec![format!("pagination: {}", v.get("pagination")?)];
        lines.extend(calls.iter().map(|c| {
            format!(
                "{} {}",
                c["call_id"].as_str().unwrap_or("<no call_id>"),
                c.get("start_timestamp")
                    .map_or("-".to_string(), ToString::to_string)
            )
        }));
        Some(lines.join("\n") + "\n")
    };
    let pretty = || serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    match (summary(value), other.and_then(summary)) {
        (Some(mine), Some(theirs)) if mine == theirs => pretty(),
        (Some(mine), _) => mine,
        (None, _) => pretty(),
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
    /// At most this many shrink steps.
    pub max_shrink_iters: u32,
}

/// Runs `test` on inputs from `strategy` with the property's seed; shrinks a failure to a minimal input.
pub fn run_property<S>(
    ctx: &Ctx<'_>,
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), CaseError>,
) -> Outcome
where
    S: Strategy,
    S::Value: Debug,
{
    let settings = RunSettings {
        cases: ctx.cases,
        seed: ctx.seed,
        max_shrink_iters: ctx.max_shrink_iters,
    };
    run_cases(&settings, name, strategy, test)
}

/// The runner behind [`run_property`], without a server suite's context: the client suite uses it too, so
/// both report failures, budgets and shrunk inputs the same way.
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
