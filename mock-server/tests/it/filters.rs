//! Contract rules 6 and 7: exact string filters, enum filters, inclusive date bounds, all combined with AND; and
//! the warning a bare `to_date` gets (rule 6f).

use openmic_fixtures::{CallStatus, CallType, Direction};
use openmic_mock::MockServer;

use crate::helpers::{Http, TestApp, call, depths, ordering_calls};

fn builder() -> openmic_mock::MockServerBuilder {
    let mut calls = ordering_calls();
    let mut add =
        |id: &str, customer: Option<&str>, from: &str, to: &str, agent: &str, kind: CallType| {
            let mut c = call(id, CallStatus::Ended, Some(10_000));
            c.customer_id = customer.map(str::to_string);
            c.from_number = from.into();
            c.to_number = to.into();
            c.agent_id = agent.into();
            c.call_type = kind;
            c.direction = Direction::Outbound;
            calls.push(c);
        };
    add(
        "f-1",
        Some("cus_A"),
        "+14155550100",
        "+14155550199",
        "agentAAAAAAAAAAAAAAAAAAA",
        CallType::Phone,
    );
    add(
        "f-2",
        Some("cus_a"),
        "+14155550100",
        "+442071838750",
        "agentAAAAAAAAAAAAAAAAAAA",
        CallType::Web,
    );
    add(
        "f-3",
        Some("cus_A "),
        "+14155550101",
        "+14155550199",
        "agentBBBBBBBBBBBBBBBBBBB",
        CallType::Phone,
    );
    add(
        "f-4",
        None,
        "+14155550100",
        "+14155550199",
        "agentBBBBBBBBBBBBBBBBBBB",
        CallType::Phone,
    );
    add(
        "f-5",
        Some("cus_A"),
        "+14155550100",
        "+14155550199",
        "agentAAAAAAAAAAAAAAAAAAA",
        CallType::Web,
    );
    openmic_mock::MockServer::builder().calls(calls)
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.get(&format!("/v1/calls?limit=100&{query}")).await;
    assert_eq!(
        response.status,
        200,
        "{query}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let ids = response.ids();
    assert_eq!(response.pagination()["total"], ids.len(), "{query}");
    ids
}

async fn matches_customer_id_exactly_and_case_sensitively(app: TestApp) {
    assert_eq!(ids(&app, "customer_id=cus_A").await, ["f-5", "f-1"]);
    assert_eq!(ids(&app, "customer_id=cus_a").await, ["f-2"]);
    assert_eq!(ids(&app, "customer_id=cus_A%20").await, ["f-3"]);
    assert!(
        ids(&app, "customer_id=cus_").await.is_empty(),
        "no prefix match"
    );
    assert!(ids(&app, "customer_id=CUS_A").await.is_empty());
    assert!(ids(&app, "customer_id=%20cus_A").await.is_empty());
}

async fn matches_phone_numbers_exactly_with_the_plus_percent_encoded(app: TestApp) {
    assert_eq!(
        ids(&app, "from_number=%2B14155550100").await,
        ["f-5", "f-4", "f-2", "f-1"]
    );
    assert_eq!(ids(&app, "to_number=%2B442071838750").await, ["f-2"]);
    // An unencoded '+' decodes to a space, so the number no longer matches: the classic client bug. The
    // answer stays faithful (no match) but says why in a warning header.
    assert!(ids(&app, "from_number=+14155550100").await.is_empty());
    let response = app.get("/v1/calls?to_number=+14155550199&page=1").await;
    assert_eq!(
        response.header("x-mock-warning"),
        Some(
            "ignored unknown query parameters: page; to_number starts with a space, which is what an \
             unencoded '+' decodes to: send '+' as %2B"
        )
    );
    let response = app.get("/v1/calls?to_number=%2B14155550199").await;
    assert_eq!(response.header("x-mock-warning"), None);
    assert!(
        ids(&app, "from_number=14155550100").await.is_empty(),
        "no suffix match"
    );
    assert!(
        ids(&app, "from_number=%2B1415555010").await.is_empty(),
        "no prefix match"
    );
}

async fn matches_bot_id_against_agent_id(app: TestApp) {
    assert_eq!(
        ids(&app, "bot_id=agentBBBBBBBBBBBBBBBBBBB").await,
        ["f-4", "f-3"]
    );
    assert!(
        ids(&app, "bot_id=agentbbbbbbbbbbbbbbbbbbb")
            .await
            .is_empty()
    );
    assert!(
        ids(&app, "agent_id=agentBBBBBBBBBBBBBBBBBBB").await.len() > 2,
        "agent_id is not a filter"
    );
}

async fn filters_by_status_and_type(app: TestApp) {
    assert_eq!(ids(&app, "call_status=registered").await, ["c-r2", "c-r1"]);
    assert_eq!(ids(&app, "call_status=ongoing").await, ["c-x"]);
    assert!(ids(&app, "call_status=error").await.is_empty());
    assert_eq!(ids(&app, "call_type=webcall").await, ["f-5", "f-2"]);
}

async fn combines_every_filter_with_and(app: TestApp) {
    let query = "customer_id=cus_A&from_number=%2B14155550100&to_number=%2B14155550199\
        &bot_id=agentAAAAAAAAAAAAAAAAAAA&call_status=ended&call_type=webcall\
        &from_date=1970-01-01T00:00:10Z&to_date=1970-01-01T00:00:10Z";
    assert_eq!(ids(&app, query).await, ["f-5"]);
    assert!(
        ids(
            &app,
            &query
                .replace("webcall", "phonecall")
                .replace("cus_A&", "cus_a&")
        )
        .await
        .is_empty()
    );
}

async fn date_bounds_are_inclusive_to_the_millisecond(app: TestApp) {
    // Starts: c-y and c-x at 2000, c-a/b/c at 1000, c-z at 500, c-0 at 0; c-r1/c-r2 not started.
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01T00:00:01Z&to_date=1970-01-01T00:00:02Z"
        )
        .await,
        ["c-y", "c-x", "c-c", "c-b", "c-a"]
    );
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01T00:00:01.001Z&to_date=1970-01-01T00:00:01.999Z"
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01T00:00:00.999Z&to_date=1970-01-01T00:00:01.000Z"
        )
        .await,
        ["c-c", "c-b", "c-a"]
    );
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01T00:00:00.501Z&to_date=1970-01-01T00:00:00.999Z"
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app, "to_date=1970-01-01T00:00:00.5Z").await,
        ["c-z", "c-0"]
    );
    assert_eq!(
        ids(&app, "to_date=1970-01-01T00:00:00.4999Z").await,
        ["c-0"],
        "sub-millisecond digits are truncated"
    );
}

async fn a_bare_date_means_midnight_utc(app: TestApp) {
    assert_eq!(ids(&app, "to_date=1970-01-01").await, ["c-0"]);
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01&to_date=1970-01-01T00:00:00.000Z"
        )
        .await,
        ["c-0"]
    );
    assert_eq!(
        ids(&app, "from_date=1970-01-02").await,
        Vec::<String>::new()
    );
}

async fn offsets_shift_the_bounds(app: TestApp) {
    // 01:00:01+01:00 is 00:00:01Z.
    assert_eq!(
        ids(
            &app,
            "from_date=1970-01-01T01:00:01%2B01:00&to_date=1970-01-01T01:00:01%2B01:00"
        )
        .await,
        ["c-c", "c-b", "c-a"]
    );
    assert_eq!(
        ids(
            &app,
            "from_date=1969-12-31T23:00:02-01:00&to_date=1970-01-01T00:00:02Z"
        )
        .await,
        ["c-y", "c-x"]
    );
}

async fn calls_that_have_not_started_never_match_a_date_bound(app: TestApp) {
    let all = ids(&app, "from_date=1900-01-01").await;
    assert!(!all.iter().any(|id| id.starts_with("c-r")), "{all:?}");
    let all = ids(&app, "to_date=9999-12-31T23:59:59.999Z").await;
    assert!(!all.iter().any(|id| id.starts_with("c-r")), "{all:?}");
    assert!(ids(&app, "").await.iter().any(|id| id.starts_with("c-r")));
}

async fn from_after_to_is_an_empty_page_not_an_error(app: TestApp) {
    let response = app
        .get("/v1/calls?from_date=1970-01-02&to_date=1970-01-01")
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        serde_json::json!({"calls": [], "pagination": {"limit": 50, "offset": 0, "total": 0, "has_more": false}})
    );
}

depths!(
    matches_customer_id_exactly_and_case_sensitively,
    matches_phone_numbers_exactly_with_the_plus_percent_encoded,
    matches_bot_id_against_agent_id,
    filters_by_status_and_type,
    combines_every_filter_with_and,
    date_bounds_are_inclusive_to_the_millisecond,
    a_bare_date_means_midnight_utc,
    offsets_shift_the_bounds,
    calls_that_have_not_started_never_match_a_date_bound,
    from_after_to_is_an_empty_page_not_an_error,
);

#[tokio::test]
async fn a_bare_to_date_says_that_it_leaves_its_day_out() {
    let server = MockServer::builder().start().await.unwrap();
    let http = Http::new(&server);
    let bare = http.get("/v1/calls?to_date=2025-11-30").await;
    assert_eq!(bare.status, 200);
    let warning = bare.header("x-mock-warning").unwrap();
    assert!(
        warning.contains("to_date=2025-11-30 is read as 2025-11-30T00:00:00Z")
            && warning.contains("to_date=2025-11-30T23:59:59.999Z"),
        "{warning}"
    );
    let full = http.get("/v1/calls?to_date=2025-11-30T00:00:00Z").await;
    assert_eq!(full.header("x-mock-warning"), None);
    assert_eq!(
        full.pagination()["total"],
        bare.pagination()["total"],
        "same rule, only a warning"
    );
}
