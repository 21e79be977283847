//! CORS, opt-in: preflights on the API paths, headers on every API answer, none on the admin API, none at all
//! by default.

use axum::http::Method;
use openmic_mock::{CorsOrigin, Fault, MockServer};

use crate::helpers::{Http, TestResponse, spawn_serving};

fn preflight_headers(origin: &str) -> Vec<(&str, &str)> {
    vec![
        ("origin", origin),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ]
}

fn cors_headers(response: &TestResponse) -> Vec<(String, String)> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("access-control-"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn any_origin_gets_preflights_answered_and_every_api_answer_readable() {
    let server = MockServer::builder()
        .generated(1, 5)
        .cors(CorsOrigin::Any)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let preflight = http
        .send(
            Method::OPTIONS,
            "/v1/calls?limit=1",
            &preflight_headers("http://dashboard.test"),
            None,
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET")
    );
    let allowed = preflight.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    for path in ["/v1/create-phone-call", "/v1/create-phone-call/"] {
        let create = http
            .send(
                Method::OPTIONS,
                path,
                &preflight_headers("http://dashboard.test"),
                None,
            )
            .await;
        assert_eq!(create.status, 204);
        assert_eq!(
            create.header("access-control-allow-methods"),
            Some("POST"),
            "a page may create calls"
        );
    }
    assert_eq!(preflight.header("access-control-max-age"), Some("600"));
    assert!(
        server.received_requests().is_empty(),
        "preflights are not API requests"
    );
    // Only OPTIONS with Access-Control-Request-Method is a preflight.
    let plain_options = http
        .send(
            Method::OPTIONS,
            "/v1/calls",
            &[("origin", "http://dashboard.test")],
            None,
        )
        .await;
    assert_eq!(plain_options.status, 405);
    let get_with_request_method = http
        .send(
            Method::GET,
            "/v1/calls?limit=1",
            &[
                ("authorization", "Bearer test-key"),
                ("access-control-request-method", "GET"),
            ],
            None,
        )
        .await;
    assert_eq!(get_with_request_method.status, 200);

    server.push_fault(Fault::Status {
        status: 429,
        retry_after: Some(3),
    });
    let origin = [
        ("origin", "http://dashboard.test"),
        ("authorization", "Bearer test-key"),
    ];
    for (path, status) in [
        ("/v1/calls", 429),
        ("/v1/calls", 200),
        ("/v1/calls?page=2", 200),
        ("/v1/call/nope", 404),
        ("/v2/calls", 404),
    ] {
        let response = http.send(Method::GET, path, &origin, None).await;
        assert_eq!(response.status, status, "{path}");
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        let exposed = response.header("access-control-expose-headers").unwrap();
        assert!(exposed.contains("x-mock-warning") && exposed.contains("retry-after"));
    }
    let unauthorized = http
        .send(
            Method::GET,
            "/v1/calls",
            &[("origin", "http://dashboard.test")],
            None,
        )
        .await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("*")
    );

    // Never on the admin API, preflight or not.
    let admin_preflight = http
        .send(
            Method::OPTIONS,
            "/__admin/reset",
            &preflight_headers("http://dashboard.test"),
            None,
        )
        .await;
    assert!(cors_headers(&admin_preflight).is_empty());
    assert!(admin_preflight.status >= 400);
    let admin = http
        .send(
            Method::GET,
            "/__admin/requests",
            &[("origin", "http://dashboard.test")],
            None,
        )
        .await;
    assert_eq!(admin.status, 200);
    assert!(cors_headers(&admin).is_empty(), "{:?}", admin.headers);
}

#[tokio::test]
async fn one_origin_is_answered_and_others_are_not() {
    let server = MockServer::builder()
        .generated(1, 5)
        .cors("http://localhost:3000".parse().unwrap())
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let ours = http
        .send(
            Method::OPTIONS,
            "/v1/calls",
            &preflight_headers("http://localhost:3000"),
            None,
        )
        .await;
    assert_eq!(
        ours.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(ours.header("vary"), Some("origin"));
    let theirs = http
        .send(
            Method::OPTIONS,
            "/v1/calls",
            &preflight_headers("http://evil.test"),
            None,
        )
        .await;
    assert!(cors_headers(&theirs).is_empty());
    let read = http
        .send(
            Method::GET,
            "/v1/calls",
            &[
                ("origin", "http://evil.test"),
                ("authorization", "Bearer test-key"),
            ],
            None,
        )
        .await;
    assert_eq!(read.status, 200);
    assert!(cors_headers(&read).is_empty());
}

#[tokio::test]
async fn off_by_default_there_is_no_cors_header_and_options_is_a_405() {
    let server = MockServer::builder().generated(1, 5).start().await.unwrap();
    let http = Http::new(&server);
    let preflight = http
        .send(
            Method::OPTIONS,
            "/v1/calls",
            &preflight_headers("http://a.test"),
            None,
        )
        .await;
    assert_eq!(preflight.status, 405);
    assert!(cors_headers(&preflight).is_empty());
    let read = http
        .send(
            Method::GET,
            "/v1/calls",
            &[
                ("origin", "http://a.test"),
                ("authorization", "Bearer test-key"),
            ],
            None,
        )
        .await;
    assert!(cors_headers(&read).is_empty());
}

#[tokio::test]
async fn the_flag_and_its_variable_turn_it_on() {
    for (args, envs, expected) in [
        (vec!["--port", "0", "--cors"], vec![], "*"),
        (
            vec!["--port", "0"],
            vec![("OPENMIC_MOCK_CORS", "http://localhost:5173")],
            "http://localhost:5173",
        ),
    ] {
        let (mut child, url, line) = spawn_serving(&args, &envs);
        assert!(line.contains(&format!("CORS for {expected}")), "{line}");
        let response = reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, format!("{url}/v1/calls"))
            .header("origin", "http://localhost:5173")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(response.headers()["access-control-allow-origin"], expected);
        child.kill().unwrap();
        let _ = child.wait();
    }
}
