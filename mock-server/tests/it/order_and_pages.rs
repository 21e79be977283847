//! Contract rules 10 and 11: canonical order (ties included) and pagination.

use crate::helpers::{TestApp, depths, ordering_calls};

fn builder() -> openmic_mock::MockServerBuilder {
    openmic_mock::MockServer::builder().calls(ordering_calls())
}

const CANONICAL: [&str; 9] = [
    "c-r2", "c-r1", "c-y", "c-x", "c-c", "c-b", "c-a", "c-z", "c-0",
];

async fn orders_not_started_first_then_newest_first_with_ties_by_call_id_descending(app: TestApp) {
    assert_eq!(app.get("/v1/calls").await.ids(), CANONICAL);
}

async fn keeps_the_order_across_pages_that_split_a_tie_group(app: TestApp) {
    // Pages of 1 and 2 cut through the three-way tie at 1000 ms: the walk must still see each call once.
    for limit in 1..=4 {
        let mut walked = Vec::new();
        let mut offset = 0;
        for _ in 0..=9 {
            let page = app
                .get(&format!("/v1/calls?limit={limit}&offset={offset}"))
                .await;
            let pagination = page.pagination();
            assert_eq!(pagination["total"], 9);
            assert_eq!(pagination["limit"], limit);
            assert_eq!(pagination["offset"], offset);
            let ids = page.ids();
            offset += ids.len();
            walked.extend(ids);
            assert_eq!(
                pagination["has_more"],
                offset < 9,
                "limit {limit} offset {offset}"
            );
            if !pagination["has_more"].as_bool().unwrap() {
                break;
            }
        }
        assert_eq!(walked, CANONICAL, "limit {limit}");
    }
}

async fn is_stable_across_repeated_requests(app: TestApp) {
    let first = app.get("/v1/calls?limit=100").await.body;
    for _ in 0..5 {
        assert_eq!(app.get("/v1/calls?limit=100").await.body, first);
    }
}

async fn an_offset_past_the_end_is_an_empty_page_with_the_true_total(app: TestApp) {
    for offset in ["9", "10", "1000", "18446744073709551615"] {
        let response = app.get(&format!("/v1/calls?offset={offset}&limit=5")).await;
        assert_eq!(response.status, 200, "{offset}");
        let body = response.json();
        assert_eq!(body["calls"], serde_json::json!([]));
        assert_eq!(body["pagination"]["total"], 9);
        assert_eq!(body["pagination"]["has_more"], false);
        assert_eq!(body["pagination"]["offset"].to_string(), offset);
    }
    // Any non-negative integer (the vendor's schema sets no maximum): past u64 too, echoed digit for digit.
    for (sent, echoed) in [
        ("18446744073709551616", "18446744073709551616"),
        ("496931110730126925496320", "496931110730126925496320"),
        (
            "000123456789012345678901234567890",
            "123456789012345678901234567890",
        ),
    ] {
        let response = app.get(&format!("/v1/calls?offset={sent}&limit=5")).await;
        assert_eq!(response.status, 200, "{sent}");
        let text = String::from_utf8(response.body.clone()).unwrap();
        assert!(
            text.ends_with(&format!(
                r#""pagination":{{"limit":5,"offset":{echoed},"total":9,"has_more":false}}}}"#
            )),
            "{text}"
        );
        assert!(text.starts_with(r#"{"calls":[]"#), "{text}");
    }
}

async fn the_last_partial_page_has_no_more(app: TestApp) {
    let response = app.get("/v1/calls?offset=7&limit=5").await;
    assert_eq!(response.ids(), ["c-z", "c-0"]);
    assert_eq!(
        response.pagination(),
        serde_json::json!({"limit": 5, "offset": 7, "total": 9, "has_more": false})
    );
    let response = app.get("/v1/calls?offset=4&limit=4").await;
    assert_eq!(response.pagination()["has_more"], true);
    let response = app.get("/v1/calls?offset=5&limit=4").await;
    assert_eq!(response.pagination()["has_more"], false);
}

depths!(
    orders_not_started_first_then_newest_first_with_ties_by_call_id_descending,
    keeps_the_order_across_pages_that_split_a_tie_group,
    is_stable_across_repeated_requests,
    an_offset_past_the_end_is_an_empty_page_with_the_true_total,
    the_last_partial_page_has_no_more,
);

#[tokio::test]
async fn the_order_does_not_depend_on_the_input_order() {
    let mut reversed = ordering_calls();
    reversed.reverse();
    let a = TestApp::in_process(builder())
        .await
        .get("/v1/calls")
        .await
        .body;
    let b = TestApp::in_process(openmic_mock::MockServer::builder().calls(reversed))
        .await
        .get("/v1/calls")
        .await
        .body;
    assert_eq!(a, b);
}

mod embedded {
    use crate::helpers::TestApp;

    fn builder() -> openmic_mock::MockServerBuilder {
        openmic_mock::MockServer::builder()
    }

    async fn a_plain_request_answers_50_calls_with_the_default_limit(app: TestApp) {
        let response = app.get("/v1/calls").await;
        assert_eq!(response.status, 200);
        assert_eq!(response.ids().len(), 50);
        let total = openmic_fixtures::DEFAULT_COUNT;
        assert_eq!(
            response.pagination(),
            serde_json::json!({"limit": 50, "offset": 0, "total": total, "has_more": true})
        );
    }

    async fn walking_every_page_yields_each_call_once_in_canonical_order(app: TestApp) {
        let walked: Vec<String> = app
            .list_all("")
            .await
            .iter()
            .map(|c| c["call_id"].as_str().unwrap().to_string())
            .collect();
        let mut expected = openmic_fixtures::default_calls();
        expected.sort_by(openmic_mock::canonical_order);
        let expected: Vec<String> = expected.into_iter().map(|c| c.call_id).collect();
        assert_eq!(walked, expected);
    }

    async fn the_embedded_set_has_start_timestamp_ties_served_by_call_id_descending(app: TestApp) {
        let calls = app.list_all("").await;
        let mut ties = 0;
        for pair in calls.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.get("start_timestamp").is_some() && a["start_timestamp"] == b["start_timestamp"] {
                ties += 1;
                assert!(
                    a["call_id"].as_str() > b["call_id"].as_str(),
                    "{} then {}",
                    a["call_id"],
                    b["call_id"]
                );
            }
        }
        assert!(
            ties >= 3,
            "the embedded set should exercise ties, found {ties}"
        );
    }

    crate::helpers::depths!(
        a_plain_request_answers_50_calls_with_the_default_limit,
        walking_every_page_yields_each_call_once_in_canonical_order,
        the_embedded_set_has_start_timestamp_ties_served_by_call_id_descending,
    );
}
