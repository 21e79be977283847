//! List Calls pages answered again from the page cache: the same bytes as a page built anew, and never a page of
//! data that has changed since, whatever changed it (the admin API, the in-process API, a tenant, a created
//! call moving on).

use axum::http::Method;
use openmic_fixtures::CallStatus;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::{
    Http, KEY, TestResponse, account_number, advance, call, calls_json, created_as, prefixed_calls,
    queue, virtual_server_with,
};

const PAGE: &str = "/v1/calls?limit=100&call_status=ended";

/// `query` asked twice: the answers must be the same bytes; returns the second.
async fn asked_twice(http: &Http, key: &str, query: &str) -> TestResponse {
    let first = http.get_as(query, key).await;
    let again = http.get_as(query, key).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(again.status, 200);
    assert!(
        first.body == again.body,
        "{query}: a page asked again changed"
    );
    again
}

#[tokio::test]
async fn a_page_asked_again_is_the_page_built_anew_byte_for_byte() {
    let cached = MockServer::builder()
        .generated(5, 600)
        .start()
        .await
        .unwrap();
    let uncached = MockServer::builder()
        .generated(5, 600)
        .page_cache_bytes(0)
        .start()
        .await
        .unwrap();
    let (cached, uncached) = (Http::new(&cached), Http::new(&uncached));
    for query in [
        PAGE,
        "/v1/calls",
        "/v1/calls?limit=7&offset=3",
        "/v1/calls?call_type=phonecall&limit=100&offset=40",
        "/v1/calls?limit=100&offset=18446744073709551616",
        "/v1/calls?limit=100&offset=100000",
    ] {
        let kept = asked_twice(&cached, KEY, query).await;
        for _ in 0..2 {
            let built = uncached.get(query).await;
            assert!(kept.body == built.body, "{query}: the kept page differs");
            assert_eq!(kept.header("warning"), built.header("warning"), "{query}");
        }
    }
    // Two spellings of one query are two keys, each with the page its parameters ask for.
    let reordered = asked_twice(&cached, KEY, "/v1/calls?call_status=ended&limit=100").await;
    assert!(reordered.body == cached.get(PAGE).await.body);
    // An error is never kept: the bad query still answers its 400, every time.
    for _ in 0..2 {
        cached.get("/v1/calls?limit=0").await.assert_invalid_query();
    }
}

#[tokio::test]
async fn a_change_to_the_calls_is_seen_by_the_very_next_page() {
    let server = MockServer::builder()
        .calls(prefixed_calls("old", 150))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let first_id = |page: &TestResponse| page.ids()[0].clone();
    assert_eq!(first_id(&asked_twice(&http, KEY, PAGE).await), "old-0149");

    // In process.
    server
        .add_calls(vec![call(
            "added-in-process",
            CallStatus::Ended,
            Some(1_800_000_000_000),
        )])
        .unwrap();
    let page = asked_twice(&http, KEY, PAGE).await;
    assert_eq!(first_id(&page), "added-in-process");
    assert_eq!(page.pagination()["total"], 151);
    server.remove_call("added-in-process").unwrap();
    assert_eq!(first_id(&asked_twice(&http, KEY, PAGE).await), "old-0149");

    // Through the admin API: a replace, an upsert of one call, a delete, a reset.
    let replaced = http
        .admin(
            Method::PUT,
            "/__admin/calls",
            Some(&calls_json(&prefixed_calls("new", 120))),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let page = asked_twice(&http, KEY, PAGE).await;
    assert_eq!(first_id(&page), "new-0119");
    assert_eq!(page.pagination()["total"], 120);

    let mut newest = call("new-0119", CallStatus::Ended, Some(1_700_000_119_000));
    newest.call_status = CallStatus::Ongoing;
    let upserted = http
        .admin(
            Method::PUT,
            "/__admin/calls/new-0119",
            Some(&serde_json::to_string(&newest).unwrap()),
        )
        .await;
    assert!(upserted.status < 300, "{}", upserted.text());
    let page = asked_twice(&http, KEY, PAGE).await;
    assert_eq!(first_id(&page), "new-0118");
    assert_eq!(page.pagination()["total"], 119);

    let deleted = http
        .admin(Method::DELETE, "/__admin/calls/new-0118", None)
        .await;
    assert!(deleted.status < 300, "{}", deleted.text());
    assert_eq!(first_id(&asked_twice(&http, KEY, PAGE).await), "new-0117");

    let reset = http.admin(Method::POST, "/__admin/reset", None).await;
    assert!(reset.status < 300, "{}", reset.text());
    assert_eq!(first_id(&asked_twice(&http, KEY, PAGE).await), "old-0149");
}

#[tokio::test]
async fn each_tenant_gets_its_own_page_of_the_same_query() {
    let server = MockServer::builder()
        .calls(prefixed_calls("default", 10))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    asked_twice(&http, KEY, PAGE).await;
    for (key, prefix) in [("tenant-a", "a"), ("tenant-b", "b")] {
        server.tenant(key, prefixed_calls(prefix, 5)).unwrap();
        let page = asked_twice(&http, key, PAGE).await;
        assert_eq!(page.ids()[0], format!("{prefix}-0004"));
    }
    assert_eq!(asked_twice(&http, KEY, PAGE).await.ids()[0], "default-0009");
    // A tenant removed and made again is a new data set, never the old one's page.
    assert!(server.remove_tenant("tenant-a"));
    server
        .tenant("tenant-a", prefixed_calls("again", 3))
        .unwrap();
    assert_eq!(
        asked_twice(&http, "tenant-a", PAGE).await.ids()[0],
        "again-0002"
    );
}

#[tokio::test]
async fn a_created_call_moving_on_shows_on_the_same_page_asked_again() {
    let (server, http) = virtual_server_with(MockServer::builder()).await;
    queue(
        &http,
        json!({"status": "ended", "ring_ms": 2_000, "talk_ms": 30_000, "is_successful": true}),
    )
    .await;
    let created = created_as(
        &http,
        KEY,
        &json!({"from_number": account_number(&server), "to_number": "+15557654321"}),
    )
    .await;
    let id = created["call_id"].as_str().unwrap().to_string();
    let status_on_page = |page: &TestResponse| {
        page.json()["calls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["call_id"] == id.as_str())
            .map(|c| c["call_status"].clone())
    };
    let query = "/v1/calls?to_number=%2B15557654321&limit=5";
    let before = status_on_page(&asked_twice(&http, KEY, query).await);
    advance(&http, 2_500).await;
    let talking = status_on_page(&asked_twice(&http, KEY, query).await);
    advance(&http, 60_000).await;
    let ended = status_on_page(&asked_twice(&http, KEY, query).await);
    assert_eq!(
        [before, talking, ended],
        [
            Some(json!("registered")),
            Some(json!("ongoing")),
            Some(json!("ended"))
        ]
    );
}

#[tokio::test]
async fn the_journal_keeps_the_start_of_a_kept_page_like_any_other() {
    let server = MockServer::builder()
        .generated(7, 400)
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let query = "/v1/calls?limit=100";
    let page = asked_twice(&http, KEY, query).await;
    let limit = openmic_mock::MAX_ANSWER_BODY_BYTES;
    assert!(
        page.body.len() > limit,
        "the page must be longer than the journal keeps"
    );
    let requests = server.received_requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.answer_bytes, page.body.len() as u64);
        assert!(request.answer_body[..] == page.body[..limit]);
    }
}
