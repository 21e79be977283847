//! The binary: a passing run against the mock, a failing run against a broken server, the JUnit file,
//! the environment variables, the `client` subcommand's usage error.

use std::process::Command;

use openmic_contract::ResponderFault;

use crate::helpers::{SECRET_KEY, kit_bin, responder_server, runtime};

#[test]
fn the_binary_passes_against_the_mock_with_writes_and_ends_with_the_count_line() {
    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    let dir = std::env::temp_dir().join(format!("openmic-contract-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("results.xml");
    let output = kit_bin()
        .args([
            "server",
            "--base-url",
            &mock.uri(),
            "--seed",
            "3",
            "--allow-writes",
            "--junit",
        ])
        .arg(&junit)
        .env("OPENMIC_API_KEY", mock.api_key())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("41 passed, 0 failed"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS ")).count(),
        41,
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"41\" failures=\"0\""), "{xml}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_binary_exits_1_and_names_the_property_against_a_broken_server() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::ExclusiveFromDate));
    let output = kit_bin()
        .args(["server", "--api-key", SECRET_KEY, "--seed", "11"])
        .env("OPENMIC_BASE_URL", server.uri())
        .env("OPENMIC_CONTRACT_CASES", "24")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("FAIL date_bounds")),
        "{stdout}"
    );
    assert!(stdout.contains("24 cases"), "{stdout}");
    assert!(
        stdout.contains("--seed 11 --property date_bounds"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET_KEY), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().ends_with(" failed"),
        "{stdout}"
    );
}

#[test]
fn the_client_subcommand_without_an_adapter_is_a_usage_error() {
    let output = kit_bin().arg("client").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--adapter")
    );
}

#[test]
fn help_documents_every_flag_and_its_environment_variable() {
    let output = kit_bin().args(["server", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--base-url",
        "--api-key",
        "--cases",
        "--seed",
        "--max-requests",
        "--rate-limit",
        "--junit",
        "--property",
        "--allow-create",
        "--max-creates",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
    for var in [
        "OPENMIC_BASE_URL",
        "OPENMIC_API_KEY",
        "OPENMIC_CONTRACT_CASES",
        "OPENMIC_CONTRACT_SEED",
        "OPENMIC_CONTRACT_MAX_REQUESTS",
        "OPENMIC_CONTRACT_RATE_LIMIT",
        "OPENMIC_CONTRACT_JUNIT",
        "OPENMIC_CONTRACT_ALLOW_CREATE",
        "OPENMIC_CONTRACT_MAX_CREATES",
    ] {
        assert!(help.contains(var), "{var} missing:\n{help}");
    }
}

#[test]
fn an_unknown_property_name_is_a_usage_error() {
    let output = kit_server("http://127.0.0.1:9", "k")
        .args(["--property", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("no property named \"nope\"")
    );
}

#[test]
fn suite_and_skip_take_every_suite_by_name_and_refuse_others() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let output = kit_server(&server.uri(), SECRET_KEY)
        .args([
            "--cases",
            "1",
            "--suite",
            "account,writes",
            "--allow-writes",
        ])
        .env("OPENMIC_CONTRACT_SKIP", "writes")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "suites run: account; not run: list (not selected), create (not selected), writes (not selected)"
        ),
        "{stdout}"
    );
    for name in ["list", "create"] {
        let output = kit_server(&server.uri(), SECRET_KEY)
            .args(["--cases", "1", "--suite", name])
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains(&format!("suites run: {name};")), "{stdout}");
    }
    let output = kit_server("http://127.0.0.1:9", "k")
        .args(["--skip", "calls"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("no suite named \"calls\"; the suites are: list, account, create, writes"),
        "{stderr}"
    );
}

/// `openmic-contract server` against `base` with `key`.
fn kit_server(base: &str, key: &str) -> Command {
    let mut command = kit_bin();
    command.args(["server", "--base-url", base, "--api-key", key]);
    command
}

/// `auth` alone against `base` with `--cases 1` (so its boundary cases only), with `extra` flags.
fn auth_alone(base: &str, extra: &[&str]) -> std::process::Output {
    kit_server(base, SECRET_KEY)
        .args(["--cases", "1", "--property", "auth"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_run_without_a_seed_draws_one_from_the_clock_and_prints_it() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let seed_of = || {
        let output = auth_alone(&server.uri(), &[]);
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        let seed = stdout
            .lines()
            .next()
            .and_then(|l| l.split(", seed ").nth(1))
            .and_then(|l| l.split(',').next())
            .unwrap_or_else(|| panic!("no seed in the first line:\n{stdout}"))
            .to_string();
        seed.parse::<u64>().unwrap()
    };
    let seeds = [seed_of(), seed_of()];
    assert_ne!(seeds[0], seeds[1], "two runs drew the same seed");
}

#[test]
fn progress_goes_to_stderr_for_a_remote_or_rate_limited_target_only() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let remote = server.uri().replace("127.0.0.1", "0.0.0.0");
    let stderr_of = |base: &str, extra: &[&str]| {
        let output = auth_alone(base, extra);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    let progress = "  .. progress: 1/1 properties, ";
    let local = stderr_of(&server.uri(), &[]);
    assert!(!local.contains(progress), "{local}");
    let limited = stderr_of(&server.uri(), &["--rate-limit", "60000"]);
    assert!(limited.contains(progress), "{limited}");
    let far = stderr_of(&remote, &["--rate-limit", "0"]);
    assert!(far.contains(progress), "{far}");
}

#[test]
fn a_rejected_api_key_is_a_start_up_error_checked_once() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let output = kit_server(&server.uri(), "wrong").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("the target rejected the API key (HTTP 401"),
        "{stderr}"
    );
    assert!(!stdout.contains("FAIL "), "{stdout}");
    let received = rt.block_on(server.received_requests()).unwrap().len();
    assert_eq!(received, 1, "the key is checked with one request");
}

#[test]
fn a_replay_line_runs_as_printed_once_the_key_is_exported() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::ExclusiveFromDate));
    let output = kit_bin()
        .args(["server", "--base-url", &server.uri(), "--cases", "20"])
        .args(["--seed", "5", "--property", "date_bounds"])
        .env("OPENMIC_API_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let replay = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("replay: "))
        .unwrap();
    assert_eq!(
        replay,
        format!(
            "openmic-contract server --base-url {} --api-key \"$OPENMIC_API_KEY\" --cases 20 --seed 5 --property date_bounds",
            server.uri()
        )
    );
    assert!(
        stdout.contains(
            "replay lines read the key from $OPENMIC_API_KEY: export it before running one"
        ),
        "{stdout}"
    );
    let binary = env!("CARGO_BIN_EXE_openmic-contract");
    let rerun = Command::new("sh")
        .arg("-c")
        .arg(replay.replacen("openmic-contract", binary, 1))
        .env("OPENMIC_API_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let rerun_stdout = String::from_utf8(rerun.stdout).unwrap();
    assert_eq!(rerun.status.code(), Some(1), "{rerun_stdout}");
    assert!(
        rerun_stdout
            .lines()
            .any(|l| l.starts_with("FAIL date_bounds")),
        "{rerun_stdout}"
    );
}
