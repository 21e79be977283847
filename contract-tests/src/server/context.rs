//! What a server property works with: [`Ctx`] holds the kit's HTTP client and the listed data, and turns
//! transport errors and a spent budget into case outcomes; [`run_property`] runs a property's cases with the
//! suite's settings.

use std::cell::RefCell;
use std::fmt::Debug;

use proptest::strategy::Strategy;
use serde_json::Value;

use crate::http::{HttpClient, HttpError, Request, Response};
use crate::report::render;
use crate::runner::{
    Boundary, CaseError, Outcome, RunSettings, run_cases, run_cases_with_boundaries,
};
use crate::server::dataset::Dataset;

/// What every property gets.
pub struct Ctx<'a> {
    /// The client (budget, rate limit).
    pub client: &'a HttpClient,
    /// What listing the target taught.
    pub data: &'a Dataset,
    /// Cases per property.
    pub cases: u32,
    /// The run's seed.
    pub seed: u64,
    /// At most this many shrink steps (each costs requests).
    pub max_shrink_iters: u32,
    /// Server errors that passed when the request was repeated, one line each, for the current property.
    pub flaky: RefCell<Vec<String>>,
    /// Why calls may not be created on this target (`--allow-create`), for a write property that places one.
    pub create_refusal: Option<&'static str>,
}

impl Ctx<'_> {
    /// Sends `request`; the budget running out becomes `CaseError::Budget`, a transport failure a mismatch.
    /// A 5xx is sent once more: a server error that passes on repeat is recorded as flaky (a live API has bad
    /// seconds; that is not a contract breach) and the repeat's answer is checked instead. The repeat of a
    /// `POST` counts against the client's write cap like the first (the first may have created a call too).
    pub fn send(&self, request: &Request) -> Result<Response, CaseError> {
        let response = self.send_once(request)?;
        if response.status < 500 {
            return Ok(response);
        }
        let again = self.send_once(request)?;
        if again.status < 500 {
            self.flaky.borrow_mut().push(format!(
                "{} once, passed on repeat: {}",
                response.status,
                request.line()
            ));
        }
        Ok(again)
    }

    /// Sends a request that puts back what a write property changed, once: within the property's share while
    /// it lasts, then past it (the suite keeps a reserve in the budget for that).
    pub fn send_cleanup(&self, request: &Request) -> Result<Response, CaseError> {
        let sent = self.client.send(request).or_else(|e| match e {
            HttpError::BudgetExhausted => self.client.send_beyond_share(request),
            other => Err(other),
        });
        sent.map_err(|e| match e {
            HttpError::BudgetExhausted => CaseError::Budget,
            other => CaseError::mismatch(request, other.to_string(), "an HTTP response", "none"),
        })
    }

    fn send_once(&self, request: &Request) -> Result<Response, CaseError> {
        self.client.send(request).map_err(|e| match e {
            HttpError::BudgetExhausted => CaseError::Budget,
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

/// [`run_property`] with boundary cases run first on every run (see [`run_cases_with_boundaries`]).
pub fn run_property_with_boundaries<S>(
    ctx: &Ctx<'_>,
    name: &str,
    boundaries: Vec<Boundary<S::Value>>,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), CaseError>,
) -> Outcome
where
    S: Strategy,
{
    let settings = RunSettings {
        cases: ctx.cases,
        seed: ctx.seed,
        max_shrink_iters: ctx.max_shrink_iters,
    };
    run_cases_with_boundaries(&settings, name, boundaries, strategy, test)
}
