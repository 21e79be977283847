//! Hostile input and hostile environments: nothing a request or a held connection does may take the mock down,
//! hang it, or let a web page drive it. Each test pins one defect a security review found.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::http::Method;
use openmic_mock::{MockServer, ServeOptions};
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, calls_json, prefixed_calls, raw_get};

/// One valid call whose `dynamic_variables` holds `levels` nested objects.
fn deep_call(id: &str, levels: usize) -> String {
    let mut call: serde_json::Value = serde_json::from_str(&calls_json(&prefixed_calls(id, 1)))
        .map(|mut calls: serde_json::Value| calls[0].take())
        .unwrap();
    call["dynamic_variables"] = json!("PLACEHOLDER");
    let nested = format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
    call.to_string().replace("\"PLACEHOLDER\"", &nested)
}

#[tokio::test]
async fn deeply_nested_admin_bodies_are_refused_and_the_server_stays_up() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let call = deep_call("deep", 9_000);
    for (method, path, body) in [
        (Method::PUT, "/__admin/calls", format!("[{call}]")),
        (Method::POST, "/__admin/calls", call.clone()),
        (
            Method::PUT,
            "/__admin/tenants/tenant-deep/calls",
            format!("[{call}]"),
        ),
    ] {
        let started = Instant::now();
        let response = http.admin(method.clone(), path, Some(&body)).await;
        let message = assert_admin_error(&response, 400);
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
        assert!(message.contains("at most 125 levels"), "{message}");
        assert!(message.contains("dynamic_variables.a.a"), "{message}");
        assert!(message.contains("deep-0000"), "names the call: {message}");
    }
    // Still serving, with the data it had.
    let health = http.admin(Method::GET, "/__admin/health", None).await;
    assert_eq!(health.json()["calls"], 5);
}

#[tokio::test]
async fn a_hundred_thousand_level_fixture_is_refused_in_well_under_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    std::fs::write(&path, format!("[{}]", deep_call("deep", 100_000))).unwrap();
    let started = Instant::now();
    let output = crate::helpers::mock_bin()
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("deep.json:1:"), "{stdout}");
    assert!(stdout.contains("at most 125 levels"), "{stdout}");
    // The process start is part of this; the refusal itself takes milliseconds.
    assert!(took < Duration::from_secs(1), "took {took:?}");

    let started = Instant::now();
    let serve = MockServer::builder().fixture_path(&path).build_state();
    assert!(serve.is_err());
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn mutating_admin_requests_need_a_json_content_type() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    // What a web page can send cross-origin without a preflight: a form or plain text POST.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        let reset = http
            .send(Method::POST, "/__admin/reset", &headers, None)
            .await;
        let message = assert_admin_error(&reset, 415);
        assert!(
            message.contains("Content-Type: application/json"),
            "{message}"
        );
        let found =
            content_type.map_or_else(|| "found none".to_string(), |c| format!("found \"{c}\";"));
        assert!(
            message.contains(&found),
            "names what was sent, quoted once: {message}"
        );
        let replace = http
            .send(Method::PUT, "/__admin/calls", &headers, Some("[]"))
            .await;
        assert_eq!(replace.status, 415);
    }
    assert_eq!(server.calls().len(), 5, "nothing was changed");
    let ok = http
        .send(
            Method::POST,
            "/__admin/reset",
            &[("content-type", "application/json; charset=utf-8")],
            None,
        )
        .await;
    assert_eq!(ok.status, 200);
    // Reads need no content type, and admin answers never carry CORS headers, even to a preflight.
    let read = http
        .send(
            Method::GET,
            "/__admin/requests",
            &[("origin", "http://evil.example")],
            None,
        )
        .await;
    assert_eq!(read.status, 200);
    let preflight = http
        .send(
            Method::OPTIONS,
            "/__admin/reset",
            &[
                ("origin", "http://evil.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
        .await;
    assert!(preflight.status >= 400);
    for response in [&read, &preflight] {
        assert!(
            !response
                .headers
                .iter()
                .any(|(name, _)| name.starts_with("access-control-")),
            "{:?}",
            response.headers
        );
    }
}

#[tokio::test]
async fn on_loopback_only_loopback_and_allowed_host_names_are_answered() {
    let server = MockServer::builder()
        .generated(1, 5)
        .allowed_host("openmic-mock")
        .start()
        .await
        .unwrap();
    let addr = server.address();
    let port = addr.port();
    let result = tokio::task::spawn_blocking(move || {
        let mut answers = Vec::new();
        for host in [
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            "[::1]".to_string(),
            format!("openmic-mock:{port}"),
        ] {
            answers.push((host.clone(), raw_get(addr, "/v1/calls?limit=1", &host)));
        }
        for host in ["evil.example", "rebind.attacker.example:8080"] {
            for path in ["/v1/calls", "/__admin/requests"] {
                answers.push((host.to_string(), raw_get(addr, path, host)));
            }
        }
        answers
    })
    .await
    .unwrap();
    for (host, (status, body)) in result {
        if host.contains("example") {
            assert!(status.contains(" 403 "), "{host}: {status}");
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["error"], "Forbidden");
            assert!(
                body["message"].as_str().unwrap().contains("--allowed-host"),
                "{body}"
            );
        } else {
            assert!(status.contains(" 200 "), "{host}: {status}");
        }
    }
}

#[tokio::test]
async fn thousands_of_unknown_parameters_cost_little_and_get_a_short_warning() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let names: Vec<String> = (0..6_000).map(|i| format!("u{i}=1")).collect();
    let path = format!("/v1/calls?limit=1&{}", names.join("&"));
    let started = Instant::now();
    let response = http.get(&path).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(response.status, 200);
    let warning = response.header("x-mock-warning").unwrap();
    assert!(warning.len() < 300, "{} bytes: {warning}", warning.len());
    assert!(
        warning.contains("u0, u1, u2, u3, u4, u5, u6, u7, u8, u9, and 5990 more"),
        "{warning}"
    );

    let strict = MockServer::builder()
        .generated(1, 5)
        .strict(true)
        .start()
        .await
        .unwrap();
    let response = Http::new(&strict).get(&path).await;
    assert_eq!(response.status, 400);
    let message = response.json()["message"].as_str().unwrap().to_string();
    assert!(message.len() < 1000, "{message}");
    assert!(message.contains("and 5990 more"), "{message}");
    // Exactly ten: all named, nothing "more".
    let ten: Vec<String> = (0..10).map(|i| format!("u{i}=1")).collect();
    let lenient = http.get(&format!("/v1/calls?{}", ten.join("&"))).await;
    let warning = lenient.header("x-mock-warning").unwrap();
    assert!(warning.ends_with("u8, u9"), "{warning}");
    let response = Http::new(&strict)
        .get(&format!("/v1/calls?{}", ten.join("&")))
        .await;
    let message = response.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("u9 is not a parameter") && !message.contains("more"),
        "{message}"
    );
}

#[tokio::test]
async fn retry_after_is_capped_at_a_day_and_one_second_is_singular() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    for (retry_after, status) in [(86_401_u64, 400), (u64::MAX, 400), (86_400, 200)] {
        let body = json!({"status": 429, "retry_after": retry_after}).to_string();
        let response = http
            .admin(Method::POST, "/__admin/faults/next", Some(&body))
            .await;
        assert_eq!(response.status, status, "{retry_after}");
    }
    http.admin(Method::DELETE, "/__admin/faults", None).await;
    let body = json!({"status": 429, "retry_after": 1}).to_string();
    http.admin(Method::POST, "/__admin/faults/next", Some(&body))
        .await;
    let limited = http.get("/v1/calls").await;
    assert_eq!(limited.status, 429);
    let message = limited.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.ends_with("Please retry after 1 second."),
        "{message}"
    );
}

/// A server with short timeouts, for tests of held connections.
async fn impatient_server(options: ServeOptions) -> MockServer {
    MockServer::builder()
        .generated(1, 5)
        .serve_options(options)
        .start()
        .await
        .unwrap()
}

/// Whether the server closes `stream` within `within` (a read returns end of file or an error).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) => {
                return !matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_and_an_idle_connection_are_closed_on_time() {
    let server = impatient_server(ServeOptions {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(800),
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    tokio::task::spawn_blocking(move || {
        // Slow headers: the first line, then nothing.
        let mut slow = TcpStream::connect(addr).unwrap();
        slow.write_all(b"GET /v1/calls HTTP/1.1\r\nHost: localhost\r\n")
            .unwrap();
        let started = Instant::now();
        assert!(closed_within(&mut slow, Duration::from_secs(3)));
        let took = started.elapsed();
        assert!(took < Duration::from_millis(700), "head timeout took {took:?}");

        // Idle: connected, never sends; kept past the header timeout, closed at the idle timeout.
        let mut idle = TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        assert!(closed_within(&mut idle, Duration::from_secs(3)));
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(700) && took < Duration::from_millis(1500),
            "idle timeout took {took:?}"
        );

        // A keep-alive connection between requests is idle too, not a slow head.
        let mut kept = TcpStream::connect(addr).unwrap();
        kept.write_all(
            b"GET /v1/calls?limit=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer test-key\r\n\r\n",
        )
        .unwrap();
        kept.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut first = [0u8; 12];
        kept.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        let started = Instant::now();
        assert!(closed_within(&mut kept, Duration::from_secs(3)));
        assert!(started.elapsed() >= Duration::from_millis(600));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn one_connection_over_the_cap_gets_a_json_503_and_the_rest_keep_working() {
    let server = impatient_server(ServeOptions {
        max_connections: 2,
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    tokio::task::spawn_blocking(move || {
        let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(100));
        let (status, body) = raw_get(addr, "/v1/calls", "localhost");
        assert!(status.contains(" 503 "), "{status}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("--max-connections"),
            "{body}"
        );
        drop(held);
        // The slots come back once the held connections close.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let (status, _) = raw_get(addr, "/v1/calls?limit=1", "localhost");
            if status.contains(" 200 ") {
                break;
            }
            assert!(Instant::now() < deadline, "still refused: {status}");
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn shutdown_finishes_by_its_deadline_with_a_half_sent_request_held() {
    let server = impatient_server(ServeOptions {
        // Longer than the test: only the shutdown deadline can end the held request.
        header_read_timeout: Duration::from_secs(60),
        shutdown_timeout: Duration::from_millis(300),
        ..ServeOptions::default()
    })
    .await;
    let mut held = TcpStream::connect(server.address()).unwrap();
    held.write_all(b"GET /v1/calls HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), server.shutdown())
        .await
        .expect("shutdown finished")
        .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(closed_within(&mut held, Duration::from_secs(1)));
}

/// Setting the connection limits after the allowed hosts keeps the allowed hosts.
#[tokio::test]
async fn serve_options_keep_the_allowed_hosts_set_before_them() {
    let server = MockServer::builder()
        .generated(1, 5)
        .allowed_host("openmic-mock")
        .serve_options(ServeOptions::default())
        .start()
        .await
        .unwrap();
    let addr = server.address();
    let (status, _) = tokio::task::spawn_blocking(move || {
        raw_get(
            addr,
            "/v1/calls?limit=1",
            &format!("openmic-mock:{}", addr.port()),
        )
    })
    .await
    .unwrap();
    assert!(status.contains(" 200 "), "{status}");
}

/// Sends `head` and `partial` (a start of the announced body, then nothing); returns the answer's first line
/// and body, how long it took, and whether the server then closed the connection.
fn stalled_body(
    addr: std::net::SocketAddr,
    head: &str,
    partial: &str,
) -> (String, String, Duration, bool) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(partial.as_bytes()).unwrap();
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body, took, closed)
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_at_the_body_read_timeout_on_every_route_with_a_body() {
    let server = impatient_server(ServeOptions {
        body_read_timeout: Duration::from_millis(500),
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    let json = "Content-Type: application/json\r\nAuthorization: Bearer test-key\r\n";
    let cases = [
        // Content-Length announced, a tenth sent.
        format!(
            "POST /v1/create-phone-call HTTP/1.1\r\nHost: localhost\r\n{json}Content-Length: 100\r\n\r\n"
        ),
        // Chunked, one chunk, never the last.
        format!(
            "POST /v1/bots HTTP/1.1\r\nHost: localhost\r\n{json}Transfer-Encoding: chunked\r\n\r\n5\r\n{{\"nam\r\n"
        ),
        format!(
            "POST /v1/phone-numbers/link-agent HTTP/1.1\r\nHost: localhost\r\n{json}Content-Length: 100\r\n\r\n"
        ),
        format!(
            "PUT /__admin/calls HTTP/1.1\r\nHost: localhost\r\n{json}Content-Length: 1000\r\n\r\n"
        ),
    ];
    tokio::task::spawn_blocking(move || {
        for head in cases {
            let partial = if head.contains("chunked") {
                ""
            } else {
                "{\"from_nu"
            };
            let (status, body, took, closed) = stalled_body(addr, &head, partial);
            let route = head.lines().next().unwrap().to_string();
            assert!(
                status.starts_with("HTTP/1.1 408"),
                "{route}: {status} {body}"
            );
            assert!(
                body.contains("\"error\":\"Request Timeout\"")
                    && body.contains(
                        "the request body did not arrive within 500 ms (--body-read-timeout)"
                    ),
                "{route}: {body}"
            );
            assert!(
                took >= Duration::from_millis(400) && took < Duration::from_millis(2_000),
                "{route}: {took:?}"
            );
            assert!(
                closed,
                "{route}: the connection should be closed after the 408"
            );
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_body_that_arrives_slowly_but_in_time_is_read_whole() {
    let server = impatient_server(ServeOptions {
        body_read_timeout: Duration::from_millis(1_500),
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    tokio::task::spawn_blocking(move || {
        let body = r#"{"name": "Slow", "prompt": "p"}"#;
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /v1/bots HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer test-key\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        for part in [&body[..10], &body[10..20], &body[20..]] {
            std::thread::sleep(Duration::from_millis(300));
            stream.write_all(part.as_bytes()).unwrap();
        }
        let mut answer = String::new();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    })
    .await
    .unwrap();
}

// The server needs threads of its own while the test blocks on sockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_stalled_bodies_do_not_keep_other_clients_waiting() {
    let server = impatient_server(ServeOptions {
        body_read_timeout: Duration::from_secs(2),
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    let http = Http::new(&server);
    let stalled: Vec<TcpStream> = tokio::task::spawn_blocking(move || {
        (0..200)
            .map(|_| {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .write_all(b"POST /v1/create-phone-call HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer test-key\r\nContent-Length: 100\r\n\r\n{")
                    .unwrap();
                stream
            })
            .collect()
    })
    .await
    .unwrap();
    // While they hang, other clients are answered at once.
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(http.get("/v1/calls?limit=1").await.status, 200);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }
    // Each stalled one gets its 408 at the timeout, and its connection closed.
    tokio::task::spawn_blocking(move || {
        for mut stream in stalled {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
    })
    .await
    .unwrap();
}

// Blocking sockets: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_a_stalled_connection_makes_room_for_a_new_client() {
    let server = impatient_server(ServeOptions {
        max_connections: 40,
        body_read_timeout: Duration::from_secs(60),
        header_read_timeout: Duration::from_secs(60),
        ..ServeOptions::default()
    })
    .await;
    let addr = server.address();
    // Every slot taken: 30 stalled bodies and 10 stalled heads.
    let stalled: Vec<TcpStream> = tokio::task::spawn_blocking(move || {
        (0..40)
            .map(|i| {
                let mut stream = TcpStream::connect(addr).unwrap();
                let head: &[u8] = if i < 30 {
                    b"POST /v1/create-phone-call HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer test-key\r\nContent-Length: 100\r\n\r\n{"
                } else {
                    b"GET /v1/calls HTTP/1.1\r\nHost: loc"
                };
                stream.write_all(head).unwrap();
                stream
            })
            .collect()
    })
    .await
    .unwrap();
    // Too fresh to be taken for stalled: the next client gets the 503.
    let early =
        tokio::task::spawn_blocking(move || raw_get(addr, "/v1/calls?limit=1", "localhost"))
            .await
            .unwrap();
    assert!(early.0.contains(" 503 "), "{early:?}");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Stalled for over a second: each new client is served in the place of one of them. The clients keep
    // their connections, so each needs a slot of its own.
    let clients = tokio::task::spawn_blocking(move || {
        (0..15)
            .map(|_| {
                let started = Instant::now();
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .write_all(b"GET /v1/calls?limit=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer test-key\r\n\r\n")
                    .unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut first = [0u8; 12];
                stream.read_exact(&mut first).unwrap();
                assert_eq!(&first, b"HTTP/1.1 200");
                assert!(started.elapsed() < Duration::from_millis(800), "{:?}", started.elapsed());
                stream
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    // Fifteen of the stalled connections were closed to make room; the others still hang.
    let closed = tokio::task::spawn_blocking(move || {
        stalled
            .iter()
            .filter(|stream| {
                let mut stream = *stream;
                stream
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let mut buf = [0u8; 64];
                // End of file, or a reset: closed. A read timing out: still open.
                match stream.read(&mut buf) {
                    Err(e) => !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                    Ok(0) => true,
                    Ok(n) => panic!("a stalled connection got {n} bytes of an answer"),
                }
            })
            .count()
    })
    .await
    .unwrap();
    assert_eq!(closed, 15);
    drop(clients);
}
