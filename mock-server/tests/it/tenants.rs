//! Tenants over a socket: isolated data sets per API key, created and removed at runtime.

use axum::http::Method;
use openmic_mock::MockServer;
use serde_json::json;

use crate::helpers::{Http, assert_admin_error, calls_json, prefixed_calls};

async fn start() -> (MockServer, Http) {
    let server = MockServer::builder()
        .calls(prefixed_calls("shared", 12))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    (server, http)
}

async fn put_tenant(http: &Http, key: &str, prefix: &str, count: usize) {
    let response = http
        .admin(
            Method::PUT,
            &format!("/__admin/tenants/{key}/calls"),
            Some(&calls_json(&prefixed_calls(prefix, count))),
        )
        .await;
    assert_eq!(response.json(), json!({"api_key": key, "calls": count}));
}

#[tokio::test]
async fn two_tenants_queried_concurrently_never_see_each_others_calls() {
    let (_server, http) = start().await;
    put_tenant(&http, "tenant-a", "a", 130).await;
    put_tenant(&http, "tenant-b", "b", 70).await;
    let http = std::sync::Arc::new(http);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let http = http.clone();
        tasks.spawn(async move {
            let (key, prefix, total) = if worker % 2 == 0 {
                ("tenant-a", "a-", 130)
            } else {
                ("tenant-b", "b-", 70)
            };
            for round in 0..15 {
                let offset = (round * 17) % total;
                let page = http
                    .get_as(&format!("/v1/calls?limit=100&offset={offset}"), key)
                    .await;
                assert_eq!(page.status, 200);
                assert_eq!(page.pagination()["total"], total);
                let ids = page.ids();
                assert_eq!(ids.len(), (total - offset).min(100));
                assert!(
                    ids.iter().all(|id| id.starts_with(prefix)),
                    "{key}: {ids:?}"
                );
                let other = if prefix == "a-" { "b-0000" } else { "a-0000" };
                assert_eq!(
                    http.get_as(&format!("/v1/call/{other}"), key).await.status,
                    404,
                    "{key} sees {other}"
                );
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    let shared = http.get("/v1/calls?limit=100").await;
    assert_eq!(
        shared.pagination()["total"],
        12,
        "the default key keeps the shared data"
    );
}

#[tokio::test]
async fn a_tenant_key_becomes_valid_and_stops_being_valid_when_deleted() {
    let (_server, http) = start().await;
    assert_eq!(http.get_as("/v1/calls", "fresh-key").await.status, 401);
    put_tenant(&http, "fresh-key", "f", 3).await;
    assert_eq!(http.get_as("/v1/calls", "fresh-key").await.ids().len(), 3);
    put_tenant(&http, "fresh-key", "g", 2).await;
    assert_eq!(
        http.get_as("/v1/calls", "fresh-key").await.ids(),
        ["g-0001", "g-0000"],
        "a second PUT replaces"
    );
    let listed = http
        .admin(Method::GET, "/__admin/tenants", None)
        .await
        .json();
    assert_eq!(
        listed,
        json!({"tenants": [{"api_key": "fresh-key", "calls": 2}]})
    );
    let deleted = http
        .admin(Method::DELETE, "/__admin/tenants/fresh-key", None)
        .await;
    assert_eq!(deleted.json(), json!({"deleted": "fresh-key"}));
    assert_eq!(http.get_as("/v1/calls", "fresh-key").await.status, 401);
    let message = assert_admin_error(
        &http
            .admin(Method::DELETE, "/__admin/tenants/fresh-key", None)
            .await,
        404,
    );
    assert!(message.contains("fresh-key"), "{message}");
}

#[tokio::test]
async fn a_tenant_key_no_bearer_header_can_carry_is_refused() {
    let (_server, http) = start().await;
    for key in ["two%20words", "schl%C3%BCssel"] {
        let message = assert_admin_error(
            &http
                .admin(
                    Method::PUT,
                    &format!("/__admin/tenants/{key}/calls"),
                    Some("[]"),
                )
                .await,
            400,
        );
        assert!(message.contains("invalid API key"), "{key}: {message}");
    }
}

#[tokio::test]
async fn the_rust_api_creates_and_removes_tenants() {
    let (server, http) = start().await;
    server
        .tenant("rust-tenant", prefixed_calls("r", 4))
        .unwrap();
    assert_eq!(http.get_as("/v1/calls", "rust-tenant").await.ids().len(), 4);
    assert!(server.tenant("bad key", vec![]).is_err());
    assert!(server.remove_tenant("rust-tenant"));
    assert!(!server.remove_tenant("rust-tenant"));
    assert_eq!(http.get_as("/v1/calls", "rust-tenant").await.status, 401);
}
