//! One test per rule of the client: the budget and its share and write cap, the pace, 429s (with and without
//! the wait after the last one), transient failures with and without retries, and `fetch`'s reading of answers.

use std::time::Duration;

use openmic_http::{
    Client, ClientPolicy, On429, Request, RequestError, RequestEvent, Retries, Target,
};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server that answers every request with `status` (and `extra` first, `times` times, when given).
async fn answering(status: u16, extra: Option<(ResponseTemplate, u64)>) -> MockServer {
    let server = MockServer::start().await;
    if let Some((template, times)) = extra {
        Mock::given(any())
            .respond_with(template)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_string(r#"{"calls":[]}"#))
        .mount(&server)
        .await;
    server
}

fn client_for(url: &str, policy: ClientPolicy) -> Client {
    Client::new(Target::new(url, "k"), policy).unwrap()
}

fn retrying(retries: u32) -> ClientPolicy {
    let mut policy = ClientPolicy::new("test");
    policy.retries = Some(Retries {
        retries,
        backoff: Duration::from_millis(1),
    });
    policy
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// A URL on this machine where nothing listens: every connection is refused.
async fn nothing_listens() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn get() -> Request {
    Request::get("/v1/calls", vec![])
}

fn post() -> Request {
    Request::post("/v1/create-phone-call", Some("application/json"), "{}")
}

#[tokio::test]
async fn a_request_past_the_budget_its_share_or_the_write_cap_is_refused_without_being_sent() {
    let server = answering(200, None).await;
    let mut policy = ClientPolicy::new("test");
    policy.max_requests = 4;
    let mut client = client_for(&server.uri(), policy);
    let mut quiet = |_: RequestEvent| {};
    assert_eq!((client.used(), client.remaining()), (0, 4));
    assert_eq!((client.writes(), client.writes_left()), (0, u64::MAX));

    client.set_share(1);
    assert_eq!(client.send(&get(), &mut quiet).await.unwrap().status, 200);
    assert_eq!((client.used(), client.remaining()), (1, 3));
    assert_eq!(
        client.send(&get(), &mut quiet).await.unwrap_err(),
        RequestError::ShareSpent
    );
    client.clear_share();

    client.set_write_share(1);
    assert_eq!((client.writes(), client.writes_left()), (0, 1));
    assert!(client.send(&post(), &mut quiet).await.is_ok());
    assert_eq!((client.writes(), client.writes_left()), (1, 0));
    assert_eq!(
        client.send(&post(), &mut quiet).await.unwrap_err(),
        RequestError::WriteCapReached
    );
    assert_eq!((client.writes(), client.writes_left()), (1, 0));
    // GETs go on past the write cap, up to the budget.
    assert!(client.send(&get(), &mut quiet).await.is_ok());
    assert!(client.send(&get(), &mut quiet).await.is_ok());
    assert_eq!(
        client.send(&get(), &mut quiet).await.unwrap_err(),
        RequestError::BudgetSpent { max: 4 }
    );
    assert_eq!((client.used(), client.remaining()), (4, 0));
    assert_eq!(received(&server).await, 4);
}

#[tokio::test]
async fn requests_start_a_pace_apart_and_the_waits_are_told_and_counted() {
    let server = answering(200, None).await;
    let mut policy = ClientPolicy::new("test");
    policy.per_minute = Some(600);
    let mut client = client_for(&server.uri(), policy);
    let mut events = Vec::new();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        client
            .send(&get(), &mut |event| events.push(event))
            .await
            .unwrap();
    }
    // 600 a minute is one every 100 ms: two gaps, the first request at once.
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(
        |e| matches!(e, RequestEvent::Pacing { wait } if *wait <= Duration::from_millis(100))
    ));
    assert!(client.waited() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_then_asked_again_and_every_attempt_counts() {
    let told = ResponseTemplate::new(429).insert_header("retry-after", "1");
    let server = answering(200, Some((told, 1))).await;
    let mut client = client_for(&server.uri(), ClientPolicy::new("test"));
    let mut events = Vec::new();
    let started = std::time::Instant::now();
    let response = client
        .send(&get(), &mut |event| events.push(event))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(client.used(), 2);
    assert_eq!(
        events,
        [RequestEvent::RateLimited {
            wait: Duration::from_secs(1)
        }]
    );

    // No Retry-After header: the v2 body's retryAfter.
    let in_body = ResponseTemplate::new(429).set_body_string(r#"{"retryAfter":0}"#);
    let server = answering(200, Some((in_body, 1))).await;
    let mut events = Vec::new();
    let mut client = client_for(&server.uri(), ClientPolicy::new("test"));
    client.send(&get(), &mut |e| events.push(e)).await.unwrap();
    assert_eq!(
        events,
        [RequestEvent::RateLimited {
            wait: Duration::ZERO
        }]
    );
}

#[tokio::test]
async fn after_its_429_retries_the_client_gives_up_waiting_out_the_last_one_only_when_told() {
    let limited = ResponseTemplate::new(429).insert_header("retry-after", "0");
    for wait_after_last in [false, true] {
        let server = answering(200, Some((limited.clone(), 100))).await;
        let mut policy = ClientPolicy::new("test");
        policy.on_429 = On429 {
            retries: 2,
            wait_after_last,
        };
        let mut client = client_for(&server.uri(), policy);
        let mut events = Vec::new();
        assert_eq!(
            client
                .send(&get(), &mut |e| events.push(e))
                .await
                .unwrap_err(),
            RequestError::RateLimited { retries: 2 }
        );
        assert_eq!(received(&server).await, 3);
        assert_eq!(events.len(), if wait_after_last { 3 } else { 2 });
    }

    // Each attempt is within the budget: the budget can end the waits first.
    let server = answering(200, Some((limited, 100))).await;
    let mut policy = ClientPolicy::new("test");
    policy.max_requests = 2;
    let mut client = client_for(&server.uri(), policy);
    assert_eq!(
        client.send(&get(), &mut |_| {}).await.unwrap_err(),
        RequestError::BudgetSpent { max: 2 }
    );
}

#[tokio::test]
async fn without_retries_a_5xx_is_an_answer_and_a_dropped_connection_an_error_at_once() {
    let server = answering(502, None).await;
    let mut client = client_for(&server.uri(), ClientPolicy::new("test"));
    assert_eq!(client.send(&get(), &mut |_| {}).await.unwrap().status, 502);
    assert_eq!(received(&server).await, 1);

    let mut client = client_for(&nothing_listens().await, ClientPolicy::new("test"));
    let err = client.send(&get(), &mut |_| {}).await.unwrap_err();
    let RequestError::Transport { summary, cause } = &err else {
        panic!("{err:?}");
    };
    assert!(summary.contains("/v1/calls"), "{summary}");
    assert!(cause.starts_with("the connection failed: "), "{cause}");
    assert_eq!(client.used(), 1);
}

#[tokio::test]
async fn with_retries_a_5xx_and_a_dropped_connection_are_retried_with_backoff_then_give_up() {
    // A 503 that says when to come back, then a 500 that does not, then the answer.
    let told = ResponseTemplate::new(503).insert_header("retry-after", "0");
    let server = answering(200, Some((told, 1))).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let mut client = client_for(&server.uri(), retrying(2));
    let mut events = Vec::new();
    let response = client.send(&get(), &mut |e| events.push(e)).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        events,
        [
            RequestEvent::Retrying {
                cause: "the server answered 503".into(),
                retry: 1,
                of: 2,
                wait: Duration::ZERO
            },
            RequestEvent::Retrying {
                cause: "the server answered 500".into(),
                retry: 2,
                of: 2,
                wait: Duration::from_millis(2)
            },
        ]
    );

    let mut client = client_for(&nothing_listens().await, retrying(1));
    let err = client.send(&get(), &mut |_| {}).await.unwrap_err();
    let RequestError::Failing { cause, attempts } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(attempts, &2);
    assert!(cause.starts_with("the connection failed"), "{cause}");
    assert_eq!(client.used(), 2);
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_a_transport_failure_that_names_the_timeout() {
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    let server = answering(200, Some((slow, 1))).await;
    let mut policy = retrying(1);
    policy.timeout = Duration::from_millis(300);
    let mut client = client_for(&server.uri(), policy);
    let mut events = Vec::new();
    assert!(client.send(&get(), &mut |e| events.push(e)).await.is_ok());
    let [RequestEvent::Retrying { cause, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert!(cause.starts_with("no answer within 300ms"), "{cause}");
}

#[tokio::test]
async fn fetch_retries_a_body_it_refuses_and_stops_at_a_refusal_with_its_message() {
    let garbled = ResponseTemplate::new(200).set_body_string("not json");
    let server = answering(200, Some((garbled, 1))).await;
    let mut client = client_for(&server.uri(), retrying(1));
    let mut events = Vec::new();
    let parse = |body: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(body).map_err(|e| format!("bad page ({e})"))
    };
    let page = client
        .fetch(&get(), parse, &mut |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(page["calls"], serde_json::json!([]));
    assert!(
        matches!(&events[..], [RequestEvent::Retrying { cause, retry: 1, .. }] if cause.starts_with("bad page (")),
        "{events:?}"
    );

    let refused = ResponseTemplate::new(401)
        .set_body_string(r#"{"error":"Unauthorized","message":"Invalid or expired API key"}"#);
    let server = answering(200, Some((refused, 1))).await;
    let mut client = client_for(&server.uri(), retrying(3));
    assert_eq!(
        client.fetch(&get(), parse, &mut |_| {}).await.unwrap_err(),
        RequestError::Refused {
            status: 401,
            message: "Invalid or expired API key".into()
        }
    );
    assert_eq!(client.used(), 1);
}

#[tokio::test]
async fn the_request_goes_out_as_built_with_the_key_and_the_user_agent() {
    let server = answering(200, None).await;
    let mut client = Client::new(
        Target::new(server.uri(), "secret"),
        ClientPolicy::new("agent/1"),
    )
    .unwrap();
    let request = Request::get(
        "/v1/calls",
        vec![("to_date".into(), "2025-11-24T10:00:00+01:00".into())],
    );
    client.send(&request, &mut |_| {}).await.unwrap();
    client.send(&post(), &mut |_| {}).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let header = |i: usize, name: &str| {
        received[i]
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        received[0].url.query(),
        Some("to_date=2025-11-24T10%3A00%3A00%2B01%3A00")
    );
    assert_eq!(header(0, "authorization").as_deref(), Some("Bearer secret"));
    assert_eq!(header(0, "user-agent").as_deref(), Some("agent/1"));
    assert_eq!(received[1].method.as_str(), "POST");
    assert_eq!(
        header(1, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(received[1].body, b"{}");
}

#[cfg(not(feature = "tls"))]
#[test]
fn an_https_target_needs_the_tls_feature() {
    let err = Client::new(
        Target::new("https://api.openmic.ai", "k"),
        ClientPolicy::new("t"),
    )
    .unwrap_err();
    assert_eq!(err, RequestError::NeedsTls);
}

#[test]
fn a_target_is_checked_for_its_scheme_and_https_needs_the_tls_feature() {
    assert_eq!(Target::new("http://127.0.0.1:9", "k").check(), Ok(()));
    let https = Target::new("https://api.openmic.ai", "k").check();
    if cfg!(feature = "tls") {
        assert_eq!(https, Ok(()));
    } else {
        assert_eq!(https, Err(RequestError::NeedsTls));
    }
    assert!(matches!(
        Target::new("ftp://host", "k").check(),
        Err(RequestError::BadBaseUrl(why)) if why.contains("not ftp")
    ));
}
