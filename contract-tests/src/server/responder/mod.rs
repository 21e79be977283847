//! A second server, kept apart from the mock and the oracle on purpose: the kit's self-tests need an outsider.
//!
//! A contract-faithful OpenMic endpoint for wiremock: [`OpenMicResponder`] answers List Calls and Get Call
//! from a data set, create-phone-call by adding to it (`responder/create_call.rs`), and the account's bots and
//! phone numbers, with their writes and links (`responder/account.rs`), and [`mount`] puts it on a
//! `wiremock::MockServer` in one line. For teams whose tests already use wiremock and want a correct OpenMic
//! behind it, without starting `openmic-mock`.
//!
//! This is a second, independent implementation of the contract (its own parsing, filtering and ordering),
//! and the kit's own tests run the whole suite against it. [`ResponderFault`] makes it wrong in exactly one subtle way:
//! the kit uses that to prove each property catches the bug it is meant to catch, and you can use it to
//! prove your client notices.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = wiremock::MockServer::start().await;
//! openmic_contract::server::mount(&server, openmic_fixtures::generate(7, 20)).await;
//! openmic_contract::install_crypto_provider(); // needed only with the `tls` feature
//! let body: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/v1/calls?limit=5", server.uri()))
//!     .bearer_auth("test-key")
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(body["pagination"]["total"], 20);
//! # }
//! ```

mod account;
mod create_call;

use std::cmp::Ordering;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use openmic_fixtures::Call;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::contract::dates::parse_date;

/// The key [`mount`] accepts.
pub const DEFAULT_KEY: &str = "test-key";

/// One deliberate bug. Each leaves everything else correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderFault {
    /// `has_more` is `offset + len <= total`: true on the last page.
    HasMoreOffByOne,
    /// The `to_number` filter is ignored.
    IgnoresToNumber,
    /// `from_date` is exclusive.
    ExclusiveFromDate,
    /// Calls that share a `start_timestamp` come in a different order on each request.
    UnstableTieOrder,
    /// `pagination.total` is the page length.
    TotalIsPageLength,
    /// String filters match prefixes.
    PrefixMatching,
    /// The default `limit` is 25.
    DefaultLimit25,
    /// Any bearer token is accepted.
    NoAuthCheck,
    /// A request without an `Authorization` header is let through (the check runs only on a header that is
    /// there).
    MissingKeyAccepted,
    /// An empty `Authorization` header is let through.
    EmptyHeaderAccepted,
    /// `Bearer ` with no key is let through.
    EmptyTokenAccepted,
    /// A token that starts with the key is let through (the key compared as a prefix).
    KeyPrefixAccepted,
    /// The key is taken under any scheme, `Basic` too.
    AnySchemeAccepted,
    /// The key alone, with no scheme, is let through.
    BareKeyAccepted,
    /// `Bearer` and the key with no space between them are let through.
    SchemeWithoutSpaceAccepted,
    /// List Calls checks its parameters before the key: an invalid one answers 400 to a request without a key.
    ValidatesBeforeAuth,
    /// `GET /v1/calls` without a query string is answered without checking the key (a first page cached in
    /// front of the API).
    UnfilteredListWithoutAuth,
    /// The 400 body says `{"error": "Bad Request"}`.
    WrongErrorBody,
    /// The 400's `message` is an array of the problems, one string each (a validation library's habit).
    InvalidMessageAsArray,
    /// The list drops `recording_url` (get-call keeps it).
    DropsRecordingUrl,
    /// `limit` above 100 is served instead of rejected.
    LimitNotCapped,
    /// Oldest first.
    OldestFirst,
    /// Enum values match case-insensitively (`Ended` is accepted).
    CaseInsensitiveEnums,
    /// A repeated parameter is not rejected: the last value wins.
    RepeatedParameterLastWins,
    /// `limit` given twice: the first is taken (Express's `parseInt` of the array), the other parameters still
    /// refused.
    RepeatedLimitFirstWins,
    /// `offset` given twice: the first is taken, the other parameters still refused.
    RepeatedOffsetFirstWins,
    /// `call_status` given twice: the first is taken, the other parameters still refused.
    RepeatedCallStatusFirstWins,
    /// `call_type` given twice: the first is taken, the other parameters still refused.
    RepeatedCallTypeFirstWins,
    /// `bot_id` given twice: the first is taken, the other parameters still refused.
    RepeatedBotIdFirstWins,
    /// `from_number` given twice: the first is taken, the other parameters still refused.
    RepeatedFromNumberFirstWins,
    /// `from_date` given twice: the first is taken, the other parameters still refused.
    RepeatedFromDateFirstWins,
    /// The undocumented `per_page` is taken as `limit` (an alias some APIs keep).
    PerPageAlias,
    /// The undocumented `agent_id` (the calls' field) is taken as the `bot_id` filter.
    AgentIdAlias,
    /// The undocumented `status` is taken as `call_status`.
    StatusAlias,
    /// Only the first parameter of the query is checked: an invalid value after it is ignored.
    ValidatesOnlyFirstParameter,
    /// `limit` and `offset` are read by the language's integer parser, which takes a leading `+` (`+5`).
    SignedIntegersAccepted,
    /// `customer_id` matches in any case (a case-insensitive collation on that column alone).
    CustomerIdIgnoresCase,
    /// An empty text filter (`customer_id=`) matches the calls whose value is empty: none.
    EmptyFilterMatchesEmpty,
    /// `from_number` matches any number it starts (`LIKE 'value%'` on that column alone).
    FromNumberPrefixMatching,
    /// `from_date` applies only with `to_date` (a range built for the pair alone).
    FromDateIgnoredWithoutToDate,
    /// Unknown parameters are a 400.
    RejectsUnknownParameters,
    /// `/v1/calls/` is a 404.
    NoTrailingSlash,
    /// Bare dates are a 400.
    RejectsBareDates,
    /// Absent optional fields are sent as `null`.
    NullForAbsentFields,
    /// Get-call's 404 body is `{"error": "Not Found"}`.
    WrongNotFoundBody,
    /// Get Call finds a call whose id begins the id asked for (a route pattern without its end anchor): the
    /// id with a character added answers the call.
    GetCallByIdPrefix,
    /// Get Call finds a call whose id begins with the id asked for (`LIKE 'id%'`): the id without its last
    /// character answers the call.
    GetCallByPartialId,
    /// Get Call compares ids in any case (a case-insensitive collation).
    GetCallIgnoresCase,
    /// `has_more` is `offset + len + 1 < total`: false on a page that ends 1 call before the end.
    HasMoreFalseOneLeft,
    /// `has_more` is `offset + len + 2 < total`: false on a page that ends 1 or 2 calls before the end.
    HasMoreFalseTwoLeft,
    /// A page with a non-zero offset and a `limit` below 100 starts one call late, so a walk in smaller pages
    /// skips the first call of every later page (listing in pages of 100 still sees every call).
    OffsetSkipsOne,
    /// A page that reaches the last match leaves it out.
    DropsLastMatch,
    /// An offset at or past the end of the matches is a 400 instead of an empty page.
    OffsetPastEndRejected,
    /// `limit=1` is a 400 (a `> 1` where `>= 1` was meant).
    LimitOneRejected,
    /// `limit=100` serves 99 calls (a `< 100` where `<= 100` was meant).
    LimitHundredServes99,
    /// `has_more` compares with the number of all calls, not of the matches: wrong on a filtered last page.
    HasMoreFromUnfilteredTotal,
    /// `to_date` is exclusive.
    ExclusiveToDate,
    /// Date bounds lose their milliseconds (rounded down to the second).
    DateBoundsToTheSecond,
    /// `to_date` keeps calls up to 1 ms after it.
    ToDateOneMsLate,
    /// `from_date` keeps calls that started 1 ms before it.
    FromDateOneMsEarly,
    /// Not a contract breach: every tenth request answers 500 (the next one is served), like a live API's bad
    /// second. The suite must label it flaky, not fail.
    OccasionalServerError,
    /// Every request answers 500.
    AlwaysServerError,
    /// create-phone-call answers 200 instead of 201.
    CreateAnswers200,
    /// The 201 body carries a `start_timestamp`.
    CreateAddsTimestamp,
    /// The 201 body leaves out `customer_id` (the stored call keeps it).
    CreateDropsCustomerId,
    /// The 201 body's keys come in alphabetical order (what serializing a sorted map gives).
    CreateKeysSorted,
    /// A number without its `+` (or with spaces or dashes) is accepted.
    CreateAcceptsBadNumber,
    /// A 400 of create-phone-call says `{"error": "Invalid request body"}`.
    CreateWrongErrorText,
    /// Any `Content-Type` is read as JSON.
    CreateIgnoresContentType,
    /// An unknown `override_agent_id` is used as is: 201.
    CreateAcceptsUnknownAgent,
    /// A `from_number` that is no number of the account is accepted, with the agent of the first call (a
    /// lookup that falls back to a default instead of refusing).
    CreateAcceptsForeignNumber,
    /// The created call is answered but never stored: Get Call says 404.
    CreatedCallNotStored,
    /// The created call is found by Get Call, but List Calls leaves it out.
    CreatedCallNotListed,
    /// The stored call loses `customer_id` (the 201 body has it).
    CreatedCallLosesCustomerId,
    /// `GET /v1/bots`: `pagination.total` is the page length.
    BotsTotalIsPageLength,
    /// `GET /v1/bots`: a page of two or more with an offset has its first bot again in place of its second.
    BotsPageRepeatsFirst,
    /// `GET /v1/phone-numbers`: `limit` is echoed but not applied: a page runs to the end.
    PhoneNumbersLimitIgnored,
    /// `GET /v1/bots`: a page with an offset lists its bots in reverse order.
    BotsOffsetPageReversed,
    /// `GET /v1/phone-numbers`: a page short of the end has the oldest `limit` numbers past the offset (newest
    /// first), not the newest.
    PhoneNumbersPageTakesOldest,
    /// `GET /v1/phone-numbers`: every page inside the listing has the first numbers (its length and its echoed
    /// offset right), so a walk sees some numbers again and never the rest.
    PhoneNumbersPagesRestartAtFirst,
    /// `GET /v1/phone-numbers`: a page with a non-zero offset starts one record late.
    PhoneNumbersOffsetSkipsOne,
    /// Bots oldest first.
    BotsOldestFirst,
    /// Phone numbers that share a `created_at` come by `phone_number_id` descending.
    PhoneNumbersTiesByIdDescending,
    /// The bots' `name` filter is case-sensitive.
    BotsNameCaseSensitive,
    /// `GET /v1/bots` with `name`: `total` counts the bots the filter matches, but the page lists bots unfiltered
    /// (the count's query has the filter, the page's forgot it).
    BotsNameFilterOnlyCounted,
    /// `created_after` and `created_before` are inclusive.
    BotsCreatedBoundsInclusive,
    /// `GET /v1/bots` serves a `limit` above 100.
    BotsLimitNotCapped,
    /// A repeated parameter of `GET /v1/phone-numbers` is not rejected: the last value wins.
    PhoneNumbersRepeatedLastWins,
    /// Get Bot's 404 body is `{"error": "Not Found"}`.
    BotsWrongNotFoundBody,
    /// Get Phone Number leaves out `name` (the list has it).
    PhoneNumbersGetDropsName,
    /// Bots are served without their required `prompt`.
    BotsWithoutPrompt,
    /// Phone numbers are served without their `+`.
    PhoneNumbersWithoutPlus,
    /// A phone number with no agent for a direction leaves that key out instead of `null`.
    PhoneNumbersOmitNullAgents,
    /// The `phone_number` filter matches the whole number only.
    PhoneNumberFilterExact,
    /// Create and update accept any `max_call_duration`.
    BotCreateAcceptsOutOfRange,
    /// A created bot's `updated_at` is 1 ms after its `created_at`.
    BotCreateUpdatedAtDiffers,
    /// PATCH leaves `updated_at` as it was.
    BotPatchKeepsUpdatedAt,
    /// PATCH replaces a settings object whole instead of merging it.
    BotPatchReplacesSettings,
    /// DELETE answers 200 (with an empty body) instead of 204.
    BotDeleteAnswers200,
    /// Link and unlink answer the message `Bot updated successfully for ...`.
    LinkMessageWrong,
    /// A bot linked to a phone number is deleted (no 409).
    DeleteIgnoresLinks,
    /// create-phone-call without `override_agent_id` takes the agent of the number's newest call, not its linked outbound agent.
    CreateCallIgnoresLink,
    /// create-phone-call's 401 body is `{"error": "Unauthorized"}`, without the documented `message` (a web
    /// framework's default; List Calls' 401 stays right).
    CreateUnauthorizedWithoutMessage,
    /// Get Bot finds the bot whose `uid` the requested id starts with (a route pattern without its end anchor,
    /// or an id parsed up to the first character it does not expect).
    BotsGetByIdPrefix,
    /// Get Phone Number finds a `phone_number_id` whatever the case of the id asked for (a case-insensitive
    /// collation in the database).
    PhoneNumbersGetIgnoresCase,
    /// `POST /v1/bots` answers 200 instead of 201.
    BotCreateAnswers200,
    /// A 400 of the bot endpoints says `{"error": "Invalid request body"}`.
    BotCreateWrongErrorText,
    /// Link with an unknown phone number or bot answers 400 (with the documented 404 body).
    LinkUnknownNumberAnswers400,
    /// Link's 404 says `{"error": "Not Found"}`.
    LinkNotFoundWrongText,
    /// Link's and unlink's errors carry a `code` key besides `error` and `message`.
    LinkErrorsCarryCode,
    /// PATCH resets `voice_speed` and `llm_model_temperature`, when it leaves them out, to their defaults 1.0 and
    /// 0.7 (a typed body read whole, defaults included, instead of only the fields sent).
    BotPatchResetsDefaults,
    /// PATCH leaves `llm_model_temperature` as it was (the update forgets one field).
    BotPatchIgnoresTemperature,
    /// Link takes a `direction` in any case (`Inbound` links inbound).
    LinkDirectionIgnoresCase,
    /// Link with an unknown phone number says unlink's `Phone number with the specified UID was not found.`
    LinkUnknownNumberWrongText,
    /// Link with an unknown bot links it anyway (no check that the bot exists).
    LinkUnknownBotAccepted,
    /// Unlink takes a `direction` other than the three as `both` (a `match` with a catch-all arm).
    UnlinkUnknownDirectionMeansBoth,
    /// Unlink without `phone_number_id` answers 404 (the number looked up as missing) instead of 400.
    UnlinkWithoutNumberAnswers404,
    /// Get Phone Number serves each number's agents as seeded: a link or unlink shows in its answer and in the
    /// list, not there (a cache a write does not refresh).
    PhoneNumberGetStale,
    /// DELETE of a linked bot answers 409 with an empty body.
    BotInUseWithoutError,
    /// A bot a link ever named stays in use: its DELETE answers 409 even once no number links it.
    BotOnceLinkedStaysInUse,
    /// Every create answers the same `call_id` (an id counter that never moves).
    CreateRepeatsCallId,
    /// Get Call serves a created call's `call_status` in upper case (`REGISTERED`); List Calls serves it right.
    CreatedCallStatusUpperCase,
    /// List Calls serves a created call's `call_status` in upper case (`REGISTERED`); Get Call serves it right.
    CreatedCallListedMalformed,
    /// create-phone-call ignores `override_agent_id`: the call gets the number's own agent.
    CreateIgnoresOverrideAgent,
    /// create-phone-call reads each field as JavaScript's `String(value)` would: `["+12125550100"]` is the number.
    CreateStringifiesFields,
    /// create-phone-call reads a body that is an array of one object as that object.
    CreateUnwrapsArrayBody,
    /// create-phone-call answers a `null` body with a 500 (the handler reads a field of it and throws).
    CreateCrashesOnNullBody,
}

impl ResponderFault {
    /// Every fault, in declaration order.
    pub const ALL: [ResponderFault; 127] = [
        ResponderFault::HasMoreOffByOne,
        ResponderFault::IgnoresToNumber,
        ResponderFault::ExclusiveFromDate,
        ResponderFault::UnstableTieOrder,
        ResponderFault::TotalIsPageLength,
        ResponderFault::PrefixMatching,
        ResponderFault::DefaultLimit25,
        ResponderFault::NoAuthCheck,
        ResponderFault::MissingKeyAccepted,
        ResponderFault::EmptyHeaderAccepted,
        ResponderFault::EmptyTokenAccepted,
        ResponderFault::KeyPrefixAccepted,
        ResponderFault::AnySchemeAccepted,
        ResponderFault::BareKeyAccepted,
        ResponderFault::SchemeWithoutSpaceAccepted,
        ResponderFault::ValidatesBeforeAuth,
        ResponderFault::UnfilteredListWithoutAuth,
        ResponderFault::WrongErrorBody,
        ResponderFault::InvalidMessageAsArray,
        ResponderFault::DropsRecordingUrl,
        ResponderFault::LimitNotCapped,
        ResponderFault::OldestFirst,
        ResponderFault::CaseInsensitiveEnums,
        ResponderFault::RepeatedParameterLastWins,
        ResponderFault::RepeatedLimitFirstWins,
        ResponderFault::RepeatedOffsetFirstWins,
        ResponderFault::RepeatedCallStatusFirstWins,
        ResponderFault::RepeatedCallTypeFirstWins,
        ResponderFault::RepeatedBotIdFirstWins,
        ResponderFault::RepeatedFromNumberFirstWins,
        ResponderFault::RepeatedFromDateFirstWins,
        ResponderFault::PerPageAlias,
        ResponderFault::AgentIdAlias,
        ResponderFault::StatusAlias,
        ResponderFault::ValidatesOnlyFirstParameter,
        ResponderFault::SignedIntegersAccepted,
        ResponderFault::CustomerIdIgnoresCase,
        ResponderFault::EmptyFilterMatchesEmpty,
        ResponderFault::FromNumberPrefixMatching,
        ResponderFault::FromDateIgnoredWithoutToDate,
        ResponderFault::RejectsUnknownParameters,
        ResponderFault::NoTrailingSlash,
        ResponderFault::RejectsBareDates,
        ResponderFault::NullForAbsentFields,
        ResponderFault::WrongNotFoundBody,
        ResponderFault::GetCallByIdPrefix,
        ResponderFault::GetCallByPartialId,
        ResponderFault::GetCallIgnoresCase,
        ResponderFault::HasMoreFalseOneLeft,
        ResponderFault::HasMoreFalseTwoLeft,
        ResponderFault::OffsetSkipsOne,
        ResponderFault::DropsLastMatch,
        ResponderFault::OffsetPastEndRejected,
        ResponderFault::LimitOneRejected,
        ResponderFault::LimitHundredServes99,
        ResponderFault::HasMoreFromUnfilteredTotal,
        ResponderFault::ExclusiveToDate,
        ResponderFault::DateBoundsToTheSecond,
        ResponderFault::ToDateOneMsLate,
        ResponderFault::FromDateOneMsEarly,
        ResponderFault::OccasionalServerError,
        ResponderFault::AlwaysServerError,
        ResponderFault::CreateAnswers200,
        ResponderFault::CreateAddsTimestamp,
        ResponderFault::CreateDropsCustomerId,
        ResponderFault::CreateKeysSorted,
        ResponderFault::CreateAcceptsBadNumber,
        ResponderFault::CreateWrongErrorText,
        ResponderFault::CreateIgnoresContentType,
        ResponderFault::CreateAcceptsUnknownAgent,
        ResponderFault::CreateAcceptsForeignNumber,
        ResponderFault::CreatedCallNotStored,
        ResponderFault::CreatedCallNotListed,
        ResponderFault::CreatedCallLosesCustomerId,
        ResponderFault::BotsTotalIsPageLength,
        ResponderFault::BotsPageRepeatsFirst,
        ResponderFault::PhoneNumbersLimitIgnored,
        ResponderFault::BotsOffsetPageReversed,
        ResponderFault::PhoneNumbersPageTakesOldest,
        ResponderFault::PhoneNumbersPagesRestartAtFirst,
        ResponderFault::PhoneNumbersOffsetSkipsOne,
        ResponderFault::BotsOldestFirst,
        ResponderFault::PhoneNumbersTiesByIdDescending,
        ResponderFault::BotsNameCaseSensitive,
        ResponderFault::BotsNameFilterOnlyCounted,
        ResponderFault::BotsCreatedBoundsInclusive,
        ResponderFault::BotsLimitNotCapped,
        ResponderFault::PhoneNumbersRepeatedLastWins,
        ResponderFault::BotsWrongNotFoundBody,
        ResponderFault::PhoneNumbersGetDropsName,
        ResponderFault::BotsWithoutPrompt,
        ResponderFault::PhoneNumbersWithoutPlus,
        ResponderFault::PhoneNumbersOmitNullAgents,
        ResponderFault::PhoneNumberFilterExact,
        ResponderFault::BotCreateAcceptsOutOfRange,
        ResponderFault::BotCreateUpdatedAtDiffers,
        ResponderFault::BotPatchKeepsUpdatedAt,
        ResponderFault::BotPatchReplacesSettings,
        ResponderFault::BotDeleteAnswers200,
        ResponderFault::LinkMessageWrong,
        ResponderFault::DeleteIgnoresLinks,
        ResponderFault::CreateCallIgnoresLink,
        ResponderFault::CreateUnauthorizedWithoutMessage,
        ResponderFault::BotsGetByIdPrefix,
        ResponderFault::PhoneNumbersGetIgnoresCase,
        ResponderFault::BotCreateAnswers200,
        ResponderFault::BotCreateWrongErrorText,
        ResponderFault::LinkUnknownNumberAnswers400,
        ResponderFault::LinkNotFoundWrongText,
        ResponderFault::LinkErrorsCarryCode,
        ResponderFault::BotPatchResetsDefaults,
        ResponderFault::BotPatchIgnoresTemperature,
        ResponderFault::LinkDirectionIgnoresCase,
        ResponderFault::LinkUnknownNumberWrongText,
        ResponderFault::LinkUnknownBotAccepted,
        ResponderFault::UnlinkUnknownDirectionMeansBoth,
        ResponderFault::UnlinkWithoutNumberAnswers404,
        ResponderFault::PhoneNumberGetStale,
        ResponderFault::BotInUseWithoutError,
        ResponderFault::BotOnceLinkedStaysInUse,
        ResponderFault::CreateRepeatsCallId,
        ResponderFault::CreatedCallStatusUpperCase,
        ResponderFault::CreatedCallListedMalformed,
        ResponderFault::CreateIgnoresOverrideAgent,
        ResponderFault::CreateStringifiesFields,
        ResponderFault::CreateUnwrapsArrayBody,
        ResponderFault::CreateCrashesOnNullBody,
    ];

    /// The fault's name as written in Rust (`DropsLastMatch`): how the `broken_server` example is told which
    /// one to serve.
    pub fn name(self) -> &'static str {
        match self {
            ResponderFault::HasMoreOffByOne => "HasMoreOffByOne",
            ResponderFault::IgnoresToNumber => "IgnoresToNumber",
            ResponderFault::ExclusiveFromDate => "ExclusiveFromDate",
            ResponderFault::UnstableTieOrder => "UnstableTieOrder",
            ResponderFault::TotalIsPageLength => "TotalIsPageLength",
            ResponderFault::PrefixMatching => "PrefixMatching",
            ResponderFault::DefaultLimit25 => "DefaultLimit25",
            ResponderFault::NoAuthCheck => "NoAuthCheck",
            ResponderFault::MissingKeyAccepted => "MissingKeyAccepted",
            ResponderFault::EmptyHeaderAccepted => "EmptyHeaderAccepted",
            ResponderFault::EmptyTokenAccepted => "EmptyTokenAccepted",
            ResponderFault::KeyPrefixAccepted => "KeyPrefixAccepted",
            ResponderFault::AnySchemeAccepted => "AnySchemeAccepted",
            ResponderFault::BareKeyAccepted => "BareKeyAccepted",
            ResponderFault::SchemeWithoutSpaceAccepted => "SchemeWithoutSpaceAccepted",
            ResponderFault::ValidatesBeforeAuth => "ValidatesBeforeAuth",
            ResponderFault::UnfilteredListWithoutAuth => "UnfilteredListWithoutAuth",
            ResponderFault::WrongErrorBody => "WrongErrorBody",
            ResponderFault::InvalidMessageAsArray => "InvalidMessageAsArray",
            ResponderFault::DropsRecordingUrl => "DropsRecordingUrl",
            ResponderFault::LimitNotCapped => "LimitNotCapped",
            ResponderFault::OldestFirst => "OldestFirst",
            ResponderFault::CaseInsensitiveEnums => "CaseInsensitiveEnums",
            ResponderFault::RepeatedParameterLastWins => "RepeatedParameterLastWins",
            ResponderFault::RepeatedLimitFirstWins => "RepeatedLimitFirstWins",
            ResponderFault::RepeatedOffsetFirstWins => "RepeatedOffsetFirstWins",
            ResponderFault::RepeatedCallStatusFirstWins => "RepeatedCallStatusFirstWins",
            ResponderFault::RepeatedCallTypeFirstWins => "RepeatedCallTypeFirstWins",
            ResponderFault::RepeatedBotIdFirstWins => "RepeatedBotIdFirstWins",
            ResponderFault::RepeatedFromNumberFirstWins => "RepeatedFromNumberFirstWins",
            ResponderFault::RepeatedFromDateFirstWins => "RepeatedFromDateFirstWins",
            ResponderFault::PerPageAlias => "PerPageAlias",
            ResponderFault::AgentIdAlias => "AgentIdAlias",
            ResponderFault::StatusAlias => "StatusAlias",
            ResponderFault::ValidatesOnlyFirstParameter => "ValidatesOnlyFirstParameter",
            ResponderFault::SignedIntegersAccepted => "SignedIntegersAccepted",
            ResponderFault::CustomerIdIgnoresCase => "CustomerIdIgnoresCase",
            ResponderFault::EmptyFilterMatchesEmpty => "EmptyFilterMatchesEmpty",
            ResponderFault::FromNumberPrefixMatching => "FromNumberPrefixMatching",
            ResponderFault::FromDateIgnoredWithoutToDate => "FromDateIgnoredWithoutToDate",
            ResponderFault::RejectsUnknownParameters => "RejectsUnknownParameters",
            ResponderFault::NoTrailingSlash => "NoTrailingSlash",
            ResponderFault::RejectsBareDates => "RejectsBareDates",
            ResponderFault::NullForAbsentFields => "NullForAbsentFields",
            ResponderFault::WrongNotFoundBody => "WrongNotFoundBody",
            ResponderFault::GetCallByIdPrefix => "GetCallByIdPrefix",
            ResponderFault::GetCallByPartialId => "GetCallByPartialId",
            ResponderFault::GetCallIgnoresCase => "GetCallIgnoresCase",
            ResponderFault::HasMoreFalseOneLeft => "HasMoreFalseOneLeft",
            ResponderFault::HasMoreFalseTwoLeft => "HasMoreFalseTwoLeft",
            ResponderFault::OffsetSkipsOne => "OffsetSkipsOne",
            ResponderFault::DropsLastMatch => "DropsLastMatch",
            ResponderFault::OffsetPastEndRejected => "OffsetPastEndRejected",
            ResponderFault::LimitOneRejected => "LimitOneRejected",
            ResponderFault::LimitHundredServes99 => "LimitHundredServes99",
            ResponderFault::HasMoreFromUnfilteredTotal => "HasMoreFromUnfilteredTotal",
            ResponderFault::ExclusiveToDate => "ExclusiveToDate",
            ResponderFault::DateBoundsToTheSecond => "DateBoundsToTheSecond",
            ResponderFault::ToDateOneMsLate => "ToDateOneMsLate",
            ResponderFault::FromDateOneMsEarly => "FromDateOneMsEarly",
            ResponderFault::OccasionalServerError => "OccasionalServerError",
            ResponderFault::AlwaysServerError => "AlwaysServerError",
            ResponderFault::CreateAnswers200 => "CreateAnswers200",
            ResponderFault::CreateAddsTimestamp => "CreateAddsTimestamp",
            ResponderFault::CreateDropsCustomerId => "CreateDropsCustomerId",
            ResponderFault::CreateKeysSorted => "CreateKeysSorted",
            ResponderFault::CreateAcceptsBadNumber => "CreateAcceptsBadNumber",
            ResponderFault::CreateWrongErrorText => "CreateWrongErrorText",
            ResponderFault::CreateIgnoresContentType => "CreateIgnoresContentType",
            ResponderFault::CreateAcceptsUnknownAgent => "CreateAcceptsUnknownAgent",
            ResponderFault::CreateAcceptsForeignNumber => "CreateAcceptsForeignNumber",
            ResponderFault::CreatedCallNotStored => "CreatedCallNotStored",
            ResponderFault::CreatedCallNotListed => "CreatedCallNotListed",
            ResponderFault::CreatedCallLosesCustomerId => "CreatedCallLosesCustomerId",
            ResponderFault::BotsTotalIsPageLength => "BotsTotalIsPageLength",
            ResponderFault::BotsPageRepeatsFirst => "BotsPageRepeatsFirst",
            ResponderFault::PhoneNumbersLimitIgnored => "PhoneNumbersLimitIgnored",
            ResponderFault::BotsOffsetPageReversed => "BotsOffsetPageReversed",
            ResponderFault::PhoneNumbersPageTakesOldest => "PhoneNumbersPageTakesOldest",
            ResponderFault::PhoneNumbersPagesRestartAtFirst => "PhoneNumbersPagesRestartAtFirst",
            ResponderFault::PhoneNumbersOffsetSkipsOne => "PhoneNumbersOffsetSkipsOne",
            ResponderFault::BotsOldestFirst => "BotsOldestFirst",
            ResponderFault::PhoneNumbersTiesByIdDescending => "PhoneNumbersTiesByIdDescending",
            ResponderFault::BotsNameCaseSensitive => "BotsNameCaseSensitive",
            ResponderFault::BotsNameFilterOnlyCounted => "BotsNameFilterOnlyCounted",
            ResponderFault::BotsCreatedBoundsInclusive => "BotsCreatedBoundsInclusive",
            ResponderFault::BotsLimitNotCapped => "BotsLimitNotCapped",
            ResponderFault::PhoneNumbersRepeatedLastWins => "PhoneNumbersRepeatedLastWins",
            ResponderFault::BotsWrongNotFoundBody => "BotsWrongNotFoundBody",
            ResponderFault::PhoneNumbersGetDropsName => "PhoneNumbersGetDropsName",
            ResponderFault::BotsWithoutPrompt => "BotsWithoutPrompt",
            ResponderFault::PhoneNumbersWithoutPlus => "PhoneNumbersWithoutPlus",
            ResponderFault::PhoneNumbersOmitNullAgents => "PhoneNumbersOmitNullAgents",
            ResponderFault::PhoneNumberFilterExact => "PhoneNumberFilterExact",
            ResponderFault::BotCreateAcceptsOutOfRange => "BotCreateAcceptsOutOfRange",
            ResponderFault::BotCreateUpdatedAtDiffers => "BotCreateUpdatedAtDiffers",
            ResponderFault::BotPatchKeepsUpdatedAt => "BotPatchKeepsUpdatedAt",
            ResponderFault::BotPatchReplacesSettings => "BotPatchReplacesSettings",
            ResponderFault::BotDeleteAnswers200 => "BotDeleteAnswers200",
            ResponderFault::LinkMessageWrong => "LinkMessageWrong",
            ResponderFault::DeleteIgnoresLinks => "DeleteIgnoresLinks",
            ResponderFault::CreateCallIgnoresLink => "CreateCallIgnoresLink",
            ResponderFault::CreateUnauthorizedWithoutMessage => "CreateUnauthorizedWithoutMessage",
            ResponderFault::BotsGetByIdPrefix => "BotsGetByIdPrefix",
            ResponderFault::PhoneNumbersGetIgnoresCase => "PhoneNumbersGetIgnoresCase",
            ResponderFault::BotCreateAnswers200 => "BotCreateAnswers200",
            ResponderFault::BotCreateWrongErrorText => "BotCreateWrongErrorText",
            ResponderFault::LinkUnknownNumberAnswers400 => "LinkUnknownNumberAnswers400",
            ResponderFault::LinkNotFoundWrongText => "LinkNotFoundWrongText",
            ResponderFault::LinkErrorsCarryCode => "LinkErrorsCarryCode",
            ResponderFault::BotPatchResetsDefaults => "BotPatchResetsDefaults",
            ResponderFault::BotPatchIgnoresTemperature => "BotPatchIgnoresTemperature",
            ResponderFault::LinkDirectionIgnoresCase => "LinkDirectionIgnoresCase",
            ResponderFault::LinkUnknownNumberWrongText => "LinkUnknownNumberWrongText",
            ResponderFault::LinkUnknownBotAccepted => "LinkUnknownBotAccepted",
            ResponderFault::UnlinkUnknownDirectionMeansBoth => "UnlinkUnknownDirectionMeansBoth",
            ResponderFault::UnlinkWithoutNumberAnswers404 => "UnlinkWithoutNumberAnswers404",
            ResponderFault::PhoneNumberGetStale => "PhoneNumberGetStale",
            ResponderFault::BotInUseWithoutError => "BotInUseWithoutError",
            ResponderFault::BotOnceLinkedStaysInUse => "BotOnceLinkedStaysInUse",
            ResponderFault::CreateRepeatsCallId => "CreateRepeatsCallId",
            ResponderFault::CreatedCallStatusUpperCase => "CreatedCallStatusUpperCase",
            ResponderFault::CreatedCallListedMalformed => "CreatedCallListedMalformed",
            ResponderFault::CreateIgnoresOverrideAgent => "CreateIgnoresOverrideAgent",
            ResponderFault::CreateStringifiesFields => "CreateStringifiesFields",
            ResponderFault::CreateUnwrapsArrayBody => "CreateUnwrapsArrayBody",
            ResponderFault::CreateCrashesOnNullBody => "CreateCrashesOnNullBody",
        }
    }

    /// The fault called `name`, if any.
    pub fn from_name(name: &str) -> Option<ResponderFault> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Serves `GET /v1/calls` and `GET /v1/call/{id}` per `docs/contract.md`, and `POST /v1/create-phone-call`
/// per the vendor's OpenAPI document (a created call stays `registered`: this responder has no clock).
#[derive(Debug)]
pub struct OpenMicResponder {
    /// Calls in contract order, with their JSON.
    calls: Vec<(Call, Value)>,
    /// Calls created through create-phone-call, in the order they were created.
    created: Mutex<Vec<(Call, Value)>>,
    api_key: String,
    fault: Option<ResponderFault>,
    requests: AtomicU64,
    /// Every request answered, for [`ResponderFault::OccasionalServerError`].
    answered: AtomicU64,
    /// The bots and phone numbers (`responder/account.rs`).
    account: Mutex<account::AccountState>,
}

impl OpenMicResponder {
    /// A responder over `calls`, accepting [`DEFAULT_KEY`].
    pub fn new(calls: Vec<Call>) -> Self {
        let mut calls: Vec<(Call, Value)> = calls
            .into_iter()
            .map(|c| {
                let v = serde_json::to_value(&c).unwrap_or(Value::Null);
                (c, v)
            })
            .collect();
        calls.sort_by(|a, b| newest_first(&a.0, &b.0));
        let account = account::account_of(&calls);
        Self {
            account,
            calls,
            created: Mutex::new(Vec::new()),
            api_key: DEFAULT_KEY.to_string(),
            fault: None,
            requests: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }

    /// Accept this key instead.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// Break one rule on purpose.
    #[must_use]
    pub fn fault(mut self, fault: ResponderFault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Mounts this responder for every request on `server`.
    pub async fn mount(self, server: &MockServer) {
        Mock::given(wiremock::matchers::any())
            .respond_with(self)
            .mount(server)
            .await;
    }

    fn has(&self, fault: ResponderFault) -> bool {
        self.fault == Some(fault)
    }

    fn authorized(&self, request: &Request) -> bool {
        let values: Vec<_> = request.headers.get_all("authorization").iter().collect();
        if values.is_empty() {
            return self.has(ResponderFault::MissingKeyAccepted);
        }
        let [value] = values.as_slice() else {
            return false;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        if value.is_empty() {
            return self.has(ResponderFault::EmptyHeaderAccepted);
        }
        let (scheme, token) = match value.split_once(' ') {
            Some(parts) => parts,
            // `Bearer ` arrives as `Bearer`: a header value's trailing space is not part of it.
            None if value.eq_ignore_ascii_case("bearer") => ("Bearer", ""),
            None if self.has(ResponderFault::BareKeyAccepted) => ("Bearer", value),
            None if self.has(ResponderFault::SchemeWithoutSpaceAccepted) => {
                value.split_at(value.len().min("Bearer".len()))
            }
            None => return false,
        };
        let token = token.trim_start_matches(' ');
        if token.is_empty() {
            return self.has(ResponderFault::EmptyTokenAccepted);
        }
        if !scheme.eq_ignore_ascii_case("bearer") && !self.has(ResponderFault::AnySchemeAccepted) {
            return false;
        }
        self.has(ResponderFault::NoAuthCheck)
            || token == self.api_key
            || (self.has(ResponderFault::KeyPrefixAccepted) && token.starts_with(&self.api_key))
    }

    fn list(&self, request: &Request) -> ResponseTemplate {
        let mut pairs = query_pairs(request);
        // Repeats are still refused; of distinct parameters, the first alone is checked.
        let distinct = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .enumerate()
                .all(|(i, (k, _))| pairs[..i].iter().all(|(other, _)| other != k))
        };
        if self.has(ResponderFault::ValidatesOnlyFirstParameter)
            && pairs.len() > 1
            && distinct(&pairs)
        {
            let rest = pairs.split_off(1);
            pairs.extend(
                rest.into_iter()
                    .filter(|pair| Params::parse(std::slice::from_ref(pair), self).is_ok()),
            );
        }
        let params = match Params::parse(&pairs, self) {
            Ok(params) => params,
            Err(errors) => return self.invalid(&errors),
        };
        let created = self.created_calls();
        let mut matching: Vec<&(Call, Value)> = self
            .calls
            .iter()
            .chain(
                created
                    .iter()
                    .filter(|_| !self.has(ResponderFault::CreatedCallNotListed)),
            )
            .filter(|(c, _)| params.keeps(c, self))
            .collect();
        if !created.is_empty() {
            matching.sort_by(|a, b| newest_first(&a.0, &b.0));
        }
        if self.has(ResponderFault::OldestFirst) {
            matching.reverse();
        }
        if self.has(ResponderFault::UnstableTieOrder) {
            let n = self.requests.fetch_add(1, AtomicOrdering::Relaxed);
            matching.sort_by(|a, b| {
                let (x, y) = (a.0.start_timestamp, b.0.start_timestamp);
                match (x, y) {
                    (Some(x), Some(y)) if x == y => {
                        let h = |id: &str| {
                            id.bytes()
                                .fold(n, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                        };
                        h(&a.0.call_id).cmp(&h(&b.0.call_id))
                    }
                    _ => newest_first(&a.0, &b.0),
                }
            });
        }
        let total = matching.len();
        if self.has(ResponderFault::OffsetPastEndRejected) && total > 0 && params.offset >= total {
            return self.invalid(&[format!("offset must be below {total}")]);
        }
        let take = if self.has(ResponderFault::LimitHundredServes99) && params.limit == 100 {
            99
        } else {
            params.limit
        };
        let mut page: Vec<Value> = matching
            .iter()
            .skip(
                if self.has(ResponderFault::OffsetSkipsOne)
                    && params.offset > 0
                    && params.limit < 100
                {
                    params.offset + 1
                } else {
                    params.offset
                },
            )
            .take(take)
            .map(|(c, v)| {
                let mut v = self.list_view(v);
                if self.has(ResponderFault::CreatedCallListedMalformed)
                    && created.iter().any(|(k, _)| k.call_id == c.call_id)
                    && let Some(status) = v["call_status"].as_str()
                {
                    v["call_status"] = status.to_uppercase().into();
                }
                v
            })
            .collect();
        if self.has(ResponderFault::DropsLastMatch)
            && !page.is_empty()
            && params.offset + page.len() == total
        {
            page.pop();
        }
        let end = params.offset.saturating_add(page.len());
        let has_more = if self.has(ResponderFault::HasMoreOffByOne) {
            end <= total
        } else if self.has(ResponderFault::HasMoreFalseOneLeft) {
            end + 1 < total
        } else if self.has(ResponderFault::HasMoreFalseTwoLeft) {
            end + 2 < total
        } else if self.has(ResponderFault::HasMoreFromUnfilteredTotal) {
            end < self.calls.len() + created.len()
        } else {
            end < total
        };
        let total = if self.has(ResponderFault::TotalIsPageLength) {
            page.len()
        } else {
            total
        };
        json_response(
            200,
            json!({
                "calls": page,
                "pagination": {"limit": params.limit, "offset": params.offset, "total": total, "has_more": has_more},
            }),
        )
    }

    fn list_view(&self, call: &Value) -> Value {
        let mut call = call.clone();
        if let Some(obj) = call.as_object_mut() {
            if self.has(ResponderFault::DropsRecordingUrl) {
                obj.remove("recording_url");
            }
            if self.has(ResponderFault::NullForAbsentFields) {
                for field in ["customer_id", "recording_url", "start_timestamp"] {
                    obj.entry(field).or_insert(Value::Null);
                }
            }
        }
        call
    }

    fn invalid(&self, errors: &[String]) -> ResponseTemplate {
        if self.has(ResponderFault::WrongErrorBody) {
            return json_response(
                400,
                json!({"error": "Bad Request", "message": errors.join("; ")}),
            );
        }
        if self.has(ResponderFault::InvalidMessageAsArray) {
            return json_response(
                400,
                json!({"error": "Invalid query parameters provided.", "message": errors}),
            );
        }
        json_response(
            400,
            json!({"error": "Invalid query parameters provided.", "message": errors.join("; ")}),
        )
    }

    fn get(&self, id: &str) -> ResponseTemplate {
        let created = self.created_calls();
        match self.calls.iter().chain(created.iter()).find(|(c, _)| {
            if self.has(ResponderFault::GetCallByIdPrefix) {
                id.starts_with(c.call_id.as_str())
            } else if self.has(ResponderFault::GetCallByPartialId) {
                !id.is_empty() && c.call_id.starts_with(id)
            } else if self.has(ResponderFault::GetCallIgnoresCase) {
                c.call_id.eq_ignore_ascii_case(id)
            } else {
                c.call_id == id
            }
        }) {
            Some((c, v)) => {
                let mut v = v.clone();
                if self.has(ResponderFault::CreatedCallStatusUpperCase)
                    && created.iter().any(|(k, _)| k.call_id == c.call_id)
                    && let Some(status) = v["call_status"].as_str()
                {
                    v["call_status"] = status.to_uppercase().into();
                }
                json_response(200, v)
            }
            None if self.has(ResponderFault::WrongNotFoundBody) => {
                json_response(404, json!({"error": "Not Found"}))
            }
            None => json_response(
                404,
                json!({"error": "Call with the specified ID was not found."}),
            ),
        }
    }
}

impl Respond for OpenMicResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.answered.fetch_add(1, AtomicOrdering::Relaxed);
        if self.has(ResponderFault::AlwaysServerError)
            || (self.has(ResponderFault::OccasionalServerError) && n % 10 == 9)
        {
            return json_response(500, json!({"error": "Internal Server Error"}));
        }
        let path = request.url.path();
        let trimmed = match path.strip_suffix('/') {
            Some(_) if self.has(ResponderFault::NoTrailingSlash) => path,
            Some(p) => p,
            None => path,
        };
        if let Some(methods) = Self::account_methods(trimmed) {
            if !methods.contains(&request.method.as_str()) {
                return json_response(405, json!({"error": "Method Not Allowed", "message": format!("{} is not allowed on {path}; use {}.", request.method, methods.join(" or "))}))
                    .insert_header("allow", methods.join(", "));
            }
            if !self.authorized(request) {
                return json_response(
                    401,
                    json!({"error": "Unauthorized", "message": "Invalid or expired API key"}),
                );
            }
            return self.account_answer(request, trimmed);
        }
        let route = if trimmed == "/v1/calls" {
            Route::List
        } else if trimmed == create_call::CREATE_PATH {
            Route::Create
        } else if let Some(id) = trimmed
            .strip_prefix("/v1/call/")
            .filter(|id| !id.is_empty() && !id.contains('/'))
        {
            Route::Get(percent_decode(id))
        } else {
            return json_response(
                404,
                json!({"error": "Not Found", "message": format!("No route for {} {path}.", request.method)}),
            );
        };
        let method = if matches!(route, Route::Create) {
            "POST"
        } else {
            "GET"
        };
        if request.method.as_str() != method {
            return json_response(405, json!({"error": "Method Not Allowed", "message": format!("{} is not allowed on {path}; use {method}.", request.method)}))
                .insert_header("allow", method);
        }
        if !self.authorized(request) {
            if matches!(route, Route::List) {
                if self.has(ResponderFault::UnfilteredListWithoutAuth)
                    && request.url.query().is_none()
                {
                    return self.list(request);
                }
                if self.has(ResponderFault::ValidatesBeforeAuth)
                    && let Err(errors) = Params::parse(&query_pairs(request), self)
                {
                    return self.invalid(&errors);
                }
            }
            if matches!(route, Route::Create)
                && self.has(ResponderFault::CreateUnauthorizedWithoutMessage)
            {
                return json_response(401, json!({"error": "Unauthorized"}));
            }
            return json_response(
                401,
                json!({"error": "Unauthorized", "message": "Invalid or expired API key"}),
            );
        }
        match route {
            Route::List => self.list(request),
            Route::Get(Some(id)) => self.get(&id),
            Route::Get(None) => self.get(""),
            Route::Create => self.create(request),
        }
    }
}

/// The query's parameters, decoded, in order.
fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

enum Route {
    List,
    Get(Option<String>),
    Create,
}

/// Mounts a correct OpenMic endpoint serving `calls` on `server`, accepting the key `test-key`.
pub async fn mount(server: &MockServer, calls: Vec<Call>) {
    OpenMicResponder::new(calls).mount(server).await;
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

/// Not started first, then newest `start_timestamp`, ties by `call_id` descending.
fn newest_first(a: &Call, b: &Call) -> Ordering {
    match (a.start_timestamp, b.start_timestamp) {
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (x, y) => y.cmp(&x).then_with(|| b.call_id.cmp(&a.call_id)),
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Validated List Calls parameters.
#[derive(Default)]
struct Params {
    text: Vec<(&'static str, String)>,
    status: Option<String>,
    call_type: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    limit: usize,
    offset: usize,
}

const KNOWN: [&str; 10] = [
    "limit",
    "offset",
    "customer_id",
    "from_number",
    "to_number",
    "bot_id",
    "from_date",
    "to_date",
    "call_status",
    "call_type",
];

/// The fault that takes the first of `name` given twice, for the parameters that have one.
fn first_wins(name: &str) -> Option<ResponderFault> {
    match name {
        "limit" => Some(ResponderFault::RepeatedLimitFirstWins),
        "offset" => Some(ResponderFault::RepeatedOffsetFirstWins),
        "call_status" => Some(ResponderFault::RepeatedCallStatusFirstWins),
        "call_type" => Some(ResponderFault::RepeatedCallTypeFirstWins),
        "bot_id" => Some(ResponderFault::RepeatedBotIdFirstWins),
        "from_number" => Some(ResponderFault::RepeatedFromNumberFirstWins),
        "from_date" => Some(ResponderFault::RepeatedFromDateFirstWins),
        _ => None,
    }
}

impl Params {
    fn parse(
        pairs: &[(String, String)],
        responder: &OpenMicResponder,
    ) -> Result<Params, Vec<String>> {
        let mut errors = Vec::new();
        let mut params = Params {
            limit: if responder.has(ResponderFault::DefaultLimit25) {
                25
            } else {
                50
            },
            ..Params::default()
        };
        for name in KNOWN {
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            let value = match values.as_slice() {
                [] => continue,
                [one] => *one,
                [.., last] if responder.has(ResponderFault::RepeatedParameterLastWins) => *last,
                [first, ..] if first_wins(name).is_some_and(|f| responder.has(f)) => *first,
                _ => {
                    errors.push(format!("{name} must be given at most once"));
                    continue;
                }
            };
            let integer = |v: &str| -> Option<usize> {
                if responder.has(ResponderFault::SignedIntegersAccepted) {
                    // What Rust's `str::parse` takes: a leading `+`.
                    return v.parse().ok();
                }
                (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| v.parse().ok())
                    .flatten()
            };
            let enum_value = |v: &str, allowed: &[&str]| -> Option<String> {
                if responder.has(ResponderFault::CaseInsensitiveEnums) {
                    allowed
                        .iter()
                        .find(|a| a.eq_ignore_ascii_case(v))
                        .map(|a| a.to_string())
                } else {
                    allowed.contains(&v).then(|| v.to_string())
                }
            };
            match name {
                "limit" => match integer(value) {
                    Some(l)
                        if l >= 1
                            && !(l == 1 && responder.has(ResponderFault::LimitOneRejected))
                            && (l <= 100 || responder.has(ResponderFault::LimitNotCapped)) =>
                    {
                        params.limit = l
                    }
                    _ => errors.push(format!(
                        "limit must be an integer from 1 to 100, got {value:?}"
                    )),
                },
                "offset" => match integer(value) {
                    Some(o) => params.offset = o,
                    None => errors.push(format!(
                        "offset must be a non-negative integer, got {value:?}"
                    )),
                },
                "call_status" => {
                    match enum_value(value, &["registered", "ongoing", "ended", "error"]) {
                        Some(s) => params.status = Some(s),
                        None => errors.push(format!("call_status is not a status, got {value:?}")),
                    }
                }
                "call_type" => match enum_value(value, &["phonecall", "webcall"]) {
                    Some(t) => params.call_type = Some(t),
                    None => errors.push(format!("call_type is not a type, got {value:?}")),
                },
                "from_date" | "to_date" => {
                    let bare = value.len() == 10;
                    match parse_date(value)
                        .filter(|_| !(bare && responder.has(ResponderFault::RejectsBareDates)))
                        .map(|ms| {
                            if responder.has(ResponderFault::DateBoundsToTheSecond) {
                                ms - ms.rem_euclid(1000)
                            } else {
                                ms
                            }
                        }) {
                        Some(ms) if name == "from_date" => params.from = Some(ms),
                        Some(ms) => params.to = Some(ms),
                        None => errors.push(format!(
                            "{name} must be an ISO 8601 date-time, got {value:?}"
                        )),
                    }
                }
                _ if value.is_empty()
                    && !responder.has(ResponderFault::EmptyFilterMatchesEmpty) => {}
                _ => params.text.push((name, value.to_string())),
            }
        }
        if responder.has(ResponderFault::RejectsUnknownParameters)
            && let Some((unknown, _)) = pairs.iter().find(|(k, _)| !KNOWN.contains(&k.as_str()))
        {
            errors.push(format!("{unknown} is not a parameter"));
        }
        if responder.has(ResponderFault::PerPageAlias)
            && let Some(limit) = pairs
                .iter()
                .find(|(k, _)| k == "per_page")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .filter(|l| (1..=100).contains(l))
        {
            params.limit = limit;
        }
        if responder.has(ResponderFault::AgentIdAlias)
            && let Some((_, agent)) = pairs.iter().find(|(k, _)| k == "agent_id")
        {
            params.text.push(("bot_id", agent.clone()));
        }
        if responder.has(ResponderFault::StatusAlias)
            && let Some((_, status)) = pairs.iter().find(|(k, _)| k == "status")
        {
            params.status = Some(status.clone());
        }
        if errors.is_empty() {
            Ok(params)
        } else {
            Err(errors)
        }
    }

    fn keeps(&self, call: &Call, responder: &OpenMicResponder) -> bool {
        let start = call.start_timestamp.map(|t| t.millis() as i64);
        let text_ok = self.text.iter().all(|(name, wanted)| {
            let actual = match *name {
                "customer_id" => call.customer_id.as_deref(),
                "from_number" => Some(call.from_number.as_str()),
                "to_number" if responder.has(ResponderFault::IgnoresToNumber) => return true,
                "to_number" => Some(call.to_number.as_str()),
                _ => Some(call.agent_id.as_str()),
            };
            match actual {
                Some(a) if responder.has(ResponderFault::PrefixMatching) => {
                    a.starts_with(wanted.as_str())
                }
                Some(a)
                    if *name == "customer_id"
                        && responder.has(ResponderFault::CustomerIdIgnoresCase) =>
                {
                    a.eq_ignore_ascii_case(wanted)
                }
                Some(a)
                    if *name == "from_number"
                        && responder.has(ResponderFault::FromNumberPrefixMatching) =>
                {
                    a.starts_with(wanted.as_str())
                }
                Some(a) => a == wanted,
                None => false,
            }
        });
        let from_ok = match (self.from, start) {
            (None, _) => true,
            (Some(_), _)
                if self.to.is_none()
                    && responder.has(ResponderFault::FromDateIgnoredWithoutToDate) =>
            {
                true
            }
            (Some(_), None) => false,
            (Some(f), Some(s)) if responder.has(ResponderFault::ExclusiveFromDate) => s > f,
            (Some(f), Some(s)) if responder.has(ResponderFault::FromDateOneMsEarly) => s >= f - 1,
            (Some(f), Some(s)) => s >= f,
        };
        let to_ok = match (self.to, start) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(t), Some(s)) if responder.has(ResponderFault::ExclusiveToDate) => s < t,
            (Some(t), Some(s)) if responder.has(ResponderFault::ToDateOneMsLate) => s <= t + 1,
            (Some(t), Some(s)) => s <= t,
        };
        text_ok
            && from_ok
            && to_ok
            && self
                .status
                .as_deref()
                .is_none_or(|s| s == call.call_status.as_str())
            && self
                .call_type
                .as_deref()
                .is_none_or(|t| t == call.call_type.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_reads_each_escape_as_one_byte_and_refuses_a_broken_one() {
        assert_eq!(percent_decode("c%41b").as_deref(), Some("cAb"));
        assert_eq!(percent_decode("%41%42c").as_deref(), Some("ABc"));
        assert_eq!(percent_decode("a%2Fb%20").as_deref(), Some("a/b "));
        assert_eq!(percent_decode("%E2%82%AC").as_deref(), Some("€"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        for broken in ["%4", "%", "a%zz", "%FF"] {
            assert_eq!(percent_decode(broken), None, "{broken}");
        }
    }
}
