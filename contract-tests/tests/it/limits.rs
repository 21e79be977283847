//! The request budget, the client-side rate limit, 429 handling and windowing, against local servers.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use openmic_contract::{HttpClient, Limits, OpenMicResponder, Request};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{SECRET_KEY, responder_server, run_suite, runtime};

#[test]
fn a_run_never_sends_more_requests_than_its_budget() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.limits = Limits {
            max_requests: 60,
            rate_per_minute: None,
        };
    });
    let received = rt.block_on(server.received_requests()).unwrap().len();
    assert!(received <= 60, "{received} requests\n{text}");
    assert_eq!(report.requests as usize, received);
    assert_eq!(
        report.failed(),
        0,
        "a budget cut must not look like a failure:\n{text}"
    );
    assert!(text.contains("of 60"), "{text}");
}

#[test]
fn data_larger_than_the_budget_is_checked_in_a_date_window() {
    let rt = runtime();
    let mock = rt
        .block_on(
            openmic_mock::MockServer::builder()
                .generated(5, 1_500)
                .start(),
        )
        .unwrap();
    let (report, text) = run_suite(&mock.uri(), mock.api_key(), |c| {
        // A quarter of 48 requests lists 12 pages of 100: fewer than the 15 the data needs.
        c.limits = Limits {
            max_requests: 48,
            rate_per_minute: None,
        };
    });
    let window = report.data.window.clone().expect("a window");
    assert!(text.contains("windowed to from_date="), "{text}");
    assert_eq!(report.data.requests, 12, "{text}");
    assert!(
        report.data.calls.len() < 1_200 && report.data.calls.len() > 1_000,
        "{text}"
    );
    assert!(
        report
            .data
            .calls
            .iter()
            .all(|(c, _)| c.start_timestamp.unwrap().millis() as i64 >= window.ms)
    );
    assert_eq!(report.failed(), 0, "{text}");
    assert!(report.requests <= 48);
}

#[test]
fn the_rate_limit_spaces_requests() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let client = HttpClient::new(
        openmic_contract::Target::new(server.uri(), SECRET_KEY),
        Limits {
            max_requests: 100,
            rate_per_minute: Some(600),
        },
    )
    .unwrap();
    let started = Instant::now();
    for _ in 0..4 {
        assert_eq!(
            client
                .send(&Request::get("/v1/calls", vec![]))
                .unwrap()
                .status,
            200
        );
    }
    // 600/minute is one request per 100 ms: three gaps at least.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert!(client.waited() >= Duration::from_millis(200));
}

#[test]
fn a_429_is_waited_out_for_its_retry_after_and_retried() {
    let rt = runtime();
    let server = rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        OpenMicResponder::new(openmic_fixtures::generate(1, 5))
            .api_key(SECRET_KEY)
            .mount(&server)
            .await;
        server
    });
    let client = HttpClient::new(
        openmic_contract::Target::new(server.uri(), SECRET_KEY),
        Limits::UNLIMITED,
    )
    .unwrap();
    let said = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = said.clone();
    client.set_progress(Some(Rc::new(move |m: &str| {
        sink.borrow_mut().push(m.to_string())
    })));
    let started = Instant::now();
    let response = client.send(&Request::get("/v1/calls", vec![])).unwrap();
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(client.used(), 2, "the 429 counts against the budget");
    assert!(
        said.borrow().iter().any(|m| m.contains("Retry-After 1s")),
        "{:?}",
        said.borrow()
    );
}

#[test]
fn a_request_past_the_budget_is_refused_without_being_sent() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let client = HttpClient::new(
        openmic_contract::Target::new(server.uri(), SECRET_KEY),
        Limits {
            max_requests: 2,
            rate_per_minute: None,
        },
    )
    .unwrap();
    let request = Request::get("/v1/calls", vec![]);
    assert!(client.send(&request).is_ok());
    assert!(client.send(&request).is_ok());
    assert_eq!(
        client.send(&request).unwrap_err(),
        openmic_contract::HttpError::BudgetExhausted
    );
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 2);
}

#[test]
fn only_loopback_targets_run_without_limits_by_default() {
    use openmic_contract::{ServerSuiteConfig, Target};
    assert_eq!(
        ServerSuiteConfig::new(Target::new("http://127.0.0.1:1", "k"))
            .limits
            .max_requests,
        u64::MAX
    );
    assert_eq!(
        ServerSuiteConfig::new(Target::new("http://localhost:1/", "k"))
            .limits
            .max_requests,
        u64::MAX
    );
    let live = ServerSuiteConfig::new(Target::new("https://api.openmic.ai", "k")).limits;
    assert_eq!((live.max_requests, live.rate_per_minute), (300, Some(90)));
}

#[cfg(not(feature = "tls"))]
#[test]
fn an_https_target_without_the_tls_feature_is_refused_with_a_hint() {
    let err = HttpClient::new(
        openmic_contract::Target::new("https://api.openmic.ai", "k"),
        Limits::LIVE,
    )
    .unwrap_err();
    assert!(err.to_string().contains("--features tls"), "{err}");
    assert!(
        err.to_string()
            .contains("cargo install --path contract-tests --features tls"),
        "{err}"
    );
}

#[test]
fn requests_other_than_get_stop_at_the_write_cap_and_gets_go_on() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let client = HttpClient::new(
        openmic_contract::Target::new(server.uri(), SECRET_KEY),
        Limits::UNLIMITED,
    )
    .unwrap();
    client.set_write_share(2);
    let post = Request::post("/v1/create-phone-call", Some("application/json"), "{}");
    assert!(client.send(&post).is_ok());
    assert!(client.send(&post).is_ok());
    assert_eq!(
        client.send(&post).unwrap_err(),
        openmic_contract::HttpError::BudgetExhausted
    );
    assert_eq!((client.writes(), client.writes_left()), (2, 0));
    assert_eq!(
        client
            .send(&Request::get("/v1/calls", vec![]))
            .unwrap()
            .status,
        200
    );
    let received = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count(),
        2
    );
}
