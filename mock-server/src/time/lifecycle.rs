//! Calls created through `POST /v1/create-phone-call`, and how each plays out on the clock.
//!
//! A created call is `registered` until its ring time has passed, then `ongoing` (a `start_timestamp`, and a
//! transcript that grows a line at a time), then `ended` or `error` when its talk time has passed. Its state is
//! a function of the clock alone ([`CreatedCall::at`]): nothing runs in the background. The data set holds each
//! call's JSON as of the last time someone looked and the time of its next change
//! ([`CreatedCall::next_change_after`]); a request that arrives after that time re-serializes the calls whose
//! state changed (see [`crate::data::sets`]).
//!
//! How a call plays out (ring and talk times, ended or failed, the conversation) is drawn from the server's seed
//! and the call's id ([`openmic_fixtures::Generator::plan`]), or taken from the next queued [`CallOutcome`] that
//! matches its `to_number` (`POST /__admin/outcomes`).

use std::collections::VecDeque;

use openmic_fixtures::{
    Call, CallPlan, CallStatus, CallType, Direction, Generator, PlanFor, PlanRanges, PreCallReply,
    TimestampMs, TranscriptEntry,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use openmic_fixtures::DISCONNECTION_REASONS;
use openmic_fixtures::is_e164;

/// How many outcomes a queue holds at most; one more is refused.
pub const MAX_QUEUED_OUTCOMES: usize = 10_000;

/// The longest ring or talk time an outcome may ask for: a day.
pub const MAX_PHASE_MS: u64 = 86_400_000;

/// How a test wants the next created call (optionally: the next one to this `to_number`) to play out. Every
/// field is optional; what is not given is drawn as usual.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOutcome {
    /// Only a call to this number takes this outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_number: Option<String>,
    /// `ended` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CallStatus>,
    /// Milliseconds from creation to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_ms: Option<u64>,
    /// Milliseconds from start to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<u64>,
    /// One of [`DISCONNECTION_REASONS`]; kept for the post-call webhook (it is not a field of the v1 call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnection_reason: Option<String>,
    /// The whole transcript of an ended call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptEntry>>,
    /// `call_analysis.is_successful` of an ended call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_successful: Option<bool>,
    /// `call_analysis.summary` of an ended call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl CallOutcome {
    /// Every rule the outcome breaks, as `field: rule`.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(number) = &self.to_number
            && !is_e164(number)
        {
            problems.push(format!(
                "to_number: must be an E.164 number such as +15551234567 (a create's to_number is), got {}",
                crate::text::shown(number)
            ));
        }
        if let Some(status) = self.status
            && !matches!(status, CallStatus::Ended | CallStatus::Error)
        {
            problems.push(format!(
                "status: must be ended or error (how a call finishes), got {status}"
            ));
        }
        for (field, value) in [("ring_ms", self.ring_ms), ("talk_ms", self.talk_ms)] {
            if value.is_some_and(|ms| ms > MAX_PHASE_MS) {
                problems.push(format!(
                    "{field}: must be at most {MAX_PHASE_MS} (a day), got {}",
                    value.unwrap_or_default()
                ));
            }
        }
        if let Some(reason) = &self.disconnection_reason
            && !DISCONNECTION_REASONS.contains(&reason.as_str())
        {
            problems.push(format!(
                "disconnection_reason: must be one of {}, got {}",
                DISCONNECTION_REASONS.join("|"),
                crate::text::shown(reason)
            ));
        }
        if self.status == Some(CallStatus::Error) {
            for (field, given) in [
                (
                    "transcript",
                    self.transcript.as_ref().is_some_and(|t| !t.is_empty()),
                ),
                ("is_successful", self.is_successful.is_some()),
                ("summary", self.summary.is_some()),
            ] {
                if given {
                    problems.push(format!(
                        "{field}: a call that ends in error has an empty transcript and no analysis"
                    ));
                }
            }
        }
        problems
    }

    fn matches(&self, to_number: &str) -> bool {
        self.to_number.as_deref().is_none_or(|n| n == to_number)
    }
}

/// Outcomes waiting for calls, in the order they were queued.
#[derive(Debug, Default, Clone)]
pub struct OutcomeQueue {
    queued: VecDeque<CallOutcome>,
}

impl OutcomeQueue {
    /// Appends outcomes; refused whole when the queue would pass [`MAX_QUEUED_OUTCOMES`].
    pub fn push(&mut self, outcomes: Vec<CallOutcome>) -> Result<usize, usize> {
        if self.queued.len() + outcomes.len() > MAX_QUEUED_OUTCOMES {
            return Err(self.queued.len());
        }
        self.queued.extend(outcomes);
        Ok(self.queued.len())
    }

    /// Takes the first outcome for a call to `to_number`.
    pub fn take_for(&mut self, to_number: &str) -> Option<CallOutcome> {
        let index = self.queued.iter().position(|o| o.matches(to_number))?;
        self.queued.remove(index)
    }

    /// The outcomes still queued, in order.
    pub fn queued(&self) -> Vec<CallOutcome> {
        self.queued.iter().cloned().collect()
    }

    /// Empties the queue; returns how many outcomes were dropped.
    pub fn clear(&mut self) -> usize {
        let dropped = self.queued.len();
        self.queued.clear();
        dropped
    }
}

/// A created call: who it is for, and how it plays out.
#[derive(Debug, Clone)]
pub struct CreatedCall {
    /// The call as created: identity fields, `registered`, without its `dynamic_variables`.
    registered: Call,
    /// Its `dynamic_variables` as compact JSON text: parsed only to show the call, since a parsed map costs
    /// about twice its text in memory, and a call's variables may be tens of KiB.
    variables: Option<Box<str>>,
    /// When it was created, Unix milliseconds on the mock's clock.
    pub created_ms: u64,
    /// When it may start ringing: its creation, or when its pre-call webhook answered; `None` while that
    /// webhook is still being asked (the call stays `registered`).
    released_ms: Option<u64>,
    /// What a pre-call reply changed, shown from `released_ms` on; until then the call shows as created, as the
    /// vendor's call has not had the reply yet.
    answered: Option<Answered>,
    /// How it plays out.
    plan: CallPlan,
    /// Why it ended (for the post-call webhook).
    pub disconnection_reason: String,
    /// The request's `callback_url`, kept for the post-call webhook.
    pub callback_url: Option<String>,
}

/// What a create request asked for, validated.
#[derive(Debug, Clone)]
pub struct CallToCreate {
    /// The fresh id.
    pub call_id: String,
    /// The account's number that calls.
    pub from_number: String,
    /// The number called.
    pub to_number: String,
    /// The agent that speaks.
    pub agent_id: String,
    /// The client's customer id, if given.
    pub customer_id: Option<String>,
    /// The prompt variables, if given.
    pub dynamic_variables: Option<serde_json::Map<String, Value>>,
    /// The callback URL, if given.
    pub callback_url: Option<String>,
    /// `outbound` for create-phone-call, `inbound` for a simulated inbound call.
    pub direction: Direction,
}

/// What a pre-call reply gave a call.
#[derive(Debug, Clone)]
struct Answered {
    /// The receiver's customer id, else the call's own.
    customer_id: Option<String>,
    /// The call's variables with the receiver's added over them, as compact JSON text.
    variables: Box<str>,
}

/// `variables` as compact JSON text.
fn variables_text(variables: &serde_json::Map<String, Value>) -> Box<str> {
    // A map of JSON values with string keys always serializes.
    serde_json::to_string(variables)
        .unwrap_or_else(|_| "{}".into())
        .into_boxed_str()
}

/// The map [`variables_text`] wrote: it parses back to the same map.
fn variables_of(text: &str) -> serde_json::Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Why a call whose pre-call webhook never answered well ends (assumed: the vendor says only that "the call
/// will terminate").
pub const PRE_CALL_FAILED_REASON: &str = "system_error";

impl CreatedCall {
    /// A call created at `created_ms`, played out as `outcome` says and as `generator` draws the rest.
    pub fn new(
        new: CallToCreate,
        created_ms: u64,
        outcome: Option<CallOutcome>,
        generator: &Generator,
    ) -> Self {
        let outcome = outcome.unwrap_or_default();
        let defaults = PlanRanges::default();
        let fixed = |value: Option<u64>, range: (u64, u64)| value.map_or(range, |v| (v, v));
        let ranges = PlanRanges {
            ring_ms: fixed(outcome.ring_ms, defaults.ring_ms),
            talk_ms: fixed(outcome.talk_ms, defaults.talk_ms),
            error_talk_ms: fixed(outcome.talk_ms, defaults.error_talk_ms),
            ended_percent: match outcome.status {
                Some(CallStatus::Ended) => 100,
                Some(CallStatus::Error) => 0,
                _ => defaults.ended_percent,
            },
        };
        let mut plan = generator.plan(
            PlanFor {
                call_id: &new.call_id,
                agent_id: &new.agent_id,
                customer_id: new.customer_id.as_deref(),
                direction: new.direction,
                created_ms,
                successful: outcome.is_successful,
            },
            ranges,
        );
        if let Some(transcript) = outcome.transcript {
            plan.transcript = transcript;
        }
        if let Some(summary) = outcome.summary {
            plan.analysis.summary = Some(summary);
        }
        let disconnection_reason = outcome.disconnection_reason.unwrap_or_else(|| {
            // Seeded by the id: which side hung up, or what failed.
            openmic_fixtures::default_disconnection_reason(&new.call_id, plan.status)
                .unwrap_or("user_ended_call")
                .to_string()
        });
        let mut registered = Call::new(
            new.call_id,
            new.agent_id,
            CallType::Phone,
            new.direction,
            CallStatus::Registered,
            new.from_number,
            new.to_number,
        );
        registered.customer_id = new.customer_id;
        CreatedCall {
            registered,
            variables: new.dynamic_variables.as_ref().map(variables_text),
            created_ms,
            released_ms: Some(created_ms),
            answered: None,
            plan,
            disconnection_reason,
            callback_url: new.callback_url,
        }
    }

    /// The call's id.
    pub fn call_id(&self) -> &str {
        &self.registered.call_id
    }

    /// The call as it is created, `registered`, without its `dynamic_variables` ([`CreatedCall::at`] has them).
    pub fn registered(&self) -> &Call {
        &self.registered
    }

    /// Its `dynamic_variables`, if it has any.
    pub fn dynamic_variables(&self) -> Option<serde_json::Map<String, Value>> {
        self.variables.as_deref().map(variables_of)
    }

    /// The same call waiting for its pre-call webhook: `registered` until [`CreatedCall::released`] or
    /// [`CreatedCall::failed_before_start`].
    pub fn held(mut self) -> Self {
        self.released_ms = None;
        self
    }

    /// Whether it waits for its pre-call webhook.
    pub fn is_held(&self) -> bool {
        self.released_ms.is_none()
    }

    /// The call once its pre-call webhook answered at `at`: it rings from then on. With a `reply` (one the
    /// vendor would use), from `at` it has the receiver's customer id (else its own) and its variables with the
    /// receiver's added over them; without one it goes ahead as it was created.
    pub fn released(&self, at: u64, reply: Option<PreCallReply>) -> Self {
        let mut call = self.clone();
        call.released_ms = Some(at);
        call.answered = reply.map(|reply| {
            let mut variables = self.dynamic_variables().unwrap_or_default();
            variables.extend(reply.dynamic_variables);
            Answered {
                customer_id: reply
                    .customer_id
                    .or_else(|| self.registered.customer_id.clone()),
                variables: variables_text(&variables),
            }
        });
        call
    }

    /// The call once its pre-call webhook failed for good at `at`: it ends there, in `error`, never having
    /// rung, with [`PRE_CALL_FAILED_REASON`].
    pub fn failed_before_start(&self, at: u64) -> Self {
        let mut call = self.clone();
        call.released_ms = Some(at);
        call.plan.status = CallStatus::Error;
        call.plan.ring_ms = 0;
        call.plan.talk_ms = 0;
        call.disconnection_reason = PRE_CALL_FAILED_REASON.to_string();
        call
    }

    /// When it starts ringing out to `ongoing` (never, while held).
    pub fn start_ms(&self) -> u64 {
        self.released_ms
            .map_or(u64::MAX, |at| at.saturating_add(self.plan.ring_ms))
    }

    /// When it ends.
    pub fn end_ms(&self) -> u64 {
        self.start_ms().saturating_add(self.plan.talk_ms)
    }

    /// How it finishes: `ended` or `error`.
    pub fn final_status(&self) -> CallStatus {
        self.plan.status
    }

    /// How many transcript lines an ongoing call shows at `now`: line `k` of `n` is said at
    /// `start + talk·k/n`, so the first is there at the start and the last before the end.
    fn lines_at(&self, now: u64) -> usize {
        let n = self.plan.transcript.len() as u128;
        if self.plan.status == CallStatus::Error || n == 0 {
            return 0;
        }
        let talk = u128::from(self.plan.talk_ms.max(1));
        let elapsed = u128::from(now.saturating_sub(self.start_ms()));
        (elapsed * n / talk + 1).min(n) as usize
    }

    /// The call as the API shows it at `now`.
    pub fn at(&self, now: u64) -> Call {
        let mut call = self.registered.clone();
        let answered = self
            .answered
            .as_ref()
            .filter(|_| self.released_ms.is_some_and(|at| now >= at));
        match answered {
            Some(answered) => {
                call.customer_id = answered.customer_id.clone();
                call.dynamic_variables = Some(variables_of(&answered.variables));
            }
            None => call.dynamic_variables = self.dynamic_variables(),
        }
        if now < self.start_ms() {
            return call;
        }
        let start = self.start_ms();
        call.start_timestamp = Some(TimestampMs(start));
        if now < self.end_ms() {
            call.call_status = CallStatus::Ongoing;
            call.transcript = Some(self.plan.transcript[..self.lines_at(now)].to_vec());
            return call;
        }
        let end = self.end_ms();
        call.call_status = self.plan.status;
        call.end_timestamp = Some(TimestampMs(end));
        call.duration_ms = Some(end - start);
        match self.plan.status {
            CallStatus::Error => call.transcript = Some(Vec::new()),
            _ => {
                call.transcript = Some(self.plan.transcript.clone());
                call.recording_url = Some(format!(
                    "https://recordings.openmic.ai/{}.mp3",
                    call.call_id
                ));
                call.latency = Some(self.plan.latency.clone());
                call.call_analysis = Some(self.plan.analysis.clone());
                call.call_cost = Some(self.plan.cost.clone());
            }
        }
        call
    }

    /// The first time after `now` at which [`CreatedCall::at`] shows something new; `None` once it has ended.
    pub fn next_change_after(&self, now: u64) -> Option<u64> {
        if self.is_held() {
            return None;
        }
        let (start, end) = (self.start_ms(), self.end_ms());
        if let Some(at) = self.released_ms.filter(|_| self.answered.is_some())
            && now < at
        {
            return Some(at);
        }
        if now < start {
            return Some(start);
        }
        if now >= end {
            return None;
        }
        let shown = self.lines_at(now) as u128;
        let n = self.plan.transcript.len() as u128;
        if self.plan.status == CallStatus::Error || shown >= n {
            return Some(end);
        }
        // Line `shown` is said at start + ceil(talk·shown/n).
        let talk = u128::from(self.plan.talk_ms.max(1));
        let next = u128::from(start) + (talk * shown).div_ceil(n);
        Some((next as u64).clamp(now + 1, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_create() -> CallToCreate {
        CallToCreate {
            call_id: "cnew000000000000000000001".into(),
            from_number: "+15550000001".into(),
            to_number: "+15550000002".into(),
            agent_id: "agent".into(),
            customer_id: Some("cus_1".into()),
            dynamic_variables: None,
            callback_url: None,
            direction: Direction::Outbound,
        }
    }

    fn created(outcome: CallOutcome) -> CreatedCall {
        CreatedCall::new(to_create(), 1_000_000, Some(outcome), &Generator::new(7))
    }

    #[test]
    fn a_call_rings_talks_and_ends_on_the_clock() {
        let call = created(CallOutcome {
            status: Some(CallStatus::Ended),
            ring_ms: Some(5_000),
            talk_ms: Some(60_000),
            ..CallOutcome::default()
        });
        assert_eq!(call.at(1_004_999).call_status, CallStatus::Registered);
        assert_eq!(call.next_change_after(1_000_000), Some(1_005_000));
        let ongoing = call.at(1_005_000);
        assert_eq!(ongoing.call_status, CallStatus::Ongoing);
        assert_eq!(ongoing.start_timestamp, Some(TimestampMs(1_005_000)));
        assert_eq!(ongoing.transcript.as_ref().map(Vec::len), Some(1));
        let ended = call.at(1_065_000);
        assert_eq!(ended.call_status, CallStatus::Ended);
        assert_eq!(ended.duration_ms, Some(60_000));
        assert!(ended.call_cost.is_some() && ended.call_analysis.is_some());
        assert_eq!(call.next_change_after(1_065_000), None);
    }

    #[test]
    fn the_transcript_grows_at_each_change_and_only_then() {
        let call = created(CallOutcome {
            status: Some(CallStatus::Ended),
            ring_ms: Some(0),
            talk_ms: Some(100_000),
            ..CallOutcome::default()
        });
        let full = call.at(call.end_ms()).transcript.unwrap();
        let mut now = call.start_ms();
        let mut seen = vec![call.at(now).transcript.unwrap().len()];
        while let Some(next) = call.next_change_after(now) {
            assert!(next > now);
            assert_eq!(
                call.at(next - 1).transcript.map(|t| t.len()),
                call.at(now).transcript.map(|t| t.len()),
                "nothing changes before the next change"
            );
            now = next;
            seen.push(call.at(now).transcript.unwrap().len());
        }
        let want: Vec<usize> = (1..=full.len()).chain([full.len()]).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_held_call_waits_registered_until_released_or_failed() {
        let call = created(CallOutcome {
            status: Some(CallStatus::Ended),
            ring_ms: Some(5_000),
            talk_ms: Some(60_000),
            ..CallOutcome::default()
        })
        .held();
        assert!(call.is_held());
        assert_eq!(call.next_change_after(1_000_000), None);
        assert_eq!(call.at(u64::MAX - 1).call_status, CallStatus::Registered);
        let mut variables = serde_json::Map::new();
        variables.insert("tier".into(), Value::from("gold"));
        let reply = |customer_id: Option<&str>, variables: &serde_json::Map<String, Value>| {
            Some(PreCallReply {
                customer_id: customer_id.map(str::to_string),
                dynamic_variables: variables.clone(),
            })
        };
        let released = call.released(2_000_000, reply(Some("cus_9"), &variables));
        assert!(!released.is_held());
        // Until the reply's time the call shows as created; the reply's values change it then.
        assert_eq!(released.next_change_after(1_999_999), Some(2_000_000));
        assert_eq!(released.at(1_999_999).customer_id.as_deref(), Some("cus_1"));
        assert_eq!(released.at(1_999_999).dynamic_variables, None);
        assert_eq!(released.at(2_000_000).customer_id.as_deref(), Some("cus_9"));
        assert_eq!(
            released.at(2_000_000).call_status,
            CallStatus::Registered,
            "answered, still ringing"
        );
        assert_eq!(released.next_change_after(2_000_000), Some(2_005_000));
        assert_eq!(released.end_ms(), 2_065_000);
        let ended = released.at(2_065_000);
        assert_eq!(ended.call_status, CallStatus::Ended);
        assert_eq!(ended.customer_id.as_deref(), Some("cus_9"));
        assert_eq!(ended.dynamic_variables, Some(variables));
        // No customer id in the reply: the call keeps its own.
        let kept = call.released(2_000_000, reply(None, &serde_json::Map::new()));
        assert_eq!(kept.at(2_000_000).customer_id.as_deref(), Some("cus_1"));
        assert_eq!(
            kept.at(2_000_000).dynamic_variables,
            Some(serde_json::Map::new())
        );
        // No reply the vendor would use: the call goes ahead as created, from that time.
        let ignored = call.released(2_000_000, None);
        assert_eq!(ignored.next_change_after(1_000_000), Some(2_005_000));
        assert_eq!(ignored.at(2_065_000).customer_id.as_deref(), Some("cus_1"));
        assert_eq!(ignored.at(2_065_000).dynamic_variables, None);
        assert_eq!(ignored.at(2_065_000).call_status, CallStatus::Ended);
        let failed = call.failed_before_start(3_000_000);
        assert_eq!(failed.next_change_after(2_999_999), Some(3_000_000));
        assert_eq!(failed.next_change_after(3_000_000), None);
        let error = failed.at(3_000_000);
        assert_eq!(error.call_status, CallStatus::Error);
        assert_eq!(error.start_timestamp, Some(TimestampMs(3_000_000)));
        assert_eq!(error.end_timestamp, Some(TimestampMs(3_000_000)));
        assert_eq!(error.transcript, Some(Vec::new()));
        assert_eq!(failed.disconnection_reason, PRE_CALL_FAILED_REASON);
    }

    #[test]
    fn its_variables_are_shown_as_created_at_every_step_and_the_reply_adds_over_them() {
        let variables: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"name":"Zoë 👋","nested":{"a":[1,2.5,null,{"b":true}]},"big":18446744073709551615,"tier":"silver"}"#,
        )
        .unwrap();
        let call = CreatedCall::new(
            CallToCreate {
                dynamic_variables: Some(variables.clone()),
                ..to_create()
            },
            1_000_000,
            None,
            &Generator::new(7),
        );
        assert_eq!(
            call.registered().dynamic_variables,
            None,
            "kept as text, not parsed"
        );
        for now in [0, call.start_ms(), call.end_ms()] {
            assert_eq!(call.at(now).dynamic_variables.as_ref(), Some(&variables));
        }
        let mut reply = serde_json::Map::new();
        reply.insert("tier".into(), Value::from("gold"));
        reply.insert("extra".into(), Value::from(1));
        let released = call.held().released(
            1_000_000,
            Some(PreCallReply {
                customer_id: None,
                dynamic_variables: reply,
            }),
        );
        let mut merged = variables.clone();
        merged.insert("tier".into(), Value::from("gold"));
        merged.insert("extra".into(), Value::from(1));
        assert_eq!(released.at(u64::MAX - 1).dynamic_variables, Some(merged));
    }

    #[test]
    fn an_error_call_has_an_empty_transcript_and_no_analysis() {
        let call = created(CallOutcome {
            status: Some(CallStatus::Error),
            ring_ms: Some(1),
            talk_ms: Some(2),
            ..CallOutcome::default()
        });
        assert_eq!(call.at(1_000_001).transcript, Some(Vec::new()));
        assert_eq!(
            call.next_change_after(1_000_001),
            Some(1_000_003),
            "nothing is said: the next change is the end"
        );
        let failed = call.at(1_000_003);
        assert_eq!(failed.call_status, CallStatus::Error);
        assert_eq!(failed.transcript, Some(Vec::new()));
        assert!(failed.call_analysis.is_none() && failed.recording_url.is_none());
        assert!(
            [
                "dial_failed",
                "dial_no_answer",
                "dial_busy",
                "network_error",
                "system_error"
            ]
            .contains(&call.disconnection_reason.as_str())
        );
    }

    #[test]
    fn outcomes_are_taken_in_order_by_matching_number() {
        let mut queue = OutcomeQueue::default();
        let to = |n: &str| CallOutcome {
            to_number: Some(n.into()),
            ..CallOutcome::default()
        };
        queue
            .push(vec![to("+1"), CallOutcome::default(), to("+2")])
            .unwrap();
        assert_eq!(queue.take_for("+2"), Some(CallOutcome::default()));
        assert_eq!(queue.take_for("+2"), Some(to("+2")));
        assert_eq!(queue.take_for("+3"), None);
        assert_eq!(queue.queued(), vec![to("+1")]);
        assert_eq!(
            queue.push(vec![CallOutcome::default(); MAX_QUEUED_OUTCOMES]),
            Err(1)
        );
        assert_eq!(
            queue.push(vec![CallOutcome::default(); MAX_QUEUED_OUTCOMES - 1]),
            Ok(MAX_QUEUED_OUTCOMES),
            "exactly full is allowed"
        );
        assert_eq!(queue.clear(), MAX_QUEUED_OUTCOMES);
        assert_eq!(queue.clear(), 0);
    }

    #[test]
    fn an_outcome_names_every_rule_it_breaks() {
        let bad = CallOutcome {
            to_number: Some("5551234567".into()),
            status: Some(CallStatus::Error),
            ring_ms: Some(MAX_PHASE_MS + 1),
            disconnection_reason: Some("hung_up".into()),
            summary: Some("x".into()),
            ..CallOutcome::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("to_number"));
        assert!(problems[1].starts_with("ring_ms"));
        assert!(problems[2].starts_with("disconnection_reason"));
        assert!(problems[3].starts_with("summary"));
        assert!(CallOutcome::default().problems().is_empty());
        let at_the_limits = CallOutcome {
            status: Some(CallStatus::Error),
            ring_ms: Some(MAX_PHASE_MS),
            talk_ms: Some(MAX_PHASE_MS),
            transcript: Some(Vec::new()),
            ..CallOutcome::default()
        };
        assert_eq!(at_the_limits.problems(), Vec::<String>::new());
    }
}
