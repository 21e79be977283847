//! `openmic-contract webhook`: exit 0 against a correct receiver (with the JUnit file), 1 against a broken one
//! (the property named, a replay line that reruns the same payloads), 2 for a receiver that is not there and
//! for bad flags; `--help` documents every flag and its environment variable.

use std::process::{Command, Output};

use serde_json::json;
use wiremock::{Request, ResponseTemplate};

use crate::helpers::receivers::{
    Receiver, correct, hook_url, is_pre_call, json_body, received, start,
};
use crate::helpers::{kit_bin, runtime};

fn webhook(args: &[&str]) -> Output {
    kit_bin()
        .arg("webhook")
        .args(["--cases", "8", "--post-call-timeout-ms", "1000"])
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn the_binary_passes_a_correct_receiver_with_exit_0_and_writes_junit() {
    let rt = runtime();
    let server = start(&rt, Receiver(correct));
    let dir = std::env::temp_dir().join(format!("openmic-webhook-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("webhook.xml");
    let output = webhook(&[
        "--url",
        &hook_url(&server),
        "--kind",
        "both",
        "--seed",
        "3",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some("8 passed, 0 failed"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS ")).count(), 8);
    assert!(
        stdout.contains("timeout post-call 1.000 s, pre-call 3.000 s (the vendor's)"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"8\" failures=\"0\""), "{xml}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_kind_defaults_to_post_call_and_the_url_and_kind_come_from_the_environment() {
    let rt = runtime();
    let server = start(&rt, Receiver(correct));
    let run = |kind: Option<&str>| {
        let mut command = kit_bin();
        command
            .args(["webhook", "--cases", "8"])
            .env("OPENMIC_CONTRACT_WEBHOOK_URL", hook_url(&server))
            .env("OPENMIC_CONTRACT_SEED", "4");
        if let Some(kind) = kind {
            command.env("OPENMIC_CONTRACT_WEBHOOK_KIND", kind);
        }
        command.output().unwrap()
    };
    let default = run(None);
    assert_eq!(default.status.code(), Some(0), "{}", text(&default.stderr));
    assert_eq!(
        text(&default.stdout).lines().last(),
        Some("6 passed, 0 failed")
    );
    assert!(
        received(&rt, &server)
            .iter()
            .all(|r| !is_pre_call(&json_body(r)))
    );
    let pre = run(Some("pre-call"));
    assert_eq!(text(&pre.stdout).lines().last(), Some("2 passed, 0 failed"));
    assert!(
        text(&pre.stdout)
            .contains("seed 4, 8 cases per property, timeout pre-call 3.000 s (the vendor's)")
    );
}

#[test]
fn the_binary_exits_1_naming_the_property_and_its_replay_line_sends_the_same_payloads() {
    let rt = runtime();
    let server = start(
        &rt,
        Receiver(|r: &Request| {
            if is_pre_call(&json_body(r)) {
                ResponseTemplate::new(200).set_body_json(json!({"call": {"customer_id": "c1"}}))
            } else {
                correct(r)
            }
        }),
    );
    let url = hook_url(&server);
    let output = webhook(&["--url", &url, "--kind", "pre-call", "--seed", "11"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("PASS pre_call_attempts ")
                && l.ends_with("  8 cases, 8 deliveries")),
        "{stdout}"
    );
    assert!(stdout.contains("\nFAIL pre_call_reply "), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("1 passed, 1 failed"));
    let replay = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("replay: "))
        .unwrap();
    assert_eq!(
        replay,
        format!(
            "openmic-contract webhook --url '{url}' --kind pre-call --cases 8 --seed 11 --property pre_call_reply"
        )
    );
    let first_run: Vec<Vec<u8>> = received(&rt, &server)
        .into_iter()
        .skip(8)
        .map(|r| r.body)
        .collect();
    let binary = env!("CARGO_BIN_EXE_openmic-contract");
    let rerun = Command::new("sh")
        .arg("-c")
        .arg(replay.replacen("openmic-contract", binary, 1))
        .output()
        .unwrap();
    let rerun_stdout = text(&rerun.stdout);
    assert_eq!(rerun.status.code(), Some(1), "{rerun_stdout}");
    assert!(
        rerun_stdout
            .lines()
            .any(|l| l.starts_with("FAIL pre_call_reply"))
    );
    assert_eq!(rerun_stdout.lines().last(), Some("0 passed, 1 failed"));
    let replayed: Vec<Vec<u8>> = received(&rt, &server)
        .into_iter()
        .skip(8 + first_run.len())
        .map(|r| r.body)
        .collect();
    assert_eq!(
        replayed, first_run,
        "the replay sends the same payloads, shrinking included"
    );
}

#[test]
fn a_receiver_that_is_not_there_is_exit_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = webhook(&["--url", &format!("http://127.0.0.1:{port}/hook")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "openmic-contract: cannot connect to http://127.0.0.1:{port}/hook: "
        )),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_flags_are_exit_2_with_the_reason() {
    for (args, says) in [
        (vec![], "--url"),
        (
            vec!["--url", "http://127.0.0.1:9/h", "--kind", "sideways"],
            "sideways",
        ),
        (
            vec!["--url", "http://127.0.0.1:9/h", "--cases", "many"],
            "many",
        ),
        (
            vec![
                "--url",
                "http://127.0.0.1:9/h",
                "--pre-call-timeout-ms",
                "0",
            ],
            "0",
        ),
        (
            vec!["--url", "ftp://127.0.0.1:9/h"],
            "the scheme must be http or https",
        ),
        (
            vec!["--url", "http://127.0.0.1:9/h", "--property", "nope"],
            "no webhook property named \"nope\"",
        ),
        (
            vec![
                "--url",
                "http://127.0.0.1:9/h",
                "--property",
                "pre_call_reply",
            ],
            "add --kind pre-call",
        ),
    ] {
        let output = kit_bin().arg("webhook").args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn help_documents_every_flag_its_environment_variable_and_the_default_kind() {
    let output = kit_bin().args(["webhook", "--help"]).output().unwrap();
    let help = text(&output.stdout);
    for flag in [
        "--url",
        "--kind",
        "--cases",
        "--seed",
        "--junit",
        "--property",
        "--post-call-timeout-ms",
        "--pre-call-timeout-ms",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
    for var in [
        "OPENMIC_CONTRACT_WEBHOOK_URL",
        "OPENMIC_CONTRACT_WEBHOOK_KIND",
        "OPENMIC_CONTRACT_CASES",
        "OPENMIC_CONTRACT_SEED",
        "OPENMIC_CONTRACT_JUNIT",
        "OPENMIC_CONTRACT_PROPERTY",
        "OPENMIC_CONTRACT_POST_CALL_TIMEOUT_MS",
        "OPENMIC_CONTRACT_PRE_CALL_TIMEOUT_MS",
    ] {
        assert!(help.contains(var), "{var} missing:\n{help}");
    }
    assert!(help.contains("[default: post-call]"), "{help}");
    assert!(
        help.contains("[default: 10000]") && help.contains("[default: 3000]"),
        "{help}"
    );
    let top = text(&kit_bin().arg("--help").output().unwrap().stdout);
    assert!(top.contains("webhook"), "{top}");
}
