//! What a webhook property works with: [`WebhookCtx`] holds the sender, the run's settings and the payload of
//! the last failing case (the minimal one, since shrinking ends on a failing case), turns a reply into a
//! passed or failed case, and keeps shrinking within its time budget.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use openmic_fixtures::TranscriptEntry;
use proptest::strategy::Strategy;

use crate::report::clip;
use crate::runner::{
    Boundary, CaseError, Mismatch, Outcome, RunSettings, run_cases_with_boundaries,
};
use crate::webhook::payloads::{cuid, mix};
use crate::webhook::sender::{Delivery, WebhookSender, seconds};

/// A payload shown in a failure is clipped to this many characters (the curl command has all of it).
pub const SHOWN_PAYLOAD_CHARS: usize = 1_500;

/// The payload of a failing case, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPayload {
    /// The exact JSON text.
    pub body: String,
    /// How many times it was sent in a row (2 for the repeated-session property).
    pub times: u32,
    /// The timeout it was sent with.
    pub timeout: Duration,
}

/// What every webhook property gets.
pub struct WebhookCtx<'a> {
    /// The sender to the receiver.
    pub sender: &'a WebhookSender,
    /// Cases, seed and shrink steps.
    pub settings: RunSettings,
    /// Timeout of a post-call delivery.
    pub post_call_timeout: Duration,
    /// Timeout of a pre-call delivery.
    pub pre_call_timeout: Duration,
    /// How long a property may spend shrinking a failure (each step is a delivery, maybe a timeout).
    pub shrink_time: Duration,
    /// The 10,000-turn transcript, built once per run.
    pub long_transcript: &'a [TranscriptEntry],
    name: Cell<&'static str>,
    sessions: Cell<u64>,
    deliveries: Cell<u64>,
    failing: RefCell<Option<SentPayload>>,
    first_failure: Cell<Option<Instant>>,
    shrink_steps: Cell<u32>,
    shrink_cut: Cell<Option<u32>>,
}

impl<'a> WebhookCtx<'a> {
    /// A context for one run.
    pub fn new(
        sender: &'a WebhookSender,
        settings: RunSettings,
        timeouts: (Duration, Duration),
        shrink_time: Duration,
        long_transcript: &'a [TranscriptEntry],
    ) -> Self {
        Self {
            sender,
            settings,
            post_call_timeout: timeouts.0,
            pre_call_timeout: timeouts.1,
            shrink_time,
            long_transcript,
            name: Cell::new(""),
            sessions: Cell::new(0),
            deliveries: Cell::new(0),
            failing: RefCell::new(None),
            first_failure: Cell::new(None),
            shrink_steps: Cell::new(0),
            shrink_cut: Cell::new(None),
        }
    }

    /// Starts property `name`: forgets the last one's failure and counters.
    pub fn start(&self, name: &'static str) {
        self.name.set(name);
        self.sessions.set(0);
        self.deliveries.set(0);
        self.failing.replace(None);
        self.first_failure.set(None);
        self.shrink_steps.set(0);
        self.shrink_cut.set(None);
    }

    /// A `sessionId` no other case of the run has used, the same on a rerun with the same seed: receivers may
    /// keep state, so only the repeated-session property repeats one, and on purpose.
    pub fn next_session_id(&self) -> String {
        let n = self.sessions.get();
        self.sessions.set(n + 1);
        let property = self
            .name
            .get()
            .bytes()
            .fold(0u64, |h, b| mix(h ^ u64::from(b)));
        cuid(mix(self.settings.seed ^ property).wrapping_add(n))
    }

    /// Deliveries made by the current property.
    pub fn deliveries(&self) -> u64 {
        self.deliveries.get()
    }

    /// The payload of the current property's last failing case.
    pub fn failing_payload(&self) -> Option<SentPayload> {
        self.failing.borrow().clone()
    }

    /// When shrinking ran out of time, after how many steps.
    pub fn shrink_cut(&self) -> Option<u32> {
        self.shrink_cut.get()
    }

    /// Sends `body` and expects a 2xx within `timeout`; `subject` says what was sent, for the failure's first
    /// line (`a failed call's report`). `times` is how many times this body has been sent in this case.
    pub fn expect_2xx(
        &self,
        subject: &str,
        body: &str,
        timeout: Duration,
        times: u32,
    ) -> Result<Delivery, CaseError> {
        let expected = format!("HTTP 2xx within {}", seconds(timeout));
        self.deliveries.set(self.deliveries.get() + 1);
        match self.sender.deliver(body, timeout) {
            Ok(delivery) if delivery.is_success() => Ok(delivery),
            Ok(delivery) => Err(self.fail(
                format!("{subject} was answered HTTP {}", delivery.status),
                body,
                timeout,
                times,
                expected,
                delivery.describe(),
            )),
            Err(error) => Err(self.fail(
                format!("{subject} got {error}"),
                body,
                timeout,
                times,
                expected,
                error.to_string(),
            )),
        }
    }

    /// A failed case: records `body` as the failing payload and builds the mismatch, the payload clipped.
    pub fn fail(
        &self,
        rule: String,
        body: &str,
        timeout: Duration,
        times: u32,
        expected: String,
        got: String,
    ) -> CaseError {
        self.failing.replace(Some(SentPayload {
            body: body.to_string(),
            times,
            timeout,
        }));
        if self.first_failure.get().is_none() {
            self.first_failure.set(Some(Instant::now()));
        }
        let size = if body.chars().count() > SHOWN_PAYLOAD_CHARS {
            format!(" ({} bytes, clipped)", body.len())
        } else {
            String::new()
        };
        // Whole lines, so the diff has no "No newline at end of file" markers.
        let line = |text: String| {
            if text.ends_with('\n') {
                text
            } else {
                text + "\n"
            }
        };
        CaseError::fail(
            Mismatch::new(rule, line(expected), line(got))
                .with_input(format!("{}{size}", clip(body, SHOWN_PAYLOAD_CHARS))),
        )
    }

    /// Whether the case should be skipped (and pass) because shrinking has used its time: the failure kept is
    /// the smallest found so far.
    fn out_of_shrink_time(&self) -> bool {
        let Some(first) = self.first_failure.get() else {
            return false;
        };
        if self.shrink_cut.get().is_some() {
            return true;
        }
        if first.elapsed() >= self.shrink_time {
            self.shrink_cut.set(Some(self.shrink_steps.get()));
            return true;
        }
        self.shrink_steps.set(self.shrink_steps.get() + 1);
        false
    }

    /// Runs the boundary cases, then random ones from `strategy`, shrinking a failure within the time budget.
    pub fn run<S>(
        &self,
        boundaries: Vec<Boundary<S::Value>>,
        strategy: S,
        test: impl Fn(S::Value) -> Result<(), CaseError>,
    ) -> Outcome
    where
        S: Strategy,
    {
        let outcome = run_cases_with_boundaries(
            &self.settings,
            self.name.get(),
            boundaries,
            strategy,
            |value| {
                if self.out_of_shrink_time() {
                    return Ok(());
                }
                test(value)
            },
        );
        match outcome {
            Outcome::Failed(mut failure) => {
                if let Some(steps) = self.shrink_cut.get() {
                    failure.shrinking_stopped = Some(steps);
                }
                Outcome::Failed(failure)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sender() -> WebhookSender {
        // Nothing is sent: the properties here fail without a delivery.
        WebhookSender::new("http://127.0.0.1:9/hook").unwrap()
    }

    fn ctx(sender: &WebhookSender, shrink_time: Duration) -> WebhookCtx<'_> {
        seeded_ctx(sender, shrink_time, 5)
    }

    fn seeded_ctx(sender: &WebhookSender, shrink_time: Duration, seed: u64) -> WebhookCtx<'_> {
        WebhookCtx::new(
            sender,
            RunSettings {
                cases: 16,
                seed,
                max_shrink_iters: 1000,
            },
            (Duration::from_secs(1), Duration::from_secs(1)),
            shrink_time,
            &[],
        )
    }

    fn fail(ctx: &WebhookCtx<'_>, n: u32) -> CaseError {
        ctx.fail(
            format!("{n} is too big"),
            &n.to_string(),
            Duration::from_secs(1),
            1,
            "HTTP 2xx".into(),
            "HTTP 500".into(),
        )
    }

    #[test]
    fn a_property_starts_its_session_ids_afresh_so_a_rerun_of_it_alone_sends_the_same() {
        let sender = sender();
        let ctx = ctx(&sender, Duration::from_secs(1));
        ctx.start("post_call_failed");
        let first = [ctx.next_session_id(), ctx.next_session_id()];
        assert_ne!(first[0], first[1]);
        ctx.start("post_call_reasons");
        let other = ctx.next_session_id();
        assert!(!first.contains(&other));
        ctx.start("post_call_failed");
        assert_eq!([ctx.next_session_id(), ctx.next_session_id()], first);
    }

    #[test]
    fn each_seed_and_each_property_draws_its_own_session_ids() {
        let sender = sender();
        let mut firsts = std::collections::BTreeSet::new();
        for seed in 0..8 {
            let ctx = seeded_ctx(&sender, Duration::from_secs(1), seed);
            for property in ["post_call_failed", "post_call_reasons", "pre_call_reply"] {
                ctx.start(property);
                firsts.insert(ctx.next_session_id());
            }
        }
        assert_eq!(firsts.len(), 24, "{firsts:?}");
    }

    #[test]
    fn shrinking_is_cut_at_the_time_budget_and_the_next_property_gets_its_own() {
        let sender = sender();
        let ctx = ctx(&sender, Duration::from_millis(50));
        ctx.start("slow");
        let slow = ctx.run(Vec::new(), 0u32..1000, |n| {
            std::thread::sleep(Duration::from_millis(30));
            Err(fail(&ctx, n))
        });
        let Outcome::Failed(failure) = slow else {
            panic!("{slow:?}");
        };
        let steps = failure.shrinking_stopped.expect("cut");
        assert!((1..=2).contains(&steps), "{steps}");
        assert_eq!(ctx.shrink_cut(), Some(steps));
        ctx.start("fast");
        assert_eq!(ctx.failing_payload(), None);
        let fast = ctx.run(Vec::new(), 0u32..1000, |n| {
            if n >= 10 { Err(fail(&ctx, n)) } else { Ok(()) }
        });
        let Outcome::Failed(failure) = fast else {
            panic!("{fast:?}");
        };
        assert_eq!(failure.shrinking_stopped, None);
        assert_eq!(failure.mismatch.rule, "10 is too big");
        let payload = ctx.failing_payload().unwrap();
        assert_eq!(
            payload.body, "10",
            "the last failing case is the minimal one"
        );
        assert_eq!(ctx.deliveries(), 0);
    }

    #[test]
    fn a_failure_shows_the_payload_clipped_by_characters_with_its_size() {
        let sender = sender();
        let ctx = ctx(&sender, Duration::from_secs(1));
        let short = "é".repeat(SHOWN_PAYLOAD_CHARS);
        let long = "é".repeat(SHOWN_PAYLOAD_CHARS + 1);
        for (body, shown) in [
            (&short, short.clone()),
            (&long, format!("{short}... ({} bytes, clipped)", long.len())),
        ] {
            let CaseError::Fail(mismatch) = ctx.fail(
                "r".into(),
                body,
                Duration::from_secs(1),
                1,
                "a".into(),
                "b\n".into(),
            ) else {
                panic!("a failure");
            };
            assert_eq!(mismatch.input.as_deref(), Some(shown.as_str()));
            assert_eq!(
                (mismatch.expected.as_str(), mismatch.got.as_str()),
                ("a\n", "b\n")
            );
        }
    }
}
