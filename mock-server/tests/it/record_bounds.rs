//! `openmic-mock record` against servers it must not trust: a body that never ends, a `Retry-After` of days,
//! pages that ignore `offset`, skip calls, or come back empty with `has_more: true`. Each ends in exit 1 with a
//! line that says what was written and why it is not complete, in bounded time and memory.
//!
//! The servers here are scripted over a bare `TcpListener`, so that a test decides every byte of an answer
//! (chunked bodies, headers) and counts the bytes the client let it send.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the scripted server answers to one request.
enum Reply {
    /// This status, these extra headers, this JSON body (with its `Content-Length`).
    Json {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// This status and a chunked body of `{"calls":[` then filler that goes on until the client stops reading
    /// (or, so that a client that never stops cannot take the machine's memory, [`ENDLESS_CAP`] bytes).
    Endless { status: u16 },
}

/// The most an endless body sends before the server gives up on the client.
const ENDLESS_CAP: u64 = 512 << 20;

/// A 200 of `body`.
fn ok(body: String) -> Reply {
    Reply::Json {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

/// The vendor's 404.
fn not_found() -> Reply {
    Reply::Json {
        status: 404,
        headers: Vec::new(),
        body: r#"{"error":"Not Found"}"#.into(),
    }
}

/// A scripted server: its URL, the request targets it received (path and query), and the bytes of endless
/// bodies it managed to write.
struct Scripted {
    url: String,
    received: Arc<Mutex<Vec<String>>>,
    streamed: Arc<AtomicU64>,
}

impl Scripted {
    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// The requests received for `path`.
    fn requests_for(&self, path: &str) -> usize {
        self.received()
            .iter()
            .filter(|target| target.split('?').next() == Some(path))
            .count()
    }
}

async fn scripted(answer: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Scripted {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let streamed = Arc::new(AtomicU64::new(0));
    let answer = Arc::new(answer);
    let (log, count) = (received.clone(), streamed.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (answer, log, count) = (answer.clone(), log.clone(), count.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0_u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split(' ').nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push(target.clone());
                match answer(&target) {
                    Reply::Json {
                        status,
                        headers,
                        body,
                    } => {
                        let mut text = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                             Connection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            text.push_str(&format!("{name}: {value}\r\n"));
                        }
                        text.push_str("\r\n");
                        text.push_str(&body);
                        let _ = socket.write_all(text.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    Reply::Endless { status } => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        );
                        if socket.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let opening = b"a\r\n{\"calls\":[\r\n";
                        let mut filler = format!("{:x}\r\n", 64 << 10).into_bytes();
                        filler.resize(filler.len() + (64 << 10), b' ');
                        filler.extend_from_slice(b"\r\n");
                        if socket.write_all(opening).await.is_err() {
                            return;
                        }
                        while count.load(Ordering::Relaxed) < ENDLESS_CAP {
                            if socket.write_all(&filler).await.is_err() {
                                return;
                            }
                            count.fetch_add(64 << 10, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    Scripted {
        url,
        received,
        streamed,
    }
}

/// The value of `name` in a request target's query.
fn query(target: &str, name: &str) -> Option<u64> {
    let (_, query) = target.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.parse().ok())
}

fn path(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

/// `count` generated calls as JSON values.
fn calls(seed: u64, count: usize) -> Vec<Value> {
    openmic_fixtures::generate(seed, count)
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

/// The oldest `start_timestamp` of `calls`: where `--resume` goes on from.
fn oldest_start(calls: &[Value]) -> u64 {
    calls
        .iter()
        .filter_map(|c| c["start_timestamp"].as_u64())
        .min()
        .unwrap()
}

/// A page of `records` under `key`, with this pagination.
fn page(key: &str, records: &[Value], total: u64, has_more: bool) -> String {
    serde_json::json!({
        key: records,
        "pagination": {"total": total, "has_more": has_more}
    })
    .to_string()
}

/// The page an honest server gives for `target` of `records`.
fn honest(key: &str, records: &[Value], target: &str) -> String {
    let offset = query(target, "offset").unwrap_or(0) as usize;
    let limit = query(target, "limit").unwrap_or(10) as usize;
    let slice: Vec<Value> = records.iter().skip(offset).take(limit).cloned().collect();
    let more = offset + slice.len() < records.len();
    page(key, &slice, records.len() as u64, more)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The binary with no `OPENMIC_*` variable of this environment, through GNU time when there is one (for the
/// peak RSS, in its last line of stderr).
fn command(with_time: bool) -> Command {
    let bin = env!("CARGO_BIN_EXE_openmic-mock");
    let mut command = if with_time {
        let mut time = Command::new("/usr/bin/time");
        time.args(["-f", "peak-rss-kb %M", bin]);
        time
    } else {
        Command::new(bin)
    };
    for (key, _) in std::env::vars() {
        if key.starts_with("OPENMIC_") {
            command.env_remove(key);
        }
    }
    command
}

/// Whether GNU time can measure the peak RSS here.
fn gnu_time() -> bool {
    Command::new("/usr/bin/time")
        .args(["-f", "%M", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The outcome of a run of `record`: its output, how long it took, its peak RSS when measured.
struct Run {
    output: Output,
    took: Duration,
    peak_rss_kb: Option<u64>,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stdout(&self) -> String {
        text(&self.output.stdout)
    }

    fn stderr(&self) -> String {
        text(&self.output.stderr)
    }
}

/// `record` from `url` into `out` with `extra` flags and `envs`, at full speed; killed, and the test failed,
/// when it runs longer than `deadline`.
async fn record(
    url: &str,
    out: &Path,
    extra: &[&str],
    envs: &[(&str, &str)],
    deadline: Duration,
) -> Run {
    let with_time = gnu_time();
    let mut command = command(with_time);
    command
        .args([
            "record",
            "--base-url",
            url,
            "--api-key",
            "k",
            "--rate-limit",
            "off",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a deadline kills `record` under GNU time too.
        .process_group(0);
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > deadline {
                // `--`: procps' kill takes a bare negative number for an option, and does nothing.
                let killed = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .status()
                    .unwrap();
                assert!(killed.success(), "could not kill record's process group");
                let output = child.wait_with_output().unwrap();
                panic!(
                    "record still ran after {deadline:?}; stdout: {} stderr: {}",
                    text(&output.stdout),
                    text(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = started.elapsed();
        let mut output = child.wait_with_output().unwrap();
        let mut peak_rss_kb = None;
        if with_time {
            // GNU time's lines: its note of a failed command's status, and the figure asked for.
            let stderr = text(&output.stderr);
            let mut own = String::new();
            for line in stderr.lines() {
                if let Some(kb) = line.strip_prefix("peak-rss-kb ") {
                    peak_rss_kb = Some(kb.parse().unwrap());
                } else if !line.starts_with("Command exited with non-zero status") {
                    own.push_str(line);
                    own.push('\n');
                }
            }
            output.stderr = own.into_bytes();
        }
        Run {
            output,
            took,
            peak_rss_kb,
        }
    })
    .await
    .unwrap()
}

const QUICK: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_stops_reading_a_body_that_never_ends_at_the_bound_naming_the_page() {
    let listed = calls(31, 250);
    let oldest = oldest_start(&listed[..100]);
    let server = scripted(
        move |target| match (path(target), query(target, "offset")) {
            ("/v1/calls", Some(100)) => Reply::Endless { status: 200 },
            ("/v1/calls", _) => ok(honest("calls", &listed, target)),
            _ => not_found(),
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let stdout = run.stdout();
    assert_eq!(
        stdout,
        format!(
            "recorded {}: 100 calls in 2 requests: incomplete, the answer to GET /v1/calls?limit=100&offset=100 \
             is larger than --max-body-bytes (67108864 bytes) after listing 100 of 250; if the server's pages \
             are really this large, raise --max-body-bytes; to go on, run the same command with --resume: it \
             lists the calls up to {} (the oldest written, as --to-date) and adds them to the file\n",
            out.display(),
            openmic_fixtures::rfc3339_ms(oldest)
        )
    );
    // Not asked again: a body too large is too large the next time too.
    assert_eq!(server.requests_for("/v1/calls"), 2);
    // Read up to the bound, not on: what the server got out is the bound and the sockets' buffers.
    let streamed = server.streamed.load(Ordering::Relaxed);
    assert!(streamed < (64 << 20) + (16 << 20), "{streamed} bytes sent");
    assert!(run.took < Duration::from_secs(30), "{:?}", run.took);
    if let Some(kb) = run.peak_rss_kb {
        assert!(kb < 256 << 10, "peak RSS {kb} KiB");
    }
    assert_eq!(openmic_fixtures::load_path(&out).unwrap().len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_bounded_whatever_its_status_or_list_and_the_bound_is_a_flag_and_a_variable()
 {
    let listed = calls(32, 30);
    let served = listed.clone();
    let server = scripted(move |target| match path(target) {
        "/v1/calls" => ok(honest("calls", &served, target)),
        "/v1/bots" => Reply::Endless { status: 500 },
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    // The page of 30 calls fits in the bound; the bots' endless 500 does not, and is not retried as a 5xx is.
    let first_page = honest("calls", &listed, "/v1/calls?limit=100&offset=0").len();
    let bound = (first_page + 10).to_string();
    let run = record(&server.url, &out, &["--max-body-bytes", &bound], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stdout().contains(&format!(
            ": 30 calls in 2 requests: incomplete, the answer to GET /v1/bots?limit=100&offset=0 is larger than \
             --max-body-bytes ({bound} bytes)"
        )),
        "{}",
        run.stdout()
    );
    assert_eq!(server.requests_for("/v1/bots"), 1);
    // Redacted: what to change, then why --resume is no way on.
    let run = record(
        &server.url,
        &out,
        &["--max-body-bytes", &bound, "--redact"],
        &[],
        QUICK,
    )
    .await;
    assert!(
        run.stdout().contains(
            "; if the server's pages are really this large, raise --max-body-bytes; a redacted recording cannot \
             be continued: "
        ),
        "{}",
        run.stdout()
    );

    // A first page past the bound (declared by Content-Length or not): nothing is written. From the variable.
    let small = (first_page - 1).to_string();
    let run = record(
        &server.url,
        &out,
        &[],
        &[("OPENMIC_MOCK_MAX_BODY_BYTES", &small)],
        QUICK,
    )
    .await;
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        format!(
            "openmic-mock: nothing written to {}: the answer to GET /v1/calls?limit=100&offset=0 is larger than \
             --max-body-bytes ({small} bytes); if the server's pages are really this large, raise \
             --max-body-bytes\n",
            out.display()
        )
    );
    // Exactly at the bound is read.
    let exact = first_page.to_string();
    let run = record(
        &server.url,
        &dir.path().join("exact.json"),
        &["--max-body-bytes", &exact],
        &[],
        QUICK,
    )
    .await;
    assert!(
        run.stdout()
            .contains(": 30 calls in 2 requests: incomplete, the answer to GET /v1/bots"),
        "{}",
        run.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_past_the_cap_stops_the_walk_saying_what_was_asked_and_how_to_go_on() {
    let listed = calls(33, 250);
    let oldest = oldest_start(&listed[..100]);
    let server = scripted(
        move |target| match (path(target), query(target, "offset")) {
            ("/v1/calls", Some(100)) => Reply::Json {
                status: 429,
                headers: vec![("Retry-After", "1000000".into())],
                body: r#"{"error":"Too Many Requests"}"#.into(),
            },
            ("/v1/calls", _) => ok(honest("calls", &listed, target)),
            _ => not_found(),
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        format!(
            "recorded {}: 100 calls in 2 requests: incomplete, the server answered 429 to GET \
             /v1/calls?limit=100&offset=100 asking to wait 1000000 s (about 11.6 days, Retry-After), more than \
             --max-retry-after (120 s) after listing 100 of 250; record does not wait that long (raise \
             --max-retry-after to let it); once the wait is over, run the same command with --resume: it lists \
             the calls up to {} (the oldest written, as --to-date) and adds them to the file\n",
            out.display(),
            openmic_fixtures::rfc3339_ms(oldest)
        )
    );
    assert_eq!(openmic_fixtures::load_path(&out).unwrap().len(), 100);
    assert!(run.took < Duration::from_secs(30), "{:?}", run.took);
    assert_eq!(server.requests_for("/v1/calls"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_applies_to_a_5xx_s_retry_after_and_the_body_s_retry_after_and_a_wait_at_the_cap_is_waited()
 {
    let listed = calls(34, 30);
    let asked = Arc::new(AtomicU64::new(0));
    let (seen, served) = (asked.clone(), listed.clone());
    // The first request of each run gets the refusal the run is about; the rest are answered.
    let server = scripted(move |target| match path(target) {
        "/v1/calls" => match seen.fetch_add(1, Ordering::Relaxed) {
            0 => Reply::Json {
                status: 503,
                headers: vec![("Retry-After", "7200".into())],
                body: "{}".into(),
            },
            2 => Reply::Json {
                status: 429,
                headers: Vec::new(),
                body: r#"{"retryAfter":90}"#.into(),
            },
            4 => Reply::Json {
                status: 429,
                headers: vec![("Retry-After", "1".into())],
                body: "{}".into(),
            },
            _ => ok(honest("calls", &served, target)),
        },
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        format!(
            "openmic-mock: nothing written to {}: the server answered 503 to GET /v1/calls?limit=100&offset=0 \
             asking to wait 7200 s (about 2.0 hours, Retry-After), more than --max-retry-after (120 s); record \
             does not wait that long (raise --max-retry-after to let it); once the wait is over, run the same \
             command again\n",
            out.display()
        )
    );
    assert!(run.took < Duration::from_secs(30), "{:?}", run.took);
    asked.store(2, Ordering::Relaxed);
    let run = record(&server.url, &out, &["--max-retry-after", "60"], &[], QUICK).await;
    assert!(
        run.stderr().contains(
            "the server answered 429 to GET /v1/calls?limit=100&offset=0 asking to wait 90 s (about 1.5 minutes, \
             Retry-After), more than --max-retry-after (60 s)"
        ),
        "{}",
        run.stderr()
    );
    // A wait at the cap is waited out.
    asked.store(4, Ordering::Relaxed);
    let run = record(
        &server.url,
        &out,
        &[],
        &[("OPENMIC_MOCK_MAX_RETRY_AFTER", "1")],
        QUICK,
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(run.took >= Duration::from_secs(1), "{:?}", run.took);
    assert!(
        run.stderr()
            .contains("429 from the server: waiting 1.0 s (Retry-After)"),
        "{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_ignores_offset_is_not_complete() {
    let listed = calls(35, 250);
    let server = scripted(move |target| match path(target) {
        // Always the first page; has_more as the offset asked says.
        "/v1/calls" => {
            let offset = query(target, "offset").unwrap_or(0);
            ok(page("calls", &listed[..100], 250, offset + 100 < 250))
        }
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert_eq!(
        run.stdout(),
        format!(
            "recorded {}: 100 calls in 2 requests: incomplete, the page of /v1/calls at offset 100 lists only \
             calls listed before (100 of them) and pagination.total did not grow to explain it: the server \
             seems to ignore offset; what was listed is written, but it does not add up: record again\n",
            out.display()
        )
    );
    assert_eq!(openmic_fixtures::load_path(&out).unwrap().len(), 100);
    // Redacted, the advice is the same: --resume is no way on from pages that do not add up.
    let run = record(&server.url, &out, &["--redact"], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert!(
        run.stdout()
            .ends_with("seems to ignore offset; what was listed is written, but it does not add up: record again\n"),
        "{}",
        run.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_pages_skip_calls_is_not_complete() {
    let listed = calls(36, 250);
    let server = scripted(move |target| match path(target) {
        // From the second page on, each page starts two calls late; the total stays 250.
        "/v1/calls" => {
            let offset = query(target, "offset").unwrap_or(0) as usize;
            let start = if offset == 0 { 0 } else { offset + 2 };
            let slice: Vec<Value> = listed.iter().skip(start).take(100).cloned().collect();
            ok(page("calls", &slice, 250, offset + 100 < 250))
        }
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert_eq!(
        run.stdout(),
        format!(
            "recorded {}: 248 calls in 3 requests: incomplete, pagination.total says 250 calls, but 248 distinct \
             calls were listed: the pages skipped some; what was listed is written, but it does not add up: \
             record again\n",
            out.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_page_that_says_has_more_is_an_error_not_a_loop_and_not_the_end() {
    let listed = calls(37, 150);
    let server = scripted(
        move |target| match (path(target), query(target, "offset")) {
            ("/v1/calls", Some(0)) => ok(page("calls", &listed[..100], 1_000_000_000, true)),
            ("/v1/calls", _) => ok(page("calls", &[], 1_000_000_000, true)),
            _ => not_found(),
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert_eq!(
        run.stdout(),
        format!(
            "recorded {}: 100 calls in 2 requests: incomplete, the page of /v1/calls at offset 100 is empty but \
             says has_more: true (pagination.total 1000000000); what was listed is written, but it does not add \
             up: record again\n",
            out.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_and_phone_numbers_walks_are_checked_as_the_calls_are() {
    let listed = calls(38, 30);
    let bots: Vec<Value> = (0..150)
        .map(|i| serde_json::json!({"uid": format!("bot-{i:03}"), "name": "b"}))
        .collect();
    let numbers: Vec<Value> = (0..3)
        .map(|i| serde_json::json!({"phone_number_id": format!("pn-{i}"), "phone_number": "+15550000000"}))
        .collect();
    // Which misbehaviour the server shows; each run below sets it.
    let case = Arc::new(AtomicU64::new(0));
    let which = case.clone();
    let server = scripted(move |target| {
        let offset = query(target, "offset").unwrap_or(0) as usize;
        let case = which.load(Ordering::Relaxed);
        match (path(target), case) {
            ("/v1/calls", _) => ok(honest("calls", &listed, target)),
            // The first page of bots whatever the offset.
            ("/v1/bots", 0) => ok(page("bots", &bots[..100], 150, offset + 100 < 150)),
            // One bot fewer by the second page.
            ("/v1/bots", 1) => {
                let total = if offset == 0 { 150 } else { 149 };
                let slice: Vec<Value> = bots.iter().skip(offset).take(100).cloned().collect();
                ok(page(
                    "bots",
                    &slice,
                    total,
                    offset + slice.len() < total as usize,
                ))
            }
            // Not served, for the cases of the numbers.
            ("/v1/bots", _) => not_found(),
            // An empty page that says there is more.
            ("/v1/phone-numbers", 2) => ok(page("phone_numbers", &[], 5, true)),
            // No numbers at all: an empty page is no page of repeats.
            ("/v1/phone-numbers", 4) => ok(page("phone_numbers", &[], 0, false)),
            // Three numbers of a total of five, and no more.
            ("/v1/phone-numbers", _) => ok(page("phone_numbers", &numbers, 5, false)),
            _ => not_found(),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let mut lines = Vec::new();
    for (which, requests) in [(0, 3), (1, 3), (2, 3), (3, 3)] {
        case.store(which, Ordering::Relaxed);
        let run = record(&server.url, &out, &[], &[], QUICK).await;
        assert_eq!(run.code(), Some(1), "{}", run.stdout());
        let stdout = run.stdout().replace(
            "; the server does not serve /v1/bots (404), so the file has no bots",
            "",
        );
        let prefix = format!(
            "recorded {}: 30 calls in {requests} requests: incomplete, ",
            out.display()
        );
        let suffix = "; what was listed is written, but it does not add up: record again\n";
        assert!(
            stdout.starts_with(&prefix) && stdout.ends_with(suffix),
            "{stdout}"
        );
        lines.push(stdout[prefix.len()..stdout.len() - suffix.len()].to_string());
        // The calls are written; the list that does not add up is not.
        let (calls, account) = openmic_fixtures::load_path_with_account(&out).unwrap();
        assert_eq!((calls.len(), account.bots.len()), (30, 0));
    }
    case.store(4, Ordering::Relaxed);
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(0), "{}", run.stdout());
    assert!(
        run.stdout()
            .contains(": 30 calls, 0 phone numbers in 3 requests: complete; "),
        "{}",
        run.stdout()
    );
    assert_eq!(
        lines,
        [
            "the page of /v1/bots at offset 100 lists only bots listed before (100 of them) and \
             pagination.total did not grow to explain it: the server seems to ignore offset",
            "pagination.total of /v1/bots changed from 150 to 149 during its walk: bots added or deleted \
             meanwhile may be missing (the account's lists are not read back as calls are)",
            "the page of /v1/phone-numbers at offset 0 is empty but says has_more: true (pagination.total 5)",
            "pagination.total says 5 phone numbers, but 3 distinct phone numbers were listed: the pages \
             skipped some",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_that_the_changes_of_the_total_do_not_explain_is_not_complete() {
    let listed = calls(39, 250);
    let server = scripted(move |target| match path(target) {
        "/v1/calls" => {
            let offset = query(target, "offset").unwrap_or(0) as usize;
            if offset == 0 {
                return ok(page("calls", &listed[..100], 250, true));
            }
            // The total grew by 5 (5 new calls, which push 5 listed ones onto this page), but the page starts
            // 5 places late instead of 5 early.
            let slice: Vec<Value> = listed.iter().skip(offset + 5).take(100).cloned().collect();
            let more = offset + 5 + slice.len() < 250;
            ok(page("calls", &slice, 255, more))
        }
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert_eq!(
        run.stdout(),
        format!(
            "recorded {}: 245 calls in 3 requests: incomplete, 245 distinct calls were listed, but \
             pagination.total went from 250 to 255 during the walk (up by 5 and down by 0 between pages), which \
             explains 250 to 255: the pages skipped some; pagination.total changed from 250 to 255 during the \
             walk; what was listed is written, but it does not add up: record again\n",
            out.display()
        )
    );

    // More calls than the total says, which never changed.
    let listed = calls(41, 150);
    let server = scripted(move |target| match path(target) {
        "/v1/calls" => {
            let offset = query(target, "offset").unwrap_or(0) as usize;
            let slice: Vec<Value> = listed.iter().skip(offset).take(100).cloned().collect();
            ok(page("calls", &slice, 100, offset + slice.len() < 150))
        }
        _ => not_found(),
    })
    .await;
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(1), "{}", run.stdout());
    assert!(
        run.stdout().contains(
            ": 150 calls in 2 requests: incomplete, pagination.total says 100 calls, but 150 distinct calls were \
             listed: the pages listed more than that; "
        ),
        "{}",
        run.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_repeats_that_new_calls_explain_is_no_sign_of_a_server_ignoring_offset() {
    let old = calls(42, 250);
    let new = calls(43, 100);
    let asked = Arc::new(AtomicU64::new(0));
    let count = asked.clone();
    let server = scripted(move |target| match path(target) {
        // After the first page, exactly a page of newer calls: the second page is the first one again, and the
        // total grew by as much.
        "/v1/calls" => {
            let now: Vec<Value> = if count.fetch_add(1, Ordering::Relaxed) == 0 {
                old.clone()
            } else {
                new.iter().chain(&old).cloned().collect()
            };
            ok(honest("calls", &now, target))
        }
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.json");
    let run = record(&server.url, &out, &[], &[], QUICK).await;
    assert_eq!(run.code(), Some(0), "{}", run.stdout());
    assert!(
        run.stdout().contains(
            ": 250 calls in 6 requests: complete; 100 calls moved to a later page while listing (the data \
             changed; each is written once, as last served); pagination.total changed from 250 to 350 during \
             the walk"
        ),
        "{}",
        run.stdout()
    );
    assert_eq!(asked.load(Ordering::Relaxed), 4);
}
