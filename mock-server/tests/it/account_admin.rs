//! The account through the admin API and `MockServer`: read and replace bots and numbers, reset, tenants, and
//! the API's layers (journal, faults, rate limit, CORS) on the new paths; a simulated inbound call takes the
//! number's inbound agent.

use axum::http::Method;
use openmic_mock::{AccountError, CorsOrigin, Fault, MockServer, RateLimit, ScriptedFault};
use serde_json::{Value, json};

use crate::helpers::{Http, KEY, admin_ok, assert_admin_error, virtual_server_with};

async fn server() -> (MockServer, Http) {
    virtual_server_with(MockServer::builder()).await
}

async fn post_json(
    http: &Http,
    key: &str,
    path: &str,
    body: &Value,
) -> crate::helpers::TestResponse {
    let auth = format!("Bearer {key}");
    http.send(
        Method::POST,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&body.to_string()),
    )
    .await
}

fn a_bot(uid: &str) -> Value {
    json!({"uid": uid, "name": "Front desk", "prompt": "Answer.", "voice_provider": "Deepgram",
           "call_settings": {"max_call_duration": 5}, "custom": {"kept": true},
           "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-02T10:00:00.5Z"})
}

#[tokio::test]
async fn bots_and_numbers_are_read_and_replaced_whole_or_one_at_a_time() {
    let (server, http) = server().await;
    let numbers = admin_ok(&http, Method::GET, "/__admin/phone-numbers", None).await;
    let api_numbers = http.get("/v1/phone-numbers?limit=100").await.json();
    assert_eq!(numbers["phone_numbers"], api_numbers["phone_numbers"]);
    for (path, body) in [
        ("/__admin/bots", json!({"bots": [], "extra": 1})),
        ("/__admin/bots", json!({"phone_numbers": []})),
        ("/__admin/phone-numbers", json!({"bots": []})),
        ("/__admin/bots", json!({"bots": {}})),
        ("/__admin/bots", json!("bots")),
    ] {
        let refused = http.admin(Method::PUT, path, Some(&body.to_string())).await;
        assert_admin_error(&refused, 400);
    }
    let listed = admin_ok(&http, Method::GET, "/__admin/bots", None).await;
    let api = http.get("/v1/bots?limit=100").await.json();
    assert_eq!(listed["bots"], api["bots"]);
    assert_eq!(server.bots().len(), api["bots"].as_array().unwrap().len());

    // One bot in: kept field for field (unknown fields too), listed by its created_at.
    let put = admin_ok(
        &http,
        Method::PUT,
        "/__admin/bots/front-desk",
        Some(a_bot("front-desk")),
    )
    .await;
    assert_eq!(put, json!({"uid": "front-desk", "replaced": false}));
    assert_eq!(
        http.get("/v1/bots/front-desk").await.json(),
        a_bot("front-desk")
    );
    let mismatch = http
        .admin(
            Method::PUT,
            "/__admin/bots/other",
            Some(&a_bot("front-desk").to_string()),
        )
        .await;
    assert!(assert_admin_error(&mismatch, 400).contains("is not the path's"));
    let mut broken = a_bot("front-desk");
    broken["call_settings"]["max_call_duration"] = json!(60);
    broken["created_at"] = json!("June");
    let refused = http
        .admin(
            Method::PUT,
            "/__admin/bots/front-desk",
            Some(&broken.to_string()),
        )
        .await;
    let message = assert_admin_error(&refused, 400);
    assert!(
        message
            .contains("call_settings.max_call_duration: must be an integer from 2 to 30, found 60"),
        "{message}"
    );
    assert!(
        message.contains("created_at: expected an RFC 3339 date-time"),
        "{message}"
    );

    // All bots replaced: the calls' agents get generated bots again, so every agent still has one.
    let replaced = admin_ok(
        &http,
        Method::PUT,
        "/__admin/bots",
        Some(json!({"bots": [a_bot("only")]})),
    )
    .await;
    let agents: std::collections::BTreeSet<String> =
        server.calls().into_iter().map(|c| c.agent_id).collect();
    assert_eq!(replaced["bots"], agents.len() + 1);
    let duplicate = http
        .admin(
            Method::PUT,
            "/__admin/bots",
            Some(&json!([a_bot("x"), a_bot("x")]).to_string()),
        )
        .await;
    let message = assert_admin_error(&duplicate, 400);
    assert!(message.contains("bots[1].uid"), "{message}");

    // Numbers: a linked agent must be a bot.
    let number = json!({"phone_number_id": "pn-1", "phone_number": "+15557770000", "name": "Lab",
                        "inbound_agent_id": "only", "outbound_agent_id": null,
                        "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"});
    admin_ok(
        &http,
        Method::PUT,
        "/__admin/phone-numbers/pn-1",
        Some(number.clone()),
    )
    .await;
    assert_eq!(http.get("/v1/phone-numbers/pn-1").await.json(), number);
    let mut dangling = number.clone();
    dangling["outbound_agent_id"] = json!("ghost");
    let refused = http
        .admin(
            Method::PUT,
            "/__admin/phone-numbers/pn-1",
            Some(&dangling.to_string()),
        )
        .await;
    assert!(assert_admin_error(&refused, 400).contains("\"ghost\" is not a bot of the account"));
    // The new number places calls with its linked agent once linked outbound.
    let created = post_json(
        &http,
        KEY,
        "/v1/create-phone-call",
        &json!({"from_number": "+15557770000", "to_number": "+15550000001"}),
    )
    .await;
    assert_eq!(
        created.status,
        400,
        "no outbound agent yet: {}",
        created.text()
    );
    let inbound = http
        .admin(
            Method::POST,
            "/__admin/inbound-calls",
            Some(&json!({"from_number": "+15550000001", "to_number": "+15557770000"}).to_string()),
        )
        .await;
    assert_eq!(inbound.status, 201, "{}", inbound.text());
    assert_eq!(
        inbound.json()["agent_id"],
        "only",
        "an inbound call takes the inbound agent"
    );

    // Admin removal of a bot unlinks it (no 409) and it stays deleted.
    let removed = admin_ok(&http, Method::DELETE, "/__admin/bots/only", None).await;
    assert_eq!(removed["deleted"], "only");
    assert_eq!(
        http.get("/v1/phone-numbers/pn-1").await.json()["inbound_agent_id"],
        Value::Null
    );
    assert_admin_error(
        &http.admin(Method::DELETE, "/__admin/bots/only", None).await,
        404,
    );
    admin_ok(&http, Method::DELETE, "/__admin/phone-numbers/pn-1", None).await;
    assert_eq!(http.get("/v1/phone-numbers/pn-1").await.status, 404);

    // Replacing the numbers: the calls' numbers get records again, and the count says so.
    let numbers_before = server.phone_numbers().len();
    let mut number = number.clone();
    number["inbound_agent_id"] = Value::Null;
    let replaced = admin_ok(
        &http,
        Method::PUT,
        "/__admin/phone-numbers",
        Some(json!([number])),
    )
    .await;
    assert_eq!(replaced["phone_numbers"], numbers_before + 1, "{replaced}");

    // New calls' agents become bots at once.
    let mut call = server.calls().remove(0);
    call.call_id = "call-of-a-new-agent".into();
    call.agent_id = "agent-new".into();
    admin_ok(
        &http,
        Method::POST,
        "/__admin/calls",
        Some(serde_json::to_value(&call).unwrap()),
    )
    .await;
    assert_eq!(http.get("/v1/bots/agent-new").await.status, 200);

    // A created bot's uid is never one the account has, or had and deleted.
    server.tenant("probe", Vec::new()).unwrap();
    let probe = post_json(
        &http,
        "probe",
        "/v1/bots",
        &json!({"name": "p", "prompt": "p"}),
    )
    .await;
    let next_uid = probe.json()["uid"].as_str().unwrap().to_string();
    admin_ok(
        &http,
        Method::PUT,
        &format!("/__admin/bots/{next_uid}"),
        Some(a_bot(&next_uid)),
    )
    .await;
    let created = post_json(&http, KEY, "/v1/bots", &json!({"name": "n", "prompt": "p"})).await;
    assert_ne!(created.json()["uid"], next_uid.as_str(), "taken by a bot");
    let third = created.json()["uid"].as_str().unwrap().to_string();
    admin_ok(
        &http,
        Method::DELETE,
        &format!("/__admin/bots/{next_uid}"),
        None,
    )
    .await;
    let again = post_json(&http, KEY, "/v1/bots", &json!({"name": "n", "prompt": "p"})).await;
    let uid = again.json()["uid"].as_str().unwrap().to_string();
    assert!(
        uid != next_uid && uid != third,
        "a deleted bot's uid is not reused"
    );

    // Reset restores the startup account.
    admin_ok(&http, Method::POST, "/__admin/reset", Some(json!({}))).await;
    assert_eq!(http.get("/v1/bots?limit=100").await.json(), api);
    assert_eq!(http.get("/v1/bots/only").await.status, 404);
}

#[tokio::test]
async fn each_tenant_has_its_own_account() {
    let (server, http) = server().await;
    server.tenant("team-a", server.calls()).unwrap();
    let created = post_json(
        &http,
        "team-a",
        "/v1/bots",
        &json!({"name": "A only", "prompt": "p"}),
    )
    .await;
    assert_eq!(created.status, 201);
    let uid = created.json()["uid"].as_str().unwrap().to_string();
    assert_eq!(
        http.get_as(&format!("/v1/bots/{uid}"), "team-a")
            .await
            .status,
        200
    );
    assert_eq!(
        http.get(&format!("/v1/bots/{uid}")).await.status,
        404,
        "the default account does not see it"
    );
    let tenant_bots = admin_ok(&http, Method::GET, "/__admin/tenants/team-a/bots", None).await;
    assert!(
        tenant_bots["bots"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["uid"] == uid)
    );
    assert_eq!(
        server.account(Some("team-a")).unwrap().bots.len(),
        server.bots().len() + 1
    );
    assert!(matches!(
        server.account(Some("nobody")),
        Err(AccountError::TenantNotFound(_))
    ));
    assert_admin_error(
        &http
            .admin(Method::GET, "/__admin/tenants/nobody/bots", None)
            .await,
        404,
    );
    // A tenant's reset restores the startup account.
    admin_ok(
        &http,
        Method::POST,
        "/__admin/tenants/team-a/reset",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        http.get_as(&format!("/v1/bots/{uid}"), "team-a")
            .await
            .status,
        404
    );
    // Typed admin from Rust, checked by the fixture rules.
    let mut bot = server.bots().remove(0);
    bot.name = "x".repeat(300);
    let err = server.upsert_bot(Some("team-a"), bot).unwrap_err();
    assert!(
        err.to_string()
            .contains("name: must be at most 255 characters"),
        "{err}"
    );
}

#[tokio::test]
async fn the_api_layers_cover_the_new_paths() {
    let (server, http) = virtual_server_with(MockServer::builder().cors(CorsOrigin::Any)).await;
    let created = post_json(
        &http,
        KEY,
        "/v1/bots",
        &json!({"name": "Journaled", "prompt": "p"}),
    )
    .await;
    assert_eq!(created.status, 201);
    let journal = admin_ok(&http, Method::GET, "/__admin/requests", None).await;
    let last = journal["requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            last["method"].as_str(),
            last["path"].as_str(),
            last["status"].as_u64()
        ),
        (Some("POST"), Some("/v1/bots"), Some(201))
    );

    server.push_fault(ScriptedFault::on_path(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        "/v1/phone-numbers*",
    ));
    assert_eq!(
        http.get("/v1/calls?limit=1").await.status,
        200,
        "the fault waits for its path"
    );
    assert_eq!(http.get("/v1/phone-numbers").await.status, 503);
    assert_eq!(http.get("/v1/phone-numbers").await.status, 200);

    let preflight = http
        .send(
            Method::OPTIONS,
            "/v1/bots",
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "POST"),
            ],
            None,
        )
        .await;
    assert!(
        preflight.header("access-control-allow-origin").is_some(),
        "{:?}",
        preflight.headers
    );
    let read = http
        .send(
            Method::GET,
            "/v1/bots",
            &[
                ("origin", "http://localhost:3000"),
                ("authorization", "Bearer test-key"),
            ],
            None,
        )
        .await;
    assert!(read.header("access-control-allow-origin").is_some());

    server.set_rate_limit(RateLimit::per_minute(1));
    assert_eq!(http.get("/v1/bots").await.status, 200);
    assert_eq!(http.get("/v1/phone-numbers").await.status, 429);
}

#[tokio::test]
async fn the_embedded_account_and_a_files_account_are_served_as_loaded() {
    // The embedded set carries its account: served record for record, nothing generated beside it.
    let server = MockServer::builder()
        .anchor(openmic_mock::Anchor::Off)
        .start()
        .await
        .unwrap();
    let embedded = openmic_fixtures::default_account();
    let mut served = server.account(None).unwrap();
    let by_uid = |bots: &mut Vec<openmic_fixtures::Bot>| bots.sort_by(|a, b| a.uid.cmp(&b.uid));
    let mut expected = embedded.clone();
    by_uid(&mut served.bots);
    by_uid(&mut expected.bots);
    assert_eq!(served.bots, expected.bots);
    assert_eq!(served.phone_numbers.len(), embedded.phone_numbers.len());
    for number in &embedded.phone_numbers {
        assert!(served.phone_numbers.contains(number), "{number:?}");
    }

    // A file's own bot and number, unknown fields and number forms kept; its other agents get generated bots.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    let calls = openmic_fixtures::generate(5, 4);
    let agent = calls[0].agent_id.clone();
    let bot = json!({"uid": agent, "name": "Mine", "prompt": "p", "voice_speed": 1.0,
                     "knowledge_base_id": 12, "team": {"id": 3},
                     "created_at": "2025-01-01T00:00:00+02:00", "updated_at": "2025-01-02T00:00:00Z"});
    let number = json!({"phone_number_id": "pn", "phone_number": "+15550001234", "name": "Desk",
                        "inbound_agent_id": agent, "created_at": "2024-01-01", "updated_at": "2024-01-01"});
    let file = json!({"calls": calls, "bots": [bot], "phone_numbers": [number]});
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    let server = MockServer::builder()
        .fixture_path(&path)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let got = http.get(&format!("/v1/bots/{agent}")).await;
    assert_eq!(got.json(), bot);
    assert!(got.text().contains("\"voice_speed\":1.0"), "{}", got.text());
    let mut number_served = number.clone();
    number_served["outbound_agent_id"] = Value::Null;
    assert_eq!(http.get("/v1/phone-numbers/pn").await.json(), number_served);
    let agents: std::collections::BTreeSet<&str> =
        calls.iter().map(|c| c.agent_id.as_str()).collect();
    let bots = http.get("/v1/bots?limit=100").await.json();
    let uids: std::collections::BTreeSet<&str> = bots["bots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, agents);
}

#[tokio::test]
async fn anchoring_moves_the_accounts_dates_with_the_calls() {
    let unanchored = MockServer::builder()
        .anchor(openmic_mock::Anchor::Off)
        .start()
        .await
        .unwrap();
    let anchored = MockServer::builder()
        .anchor(openmic_mock::Anchor::At(2_000_000_000_000))
        .start()
        .await
        .unwrap();
    let shift = |a: &openmic_mock::Call, b: &openmic_mock::Call| {
        b.start_timestamp.unwrap().millis() as i64 - a.start_timestamp.unwrap().millis() as i64
    };
    let (before, after) = (unanchored.calls(), anchored.calls());
    let started = before
        .iter()
        .position(|c| c.start_timestamp.is_some())
        .unwrap();
    let days = shift(&before[started], &after[started]);
    assert_ne!(days, 0);
    assert_eq!(days % openmic_fixtures::DAY_MS as i64, 0);
    let bot_shift = |a: &openmic_fixtures::Bot, b: &openmic_fixtures::Bot| {
        openmic_fixtures::parse_rfc3339_millis(&b.created_at).unwrap()
            - openmic_fixtures::parse_rfc3339_millis(&a.created_at).unwrap()
    };
    for (a, b) in unanchored.bots().iter().zip(anchored.bots().iter()) {
        assert_eq!(a.uid, b.uid);
        assert_eq!(bot_shift(a, b), days, "{}", a.uid);
    }
}
