//! The in-process `MockServer`: starting, the request journal, refusing bad data, shutting down.

use openmic_fixtures::CallStatus;
use openmic_mock::{MockServer, StartError};

use crate::helpers::call;

#[tokio::test]
async fn records_each_request_with_decoded_query_headers_and_status() {
    let server = MockServer::builder()
        .journal_capacity(3)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = server.uri();
    client
        .get(format!("{url}/v1/calls?from_number=%2B1555&limit=2&x=a+b"))
        .bearer_auth("test-key")
        .send()
        .await
        .unwrap();
    client
        .get(format!("{url}/v1/call/nope"))
        .send()
        .await
        .unwrap();

    let requests = server.received_requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/v1/calls");
    assert_eq!(
        first.raw_query.as_deref(),
        Some("from_number=%2B1555&limit=2&x=a+b")
    );
    let query: Vec<(&str, &str)> = first
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        query,
        [("from_number", "+1555"), ("limit", "2"), ("x", "a b")]
    );
    assert_eq!(first.header("Authorization"), Some("Bearer test-key"));
    assert_eq!(first.status, 200);
    assert_eq!(requests[1].status, 401);

    for _ in 0..3 {
        client.get(format!("{url}/nope")).send().await.unwrap();
    }
    let requests = server.received_requests();
    assert_eq!(requests.len(), 3, "bounded by the journal capacity");
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/nope" && r.status == 404)
    );
    server.reset_received_requests();
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn refuses_calls_with_duplicate_ids_or_end_before_start() {
    let mut late = call("c-2", CallStatus::Ended, Some(10));
    late.end_timestamp = Some(openmic_fixtures::TimestampMs(9));
    let calls = vec![
        call("c-1", CallStatus::Ended, Some(1)),
        call("c-1", CallStatus::Ended, Some(2)),
        late,
    ];
    let err = MockServer::builder()
        .calls(calls)
        .start()
        .await
        .unwrap_err();
    let StartError::InvalidCalls(problems) = err else {
        panic!("expected InvalidCalls, got {err:?}")
    };
    assert_eq!(problems.total(), 2, "{problems}");
    let text = problems.to_string();
    assert!(
        text.contains("c-1") && text.contains("end_timestamp"),
        "{text}"
    );
}

#[tokio::test]
async fn refuses_an_invalid_fixture_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.jsonl");
    std::fs::write(&path, "{\"call_id\":\"c\"}\n").unwrap();
    let err = MockServer::builder()
        .fixture_path(&path)
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("{}:1:", path.display())),
        "{err}"
    );
}

#[tokio::test]
async fn shuts_down_and_frees_its_port() {
    let server = MockServer::builder().generated(3, 5).start().await.unwrap();
    let addr = server.address();
    server.shutdown().await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn serves_generated_data_in_canonical_order() {
    let server = MockServer::builder()
        .generated(11, 250)
        .start()
        .await
        .unwrap();
    let mut expected = openmic_fixtures::generate(11, 250);
    expected.sort_by(openmic_mock::canonical_order);
    assert_eq!(server.calls(), expected);
}

#[tokio::test]
async fn refuses_api_keys_no_bearer_header_can_carry() {
    for key in ["", "two words", "tab\tkey", "schlüssel"] {
        let err = MockServer::builder()
            .api_key(key)
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(err, StartError::InvalidApiKey(ref k) if k == key),
            "{key:?}: {err}"
        );
    }
}

#[tokio::test]
async fn run_serves_a_state_on_a_listener_until_its_shutdown_completes() {
    let state = MockServer::builder()
        .generated(2, 4)
        .allowed_host("openmic-mock")
        .build_state()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(openmic_mock::run(listener, state, async {
        let _ = stopped.await;
    }));
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/v1/calls"))
        .bearer_auth("test-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["total"], 4);
    // The state's allowed hosts hold under `run` too.
    let status_for = |host: &'static str| async move {
        reqwest::Client::new()
            .get(format!("http://{addr}/v1/calls"))
            .header("host", host)
            .bearer_auth("test-key")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status_for("openmic-mock").await, 200);
    assert_eq!(status_for("elsewhere.example").await, 403);
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), serving)
        .await
        .expect("run returns once shut down")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn generated_calls_anchored_as_made_are_the_calls_anchored_once_stored() {
    use openmic_fixtures::{DAY_MS, WINDOW_END_MS};
    use openmic_mock::Anchor;
    let (seed, count) = (11, 400);
    let end = WINDOW_END_MS;
    // The window's end a whole number of days before the anchor; a millisecond short of that, so that the
    // newest call asks one day more than the window's end does; mid-day; and backwards.
    for anchor in [
        end - 1 + 300 * DAY_MS,
        end - 2 + 300 * DAY_MS,
        end + 300 * DAY_MS + DAY_MS / 2,
        end - 40 * DAY_MS,
    ] {
        let generated = MockServer::builder()
            .generated(seed, count)
            .anchor(Anchor::At(anchor))
            .start()
            .await
            .unwrap();
        let given = MockServer::builder()
            .calls(openmic_fixtures::generate(seed, count))
            .anchor(Anchor::At(anchor))
            .start()
            .await
            .unwrap();
        assert_eq!(generated.calls(), given.calls(), "anchor {anchor}");
        let newest = generated
            .calls()
            .iter()
            .flat_map(|c| [c.start_timestamp, c.end_timestamp])
            .flatten()
            .map(|t| t.millis())
            .max()
            .unwrap();
        assert!(
            newest <= anchor && anchor - newest < DAY_MS,
            "anchor {anchor}, newest {newest}"
        );
        // The account moves with the calls: its dates as if anchored once stored.
        let unanchored = MockServer::builder()
            .generated(seed, count)
            .anchor(Anchor::Off)
            .start()
            .await
            .unwrap();
        let moved = newest as i64
            - unanchored
                .calls()
                .iter()
                .flat_map(|c| [c.start_timestamp, c.end_timestamp])
                .flatten()
                .map(|t| t.millis() as i64)
                .max()
                .unwrap();
        for (a, b) in unanchored.bots().iter().zip(generated.bots().iter()) {
            let created = |bot: &openmic_fixtures::Bot| {
                openmic_fixtures::parse_rfc3339_millis(&bot.created_at).unwrap()
            };
            assert_eq!(
                created(b) - created(a),
                moved,
                "anchor {anchor}, bot {}",
                a.uid
            );
        }
    }
    // Anchored so early that the window would leave Unix time: refused, as calls given are.
    let refused = MockServer::builder()
        .generated(seed, count)
        .anchor(Anchor::At(1_000))
        .start()
        .await;
    assert!(matches!(refused, Err(StartError::Anchor(_))), "{refused:?}");
}
