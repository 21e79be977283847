//! Contract rules 4, 5, 6, 8 and 9: parameter validation, repeats, unknown parameters, and the 400 body.

use crate::helpers::{TestApp, depths};

fn builder() -> openmic_mock::MockServerBuilder {
    openmic_mock::MockServer::builder()
}

/// Asserts a 400 whose message names `param`; returns the message.
async fn assert_rejected(app: &TestApp, query: &str, param: &str) -> String {
    let response = app.get(&format!("/v1/calls?{query}")).await;
    let message = response.assert_invalid_query();
    assert!(
        message.starts_with(&format!("{param} ")),
        "{query}: {message}"
    );
    message
}

async fn rejects_every_limit_outside_1_to_100(app: TestApp) {
    // As sent on the wire: %2B is '+', a raw '+' is a space, %20 a space.
    for raw in [
        "0",
        "101",
        "-1",
        "1.5",
        "%2B5",
        "+5",
        "1e2",
        "%205",
        "5%20",
        "",
        "99999999999999999999",
        "4294967297",
        "ten",
        "0x10",
        "1,2",
        "%EF%BC%95",
    ] {
        let message = assert_rejected(&app, &format!("limit={raw}"), "limit").await;
        assert!(
            message.contains("must be an integer from 1 to 100"),
            "{raw}: {message}"
        );
    }
    assert_rejected(&app, "limit", "limit").await; // a bare name is an empty value
}

async fn accepts_limits_at_both_ends(app: TestApp) {
    for (limit, expected) in [("1", 1), ("100", 100), ("50", 50), ("0100", 100)] {
        let response = app.get(&format!("/v1/calls?limit={limit}")).await;
        assert_eq!(response.status, 200, "{limit}");
        assert_eq!(response.pagination()["limit"], expected);
        assert_eq!(response.ids().len(), expected);
    }
}

async fn rejects_every_offset_that_is_not_a_non_negative_integer(app: TestApp) {
    for raw in ["-1", "1.0", "%2B1", "+1", "1e1", "", "%201", "abc"] {
        let message = assert_rejected(&app, &format!("offset={raw}"), "offset").await;
        assert!(message.contains("integer"), "{raw}: {message}");
    }
}

async fn rejects_call_status_and_call_type_other_than_exact_lowercase(app: TestApp) {
    for raw in [
        "",
        "Ended",
        "ENDED",
        "ended%20",
        "%20ended",
        "done",
        "end",
        "ended,ongoing",
    ] {
        let message = assert_rejected(&app, &format!("call_status={raw}"), "call_status").await;
        assert!(
            message.contains("registered|ongoing|ended|error"),
            "{message}"
        );
    }
    for raw in [
        "",
        "PhoneCall",
        "phone_call",
        "web",
        "WEBCALL",
        "webcall%0A",
    ] {
        let message = assert_rejected(&app, &format!("call_type={raw}"), "call_type").await;
        assert!(message.contains("phonecall|webcall"), "{message}");
    }
    for ok in [
        "call_status=registered",
        "call_status=ongoing",
        "call_status=ended",
        "call_status=error",
        "call_type=phonecall",
        "call_type=webcall",
    ] {
        assert_eq!(
            app.get(&format!("/v1/calls?{ok}")).await.status,
            200,
            "{ok}"
        );
    }
}

async fn rejects_malformed_and_out_of_range_dates(app: TestApp) {
    for param in ["from_date", "to_date"] {
        for raw in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00",
            "1767225600000",
            "2026-01-01%2000:00:00Z",
            "01/02/2026",
            "2026-01-01T00:00:00%2B0100",
            "2026-01-01T00:00:00+01:00", // the '+' was not encoded, so the server sees a space
        ] {
            let message = assert_rejected(&app, &format!("{param}={raw}"), param).await;
            assert!(message.contains("RFC 3339"), "{raw}: {message}");
        }
    }
}

async fn accepts_every_documented_date_form(app: TestApp) {
    for raw in [
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.123Z",
        "2026-01-01T00:00:00.123456Z",
        "2026-01-01T01:00:00%2B01:00",
        "2025-12-31T19:00:00-05:00",
        "2026-01-01t00:00:00z",
    ] {
        for param in ["from_date", "to_date"] {
            let response = app.get(&format!("/v1/calls?{param}={raw}")).await;
            assert_eq!(response.status, 200, "{param}={raw}");
        }
    }
}

async fn rejects_a_parameter_given_twice(app: TestApp) {
    for query in [
        "limit=5&limit=5",
        "offset=0&offset=1",
        "call_status=ended&call_status=error",
        "customer_id=a&customer_id=a",
        "bot_id=&bot_id=",
        "from_date=2026-01-01&from_date=2026-01-02",
    ] {
        let param = query.split('=').next().unwrap();
        let message = assert_rejected(&app, query, param).await;
        assert!(message.contains("more than once"), "{message}");
    }
}

async fn reports_every_broken_rule_in_one_message(app: TestApp) {
    let response = app
        .get("/v1/calls?limit=0&offset=x&call_type=y&to_date=z")
        .await;
    let message = response.assert_invalid_query();
    let parts: Vec<&str> = message.split("; ").collect();
    assert_eq!(parts.len(), 4, "{message}");
    for (part, param) in parts
        .iter()
        .zip(["limit", "offset", "call_type", "to_date"])
    {
        assert!(part.starts_with(param), "{message}");
    }
}

async fn ignores_unknown_parameters_but_names_them_in_a_header(app: TestApp) {
    let plain = app.get("/v1/calls?limit=7").await;
    let with_unknown = app
        .get("/v1/calls?limit=7&page=2&agent_id=x&page=3&sort=asc")
        .await;
    assert_eq!(with_unknown.status, 200);
    assert_eq!(plain.body, with_unknown.body);
    assert_eq!(plain.header("x-mock-warning"), None);
    assert_eq!(
        with_unknown.header("x-mock-warning"),
        Some("ignored unknown query parameters: page, agent_id, sort")
    );
}

async fn treats_empty_string_filters_as_not_given(app: TestApp) {
    let plain = app.get("/v1/calls").await;
    let empty = app
        .get("/v1/calls?customer_id=&from_number=&to_number=&bot_id=")
        .await;
    assert_eq!(empty.status, 200);
    assert_eq!(plain.body, empty.body);
}

depths!(
    rejects_every_limit_outside_1_to_100,
    accepts_limits_at_both_ends,
    rejects_every_offset_that_is_not_a_non_negative_integer,
    rejects_call_status_and_call_type_other_than_exact_lowercase,
    rejects_malformed_and_out_of_range_dates,
    accepts_every_documented_date_form,
    rejects_a_parameter_given_twice,
    reports_every_broken_rule_in_one_message,
    ignores_unknown_parameters_but_names_them_in_a_header,
    treats_empty_string_filters_as_not_given,
);

mod strict {
    use crate::helpers::TestApp;

    fn builder() -> openmic_mock::MockServerBuilder {
        openmic_mock::MockServer::builder().strict(true)
    }

    async fn rejects_unknown_parameters_in_strict_mode(app: TestApp) {
        let message = app
            .get("/v1/calls?limit=5&page=2")
            .await
            .assert_invalid_query();
        assert_eq!(
            message,
            "page is not a parameter of GET /v1/calls (strict mode)"
        );
        assert_eq!(app.get("/v1/calls?limit=5").await.status, 200);
    }

    crate::helpers::depths!(rejects_unknown_parameters_in_strict_mode);
}

#[tokio::test]
async fn the_400_body_is_exactly_the_vendor_shape() {
    let app = TestApp::in_process(builder()).await;
    let response = app.get("/v1/calls?limit=0").await;
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"error":"Invalid query parameters provided.","message":"limit must be an integer from 1 to 100, got \"0\""}"#
    );
}
