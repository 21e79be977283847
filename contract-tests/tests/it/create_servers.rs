//! The create-phone-call properties: a correct responder passes them after every list property; each create
//! fault is caught by the property that owns its rule, on every seed; on a target that is not this machine they
//! are skipped without `--allow-create`; and a run never sends more requests that could create a call than
//! `--max-creates`, a lenient server's shrinking included.

use openmic_contract::server::{
    CREATE_NOT_ALLOWED, CREATE_PROPERTIES, DEFAULT_MAX_CREATES_REMOTE, Verdict, create_refusal,
};
use openmic_contract::{Limits, ResponderFault, ServerSuiteConfig, Target};

use crate::helpers::{SECRET_KEY, responder_server, run_suite, runtime};

const CREATE_NAMES: [&str; 3] = ["create_validation", "create_shape", "create_then_found"];

/// The requests a wiremock server received that could have created a call.
fn posts(rt: &tokio::runtime::Runtime, server: &wiremock::MockServer) -> usize {
    rt.block_on(server.received_requests())
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count()
}

/// The server's URI with `0.0.0.0` for its host: Linux connects that address to the loopback listener, and
/// the kit does not count it as loopback, so this is how a test runs against a "remote" target.
fn as_remote(server: &wiremock::MockServer) -> String {
    server.uri().replace("127.0.0.1", "0.0.0.0")
}

#[test]
fn the_correct_responder_passes_every_create_property_after_every_list_property() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert_eq!(report.failed(), 0, "{text}");
    let names: Vec<&str> = report.results.iter().map(|r| r.name).collect();
    // The create properties come after every read, and only the writes (skipped here) after them.
    let writes = openmic_contract::server::WRITE_PROPERTIES.len()
        + openmic_contract::server::CALLING_WRITE_PROPERTIES.len();
    let end = names.len() - writes;
    assert_eq!(&names[end - 3..end], CREATE_NAMES, "{text}");
    for name in CREATE_NAMES {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("PASS {name} ")) && l.contains(" 32 cases")),
            "{name}:\n{text}"
        );
    }
    assert!(
        text.contains("creates: at most 100 requests to POST /v1/create-phone-call"),
        "{text}"
    );
    assert!(posts(&rt, &server) <= 100);
    // Every rule passes but those only the writes decide (17g, 17m, 17j), not run without allow_writes.
    for (rule, _, verdict) in &report.drift {
        let expected = if ["17g", "17m", "17j"].contains(rule) {
            Verdict::NotTested
        } else {
            Verdict::Pass
        };
        assert_eq!(*verdict, expected, "{rule}:\n{text}");
    }
}

/// Each fault must fail its property on every seed tried (a boundary case shows it first), and no list
/// property: the create properties run after them.
fn assert_create_caught(fault: ResponderFault, property: &'static str) {
    let rt = runtime();
    let server = responder_server(&rt, Some(fault));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert!(
        report.failed_names().contains(&property),
        "{fault:?} should fail `{property}`; failed: {:?}\n{text}",
        report.failed_names()
    );
    assert!(
        report
            .failed_names()
            .iter()
            .all(|name| CREATE_NAMES.contains(name)),
        "{fault:?} failed a list property:\n{text}"
    );
    let failure = report.failure(property).unwrap();
    let input = failure.mismatch.input.as_deref().unwrap_or_default();
    assert!(input.contains("POST /v1/create-phone-call"), "{text}");
    assert!(!text.contains(SECRET_KEY), "{text}");
    for seed in 0..4 {
        let server = responder_server(&rt, Some(fault));
        let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
            c.seed = seed;
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

macro_rules! create_caught_by {
    ($($test:ident: $fault:ident => $property:literal,)+) => {
        $(
            #[test]
            fn $test() {
                assert_create_caught(ResponderFault::$fault, $property);
            }
        )+
    };
}

create_caught_by! {
    a_200_instead_of_201_is_caught_by_create_shape: CreateAnswers200 => "create_shape",
    a_timestamp_in_the_201_body_is_caught_by_create_shape: CreateAddsTimestamp => "create_shape",
    a_201_body_without_customer_id_is_caught_by_create_shape: CreateDropsCustomerId => "create_shape",
    keys_in_alphabetical_order_are_caught_by_create_shape: CreateKeysSorted => "create_shape",
    a_call_id_answered_twice_is_caught_by_create_shape: CreateRepeatsCallId => "create_shape",
    an_override_agent_ignored_is_caught_by_create_shape: CreateIgnoresOverrideAgent => "create_shape",
    a_number_without_its_plus_accepted_is_caught_by_create_validation: CreateAcceptsBadNumber => "create_validation",
    a_wrong_400_error_text_is_caught_by_create_validation: CreateWrongErrorText => "create_validation",
    a_text_plain_body_accepted_is_caught_by_create_validation: CreateIgnoresContentType => "create_validation",
    an_unknown_override_agent_accepted_is_caught_by_create_validation: CreateAcceptsUnknownAgent => "create_validation",
    a_from_number_not_of_the_account_accepted_is_caught_by_create_validation: CreateAcceptsForeignNumber => "create_validation",
    a_number_inside_an_array_accepted_is_caught_by_create_validation: CreateStringifiesFields => "create_validation",
    a_body_inside_an_array_accepted_is_caught_by_create_validation: CreateUnwrapsArrayBody => "create_validation",
    a_null_body_that_crashes_the_server_is_caught_by_create_validation: CreateCrashesOnNullBody => "create_validation",
    a_401_without_its_message_is_caught_by_create_validation: CreateUnauthorizedWithoutMessage => "create_validation",
    a_created_call_get_call_cannot_find_is_caught_by_create_then_found: CreatedCallNotStored => "create_then_found",
    a_created_call_list_calls_leaves_out_is_caught_by_create_then_found: CreatedCallNotListed => "create_then_found",
    a_stored_call_without_customer_id_is_caught_by_create_then_found: CreatedCallLosesCustomerId => "create_then_found",
    a_created_call_read_back_malformed_is_caught_by_create_then_found: CreatedCallStatusUpperCase => "create_then_found",
    a_created_call_listed_malformed_is_caught_by_create_then_found: CreatedCallListedMalformed => "create_then_found",
}

#[test]
fn a_wrong_error_text_shows_the_documented_one_and_the_servers_message() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::CreateWrongErrorText));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["create_validation".into()]
    });
    let mismatch = &report.failure("create_validation").unwrap().mismatch;
    assert_eq!(
        mismatch.rule, "to_number \"12125550100\" is not E.164: 400",
        "{text}"
    );
    assert!(
        mismatch
            .expected
            .contains("\"error\": \"Invalid request format, please check API reference.\""),
        "{text}"
    );
    assert!(
        mismatch.got.contains("\"error\": \"Invalid request body\""),
        "{text}"
    );
    assert!(
        text.contains("-H 'Content-Type: application/json' --data-raw '{\"from_number\":"),
        "the curl line carries the body:\n{text}"
    );
}

#[test]
fn a_201_with_its_keys_out_of_order_shows_both_orders_of_keys() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::CreateKeysSorted));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["create_shape".into()]
    });
    let mismatch = &report.failure("create_shape").unwrap().mismatch;
    assert!(
        mismatch.expected.starts_with(
            "HTTP 201\nkeys: call_type, from_number, to_number, direction, call_id, agent_id, call_status"
        ),
        "{text}"
    );
    assert!(
        mismatch
            .got
            .starts_with("HTTP 201\nkeys: agent_id, call_id, call_status, call_type, "),
        "{text}"
    );
}

#[test]
fn a_server_taking_any_key_is_caught_by_create_validation_too() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::NoAuthCheck));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["create_validation".into()]
    });
    assert_eq!(report.failed_names(), ["create_validation"], "{text}");
    let mismatch = &report.failure("create_validation").unwrap().mismatch;
    assert_eq!(mismatch.boundary.as_deref(), Some("another key"), "{text}");
    assert!(
        mismatch
            .rule
            .starts_with("a missing or invalid key: the documented 401"),
        "{text}"
    );
}

#[test]
fn an_accepted_invalid_request_says_a_call_may_have_been_created() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::CreateAcceptsBadNumber));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.only = vec!["create_validation".into()]
    });
    let rule = &report.failure("create_validation").unwrap().mismatch.rule;
    assert!(
        rule.ends_with("(it was accepted: a call may have been created)"),
        "{text}"
    );
}

#[test]
fn a_remote_target_skips_the_create_properties_without_allow_create_and_sends_no_post() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let target = as_remote(&server);
    assert!(!Target::new(&target, SECRET_KEY).is_local());
    let (report, text) = run_suite(&target, SECRET_KEY, |c| c.limits = Limits::UNLIMITED);
    assert_eq!(report.failed(), 0, "{text}");
    for name in CREATE_NAMES {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("SKIP {name} "))
                && l.ends_with("creates real phone calls; pass --allow-create to run")),
            "{name}:\n{text}"
        );
    }
    assert_eq!(report.passed(), 30, "{text}");
    assert!(!text.contains("creates: at most"), "{text}");
    assert_eq!(posts(&rt, &server), 0);
}

#[test]
fn a_remote_target_with_allow_create_sends_at_most_five_creates_by_default() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&as_remote(&server), SECRET_KEY, |c| {
        c.limits = Limits::UNLIMITED;
        c.allow_create = true;
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(
        posts(&rt, &server),
        DEFAULT_MAX_CREATES_REMOTE as usize,
        "{text}"
    );
    assert!(text.contains("creates: at most 5 requests"), "{text}");
    for name in CREATE_NAMES {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("PASS {name} "))
                    && l.contains("(budget reached after ")),
            "{name}:\n{text}"
        );
    }
}

#[test]
fn a_remote_run_within_a_request_budget_keeps_to_it_with_creates_allowed() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&as_remote(&server), SECRET_KEY, |c| {
        c.limits = Limits {
            max_requests: 80,
            rate_per_minute: None,
        };
        c.allow_create = true;
    });
    let received = rt.block_on(server.received_requests()).unwrap().len();
    assert!(received <= 80, "{received}\n{text}");
    assert_eq!(report.failed(), 0, "{text}");
    assert!(posts(&rt, &server) <= 5);
}

#[test]
fn max_creates_bounds_a_lenient_server_shrinking_included() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::CreateAcceptsBadNumber));
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.max_creates = 3;
        c.only = vec!["create_validation".into()];
    });
    assert_eq!(report.failed_names(), ["create_validation"], "{text}");
    assert!(posts(&rt, &server) <= 3, "{text}");
}

#[test]
fn max_creates_is_shared_between_the_create_properties_and_used_exactly() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| c.max_creates = 7);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(posts(&rt, &server), 7, "{text}");
}

#[test]
fn a_replay_line_of_a_create_property_carries_allow_create_and_max_creates() {
    let rt = runtime();
    let server = responder_server(&rt, Some(ResponderFault::CreateKeysSorted));
    let (report, text) = run_suite(&as_remote(&server), SECRET_KEY, |c| {
        c.limits = Limits::UNLIMITED;
        c.allow_create = true;
        c.max_creates = 4;
        c.only = vec!["create_shape".into()];
    });
    assert_eq!(report.failed_names(), ["create_shape"], "{text}");
    assert!(
        text.contains(" --allow-create --max-creates 4 --seed 20260101 --property create_shape"),
        "{text}"
    );
}

#[test]
fn no_creates_left_skips_a_create_property_instead_of_failing_it() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| c.max_creates = 1);
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(posts(&rt, &server), 1, "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("SKIP create_validation")
            && l.ends_with("no creates left within --max-creates")),
        "{text}"
    );
}

#[test]
fn only_a_remote_target_without_allow_create_refuses_creates() {
    let local = Target::new("http://127.0.0.1:8080", "k");
    let remote = Target::new("https://api.openmic.ai", "k");
    assert_eq!(create_refusal(&local, false), None);
    assert_eq!(create_refusal(&local, true), None);
    assert_eq!(create_refusal(&remote, true), None);
    assert_eq!(create_refusal(&remote, false), Some(CREATE_NOT_ALLOWED));
    assert_eq!(
        CREATE_NOT_ALLOWED,
        "creates real phone calls; pass --allow-create to run"
    );
    let config = ServerSuiteConfig::new(remote);
    assert!(!config.allow_create);
    assert_eq!(config.max_creates, 5);
    assert_eq!(ServerSuiteConfig::new(local).max_creates, 100);
}

#[test]
fn the_create_table_is_listed_by_an_unknown_property_error() {
    let mut config = ServerSuiteConfig::new(Target::new("http://127.0.0.1:9", "k"));
    config.only = vec!["nope".into()];
    let err = openmic_contract::server::run(&config, &mut Vec::new(), None).unwrap_err();
    for property in CREATE_PROPERTIES {
        assert!(err.to_string().contains(property.name), "{err}");
    }
}

#[test]
fn every_kind_of_invalid_request_agrees_with_the_mock_on_many_seeds() {
    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    for seed in 0..3 {
        let (report, text) = run_suite(&mock.uri(), mock.api_key(), |c| {
            c.seed = seed;
            c.cases = 300;
            c.max_creates = 300;
            c.only = vec!["create_validation".into()];
        });
        assert_eq!(report.failed(), 0, "seed {seed}:\n{text}");
        assert!(text.contains("PASS create_validation"), "{text}");
    }
    assert_eq!(mock.calls().len(), 300, "no invalid request created a call");
}

#[test]
fn a_created_call_that_has_already_ended_or_failed_keeps_its_identity() {
    use openmic_mock::CallOutcome;
    use openmic_mock::CallStatus;

    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    // Every call created from now on rings for 0 ms and talks for 0 or 1 ms: by the time the kit asks Get Call
    // and List Calls, it has moved on from `registered`.
    let outcomes = (0..200)
        .map(|i| CallOutcome {
            status: Some(if i % 2 == 0 {
                CallStatus::Ended
            } else {
                CallStatus::Error
            }),
            ring_ms: Some(0),
            talk_ms: Some(i % 2),
            ..CallOutcome::default()
        })
        .collect();
    mock.push_outcomes(outcomes).unwrap();
    let (report, text) = run_suite(&mock.uri(), mock.api_key(), |c| {
        c.only = vec!["create_then_found".into()];
    });
    assert_eq!(report.failed(), 0, "{text}");
    // The last call created may be 1 ms into its talk when the run ends: let it end before looking.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let created: Vec<_> = mock
        .calls()
        .into_iter()
        .filter(|c| c.to_number.contains("55501"))
        .collect();
    assert_eq!(created.len(), 32, "{text}");
    assert!(
        created
            .iter()
            .all(|c| matches!(c.call_status, CallStatus::Ended | CallStatus::Error)),
        "{created:#?}"
    );
}

#[test]
fn calls_an_earlier_run_created_that_are_still_in_flight_are_left_out_of_the_oracle() {
    use openmic_mock::CallOutcome;

    let rt = runtime();
    let mock = rt
        .block_on(openmic_mock::MockServer::builder().start())
        .unwrap();
    // The first run's calls start one after another over the next few seconds and talk for two: they start,
    // grow their transcript and end while the second run lists and checks.
    let outcomes = (0..64)
        .map(|i| CallOutcome {
            ring_ms: Some(200 + i * 60),
            talk_ms: Some(2_000),
            ..CallOutcome::default()
        })
        .collect();
    mock.push_outcomes(outcomes).unwrap();
    let (first, text) = run_suite(&mock.uri(), mock.api_key(), |c| {
        c.only = vec!["create_shape".into(), "create_then_found".into()];
    });
    assert_eq!(first.failed(), 0, "{text}");
    let (second, text) = run_suite(&mock.uri(), mock.api_key(), |c| c.seed = 3);
    assert_eq!(second.failed(), 0, "{text}");
    assert!(
        text.contains("  in flight: 64 calls an earlier run created are still playing out"),
        "{text}"
    );
    assert!(second.data.until.is_some());
    assert!(
        second
            .data
            .calls
            .iter()
            .all(|(c, _)| !c.to_number.contains("55501")),
        "{text}"
    );
}

/// A server that implements only List Calls and Get Call, as a team's own fake may: `POST
/// /v1/create-phone-call` is a 405, the account's lists 404.
fn list_only_server(rt: &tokio::runtime::Runtime) -> wiremock::MockServer {
    use wiremock::matchers::{method, path, path_regex};
    rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("GET"))
            .and(path_regex(r"^/v1/calls?(/.*)?$"))
            .respond_with(
                openmic_contract::OpenMicResponder::new(openmic_fixtures::default_calls())
                    .api_key(SECRET_KEY),
            )
            .mount(&server)
            .await;
        wiremock::Mock::given(path("/v1/create-phone-call"))
            .respond_with(wiremock::ResponseTemplate::new(405))
            .mount(&server)
            .await;
        server
    })
}

#[test]
fn a_list_only_server_gets_one_not_implemented_line_per_suite_and_passes_the_rest() {
    let rt = runtime();
    let server = list_only_server(&rt);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |_| {});
    assert_eq!(report.failed(), 0, "{text}");
    assert!(
        text.contains(
            "suite create: not implemented by the target (POST /v1/create-phone-call answered 405); its 3 selected properties not run"
        ),
        "{text}"
    );
    assert!(
        text.contains("suite account: not implemented by the target (GET /v1/bots answered 404, GET /v1/phone-numbers answered 404)"),
        "{text}"
    );
    for name in CREATE_NAMES {
        assert!(!text.contains(name), "{name}:\n{text}");
    }
    assert!(
        text.contains("  suites run: list; not run: account (not implemented: GET /v1/bots answered 404, GET /v1/phone-numbers answered 404), create (not implemented: POST /v1/create-phone-call answered 405), writes (not implemented: "),
        "{text}"
    );
    // One probe, an empty object that a server with create-phone-call refuses with a 400: no call placed.
    assert_eq!(posts(&rt, &server), 1);
}

#[test]
fn a_run_that_skips_a_suite_sends_none_of_its_requests_and_says_so() {
    use openmic_contract::server::{Suite, SuiteState};
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.suites = vec![Suite::List];
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(posts(&rt, &server), 0, "{text}");
    assert_eq!(
        report.suites,
        [
            (Suite::List, SuiteState::Ran),
            (Suite::Account, SuiteState::NotSelected),
            (Suite::Create, SuiteState::NotSelected),
            (Suite::Writes, SuiteState::NotSelected),
        ]
    );
    assert!(
        text.contains("  suites run: list; not run: account (not selected), create (not selected), writes (not selected)"),
        "{text}"
    );
    assert!(!text.contains("creates: at most"), "{text}");
}

#[test]
fn max_creates_of_zero_sends_no_post_not_even_the_probe() {
    let rt = runtime();
    let server = responder_server(&rt, None);
    let (report, text) = run_suite(&server.uri(), SECRET_KEY, |c| {
        c.max_creates = 0;
        c.suites = vec![openmic_contract::server::Suite::Create];
    });
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(posts(&rt, &server), 0, "{text}");
    assert!(!text.contains("not implemented"), "{text}");
}
