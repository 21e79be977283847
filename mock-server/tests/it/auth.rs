//! Contract rule 2: `Authorization: Bearer <key>`, checked before anything else about the request.

use axum::http::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_json_content_type, depths};

fn builder() -> openmic_mock::MockServerBuilder {
    openmic_mock::MockServer::builder()
}

const UNAUTHORIZED_BODY: &str =
    r#"{"error":"Unauthorized","message":"Invalid or expired API key"}"#;

async fn assert_unauthorized(app: &TestApp, path: &str, headers: &[(&str, &str)]) {
    let response = app.request(Method::GET, path, headers).await;
    assert_eq!(response.status, 401, "{path} with {headers:?}");
    assert_json_content_type(&response);
    assert_eq!(String::from_utf8_lossy(&response.body), UNAUTHORIZED_BODY);
}

async fn rejects_missing_empty_wrong_and_malformed_keys(app: TestApp) {
    for path in &app.api_paths().await {
        assert_unauthorized(&app, path, &[]).await;
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer wrong-key",
            "Bearer test-key2",
            "Bearer TEST-KEY",
            "Bearertest-key",
            "Bearer test-key extra",
            "Basic dGVzdC1rZXk6",
            "test-key",
            "Token test-key",
        ] {
            assert_unauthorized(&app, path, &[("authorization", value)]).await;
        }
    }
}

async fn matches_the_scheme_case_insensitively(app: TestApp) {
    for value in [
        "Bearer test-key",
        "bearer test-key",
        "BEARER test-key",
        "bEaReR test-key",
        "Bearer  test-key",
    ] {
        let response = app
            .request(
                Method::GET,
                "/v1/calls?limit=1",
                &[("authorization", value)],
            )
            .await;
        assert_eq!(response.status, 200, "{value}");
    }
}

async fn checks_the_key_before_the_parameters(app: TestApp) {
    assert_unauthorized(&app, "/v1/calls?limit=0&call_status=nope", &[]).await;
    assert_unauthorized(
        &app,
        "/v1/calls?limit=1&limit=2",
        &[("authorization", "Bearer nope")],
    )
    .await;
}

async fn checks_the_key_before_looking_up_a_call(app: TestApp) {
    assert_unauthorized(&app, "/v1/call/does-not-exist", &[]).await;
}

async fn rejects_two_authorization_headers(app: TestApp) {
    // Even when both carry the right key: which one a server picks is not something a client should rely on.
    assert_unauthorized(
        &app,
        "/v1/calls",
        &[
            ("authorization", "Bearer test-key"),
            ("authorization", "Bearer test-key"),
        ],
    )
    .await;
}

depths!(
    rejects_missing_empty_wrong_and_malformed_keys,
    matches_the_scheme_case_insensitively,
    checks_the_key_before_the_parameters,
    checks_the_key_before_looking_up_a_call,
    rejects_two_authorization_headers,
);

#[tokio::test]
async fn accepts_every_configured_key_and_only_those() {
    let app = TestApp::over_socket(builder().api_key("omic_first").api_key("omic_second")).await;
    for key in ["omic_first", "omic_second"] {
        let auth = format!("Bearer {key}");
        let response = app
            .request(Method::GET, "/v1/calls", &[("authorization", &auth)])
            .await;
        assert_eq!(response.status, 200, "{key}");
    }
    let response = app.get("/v1/calls").await; // the default key is not configured here
    assert_eq!(response.status, 401);
    assert_eq!(
        response.json(),
        json!({"error": "Unauthorized", "message": "Invalid or expired API key"})
    );
}
