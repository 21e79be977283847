//! Each broken server is the wiremock responder with one subtle fault; the suite must fail, and the property
//! that owns the broken rule must be among the failures.

use openmic_contract::ResponderFault;

use crate::helpers::{SECRET_KEY, responder_server, run_suite, runtime};

fn assert_caught(fault: ResponderFault, property: &str) {
    let rt = runtime();
    let server = responder_server(&rt, Some(fault));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert!(
        report.failed_names().contains(&property),
        "{fault:?} should fail `{property}`; failed: {:?}\n{text}",
        report.failed_names()
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL ") && l.contains(property)),
        "{text}"
    );
    assert!(
        !text.contains(SECRET_KEY),
        "the key leaked into the report:\n{text}"
    );
    let failure = report.failure(property).unwrap();
    assert!(!failure.mismatch.rule.is_empty());
}

macro_rules! caught_by {
    ($($test:ident: $fault:ident => $property:literal,)+) => {
        $(
            #[test]
            fn $test() {
                assert_caught(ResponderFault::$fault, $property);
            }
        )+
    };
}

caught_by! {
    an_off_by_one_has_more_is_caught_by_the_pagination_walk: HasMoreOffByOne => "pagination_walk",
    an_ignored_to_number_filter_is_caught_by_exact_matching: IgnoresToNumber => "exact_matching",
    an_ignored_to_number_filter_is_caught_by_filtering: IgnoresToNumber => "filtering",
    an_exclusive_from_date_is_caught_by_date_bounds: ExclusiveFromDate => "date_bounds",
    ties_in_an_unstable_order_are_caught_by_ordering: UnstableTieOrder => "ordering",
    total_equal_to_the_page_length_is_caught_by_filtering: TotalIsPageLength => "filtering",
    prefix_matching_is_caught_by_exact_matching: PrefixMatching => "exact_matching",
    a_case_insensitive_customer_id_is_caught_by_exact_matching: CustomerIdIgnoresCase => "exact_matching",
    an_empty_filter_matching_nothing_is_caught_by_exact_matching: EmptyFilterMatchesEmpty => "exact_matching",
    from_number_prefix_matching_is_caught_by_exact_matching: FromNumberPrefixMatching => "exact_matching",
    a_from_date_1_ms_early_is_caught_by_date_bounds: FromDateOneMsEarly => "date_bounds",
    from_date_ignored_without_to_date_is_caught_by_date_bounds: FromDateIgnoredWithoutToDate => "date_bounds",
    a_default_limit_of_25_is_caught_by_defaults: DefaultLimit25 => "defaults",
    a_missing_auth_check_is_caught_by_auth: NoAuthCheck => "auth",
    a_missing_header_let_through_is_caught_by_auth: MissingKeyAccepted => "auth",
    an_empty_header_let_through_is_caught_by_auth: EmptyHeaderAccepted => "auth",
    bearer_without_a_key_let_through_is_caught_by_auth: EmptyTokenAccepted => "auth",
    a_key_compared_as_a_prefix_is_caught_by_auth: KeyPrefixAccepted => "auth",
    a_key_under_any_scheme_is_caught_by_auth: AnySchemeAccepted => "auth",
    a_key_without_a_scheme_let_through_is_caught_by_auth: BareKeyAccepted => "auth",
    bearer_and_key_without_a_space_let_through_is_caught_by_auth: SchemeWithoutSpaceAccepted => "auth",
    parameters_checked_before_the_key_are_caught_by_auth: ValidatesBeforeAuth => "auth",
    an_unfiltered_list_without_a_key_check_is_caught_by_auth: UnfilteredListWithoutAuth => "auth",
    a_wrong_400_body_is_caught_by_validation: WrongErrorBody => "validation",
    a_400_message_as_an_array_is_caught_by_validation: InvalidMessageAsArray => "validation",
    a_dropped_optional_field_is_caught_by_get_call: DropsRecordingUrl => "get_call",
    an_uncapped_limit_is_caught_by_validation: LimitNotCapped => "validation",
    oldest_first_order_is_caught_by_ordering: OldestFirst => "ordering",
    case_insensitive_enums_are_caught_by_validation: CaseInsensitiveEnums => "validation",
    a_repeated_parameter_taken_as_last_wins_is_caught_by_repeated_parameters: RepeatedParameterLastWins => "repeated_parameters",
    a_repeated_limit_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedLimitFirstWins => "repeated_parameters",
    a_repeated_offset_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedOffsetFirstWins => "repeated_parameters",
    a_repeated_call_status_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedCallStatusFirstWins => "repeated_parameters",
    a_repeated_call_type_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedCallTypeFirstWins => "repeated_parameters",
    a_repeated_bot_id_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedBotIdFirstWins => "repeated_parameters",
    a_repeated_from_number_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedFromNumberFirstWins => "repeated_parameters",
    a_repeated_from_date_taken_as_first_wins_is_caught_by_repeated_parameters: RepeatedFromDateFirstWins => "repeated_parameters",
    only_the_first_parameter_checked_is_caught_by_validation: ValidatesOnlyFirstParameter => "validation",
    a_plus_sign_taken_in_limit_is_caught_by_validation: SignedIntegersAccepted => "validation",
    rejecting_unknown_parameters_is_caught_by_unknown_parameters: RejectsUnknownParameters => "unknown_parameters",
    a_per_page_alias_is_caught_by_unknown_parameters: PerPageAlias => "unknown_parameters",
    an_agent_id_taken_as_bot_id_is_caught_by_unknown_parameters: AgentIdAlias => "unknown_parameters",
    a_status_taken_as_call_status_is_caught_by_unknown_parameters: StatusAlias => "unknown_parameters",
    a_404_for_a_trailing_slash_is_caught_by_trailing_slash: NoTrailingSlash => "trailing_slash",
    rejecting_bare_dates_is_caught_by_bare_dates: RejectsBareDates => "bare_dates",
    null_for_absent_fields_is_caught_by_shape: NullForAbsentFields => "shape",
    a_wrong_404_body_is_caught_by_get_call: WrongNotFoundBody => "get_call",
    a_call_found_by_a_longer_id_is_caught_by_get_call: GetCallByIdPrefix => "get_call",
    a_call_found_by_part_of_its_id_is_caught_by_get_call: GetCallByPartialId => "get_call",
    a_call_found_by_its_id_in_another_case_is_caught_by_get_call: GetCallIgnoresCase => "get_call",
}

#[test]
fn a_failure_shows_a_redacted_curl_command_a_diff_and_the_seed_to_replay() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::DefaultLimit25));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["defaults".into()]
    });
    assert_eq!(report.failed_names(), ["defaults"], "{text}");
    assert!(
        text.contains(&format!(
            "curl -sS -H \"Authorization: Bearer $OPENMIC_API_KEY\" '{}/v1/calls",
            server.uri()
        )),
        "{text}"
    );
    assert!(
        text.contains("-pagination: {\"has_more\""),
        "a diff line for the expected pagination:\n{text}"
    );
    assert!(
        text.contains("--seed 20260101 --property defaults"),
        "{text}"
    );
    assert!(
        text.contains("  FAIL       4b     default limit is 50"),
        "{text}"
    );
    assert_eq!(text.lines().last().unwrap(), "0 passed, 1 failed");
}

#[test]
fn a_shape_failure_names_the_request_that_served_the_call() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::NullForAbsentFields));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| c.only = vec!["shape".into()]);
    assert_eq!(report.failed_names(), ["shape"], "{text}");
    let request = report.failure("shape").unwrap().mismatch.request.clone();
    assert_eq!(
        request.map(|r| r.path),
        Some("/v1/calls".to_string()),
        "{text}"
    );
    assert!(text.contains("breaks the CallResponse shape"), "{text}");
}

#[test]
fn shrinking_reduces_a_failure_to_a_request_without_needless_filters() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::DefaultLimit25));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["defaults".into()]
    });
    let request = report
        .failure("defaults")
        .unwrap()
        .mismatch
        .request
        .clone()
        .unwrap();
    // The minimal failing request for a wrong default limit needs no filter and no limit at all.
    assert!(
        request.query.iter().all(|(k, _)| k == "offset"),
        "{request:?}\n{text}"
    );
}

/// A boundary bug must be caught by its property at the default 32 cases whatever the seed: the boundary
/// cases run first on every run.
fn assert_caught_on_every_seed(fault: ResponderFault, property: &'static str) {
    let rt = runtime();
    let server = responder_server(&rt, Some(fault));
    for seed in 0..8 {
        let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
            c.seed = seed;
            c.cases = openmic_contract::server::DEFAULT_CASES;
            c.only = vec![property.into()];
        });
        assert_eq!(
            report.failed_names(),
            [property],
            "{fault:?}, seed {seed}:\n{text}"
        );
        assert!(
            report
                .failure(property)
                .unwrap()
                .mismatch
                .boundary
                .is_some(),
            "{fault:?}, seed {seed}: caught, but not by a boundary case:\n{text}"
        );
    }
}

macro_rules! boundary_caught_by {
    ($($test:ident: $fault:ident => $property:literal,)+) => {
        $(
            #[test]
            fn $test() {
                assert_caught_on_every_seed(ResponderFault::$fault, $property);
            }
        )+
    };
}

boundary_caught_by! {
    has_more_true_on_the_last_page_is_caught_by_the_walk_on_every_seed: HasMoreOffByOne => "pagination_walk",
    has_more_false_with_one_call_left_is_caught_by_filtering_on_every_seed: HasMoreFalseOneLeft => "filtering",
    has_more_false_with_one_call_left_is_caught_by_the_walk_on_every_seed: HasMoreFalseOneLeft => "pagination_walk",
    has_more_false_with_two_calls_left_is_caught_by_filtering_on_every_seed: HasMoreFalseTwoLeft => "filtering",
    has_more_false_with_two_calls_left_is_caught_by_the_walk_on_every_seed: HasMoreFalseTwoLeft => "pagination_walk",
    a_dropped_last_match_is_caught_by_filtering_on_every_seed: DropsLastMatch => "filtering",
    a_dropped_last_match_is_caught_by_ordering_on_every_seed: DropsLastMatch => "ordering",
    a_dropped_last_match_is_caught_by_defaults_on_every_seed: DropsLastMatch => "defaults",
    an_offset_past_the_end_rejected_is_caught_by_filtering_on_every_seed: OffsetPastEndRejected => "filtering",
    an_offset_past_the_end_rejected_is_caught_by_defaults_on_every_seed: OffsetPastEndRejected => "defaults",
    limit_1_rejected_is_caught_by_filtering_on_every_seed: LimitOneRejected => "filtering",
    limit_100_serving_99_is_caught_by_filtering_on_every_seed: LimitHundredServes99 => "filtering",
    has_more_from_the_unfiltered_total_is_caught_by_filtering_on_every_seed: HasMoreFromUnfilteredTotal => "filtering",
    an_exclusive_to_date_is_caught_by_date_bounds_on_every_seed: ExclusiveToDate => "date_bounds",
    an_exclusive_from_date_is_caught_by_date_bounds_on_every_seed: ExclusiveFromDate => "date_bounds",
    date_bounds_rounded_to_the_second_are_caught_by_date_bounds_on_every_seed: DateBoundsToTheSecond => "date_bounds",
    a_to_date_one_ms_late_is_caught_by_date_bounds_on_every_seed: ToDateOneMsLate => "date_bounds",
    an_offset_that_skips_one_is_caught_by_filtering_on_every_seed: OffsetSkipsOne => "filtering",
    a_from_date_ignored_alone_is_caught_by_date_bounds_on_every_seed: FromDateIgnoredWithoutToDate => "date_bounds",
    a_from_date_one_ms_early_is_caught_by_date_bounds_on_every_seed: FromDateOneMsEarly => "date_bounds",
    a_missing_key_accepted_is_caught_by_auth_on_every_seed: MissingKeyAccepted => "auth",
    an_empty_header_accepted_is_caught_by_auth_on_every_seed: EmptyHeaderAccepted => "auth",
    an_empty_token_accepted_is_caught_by_auth_on_every_seed: EmptyTokenAccepted => "auth",
    a_key_prefix_accepted_is_caught_by_auth_on_every_seed: KeyPrefixAccepted => "auth",
    any_scheme_accepted_is_caught_by_auth_on_every_seed: AnySchemeAccepted => "auth",
    a_bare_key_accepted_is_caught_by_auth_on_every_seed: BareKeyAccepted => "auth",
    a_scheme_without_space_accepted_is_caught_by_auth_on_every_seed: SchemeWithoutSpaceAccepted => "auth",
    a_repeated_limit_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedLimitFirstWins => "repeated_parameters",
    a_repeated_offset_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedOffsetFirstWins => "repeated_parameters",
    a_repeated_call_status_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedCallStatusFirstWins => "repeated_parameters",
    a_repeated_call_type_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedCallTypeFirstWins => "repeated_parameters",
    a_repeated_bot_id_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedBotIdFirstWins => "repeated_parameters",
    a_repeated_from_number_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedFromNumberFirstWins => "repeated_parameters",
    a_repeated_from_date_first_wins_is_caught_by_repeated_parameters_on_every_seed: RepeatedFromDateFirstWins => "repeated_parameters",
    a_case_insensitive_customer_id_is_caught_by_exact_matching_on_every_seed: CustomerIdIgnoresCase => "exact_matching",
    from_number_prefix_matching_is_caught_by_exact_matching_on_every_seed: FromNumberPrefixMatching => "exact_matching",
    an_empty_filter_matching_nothing_is_caught_by_exact_matching_on_every_seed: EmptyFilterMatchesEmpty => "exact_matching",
    a_call_found_by_a_longer_id_is_caught_by_get_call_on_every_seed: GetCallByIdPrefix => "get_call",
    a_call_found_by_part_of_its_id_is_caught_by_get_call_on_every_seed: GetCallByPartialId => "get_call",
    a_call_found_by_its_id_in_another_case_is_caught_by_get_call_on_every_seed: GetCallIgnoresCase => "get_call",
    a_plus_sign_taken_in_limit_is_caught_by_validation_on_every_seed: SignedIntegersAccepted => "validation",
    a_per_page_alias_is_caught_by_unknown_parameters_on_every_seed: PerPageAlias => "unknown_parameters",
    an_agent_id_alias_is_caught_by_unknown_parameters_on_every_seed: AgentIdAlias => "unknown_parameters",
    a_status_alias_is_caught_by_unknown_parameters_on_every_seed: StatusAlias => "unknown_parameters",
}

#[test]
fn a_walk_that_skips_calls_leads_with_which_calls_were_skipped() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::OffsetSkipsOne));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["pagination_walk".into()]
    });
    let failure = report.failure("pagination_walk").unwrap();
    let mismatch = &failure.mismatch;
    assert!(
        mismatch.rule.starts_with(
            "walking every page must yield every match once, in order: skipped calls "
        ),
        "{text}"
    );
    let detail = mismatch.detail.as_deref().unwrap();
    assert!(
        detail.contains("pages requested:\nGET /v1/calls?"),
        "{detail}"
    );
    assert!(
        !mismatch.got.contains("GET "),
        "the pages are not inside the diff:\n{text}"
    );
}

#[test]
fn every_fault_is_listed_once_and_found_by_its_name() {
    for (i, fault) in ResponderFault::ALL.iter().enumerate() {
        assert_eq!(ResponderFault::from_name(fault.name()), Some(*fault));
        assert_eq!(format!("{fault:?}"), fault.name());
        assert!(!ResponderFault::ALL[..i].contains(fault));
    }
    assert_eq!(ResponderFault::from_name("NoSuchFault"), None);
}

#[test]
fn a_failing_run_s_requests_line_replay_hint_and_junit_file_say_what_failed_and_what_was_skipped() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::ExclusiveFromDate));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    let writes = openmic_contract::server::WRITE_PROPERTIES.len()
        + openmic_contract::server::CALLING_WRITE_PROPERTIES.len();
    assert!(report.failed() > 0, "{text}");
    assert_eq!(
        report.results.len() - report.passed() - report.failed(),
        writes,
        "{text}"
    );
    let requests = text.lines().find(|l| l.starts_with("requests: ")).unwrap();
    assert!(
        requests.ends_with(&format!(" used; {writes} skipped")),
        "{requests}"
    );
    assert!(
        text.contains("replay lines read the key from $OPENMIC_API_KEY"),
        "{text}"
    );
    // The JUnit file carries each failure's details: the rule broken and the request to replay.
    let config = openmic_contract::server::ServerSuiteConfig::new(openmic_contract::Target::new(
        server.uri(),
        SECRET_KEY,
    ));
    let xml = openmic_contract::server::junit(&report, &config);
    assert!(
        xml.contains("date bounds are inclusive, compare start_timestamp, and keep milliseconds")
            && xml.contains("replay:"),
        "{xml}"
    );
}
