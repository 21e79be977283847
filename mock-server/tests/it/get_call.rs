//! Contract rule 13: `GET /v1/call/{id}`.

use crate::helpers::{TestApp, assert_json_content_type, depths};

fn builder() -> openmic_mock::MockServerBuilder {
    let mut calls = crate::helpers::ordering_calls();
    calls.push(crate::helpers::call(
        "c with space/and+plus",
        openmic_fixtures::CallStatus::Ended,
        Some(5),
    ));
    openmic_mock::MockServer::builder().calls(calls)
}

async fn returns_the_same_object_the_list_serves(app: TestApp) {
    let listed = app.list_all("").await;
    assert_eq!(listed.len(), 10);
    for call in listed {
        let id = call["call_id"].as_str().unwrap();
        let encoded: String = form_encode_path(id);
        let response = app.get(&format!("/v1/call/{encoded}")).await;
        assert_eq!(response.status, 200, "{id}");
        assert_json_content_type(&response);
        assert_eq!(response.json(), call);
    }
    // Byte for byte, not only as JSON values: same key order, same number forms.
    let list_body = String::from_utf8(app.get("/v1/calls?limit=100").await.body).unwrap();
    let one_body = String::from_utf8(app.get("/v1/call/c-a").await.body).unwrap();
    assert!(
        list_body.contains(&format!("[{one_body},"))
            || list_body.contains(&format!(",{one_body},"))
            || list_body.contains(&format!(",{one_body}]")),
        "{one_body}"
    );
}

async fn answers_an_unknown_id_with_the_documented_404(app: TestApp) {
    for id in ["nope", "C-A", "c-a%20", "%FF", "c-", "c-a.json"] {
        let response = app.get(&format!("/v1/call/{id}")).await;
        assert_eq!(response.status, 404, "{id}");
        assert_json_content_type(&response);
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            r#"{"error":"Call with the specified ID was not found."}"#
        );
    }
}

async fn ignores_query_parameters(app: TestApp) {
    let response = app.get("/v1/call/c-a?limit=0&junk=1").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["call_id"], "c-a");
}

depths!(
    returns_the_same_object_the_list_serves,
    answers_an_unknown_id_with_the_documented_404,
    ignores_query_parameters,
);

/// Percent-encodes everything but unreserved characters, as a client building a path should.
fn form_encode_path(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
