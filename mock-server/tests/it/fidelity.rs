//! Contract rule 12: calls are served exactly as loaded: same fields, same values, absent stays absent.

use serde_json::{Value, json};

use crate::helpers::{TestApp, depths};

/// Calls that stress fidelity: unknown fields at every level, integer-valued costs, an explicit null
/// `extracted_data`, non-ASCII text, very large integers, and a call with only the required fields.
fn odd_calls() -> Vec<Value> {
    vec![
        json!({
            "call_type": "phonecall", "from_number": "+14155550100", "to_number": "not e.164", "direction": "outbound",
            "call_id": "cmbbvrg8wzi487w02m2bc7dji", "agent_id": "bvrg8wzi487w02m2bc7dh0ev", "call_status": "ended",
            "customer_id": "kundin-ü-🚀", "telephony_identifier": {"provider": "twilio", "nested": {"deep": [1, 2.5, null]}},
            "start_timestamp": 1678886400000u64, "end_timestamp": 1678886700000u64, "duration_ms": 300000,
            "transcript": [["assistant", "Grüß Gott! \"quoted\" \\ backslash"], ["user", ""], ["system", "tool call"]],
            "recording_url": "https://recordings.openmic.ai/call_98765.mp3",
            "latency": {"e2e_min_latency": 0.5, "e2e_median_latency": 1, "e2e_p90_latency": 2.1, "llm_min_latency": 0.3,
                "llm_median_latency": 0.8, "llm_p90_latency": 1.5, "tts_min_latency": 0.2, "tts_median_latency": 0.4,
                "tts_p90_latency": 0.6, "stt_p99_latency": 0.9},
            "call_analysis": {"summary": "ok", "is_successful": true, "success_evaluation": "excellent",
                "extracted_data": null, "sentiment": {"score": -0.25}},
            "call_cost": {"total_cost": 0, "llm_cost": 0, "tts_cost": 0, "stt_cost": 0, "currency": "USD"},
            "dynamic_variables": {"name": "John", "count": 3, "flag": false, "empty": {}},
            "future_field": [null, {"x": 18446744073709551615u64}]
        }),
        json!({
            "call_type": "webcall", "from_number": "", "to_number": "", "direction": "inbound",
            "call_id": "c2", "agent_id": "a", "call_status": "registered"
        }),
        json!({
            "call_type": "phonecall", "from_number": "+1", "to_number": "+2", "direction": "inbound",
            "call_id": "c3", "agent_id": "a", "call_status": "ended", "start_timestamp": 0, "end_timestamp": 0,
            "duration_ms": 0, "transcript": [], "call_analysis": {"extracted_data": {"k": [1e-7, 12345678.125]}},
            "call_cost": {"total_cost": 0.0822, "llm_cost": 0.0052548, "tts_cost": 0.0242269, "stt_cost": 0.0527183}
        }),
    ]
}

fn builder() -> openmic_mock::MockServerBuilder {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.json");
    std::fs::write(&path, serde_json::to_string_pretty(&odd_calls()).unwrap()).unwrap();
    // The builder reads the file when the state is built, so keep the directory alive for the test run.
    std::mem::forget(dir);
    openmic_mock::MockServer::builder().fixture_path(path)
}

async fn serves_every_loaded_field_unchanged(app: TestApp) {
    let served = app.list_all("").await;
    assert_eq!(served.len(), 3);
    for expected in odd_calls() {
        let id = expected["call_id"].as_str().unwrap();
        let listed = served.iter().find(|c| c["call_id"] == id).unwrap();
        assert_eq!(listed, &expected, "listed {id}");
        let one = app.get(&format!("/v1/call/{id}")).await.json();
        assert_eq!(one, expected, "get {id}");
    }
}

async fn keeps_integer_costs_as_integers(app: TestApp) {
    let body = String::from_utf8(app.get("/v1/call/cmbbvrg8wzi487w02m2bc7dji").await.body).unwrap();
    assert!(body.contains(r#""total_cost":0,"#), "{body}");
    assert!(body.contains(r#""extracted_data":null"#), "{body}");
    assert!(body.contains(r#"18446744073709551615"#), "{body}");
}

depths!(
    serves_every_loaded_field_unchanged,
    keeps_integer_costs_as_integers
);

#[tokio::test]
async fn serves_the_embedded_data_set_exactly_as_the_file_holds_it() {
    let app = TestApp::in_process(openmic_mock::MockServer::builder()).await;
    let file: Value = serde_json::from_str(openmic_fixtures::DEFAULT_CALLS_JSON).unwrap();
    let file = file["calls"].as_array().unwrap();
    let served = app.list_all("").await;
    assert_eq!(served.len(), file.len());
    for expected in file {
        let listed = served
            .iter()
            .find(|c| c["call_id"] == expected["call_id"])
            .unwrap();
        assert_eq!(listed, expected);
    }
}

/// A call written the way a hand-edited fixture might be: keys out of schema order, `1.50`, an escape.
const HAND_WRITTEN: &str = r#"{"call_id":"c-hand","call_status":"ended","call_type":"webcall","agent_id":"a","from_number":"+1","to_number":"+2","direction":"inbound","customer_id":"caf\u00e9","call_cost":{"total_cost":1.50,"llm_cost":1.50,"tts_cost":0,"stt_cost":0e0}}"#;

#[tokio::test]
async fn adding_and_removing_calls_keeps_every_other_call_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hand.jsonl");
    std::fs::write(&path, format!("{HAND_WRITTEN}\n")).unwrap();
    let server = openmic_mock::MockServer::builder()
        .fixture_path(&path)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let get = |id: &'static str| {
        let request = client
            .get(format!("{}/v1/call/{id}", server.uri()))
            .bearer_auth("test-key");
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(
        get("c-hand").await,
        HAND_WRITTEN,
        "served as the file wrote it"
    );

    server.add_calls(openmic_fixtures::generate(3, 2)).unwrap();
    assert_eq!(get("c-hand").await, HAND_WRITTEN, "after an add");
    let other = server
        .calls()
        .into_iter()
        .find(|c| c.call_id != "c-hand")
        .unwrap()
        .call_id;
    server.remove_call(&other).unwrap();
    assert_eq!(get("c-hand").await, HAND_WRITTEN, "after a remove");

    // Through the admin API too: a PUT body is served as sent.
    let put = client
        .put(format!("{}/__admin/calls", server.uri()))
        .header("content-type", "application/json")
        .body(format!("[\n  {HAND_WRITTEN}\n]"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(
        get("c-hand").await,
        HAND_WRITTEN,
        "after PUT /__admin/calls"
    );
}
