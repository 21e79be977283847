//! The `openmic-mock` binary: serve, generate, validate, flags and environment variables.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{loopback_addr, mock_bin, raw_get, spawn_for_first_line, spawn_serving};

fn embedded_data_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/calls.json")
}

#[test]
fn validate_accepts_the_embedded_data_set_with_a_one_line_summary() {
    let output = mock_bin()
        .arg("validate")
        .arg(embedded_data_file())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "valid, {} calls, {} bots, {} phone numbers",
            openmic_fixtures::DEFAULT_COUNT,
            openmic_fixtures::default_account().bots.len(),
            openmic_fixtures::default_account().phone_numbers.len()
        )),
        "{stdout}"
    );
}

#[test]
fn validate_lists_every_problem_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    let ok = r#""from_number":"+1","to_number":"+2","direction":"inbound","agent_id":"a""#;
    let text = format!(
        "[\n\
         {{\"call_type\":\"phonecall\",\"call_id\":\"c1\",\"call_status\":\"done\",{ok}}},\n\
         {{\"call_type\":\"phonecall\",\"call_id\":\"c2\",\"call_status\":\"ended\",{ok},\"duration_ms\":-5}},\n\
         {{\"call_type\":\"phonecall\",\"call_status\":\"ended\",{ok}}},\n\
         {{\"call_type\":\"phonecall\",\"call_id\":\"c1\",\"call_status\":\"ended\",{ok}}}\n\
         ]\n"
    );
    std::fs::write(&path, text).unwrap();
    let output = mock_bin().arg("validate").arg(&path).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let file = path.display().to_string();
    for (line, field) in [
        (2, "call_status"),
        (3, "duration_ms"),
        (4, "call_id"),
        (5, "call_id"),
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{file}:{line}:")) && l.contains(field)),
            "line {line}, field {field} not reported:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .contains("1 of 1 file invalid, 4 problems"),
        "{stdout}"
    );
}

#[test]
fn generate_twice_with_the_same_seed_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| {
        let path = dir.path().join(name);
        let output = mock_bin()
            .args(["generate", "--count", "500", "--seed", seed, "--out"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(output.status.success());
        std::fs::read(path).unwrap()
    };
    let a = run("a.json", "9");
    assert_eq!(a, run("b.json", "9"));
    assert_ne!(a, run("c.json", "10"));
    let file: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(file["calls"].as_array().unwrap().len(), 500);
    assert!(!file["bots"].as_array().unwrap().is_empty());
    assert!(!file["phone_numbers"].as_array().unwrap().is_empty());
}

#[test]
fn generate_until_a_date_moves_the_newest_call_onto_it_by_whole_days() {
    let run = |extra: &[&str]| {
        let output = mock_bin()
            .args(["generate", "--count", "200", "--seed", "3"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let file = serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap();
        (
            file["calls"].as_array().unwrap().clone(),
            file["bots"].clone(),
        )
    };
    let (plain, _) = run(&[]);
    let (moved, bots) = run(&["--until", "2026-11-25"]);
    // The account moves with the calls: every bot still predates its agent's first call.
    for bot in bots.as_array().unwrap() {
        let first = moved
            .iter()
            .filter(|c| c["agent_id"] == bot["uid"])
            .filter_map(|c| c["start_timestamp"].as_u64())
            .min()
            .unwrap();
        let created = bot["created_at"].as_str().unwrap();
        assert!(
            created < openmic_fixtures::rfc3339_ms(first).as_str(),
            "{created}"
        );
    }
    let timestamps = |calls: &[serde_json::Value]| -> Vec<u64> {
        calls
            .iter()
            .flat_map(|c| [&c["start_timestamp"], &c["end_timestamp"]])
            .filter_map(serde_json::Value::as_u64)
            .collect()
    };
    let newest = *timestamps(&moved).iter().max().unwrap();
    // 2026-11-25T00:00:00Z and the day after.
    assert!(
        (1_795_564_800_000..1_795_651_200_000).contains(&newest),
        "{newest}"
    );
    let day = 86_400_000_u64;
    let shift = newest - timestamps(&plain).iter().max().unwrap();
    assert_eq!(shift % day, 0, "whole days");
    for (old, new) in plain.iter().zip(&moved) {
        let mut old = old.clone();
        for field in ["start_timestamp", "end_timestamp"] {
            if let Some(t) = old[field].as_u64() {
                old[field] = serde_json::json!(t + shift);
            }
        }
        assert_eq!(&old, new, "only the timestamps move");
    }
    // Back in time too, as far as the oldest call allows.
    let (back, _) = run(&["--until", "2001-09-09"]);
    let newest = *timestamps(&back).iter().max().unwrap();
    // 2001-09-09T00:00:00Z and the day after.
    assert!(
        (1_000_000_000_000 - 6_400_000..1_000_000_000_000 + 80_000_000).contains(&newest),
        "{newest}"
    );
    let too_early = mock_bin()
        .args(["generate", "--count", "5", "--until", "1970-01-02"])
        .output()
        .unwrap();
    assert!(!too_early.status.success());
    assert!(
        String::from_utf8_lossy(&too_early.stderr).contains("too early"),
        "{}",
        String::from_utf8_lossy(&too_early.stderr)
    );
}

#[test]
fn generate_writes_json_lines_for_a_jsonl_file_and_it_validates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.jsonl");
    let output = mock_bin()
        .args(["generate", "--count", "40", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("wrote 40 calls and their account"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let records = |key: &str| text.lines().filter(|l| l.starts_with(key)).count();
    let (bots, numbers) = (records("{\"bot\":"), records("{\"phone_number\":"));
    assert!(bots > 0 && numbers > 0, "{text}");
    assert_eq!(text.lines().count(), 40 + bots + numbers);
    let output = mock_bin().arg("validate").arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn generate_with_the_default_seed_and_count_reproduces_the_embedded_file() {
    let output = mock_bin().arg("generate").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        output.stdout,
        openmic_fixtures::DEFAULT_CALLS_JSON.as_bytes()
    );
}

#[test]
fn serve_refuses_an_invalid_fixture_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "{\"call_id\": 5}\nnot json\n").unwrap();
    let output = mock_bin()
        .args(["--port", "0", "--fixtures"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!stdout.contains("listening"), "{stdout}");
    let file = path.display().to_string();
    assert!(stderr.contains(&format!("{file}:1:")), "{stderr}");
    assert!(stderr.contains(&format!("{file}:2:")), "{stderr}");
}

#[test]
fn serve_refuses_a_missing_fixture_file() {
    let output = mock_bin()
        .args([
            "serve",
            "--port",
            "0",
            "--fixtures",
            "/definitely/not/here.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/definitely/not/here.json"));
}

fn wait_for_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn serve_prints_one_startup_line_answers_and_stops_on_sigterm() {
    let (mut child, url, line) = spawn_serving(&["--port", "0"], &[]);
    assert!(
        line.contains(&format!("{} calls", openmic_fixtures::DEFAULT_COUNT)),
        "{line}"
    );
    assert!(line.contains("test-key"), "{line}");
    assert!(line.contains("(the embedded data set)"), "{line}");
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/calls"))
        .header("authorization", "Bearer test-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["calls"].as_array().unwrap().len(), 50);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(wait_for_exit(&mut child).success());
}

#[tokio::test]
async fn serve_takes_every_setting_from_the_environment() {
    let (mut child, url, line) = spawn_serving(
        &[],
        &[
            ("OPENMIC_MOCK_PORT", "0"),
            ("OPENMIC_MOCK_HOST", "127.0.0.1"),
            ("OPENMIC_MOCK_GENERATE", "12"),
            ("OPENMIC_MOCK_SEED", "5"),
            ("OPENMIC_MOCK_API_KEY", "omic_one,omic_two"),
            ("OPENMIC_MOCK_STRICT", "true"),
            ("OPENMIC_MOCK_LOG_FORMAT", "json"),
            ("OPENMIC_MOCK_LOG", "debug"),
            ("OPENMIC_MOCK_ANCHOR", "off"),
            ("OPENMIC_MOCK_CLOCK", "virtual:2026-01-15T09:00:00Z"),
            ("OPENMIC_MOCK_PHONE_NUMBER", "+15550001111,+15550002222"),
        ],
    );
    assert!(line.contains("12 calls"), "{line}");
    assert!(line.contains("strict"), "{line}");
    assert!(
        line.contains("virtual clock at 2026-01-15T09:00:00.000Z"),
        "{line}"
    );
    let clock: serde_json::Value = reqwest::get(format!("{url}/__admin/clock"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["now"], 1_768_467_600_000_u64);
    let client = reqwest::Client::new();
    for key in ["omic_one", "omic_two"] {
        let response = client
            .get(format!("{url}/v1/calls?limit=100"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        let expected: Vec<serde_json::Value> = {
            let mut calls = openmic_fixtures::generate(5, 12);
            calls.sort_by(openmic_mock::canonical_order);
            calls
                .iter()
                .map(|c| serde_json::to_value(c).unwrap())
                .collect()
        };
        assert_eq!(body["calls"], serde_json::Value::Array(expected));
    }
    let strict = client
        .get(format!("{url}/v1/calls?page=1"))
        .bearer_auth("omic_one")
        .send()
        .await
        .unwrap();
    assert_eq!(strict.status(), 400);
    for number in ["+15550001111", "+15550002222"] {
        let created = reqwest::Client::new()
            .post(format!("{url}/v1/create-phone-call"))
            .bearer_auth("omic_two")
            .json(&serde_json::json!({"from_number": number, "to_number": "+15557654321"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{number}");
    }
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn help_documents_every_flag_and_its_environment_variable() {
    let output = mock_bin().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for (flag, env) in [
        ("--host", "OPENMIC_MOCK_HOST"),
        ("--port", "OPENMIC_MOCK_PORT"),
        ("--fixtures", "OPENMIC_MOCK_FIXTURES"),
        ("--generate", "OPENMIC_MOCK_GENERATE"),
        ("--seed", "OPENMIC_MOCK_SEED"),
        ("--api-key", "OPENMIC_MOCK_API_KEY"),
        ("--strict", "OPENMIC_MOCK_STRICT"),
        ("--log-format", "OPENMIC_MOCK_LOG_FORMAT"),
        ("--log-level", "OPENMIC_MOCK_LOG"),
        ("--admin-key", "OPENMIC_MOCK_ADMIN_KEY"),
        ("--no-admin", "OPENMIC_MOCK_NO_ADMIN"),
        ("--journal-size", "OPENMIC_MOCK_JOURNAL_SIZE"),
        ("--rate-limit", "OPENMIC_MOCK_RATE_LIMIT"),
        ("--post-call-webhook", "OPENMIC_MOCK_POST_CALL_WEBHOOK"),
        ("--pre-call-webhook", "OPENMIC_MOCK_PRE_CALL_WEBHOOK"),
        ("--webhook-direction", "OPENMIC_MOCK_WEBHOOK_DIRECTION"),
        ("--no-callback-url", "OPENMIC_MOCK_NO_CALLBACK_URL"),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag} / {env} missing from:\n{help}"
        );
    }
    let output = mock_bin().args(["generate", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for env in [
        "OPENMIC_MOCK_COUNT",
        "OPENMIC_MOCK_SEED",
        "OPENMIC_MOCK_OUT",
        "OPENMIC_MOCK_FORMAT",
    ] {
        assert!(help.contains(env), "{env} missing from:\n{help}");
    }
}

#[test]
fn a_bad_flag_is_a_usage_error_not_a_panic() {
    let output = mock_bin().args(["--port", "not-a-port"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--port"));
}

#[test]
fn serve_refuses_a_webhook_it_cannot_call_and_a_direction_it_does_not_know() {
    let output = mock_bin()
        .args(["--port", "0", "--pre-call-webhook", "ftp://hooks.test/pre"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pre_call_url") && stderr.contains("\"ftp\""),
        "{stderr}"
    );
    let output = mock_bin()
        .args(["--port", "0", "--webhook-direction", "sideways"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("inbound, outbound or both"));
}

#[test]
fn serve_refuses_an_api_key_with_a_space() {
    let output = mock_bin()
        .args(["--port", "0", "--api-key", "two words"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid API key"));
}

/// Sends `signal` to the child.
fn signal(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A connection holding a request whose head never completes.
fn half_sent_request(url: &str) -> std::net::TcpStream {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /v1/calls HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    stream
}

#[test]
fn sigterm_with_a_half_sent_request_held_exits_cleanly_by_the_shutdown_deadline() {
    let (mut child, url, _) = spawn_serving(
        &[
            "--port",
            "0",
            "--header-read-timeout",
            "60",
            "--shutdown-timeout",
            "0.5",
        ],
        &[],
    );
    let _held = half_sent_request(&url);
    let started = Instant::now();
    signal(&child, "-TERM");
    let status = wait_for_exit(&mut child);
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_second_signal_exits_at_once() {
    let (mut child, url, _) = spawn_serving(
        &[
            "--port",
            "0",
            "--header-read-timeout",
            "60",
            "--shutdown-timeout",
            "60",
        ],
        &[],
    );
    let _held = half_sent_request(&url);
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "still draining");
    let started = Instant::now();
    signal(&child, "-INT");
    let status = wait_for_exit(&mut child);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(status.code(), Some(130));
}

#[test]
fn limits_and_timeouts_are_checked_and_listed_with_their_variables() {
    let help = mock_bin().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for (flag, var) in [
        ("--journal-bytes", "OPENMIC_MOCK_JOURNAL_BYTES"),
        ("--redact-header", "OPENMIC_MOCK_REDACT_HEADER"),
        ("--allowed-host", "OPENMIC_MOCK_ALLOWED_HOST"),
        ("--header-read-timeout", "OPENMIC_MOCK_HEADER_READ_TIMEOUT"),
        ("--idle-timeout", "OPENMIC_MOCK_IDLE_TIMEOUT"),
        ("--max-connections", "OPENMIC_MOCK_MAX_CONNECTIONS"),
        ("--shutdown-timeout", "OPENMIC_MOCK_SHUTDOWN_TIMEOUT"),
    ] {
        assert!(text.contains(flag) && text.contains(var), "{flag} {var}");
    }
    for bad in ["0", "-1", "soon", "1e9"] {
        let output = mock_bin()
            .args(["--port", "0", &format!("--idle-timeout={bad}")])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("expected a number of seconds"), "{stderr}");
    }
}

#[test]
fn validate_sums_calls_and_problems_over_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = embedded_data_file();
    let output = mock_bin()
        .arg("validate")
        .args([&embedded, &embedded])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let total = 2 * openmic_fixtures::DEFAULT_COUNT;
    assert_eq!(
        stdout.lines().last().unwrap(),
        format!(
            "all 2 files valid, {total} calls, {} bots, {} phone numbers",
            2 * openmic_fixtures::default_account().bots.len(),
            2 * openmic_fixtures::default_account().phone_numbers.len()
        )
    );

    // Two problems in one file, three in another, and a file that cannot be read (one more).
    let ok = r#""from_number":"+1","to_number":"+2","direction":"inbound","agent_id":"a","call_type":"phonecall""#;
    let two = dir.path().join("two.json");
    std::fs::write(
        &two,
        format!(
            r#"[{{"call_id":"a","call_status":"x",{ok}}},{{"call_id":"b","call_status":"y",{ok}}}]"#
        ),
    )
    .unwrap();
    let three = dir.path().join("three.json");
    std::fs::write(
        &three,
        format!(
            r#"[{{"call_id":"a","call_status":"x",{ok}}},{{"call_id":"b","call_status":"y",{ok}}},{{"call_id":"c","call_status":"z",{ok}}}]"#
        ),
    )
    .unwrap();
    let missing = dir.path().join("missing.json");
    let output = mock_bin()
        .arg("validate")
        .arg(&embedded)
        .args([&two, &three, &missing])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().last().unwrap(),
        "3 of 4 files invalid, 6 problems"
    );
}

#[test]
fn generate_into_a_closed_pipe_is_not_an_error_but_a_full_disk_is() {
    use std::process::Stdio;
    // `generate | head -c 100`: the reader stops early, which is its choice.
    let mut child = mock_bin()
        .args(["generate", "--count", "20000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut head).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Any other write error is reported and fails the command.
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let output = mock_bin()
            .args(["generate", "--count", "2000"])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
    }
}

#[test]
fn a_bad_log_level_is_refused_and_a_good_one_logs() {
    let output = mock_bin()
        .args(["--port", "0", "--log-level", "info,[bad"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid --log-level"), "{stderr}");

    // A fixture that cannot load: the process logs what it tried at info, then stops.
    let output = mock_bin()
        .args(["--port", "0", "--fixtures", "/nonexistent/calls.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("loading calls"), "{stderr}");
}

#[test]
fn generate_shows_progress_on_a_terminal_from_ten_thousand_calls() {
    // `script` (util-linux, in every Debian system) gives the command a terminal and records what it drew.
    let dir = tempfile::tempdir().unwrap();
    let drawn = |count: usize| {
        let out = dir.path().join(format!("g{count}.json"));
        let command = format!(
            "{} generate --count {count} --out {}",
            env!("CARGO_BIN_EXE_openmic-mock"),
            out.display()
        );
        // A terminal that says what it is: progress bars stay hidden on a dumb or unnamed one.
        let output = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TERM", "xterm")
            .output()
            .expect("`script` runs the command on a terminal");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).contains("generating")
    };
    assert!(drawn(10_000));
    assert!(!drawn(9_999));
}

#[test]
fn max_connections_is_kept_under_a_high_file_limit_and_lowered_under_a_low_one() {
    use std::io::{Read, Write};
    // Two connections allowed: the third is told so.
    let (mut child, url, _) = spawn_serving(&["--port", "0", "--max-connections", "2"], &[]);
    let addr = url.trim_start_matches("http://");
    let held: Vec<std::net::TcpStream> = (0..2)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut third = std::net::TcpStream::connect(addr).unwrap();
    third
        .write_all(b"GET /v1/calls HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = third.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(held);
    child.kill().unwrap();
    let _ = child.wait();

    // Under `ulimit -n 200`, 1024 connections cannot all be open: the cap comes down to 200 - 64, and the log
    // says so; a cap that already fits stays as it is.
    let stderr_under_ulimit = |max: &str| {
        let (mut child, _) = spawn_for_first_line(
            Command::new("sh")
                .args([
                    "-c",
                    &format!(
                        "ulimit -n 200 && exec {} --port 0 --max-connections {max}",
                        env!("CARGO_BIN_EXE_openmic-mock")
                    ),
                ])
                .stderr(std::process::Stdio::piped()),
        );
        child.kill().unwrap();
        let mut stderr = Vec::new();
        std::io::Read::read_to_end(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        String::from_utf8_lossy(&stderr).into_owned()
    };
    let stderr = stderr_under_ulimit("1024");
    assert!(
        stderr.contains("--max-connections lowered") && stderr.contains("using=136"),
        "{stderr}"
    );
    for fits in ["136", "100"] {
        let stderr = stderr_under_ulimit(fits);
        assert!(!stderr.contains("lowered"), "{fits}: {stderr}");
    }
}

/// Listening beyond loopback is logged as a warning; listening on loopback is not.
#[test]
fn only_a_non_loopback_address_is_warned_about() {
    use std::io::Read;
    for (host, warned) in [("127.0.0.1", false), ("0.0.0.0", true)] {
        let (mut child, line) = spawn_for_first_line(
            mock_bin()
                .args(["--port", "0", "--host", host, "--admin-key", "admin"])
                .stderr(std::process::Stdio::piped()),
        );
        // Once it has answered, what it logs before serving is written.
        let (status, _) = raw_get(loopback_addr(&line), "/v1/calls", "localhost");
        assert!(status.contains(" 200 "), "{status}");
        signal(&child, "-TERM");
        assert!(wait_for_exit(&mut child).success());
        let mut logs = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        assert_eq!(logs.contains("non-loopback"), warned, "{host}: {logs}");
    }
}

#[test]
fn validate_counts_a_file_s_bots_and_numbers_and_names_a_broken_record_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let account = openmic_fixtures::default_account();
    let call = openmic_fixtures::default_calls()
        .into_iter()
        .find(|c| c.agent_id == account.bots[0].uid)
        .unwrap();
    let good = dir.path().join("one.jsonl");
    let line = |v: serde_json::Value| serde_json::to_string(&v).unwrap();
    std::fs::write(
        &good,
        [
            line(serde_json::to_value(&call).unwrap()),
            line(serde_json::json!({"bot": account.bots[0]})),
            line(serde_json::json!({"phone_number": {"phone_number_id": "p1", "phone_number": "+15550001111",
                "inbound_agent_id": call.agent_id, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}})),
        ]
        .join("\n"),
    )
    .unwrap();
    let output = mock_bin().arg("validate").arg(&good).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert_eq!(
        stdout.trim_end(),
        format!("{}: valid, 1 call, 1 bot, 1 phone number", good.display())
    );

    let mut bot = serde_json::to_value(&account.bots[0]).unwrap();
    bot["call_settings"]["max_call_duration"] = serde_json::json!(31);
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        line(serde_json::json!({"calls": [], "bots": [account.bots[1], bot]})),
    )
    .unwrap();
    let output = mock_bin().arg("validate").arg(&bad).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{}:1:",
            bad.display()
        )) && stdout.contains(
            "field `bots[1].call_settings.max_call_duration`: must be an integer from 2 to 30, found 31"
        ),
        "{stdout}"
    );
}
