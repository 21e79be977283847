//! One validation for a record wherever it comes from: what create-phone-call and the bot writes accept, the
//! loader and `openmic-mock validate` accept too (depth, repeated keys inside objects), round trip tested
//! through the admin API's own output.

use axum::http::Method;
use openmic_mock::MockServer;
use serde_json::{Value, json};

use crate::helpers::{
    Http, KEY, account_number, admin_ok, create_as, mock_bin, virtual_server_with,
};

/// `{"a": {"a": ... 1}}` with `levels` objects.
fn nested(levels: usize) -> Value {
    let mut value = json!(1);
    for _ in 0..levels {
        value = json!({ "a": value });
    }
    value
}

/// The path the loader names for the object at `level` inside `field` (`field.a.a...`).
fn path(field: &str, levels: usize) -> String {
    std::iter::once(field.to_string())
        .chain(std::iter::repeat_n("a".to_string(), levels))
        .collect::<Vec<_>>()
        .join(".")
}

async fn post_bot(http: &Http, body: &str) -> crate::helpers::TestResponse {
    let auth = format!("Bearer {KEY}");
    http.send(
        Method::POST,
        "/v1/bots",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(body),
    )
    .await
}

/// The account as the admin API serves it, written as a fixture file, then `openmic-mock validate` on it.
async fn validate_what_is_served(http: &Http) {
    let mut calls = Vec::new();
    let mut offset = 0;
    loop {
        let page = admin_ok(
            http,
            Method::GET,
            &format!("/__admin/calls?limit=1000&offset={offset}"),
            None,
        )
        .await;
        let got = page["calls"].as_array().unwrap().clone();
        offset += got.len();
        calls.extend(got);
        if page["pagination"]["has_more"] != true {
            break;
        }
    }
    let bots = admin_ok(http, Method::GET, "/__admin/bots", None).await["bots"].clone();
    let numbers =
        admin_ok(http, Method::GET, "/__admin/phone-numbers", None).await["phone_numbers"].clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("served.json");
    std::fs::write(
        &file,
        json!({"calls": calls, "bots": bots, "phone_numbers": numbers}).to_string(),
    )
    .unwrap();
    let output = mock_bin().arg("validate").arg(&file).output().unwrap();
    assert!(
        output.status.success(),
        "validate refused what the mock serves:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    openmic_fixtures::load_path_with_account(&file).unwrap();
}

#[tokio::test]
async fn create_refuses_what_the_loader_refuses_and_what_it_accepts_loads() {
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    let from = account_number(&server);
    // The call is level 1 and dynamic_variables' outermost object level 2: 124 objects reach the limit.
    let deepest = create_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000001", "dynamic_variables": nested(124)}),
    )
    .await;
    assert_eq!(deepest.status, 201, "{}", deepest.text());
    let too_deep = create_as(
        &http,
        KEY,
        &json!({"from_number": from, "to_number": "+15550000001", "dynamic_variables": nested(125)}),
    )
    .await;
    assert_eq!(too_deep.status, 400, "{}", too_deep.text());
    let message = too_deep.json()["message"].to_string();
    assert!(
        message.contains(&format!(
            "{}: expected at most 125 levels of nesting in a call",
            path("dynamic_variables", 124)
        )),
        "{message}"
    );
    // Past serde_json's own limit (128 levels) the answer names the field the same way.
    let far_too_deep = format!(
        r#"{{"from_number": "{from}", "to_number": "+15550000001", "dynamic_variables": {}}}"#,
        nested(200)
    );
    let response = http
        .send(
            Method::POST,
            "/v1/create-phone-call",
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("content-type", "application/json"),
            ],
            Some(&far_too_deep),
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(
        response.text().contains(&path("dynamic_variables", 124)),
        "{}",
        response.text()
    );

    // A key repeated inside dynamic_variables: refused, as a fixture file's would be.
    let repeated = format!(
        r#"{{"from_number": "{from}", "to_number": "+15550000001", "dynamic_variables": {{"x": {{"y": 1, "y": 2}}}}}}"#
    );
    let response = http
        .send(
            Method::POST,
            "/v1/create-phone-call",
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("content-type", "application/json"),
            ],
            Some(&repeated),
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(
        response
            .text()
            .contains("dynamic_variables.x.y: expected each key once per object, found `y` again"),
        "{}",
        response.text()
    );
    // A repeated top-level field keeps its own message, once.
    let twice = format!(
        r#"{{"from_number": "{from}", "from_number": "{from}", "to_number": "+15550000001"}}"#
    );
    let response = http
        .send(
            Method::POST,
            "/v1/create-phone-call",
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("content-type", "application/json"),
            ],
            Some(&twice),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["message"],
        "\"from_number\": is given more than once",
        "{}",
        response.text()
    );

    validate_what_is_served(&http).await;
}

#[tokio::test]
async fn bot_writes_refuse_what_the_loader_refuses_and_what_they_accept_loads() {
    let (_server, http) = virtual_server_with(MockServer::builder()).await;
    // The bot is level 1, post_call_settings 2, the schema's outermost object 3: 123 objects reach the limit.
    let bot = |levels: usize| {
        json!({"name": "Deep", "prompt": "p",
               "post_call_settings": {"structured_extraction_json_schema": nested(levels)}})
        .to_string()
    };
    let deepest = post_bot(&http, &bot(123)).await;
    assert_eq!(deepest.status, 201, "{}", deepest.text());
    let too_deep = post_bot(&http, &bot(124)).await;
    assert_eq!(too_deep.status, 400, "{}", too_deep.text());
    assert!(
        too_deep.text().contains(&format!(
            "{}: expected at most 125 levels of nesting in a bot",
            path("post_call_settings.structured_extraction_json_schema", 123)
        )),
        "{}",
        too_deep.text()
    );
    let repeated = r#"{"name": "Twice", "prompt": "p", "call_settings": {"max_call_duration": 30, "max_call_duration": 31}}"#;
    let response = post_bot(&http, repeated).await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(
        response
            .text()
            .contains("call_settings.max_call_duration: expected each key once per object"),
        "{}",
        response.text()
    );
    validate_what_is_served(&http).await;
}
