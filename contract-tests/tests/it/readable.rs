//! Failures read at a glance: inputs in the user's terms, a sentence before a long diff, the requests a
//! client made as their own list, the last requests of a looping client, server errors that pass on repeat
//! labelled flaky, and no proptest internals in the report.

use openmic_contract::ResponderFault;

use crate::helpers::broken_clients::{BrokenClient, Bug};
use crate::helpers::{SECRET_KEY, responder_server, run_clients, run_suite, runtime};

/// The lines of `text` from the one starting with `start` (trimmed) to the end.
fn from<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with(start))
        .collect()
}

#[test]
fn a_client_failure_shows_its_input_decoded_as_the_client_was_given_it_not_rust_debug() {
    let (_, text) =
        run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::DropsOffset)));
    let input = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("input: list_calls("))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        input.starts_with('{') && input.contains("\"offset\":"),
        "{input}"
    );
    for debug in ["ClientParams {", "Index(", "Some("] {
        assert!(!text.contains(debug), "{debug} in:\n{text}");
    }
}

#[test]
fn a_helper_that_stops_early_leads_with_a_sentence_then_its_requests_then_the_diff() {
    let (report, text) =
        run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::StopsOnShortPage)));
    let failure = report.failure("pagination_helper").unwrap();
    let rule = &failure.mismatch.rule;
    assert!(
        rule.starts_with("list_all stopped after page 1 of ")
            && rule.contains(" while has_more was true (50 of "),
        "{rule}\n{text}"
    );
    assert!(
        rule.ends_with("; it sent no limit, so the server served its default of 50 per page"),
        "{rule}"
    );
    assert!(
        !failure.mismatch.got.contains("GET /v1/calls"),
        "the requests are not inside the diff"
    );
    let block = from(&text, "FAIL pagination_helper");
    let at = |prefix: &str| {
        block
            .iter()
            .position(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} missing:\n{text}"))
    };
    assert!(at("input: list_all(") < at("requests:"), "{text}");
    assert!(at("requests:") < at("GET /v1/calls"), "{text}");
    assert!(
        at("GET /v1/calls") < at("expected (-) vs got (+):"),
        "{text}"
    );
}

#[test]
fn a_looping_helper_shows_its_last_requests() {
    let (report, text) =
        run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::LoopsOnHasMore)));
    let detail = report
        .failure("pagination_helper")
        .unwrap()
        .mismatch
        .detail
        .clone()
        .unwrap();
    assert!(detail.starts_with("last 5 requests:\n"), "{detail}");
    // The kit revoked the key to stop it: the last requests are the 401s, not the first pages.
    assert!(detail.contains("-> 401"), "{detail}\n{text}");
}

#[test]
fn a_server_error_that_passes_on_repeat_is_flaky_not_a_failure() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::OccasionalServerError));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert_eq!(report.failed(), 0, "{text}");
    let flaky: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.trim_start()
                .starts_with("flaky: 500 once, passed on repeat: GET /v1/")
        })
        .collect();
    assert!(!flaky.is_empty(), "{text}");
    assert!(report.results.iter().any(|r| !r.flaky.is_empty()));
}

#[test]
fn a_server_error_that_persists_is_a_failure() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::AlwaysServerError));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert!(report.failed_names().contains(&"auth"), "{text}");
    assert!(!text.contains("flaky:"), "{text}");
}

#[test]
fn a_server_failure_names_its_input_and_the_data_it_ran_on() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::DefaultLimit25));
    let (_, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["defaults".into()]
    });
    let input = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("input: /v1/calls"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(input.ends_with(" over the 300 calls listed"), "{input}");
    assert!(!text.contains("FilterSpec"), "{text}");
}

#[test]
fn a_post_prints_as_curl_with_its_body_and_content_type() {
    let request = openmic_contract::Request::post(
        "/v1/create-phone-call",
        Some("application/json"),
        r#"{"to_number":"+12125550100","note":"it's"}"#,
    );
    assert_eq!(
        request.curl("http://127.0.0.1:8080"),
        "curl -sS -H \"Authorization: Bearer $OPENMIC_API_KEY\" -H 'Content-Type: application/json' \
         --data-raw '{\"to_number\":\"+12125550100\",\"note\":\"it'\\''s\"}' 'http://127.0.0.1:8080/v1/create-phone-call'"
    );
    let bare = openmic_contract::Request::post("/v1/create-phone-call", None, "x");
    assert!(
        bare.curl("http://h")
            .contains("-H 'Content-Type:' --data-raw 'x'"),
        "{}",
        bare.curl("http://h")
    );
    assert_eq!(bare.line(), "POST /v1/create-phone-call");
}
