//! The account's properties (bots and phone numbers, and with `--allow-writes` the writes): the responder
//! passes them all, each planted fault is caught by the property that owns its rule, and without
//! `--allow-writes` the writes are skipped and the report says why.

use openmic_contract::ResponderFault;
use openmic_contract::server::{
    ACCOUNT_PROPERTIES, CALLING_WRITE_PROPERTIES, Verdict, WRITE_PROPERTIES, WRITES_NOT_ALLOWED,
};

use crate::helpers::{SECRET_KEY, responder_server, run_suite, runtime};

/// The names of every write property, the calling one included.
fn writes() -> Vec<String> {
    WRITE_PROPERTIES
        .iter()
        .chain(CALLING_WRITE_PROPERTIES)
        .map(|p| p.name.to_string())
        .collect()
}

fn account_and_writes() -> Vec<String> {
    let mut names: Vec<String> = ACCOUNT_PROPERTIES
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    names.extend(writes());
    names
}

#[test]
fn the_responder_passes_every_account_and_write_property_and_every_account_assumption() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.allow_writes = true;
        c.only = account_and_writes();
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(
        report.passed(),
        ACCOUNT_PROPERTIES.len() + writes().len(),
        "{text}"
    );
    for (rule, _, verdict) in &report.drift {
        if rule.starts_with("17") {
            assert_eq!(*verdict, Verdict::Pass, "{rule}:\n{text}");
        }
    }
    assert!(text.contains("account: "), "{text}");
}

#[test]
fn without_allow_writes_the_writes_are_skipped_and_the_report_says_why() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = writes();
    });
    assert_eq!(report.passed() + report.failed(), 0, "{text}");
    for property in writes() {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("SKIP {property} "))
                    && l.ends_with(WRITES_NOT_ALLOWED)),
            "{property}:\n{text}"
        );
    }
    assert!(text.contains("  NOT TESTED 17g    PATCH merges"), "{text}");
}

fn assert_caught(fault: ResponderFault, property: &str) {
    let rt = runtime();
    let server = responder_server(&rt, Some(fault));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.allow_writes = true;
        c.only = vec![property.into()];
    });
    assert_eq!(
        report.failed_names(),
        [property],
        "{fault:?} should fail `{property}`:\n{text}"
    );
    assert!(!text.contains(SECRET_KEY), "the key leaked:\n{text}");
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
    a_bots_total_equal_to_the_page_length_is_caught_by_bots_list: BotsTotalIsPageLength => "bots_list",
    a_bots_page_repeating_a_bot_is_caught_by_bots_list: BotsPageRepeatsFirst => "bots_list",
    a_phone_numbers_limit_not_applied_is_caught_by_phone_numbers_list: PhoneNumbersLimitIgnored => "phone_numbers_list",
    a_bots_page_reversed_past_the_first_is_caught_by_bots_order: BotsOffsetPageReversed => "bots_order",
    a_phone_numbers_page_of_the_oldest_past_the_offset_is_caught_by_phone_numbers_order: PhoneNumbersPageTakesOldest => "phone_numbers_order",
    phone_number_pages_that_restart_at_the_first_are_caught_by_phone_numbers_walk: PhoneNumbersPagesRestartAtFirst => "phone_numbers_walk",
    a_phone_numbers_offset_that_skips_one_is_caught_by_the_walk: PhoneNumbersOffsetSkipsOne => "phone_numbers_walk",
    bots_oldest_first_are_caught_by_bots_order: BotsOldestFirst => "bots_order",
    phone_number_ties_by_id_descending_are_caught_by_phone_numbers_order: PhoneNumbersTiesByIdDescending => "phone_numbers_order",
    a_case_sensitive_name_filter_is_caught_by_bots_name_filter: BotsNameCaseSensitive => "bots_name_filter",
    a_name_filter_that_only_the_total_applies_is_caught_by_bots_name_filter: BotsNameFilterOnlyCounted => "bots_name_filter",
    inclusive_created_bounds_are_caught_by_bots_created_bounds: BotsCreatedBoundsInclusive => "bots_created_bounds",
    an_uncapped_bots_limit_is_caught_by_bots_validation: BotsLimitNotCapped => "bots_validation",
    a_repeated_phone_numbers_parameter_is_caught_by_phone_numbers_validation: PhoneNumbersRepeatedLastWins => "phone_numbers_validation",
    a_wrong_bot_404_body_is_caught_by_get_bot: BotsWrongNotFoundBody => "get_bot",
    a_get_bot_that_takes_an_ids_prefix_is_caught_by_get_bot: BotsGetByIdPrefix => "get_bot",
    a_get_phone_number_without_name_is_caught_by_get_phone_number: PhoneNumbersGetDropsName => "get_phone_number",
    a_get_phone_number_ignoring_case_is_caught_by_get_phone_number: PhoneNumbersGetIgnoresCase => "get_phone_number",
    bots_without_prompt_are_caught_by_bot_shape: BotsWithoutPrompt => "bot_shape",
    numbers_without_plus_are_caught_by_phone_number_shape: PhoneNumbersWithoutPlus => "phone_number_shape",
    omitted_null_agents_are_caught_by_phone_number_links: PhoneNumbersOmitNullAgents => "phone_number_links",
    an_exact_phone_number_filter_is_caught_by_phone_numbers_filters: PhoneNumberFilterExact => "phone_numbers_filters",
    an_out_of_range_create_accepted_is_caught_by_bot_create_validation: BotCreateAcceptsOutOfRange => "bot_create_validation",
    updated_at_after_created_at_on_create_is_caught_by_bot_create: BotCreateUpdatedAtDiffers => "bot_create",
    a_patch_that_keeps_updated_at_is_caught_by_bot_update: BotPatchKeepsUpdatedAt => "bot_update",
    a_patch_that_replaces_settings_is_caught_by_bot_update_merge: BotPatchReplacesSettings => "bot_update_merge",
    a_patch_that_resets_fields_left_out_is_caught_by_bot_update: BotPatchResetsDefaults => "bot_update",
    a_patch_that_forgets_a_field_is_caught_by_bot_update: BotPatchIgnoresTemperature => "bot_update",
    a_delete_answering_200_is_caught_by_bot_delete: BotDeleteAnswers200 => "bot_delete",
    a_wrong_link_message_is_caught_by_link_unlink: LinkMessageWrong => "link_unlink",
    deleting_a_linked_bot_is_caught_by_bot_in_use: DeleteIgnoresLinks => "bot_in_use",
    a_409_without_an_error_is_caught_by_bot_in_use: BotInUseWithoutError => "bot_in_use",
    a_bot_that_stays_in_use_once_unlinked_is_caught_by_bot_in_use: BotOnceLinkedStaysInUse => "bot_in_use",
    a_call_that_ignores_the_link_is_caught_by_linked_agent_call: CreateCallIgnoresLink => "linked_agent_call",
    a_bot_create_answering_200_is_caught_by_bot_create: BotCreateAnswers200 => "bot_create",
    a_bot_create_answering_200_is_caught_by_bot_update_which_creates_its_bot: BotCreateAnswers200 => "bot_update",
    a_wrong_bot_400_error_text_is_caught_by_bot_create_validation: BotCreateWrongErrorText => "bot_create_validation",
    a_link_404_answered_as_400_is_caught_by_link_unlink: LinkUnknownNumberAnswers400 => "link_unlink",
    a_wrong_link_404_error_text_is_caught_by_link_unlink: LinkNotFoundWrongText => "link_unlink",
    a_link_error_with_a_code_key_is_caught_by_link_unlink: LinkErrorsCarryCode => "link_unlink",
    a_link_direction_in_any_case_is_caught_by_link_unlink: LinkDirectionIgnoresCase => "link_unlink",
    a_link_404_with_unlinks_text_is_caught_by_link_unlink: LinkUnknownNumberWrongText => "link_unlink",
    a_link_to_an_unknown_bot_accepted_is_caught_by_link_unlink: LinkUnknownBotAccepted => "link_unlink",
    an_unlink_taking_any_direction_as_both_is_caught_by_link_unlink: UnlinkUnknownDirectionMeansBoth => "link_unlink",
    an_unlink_without_a_number_answering_404_is_caught_by_link_unlink: UnlinkWithoutNumberAnswers404 => "link_unlink",
    a_get_phone_number_that_never_shows_a_link_is_caught_by_link_unlink: PhoneNumberGetStale => "link_unlink",
}

#[test]
fn a_walk_that_sees_numbers_again_lists_the_ids_expected_and_got() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::PhoneNumbersPagesRestartAtFirst));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["phone_numbers_walk".into()];
    });
    let mismatch = &report.failure("phone_numbers_walk").unwrap().mismatch;
    assert!(mismatch.rule.contains("exactly once"), "{text}");
    let ids = |side: &str| -> Vec<String> { side.lines().map(str::to_string).collect() };
    let (expected, got) = (ids(&mismatch.expected), ids(&mismatch.got));
    // Every number listed, once, sorted; the walk saw as many, some twice.
    assert_eq!(expected.len(), 6, "{text}");
    assert!(expected.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(got.len(), expected.len(), "{text}");
    assert!(got.windows(2).any(|w| w[0] == w[1]), "{text}");
    assert!(got.iter().all(|id| expected.contains(id)), "{text}");
}

#[test]
fn a_shape_failure_names_the_listing_it_read_the_problem_and_the_record() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::BotsWithoutPrompt));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["bot_shape".into()];
    });
    let mismatch = &report.failure("bot_shape").unwrap().mismatch;
    let request = mismatch.request.as_ref().expect("the listing read");
    assert_eq!(request.path, "/v1/bots", "{text}");
    assert_eq!(request.query, [("limit".into(), "100".into())], "{text}");
    assert!(
        mismatch.rule.ends_with(" breaks the vendor's schema"),
        "{text}"
    );
    assert_eq!(mismatch.expected, "no problems\n", "{text}");
    let got: Vec<&str> = mismatch.got.lines().collect();
    assert!(got.len() >= 2, "{text}");
    assert!(got.iter().any(|l| l.contains("prompt")), "{text}");
    assert!(got.last().unwrap().starts_with("in: {"), "{text}");
    assert!(text.contains("curl "), "{text}");
}

/// The bots and numbers of `base`, each number without its `updated_at` (which a link moves for good).
fn account_snapshot(rt: &tokio::runtime::Runtime, base: &str, key: &str) -> serde_json::Value {
    rt.block_on(async {
        openmic_contract::install_crypto_provider();
        let client = reqwest::Client::new();
        let get = |path: &str| {
            client
                .get(format!("{base}{path}?limit=100"))
                .bearer_auth(key)
                .send()
        };
        let bots: serde_json::Value = get("/v1/bots").await.unwrap().json().await.unwrap();
        let mut numbers: serde_json::Value = get("/v1/phone-numbers")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for number in numbers["phone_numbers"].as_array_mut().unwrap() {
            number.as_object_mut().unwrap().remove("updated_at");
        }
        serde_json::json!([bots, numbers])
    })
}

#[test]
fn a_run_with_writes_leaves_the_mock_s_bots_and_links_as_it_found_them() {
    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    let before = account_snapshot(&rt, &mock.uri(), mock.api_key());
    let (report, text) = run_suite(&mock.uri(), mock.api_key(), |c| {
        c.allow_writes = true;
        c.only = writes();
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), writes().len(), "{text}");
    assert_eq!(account_snapshot(&rt, &mock.uri(), mock.api_key()), before);
}

#[test]
fn a_failed_bot_in_use_leaves_no_bot_behind() {
    for fault in [
        ResponderFault::DeleteIgnoresLinks,
        ResponderFault::BotInUseWithoutError,
    ] {
        let rt = runtime();
        let server = responder_server(&rt, Some(fault));
        let before = account_snapshot(&rt, &server.uri(), SECRET_KEY);
        let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
            c.allow_writes = true;
            c.only = vec!["bot_in_use".into()];
        });
        assert_eq!(report.failed_names(), ["bot_in_use"], "{fault:?}:\n{text}");
        let after = account_snapshot(&rt, &server.uri(), SECRET_KEY);
        assert!(
            after == before,
            "{fault:?}: {after:#}\nwas {before:#}\n{text}"
        );
    }
}

#[test]
fn a_budgeted_remote_run_with_writes_puts_back_what_it_changed_when_shares_run_out_mid_case() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    // 0.0.0.0 reaches the loopback listener, and the kit does not count it as this machine.
    let remote = server.uri().replace("127.0.0.1", "0.0.0.0");
    let before = account_snapshot(&rt, &server.uri(), SECRET_KEY);
    // Every few budgets from one that ends in the first case to one that runs several cases of each.
    for max_requests in (12..80).step_by(3).chain([97, 150, 400]) {
        let (report, text) = run_suite(&remote, SECRET_KEY, |c| {
            c.allow_writes = true;
            c.limits = openmic_contract::Limits {
                max_requests,
                rate_per_minute: None,
            };
            c.allow_create = true;
            c.only = writes();
        });
        assert_eq!(report.failed(), 0, "{text}");
        assert!(report.requests <= max_requests, "{text}");
        let after = account_snapshot(&rt, &server.uri(), SECRET_KEY);
        assert!(
            after == before,
            "budget {max_requests}: {:#}\nwas {:#}\n{text}",
            after,
            before
        );
    }
}

#[test]
fn the_account_is_listed_only_when_a_property_needs_it() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (_, calls_only) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["auth".into()];
    });
    assert!(!calls_only.contains("account:"), "{calls_only}");
    let (_, creates) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["create_shape".into()];
    });
    assert!(
        creates.contains("account: 6 bots and 6 phone numbers listed in 2 requests"),
        "{creates}"
    );
}

#[test]
fn a_failing_write_property_prints_a_curl_line_with_its_method_and_a_replay_line_with_allow_writes()
{
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::BotPatchKeepsUpdatedAt));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.allow_writes = true;
        c.only = vec!["bot_update".into()];
    });
    assert_eq!(report.failed_names(), ["bot_update"], "{text}");
    assert!(
        text.contains("--allow-writes --seed 20260101 --property bot_update"),
        "{text}"
    );
    assert!(
        text.contains(" -X PATCH -H 'Content-Type: application/json' --data-raw '{"),
        "{text}"
    );
}

#[test]
fn on_a_remote_target_the_creates_and_the_linked_calls_share_max_creates() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let remote = server.uri().replace("127.0.0.1", "0.0.0.0");
    let (report, text) = run_suite(&remote, SECRET_KEY, |c| {
        c.limits = openmic_contract::Limits::UNLIMITED;
        c.allow_create = true;
        c.allow_writes = true;
        c.only = vec![
            "create_validation".into(),
            "create_shape".into(),
            "create_then_found".into(),
            "linked_agent_call".into(),
        ];
    });
    assert_eq!(report.failed(), 0, "{text}");
    let creates = rt
        .block_on(server.received_requests())
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v1/create-phone-call")
        .count();
    // The default 5: 2 kept for linked_agent_call, 1 for each create property.
    assert_eq!(creates, 5, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS linked_agent_call ") && l.contains(" 2 cases")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS create_shape ") && l.contains(" 1 cases")),
        "{text}"
    );
}

#[test]
fn max_creates_of_one_runs_one_linked_call_whole() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let before = account_snapshot(&rt, &server.uri(), SECRET_KEY);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.allow_writes = true;
        c.max_creates = 1;
        c.only = vec!["linked_agent_call".into()];
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert!(
        text.lines().any(
            |l| l.starts_with("PASS linked_agent_call ") && l.ends_with(" 1 cases, 3 requests")
        ),
        "one case (link, create, put the link back), and no case started that the budget stops\n{text}"
    );
    assert_eq!(
        account_snapshot(&rt, &server.uri(), SECRET_KEY),
        before,
        "{text}"
    );
}

#[test]
fn on_a_budgeted_target_every_account_property_gets_its_share_of_the_budget() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let remote = server.uri().replace("127.0.0.1", "0.0.0.0");
    let (report, text) = run_suite(&remote, SECRET_KEY, |c| {
        c.limits = openmic_contract::Limits {
            max_requests: 300,
            rate_per_minute: None,
        };
        c.only = ACCOUNT_PROPERTIES
            .iter()
            .map(|p| p.name.to_string())
            .collect();
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.passed(), ACCOUNT_PROPERTIES.len(), "{text}");
    assert!(report.requests <= 300, "{text}");
    // 300 less 5 for the listings, shared evenly by the 16 (the three shape checks send nothing, and leave
    // their shares unused): 18 to 21 requests for each of the other 13.
    assert!(report.requests >= 250, "{text}");
}

#[test]
fn a_server_without_bots_runs_the_phone_number_properties_and_skips_the_bots_ones() {
    let rt = runtime();
    let server = rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::path("/v1/bots"))
            .respond_with(wiremock::ResponseTemplate::new(404))
            .with_priority(1)
            .mount(&server)
            .await;
        openmic_contract::OpenMicResponder::new(openmic_fixtures::default_calls())
            .api_key(SECRET_KEY)
            .mount(&server)
            .await;
        server
    });
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.suites = vec![openmic_contract::server::Suite::Account];
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert!(!text.contains("not implemented"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS phone_numbers_list ")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("SKIP bots_list ")
            && l.ends_with("the target does not serve GET /v1/bots (see the listing line)")),
        "{text}"
    );
}
