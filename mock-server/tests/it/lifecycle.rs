//! `POST /v1/create-phone-call`, the clock, the lifecycle of created calls and the outcomes queue, over a real
//! socket; and anchoring the data in time.

use axum::http::Method;
use openmic_fixtures::{DAY_MS, shift_json};
use openmic_mock::Anchor;
use openmic_mock::{MockServer, RateLimit};
use serde_json::{Value, json};

use crate::helpers::{
    Http, KEY, T0, TestResponse, account_number, advance, assert_admin_error,
    assert_json_content_type, create_as, queue, virtual_server_with,
};

async fn virtual_server() -> (MockServer, Http) {
    virtual_server_with(MockServer::builder()).await
}

async fn create(http: &Http, body: &Value) -> TestResponse {
    create_as(http, KEY, body).await
}

/// Asserts the documented 400 of create-phone-call; returns its message.
fn assert_invalid_request(response: &TestResponse) -> String {
    assert_eq!(
        response.status,
        400,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_json_content_type(response);
    let body = response.json();
    assert_eq!(
        body["error"],
        "Invalid request format, please check API reference."
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    body["message"].as_str().unwrap().to_string()
}

/// `a == b + c + d` in exact decimal arithmetic (the figures have at most 7 decimals).
fn sums_exactly(total: &Value, parts: [&Value; 3]) -> bool {
    let units = |v: &Value| (v.as_f64().unwrap() * 1e7).round() as i64;
    units(total) == parts.iter().map(|p| units(p)).sum::<i64>()
}

#[tokio::test]
async fn a_created_call_rings_talks_and_ends_on_the_virtual_clock() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 4_000, "talk_ms": 90_000, "is_successful": true}),
    )
    .await;
    let created = create(
        &http,
        &json!({"from_number": from, "to_number": "+15557654321", "customer_id": "cust_9",
                "dynamic_variables": {"name": "Ada"}, "callback_url": "https://example.com/hook"}),
    )
    .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    assert_json_content_type(&created);
    let body = created.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut wire_order: Vec<&str> = Vec::new();
    let text = String::from_utf8_lossy(&created.body).to_string();
    for key in &keys {
        wire_order.push(key);
    }
    wire_order.sort_by_key(|k| text.find(&format!("\"{k}\":")).unwrap());
    assert_eq!(
        wire_order,
        [
            "call_type",
            "from_number",
            "to_number",
            "direction",
            "call_id",
            "agent_id",
            "call_status",
            "customer_id",
            "dynamic_variables"
        ],
        "the documented fields, in the documented order, and no timestamps: {text}"
    );
    assert_eq!(body["call_type"], "phonecall");
    assert_eq!(body["direction"], "outbound");
    assert_eq!(body["call_status"], "registered");
    assert_eq!(body["from_number"], from.as_str());
    assert_eq!(body["to_number"], "+15557654321");
    assert_eq!(body["customer_id"], "cust_9");
    assert_eq!(body["dynamic_variables"], json!({"name": "Ada"}));
    let id = body["call_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 25);
    assert!(id.starts_with('c'));

    // Registered until the ring time has passed: Get Call serves the 201's bytes.
    let path = format!("/v1/call/{id}");
    assert_eq!(http.get(&path).await.body, created.body);
    advance(&http, 3_999).await;
    assert_eq!(http.get(&path).await.json()["call_status"], "registered");

    advance(&http, 1).await;
    let ongoing = http.get(&path).await.json();
    assert_eq!(ongoing["call_status"], "ongoing");
    assert_eq!(ongoing["start_timestamp"], T0 + 4_000);
    assert!(ongoing.get("end_timestamp").is_none());
    let first_lines = ongoing["transcript"].as_array().unwrap().len();
    assert!(first_lines >= 1);
    advance(&http, 60_000).await;
    let later = http.get(&path).await.json();
    let later_lines = later["transcript"].as_array().unwrap().len();
    assert!(
        later_lines > first_lines,
        "the transcript grows: {first_lines} then {later_lines}"
    );
    assert_eq!(
        later["transcript"].as_array().unwrap()[..first_lines],
        ongoing["transcript"].as_array().unwrap()[..],
        "earlier lines stay as they were"
    );

    advance(&http, 30_000).await;
    let ended = http.get(&path).await.json();
    assert_eq!(ended["call_status"], "ended");
    let (start, end) = (T0 + 4_000, T0 + 94_000);
    assert_eq!(ended["start_timestamp"], start);
    assert_eq!(ended["end_timestamp"], end);
    assert_eq!(ended["duration_ms"], end - start);
    assert!(ended["transcript"].as_array().unwrap().len() >= later_lines);
    assert_eq!(
        ended["recording_url"],
        format!("https://recordings.openmic.ai/{id}.mp3")
    );
    assert!(ended["latency"]["e2e_median_latency"].is_number());
    assert_eq!(ended["call_analysis"]["is_successful"], true);
    assert!(ended["call_analysis"]["summary"].is_string());
    let cost = &ended["call_cost"];
    assert!(sums_exactly(
        &cost["total_cost"],
        [&cost["llm_cost"], &cost["tts_cost"], &cost["stt_cost"]]
    ));
    for field in [
        "customer_id",
        "dynamic_variables",
        "agent_id",
        "from_number",
    ] {
        assert_eq!(ended[field], body[field], "{field} kept");
    }
    assert!(
        ended.get("callback_url").is_none(),
        "not a field of the call"
    );

    // Found by List Calls under its status and a date range at its start time, with the same bytes.
    let list = http
        .get(&format!(
            "/v1/calls?call_status=ended&from_date={0}&to_date={0}&limit=100",
            openmic_fixtures::rfc3339_ms(start)
        ))
        .await;
    assert_eq!(list.ids(), vec![id.clone()]);
    assert_eq!(list.json()["calls"][0], ended);
    assert_eq!(
        http.get("/v1/calls?to_number=%2B15557654321").await.ids(),
        vec![id]
    );
}

#[tokio::test]
async fn a_call_queued_to_fail_ends_in_error_with_no_analysis() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    queue(
        &http,
        json!({"to_number": "+15550000002", "status": "error", "ring_ms": 1_000, "talk_ms": 2_000,
               "disconnection_reason": "dial_busy"}),
    )
    .await;
    // The outcome is kept for the number it names: another call takes a drawn one.
    let other = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(other.status, 201);
    let failing = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000002"}),
    )
    .await;
    let id = failing.json()["call_id"].as_str().unwrap().to_string();
    let queued = http
        .admin(Method::GET, "/__admin/outcomes", None)
        .await
        .json();
    assert_eq!(queued, json!({"queued": 0, "outcomes": []}));
    advance(&http, 1_000).await;
    let ongoing = http.get(&format!("/v1/call/{id}")).await.json();
    assert_eq!(ongoing["call_status"], "ongoing");
    assert_eq!(ongoing["transcript"], json!([]));
    advance(&http, 2_000).await;
    let failed = http.get(&format!("/v1/call/{id}")).await.json();
    assert_eq!(failed["call_status"], "error");
    assert_eq!(failed["duration_ms"], 2_000);
    assert_eq!(failed["transcript"], json!([]));
    for absent in ["call_analysis", "call_cost", "recording_url", "latency"] {
        assert!(failed.get(absent).is_none(), "{absent}: {failed}");
    }
    let kept = server
        .state()
        .data()
        .created_call(KEY, &id)
        .map(|c| c.disconnection_reason.clone());
    assert_eq!(kept.as_deref(), Some("dial_busy"));
}

#[tokio::test]
async fn a_queued_transcript_and_summary_are_served_as_given() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    queue(
        &http,
        json!([{"ring_ms": 0, "talk_ms": 10, "status": "ended", "is_successful": false,
                "transcript": [["assistant", "Hello?"], ["user", "Wrong number."]],
                "summary": "The caller had the wrong number."}]),
    )
    .await;
    let id = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000003"}),
    )
    .await
    .json()["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    advance(&http, 10).await;
    let ended = http.get(&format!("/v1/call/{id}")).await.json();
    assert_eq!(
        ended["transcript"],
        json!([["assistant", "Hello?"], ["user", "Wrong number."]])
    );
    assert_eq!(
        ended["call_analysis"]["summary"],
        "The caller had the wrong number."
    );
    assert_eq!(ended["call_analysis"]["is_successful"], false);
}

#[tokio::test]
async fn outcomes_that_break_a_rule_are_refused_whole() {
    let (_server, http) = virtual_server().await;
    let response = http
        .admin(
            Method::POST,
            "/__admin/outcomes",
            Some(r#"[{"status":"ended"},{"status":"ongoing","disconnection_reason":"hung_up"},{"colour":1}]"#),
        )
        .await;
    let message = assert_admin_error(&response, 400);
    assert!(
        message.contains("outcome 1: status: must be ended or error"),
        "{message}"
    );
    assert!(
        message.contains("outcome 1: disconnection_reason: must be one of"),
        "{message}"
    );
    assert!(
        message.contains("outcome 2: unknown field `colour`"),
        "{message}"
    );
    let queued = http
        .admin(Method::GET, "/__admin/outcomes", None)
        .await
        .json();
    assert_eq!(queued["queued"], 0);
    let cleared = http.admin(Method::DELETE, "/__admin/outcomes", None).await;
    assert_eq!(cleared.json(), json!({"cleared": 0}));
    queue(&http, json!([{"status": "ended"}, {"status": "ended"}])).await;
    let cleared = http.admin(Method::DELETE, "/__admin/outcomes", None).await;
    assert_eq!(cleared.json(), json!({"cleared": 2}));
    let queued = http
        .admin(Method::GET, "/__admin/outcomes", None)
        .await
        .json();
    assert_eq!(queued["queued"], 0);
}

#[tokio::test]
async fn create_answers_the_documented_errors() {
    let (server, http) = virtual_server_with(MockServer::builder().strict(false)).await;
    let from = account_number(&server);

    let missing = create(&http, &json!({})).await;
    assert_eq!(
        assert_invalid_request(&missing),
        "from_number: is required; to_number: is required"
    );
    let bad_number = create(
        &http,
        &json!({"from_number": from, "to_number": "+0987654321"}),
    )
    .await;
    assert!(assert_invalid_request(&bad_number).starts_with("to_number: must be an E.164 number"));
    let not_object = create(&http, &json!(["+1"])).await;
    assert_eq!(
        assert_invalid_request(&not_object),
        "body: must be a JSON object"
    );
    let not_ours = create(
        &http,
        &json!({"from_number": "+19990000000", "to_number": "+15550000001"}),
    )
    .await;
    let message = assert_invalid_request(&not_ours);
    assert!(
        message.starts_with("from_number: must be a number purchased from OpenMic"),
        "{message}"
    );
    assert!(
        message.contains(&from),
        "names the account's numbers: {message}"
    );

    let text = http
        .send(
            Method::POST,
            "/v1/create-phone-call",
            &[
                ("authorization", "Bearer test-key"),
                ("content-type", "text/plain"),
            ],
            Some("{}"),
        )
        .await;
    assert_eq!(
        assert_invalid_request(&text),
        "Content-Type: must be application/json, got \"text/plain\""
    );

    let unknown_agent = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001", "override_agent_id": "bot_nope"}),
    )
    .await;
    assert_eq!(unknown_agent.status, 404);
    assert_eq!(
        unknown_agent.json(),
        json!({"error": "Bot with the specified override_agent_id was not found."})
    );

    let unauthorized = create_as(
        &http,
        "wrong",
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.json(),
        json!({"error": "Unauthorized", "message": "Invalid or expired API key"})
    );

    let big = json!({"from_number": from, "to_number": "+15550000001",
                     "dynamic_variables": {"x": "y".repeat(60_000)}});
    let accepted = create(&http, &big).await;
    assert_eq!(accepted.status, 201, "a body under 64 KiB is read");
    assert_eq!(
        http.admin(
            Method::DELETE,
            &format!(
                "/__admin/calls/{}",
                accepted.json()["call_id"].as_str().unwrap()
            ),
            None
        )
        .await
        .status,
        200
    );
    let huge = json!({"from_number": from, "to_number": "+15550000001",
                      "dynamic_variables": {"x": "y".repeat(70_000)}});
    let too_large = create(&http, &huge).await;
    assert_eq!(too_large.status, 413);
    assert_json_content_type(&too_large);
    assert_eq!(too_large.json()["error"], "Payload Too Large");

    let get = http.get("/v1/create-phone-call").await;
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));

    // Nothing above created a call.
    assert_eq!(server.calls().len(), openmic_fixtures::DEFAULT_COUNT);
}

#[tokio::test]
async fn unknown_fields_are_named_and_strict_mode_refuses_them() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    let lenient = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001", "agent_id": "x"}),
    )
    .await;
    assert_eq!(lenient.status, 201);
    assert_eq!(
        lenient.header("x-mock-warning"),
        Some("ignored unknown fields of CreateCallRequest: \"agent_id\"")
    );
    for (count, tail) in [(10, "\"u9\""), (11, "\"u8\", and 1 more")] {
        let mut body = json!({"from_number": from, "to_number": "+15550000001"});
        for i in 0..count {
            body[format!("u{i}")] = json!(i);
        }
        let warned = create(&http, &body).await;
        let warning = warned.header("x-mock-warning").unwrap().to_string();
        assert!(warning.ends_with(tail), "{count} unknown fields: {warning}");
    }
    let (server, http) = virtual_server_with(MockServer::builder().strict(true)).await;
    let strict = create(
        &http,
        &json!({"from_number": account_number(&server), "to_number": "+15550000001", "agent_id": "x"}),
    )
    .await;
    assert_eq!(
        assert_invalid_request(&strict),
        "\"agent_id\": is not a field of CreateCallRequest (strict mode)"
    );
}

#[tokio::test]
async fn the_agent_is_the_override_else_the_numbers_linked_one() {
    let (server, http) = virtual_server().await;
    let calls = server.calls();
    let from = account_number(&server);
    let last_agent = calls
        .iter()
        .find(|c| {
            (c.direction == openmic_mock::Direction::Outbound && c.from_number == from)
                || (c.direction == openmic_mock::Direction::Inbound && c.to_number == from)
        })
        .map(|c| c.agent_id.clone())
        .unwrap();
    let defaulted = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(defaulted.json()["agent_id"], last_agent.as_str());
    let other_agent = calls
        .iter()
        .map(|c| c.agent_id.clone())
        .find(|a| *a != last_agent)
        .unwrap();
    let overridden = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001", "override_agent_id": other_agent}),
    )
    .await;
    assert_eq!(overridden.json()["agent_id"], other_agent.as_str());
    let after_override = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(
        after_override.json()["agent_id"],
        last_agent.as_str(),
        "an override does not change the number's linked agent"
    );
    // Replacing the data set, or a reset, keeps the number linked to the agent of its latest call.
    for (method, path, body) in [
        (
            Method::PUT,
            "/__admin/calls",
            serde_json::to_string(&calls).unwrap(),
        ),
        (Method::POST, "/__admin/reset", "{}".to_string()),
    ] {
        let changed = http.admin(method, path, Some(&body)).await;
        assert_eq!(changed.status, 200, "{path}");
        let again = create(
            &http,
            &json!({"from_number": from, "to_number": "+15550000001"}),
        )
        .await;
        assert_eq!(again.json()["agent_id"], last_agent.as_str(), "{path}");
        let overridden = create(
            &http,
            &json!({"from_number": from, "to_number": "+15550000001", "override_agent_id": other_agent}),
        )
        .await;
        assert_eq!(overridden.status, 201);
    }

    // A number given with --phone-number has no calls: it is linked to the most used agent.
    let (server, http) =
        virtual_server_with(MockServer::builder().phone_number("+15559990000")).await;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for call in server.calls() {
        *counts.entry(call.agent_id).or_default() += 1;
    }
    let top = counts.values().max().unwrap();
    let most_used = counts
        .iter()
        .find(|(_, n)| *n == top)
        .map(|(a, _)| a.clone())
        .unwrap();
    let extra = create(
        &http,
        &json!({"from_number": "+15559990000", "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(extra.json()["agent_id"], most_used.as_str());
}

#[tokio::test]
async fn a_created_call_belongs_to_the_tenant_of_its_key_and_reset_forgets_it() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    server.tenant("team-a", server.calls()).unwrap();
    let tenants = create_as(
        &http,
        "team-a",
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let id = tenants.json()["call_id"].as_str().unwrap().to_string();
    assert_eq!(
        http.get_as(&format!("/v1/call/{id}"), "team-a")
            .await
            .status,
        200
    );
    assert_eq!(http.get(&format!("/v1/call/{id}")).await.status, 404);

    let own = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let own_id = own.json()["call_id"].as_str().unwrap().to_string();
    assert_ne!(own_id, id, "ids are fresh across data sets");
    let reset = http.admin(Method::POST, "/__admin/reset", Some("{}")).await;
    assert_eq!(reset.status, 200);
    assert_eq!(http.get(&format!("/v1/call/{own_id}")).await.status, 404);
    assert_eq!(
        http.get_as(&format!("/v1/call/{id}"), "team-a")
            .await
            .status,
        200,
        "a reset leaves tenants alone"
    );
}

#[tokio::test]
async fn a_created_call_deleted_or_replaced_by_the_admin_api_stops_changing() {
    let (server, http) = virtual_server().await;
    let from = account_number(&server);
    let deleted = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let deleted = deleted.json()["call_id"].as_str().unwrap().to_string();
    let replaced = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let replaced = replaced.json()["call_id"].as_str().unwrap().to_string();
    let kept = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await;
    let kept = kept.json()["call_id"].as_str().unwrap().to_string();
    assert_eq!(
        http.admin(Method::DELETE, &format!("/__admin/calls/{deleted}"), None)
            .await
            .status,
        200
    );
    let mine = openmic_fixtures::Call::example(replaced.clone());
    let put = http
        .admin(
            Method::PUT,
            &format!("/__admin/calls/{replaced}"),
            Some(&serde_json::to_string(&mine).unwrap()),
        )
        .await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    advance(&http, 600_000).await;
    assert_eq!(http.get(&format!("/v1/call/{deleted}")).await.status, 404);
    assert_ne!(
        http.get(&format!("/v1/call/{kept}")).await.json()["call_status"],
        "registered",
        "the other created calls stay, and go on"
    );
    assert_eq!(
        http.get(&format!("/v1/call/{replaced}")).await.json(),
        serde_json::to_value(&mine).unwrap()
    );
}

#[tokio::test]
async fn on_a_real_clock_a_call_with_no_ring_and_no_talk_has_ended_at_once() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let from = account_number(&server);
    queue(
        &http,
        json!({"ring_ms": 0, "talk_ms": 0, "status": "ended"}),
    )
    .await;
    let before = openmic_mock::system_now_ms();
    let id = create(
        &http,
        &json!({"from_number": from, "to_number": "+15550000001"}),
    )
    .await
    .json()["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    let ended = http.get(&format!("/v1/call/{id}")).await.json();
    assert_eq!(ended["call_status"], "ended");
    let start = ended["start_timestamp"].as_u64().unwrap();
    assert!(start >= before && start <= openmic_mock::system_now_ms());
    // A real clock cannot be moved.
    let moved = http
        .admin(Method::POST, "/__admin/clock/advance", Some(r#"{"ms":1}"#))
        .await;
    let message = assert_admin_error(&moved, 409);
    assert!(message.contains("--clock virtual"), "{message}");
    assert_eq!(
        http.admin(Method::GET, "/__admin/clock", None).await.json()["mode"],
        "real"
    );
}

#[tokio::test]
async fn the_clock_is_read_set_and_never_goes_backwards() {
    let (server, http) = virtual_server().await;
    let clock = http.admin(Method::GET, "/__admin/clock", None).await.json();
    assert_eq!(clock["now"], T0);
    assert_eq!(clock["mode"], "virtual");
    let set = http
        .admin(
            Method::PUT,
            "/__admin/clock",
            Some(r#"{"now":"2026-01-16T00:00:00Z"}"#),
        )
        .await;
    assert_eq!(set.json()["now"], 1_768_521_600_000_u64);
    let set = http
        .admin(
            Method::PUT,
            "/__admin/clock",
            Some(r#"{"now":1768521600001}"#),
        )
        .await;
    assert_eq!(set.json()["now"], 1_768_521_600_001_u64);
    let back = http
        .admin(
            Method::PUT,
            "/__admin/clock",
            Some(r#"{"now":"2026-01-15T00:00:00Z"}"#),
        )
        .await;
    assert!(assert_admin_error(&back, 400).contains("cannot go backwards"));
    for bad in [r#"{"ms":-1}"#, r#"{"ms":"5"}"#, r#"{"ms":5,"x":1}"#, "[]"] {
        let response = http
            .admin(Method::POST, "/__admin/clock/advance", Some(bad))
            .await;
        assert_admin_error(&response, 400);
    }
    server.advance(std::time::Duration::from_secs(1)).unwrap();
    assert_eq!(server.now(), 1_768_521_601_001);
    assert!(server.set_now(0).is_err());
}

#[tokio::test]
async fn the_rate_limiter_and_the_journal_read_the_clock() {
    let (server, http) = virtual_server_with(
        MockServer::builder().rate_limit("2/min".parse::<RateLimit>().unwrap()),
    )
    .await;
    assert_eq!(http.get("/v1/calls?limit=1").await.status, 200);
    assert_eq!(http.get("/v1/calls?limit=1").await.status, 200);
    assert_eq!(http.get("/v1/calls?limit=1").await.status, 429);
    advance(&http, 29_999).await;
    assert_eq!(
        http.get("/v1/calls?limit=1").await.status,
        429,
        "not refilled yet"
    );
    advance(&http, 1).await;
    assert_eq!(
        http.get("/v1/calls?limit=1").await.status,
        200,
        "a token back after 30 s of clock"
    );
    let journal = http
        .admin(Method::GET, "/__admin/requests", None)
        .await
        .json();
    let times: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["time"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2026-01-15T09:00:00.000Z",
            "2026-01-15T09:00:00.000Z",
            "2026-01-15T09:00:00.000Z",
            "2026-01-15T09:00:29.999Z",
            "2026-01-15T09:00:30.000Z"
        ]
    );
    drop(server);
}

#[tokio::test]
async fn anchoring_moves_every_timestamp_by_whole_days_and_keeps_every_other_byte() {
    let anchor = T0 + 12_345;
    let plain = MockServer::builder().build_state().unwrap();
    let anchored = MockServer::builder()
        .anchor(Anchor::At(anchor))
        .build_state()
        .unwrap();
    let before: Vec<String> = plain.store().json_calls().map(str::to_string).collect();
    let after: Vec<String> = anchored.store().json_calls().map(str::to_string).collect();
    assert_eq!(before.len(), after.len());
    let newest = anchored.store().newest_timestamp().unwrap();
    assert!(
        newest <= anchor && anchor - newest < DAY_MS,
        "{newest} vs {anchor}"
    );
    let days = (newest as i64 - plain.store().newest_timestamp().unwrap() as i64) / DAY_MS as i64;
    assert_eq!(
        (newest as i64 - plain.store().newest_timestamp().unwrap() as i64) % DAY_MS as i64,
        0,
        "a whole number of days"
    );
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            &*shift_json(old, days).unwrap(),
            new.as_str(),
            "same order, same bytes but the digits"
        );
    }
    let moved_calls = anchored.store().calls();
    let timestamps = |c: &openmic_mock::Call| (c.start_timestamp, c.end_timestamp);
    assert!(
        moved_calls
            .iter()
            .zip(plain.store().calls())
            .all(|(new, old)| new.duration_ms == old.duration_ms
                && timestamps(new) != timestamps(&old)
                || old.start_timestamp.is_none())
    );
}

#[tokio::test]
async fn the_binary_anchors_the_embedded_set_to_now_and_a_fixture_file_not_at_all() {
    let (mut child, url, line) = crate::helpers::spawn_serving(&["--port", "0"], &[]);
    let today = openmic_fixtures::rfc3339_ms(openmic_mock::system_now_ms())[..10].to_string();
    assert!(line.contains("(anchored to now)"), "{line}");
    let yesterday =
        openmic_fixtures::rfc3339_ms(openmic_mock::system_now_ms() - DAY_MS)[..10].to_string();
    assert!(
        line.contains(&format!("to {today}")) || line.contains(&format!("to {yesterday}")),
        "{line}"
    );
    let last_day = reqwest::Client::new()
        .get(format!(
            "{url}/v1/calls?from_date={}&limit=1",
            openmic_fixtures::rfc3339_ms(openmic_mock::system_now_ms() - DAY_MS)
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        last_day["pagination"]["total"].as_u64().unwrap() > 0,
        "calls in the last 24 hours"
    );
    child.kill().unwrap();
    let _ = child.wait();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.json");
    std::fs::write(&path, openmic_fixtures::DEFAULT_CALLS_JSON).unwrap();
    let (mut child, _, line) =
        crate::helpers::spawn_serving(&["--port", "0", "--fixtures", path.to_str().unwrap()], &[]);
    assert!(line.contains("from 2025-10-03 to 2025-12-31 ("), "{line}");
    assert!(!line.contains("anchored"), "{line}");
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn a_create_is_journaled_and_takes_faults_and_the_rate_limit_like_any_request() {
    let (server, http) = virtual_server_with(
        MockServer::builder().rate_limit("1/min".parse::<RateLimit>().unwrap()),
    )
    .await;
    let from = account_number(&server);
    server.push_fault(
        openmic_mock::ScriptedFault::new(openmic_mock::Fault::Status {
            status: 503,
            retry_after: Some(2),
        })
        .method("POST")
        .path("/v1/create-phone-call"),
    );
    let body = json!({"from_number": from, "to_number": "+15550000001"});
    let faulted = create(&http, &body).await;
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.header("retry-after"), Some("2"));
    assert_eq!(create(&http, &body).await.status, 201);
    assert_eq!(create(&http, &body).await.status, 429, "one per minute");
    assert_eq!(
        server.calls().len(),
        openmic_fixtures::DEFAULT_COUNT + 1,
        "neither the fault nor the 429 created a call"
    );
    let journal = server.received_requests();
    let seen: Vec<(String, String, u16)> = journal
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    let create_path = "/v1/create-phone-call".to_string();
    assert_eq!(
        seen,
        [
            ("POST".to_string(), create_path.clone(), 503),
            ("POST".to_string(), create_path.clone(), 201),
            ("POST".to_string(), create_path, 429),
        ]
    );
}

#[tokio::test]
async fn in_process_servers_are_not_anchored_unless_asked() {
    let state = MockServer::builder().build_state().unwrap();
    let store = state.store();
    let served: Vec<&str> = store.json_calls().collect();
    let mut file: Vec<openmic_mock::Call> = openmic_fixtures::default_calls();
    file.sort_by(openmic_mock::canonical_order);
    let file: Vec<String> = file
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    assert_eq!(served, file.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_data_sets_ids_do_not_depend_on_what_other_tenants_create() {
    let mut runs = Vec::new();
    for others in [0, 3] {
        let (server, http) = virtual_server().await;
        let from = account_number(&server);
        server.tenant("team-a", server.calls()).unwrap();
        let body = json!({"from_number": from, "to_number": "+15550000001"});
        for _ in 0..others {
            assert_eq!(create(&http, &body).await.status, 201);
        }
        let mine = create_as(&http, "team-a", &body).await.json();
        runs.push(mine);
    }
    assert_eq!(
        runs[0], runs[1],
        "same seed, same clock, same requests: the same call"
    );
}

#[tokio::test]
async fn anchoring_to_now_on_a_virtual_clock_anchors_to_where_the_clock_starts() {
    let server = MockServer::builder()
        .clock(openmic_mock::ClockSpec::Virtual(Some(T0)))
        .anchor(Anchor::Now)
        .start()
        .await
        .unwrap();
    let newest = openmic_fixtures::newest_timestamp(&server.calls()).unwrap();
    assert!(
        (T0 - DAY_MS + 1..=T0).contains(&newest),
        "the newest call is within the day before the clock's start: {newest}"
    );
}

#[tokio::test]
async fn outcomes_queued_from_rust_are_counted() {
    let (server, _http) = virtual_server().await;
    let outcome = openmic_mock::CallOutcome {
        status: Some(openmic_fixtures::CallStatus::Ended),
        ..openmic_mock::CallOutcome::default()
    };
    assert_eq!(
        server
            .push_outcomes(vec![outcome.clone(), outcome])
            .unwrap(),
        2
    );
    assert_eq!(
        server.push_outcomes(Vec::new()).unwrap(),
        2,
        "the queue's length"
    );
}

#[tokio::test]
async fn outcomes_queued_from_rust_are_listed_until_a_create_takes_one() {
    let (server, http) = virtual_server().await;
    assert_eq!(server.outcomes(), Vec::new(), "nothing is queued at first");
    let ended = openmic_mock::CallOutcome {
        status: Some(openmic_fixtures::CallStatus::Ended),
        ..openmic_mock::CallOutcome::default()
    };
    let failed = openmic_mock::CallOutcome {
        status: Some(openmic_fixtures::CallStatus::Error),
        ..openmic_mock::CallOutcome::default()
    };
    server
        .push_outcomes(vec![ended.clone(), failed.clone()])
        .unwrap();
    assert_eq!(server.outcomes(), vec![ended, failed.clone()]);

    let created = create(
        &http,
        &json!({"from_number": account_number(&server), "to_number": "+14155550123"}),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(server.outcomes(), vec![failed], "the first one was used");
}
