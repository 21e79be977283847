//! The webhook suite checks itself: it passes a correct, strict receiver (and sends it every documented case,
//! exactly as the vendor sends it), and catches broken receivers, each by the property named for the bug.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use openmic_contract::Outcome;
use openmic_contract::webhook::{
    WEBHOOK_ASSUMED_RULES, WEBHOOK_PROPERTIES, WebhookError, WebhookKind, WebhookSuiteConfig,
    run_webhook_properties,
};
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use crate::helpers::receivers::{
    HOOK_PATH, OPTIONAL_REPORT_KEYS, REASONS, Receiver, RejectsRepeatedSession, SEED, check,
    correct, good_reply, hook_url, is_pre_call, json_body, received, start,
};
use crate::helpers::runtime;

#[test]
fn a_correct_receiver_passes_every_property_and_gets_every_documented_case() {
    let rt = runtime();
    let server = start(&rt, Receiver(correct));
    let (report, text) = check(&server, WebhookKind::Both, |_| {});
    assert_eq!(report.failed_names(), Vec::<&str>::new(), "{text}");
    let names: Vec<&str> = report.results.iter().map(|r| r.name).collect();
    let table: Vec<&str> = WEBHOOK_PROPERTIES.iter().map(|p| p.name).collect();
    assert_eq!(names, table);
    let shown = format!("{:?}", WEBHOOK_PROPERTIES[0]);
    assert!(shown.contains(WEBHOOK_PROPERTIES[0].name), "{shown}");
    assert_eq!(report.passed(), 8, "{text}");
    assert_eq!(text.lines().last(), Some("8 passed, 0 failed"), "{text}");
    assert!(
        text.starts_with(&format!(
            "openmic-contract webhook: both receiver at {}, seed {SEED}, 12 cases per property, timeout \
             post-call 1.000 s, pre-call 1.000 s\n",
            hook_url(&server)
        )),
        "{text}"
    );

    let requests = received(&rt, &server);
    let deliveries: u64 = report.results.iter().map(|r| r.deliveries).sum();
    assert_eq!(requests.len() as u64, deliveries);
    for request in &requests {
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.url.path(), HOOK_PATH);
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(request.headers["user-agent"], "Openmic-Webhook/1.0");
    }
    let bodies: Vec<Value> = requests.iter().map(json_body).collect();
    let (pre, post): (Vec<&Value>, Vec<&Value>) = bodies.iter().partition(|b| is_pre_call(b));

    // Every reason, in a connected call's report and (the failure reasons) in a failed call's.
    let reasons: BTreeSet<&str> = post
        .iter()
        .filter(|b| b.get("callPickup").is_some())
        .filter_map(|b| b["disconnectionReason"].as_str())
        .collect();
    assert_eq!(reasons, REASONS.into_iter().collect());
    for reason in [
        "dial_failed",
        "dial_no_answer",
        "dial_busy",
        "network_error",
        "agent_error",
        "timeout",
        "system_error",
    ] {
        assert!(
            post.iter().any(|b| b["disconnectionReason"] == reason
                && b["transcript"] == json!([])
                && b.get("isSuccessful").is_none()
                && b["summary"] == format!("Call failed: {reason}")),
            "a failed call ending in {reason}"
        );
    }
    // A failed call's report has exactly the 12 keys of the vendor's failed-call example.
    let failed: Vec<&&Value> = post
        .iter()
        .filter(|b| {
            b["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("Call failed: "))
        })
        .collect();
    assert!(!failed.is_empty());
    for report in failed {
        let keys: BTreeSet<&str> = report
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let example = [
            "type",
            "sessionId",
            "toPhoneNumber",
            "fromPhoneNumber",
            "callType",
            "disconnectionReason",
            "direction",
            "createdAt",
            "endedAt",
            "transcript",
            "summary",
            "dynamicVariables",
        ];
        assert_eq!(keys, example.into_iter().collect(), "{report}");
    }
    // The run names the assumed rules behind what it sent, each once.
    let section = text
        .split_once("assumed rules of docs/contract.md in these deliveries")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{text}"));
    for (rule, description, _) in WEBHOOK_ASSUMED_RULES {
        assert_eq!(
            section
                .matches(&format!("\n  {rule:<4} {description}\n"))
                .count(),
            1,
            "{text}"
        );
    }
    // Transcripts: empty on a connected call, 10,000 turns, awkward texts raw and escaped.
    let turns = |b: &Value| b["transcript"].as_array().map_or(0, Vec::len);
    assert!(
        post.iter()
            .any(|b| turns(b) == 0 && b.get("callPickup").is_some())
    );
    assert_eq!(post.iter().filter(|b| turns(b) == 10_000).count(), 1);
    let messages: String = post
        .iter()
        .flat_map(|b| b["transcript"].as_array().into_iter().flatten())
        .filter_map(|t| t[1].as_str())
        .collect();
    for text in [
        "😀",
        "مرحبا",
        "שלום",
        "e\u{301}",
        "\"yes\"",
        "\\path",
        "\n",
        "\u{2028}",
    ] {
        assert!(messages.contains(text), "{text:?} was sent");
    }
    assert!(
        requests
            .iter()
            .any(|r| r.body.is_ascii()
                && String::from_utf8_lossy(&r.body).contains("\\ud83d\\ude00")),
        "a report with non-ASCII as \\u escapes"
    );
    // extractedData null, {}, absent (on a connected call) and nested.
    assert!(
        post.iter()
            .any(|b| b["extractedData"].is_null() && b.get("extractedData").is_some())
    );
    assert!(post.iter().any(|b| b["extractedData"] == json!({})));
    assert!(
        post.iter()
            .any(|b| b.get("extractedData").is_none() && b.get("callPickup").is_some())
    );
    assert!(
        post.iter()
            .any(|b| b["extractedData"]["details"]["details"]["details"].is_object())
    );
    // Each optional key left out on its own.
    let optional = OPTIONAL_REPORT_KEYS;
    for key in optional {
        assert!(
            post.iter().any(|b| b.get(key).is_none()
                && optional.iter().all(|k| k == &key || b.get(*k).is_some())),
            "a report without only {key}"
        );
    }
    // And all of them at once.
    assert!(
        post.iter()
            .any(|b| optional.iter().all(|k| b.get(*k).is_none())),
        "a report without any optional key"
    );
    // Session ids: the repeated-session property's 12 cases send theirs twice in a row; no other repeats.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &post {
        *counts.entry(b["sessionId"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(counts.values().filter(|&&n| n == 2).count(), 12);
    assert!(counts.values().all(|&n| n <= 2));
    assert_eq!(
        post.windows(2).filter(|w| w[0] == w[1]).count(),
        12,
        "each repeat follows its first delivery"
    );
    // Pre-call: every attempt in both directions.
    let attempts: BTreeSet<(String, String)> = pre
        .iter()
        .map(|b| {
            (
                b["call"]["attempt"].as_str().unwrap().to_string(),
                b["call"]["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(attempts.len(), 6, "{attempts:?}");
}

/// Runs the kit against the receiver `respond` and asserts exactly `failing` failed, the first of them with
/// a rule containing `rule`; returns the printed report.
fn assert_caught(
    respond: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
    kind: WebhookKind,
    failing: &[&str],
    rule: &str,
) -> String {
    let rt = runtime();
    let server = start(&rt, Receiver(respond));
    let (report, text) = check(&server, kind, |_| {});
    assert_eq!(report.failed_names(), failing, "{text}");
    let failure = report.failure(failing[0]).unwrap();
    assert!(failure.mismatch.rule.contains(rule), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("FAIL {}", failing[0])) && l.contains(rule)),
        "{text}"
    );
    assert_eq!(
        report.passed(),
        report.results.len() - failing.len(),
        "{text}"
    );
    text
}

fn has_turns_over(body: &Value, n: usize) -> bool {
    body["transcript"].as_array().is_some_and(|t| t.len() > n)
}

#[test]
fn a_500_on_a_failed_call_is_caught_by_post_call_failed() {
    let text = assert_caught(
        |r| {
            let body = json_body(r);
            if body.get("isSuccessful").is_none() && body["transcript"] == json!([]) {
                ResponseTemplate::new(500)
                    .set_body_string("TypeError: Cannot read properties of undefined")
            } else {
                correct(r)
            }
        },
        WebhookKind::PostCall,
        &["post_call_failed"],
        "a failed call's report (disconnectionReason \"dial_failed\") was answered HTTP 500",
    );
    assert!(
        text.contains("    boundary case: a failed call, disconnectionReason \"dial_failed\""),
        "{text}"
    );
    assert!(text.contains("+HTTP 500 after "), "{text}");
    assert!(
        text.contains("+TypeError: Cannot read properties of undefined"),
        "{text}"
    );
}

#[test]
fn a_receiver_slow_on_long_transcripts_is_caught_by_post_call_transcripts() {
    let started = Instant::now();
    let text = assert_caught(
        |r| {
            if has_turns_over(&json_body(r), 1_000) {
                correct(r).set_delay(Duration::from_secs(2))
            } else {
                correct(r)
            }
        },
        WebhookKind::PostCall,
        &["post_call_transcripts"],
        "a report with a transcript of 10000 turns got no reply within the timeout of 1.000 s",
    );
    assert!(
        text.contains("    boundary case: a transcript of 10,000 turns"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the timeout ends the wait: {:?}",
        started.elapsed()
    );
    let file = text
        .lines()
        .find_map(|l| l.split_once(" bytes, written to ").map(|(_, path)| path))
        .unwrap();
    std::fs::remove_file(file).unwrap();
}

#[test]
fn rejecting_a_null_extracted_data_is_caught_by_post_call_extracted_data() {
    assert_caught(
        |r| {
            let body = json_body(r);
            if body.get("extractedData") == Some(&Value::Null) {
                ResponseTemplate::new(422).set_body_string("extractedData: expected object")
            } else {
                correct(r)
            }
        },
        WebhookKind::PostCall,
        &["post_call_extracted_data"],
        "a report with \"extractedData\": null was answered HTTP 422",
    );
}

#[test]
fn a_non_json_pre_call_reply_is_caught_by_pre_call_reply() {
    assert_caught(
        |_| ResponseTemplate::new(200).set_body_string("OK"),
        WebhookKind::PreCall,
        &["pre_call_reply"],
        "the reply is not JSON",
    );
}

#[test]
fn a_pre_call_reply_without_dynamic_variables_is_caught_by_pre_call_reply() {
    assert_caught(
        |_| ResponseTemplate::new(200).set_body_json(json!({"call": {"customer_id": "cus_1"}})),
        WebhookKind::PreCall,
        &["pre_call_reply"],
        "has no \"dynamic_variables\" object",
    );
}

#[test]
fn a_pre_call_reply_that_is_not_a_200_is_caught_by_pre_call_reply() {
    assert_caught(
        |_| {
            ResponseTemplate::new(201)
                .set_body_json(json!({"call": {"customer_id": "c", "dynamic_variables": {}}}))
        },
        WebhookKind::PreCall,
        &["pre_call_reply"],
        "answered 201, not 200: the vendor uses only a 200's variables",
    );
}

#[test]
fn a_numeric_customer_id_is_caught_by_pre_call_reply() {
    let text = assert_caught(
        |_| {
            ResponseTemplate::new(200)
                .set_body_json(json!({"call": {"customer_id": 42, "dynamic_variables": {}}}))
        },
        WebhookKind::PreCall,
        &["pre_call_reply"],
        "\"customer_id\" is not a string",
    );
    assert!(
        text.contains(&format!(
            " --kind pre-call --cases 12 --pre-call-timeout-ms 1000 --seed {SEED} --property pre_call_reply\n"
        )),
        "{text}"
    );
}

#[test]
fn rejecting_retried_attempts_is_caught_by_pre_call_attempts() {
    let text = assert_caught(
        |r| {
            if json_body(r)["call"]["attempt"] == "1" {
                correct(r)
            } else {
                ResponseTemplate::new(409).set_body_string("already handled")
            }
        },
        WebhookKind::PreCall,
        // The reply property draws attempts too, and a 409 is no reply.
        &["pre_call_attempts", "pre_call_reply"],
        "the pre-call request of attempt \"2\" (outbound) was answered HTTP 409",
    );
    assert!(
        text.contains("    boundary case: attempt \"2\", outbound"),
        "{text}"
    );
}

#[test]
fn a_receiver_that_requires_a_summary_is_caught_by_post_call_optional_fields() {
    let text = assert_caught(
        |r| {
            if json_body(r).get("summary").is_none() {
                ResponseTemplate::new(500)
            } else {
                correct(r)
            }
        },
        WebhookKind::PostCall,
        &["post_call_optional_fields"],
        "a report without summary was answered HTTP 500",
    );
    assert!(
        text.contains("    boundary case: without summary\n"),
        "{text}"
    );
}

#[test]
fn a_receiver_that_fails_on_a_repeated_session_id_is_caught_by_post_call_repeated_session() {
    let rt = runtime();
    let server = start(&rt, RejectsRepeatedSession::default());
    let (report, text) = check(&server, WebhookKind::Both, |_| {});
    assert_eq!(
        report.failed_names(),
        ["post_call_repeated_session"],
        "{text}"
    );
    let failure = report.failure("post_call_repeated_session").unwrap();
    assert!(
        failure
            .mismatch
            .rule
            .starts_with("the same report delivered again (sessionId c"),
        "{text}"
    );
    assert!(
        failure
            .mismatch
            .rule
            .ends_with("already seen) was answered HTTP 409"),
        "{text}"
    );
    let result = report.result("post_call_repeated_session").unwrap();
    let payload = result.payload.as_ref().unwrap();
    assert_eq!(payload.times, 2);
    let curl = result.curl.as_deref().unwrap();
    assert!(
        curl.starts_with("for delivery in $(seq 2); do curl -sS --max-time 1 "),
        "{curl}"
    );
    assert!(
        text.contains("      sent 2 times in a row; the last delivery failed"),
        "{text}"
    );
    // Shrunk to the plainest report: one turn, no variables, outbound.
    let minimal: Value = serde_json::from_str(&payload.body).unwrap();
    assert_eq!(
        minimal["transcript"].as_array().unwrap().len(),
        1,
        "{minimal}"
    );
    assert_eq!(minimal["dynamicVariables"], json!({}));
    assert_eq!(minimal["direction"], "outbound");
    assert_eq!(minimal["callDuration"], "0:00:00.000000");
}

#[test]
fn a_failure_prints_a_curl_command_that_sends_exactly_the_failing_payload() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|r: &Request| {
            if json_body(r)["disconnectionReason"] == "voicemail" {
                ResponseTemplate::new(400).set_body_string("unknown reason 'voicemail'")
            } else {
                correct(r)
            }
        }),
    );
    let (report, text) = check(&server, WebhookKind::PostCall, |c| {
        c.only = vec!["post_call_reasons".into()]
    });
    assert_eq!(report.failed_names(), ["post_call_reasons"], "{text}");
    let result = report.result("post_call_reasons").unwrap();
    let payload = result.payload.as_ref().unwrap();
    assert!(result.payload_file.is_none(), "a short payload is pasted");
    let curl = result.curl.as_deref().unwrap();
    assert!(curl.starts_with("curl "), "one delivery, no loop: {curl}");
    assert!(!text.contains("times in a row"), "{text}");
    assert!(
        text.contains(&format!("    minimal failing request:\n      {curl}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    replay: openmic-contract webhook --url '{}' --kind post-call --cases 12 \
             --post-call-timeout-ms 1000 --seed {SEED} --property post_call_reasons\n",
            hook_url(&server)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("    input: {}\n", payload.body)),
        "{text}"
    );
    // The shell sees the body, headers and URL exactly as sent.
    let args = curl_args(curl);
    let data = args.iter().position(|a| a == "--data-raw").unwrap();
    assert_eq!(args[data + 1], payload.body);
    assert_eq!(args.last().unwrap(), &hook_url(&server));
    assert!(args.contains(&"User-Agent: Openmic-Webhook/1.0".to_string()));
    assert!(args.contains(&"Content-Type: application/json".to_string()));
    let last_voicemail = received(&rt, &server)
        .into_iter()
        .rev()
        .find(|r| json_body(r)["disconnectionReason"] == "voicemail")
        .unwrap();
    assert_eq!(
        String::from_utf8(last_voicemail.body).unwrap(),
        payload.body
    );
}

/// The arguments `curl` would get from `command`, as the shell splits them.
fn curl_args(command: &str) -> Vec<String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("curl() {{ printf '%s\\0' \"$@\"; }}; {command}"))
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .split('\0')
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_huge_failing_payload_is_clipped_in_the_report_and_written_to_a_file_for_curl() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|r: &Request| {
            if has_turns_over(&json_body(r), 1_000) {
                ResponseTemplate::new(413).set_body_string("payload too large")
            } else {
                correct(r)
            }
        }),
    );
    // Another seed than the slow receiver's test, whose payload file would have the same name.
    let (report, text) = check(&server, WebhookKind::PostCall, |c| {
        c.only = vec!["post_call_transcripts".into()];
        c.seed = 77;
    });
    assert_eq!(report.failed_names(), ["post_call_transcripts"], "{text}");
    let result = report.result("post_call_transcripts").unwrap();
    let payload = result.payload.as_ref().unwrap();
    let file = result.payload_file.as_ref().unwrap();
    assert_eq!(
        file.file_name().unwrap().to_str().unwrap(),
        format!(
            "openmic-contract-webhook-{}-77-post_call_transcripts.json",
            std::process::id()
        )
    );
    assert!(file.starts_with(std::env::temp_dir()));
    assert_eq!(std::fs::read_to_string(file).unwrap(), payload.body);
    let sent: Value = serde_json::from_str(&payload.body).unwrap();
    assert_eq!(sent["transcript"].as_array().unwrap().len(), 10_000);
    let args = curl_args(result.curl.as_deref().unwrap());
    assert!(args.contains(&format!("@{}", file.display())), "{args:?}");
    assert!(
        text.contains(&format!(
            "      payload: {} bytes, written to {}\n",
            payload.body.len(),
            file.display()
        )),
        "{text}"
    );
    let input = text
        .lines()
        .find_map(|l| l.strip_prefix("    input: "))
        .unwrap();
    assert!(
        input.len() < 10_000,
        "the payload is clipped: {} bytes",
        input.len()
    );
    assert!(
        input.ends_with(&format!("... ({} bytes, clipped)", payload.body.len())),
        "{input}"
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn a_failure_found_at_random_is_shrunk_to_a_minimal_report() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|r: &Request| {
            let body = json_body(r);
            if body["extractedData"]
                .as_object()
                .is_some_and(|o| o.len() > 5)
            {
                ResponseTemplate::new(500).set_body_string("too many columns")
            } else {
                correct(r)
            }
        }),
    );
    let (report, text) = check(&server, WebhookKind::PostCall, |c| {
        c.only = vec!["post_call_extracted_data".into()];
        c.cases = 64;
    });
    let failure = report.failure("post_call_extracted_data").expect(&text);
    assert_eq!(failure.mismatch.boundary, None, "found at random: {text}");
    assert_eq!(failure.shrinking_stopped, None, "{text}");
    assert_eq!(
        failure.mismatch.rule,
        "a report with a flat \"extractedData\" of 6 keys was answered HTTP 500"
    );
    let payload = &report.result("post_call_extracted_data").unwrap().payload;
    let minimal: Value = serde_json::from_str(&payload.as_ref().unwrap().body).unwrap();
    assert_eq!(minimal["extractedData"].as_object().unwrap().len(), 6);
    assert_eq!(minimal["transcript"].as_array().unwrap().len(), 1);
    assert_eq!(minimal["dynamicVariables"], json!({}));
    assert_eq!(minimal["createdAt"], "2024-01-01T00:00:00.000Z");
    assert!(
        minimal["fromPhoneNumber"]
            .as_str()
            .unwrap()
            .starts_with("+1"),
        "{minimal}"
    );
}

#[test]
fn shrinking_a_slow_failure_stops_at_the_time_budget_and_says_so() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|_: &Request| ResponseTemplate::new(503).set_delay(Duration::from_millis(100))),
    );
    let started = Instant::now();
    let (report, text) = check(&server, WebhookKind::PostCall, |c| {
        c.only = vec!["post_call_repeated_session".into()];
        c.shrink_time = Duration::from_millis(500);
    });
    let elapsed = started.elapsed();
    let failure = report.failure("post_call_repeated_session").expect(&text);
    let steps = failure.shrinking_stopped.expect(&text);
    assert!(
        (1..=6).contains(&steps),
        "{steps} steps of 100 ms in 500 ms"
    );
    assert!(
        text.contains(&format!("shrinking stopped after {steps} steps")),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    let deliveries = report
        .result("post_call_repeated_session")
        .unwrap()
        .deliveries;
    assert_eq!(
        deliveries,
        u64::from(steps) + 1,
        "one delivery per step and the first failure"
    );
}

#[test]
fn redirects_are_not_followed_and_nothing_else_is_called() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|_: &Request| ResponseTemplate::new(307).insert_header("location", "/elsewhere")),
    );
    let (report, text) = check(&server, WebhookKind::Both, |_| {});
    assert_eq!(report.failed(), 8, "{text}");
    assert!(text.contains("was answered HTTP 307"), "{text}");
    assert!(
        received(&rt, &server)
            .iter()
            .all(|r| r.url.path() == HOOK_PATH)
    );
}

#[test]
fn only_the_first_64_kib_of_a_reply_are_read() {
    let rt = runtime();
    let padding = "x".repeat(200 * 1024);
    let server = start(
        &rt,
        Receiver(move |r: &Request| {
            if is_pre_call(&json_body(r)) {
                let mut reply = good_reply();
                reply["call"]["dynamic_variables"]["padding"] = json!(padding);
                ResponseTemplate::new(200).set_body_json(reply)
            } else {
                ResponseTemplate::new(200).set_body_string(padding.clone())
            }
        }),
    );
    let (report, text) = check(&server, WebhookKind::Both, |_| {});
    assert_eq!(report.failed_names(), ["pre_call_reply"], "{text}");
    let failure = report.failure("pre_call_reply").unwrap();
    assert!(
        failure
            .mismatch
            .rule
            .ends_with(": the reply is longer than the kit reads (65536 bytes)"),
        "{text}"
    );
    assert!(
        failure
            .mismatch
            .got
            .ends_with("(reply longer than 65536 bytes; the rest was not read)\n"),
        "{text}"
    );
}

/// A valid pre-call reply of exactly `len` bytes.
fn reply_of(len: usize) -> String {
    let empty = r#"{"call":{"dynamic_variables":{"padding":""}}}"#;
    format!(
        r#"{{"call":{{"dynamic_variables":{{"padding":"{}"}}}}}}"#,
        "x".repeat(len - empty.len())
    )
}

#[test]
fn a_reply_of_exactly_64_kib_is_read_whole_and_one_byte_more_is_not() {
    let rt = runtime();
    for (len, passes) in [(65_536, true), (65_537, false)] {
        let reply = reply_of(len);
        assert_eq!(reply.len(), len);
        let server = start(
            &rt,
            Receiver(move |_: &Request| {
                ResponseTemplate::new(200).set_body_raw(reply.clone(), "application/json")
            }),
        );
        let (report, text) = check(&server, WebhookKind::PreCall, |c| {
            c.only = vec!["pre_call_reply".into()]
        });
        assert_eq!(report.failed() == 0, passes, "{len} bytes: {text}");
    }
}

#[test]
fn the_same_seed_sends_the_same_payloads_and_another_seed_others() {
    let rt = runtime();
    let server = start(&rt, Receiver(correct));
    let bodies = |seed: u64| {
        let before = received(&rt, &server).len();
        let (report, text) = check(&server, WebhookKind::Both, |c| {
            c.seed = seed;
            c.only = vec!["post_call_transcripts".into(), "pre_call_reply".into()];
        });
        assert_eq!(report.passed(), 2, "{text}");
        received(&rt, &server)[before..]
            .iter()
            .map(|r| r.body.clone())
            .collect::<Vec<_>>()
    };
    let first = bodies(1);
    assert_eq!(first.len(), 24);
    assert_eq!(bodies(1), first);
    let other = bodies(2);
    // Session ids, numbers and bot ids all come from the seed.
    let shared = other.iter().filter(|b| first.contains(b)).count();
    assert_eq!(shared, 0, "session ids differ between seeds");
}

#[test]
fn a_run_that_cannot_start_says_why_and_sends_nothing() {
    let rt = runtime();
    let server = start(&rt, Receiver(correct));
    let url = hook_url(&server);
    let run = |url: &str, config: &WebhookSuiteConfig| {
        let mut out = Vec::new();
        run_webhook_properties(url, config, &mut out).map(|_| ())
    };
    let mut config = WebhookSuiteConfig::new(WebhookKind::PostCall);
    config.only = vec!["pre_call_reply".into()];
    let Err(WebhookError::UnknownProperty(why)) = run(&url, &config) else {
        panic!("a pre-call property in a post-call run");
    };
    assert_eq!(
        why,
        "pre_call_reply checks pre-call receivers, and this run sends post-call: add --kind pre-call"
    );
    config.only = vec!["nope".into()];
    let Err(WebhookError::UnknownProperty(why)) = run(&url, &config) else {
        panic!("an unknown property");
    };
    assert!(
        why.starts_with(
            "no webhook property named \"nope\"; the properties are: post_call_reasons,"
        )
    );
    config.only = Vec::new();
    assert!(matches!(
        run("ftp://127.0.0.1/x", &config),
        Err(WebhookError::InvalidUrl(_))
    ));
    assert!(received(&rt, &server).is_empty());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let Err(WebhookError::Unreachable(why)) =
        run(&format!("http://127.0.0.1:{port}/hook"), &config)
    else {
        panic!("nothing listens there");
    };
    assert!(
        why.starts_with(&format!("cannot connect to http://127.0.0.1:{port}/hook: ")),
        "{why}"
    );
}

#[test]
fn a_pre_call_run_sends_only_pre_call_requests_and_a_post_call_run_only_reports() {
    let rt = runtime();
    for (kind, pre_calls) in [(WebhookKind::PreCall, true), (WebhookKind::PostCall, false)] {
        let server = start(&rt, Receiver(correct));
        let (report, text) = check(&server, kind, |_| {});
        assert_eq!(report.failed(), 0, "{text}");
        assert_eq!(report.results.len(), if pre_calls { 2 } else { 6 });
        assert!(
            received(&rt, &server)
                .iter()
                .all(|r| is_pre_call(&json_body(r)) == pre_calls)
        );
        assert!(
            report
                .results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Passed { cases, .. } if cases >= 12)),
            "{text}"
        );
        // Only the assumed rules of the kind sent are named.
        for (rule, _, rule_kind) in WEBHOOK_ASSUMED_RULES {
            assert_eq!(
                text.contains(&format!("\n  {rule:<4} ")),
                *rule_kind == kind,
                "{rule} in {text}"
            );
        }
    }
}

#[test]
fn the_junit_file_has_one_case_per_property_and_the_failure_block() {
    let rt = runtime();
    let server = start(&rt, RejectsRepeatedSession::default());
    let (report, _) = check(&server, WebhookKind::PostCall, |_| {});
    let xml = report.junit();
    assert!(
        xml.contains(
            "<testsuite name=\"openmic-contract-webhook\" tests=\"6\" failures=\"1\" skipped=\"0\">"
        ),
        "{xml}"
    );
    assert!(xml.contains("name=\"post_call_repeated_session\""), "{xml}");
    assert!(
        xml.contains("--property post_call_repeated_session"),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 6);
}
