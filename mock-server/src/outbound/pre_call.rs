//! What a pre-call attempt's answer does to the call, as the vendor's "Pre-Call Webhooks" page lists it
//! ([`judge`]), and how much of the call's time on a virtual clock the attempt takes ([`clock_ms_taken`]).
//!
//! Under "Retry Triggers" the page lists what fails an attempt, to be retried: a timeout, "4xx or 5xx status
//! codes", network errors and "Invalid JSON: Malformed response body". Under "Variables not appearing in
//! calls" it lists "Incorrect response format" and "HTTP status code other than 200": answers that let the
//! call go ahead, without the reply's values. Only a `200` of the documented shape gives the call its values.

use std::time::Duration;

use openmic_fixtures::PreCallReply;

use crate::outbound::sender::Answer;

/// What one pre-call attempt's answer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A `200` of the documented shape: the call goes ahead with the reply's values.
    Use(PreCallReply),
    /// An answer the vendor takes without retrying but does not use (a status other than 200 that is not an
    /// HTTP error, a reply of the wrong shape): the call goes ahead without its values, for this reason.
    Ignore(String),
    /// The attempt failed, for this reason: it is retried, and after the last attempt the call ends.
    Fail(String),
}

/// Reads a receiver's answer to a pre-call attempt. A status is looked at before the body: a `201` with a
/// perfect reply is not used, and a `404` is an error whatever it says. Of a `200`'s body, JSON that is not
/// the documented shape (`{}`, no `dynamic_variables` object, a `customer_id` that is `null` or not a string)
/// is not used; a body that is not JSON at all fails the attempt.
pub fn judge(answer: &Answer) -> Verdict {
    let Some(status) = answer.status else {
        return Verdict::Fail(
            answer
                .error
                .clone()
                .unwrap_or_else(|| "no answer".to_string()),
        );
    };
    if (400..600).contains(&status) {
        return Verdict::Fail(format!("answered {status}, an HTTP error"));
    }
    if status != 200 {
        return Verdict::Ignore(format!("answered {status}, not 200"));
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&answer.body) {
        return Verdict::Fail(format!("the reply is not JSON ({e})"));
    }
    match PreCallReply::parse(&answer.body) {
        Ok(reply) => Verdict::Use(reply),
        Err(why) => Verdict::Ignore(why),
    }
}

/// The grain of the clock time an attempt takes on a virtual clock: a receiver's answer time is rounded down
/// to it, so an answer within 100 ms (any receiver on the same machine) takes no clock time and a test on a
/// virtual clock sees the same times on every run.
pub const ATTEMPT_GRAIN_MS: u64 = 100;

/// How much of the call's time on a virtual clock an attempt took: its answer time rounded down to
/// [`ATTEMPT_GRAIN_MS`], and never more than the `timeout` it was given (so a pre-call timeout takes 3 s).
pub fn clock_ms_taken(elapsed: Duration, timeout: Duration) -> u64 {
    let ms = u64::try_from(elapsed.min(timeout).as_millis()).unwrap_or(u64::MAX);
    ms - ms % ATTEMPT_GRAIN_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: Option<u16>, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
            error: status
                .is_none()
                .then(|| "request failed: refused".to_string()),
            elapsed: Duration::ZERO,
        }
    }

    const GOOD: &str = r#"{"call": {"customer_id": "cus_1", "dynamic_variables": {"a": 1}}}"#;

    #[test]
    fn only_a_200_of_the_documented_shape_is_used() {
        let Verdict::Use(reply) = judge(&answer(Some(200), GOOD)) else {
            panic!("a good reply is used");
        };
        assert_eq!(reply.customer_id.as_deref(), Some("cus_1"));
        for status in [201, 202, 204, 299, 301, 302, 304] {
            assert_eq!(
                judge(&answer(Some(status), GOOD)),
                Verdict::Ignore(format!("answered {status}, not 200"))
            );
        }
    }

    #[test]
    fn http_errors_timeouts_network_errors_and_malformed_json_fail_the_attempt() {
        for status in [400, 404, 429, 499, 500, 503, 599] {
            assert_eq!(
                judge(&answer(Some(status), GOOD)),
                Verdict::Fail(format!("answered {status}, an HTTP error"))
            );
        }
        assert_eq!(
            judge(&answer(None, "")),
            Verdict::Fail("request failed: refused".into())
        );
        let no_text = Answer {
            error: None,
            ..answer(None, "")
        };
        assert_eq!(judge(&no_text), Verdict::Fail("no answer".into()));
        for body in ["", "OK", "{\"call\":", "{} {}"] {
            let Verdict::Fail(why) = judge(&answer(Some(200), body)) else {
                panic!("{body:?} fails the attempt");
            };
            assert!(why.starts_with("the reply is not JSON ("), "{why}");
        }
    }

    #[test]
    fn json_of_the_wrong_shape_lets_the_call_go_ahead_without_it() {
        for (body, why) in [
            ("{}", "the reply has no \"call\" object"),
            ("[]", "the reply has no \"call\" object"),
            (
                r#"{"call": {"customer_id": "c"}}"#,
                "the reply's \"call\" has no \"dynamic_variables\" object",
            ),
            (
                r#"{"call": {"customer_id": null, "dynamic_variables": {}}}"#,
                "the reply's \"customer_id\" is not a string: null",
            ),
            (
                r#"{"call": {"customer_id": 42, "dynamic_variables": {}}}"#,
                "the reply's \"customer_id\" is not a string: 42",
            ),
        ] {
            assert_eq!(
                judge(&answer(Some(200), body)),
                Verdict::Ignore(why.into()),
                "{body}"
            );
        }
    }

    #[test]
    fn an_attempt_takes_its_answer_time_in_tenths_of_a_second_at_most_its_timeout() {
        let three = Duration::from_secs(3);
        let ms = Duration::from_millis;
        assert_eq!(clock_ms_taken(ms(0), three), 0);
        assert_eq!(clock_ms_taken(ms(99), three), 0);
        assert_eq!(clock_ms_taken(ms(100), three), 100);
        assert_eq!(clock_ms_taken(ms(2_512), three), 2_500);
        assert_eq!(clock_ms_taken(ms(2_999), three), 2_900);
        assert_eq!(clock_ms_taken(ms(3_000), three), 3_000);
        assert_eq!(clock_ms_taken(ms(3_004), three), 3_000);
        assert_eq!(clock_ms_taken(ms(3_250), ms(3_250)), 3_200);
    }
}
