//! The admin API's per-call routes: the data in force read a page at a time (`GET /__admin/calls`) and one call
//! inserted or replaced (`PUT /__admin/calls/{id}`), for the default data set and for a tenant's.

use axum::http::Method;
use openmic_fixtures::CallStatus;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, call, calls_json, prefixed_calls};

#[tokio::test]
async fn the_data_in_force_reads_in_pages_in_the_api_order() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let page = http
        .admin(Method::GET, "/__admin/calls?limit=120&offset=100", None)
        .await;
    assert_eq!(page.status, 200);
    let body = page.json();
    assert_eq!(
        body["pagination"],
        json!({"limit": 120, "offset": 100, "total": 300, "has_more": true})
    );
    let api = http.get("/v1/calls?limit=100&offset=100").await.json();
    assert_eq!(
        body["calls"].as_array().unwrap()[..100],
        api["calls"].as_array().unwrap()[..]
    );
    let default = http.admin(Method::GET, "/__admin/calls", None).await.json();
    assert_eq!(default["pagination"]["limit"], 100);
    for bad in [
        "?limit=0",
        "?limit=1001",
        "?offset=-1",
        "?page=2",
        "?limit=1&limit=2",
    ] {
        let response = http
            .admin(Method::GET, &format!("/__admin/calls{bad}"), None)
            .await;
        assert_admin_error(&response, 400);
    }
}

#[tokio::test]
async fn put_of_one_call_inserts_or_replaces_it_atomically_and_checks_it() {
    let server = MockServer::builder()
        .calls(prefixed_calls("p", 3))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let fresh = call("new-call", CallStatus::Ongoing, Some(1_800_000_000_000));
    let body = serde_json::to_string(&fresh).unwrap();
    let inserted = http
        .admin(Method::PUT, "/__admin/calls/new-call", Some(&body))
        .await;
    assert_eq!(inserted.status, 200);
    assert_eq!(
        inserted.json(),
        json!({"call_id": "new-call", "replaced": false, "calls": 4})
    );
    let mut changed = fresh.clone();
    changed.call_status = CallStatus::Ended;
    changed.end_timestamp = Some(openmic_fixtures::TimestampMs(1_800_000_060_000));
    let replaced = http
        .admin(
            Method::PUT,
            "/__admin/calls/new-call",
            Some(&serde_json::to_string(&changed).unwrap()),
        )
        .await;
    assert_eq!(
        replaced.json(),
        json!({"call_id": "new-call", "replaced": true, "calls": 4})
    );
    let got = http.get("/v1/call/new-call").await.json();
    assert_eq!(got["call_status"], "ended");
    assert_eq!(got, serde_json::to_value(&changed).unwrap());
    // Newest first: the upserted call leads the list.
    assert_eq!(http.get("/v1/calls?limit=1").await.ids(), ["new-call"]);

    // The body's id must be the path's, there must be one call, and it is validated as on load.
    let other = http
        .admin(Method::PUT, "/__admin/calls/someone-else", Some(&body))
        .await;
    let message = assert_admin_error(&other, 400);
    assert!(message.contains("\"someone-else\""), "{message}");
    let two = http
        .admin(
            Method::PUT,
            "/__admin/calls/p-0000",
            Some(&calls_json(&prefixed_calls("p", 2))),
        )
        .await;
    assert!(assert_admin_error(&two, 400).contains("one call"));
    let invalid = http
        .admin(
            Method::PUT,
            "/__admin/calls/bad",
            Some(r#"{"call_id": "bad", "call_status": "finished"}"#),
        )
        .await;
    assert!(assert_admin_error(&invalid, 400).contains("call_status"));
    assert_eq!(server.calls().len(), 4, "nothing changed by the refusals");

    // In Rust, the same.
    let mut again = changed.clone();
    again.customer_id = Some("cust-9".into());
    assert!(server.upsert_call(again).unwrap());
    assert!(
        !server
            .upsert_call(call("rust-call", CallStatus::Registered, None))
            .unwrap()
    );
    assert_eq!(server.calls().len(), 5);
}

#[tokio::test]
async fn a_tenant_reads_and_upserts_its_own_calls() {
    let server = MockServer::builder().start().await.unwrap();
    server.tenant("tenant-a", prefixed_calls("a", 2)).unwrap();
    let http = Http::new(&server);
    let page = http
        .admin(Method::GET, "/__admin/tenants/tenant-a/calls?limit=1", None)
        .await
        .json();
    assert_eq!(page["pagination"]["total"], 2);
    assert_eq!(page["calls"][0]["call_id"], "a-0001");
    let body = serde_json::to_string(&call("a-new", CallStatus::Registered, None)).unwrap();
    let upserted = http
        .admin(
            Method::PUT,
            "/__admin/tenants/tenant-a/calls/a-new",
            Some(&body),
        )
        .await;
    assert_eq!(
        upserted.json(),
        json!({"call_id": "a-new", "replaced": false, "calls": 3})
    );
    assert_eq!(http.get_as("/v1/call/a-new", "tenant-a").await.status, 200);
    assert_eq!(
        http.get("/v1/call/a-new").await.status,
        404,
        "not in the default set"
    );
    let missing = http
        .admin(
            Method::PUT,
            "/__admin/tenants/nobody/calls/a-new",
            Some(&body),
        )
        .await;
    assert_admin_error(&missing, 404);
    let missing = http
        .admin(Method::GET, "/__admin/tenants/nobody/calls", None)
        .await;
    assert_admin_error(&missing, 404);
}
