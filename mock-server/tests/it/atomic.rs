//! Data replaced while clients read: every page comes whole from one data set, never a mixture.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::Method;
use openmic_mock::MockServer;

use crate::helpers::{Http, calls_json, prefixed_calls};

/// Generation `g` has `150 + 10 * g` calls, ids prefixed `g{g}`, so a page's ids and its total each say which
/// data set answered.
fn generation_size(generation: usize) -> usize {
    150 + 10 * generation
}

#[tokio::test]
async fn concurrent_reads_during_replaces_never_return_a_mixed_or_torn_page() {
    let server = MockServer::builder()
        .calls(prefixed_calls("g0", generation_size(0)))
        .start()
        .await
        .unwrap();
    let http = Arc::new(Http::new(&server));
    let bodies: Vec<String> = (1..=6)
        .map(|g| calls_json(&prefixed_calls(&format!("g{g}"), generation_size(g))))
        .collect();
    let done = Arc::new(AtomicBool::new(false));

    let mut readers = tokio::task::JoinSet::new();
    for reader in 0..8usize {
        let (http, done) = (http.clone(), done.clone());
        readers.spawn(async move {
            let mut seen = BTreeSet::new();
            let mut pages = 0;
            let mut round = reader;
            while !done.load(Ordering::Relaxed) || pages < 20 {
                round += 1;
                let offset = (round * 37) % 150;
                let page = http
                    .get(&format!("/v1/calls?limit=100&offset={offset}"))
                    .await;
                assert_eq!(page.status, 200);
                let ids = page.ids();
                let prefix = ids[0].split('-').next().unwrap().to_string();
                let generation: usize = prefix[1..].parse().unwrap();
                assert!(
                    ids.iter().all(|id| id.starts_with(&format!("{prefix}-"))),
                    "mixed page: {ids:?}"
                );
                let total = generation_size(generation);
                assert_eq!(
                    page.pagination()["total"],
                    total,
                    "total of another generation"
                );
                assert_eq!(ids.len(), (total - offset).min(100), "torn page");
                seen.insert(generation);
                pages += 1;
            }
            seen
        });
    }

    for body in &bodies {
        for _ in 0..3 {
            let response = http.admin(Method::PUT, "/__admin/calls", Some(body)).await;
            assert_eq!(response.status, 200);
        }
    }
    done.store(true, Ordering::Relaxed);
    let mut seen = BTreeSet::new();
    while let Some(result) = readers.join_next().await {
        seen.extend(result.unwrap());
    }
    assert!(
        seen.len() >= 2,
        "readers saw only generations {seen:?}: the test did not overlap reads with replaces"
    );
}
