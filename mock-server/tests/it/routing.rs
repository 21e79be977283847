//! Contract rules 1 and 3: the two paths, trailing slashes, JSON 404 and 405, JSON everywhere (panics too).

use axum::http::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_json_content_type, depths};

fn builder() -> openmic_mock::MockServerBuilder {
    openmic_mock::MockServer::builder()
}

async fn accepts_a_trailing_slash_on_both_paths(app: TestApp) {
    let plain = app.get("/v1/calls?limit=3").await;
    let slash = app.get("/v1/calls/?limit=3").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body, slash.body);
    let id = &plain.ids()[0];
    let one = app.get(&format!("/v1/call/{id}")).await;
    let one_slash = app.get(&format!("/v1/call/{id}/")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, one_slash.body);
}

async fn answers_other_methods_with_a_json_405_and_allow_get(app: TestApp) {
    for path in &app.api_paths().await {
        for method in [
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
            Method::HEAD,
        ] {
            // With and without a key: the method is checked first.
            for headers in [&[][..], &[("authorization", "Bearer test-key")][..]] {
                let response = app.request(method.clone(), path, headers).await;
                assert_eq!(response.status, 405, "{method} {path}");
                assert_eq!(response.header("allow"), Some("GET"), "{method} {path}");
                assert_json_content_type(&response);
                if method != Method::HEAD {
                    let body = response.json();
                    assert_eq!(body["error"], "Method Not Allowed");
                    assert_eq!(
                        body["message"],
                        format!("{method} is not allowed on {path}; use GET.")
                    );
                }
            }
        }
    }
}

async fn answers_unknown_paths_with_a_json_404(app: TestApp) {
    for path in [
        "/",
        "/v1",
        "/v1/call",
        "/v1/call/",
        "/v1/calls/x",
        "/v2/calls",
        "/V1/CALLS",
        "/v1/calls//",
        "/v1/robots",
    ] {
        for method in [Method::GET, Method::POST] {
            let response = app
                .request(
                    method.clone(),
                    path,
                    &[("authorization", "Bearer test-key")],
                )
                .await;
            assert_eq!(response.status, 404, "{method} {path}");
            assert_json_content_type(&response);
            let body = response.json();
            assert_eq!(body["error"], "Not Found", "{path}");
            assert!(body["message"].as_str().unwrap().contains(path), "{body}");
        }
    }
}

async fn never_answers_with_anything_but_json(app: TestApp) {
    // A sample of every kind of answer: 200 list, 200 one, 400, 401, 404 call, 404 route, 405.
    let id = app.get("/v1/calls?limit=1").await.ids()[0].clone();
    let cases: [(Method, String, bool); 7] = [
        (Method::GET, "/v1/calls".into(), true),
        (Method::GET, format!("/v1/call/{id}"), true),
        (Method::GET, "/v1/calls?limit=abc".into(), true),
        (Method::GET, "/v1/calls".into(), false),
        (Method::GET, "/v1/call/nope".into(), true),
        (Method::GET, "/nope".into(), true),
        (Method::DELETE, "/v1/calls".into(), true),
    ];
    for (method, path, with_key) in cases {
        let headers: &[(&str, &str)] = if with_key {
            &[("authorization", "Bearer test-key")]
        } else {
            &[]
        };
        let response = app.request(method.clone(), &path, headers).await;
        assert_json_content_type(&response);
        let _ = response.json();
        assert!(
            response.json()["error"].is_string() || response.status == 200,
            "{method} {path}"
        );
    }
}

depths!(
    accepts_a_trailing_slash_on_both_paths,
    answers_other_methods_with_a_json_405_and_allow_get,
    answers_unknown_paths_with_a_json_404,
    never_answers_with_anything_but_json,
);

#[tokio::test]
async fn turns_a_panic_into_the_documented_500_body() {
    use tower::ServiceExt;
    // A router that panics, wrapped the way `app` wraps its routes: proves the layer, not a handler.
    let state = openmic_mock::MockServer::builder()
        .generated(1, 1)
        .build_state()
        .unwrap();
    let app = openmic_mock::with_api_layers(
        axum::Router::new().route("/boom", axum::routing::get(boom)),
        state,
    );
    let response = app
        .oneshot(
            axum::http::Request::get("/boom")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        json!({"error": "An unexpected error occurred. Please try again later."})
    );
}

async fn boom() -> &'static str {
    panic!("boom")
}
