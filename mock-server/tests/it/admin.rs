//! The admin API over a socket: health, access, data changes, reset, its precise errors, the key order of its
//! bodies and bodies of several mebibytes. Its per-call routes are in `admin_calls.rs`.

use axum::http::Method;
use openmic_fixtures::CallStatus;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, call, calls_json, prefixed_calls};

async fn start() -> (MockServer, Http) {
    let server = MockServer::builder()
        .calls(prefixed_calls("start", 5))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    (server, http)
}

async fn total(http: &Http) -> u64 {
    http.get("/v1/calls").await.pagination()["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn health_answers_ok_with_the_call_count() {
    let (_server, http) = start().await;
    let response = http.admin(Method::GET, "/__admin/health", None).await;
    assert_eq!(response.status, 200);
    crate::helpers::assert_json_content_type(&response);
    assert_eq!(response.json(), json!({"status": "ok", "calls": 5}));
}

#[tokio::test]
async fn an_admin_key_guards_everything_but_health() {
    let server = MockServer::builder()
        .admin_key("s3cret")
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    assert_eq!(
        http.admin(Method::GET, "/__admin/health", None)
            .await
            .status,
        200
    );
    for (method, path) in [
        (Method::GET, "/__admin/requests"),
        (Method::GET, "/__admin/faults"),
        (Method::POST, "/__admin/reset"),
        (Method::PUT, "/__admin/calls"),
    ] {
        let message = assert_admin_error(&http.admin(method.clone(), path, None).await, 401);
        assert!(message.contains("--admin-key"), "{message}");
        let wrong = http
            .send(
                method.clone(),
                path,
                &[("authorization", "Bearer nope")],
                None,
            )
            .await;
        assert_admin_error(&wrong, 401);
    }
    let right = http
        .send(
            Method::GET,
            "/__admin/faults",
            &[("authorization", "Bearer s3cret")],
            None,
        )
        .await;
    assert_eq!(right.status, 200);
}

#[tokio::test]
async fn without_the_admin_api_its_paths_are_unknown_api_paths_but_health() {
    let server = MockServer::builder().admin(false).start().await.unwrap();
    let http = Http::new(&server);
    let response = http.admin(Method::GET, "/__admin/faults", None).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "Not Found");
    assert_eq!(
        http.admin(Method::GET, "/__admin/health", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn refuses_a_non_loopback_address_without_an_admin_key() {
    let unspecified: std::net::IpAddr = "0.0.0.0".parse().unwrap();
    let err = MockServer::builder()
        .ip(unspecified)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, openmic_mock::StartError::AdminWithoutKey(ip) if ip == unspecified),
        "{err}"
    );
    assert!(err.to_string().contains("--admin-key"), "{err}");
    for builder in [
        MockServer::builder().ip(unspecified).admin_key("k"),
        MockServer::builder().ip(unspecified).admin(false),
    ] {
        let server = builder.start().await.unwrap();
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn put_calls_replaces_the_data_in_each_fixture_format() {
    let (_server, http) = start().await;
    let calls = prefixed_calls("new", 3);
    let array = calls_json(&calls);
    let saved_response = json!({"calls": calls, "pagination": {"limit": 3, "offset": 0, "total": 3, "has_more": false}})
        .to_string();
    let lines: String = calls
        .iter()
        .map(|c| serde_json::to_string(c).unwrap() + "\n")
        .collect();
    for (body, content_type) in [
        (array.as_str(), "application/json"),
        (saved_response.as_str(), "application/json"),
        (lines.as_str(), "application/x-ndjson"),
        (lines.as_str(), "application/jsonl"),
        (lines.as_str(), "application/json"), // sniffed: several objects, one per line
    ] {
        http.admin(
            Method::PUT,
            "/__admin/calls",
            Some(&calls_json(&prefixed_calls("x", 1))),
        )
        .await;
        let response = http
            .send(
                Method::PUT,
                "/__admin/calls",
                &[("content-type", content_type)],
                Some(body),
            )
            .await;
        assert_eq!(
            response.json(),
            json!({"calls": 3}),
            "{content_type}: {body}"
        );
        let ids = http.get("/v1/calls").await.ids();
        assert_eq!(ids, ["new-0002", "new-0001", "new-0000"], "{content_type}");
    }
}

#[tokio::test]
async fn a_bad_put_lists_every_problem_with_its_position_and_keeps_the_old_data() {
    let (_server, http) = start().await;
    let before = http.get("/v1/calls").await.body;
    let ok = r#""from_number":"+1","to_number":"+2","direction":"inbound","agent_id":"a","call_type":"phonecall""#;
    let body = format!(
        "[\n{{\"call_id\":\"c1\",\"call_status\":\"done\",{ok}}},\n{{\"call_id\":\"c2\",\"call_status\":\"ended\",{ok},\"duration_ms\":-5}}\n]"
    );
    let response = http.admin(Method::PUT, "/__admin/calls", Some(&body)).await;
    let message = assert_admin_error(&response, 400);
    assert!(message.starts_with("2 problems"), "{message}");
    let problems = response.json()["problems"].clone();
    let problems: Vec<&str> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("PUT /__admin/calls:2:") && problems[0].contains("call_status"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("PUT /__admin/calls:3:") && problems[1].contains("duration_ms"),
        "{problems:?}"
    );
    assert_eq!(http.get("/v1/calls").await.body, before, "old data kept");

    for (bad, expected) in [
        ("", "the body is empty"),
        ("   ", "the body is empty"),
        ("[1]", "PUT /__admin/calls:1:2"),
        ("not json", "PUT /__admin/calls:1:"),
    ] {
        let message = assert_admin_error(
            &http.admin(Method::PUT, "/__admin/calls", Some(bad)).await,
            400,
        );
        assert!(message.contains(expected), "{bad:?}: {message}");
    }
    let duplicate = calls_json(&[
        call("dup", CallStatus::Ended, Some(1)),
        call("dup", CallStatus::Ended, Some(2)),
    ]);
    let message = assert_admin_error(
        &http
            .admin(Method::PUT, "/__admin/calls", Some(&duplicate))
            .await,
        400,
    );
    assert!(message.contains("dup"), "{message}");
    assert_eq!(http.get("/v1/calls").await.body, before, "old data kept");
}

#[tokio::test]
async fn post_adds_one_call_or_several_and_a_duplicate_adds_nothing() {
    let (_server, http) = start().await;
    let one = serde_json::to_string_pretty(&call("added-1", CallStatus::Ended, Some(5))).unwrap();
    let response = http.admin(Method::POST, "/__admin/calls", Some(&one)).await;
    assert_eq!(response.status, 201);
    assert_eq!(response.json(), json!({"added": 1, "calls": 6}));

    let two = calls_json(&[
        call("added-2", CallStatus::Ended, Some(6)),
        call("added-3", CallStatus::Ended, Some(7)),
    ]);
    let response = http.admin(Method::POST, "/__admin/calls", Some(&two)).await;
    assert_eq!(response.json(), json!({"added": 2, "calls": 8}));

    let clash = calls_json(&[
        call("added-4", CallStatus::Ended, Some(8)),
        call("start-0001", CallStatus::Ended, Some(9)),
    ]);
    let message = assert_admin_error(
        &http
            .admin(Method::POST, "/__admin/calls", Some(&clash))
            .await,
        409,
    );
    assert!(message.contains("start-0001"), "{message}");
    assert_eq!(total(&http).await, 8, "nothing added");
    assert_eq!(http.get("/v1/call/added-4").await.status, 404);

    // A bad field in a single object: the position points into the body as sent.
    let message = assert_admin_error(
        &http
            .admin(Method::POST, "/__admin/calls", Some(r#"{"call_id": 5}"#))
            .await,
        400,
    );
    assert!(message.contains("POST /__admin/calls:1:"), "{message}");
}

#[tokio::test]
async fn delete_removes_one_call_and_an_unknown_id_is_a_404() {
    let (_server, http) = start().await;
    let response = http
        .admin(Method::DELETE, "/__admin/calls/start-0002", None)
        .await;
    assert_eq!(
        response.json(),
        json!({"deleted": "start-0002", "calls": 4})
    );
    assert_eq!(http.get("/v1/call/start-0002").await.status, 404);
    let message = assert_admin_error(
        &http
            .admin(Method::DELETE, "/__admin/calls/start-0002", None)
            .await,
        404,
    );
    assert!(message.contains("start-0002"), "{message}");
}

#[tokio::test]
async fn reset_restores_the_startup_data_and_clears_faults_and_the_journal() {
    let (server, http) = start().await;
    http.admin(
        Method::PUT,
        "/__admin/calls",
        Some(&calls_json(&prefixed_calls("other", 2))),
    )
    .await;
    http.admin(
        Method::PUT,
        "/__admin/faults",
        Some(r#"{"next": [{"status": 500}], "latency_ms": 1}"#),
    )
    .await;
    http.get("/v1/calls/nope").await;
    assert!(!server.received_requests().is_empty());

    let response = http.admin(Method::POST, "/__admin/reset", None).await;
    assert_eq!(response.json(), json!({"status": "reset", "calls": 5}));
    assert!(server.received_requests().is_empty());
    let faults = http
        .admin(Method::GET, "/__admin/faults", None)
        .await
        .json();
    assert_eq!(faults["next"], json!([]));
    assert_eq!(faults["latency_ms"], json!(null));
    assert_eq!(http.get("/v1/calls").await.status, 200, "no fault left");
    assert_eq!(total(&http).await, 5);
}

#[tokio::test]
async fn unknown_admin_paths_and_methods_get_json_errors_and_are_not_journaled() {
    let (server, http) = start().await;
    let message = assert_admin_error(&http.admin(Method::GET, "/__admin/nope", None).await, 404);
    assert!(message.contains("GET /__admin/nope"), "{message}");
    let message = assert_admin_error(
        &http.admin(Method::POST, "/__admin/health", None).await,
        405,
    );
    assert!(message.contains("POST"), "{message}");
    let message = assert_admin_error(
        &http
            .admin(Method::PUT, "/__admin/faults", Some("{\"error_rate\": }"))
            .await,
        400,
    );
    assert!(
        message.starts_with("the body is not valid JSON"),
        "{message}"
    );
    let message = assert_admin_error(
        &http
            .admin(Method::GET, "/__admin/requests?limit=0", None)
            .await,
        400,
    );
    assert!(message.contains("`limit`"), "{message}");
    let message = assert_admin_error(
        &http
            .admin(Method::GET, "/__admin/requests?statis=200", None)
            .await,
        400,
    );
    assert!(message.contains("unknown parameter `statis`"), "{message}");
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn the_rust_api_changes_data_like_the_admin_api() {
    let server = MockServer::builder()
        .calls(prefixed_calls("start", 5))
        .start()
        .await
        .unwrap();
    server.set_calls(prefixed_calls("set", 2)).unwrap();
    assert_eq!(server.calls().len(), 2);
    server
        .add_calls(vec![call("more", CallStatus::Ended, Some(1))])
        .unwrap();
    let err = server
        .add_calls(vec![call("more", CallStatus::Ended, Some(1))])
        .unwrap_err();
    assert_eq!(
        err,
        openmic_mock::DataError::DuplicateIds(vec!["more".into()])
    );
    server.remove_call("set-0000").unwrap();
    let calls = server.calls();
    let ids: Vec<&str> = calls.iter().map(|c| c.call_id.as_str()).collect();
    assert_eq!(ids, ["set-0001", "more"]);
    assert!(
        server
            .set_calls(vec![
                call("a", CallStatus::Ended, Some(1)),
                call("a", CallStatus::Ended, Some(1))
            ])
            .is_err()
    );
    assert_eq!(server.calls().len(), 2, "a refused change leaves the data");
    server.reset();
    assert_eq!(server.calls().len(), 5);
}

#[tokio::test]
async fn health_answers_with_the_admin_api_off_and_nothing_else_does() {
    let server = MockServer::builder()
        .generated(1, 5)
        .admin(false)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let health = http.admin(Method::GET, "/__admin/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["calls"], 5);
    for (method, path) in [
        (Method::GET, "/__admin/requests"),
        (Method::POST, "/__admin/reset"),
        (Method::GET, "/__admin/calls"),
    ] {
        assert_eq!(http.admin(method, path, None).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn bodies_keep_the_documented_key_order() {
    let server = MockServer::builder()
        .calls(prefixed_calls("k", 2))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let text = |response: crate::helpers::TestResponse| String::from_utf8(response.body).unwrap();
    assert_eq!(
        text(http.admin(Method::GET, "/__admin/health", None).await),
        r#"{"status":"ok","calls":2}"#
    );
    assert_eq!(
        text(
            http.admin(Method::DELETE, "/__admin/calls/k-0000", None)
                .await
        ),
        r#"{"deleted":"k-0000","calls":1}"#
    );
    assert_eq!(
        text(http.admin(Method::POST, "/__admin/reset", None).await),
        r#"{"status":"reset","calls":2}"#
    );
    server.push_fault(openmic_mock::Fault::Status {
        status: 429,
        retry_after: Some(2),
    });
    assert_eq!(
        text(http.get("/v1/calls").await),
        r#"{"success":false,"message":"Rate limit exceeded. Please retry after 2 seconds.","error":"Too Many Requests","retryAfter":2}"#
    );
}

#[tokio::test]
async fn a_body_of_several_mebibytes_is_accepted_whole() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let body = calls_json(&prefixed_calls("big", 20_000));
    assert!(body.len() > 4 * 1024 * 1024, "{} bytes", body.len());
    let response = http.admin(Method::PUT, "/__admin/calls", Some(&body)).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json()["calls"], 20_000);
}

#[tokio::test]
async fn a_single_call_body_reports_positions_in_the_body_as_sent() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let body = r#"{"call_id": "x", "call_status": "done"}"#;
    let response = http.admin(Method::POST, "/__admin/calls", Some(body)).await;
    let message = assert_admin_error(&response, 400);
    let column = body.find("\"done\"").unwrap() + 1;
    assert!(
        message.contains(&format!(
            "POST /__admin/calls:1:{column}: call #0 (call_id \"x\"): field `call_status`"
        )),
        "{message}"
    );
    // On a later line, columns need no correction.
    let body = "{\"call_id\": \"y\",\n\"call_status\": \"done\"}";
    let response = http.admin(Method::POST, "/__admin/calls", Some(body)).await;
    let message = assert_admin_error(&response, 400);
    assert!(message.contains("POST /__admin/calls:2:16:"), "{message}");
}
