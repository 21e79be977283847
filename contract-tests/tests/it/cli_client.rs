//! `openmic-contract client --adapter ...`: a passing run with the Python adapter, a failing run with a broken
//! adapter (exit 1, the property named, a replay line), and an adapter that never answers (the timeout).

use std::process::Command;

use crate::helpers::{kit_bin, python_adapter};

fn client_command(adapter: &str) -> Command {
    let mut command = kit_bin();
    command.args([
        "client",
        "--adapter",
        adapter,
        "--seed",
        "7",
        "--cases",
        "12",
    ]);
    command
}

#[test]
fn the_binary_passes_the_python_adapter_and_ends_with_the_count_line() {
    let output = client_command(&python_adapter("adapters/python/openmic_adapter.py"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("7 passed, 0 failed"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS ")).count(),
        7,
        "{stdout}"
    );
}

#[test]
fn the_binary_exits_1_and_shows_the_shrunk_query_for_an_adapter_that_drops_offset() {
    let output = client_command(&python_adapter("tests/it/adapters/drops_offset.py"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("FAIL encoding")),
        "{stdout}"
    );
    assert!(
        stdout.contains("-offset = \"0\""),
        "shrunk to offset 0:\n{stdout}"
    );
    assert!(
        stdout.contains("replay: openmic-contract client --adapter 'python3 "),
        "{stdout}"
    );
    assert!(
        stdout.contains("drops_offset.py' --cases 12 --seed 7 --property encoding"),
        "the replay line repeats a non-default case count:\n{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().ends_with(" failed"),
        "{stdout}"
    );
}

#[test]
fn an_adapter_that_never_answers_fails_after_the_timeout() {
    let output = client_command("sleep 600")
        .args(["--timeout", "1", "--property", "encoding"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("adapter: no answer to request 1 within 1 s"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("0 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_property_is_a_usage_error() {
    let output = client_command("true")
        .args(["--property", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("encoding, decoding")
    );
}

#[test]
fn an_adapter_command_with_a_variable_prefix_runs_through_the_shell() {
    let adapter = format!(
        "OPENMIC_ADAPTER_TRACE=1 {}",
        python_adapter("adapters/python/openmic_adapter.py")
    );
    let output = client_command(&adapter)
        .args(["--property", "encoding"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stderr.contains("not found"), "{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("1 passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn an_adapter_that_cannot_start_is_a_start_up_error_with_one_message() {
    let output = client_command("python3 /nonexistent/openmic_adapter.py")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("FAIL ")),
        "no property failures for a start-up error:\n{stdout}"
    );
    let messages: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("openmic-contract: "))
        .collect();
    assert_eq!(messages.len(), 1, "{stderr}");
    assert!(
        messages[0].contains("the adapter `python3 /nonexistent/openmic_adapter.py` did not start"),
        "{stderr}"
    );
}

#[test]
fn a_helper_that_stops_on_a_short_page_is_told_where_it_stopped_and_why() {
    let output = client_command(&python_adapter("tests/it/adapters/stops_on_short_page.py"))
        .args(["--property", "pagination_helper"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let fail = stdout
        .lines()
        .find(|l| l.starts_with("FAIL pagination_helper"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        fail.contains("list_all stopped after page 1 of ")
            && fail.contains("while has_more was true")
            && fail.ends_with("it sent no limit, so the server served its default of 50 per page"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n    requests:\n      GET /v1/calls?"),
        "{stdout}"
    );
}
