//! Tenants over a socket: isolated data sets per API key, created, reset and removed at runtime, with faults of
//! their own.

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

async fn reset_tenant(http: &Http, key: &str) -> serde_json::Value {
    let response = http
        .admin(Method::POST, &format!("/__admin/tenants/{key}/reset"), None)
        .await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

#[tokio::test]
async fn a_tenant_reset_serves_a_copy_of_the_startup_data_set_whatever_changed_since() {
    let (_server, http) = start().await;
    assert_eq!(http.get_as("/v1/calls", "per-test").await.status, 401);
    assert_eq!(
        reset_tenant(&http, "per-test").await,
        json!({"status": "reset", "api_key": "per-test", "calls": 12})
    );
    assert_eq!(
        http.get_as("/v1/calls?limit=100", "per-test").await.ids(),
        http.get("/v1/calls?limit=100").await.ids()
    );

    // Changes to the tenant stay with it; changes to the default data set do not reach it.
    let added = http
        .admin(
            Method::POST,
            "/__admin/tenants/per-test/calls",
            Some(&calls_json(&prefixed_calls("mine", 2))),
        )
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.json(), json!({"added": 2, "calls": 14}));
    let removed = http
        .admin(
            Method::DELETE,
            "/__admin/tenants/per-test/calls/shared-0000",
            None,
        )
        .await;
    assert_eq!(
        removed.json(),
        json!({"deleted": "shared-0000", "calls": 13})
    );
    let replaced = http
        .admin(
            Method::PUT,
            "/__admin/calls",
            Some(&calls_json(&prefixed_calls("other", 3))),
        )
        .await;
    assert_eq!(replaced.json(), json!({"calls": 3}));
    let ids = http.get_as("/v1/calls?limit=100", "per-test").await.ids();
    assert_eq!(ids.len(), 13);
    assert!(ids.contains(&"mine-0001".to_string()), "{ids:?}");
    assert!(!ids.contains(&"shared-0000".to_string()), "{ids:?}");
    assert_eq!(
        http.get("/v1/calls?limit=100").await.pagination()["total"],
        3
    );

    let queue_one = || {
        http.admin(
            Method::POST,
            "/__admin/tenants/per-test/outcomes",
            Some(r#"{"status": "error"}"#),
        )
    };
    assert_eq!(queue_one().await.json()["queued"], 1);
    let cleared = http
        .admin(Method::DELETE, "/__admin/tenants/per-test/outcomes", None)
        .await;
    assert_eq!(cleared.json(), json!({"cleared": 1}));
    assert_eq!(
        queue_one().await.json()["queued"],
        1,
        "the queue was emptied"
    );

    // A second reset brings back the startup data set (not the default data set as it is now), with no
    // outcomes queued.
    assert_eq!(reset_tenant(&http, "per-test").await["calls"], 12);
    assert_eq!(
        http.admin(Method::GET, "/__admin/tenants/per-test/outcomes", None)
            .await
            .json(),
        json!({"outcomes": [], "queued": 0})
    );
    let ids = http.get_as("/v1/calls?limit=100", "per-test").await.ids();
    assert!(ids.contains(&"shared-0000".to_string()), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("mine-")), "{ids:?}");
}

#[tokio::test]
async fn tenant_adds_and_removes_are_refused_like_the_default_data_sets() {
    let (_server, http) = start().await;
    reset_tenant(&http, "per-test").await;
    let duplicate = http
        .admin(
            Method::POST,
            "/__admin/tenants/per-test/calls",
            Some(&calls_json(&prefixed_calls("shared", 1))),
        )
        .await;
    let message = assert_admin_error(&duplicate, 409);
    assert!(message.contains("shared-0000"), "{message}");
    let unknown = http
        .admin(Method::DELETE, "/__admin/tenants/per-test/calls/nope", None)
        .await;
    let message = assert_admin_error(&unknown, 404);
    assert!(message.contains("\"nope\""), "{message}");
    for (method, path, body) in [
        (Method::POST, "/__admin/tenants/absent/calls", Some("[]")),
        (Method::GET, "/__admin/tenants/absent/calls", None),
        (Method::DELETE, "/__admin/tenants/absent", None),
        (
            Method::DELETE,
            "/__admin/tenants/absent/calls/shared-0000",
            None,
        ),
        (Method::GET, "/__admin/tenants/absent/faults", None),
        (
            Method::POST,
            "/__admin/tenants/absent/faults/next",
            Some(r#"{"status": 500}"#),
        ),
    ] {
        let message = assert_admin_error(&http.admin(method.clone(), path, body).await, 404);
        assert!(
            message.contains("no tenant with API key \"absent\""),
            "{method} {path}: {message}"
        );
    }
    let message = assert_admin_error(
        &http
            .admin(Method::POST, "/__admin/tenants/two%20words/reset", None)
            .await,
        400,
    );
    assert!(message.contains("invalid API key"), "{message}");
    assert_eq!(
        http.get("/v1/calls?limit=100").await.pagination()["total"],
        12,
        "the default data set is untouched"
    );
}

#[tokio::test]
async fn a_tenants_own_faults_answer_its_requests_alone_in_place_of_the_server_wide_ones() {
    let (_server, http) = start().await;
    reset_tenant(&http, "t-1").await;
    reset_tenant(&http, "t-2").await;
    let pushed = http
        .admin(
            Method::POST,
            "/__admin/tenants/t-1/faults/next",
            Some(r#"{"status": 429, "retry_after": 3}"#),
        )
        .await;
    assert_eq!(pushed.json()["next"][0]["status"], 429);
    assert_eq!(http.get_as("/v1/calls", "t-2").await.status, 200);
    assert_eq!(http.get("/v1/calls").await.status, 200);
    let faulted = http.get_as("/v1/calls", "t-1").await;
    assert_eq!(faulted.status, 429);
    assert_eq!(faulted.header("retry-after"), Some("3"));
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 200);

    // Server-wide faults reach every key without faults of its own, and not t-1.
    let every = r#"{"next": [{"status": 503, "times": null}]}"#;
    assert_eq!(
        http.admin(Method::PUT, "/__admin/faults", Some(every))
            .await
            .status,
        200
    );
    assert_eq!(http.get_as("/v1/calls", "t-2").await.status, 503);
    assert_eq!(http.get("/v1/calls").await.status, 503);
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 200);
    // Dropping t-1's own faults puts it back under the server-wide ones.
    let cleared = http
        .admin(Method::DELETE, "/__admin/tenants/t-1/faults", None)
        .await;
    assert_eq!(cleared.json()["next"], json!([]));
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 503);
    http.admin(Method::DELETE, "/__admin/faults", None).await;

    // PUT sets the whole configuration; GET shows it; a tenant reset drops it.
    let set = http
        .admin(
            Method::PUT,
            "/__admin/tenants/t-1/faults",
            Some(r#"{"error_rate": 1, "error_status": 502, "seed": 1}"#),
        )
        .await;
    assert_eq!(set.json()["error_status"], 502);
    assert_eq!(
        http.admin(Method::GET, "/__admin/tenants/t-1/faults", None)
            .await
            .json(),
        set.json()
    );
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 502);
    assert_eq!(http.get_as("/v1/calls", "t-2").await.status, 200);
    let message = assert_admin_error(
        &http
            .admin(
                Method::PUT,
                "/__admin/tenants/t-1/faults",
                Some(r#"{"next": [{"kind": "explode"}]}"#),
            )
            .await,
        400,
    );
    assert!(message.contains("`next[0].kind`"), "{message}");
    reset_tenant(&http, "t-1").await;
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 200);

    // Removing the tenant removes its faults: a tenant made again under that key starts without them.
    http.admin(
        Method::POST,
        "/__admin/tenants/t-1/faults/next",
        Some(r#"{"status": 500}"#),
    )
    .await;
    http.admin(Method::DELETE, "/__admin/tenants/t-1", None)
        .await;
    reset_tenant(&http, "t-1").await;
    assert_eq!(
        http.admin(Method::GET, "/__admin/tenants/t-1/faults", None)
            .await
            .json()["next"],
        json!([])
    );
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 200);
}

#[tokio::test]
async fn a_tenant_reset_forgets_its_requests_and_refills_its_bucket_and_no_one_elses() {
    let server = MockServer::builder()
        .calls(prefixed_calls("shared", 5))
        .rate_limit(openmic_mock::RateLimit::per_minute(1).unwrap())
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    reset_tenant(&http, "t-1").await;
    reset_tenant(&http, "t-2").await;
    for key in ["t-1", "t-2"] {
        assert_eq!(http.get_as("/v1/calls", key).await.status, 200);
        assert_eq!(http.get_as("/v1/calls", key).await.status, 429);
    }
    let journal = |key: &'static str| {
        let http = &http;
        async move {
            http.admin(
                Method::GET,
                &format!("/__admin/requests?api_key={key}"),
                None,
            )
            .await
            .json()["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["status"].as_u64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(journal("t-1").await, [200, 429]);
    reset_tenant(&http, "t-1").await;
    assert_eq!(journal("t-1").await, Vec::<u64>::new());
    assert_eq!(journal("t-2").await, [200, 429]);
    assert_eq!(http.get_as("/v1/calls", "t-1").await.status, 200);
    assert_eq!(http.get_as("/v1/calls", "t-2").await.status, 429);
    assert_eq!(journal("t-1").await, [200]);
}

#[tokio::test]
async fn a_tenant_cannot_take_an_api_key_of_the_default_data_set() {
    let server = MockServer::builder()
        .calls(prefixed_calls("shared", 12))
        .api_key("test-key")
        .api_key("second-key")
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    for key in ["test-key", "second-key"] {
        for (method, path, body) in [
            (
                Method::PUT,
                "/calls",
                Some(calls_json(&prefixed_calls("t", 2))),
            ),
            (Method::POST, "/reset", None),
            (Method::GET, "/calls", None),
            (Method::DELETE, "", None),
        ] {
            let response = http
                .admin(
                    method.clone(),
                    &format!("/__admin/tenants/{key}{path}"),
                    body.as_deref(),
                )
                .await;
            let message = assert_admin_error(&response, 409);
            assert!(
                message.starts_with(&format!("\"{key}\" is an API key of the default data set")),
                "{method} {path}: {message}"
            );
        }
        // The key still reads the default data set, untouched.
        let page = http.get_as("/v1/calls?limit=100", key).await.json();
        assert_eq!(page["pagination"]["total"], 12, "{key}");
        assert!(
            server.tenant(key, prefixed_calls("t", 2)).is_err(),
            "MockServer::tenant({key})"
        );
    }
    assert_eq!(
        http.admin(Method::GET, "/__admin/tenants", None)
            .await
            .json()["tenants"],
        json!([])
    );
    // Any other key is a tenant as before.
    let response = http
        .admin(Method::POST, "/__admin/tenants/third-key/reset", None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
}
