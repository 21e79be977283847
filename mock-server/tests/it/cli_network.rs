//! What the binary does beyond loopback (`--network-admin`), with `--host NAME`, and `healthcheck`: the settings
//! the container image and its health check rely on.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;

use crate::helpers::{Spawned, mock_bin, spawn_for_first_line, spawn_serving};

async fn status(url: &str, key: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap().status().as_u16()
}

fn stop(mut child: Spawned) {
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn the_refusal_names_network_admin_as_a_way_out() {
    let output = mock_bin()
        .args(["--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--network-admin open")
            && stderr.contains("OPENMIC_MOCK_NETWORK_ADMIN=open"),
        "{stderr}"
    );
    // `refuse` said out loud is the default.
    let output = mock_bin()
        .args([
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--network-admin",
            "refuse",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn network_admin_off_serves_the_api_with_the_admin_api_off_and_health_on() {
    let (child, url, line) = spawn_serving(
        &["--host", "0.0.0.0", "--port", "0"],
        &[("OPENMIC_MOCK_NETWORK_ADMIN", "off")],
    );
    assert!(
        line.contains("; admin API off (on a non-loopback address it needs --admin-key, or --network-admin open)"),
        "{line}"
    );
    assert_eq!(
        status(&format!("{url}/v1/calls?limit=1"), Some("test-key")).await,
        200
    );
    assert_eq!(status(&format!("{url}/__admin/requests"), None).await, 404);
    assert_eq!(status(&format!("{url}/__admin/health"), None).await, 200);
    stop(child);
}

#[tokio::test]
async fn network_admin_open_serves_the_admin_api_without_a_key_and_warns() {
    let (child, line) = spawn_for_first_line(
        mock_bin()
            .args([
                "--host",
                "0.0.0.0",
                "--port",
                "0",
                "--network-admin",
                "open",
            ])
            .stderr(Stdio::piped()),
    );
    let url = format!("http://{}", crate::helpers::loopback_addr(&line));
    assert!(
        line.contains("; admin API at /__admin, web page at http://0.0.0.0:")
            && line.contains("/__admin/ui"),
        "{line}"
    );
    assert_eq!(status(&format!("{url}/__admin/requests"), None).await, 200);
    let mut child = child;
    child.kill().unwrap();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        logs.contains("the admin API is open to the network without a key"),
        "{logs}"
    );
}

#[tokio::test]
async fn an_admin_key_wins_over_network_admin() {
    for setting in ["off", "open"] {
        let (child, url, line) = spawn_serving(
            &[
                "--host",
                "0.0.0.0",
                "--port",
                "0",
                "--network-admin",
                setting,
                "--admin-key",
                "adm1n",
            ],
            &[],
        );
        assert!(line.contains("admin key required"), "{setting}: {line}");
        assert_eq!(
            status(&format!("{url}/__admin/requests"), None).await,
            401,
            "{setting}"
        );
        assert_eq!(
            status(&format!("{url}/__admin/requests"), Some("adm1n")).await,
            200,
            "{setting}"
        );
        stop(child);
    }
}

#[tokio::test]
async fn on_loopback_network_admin_off_changes_nothing() {
    let (child, url, line) = spawn_serving(&["--port", "0", "--network-admin", "off"], &[]);
    assert!(
        line.contains(&format!(
            "; admin API at /__admin, web page at {url}/__admin/ui"
        )),
        "{line}"
    );
    assert_eq!(status(&format!("{url}/__admin/requests"), None).await, 200);
    stop(child);
}

#[tokio::test]
async fn no_admin_stays_plainly_off_whatever_network_admin_says() {
    let (child, url, line) = spawn_serving(
        &[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--no-admin",
            "--network-admin",
            "open",
        ],
        &[],
    );
    assert!(
        line.contains("; admin API off") && !line.contains("needs --admin-key"),
        "{line}"
    );
    assert_eq!(status(&format!("{url}/__admin/requests"), None).await, 404);
    stop(child);
}

#[test]
fn host_takes_a_name_resolved_without_the_c_library() {
    let (child, line) =
        spawn_for_first_line(mock_bin().args(["--host", "localhost", "--port", "0"]));
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
    stop(child);

    let output = mock_bin()
        .args(["--host", "no-such-host.invalid", "--port", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("cannot listen on no-such-host.invalid: cannot resolve no-such-host.invalid"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_exits_0_for_a_running_mock_reading_the_port_from_the_environment() {
    let (child, _url, line) = spawn_serving(&["--port", "0"], &[]);
    let port = crate::helpers::loopback_addr(&line).port().to_string();
    let output = mock_bin()
        .arg("healthcheck")
        .env("OPENMIC_MOCK_PORT", &port)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!(
            r#"healthy: http://127.0.0.1:{port}/__admin/health answered 200 {{"status":"ok","calls":300}}"#
        )
    );
    stop(child);
}

#[test]
fn healthcheck_exits_1_when_nothing_listens() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = mock_bin()
        .args(["healthcheck", "--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "openmic-mock: http://127.0.0.1:{port}/__admin/health: cannot connect:"
        )),
        "{stderr}"
    );
}

/// A one-shot server: reads a request head, writes `answer`, closes (or, with `None`, never answers).
fn one_shot(answer: Option<&'static str>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = [0u8; 1024];
        let _ = stream.read(&mut head);
        match answer {
            Some(answer) => stream.write_all(answer.as_bytes()).unwrap(),
            None => std::thread::sleep(std::time::Duration::from_secs(3)),
        }
    });
    (port, handle)
}

#[test]
fn healthcheck_exits_1_on_an_answer_other_than_200() {
    let (port, server) = one_shot(Some(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 15\r\n\r\n{\"status\":\"no\"}",
    ));
    let output = mock_bin()
        .args(["healthcheck", "--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(r#"/__admin/health answered 503: {"status":"no"}"#),
        "{stderr}"
    );
    server.join().unwrap();

    let (port, server) = one_shot(Some("SSH-2.0-OpenSSH\r\n"));
    let output = mock_bin()
        .args(["healthcheck", "--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not an HTTP answer: \"SSH-2.0-OpenSSH\""),
        "{stderr}"
    );
    server.join().unwrap();
}

#[test]
fn healthcheck_gives_up_at_its_timeout() {
    let (port, server) = one_shot(None);
    let started = std::time::Instant::now();
    let output = mock_bin()
        .args([
            "healthcheck",
            "--port",
            &port.to_string(),
            "--timeout",
            "0.5",
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        elapsed < std::time::Duration::from_millis(2500),
        "{elapsed:?}"
    );
    assert!(
        stderr.contains("/__admin/health: no complete answer within 500ms"),
        "{stderr}"
    );
    server.join().unwrap();
}
