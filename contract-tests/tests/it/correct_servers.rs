//! Correct servers pass every property (the create-phone-call ones and, with `allow_writes`, the account's
//! writes included), and the drift report says PASS for every assumed rule.

use openmic_contract::server::Verdict;

use crate::helpers::{SECRET_KEY, responder_server, run_suite, runtime};

#[test]
fn the_suite_passes_against_the_in_process_mock() {
    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    let (report, text) = run_suite(&mock.uri(), mock.api_key(), |c| c.allow_writes = true);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 41, "{text}");
    assert!(
        !text.contains("replay lines"),
        "no failure, no replay hint:\n{text}"
    );
    assert_eq!(report.data.calls.len(), 300);
    // `shape` checks each listed call, then one page: 301 cases.
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS shape ") && l.contains(" 301 cases")),
        "{text}"
    );
    assert!(
        report.drift.iter().all(|(_, _, v)| *v == Verdict::Pass),
        "{text}"
    );
    for create in ["create_validation", "create_shape", "create_then_found"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("PASS {create} ")) && l.contains(" 32 cases")),
            "{create}:\n{text}"
        );
    }
    assert_eq!(text.lines().last().unwrap(), "41 passed, 0 failed");
}

#[test]
fn the_suite_passes_against_a_mock_serving_generated_calls_with_ties_and_unstarted_calls() {
    let rt = runtime();
    let mock = rt
        .block_on(
            openmic_mock::MockServer::builder()
                .generated(99, 450)
                .api_key("omic_other")
                .start(),
        )
        .unwrap();
    let (report, text) = run_suite(&mock.uri(), "omic_other", |c| c.seed = 7);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.data.calls.len(), 450);
}

#[test]
fn the_wiremock_responder_passes_the_whole_suite() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| c.allow_writes = true);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 41, "{text}");
    assert!(
        !text.contains("replay lines"),
        "no failure, no replay hint:\n{text}"
    );
    assert!(
        report.drift.iter().all(|(_, _, v)| *v == Verdict::Pass),
        "{text}"
    );
}

#[test]
fn mount_serves_list_calls_and_get_call_with_the_default_key() {
    let rt = runtime();
    let (list, one, unauthorized) = rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        let calls = openmic_fixtures::generate(3, 12);
        openmic_contract::server::mount(&server, calls).await;
        openmic_contract::install_crypto_provider();
        let client = reqwest::Client::new();
        let list: serde_json::Value = client
            .get(format!(
                "{}/v1/calls?limit=2&call_status=ended",
                server.uri()
            ))
            .bearer_auth("test-key")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = list["calls"][0]["call_id"].as_str().unwrap().to_string();
        let one: serde_json::Value = client
            .get(format!("{}/v1/call/{id}", server.uri()))
            .bearer_auth("test-key")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let unauthorized = client
            .get(format!("{}/v1/calls", server.uri()))
            .send()
            .await
            .unwrap()
            .status();
        (list, one, unauthorized)
    });
    assert_eq!(list["pagination"]["limit"], 2);
    assert!(
        list["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["call_status"] == "ended")
    );
    assert_eq!(one, list["calls"][0]);
    assert_eq!(unauthorized, 401);
}
