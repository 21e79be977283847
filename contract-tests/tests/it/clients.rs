//! The client half of the kit checks itself: the reference Rust client and the Python adapter pass every
//! client property, and each deliberately broken client is caught by the property that owns its bug.

use openmic_contract::{AdapterClient, ClientSuiteConfig, ClientUnderTest, run_client_properties};

use crate::helpers::broken_clients::{BrokenClient, Bug};
use crate::helpers::{python_adapter, run_clients};
use crate::reference_client::ReferenceClient;

#[test]
fn the_reference_client_passes_every_client_property() {
    let (report, text) = run_clients(ReferenceClient::new);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 7, "{text}");
    assert_eq!(text.lines().last(), Some("7 passed, 0 failed"), "{text}");
    // Every case sends at least one request, and each is counted, whether it reached the mock or the scripted
    // server; `encoding`'s cases send exactly one each.
    for line in text.lines().filter(|l| l.starts_with("PASS ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, cases, requests) = (words[1], words[3], words[5]);
        let (cases, requests): (u64, u64) = (cases.parse().unwrap(), requests.parse().unwrap());
        assert_eq!(words[6], "requests", "{line}");
        assert!(cases > 0 && requests >= cases, "{line}");
        if name == "encoding" {
            assert_eq!(requests, cases, "{line}");
        }
    }
    assert!(
        report
            .notes("errors")
            .iter()
            .any(|n| n.starts_with("429 with Retry-After: 1: rate_limited")),
        "{text}"
    );
}

#[test]
fn the_python_adapter_passes_every_client_property() {
    let command = python_adapter("adapters/python/openmic_adapter.py");
    let (report, text) = run_clients(|url, key| {
        AdapterClient::spawn(
            &command,
            url,
            key,
            openmic_contract::client::DEFAULT_ADAPTER_TIMEOUT,
        )
        .map_err(|e| e.to_string())
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 7, "{text}");
}

fn assert_caught(bug: Bug, property: &str) {
    let (report, text) = run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, bug)));
    assert!(
        report.failed_names().contains(&property),
        "{bug:?} should fail `{property}`; failed: {:?}\n{text}",
        report.failed_names()
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL ") && l.contains(property)),
        "{text}"
    );
    assert!(text.lines().last().unwrap().ends_with(" failed"), "{text}");
}

#[test]
fn a_wait_that_ignores_its_deadline_is_told_it_polled_past_it() {
    let (report, text) =
        run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::IgnoresDeadline)));
    let failure = report.failure("wait_for_end").expect("wait_for_end fails");
    assert!(
        failure.mismatch.rule.contains("past its deadline of 1.5 s"),
        "{}\n{text}",
        failure.mismatch.rule
    );
}

macro_rules! caught_by {
    ($($test:ident: $bug:ident => $property:literal,)+) => {
        $(
            #[test]
            fn $test() {
                assert_caught(Bug::$bug, $property);
            }
        )+
    };
}

caught_by! {
    a_client_that_drops_offset_is_caught_by_encoding: DropsOffset => "encoding",
    a_client_that_drops_limit_is_caught_by_encoding: DropsLimit => "encoding",
    a_client_that_lists_five_times_for_one_page_is_caught_by_encoding: ListsFiveTimes => "encoding",
    a_client_that_sends_agent_id_instead_of_bot_id_is_caught_by_encoding: AgentIdForBotId => "encoding",
    a_client_that_leaves_plus_unencoded_is_caught_by_encoding: PlusNotEncoded => "encoding",
    a_client_that_sends_limit_0_by_default_is_caught_by_encoding: SendsLimitZero => "encoding",
    a_list_all_that_stops_on_a_page_shorter_than_its_guessed_limit_is_caught_by_pagination_helper: StopsOnShortPage => "pagination_helper",
    a_list_all_that_loops_forever_on_has_more_is_stopped_and_caught_by_pagination_helper: LoopsOnHasMore => "pagination_helper",
    a_list_all_that_forgets_the_auth_header_after_the_first_page_is_caught_by_pagination_helper: ForgetsAuthAfterFirstPage => "pagination_helper",
    a_client_that_treats_404_as_an_empty_result_is_caught_by_errors: NotFoundIsEmpty => "errors",
    a_client_that_retries_429_without_waiting_is_caught_by_errors: RetriesWithoutWaiting => "errors",
    a_client_whose_errors_have_no_kind_is_caught_by_errors: ErrorsOfNoKind => "errors",
    a_client_that_drops_a_documented_field_is_caught_by_decoding: DropsRecordingUrl => "decoding",
    a_client_that_turns_a_present_duration_into_null_is_caught_by_decoding: NullsDurationMs => "decoding",
    a_client_that_drops_the_milliseconds_of_dates_is_caught_by_encoding: DropsMilliseconds => "encoding",
    a_client_that_sends_local_time_as_utc_is_caught_by_encoding: ShiftsByLocalOffset => "encoding",
    a_client_that_sends_the_date_only_is_caught_by_encoding: SendsDateOnly => "encoding",
    a_client_that_loses_an_offsets_sign_is_caught_by_encoding: OffsetSignIgnored => "encoding",
    a_create_that_takes_only_200_for_success_is_caught_by_create_request: Only200IsCreated => "create_request",
    a_create_posted_to_the_calls_collection_is_caught_by_create_request: PostsToCalls => "create_request",
    a_create_that_returns_its_own_request_is_caught_by_create_request: ReturnsItsRequest => "create_request",
    a_create_that_returns_its_own_request_is_caught_by_create_errors_too: ReturnsItsRequest => "create_errors",
    a_create_posted_again_after_its_201_is_caught_by_create_errors: PostsAgainAfterRetried201 => "create_errors",
    a_create_without_the_key_is_caught_by_create_request: CreatesWithoutKey => "create_request",
    a_create_that_retries_a_400_is_caught_by_create_errors: Retries400 => "create_errors",
    a_create_that_gives_up_on_a_429_is_caught_by_create_errors: GivesUpOn429 => "create_errors",
    a_create_retried_before_its_retry_after_is_caught_by_create_errors: RetriesCreate429AtOnce => "create_errors",
    a_create_that_returns_a_4xx_body_as_the_call_is_caught_by_create_errors: CreateErrorsAsCalls => "create_errors",
    a_create_that_calls_every_error_a_transport_error_is_caught_by_create_errors: CreateErrorsAllTransport => "create_errors",
    a_create_retried_after_a_500_is_caught_by_create_errors: RetriesCreateAfter500 => "create_errors",
    a_create_retried_after_a_dropped_connection_is_caught_by_create_errors: RetriesCreateAfterDrop => "create_errors",
    a_wait_that_polls_in_a_tight_loop_is_caught_by_wait_for_end: PollsInTightLoop => "wait_for_end",
    a_wait_that_ignores_its_deadline_is_caught_by_wait_for_end: IgnoresDeadline => "wait_for_end",
    a_wait_that_polls_the_calls_collection_is_caught_by_wait_for_end: PollsCallsCollection => "wait_for_end",
    a_wait_that_polls_once_more_after_the_end_is_caught_by_wait_for_end: PollsOnceMoreAtEnd => "wait_for_end",
    a_wait_that_gives_up_with_a_transport_error_is_caught_by_wait_for_end: DeadlineAsTransport => "wait_for_end",
    a_wait_that_retries_a_404_is_caught_by_wait_for_end: RetriesNotFound => "wait_for_end",
    a_wait_that_turns_a_404_into_another_error_is_caught_by_wait_for_end: WaitNotFoundAsOther => "wait_for_end",
    a_wait_that_keeps_polling_a_call_in_error_is_caught_by_wait_for_end: StopsOnlyAtEnded => "wait_for_end",
}

/// Runs only `property` for `bug` with `seed` (and `tweak` on the config).
fn run_one(
    bug: Bug,
    property: &str,
    seed: u64,
    tweak: impl FnOnce(&mut ClientSuiteConfig),
) -> (openmic_contract::ClientReport, String) {
    let mut config = ClientSuiteConfig::new(format!("{bug:?}"));
    config.seed = seed;
    config.cases = 16;
    config.only = vec![property.into()];
    tweak(&mut config);
    let mut out = Vec::new();
    let report = run_client_properties(
        |url, key| Ok::<_, String>(BrokenClient::new(url, key, bug)),
        &config,
        &mut out,
    )
    .unwrap();
    (report, String::from_utf8(out).unwrap())
}

#[test]
fn one_request_a_page_passes_encoding_with_max_retries_0() {
    let (report, text) = run_one(Bug::RetriesPolitely, "encoding", 0, |c| c.max_retries = 0);
    assert_eq!(report.failed(), 0, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS encoding ") && l.contains(" 16 cases, 16 requests")),
        "{text}"
    );
}

#[test]
fn each_broken_create_body_is_caught_by_create_request_on_seeds_0_to_7() {
    for (bug, rule) in [
        (
            Bug::DropsPlusFromNumber,
            "to_number must be sent exactly as given (E.164, no reformatting)",
        ),
        (
            Bug::SendsNullOptionals,
            "which the client was not asked to send",
        ),
        (
            Bug::PlainTextBody,
            "the body must be sent as Content-Type: application/json",
        ),
    ] {
        for seed in 0..8 {
            let (report, text) = run_one(bug, "create_request", seed, |_| {});
            let failure = report
                .failure("create_request")
                .unwrap_or_else(|| panic!("{bug:?}, seed {seed}:\n{text}"));
            assert!(
                failure.mismatch.rule.contains(rule),
                "{bug:?}, seed {seed}:\n{text}"
            );
            // The shrunk input is shown as the client was given it: decoded JSON, `+` and all.
            assert!(
                failure
                    .mismatch
                    .input
                    .as_deref()
                    .is_some_and(|i| i.starts_with("create_call({\"from_number\":\"+")),
                "{text}"
            );
        }
    }
}

#[test]
fn a_create_retried_after_a_500_fails_as_a_call_placed_twice_with_both_requests_unless_opted_in() {
    let (report, text) = run_one(Bug::RetriesCreateAfter500, "create_errors", 0, |_| {});
    let failure = report.failure("create_errors").unwrap();
    assert!(
        failure
            .mismatch
            .rule
            .starts_with("500: retried the create, which may place the call twice"),
        "{text}"
    );
    assert_eq!(
        failure
            .mismatch
            .got
            .matches("POST /v1/create-phone-call")
            .count(),
        4,
        "{text}"
    );
    assert!(
        text.contains("pass 429 with Retry-After: 1, then 201"),
        "{text}"
    );
    let (report, text) = run_one(Bug::RetriesCreateAfter500, "create_errors", 0, |c| {
        c.retry_creates = true;
    });
    assert_eq!(report.failed(), 0, "{text}");
}

#[test]
fn a_client_retrying_a_429_four_times_passes_with_max_retries_4_and_fails_with_3_naming_the_flag() {
    let (report, text) = run_one(Bug::RetriesFourTimes, "errors", 0, |c| c.max_retries = 4);
    assert_eq!(report.failed(), 0, "{text}");
    let (report, text) = run_one(Bug::RetriesFourTimes, "errors", 0, |c| c.max_retries = 3);
    let failure = report.failure("errors").unwrap();
    assert_eq!(
        failure.mismatch.rule,
        "429 with Retry-After: 1: retried 4 times, more than --max-retries 3 allows",
        "{text}"
    );
    // Every other scenario is still reported after the first failure.
    for line in [
        "      FAIL 429 with Retry-After: 1: retried 4 times",
        "      pass 500",
        "      pass dropped connection",
        "      pass cut body",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

/// A client that changes the instant of a date fails `encoding` with a rule that says how the instant moved.
fn assert_moved(bug: Bug, how: &str) {
    let (report, text) = run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, bug)));
    let rule = &report.failure("encoding").unwrap().mismatch.rule;
    assert!(rule.contains("the instant moved"), "{text}");
    assert!(rule.contains(how), "{bug:?}: {rule}\n{text}");
}

#[test]
fn a_moved_date_is_reported_with_how_it_moved() {
    assert_moved(Bug::DropsMilliseconds, "(the milliseconds were dropped)");
    assert_moved(
        Bug::ShiftsByLocalOffset,
        "1h later (a whole time-zone offset",
    );
    assert_moved(
        Bug::SendsDateOnly,
        "(the date only was sent: midnight UTC of that day)",
    );
}

#[test]
fn a_typed_python_adapter_that_formats_dates_with_microseconds_passes() {
    let command = python_adapter("tests/it/adapters/typed_dates.py");
    let (report, text) = run_clients(|url, key| {
        AdapterClient::spawn(
            &command,
            url,
            key,
            openmic_contract::client::DEFAULT_ADAPTER_TIMEOUT,
        )
        .map_err(|e| e.to_string())
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 7, "{text}");
}

#[test]
fn a_looping_list_all_is_cut_off_at_the_request_bound() {
    let (report, text) =
        run_clients(|url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::LoopsOnHasMore)));
    let failure = report.failure("pagination_helper").unwrap();
    assert!(
        failure.mismatch.rule.contains("list_all must stop"),
        "{text}"
    );
    assert!(
        failure
            .mismatch
            .got
            .contains("before the kit revoked the key\n"),
        "{text}"
    );
}

#[test]
fn a_client_without_list_all_skips_the_pagination_helper_and_passes_the_rest() {
    struct NoListAll(ReferenceClient);
    impl ClientUnderTest for NoListAll {
        fn list_calls(
            &mut self,
            params: &openmic_contract::ClientParams,
        ) -> Result<openmic_contract::CallsPage, openmic_contract::ClientError> {
            self.0.list_calls(params)
        }
        fn get_call(
            &mut self,
            id: &str,
        ) -> Result<serde_json::Value, openmic_contract::ClientError> {
            self.0.get_call(id)
        }
    }
    let (report, text) = run_clients(|url, key| ReferenceClient::new(url, key).map(NoListAll));
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), 3, "{text}");
    assert!(text.contains("SKIP pagination_helper"), "{text}");
    // Nor has it wait_for_end: the trait's default says unsupported, and the property is skipped, not failed.
    assert!(
        text.lines()
            .any(|l| l.starts_with("SKIP wait_for_end")
                && l.contains("the client has no wait_for_end")),
        "{text}"
    );
}

#[test]
fn a_typed_client_that_nulls_absent_fields_and_drops_undocumented_ones_passes_with_notes() {
    let (report, text) = run_clients(|url, key| {
        Ok::<_, String>(BrokenClient::new(url, key, Bug::TypedWithoutExtras))
    });
    assert_eq!(report.failed(), 0, "{text}");
    let notes = report.notes("decoding");
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("absent fields returned as null (accepted)")),
        "{text}"
    );
    assert!(
        notes.iter().any(|n| n
            == &format!(
                "undocumented fields dropped (accepted): {}",
                openmic_contract::client::UNDOCUMENTED_FIELD
            )),
        "{text}"
    );
    assert!(
        text.contains("    note: absent fields returned as null"),
        "{text}"
    );
}

#[test]
fn a_client_that_retries_within_bounds_passes_errors_and_the_report_says_so() {
    let mut config = ClientSuiteConfig::new("a politely retrying client");
    config.only = vec!["errors".into()];
    let mut out = Vec::new();
    let report = run_client_properties(
        |url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::RetriesPolitely)),
        &config,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(report.failed(), 0, "{text}");
    let notes = report.notes("errors");
    for scenario in ["429 with Retry-After: 1", "500", "dropped connection"] {
        assert!(
            notes.iter().any(|n| n
                == &format!(
                    "{scenario}: {} after 3 retries (within --max-retries 3)",
                    match scenario {
                        "500" => "server",
                        "dropped connection" => "transport",
                        _ => "rate_limited",
                    }
                )),
            "{scenario}: {text}"
        );
    }
}

#[test]
fn a_helper_that_counts_pages_rounding_down_is_caught_on_a_boundary_on_every_seed() {
    for seed in 0..6 {
        let mut config = ClientSuiteConfig::new("a client that counts pages");
        config.seed = seed;
        config.only = vec!["pagination_helper".into()];
        let mut out = Vec::new();
        let report = run_client_properties(
            |url, key| Ok::<_, String>(BrokenClient::new(url, key, Bug::CountsPagesRoundingDown)),
            &config,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let failure = report
            .failure("pagination_helper")
            .unwrap_or_else(|| panic!("seed {seed}:\n{text}"));
        assert!(
            failure
                .mismatch
                .boundary
                .as_deref()
                .is_some_and(|b| b.contains("the last page holds 1")),
            "seed {seed}:\n{text}"
        );
    }
}
