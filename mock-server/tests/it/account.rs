//! Bots and phone numbers (`/v1/bots`, `/v1/phone-numbers`) and the rules that keep them one account with the
//! calls: every agent is a bot, every number the account calls from has a record, a linked agent is the one a
//! created call gets, a bot in use cannot be deleted. Each rule runs in process and over a socket.

use std::collections::BTreeSet;

use axum::http::Method;
use openmic_fixtures::parse_rfc3339_millis;
use openmic_mock::{ClockSpec, MockServer, MockServerBuilder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, depths};

/// A virtual clock at a fixed instant, so created and updated times are exact.
const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn builder() -> MockServerBuilder {
    MockServer::builder().clock(ClockSpec::Virtual(Some(NOW)))
}

async fn all(app: &TestApp, list: &str, key: &str, query: &str) -> Vec<Value> {
    let mut records = Vec::new();
    for _ in 0..100 {
        let page = app
            .get(&format!(
                "/v1/{list}?limit=2&offset={}{query}",
                records.len()
            ))
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        let body = page.json();
        let items = body[key].as_array().unwrap().clone();
        let pagination = &body["pagination"];
        assert_eq!(pagination["limit"], 2);
        assert_eq!(pagination["offset"], records.len());
        let has_more = pagination["has_more"].as_bool().unwrap();
        assert!(items.len() <= 2, "a page holds at most limit records");
        assert!(
            !has_more || items.len() == 2,
            "a page before the last is full"
        );
        records.extend(items);
        assert_eq!(
            has_more,
            (records.len() as u64) < pagination["total"].as_u64().unwrap()
        );
        if !has_more {
            assert_eq!(records.len() as u64, pagination["total"].as_u64().unwrap());
            return records;
        }
    }
    panic!("the walk did not end");
}

fn created_ms(record: &Value) -> i64 {
    parse_rfc3339_millis(record["created_at"].as_str().unwrap()).unwrap()
}

fn assert_order(records: &[Value], id: &str) {
    for pair in records.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            created_ms(a) > created_ms(b)
                || (created_ms(a) == created_ms(b) && a[id].as_str() < b[id].as_str()),
            "out of order: {a} before {b}"
        );
    }
}

fn assert_error(response: &TestResponse, status: u16, error: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(body["error"], error, "{body}");
    body
}

async fn send(app: &TestApp, method: Method, path: &str, body: Value) -> TestResponse {
    app.send_json(method, path, Some(&body.to_string())).await
}

async fn first_number(app: &TestApp) -> Value {
    app.get("/v1/phone-numbers?limit=1").await.json()["phone_numbers"][0].clone()
}

async fn create_bot(app: &TestApp, body: Value) -> Value {
    let response = send(app, Method::POST, "/v1/bots", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// Every agent of the calls is a bot, in the documented order, and a walk sees each exactly once; Get answers
/// what the list answers; an unknown uid is the vendor's 404.
async fn every_agent_is_a_bot_listed_in_order(app: TestApp) {
    let calls = app.list_all("").await;
    let agents: BTreeSet<&str> = calls
        .iter()
        .map(|c| c["agent_id"].as_str().unwrap())
        .collect();
    let bots = all(&app, "bots", "bots", "").await;
    let uids: BTreeSet<&str> = bots.iter().map(|b| b["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), bots.len(), "each bot once");
    assert_eq!(uids, agents);
    assert_order(&bots, "uid");
    for bot in &bots {
        let got = app
            .get(&format!("/v1/bots/{}", bot["uid"].as_str().unwrap()))
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json(), *bot);
        // Each bot was made before its agent's first call.
        let first_call = calls
            .iter()
            .filter(|c| c["agent_id"] == bot["uid"])
            .filter_map(|c| c["start_timestamp"].as_i64())
            .min()
            .unwrap();
        assert!(created_ms(bot) < first_call);
        assert!(bot["updated_at"].as_str() >= bot["created_at"].as_str());
    }
    for path in ["/v1/bots/nope", "/v1/bots/nope/", "/v1/bots/%FF"] {
        let body = assert_error(
            &app.get(path).await,
            404,
            "Bot with the specified UID was not found.",
        );
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    }
}

/// The account's numbers are exactly the numbers its calls are made from (outbound) or to (inbound), each
/// linked to the agent of its latest call in that direction.
async fn every_account_number_has_a_record(app: TestApp) {
    let calls = app.list_all("").await;
    let numbers = all(&app, "phone-numbers", "phone_numbers", "").await;
    assert_order(&numbers, "phone_number_id");
    let expected: BTreeSet<&str> = calls
        .iter()
        .map(|c| match c["direction"].as_str().unwrap() {
            "outbound" => c["from_number"].as_str().unwrap(),
            _ => c["to_number"].as_str().unwrap(),
        })
        .collect();
    let got: BTreeSet<&str> = numbers
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
    for number in &numbers {
        let e164 = number["phone_number"].as_str().unwrap();
        for (direction, field, side) in [
            ("outbound", "outbound_agent_id", "from_number"),
            ("inbound", "inbound_agent_id", "to_number"),
        ] {
            // Calls come newest first: the first in this direction is the latest.
            let latest = calls
                .iter()
                .find(|c| c["direction"] == direction && c[side] == e164)
                .map_or(Value::Null, |c| c["agent_id"].clone());
            assert_eq!(number[field], latest, "{field} of {e164}");
        }
        assert!(number.as_object().unwrap().contains_key("inbound_agent_id"));
        let id = number["phone_number_id"].as_str().unwrap();
        assert_eq!(
            app.get(&format!("/v1/phone-numbers/{id}")).await.json(),
            *number
        );
    }
    assert_error(
        &app.get("/v1/phone-numbers/nope").await,
        404,
        "Phone number with the specified UID was not found.",
    );
}

/// The filters: `name` is a case-insensitive part, `phone_number` a part of the number, `created_after` and
/// `created_before` strict bounds; an unencoded `+` is warned about; unknown parameters too.
async fn filters_match_parts_and_bounds_are_strict(app: TestApp) {
    let bots = all(&app, "bots", "bots", "").await;
    let name = bots[0]["name"].as_str().unwrap();
    let part: String = name
        .chars()
        .skip(2)
        .take(5)
        .collect::<String>()
        .to_uppercase();
    let matched = all(&app, "bots", "bots", &format!("&name={}", urlencode(&part))).await;
    let expected: Vec<&Value> = bots
        .iter()
        .filter(|b| {
            b["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&part.to_lowercase())
        })
        .collect();
    assert!(!matched.is_empty());
    assert_eq!(matched.iter().collect::<Vec<_>>(), expected);

    let middle = &bots[bots.len() / 2];
    let at = middle["created_at"].as_str().unwrap();
    let after = all(
        &app,
        "bots",
        "bots",
        &format!("&created_after={}", urlencode(at)),
    )
    .await;
    assert!(after.iter().all(|b| created_ms(b) > created_ms(middle)));
    assert!(!after.contains(middle), "strict: the bound itself is out");
    let before = all(
        &app,
        "bots",
        "bots",
        &format!("&created_before={}", urlencode(at)),
    )
    .await;
    assert!(before.iter().all(|b| created_ms(b) < created_ms(middle)));
    assert_eq!(after.len() + before.len() + 1, bots.len());

    let numbers = all(&app, "phone-numbers", "phone_numbers", "").await;
    let e164 = numbers[0]["phone_number"].as_str().unwrap();
    let part = &e164[..5];
    let matched = all(
        &app,
        "phone-numbers",
        "phone_numbers",
        &format!("&phone_number=%2B{}", &part[1..]),
    )
    .await;
    assert!(
        matched
            .iter()
            .all(|n| n["phone_number"].as_str().unwrap().contains(part))
    );
    assert!(matched.contains(&numbers[0]));
    let raw_plus = app
        .get(&format!("/v1/phone-numbers?phone_number=+{}", &part[1..]))
        .await;
    assert_eq!(raw_plus.json()["pagination"]["total"], 0);
    assert!(raw_plus.header("x-mock-warning").unwrap().contains("%2B"));
    let named = numbers[0]["name"].as_str().unwrap().to_uppercase();
    let matched = all(
        &app,
        "phone-numbers",
        "phone_numbers",
        &format!("&name={}", urlencode(&named)),
    )
    .await;
    assert!(matched.contains(&numbers[0]));

    let unknown = app.get("/v1/bots?agent=1").await;
    assert_eq!(unknown.status, 200);
    assert_eq!(
        unknown.header("x-mock-warning"),
        Some("ignored unknown query parameters: agent")
    );
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Ranges and repeats are the calls' rules, with the same 400 body.
async fn bad_queries_are_the_calls_400(app: TestApp) {
    for (path, named) in [
        ("/v1/bots?limit=0", "limit"),
        ("/v1/bots?limit=101", "limit"),
        ("/v1/bots?offset=-1", "offset"),
        ("/v1/bots?created_after=yesterday", "created_after"),
        (
            "/v1/bots?created_before=2025-01-01T00:00:00",
            "created_before",
        ),
        ("/v1/bots?name=a&name=b", "name"),
        ("/v1/phone-numbers?limit=1.5", "limit"),
        (
            "/v1/phone-numbers?phone_number=1&phone_number=2",
            "phone_number",
        ),
    ] {
        let response = app.get(path).await;
        let body = assert_error(&response, 400, "Invalid query parameters provided.");
        assert!(
            body["message"].as_str().unwrap().starts_with(named),
            "{path}: {body}"
        );
    }
    let page = app
        .get("/v1/bots?limit=100&offset=100000000000000000000000")
        .await;
    assert_eq!(page.json()["bots"], json!([]));
    assert!(
        page.text().contains("\"offset\":100000000000000000000000,"),
        "{}",
        page.text()
    );
}

/// Create answers the bot with a fresh uid and the clock's time; every field is checked by the vendor's
/// schema; unknown fields are ignored with a warning.
async fn create_checks_every_field_and_answers_the_bot(app: TestApp) {
    let body = json!({
        "name": "Support", "prompt": "Help.", "voice_provider": "ElevenLabs", "voice_speed": 1.0,
        "knowledge_base_id": 7,
        "call_settings": {"max_call_duration": 30, "voicemail_action": "hangup"},
        "advanced_settings": {"min_interruption_duration": 0.3, "agent_personality": "formal"},
        "post_call_settings": {"success_evaluation_rubric_type": "LIKERT_SCALE", "structured_extraction_json_schema": {"type": "object"}},
        "colour": "blue"
    });
    let response = send(&app, Method::POST, "/v1/bots", body.clone()).await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(
        response.header("x-mock-warning"),
        Some("ignored unknown fields of CreateBotRequest: \"colour\"")
    );
    let bot = response.json();
    let uid = bot["uid"].as_str().unwrap();
    assert_eq!(uid.len(), 24);
    assert!(
        uid.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(bot["created_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(bot["updated_at"], bot["created_at"]);
    let mut expected = body.as_object().unwrap().clone();
    expected.remove("colour");
    for (key, value) in &expected {
        assert_eq!(&bot[key], value, "{key}");
    }
    assert_eq!(bot.as_object().unwrap().len(), expected.len() + 3);
    assert_eq!(app.get(&format!("/v1/bots/{uid}")).await.json(), bot);
    // Newest first: the new bot leads the list.
    assert_eq!(app.get("/v1/bots?limit=1").await.json()["bots"][0], bot);
    let second = create_bot(&app, json!({"name": "Support", "prompt": "Help."})).await;
    assert_ne!(second["uid"], bot["uid"]);

    let response = send(
        &app,
        Method::POST,
        "/v1/bots",
        json!({"name": "x".repeat(256), "voice_provider": "openai",
               "call_settings": {"max_call_duration": 1, "silence_timeout": 46},
               "advanced_settings": {"short_pause": 0.25}, "knowledge_base_id": null}),
    )
    .await;
    let body = assert_error(
        &response,
        400,
        "Invalid request format, please check API reference.",
    );
    assert_eq!(
        body["message"],
        "name: must be at most 255 characters, found 256; prompt: is required; \
         knowledge_base_id: expected an integer, found null; \
         voice_provider: expected one of OpenAI|ElevenLabs|Deepgram, found \"openai\"; \
         call_settings.max_call_duration: must be an integer from 2 to 30, found 1; \
         call_settings.silence_timeout: must be an integer from 5 to 45, found 46; \
         advanced_settings.short_pause: must be from 0.2 to 2 in steps of 0.1, found 0.25 (not a multiple of 0.1)"
    );
    let not_json = app
        .request_with_body(
            Method::POST,
            "/v1/bots",
            &[
                ("authorization", "Bearer test-key"),
                ("content-type", "text/plain"),
            ],
            Some("{}"),
        )
        .await;
    assert_error(
        &not_json,
        400,
        "Invalid request format, please check API reference.",
    );
    let unauthorized = app
        .request_with_body(Method::POST, "/v1/bots", &[], Some("{}"))
        .await;
    assert_error(&unauthorized, 401, "Unauthorized");
}

/// Patch replaces the fields given and merges the settings objects field by field; `updated_at` moves,
/// `created_at` stays.
async fn patch_merges_settings_and_moves_updated_at(app: TestApp) {
    let bot = create_bot(
        &app,
        json!({"name": "A", "prompt": "p", "voice": "alloy",
               "call_settings": {"max_call_duration": 10, "silence_timeout": 20}}),
    )
    .await;
    let uid = bot["uid"].as_str().unwrap();
    if let TestApp::InProcess(state) = &app {
        state.clock().advance(90_000).unwrap();
    } else if let TestApp::Socket(server, _) = &app {
        server.advance(std::time::Duration::from_secs(90)).unwrap();
    }
    let response = send(
        &app,
        Method::PATCH,
        &format!("/v1/bots/{uid}"),
        json!({"name": "B", "call_settings": {"silence_timeout": 5, "call_recording_enabled": false}}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let patched = response.json();
    assert_eq!(patched["name"], "B");
    assert_eq!(patched["prompt"], "p");
    assert_eq!(patched["voice"], "alloy");
    assert_eq!(
        patched["call_settings"],
        json!({"max_call_duration": 10, "silence_timeout": 5, "call_recording_enabled": false})
    );
    assert_eq!(patched["created_at"], bot["created_at"]);
    assert_eq!(patched["updated_at"], "2026-01-01T00:01:30.000Z");
    assert_eq!(app.get(&format!("/v1/bots/{uid}")).await.json(), patched);
    let empty = send(&app, Method::PATCH, &format!("/v1/bots/{uid}"), json!({})).await;
    assert_eq!(empty.status, 200);
    let bad = send(
        &app,
        Method::PATCH,
        &format!("/v1/bots/{uid}"),
        json!({"advanced_settings": {"long_pause": 7}}),
    )
    .await;
    assert_error(
        &bad,
        400,
        "Invalid request format, please check API reference.",
    );
    let missing = send(&app, Method::PATCH, "/v1/bots/nope", json!({"name": "x"})).await;
    assert_error(&missing, 404, "Bot with the specified UID was not found.");
}

/// Delete is a 204, then a 404; a bot linked to a number, or with a call in progress, is a 409; calls keep the
/// `agent_id` of a deleted bot.
async fn delete_refuses_a_bot_in_use(app: TestApp) {
    let number = first_number(&app).await;
    let id = number["phone_number_id"].as_str().unwrap();
    let linked = number["outbound_agent_id"].as_str().unwrap();
    let response = app
        .send_json(Method::DELETE, &format!("/v1/bots/{linked}"), None)
        .await;
    let body = assert_error(&response, 409, "Bot is currently in use.");
    assert!(body["message"].as_str().unwrap().contains(id), "{body}");

    let bot = create_bot(&app, json!({"name": "Temp", "prompt": "p"})).await;
    let uid = bot["uid"].as_str().unwrap();
    let linked = send(
        &app,
        Method::POST,
        "/v1/phone-numbers/link-agent",
        json!({"phone_number_id": id, "agent_id": uid, "direction": "inbound"}),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    assert_error(
        &app.send_json(Method::DELETE, &format!("/v1/bots/{uid}"), None)
            .await,
        409,
        "Bot is currently in use.",
    );
    // A call placed with it is registered: still in use once unlinked.
    send(
        &app,
        Method::POST,
        "/v1/phone-numbers/unlink-agent",
        json!({"phone_number_id": id, "direction": "inbound"}),
    )
    .await;
    let call = send(
        &app,
        Method::POST,
        "/v1/create-phone-call",
        json!({"from_number": number["phone_number"], "to_number": "+15551230000", "override_agent_id": uid}),
    )
    .await;
    assert_eq!(call.status, 201, "{}", call.text());
    let call_id = call.json()["call_id"].as_str().unwrap().to_string();
    let busy = app
        .send_json(Method::DELETE, &format!("/v1/bots/{uid}"), None)
        .await;
    let body = assert_error(&busy, 409, "Bot is currently in use.");
    assert!(
        body["message"].as_str().unwrap().contains("1 registered"),
        "{body}"
    );
    // Once the call has ended, the bot goes; the call keeps its agent.
    if let TestApp::InProcess(state) = &app {
        state.clock().advance(3_600_000).unwrap();
    } else if let TestApp::Socket(server, _) = &app {
        server
            .advance(std::time::Duration::from_secs(3600))
            .unwrap();
    }
    let gone = app
        .send_json(Method::DELETE, &format!("/v1/bots/{uid}"), None)
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text());
    assert!(gone.body.is_empty());
    for _ in 0..2 {
        assert_error(
            &app.send_json(Method::DELETE, &format!("/v1/bots/{uid}"), None)
                .await,
            404,
            "Bot with the specified UID was not found.",
        );
    }
    assert_eq!(
        app.get(&format!("/v1/call/{call_id}")).await.json()["agent_id"],
        uid
    );
    assert_error(
        &app.get(&format!("/v1/bots/{uid}")).await,
        404,
        "Bot with the specified UID was not found.",
    );
    // A deleted bot cannot be a call's agent any more.
    let refused = send(
        &app,
        Method::POST,
        "/v1/create-phone-call",
        json!({"from_number": number["phone_number"], "to_number": "+15551230000", "override_agent_id": uid}),
    )
    .await;
    assert_error(
        &refused,
        404,
        "Bot with the specified override_agent_id was not found.",
    );
}

/// Link and unlink answer the vendor's shape and messages, and decide the agent of the next call at once.
async fn links_decide_the_agent_of_the_next_call(app: TestApp) {
    let number = first_number(&app).await;
    let (id, e164) = (
        number["phone_number_id"].as_str().unwrap(),
        number["phone_number"].as_str().unwrap(),
    );
    let bot = create_bot(&app, json!({"name": "Outbound", "prompt": "p"})).await;
    let uid = bot["uid"].as_str().unwrap();
    let place = || {
        send(
            &app,
            Method::POST,
            "/v1/create-phone-call",
            json!({"from_number": e164, "to_number": "+15551230000"}),
        )
    };
    let before = place().await.json();
    assert_eq!(before["agent_id"], number["outbound_agent_id"]);

    let response = send(
        &app,
        Method::POST,
        "/v1/phone-numbers/link-agent",
        json!({"phone_number_id": id, "agent_id": uid, "direction": "both"}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"phone_number_id": id, "phone_number": e164, "inbound_agent_id": uid,
               "outbound_agent_id": uid, "message": "Bot linked successfully for inbound and outbound calls."})
    );
    assert_eq!(place().await.json()["agent_id"], uid);
    let record = app.get(&format!("/v1/phone-numbers/{id}")).await.json();
    assert_eq!(record["outbound_agent_id"], uid);
    assert_eq!(record["updated_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(record["created_at"], number["created_at"]);

    let response = send(
        &app,
        Method::POST,
        "/v1/phone-numbers/unlink-agent",
        json!({"phone_number_id": id, "direction": "outbound"}),
    )
    .await;
    assert_eq!(
        response.json(),
        json!({"phone_number_id": id, "phone_number": e164, "inbound_agent_id": uid,
               "outbound_agent_id": null, "message": "Bot unlinked successfully for outbound calls."})
    );
    let refused = place().await;
    let body = assert_error(
        &refused,
        400,
        "Invalid request format, please check API reference.",
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("has no outbound agent"),
        "{body}"
    );
    let overridden = send(
        &app,
        Method::POST,
        "/v1/create-phone-call",
        json!({"from_number": e164, "to_number": "+15551230000", "override_agent_id": uid}),
    )
    .await;
    assert_eq!(overridden.json()["agent_id"], uid);
    // Unlinking what is not linked is still a 200.
    let again = send(
        &app,
        Method::POST,
        "/v1/phone-numbers/unlink-agent",
        json!({"phone_number_id": id, "direction": "outbound"}),
    )
    .await;
    assert_eq!(again.status, 200);
}

/// The documented 400s and 404s of link and unlink.
async fn link_errors_are_the_vendors(app: TestApp) {
    let number = first_number(&app).await;
    let id = number["phone_number_id"].as_str().unwrap();
    let agent = number["outbound_agent_id"].as_str().unwrap();
    let link = |body: Value| send(&app, Method::POST, "/v1/phone-numbers/link-agent", body);
    let body = assert_error(
        &link(json!({"phone_number_id": id, "agent_id": agent, "direction": "Both"})).await,
        400,
        "Invalid direction specified. Must be one of 'inbound', 'outbound', 'both'.",
    );
    assert_eq!(body["message"], "direction: got \"Both\"");
    let body = assert_error(
        &link(json!({"phone_number_id": id})).await,
        400,
        "Invalid request body.",
    );
    assert_eq!(
        body["message"],
        "agent_id: is required; direction: is required"
    );
    for body in [
        json!({"phone_number_id": "nope", "agent_id": agent, "direction": "both"}),
        json!({"phone_number_id": id, "agent_id": "nope", "direction": "both"}),
    ] {
        assert_error(
            &link(body).await,
            404,
            "The specified phone number or bot was not found.",
        );
    }
    let unlink = |body: Value| send(&app, Method::POST, "/v1/phone-numbers/unlink-agent", body);
    assert_error(
        &unlink(json!({"phone_number_id": id, "direction": "up"})).await,
        400,
        "Invalid request body.",
    );
    assert_error(&unlink(json!([])).await, 400, "Invalid request body.");
    assert_error(
        &unlink(json!({"phone_number_id": "nope", "direction": "inbound"})).await,
        404,
        "Phone number with the specified UID was not found.",
    );
    // Unchanged by the refusals.
    assert_eq!(first_number(&app).await, number);
}

/// Each path answers its own methods and a JSON 405 with `Allow` for the others.
async fn methods_are_checked_per_path(app: TestApp) {
    for (method, path, allow) in [
        (Method::PUT, "/v1/bots", "GET, POST"),
        (Method::DELETE, "/v1/bots/", "GET, POST"),
        (Method::POST, "/v1/bots/x", "GET, PATCH, DELETE"),
        (Method::POST, "/v1/phone-numbers", "GET"),
        (Method::DELETE, "/v1/phone-numbers/x", "GET"),
        (Method::GET, "/v1/phone-numbers/link-agent", "POST"),
        (Method::GET, "/v1/phone-numbers/unlink-agent/", "POST"),
    ] {
        let response = app.send_json(method.clone(), path, None).await;
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(response.json()["error"], "Method Not Allowed");
    }
}

depths!(
    every_agent_is_a_bot_listed_in_order,
    every_account_number_has_a_record,
    filters_match_parts_and_bounds_are_strict,
    bad_queries_are_the_calls_400,
    create_checks_every_field_and_answers_the_bot,
    patch_merges_settings_and_moves_updated_at,
    delete_refuses_a_bot_in_use,
    links_decide_the_agent_of_the_next_call,
    link_errors_are_the_vendors,
    methods_are_checked_per_path,
);

/// `--strict` refuses unknown parameters and fields on the new paths as on the calls'; without it, the
/// warning names the first ten unknown fields and counts the rest.
#[tokio::test]
async fn strict_mode_and_long_warnings_cover_the_account() {
    let app = TestApp::in_process(builder().strict(true)).await;
    let body = assert_error(
        &app.get("/v1/bots?agent=1").await,
        400,
        "Invalid query parameters provided.",
    );
    assert_eq!(
        body["message"],
        "agent is not a parameter of GET /v1/bots (strict mode)"
    );
    let body = assert_error(
        &app.get("/v1/phone-numbers?bot_id=1").await,
        400,
        "Invalid query parameters provided.",
    );
    assert_eq!(
        body["message"],
        "bot_id is not a parameter of GET /v1/phone-numbers (strict mode)"
    );
    let number = first_number(&app).await;
    let response = send(
        &app,
        Method::POST,
        "/v1/phone-numbers/unlink-agent",
        json!({"phone_number_id": number["phone_number_id"], "direction": "inbound", "force": true}),
    )
    .await;
    let body = assert_error(&response, 400, "Invalid request body.");
    assert_eq!(
        body["message"],
        "\"force\": is not a field of the request body (strict mode)"
    );

    let app = TestApp::in_process(builder()).await;
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), json!("n"));
    fields.insert("prompt".into(), json!("p"));
    for i in 0..10 {
        fields.insert(format!("x{i:02}"), json!(i));
    }
    let ten = send(
        &app,
        Method::POST,
        "/v1/bots",
        Value::Object(fields.clone()),
    )
    .await;
    let warning = ten.header("x-mock-warning").unwrap().to_string();
    assert!(warning.ends_with("\"x09\""), "{warning}");
    fields.insert("x10".into(), json!(10));
    let eleven = send(&app, Method::POST, "/v1/bots", Value::Object(fields)).await;
    let warning = eleven.header("x-mock-warning").unwrap().to_string();
    assert!(warning.ends_with("\"x09\", and 1 more"), "{warning}");
}
