//! Test helpers: a `TestApp` that talks to the mock in-process or over a socket, an `Http` client for a server
//! over a socket, small data sets built for one purpose each, and the binary started as a child process.
//! Webhook receivers are in `webhooks`.

#![allow(dead_code)]

pub mod webhooks;

use axum::body::Body;
use axum::http::{Method, Request};
use openmic_fixtures::{Call, CallStatus, CallType, Direction, TimestampMs};
use openmic_mock::{AppState, MockServer, MockServerBuilder};
use serde_json::Value;
use tower::ServiceExt;

pub const KEY: &str = "test-key";

/// Generates, for each named `async fn(TestApp)`, a module with an `in_process` and an `over_socket` test
/// that run it against the default builder (the embedded data set).
macro_rules! depths {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn in_process() {
                    super::$name(crate::helpers::TestApp::in_process(super::builder()).await).await
                }
                #[tokio::test]
                async fn over_socket() {
                    super::$name(crate::helpers::TestApp::over_socket(super::builder()).await).await
                }
            }
        )+
    };
}
pub(crate) use depths;

/// How a test reaches the mock.
pub enum TestApp {
    InProcess(AppState),
    Socket(MockServer, reqwest::Client),
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text (invalid UTF-8 replaced), for failure messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `call_id`s of a List Calls page.
    pub fn ids(&self) -> Vec<String> {
        self.json()["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["call_id"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn pagination(&self) -> Value {
        self.json()["pagination"].clone()
    }

    /// Asserts the vendor's 400 body, and returns its message.
    pub fn assert_invalid_query(&self) -> String {
        assert_eq!(self.status, 400, "{}", String::from_utf8_lossy(&self.body));
        assert_json_content_type(self);
        let body = self.json();
        assert_eq!(body["error"], "Invalid query parameters provided.");
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
        body["message"].as_str().unwrap().to_string()
    }
}

pub fn assert_json_content_type(response: &TestResponse) {
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8"),
        "status {}",
        response.status
    );
}

impl TestApp {
    pub async fn in_process(builder: MockServerBuilder) -> Self {
        TestApp::InProcess(builder.build_state().unwrap())
    }

    pub async fn over_socket(builder: MockServerBuilder) -> Self {
        let server = builder.start().await.unwrap();
        TestApp::Socket(server, reqwest::Client::new())
    }

    /// Any request; `path` includes the query string exactly as it goes on the wire.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.request_with_body(method, path, headers, None).await
    }

    /// A request with the valid key and, when given, a JSON body (`Content-Type: application/json`).
    pub async fn send_json(&self, method: Method, path: &str, body: Option<&str>) -> TestResponse {
        let mut headers = vec![("authorization", "Bearer test-key")];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.request_with_body(method, path, &headers, body).await
    }

    /// Any request, with an optional body.
    pub async fn request_with_body(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        match self {
            TestApp::InProcess(state) => {
                let mut request = Request::builder().method(method).uri(path);
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
                let response = openmic_mock::app(state.clone())
                    .oneshot(request.body(body).unwrap())
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let headers = header_pairs(response.headers());
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap()
                    .to_vec();
                TestResponse {
                    status,
                    headers,
                    body,
                }
            }
            TestApp::Socket(server, client) => {
                let mut request = client.request(method, format!("{}{path}", server.uri()));
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                if let Some(body) = body {
                    request = request.body(body.to_string());
                }
                read_response(request.send().await.unwrap()).await
            }
        }
    }

    /// A GET with the valid key.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[("authorization", "Bearer test-key")])
            .await
    }

    /// The four paths of the API, with the id of a call that exists.
    pub async fn api_paths(&self) -> [String; 4] {
        let id = self.get("/v1/calls?limit=1").await.ids()[0].clone();
        [
            "/v1/calls".into(),
            "/v1/calls/".into(),
            format!("/v1/call/{id}"),
            format!("/v1/call/{id}/"),
        ]
    }

    /// Every call matching `query`, by walking pages of 100. Fails (rather than hanging) when the walk does
    /// not end: a page that says `has_more` must not be empty, and no data set here needs 1,000 pages.
    pub async fn list_all(&self, query: &str) -> Vec<Value> {
        let mut calls = Vec::new();
        for _ in 0..1000 {
            let sep = if query.is_empty() { "" } else { "&" };
            let page = self
                .get(&format!(
                    "/v1/calls?limit=100&offset={}{sep}{query}",
                    calls.len()
                ))
                .await;
            assert_eq!(page.status, 200);
            let body = page.json();
            let page_calls = body["calls"].as_array().unwrap();
            let has_more = body["pagination"]["has_more"].as_bool().unwrap();
            assert!(
                !(has_more && page_calls.is_empty()),
                "has_more with an empty page at offset {}",
                calls.len()
            );
            calls.extend(page_calls.iter().cloned());
            if !has_more {
                return calls;
            }
        }
        panic!("pagination did not end after 1,000 pages");
    }
}

fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("<binary>").to_string()))
        .collect()
}

/// A call with the given id, status and start; everything else plain.
pub fn call(id: &str, status: CallStatus, start: Option<u64>) -> Call {
    let mut call = Call::new(
        id,
        "agent00000000000000000001",
        CallType::Phone,
        Direction::Inbound,
        status,
        "+15550000001",
        "+15550000002",
    );
    call.start_timestamp = start.map(TimestampMs);
    call
}

/// Calls made to exercise ordering and date bounds: two tie groups, calls that have not started, and calls
/// at the exact bounds used by the date tests.
pub fn ordering_calls() -> Vec<Call> {
    vec![
        call("c-b", CallStatus::Ended, Some(1_000)),
        call("c-a", CallStatus::Ended, Some(1_000)),
        call("c-c", CallStatus::Ended, Some(1_000)),
        call("c-z", CallStatus::Ended, Some(500)),
        call("c-y", CallStatus::Ended, Some(2_000)),
        call("c-r2", CallStatus::Registered, None),
        call("c-r1", CallStatus::Registered, None),
        call("c-x", CallStatus::Ongoing, Some(2_000)),
        call("c-0", CallStatus::Ended, Some(0)),
    ]
}

/// A client for a server over a socket: API and admin requests, read whole.
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(server: &MockServer) -> Self {
        Http {
            base: server.uri(),
            client: reqwest::Client::new(),
        }
    }

    /// Any request, with an optional body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        read_response(response).await
    }

    /// A GET of the API with `key`.
    pub async fn get_as(&self, path: &str, key: &str) -> TestResponse {
        let auth = format!("Bearer {key}");
        self.send(Method::GET, path, &[("authorization", &auth)], None)
            .await
    }

    /// A GET of the API with the default key.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.get_as(path, KEY).await
    }

    /// An admin request without an admin key; one that changes something says its body is JSON, as the
    /// admin API requires.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&str>) -> TestResponse {
        let headers: &[(&str, &str)] = if method == Method::GET {
            &[]
        } else {
            &[("content-type", "application/json")]
        };
        self.send(method, path, headers, body).await
    }
}

pub async fn read_response(response: reqwest::Response) -> TestResponse {
    let status = response.status().as_u16();
    let headers = header_pairs(response.headers());
    let body = response.bytes().await.unwrap().to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}

/// `count` calls whose ids all start with `prefix` (`{prefix}-0000`, ...), distinct start times.
pub fn prefixed_calls(prefix: &str, count: usize) -> Vec<Call> {
    (0..count)
        .map(|i| {
            call(
                &format!("{prefix}-{i:04}"),
                CallStatus::Ended,
                Some(1_700_000_000_000 + i as u64 * 1000),
            )
        })
        .collect()
}

/// The `call_id` of each call in `calls` (one call's JSON each, as a page of the store or a recording holds
/// them), in order; each must read back as a [`Call`].
pub fn call_ids(calls: &[impl AsRef<str>]) -> Vec<String> {
    calls
        .iter()
        .map(|json| serde_json::from_str::<Call>(json.as_ref()).unwrap().call_id)
        .collect()
}

/// `calls` as the JSON array body of `PUT /__admin/calls`.
pub fn calls_json(calls: &[Call]) -> String {
    serde_json::to_string(calls).unwrap()
}

/// Asserts an admin error: status, the JSON content type, the `{"error","message"}` shape; returns the message.
pub fn assert_admin_error(response: &TestResponse, status: u16) -> String {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_json_content_type(response);
    let body = response.json();
    assert!(body["error"].is_string(), "{body}");
    body["message"].as_str().unwrap().to_string()
}

/// The `openmic-mock` binary, with no `OPENMIC_MOCK_*` settings inherited from the developer's shell.
pub fn mock_bin() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_openmic-mock"));
    for (key, _) in std::env::vars() {
        if key.starts_with("OPENMIC_MOCK_") {
            command.env_remove(key);
        }
    }
    // `record` also reads the contract kit's variables.
    command.env_remove("OPENMIC_API_KEY");
    command.env_remove("OPENMIC_BASE_URL");
    command
}

/// A spawned binary that is killed when dropped, so a test that fails before stopping it leaves no server
/// running. Derefs to its [`std::process::Child`].
pub struct Spawned(std::process::Child);

impl std::ops::Deref for Spawned {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Spawned {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Already gone when the test stopped it (kill then fails): either way it is reaped.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` with its standard output piped, and waits for its first line (the binary's startup
/// line); its standard error is left as the caller set it. The child is killed when dropped.
pub fn spawn_for_first_line(command: &mut std::process::Command) -> (Spawned, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Spawned(
        command
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// The loopback address of the port in a startup line (whatever address the binary bound).
pub fn loopback_addr(line: &str) -> std::net::SocketAddr {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .and_then(|addr| addr.rsplit(':').next())
        .and_then(|port| port.parse::<u16>().ok())
        .map(|port| std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .unwrap_or_else(|| panic!("no URL in the startup line: {line:?}"))
}

/// Starts the binary and waits for its startup line; returns the child, its base URL on loopback (whatever
/// address it bound) and the line.
pub fn spawn_serving(args: &[&str], envs: &[(&str, &str)]) -> (Spawned, String, String) {
    let (child, line) = spawn_for_first_line(
        mock_bin()
            .args(args)
            .envs(envs.iter().copied())
            .stderr(std::process::Stdio::null()),
    );
    let url = format!("http://{}", loopback_addr(&line));
    (child, url, line)
}

/// Sends raw HTTP/1.1 with a chosen `Host` and the default key, and returns the status line and body.
pub fn raw_get(addr: std::net::SocketAddr, path: &str, host: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// 2026-01-15T09:00:00Z: where the virtual clock of the time and webhook tests starts.
pub const T0: u64 = 1_768_467_600_000;

/// A number of the embedded data set's account (an agent's number: outbound calls come from it).
pub fn account_number(server: &MockServer) -> String {
    server
        .calls()
        .into_iter()
        .find(|c| c.direction == Direction::Outbound)
        .map(|c| c.from_number)
        .unwrap()
}

/// `builder` started with a virtual clock at [`T0`], and a client for it.
pub async fn virtual_server_with(builder: MockServerBuilder) -> (MockServer, Http) {
    let server = builder
        .clock(openmic_mock::ClockSpec::Virtual(Some(T0)))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    (server, http)
}

/// `POST /v1/create-phone-call` with `body`, as `key`.
pub async fn create_as(http: &Http, key: &str, body: &Value) -> TestResponse {
    let auth = format!("Bearer {key}");
    http.send(
        Method::POST,
        "/v1/create-phone-call",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&body.to_string()),
    )
    .await
}

/// A created call's JSON, after checking the 201.
pub async fn created_as(http: &Http, key: &str, body: &Value) -> Value {
    let response = create_as(http, key, body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// `GET /v1/call/{id}` with the default key, which must answer 200; returns the call.
pub async fn get_call(http: &Http, id: &str) -> Value {
    let response = http.get(&format!("/v1/call/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// An admin request that must succeed (any 2xx); returns its JSON body.
pub async fn admin_ok(http: &Http, method: Method, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    let response = http.admin(method, path, body.as_deref()).await;
    assert!(
        (200..300).contains(&response.status),
        "{path}: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

/// `POST /__admin/clock/advance` by `ms`, which must succeed.
pub async fn advance(http: &Http, ms: u64) {
    admin_ok(
        http,
        Method::POST,
        "/__admin/clock/advance",
        Some(serde_json::json!({ "ms": ms })),
    )
    .await;
}

/// `POST /__admin/outcomes` with one outcome or an array, which must succeed.
pub async fn queue(http: &Http, outcomes: Value) {
    admin_ok(http, Method::POST, "/__admin/outcomes", Some(outcomes)).await;
}
