//! The webhook properties, one function each, and the table that names them. Each varies one thing of the
//! payload and keeps the rest an ordinary connected call, so a receiver that breaks on that thing fails the
//! property named for it and, as far as the bug allows, no other.
//!
//! Every delivery must be answered 2xx within the timeout (10 s for a post-call report, 3 s for a pre-call
//! request by default: the vendor's). A pre-call reply must also be a `200` (the vendor's page: "Your webhook
//! must return a `200` status code"; it uses no other reply's variables) with `{"call": {"dynamic_variables":
//! {..}}}`, `customer_id` a string when present ([`PreCallReply::parse`], the rule the mock applies too).

use openmic_fixtures::{DISCONNECTION_REASONS, PreCallReply};
use proptest::prelude::*;

use crate::runner::{Boundary, CaseError, Outcome};
use crate::webhook::context::WebhookCtx;
use crate::webhook::payloads::{
    CallBase, Encoding, ExtractedSpec, OPTIONAL_KEYS, PreCallSpec, TranscriptSpec, call_base,
    extracted, optional_keys_named, pre_call, reason_index, report_json, turn,
    without_optional_keys,
};
use crate::webhook::sender::seconds;

/// Which webhook a property checks, and which a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// The post-call `end-of-call-report`.
    PostCall,
    /// The pre-call request and its reply.
    PreCall,
    /// Both (a run only).
    Both,
}

impl WebhookKind {
    /// As the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::PostCall => "post-call",
            WebhookKind::PreCall => "pre-call",
            WebhookKind::Both => "both",
        }
    }

    /// Whether a run of this kind runs properties of `property`'s kind.
    pub fn includes(self, property: WebhookKind) -> bool {
        self == WebhookKind::Both || self == property
    }
}

/// A named check of a receiver.
pub struct WebhookProperty {
    /// The name printed on its line and accepted by `--property`.
    pub name: &'static str,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// Post-call or pre-call.
    pub kind: WebhookKind,
    /// Runs it.
    pub run: fn(&WebhookCtx<'_>) -> Outcome,
}

impl std::fmt::Debug for WebhookProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookProperty")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every webhook property, in the order they run: post-call first.
pub const WEBHOOK_PROPERTIES: &[WebhookProperty] = &[
    WebhookProperty {
        name: "post_call_reasons",
        summary: "a connected call's report with each of the 13 documented disconnection reasons is answered 2xx",
        kind: WebhookKind::PostCall,
        run: post_call_reasons,
    },
    WebhookProperty {
        name: "post_call_failed",
        summary: "a failed call's report (empty transcript, no isSuccessful, \"Call failed: <reason>\") is answered 2xx",
        kind: WebhookKind::PostCall,
        run: post_call_failed,
    },
    WebhookProperty {
        name: "post_call_transcripts",
        summary: "empty, unicode (raw and \\u-escaped) and 10,000-turn transcripts are answered 2xx in time",
        kind: WebhookKind::PostCall,
        run: post_call_transcripts,
    },
    WebhookProperty {
        name: "post_call_extracted_data",
        summary: "extractedData null, {}, flat, nested or absent is answered 2xx",
        kind: WebhookKind::PostCall,
        run: post_call_extracted_data,
    },
    WebhookProperty {
        name: "post_call_optional_fields",
        summary: "a report without any of its optional keys is answered 2xx",
        kind: WebhookKind::PostCall,
        run: post_call_optional_fields,
    },
    WebhookProperty {
        name: "post_call_repeated_session",
        summary: "the same report delivered twice (same sessionId) is answered 2xx both times",
        kind: WebhookKind::PostCall,
        run: post_call_repeated_session,
    },
    WebhookProperty {
        name: "pre_call_attempts",
        summary: "attempts 1, 2 and 3, inbound and outbound, are each answered 2xx within the timeout",
        kind: WebhookKind::PreCall,
        run: pre_call_attempts,
    },
    WebhookProperty {
        name: "pre_call_reply",
        summary: "the reply is a 200 with {\"call\": {\"dynamic_variables\": {..}}}, customer_id a string when present",
        kind: WebhookKind::PreCall,
        run: pre_call_reply,
    },
];

/// Sends a post-call report and expects a 2xx in time.
fn post(ctx: &WebhookCtx<'_>, subject: &str, body: &str) -> Result<(), CaseError> {
    ctx.expect_2xx(subject, body, ctx.post_call_timeout, 1)
        .map(|_| ())
}

fn post_call_reasons(ctx: &WebhookCtx<'_>) -> Outcome {
    let boundaries = (0..DISCONNECTION_REASONS.len())
        .map(|i| Boundary {
            what: format!("disconnectionReason {:?}", DISCONNECTION_REASONS[i]),
            value: (CallBase::plain(i as u64), i),
        })
        .collect();
    ctx.run(boundaries, (call_base(), reason_index()), |(base, i)| {
        let reason = DISCONNECTION_REASONS[i];
        let mut report = base.connected(&ctx.next_session_id());
        report.disconnection_reason = reason.to_string();
        post(
            ctx,
            &format!("a report with disconnectionReason {reason:?}"),
            &report_json(&report, Encoding::Utf8),
        )
    })
}

/// The reasons of calls that never connected or broke off: the failed-call boundary cases.
const FAILED_CALL_REASONS: [&str; 7] = [
    "dial_failed",
    "dial_no_answer",
    "dial_busy",
    "network_error",
    "agent_error",
    "timeout",
    "system_error",
];

fn post_call_failed(ctx: &WebhookCtx<'_>) -> Outcome {
    let boundaries = FAILED_CALL_REASONS
        .iter()
        .enumerate()
        .map(|(n, reason)| Boundary {
            what: format!("a failed call, disconnectionReason {reason:?}"),
            value: (
                CallBase::plain(100 + n as u64),
                DISCONNECTION_REASONS
                    .iter()
                    .position(|r| r == reason)
                    .unwrap_or(0),
            ),
        })
        .collect();
    ctx.run(boundaries, (call_base(), reason_index()), |(base, i)| {
        let reason = DISCONNECTION_REASONS[i];
        let report = base.failed(&ctx.next_session_id(), reason);
        post(
            ctx,
            &format!("a failed call's report (disconnectionReason {reason:?})"),
            &report_json(&report, Encoding::Utf8),
        )
    })
}

fn post_call_transcripts(ctx: &WebhookCtx<'_>) -> Outcome {
    let fixed = |n: u64, spec: TranscriptSpec, encoding: Encoding, what: &str| Boundary {
        what: what.to_string(),
        value: (CallBase::plain(200 + n), spec, encoding),
    };
    let boundaries = vec![
        fixed(
            0,
            TranscriptSpec::Turns(Vec::new()),
            Encoding::Utf8,
            "an empty transcript of a connected call",
        ),
        fixed(
            1,
            TranscriptSpec::EveryAwkwardText,
            Encoding::Utf8,
            "one turn of each awkward text (emoji, RTL, combining marks, quotes, newlines), as UTF-8",
        ),
        fixed(
            2,
            TranscriptSpec::EveryAwkwardText,
            Encoding::AsciiEscaped,
            "one turn of each awkward text, as \\u escapes",
        ),
        fixed(
            3,
            TranscriptSpec::Long,
            Encoding::Utf8,
            "a transcript of 10,000 turns",
        ),
    ];
    let encoding = prop_oneof![Just(Encoding::Utf8), Just(Encoding::AsciiEscaped)];
    let transcript = proptest::collection::vec(turn(), 0..40).prop_map(TranscriptSpec::Turns);
    ctx.run(
        boundaries,
        (call_base(), transcript, encoding),
        |(base, spec, encoding)| {
            let mut report = base.connected(&ctx.next_session_id());
            report.transcript = spec.entries(ctx.long_transcript);
            let turns = report.transcript.len();
            let subject = format!(
                "a report with a transcript of {turns} turn{}{}",
                if turns == 1 { "" } else { "s" },
                if encoding == Encoding::AsciiEscaped {
                    " (non-ASCII as \\u escapes)"
                } else {
                    ""
                }
            );
            post(ctx, &subject, &report_json(&report, encoding))
        },
    )
}

fn post_call_extracted_data(ctx: &WebhookCtx<'_>) -> Outcome {
    let boundaries = [
        ExtractedSpec::Null,
        ExtractedSpec::Empty,
        ExtractedSpec::Absent,
        ExtractedSpec::Nested { depth: 4, seed: 1 },
    ]
    .into_iter()
    .enumerate()
    .map(|(n, spec)| Boundary {
        what: spec.describe(),
        value: (CallBase::plain(300 + n as u64), spec),
    })
    .collect();
    ctx.run(boundaries, (call_base(), extracted()), |(base, spec)| {
        let mut report = base.connected(&ctx.next_session_id());
        report.extracted_data = spec.value();
        post(
            ctx,
            &format!("a report with {}", spec.describe()),
            &report_json(&report, Encoding::Utf8),
        )
    })
}

fn post_call_optional_fields(ctx: &WebhookCtx<'_>) -> Outcome {
    let all = (1u8 << OPTIONAL_KEYS.len()) - 1;
    let boundaries = (0..OPTIONAL_KEYS.len())
        .map(|i| 1u8 << i)
        .chain([all])
        .enumerate()
        .map(|(n, mask)| Boundary {
            what: format!("without {}", optional_keys_named(mask).join(", ")),
            value: (CallBase::plain(400 + n as u64), mask),
        })
        .collect();
    ctx.run(boundaries, (call_base(), 0..=all), |(base, mask)| {
        let report = without_optional_keys(base.connected(&ctx.next_session_id()), mask);
        let left_out = optional_keys_named(mask);
        let subject = if left_out.is_empty() {
            "a report with every optional key".to_string()
        } else {
            format!("a report without {}", left_out.join(", "))
        };
        post(ctx, &subject, &report_json(&report, Encoding::Utf8))
    })
}

fn post_call_repeated_session(ctx: &WebhookCtx<'_>) -> Outcome {
    ctx.run(Vec::new(), call_base(), |base| {
        let session = ctx.next_session_id();
        let body = report_json(&base.connected(&session), Encoding::Utf8);
        ctx.expect_2xx(
            &format!("the first delivery of the report of session {session}"),
            &body,
            ctx.post_call_timeout,
            1,
        )?;
        ctx.expect_2xx(
            &format!("the same report delivered again (sessionId {session} already seen)"),
            &body,
            ctx.post_call_timeout,
            2,
        )?;
        Ok(())
    })
}

/// The six attempt-and-direction combinations, first on every run.
fn attempt_boundaries() -> Vec<Boundary<PreCallSpec>> {
    [false, true]
        .into_iter()
        .flat_map(|inbound| (1..=3).map(move |attempt| PreCallSpec::fixed(inbound, attempt)))
        .map(|spec| Boundary {
            what: format!("attempt \"{}\", {}", spec.attempt, spec.direction()),
            value: spec,
        })
        .collect()
}

fn pre_call_subject(spec: PreCallSpec) -> String {
    format!(
        "the pre-call request of attempt \"{}\" ({})",
        spec.attempt,
        spec.direction()
    )
}

fn pre_call_attempts(ctx: &WebhookCtx<'_>) -> Outcome {
    ctx.run(attempt_boundaries(), pre_call(), |spec| {
        ctx.expect_2xx(
            &pre_call_subject(spec),
            &spec.json(),
            ctx.pre_call_timeout,
            1,
        )
        .map(|_| ())
    })
}

fn pre_call_reply(ctx: &WebhookCtx<'_>) -> Outcome {
    ctx.run(Vec::new(), pre_call(), |spec| {
        let body = spec.json();
        let delivery = ctx.expect_2xx(&pre_call_subject(spec), &body, ctx.pre_call_timeout, 1)?;
        let why = if delivery.status != 200 {
            format!(
                "answered {}, not 200: the vendor uses only a 200's variables",
                delivery.status
            )
        } else if delivery.truncated {
            format!("the reply is longer than the kit reads ({} bytes)", delivery.body.len())
        } else {
            match PreCallReply::parse(&delivery.body) {
                Ok(_) => return Ok(()),
                Err(why) => why,
            }
        };
        Err(ctx.fail(
            format!("the reply to {}: {why}", pre_call_subject(spec)),
            &body,
            ctx.pre_call_timeout,
            1,
            format!(
                "HTTP 200 within {}\n{{\"call\": {{\"dynamic_variables\": {{..}}}}}} (\"customer_id\" a string when present)",
                seconds(ctx.pre_call_timeout)
            ),
            delivery.describe(),
        ))
    })
}
