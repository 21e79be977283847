//! The account's oracle: what `GET /v1/bots` and `GET /v1/phone-numbers` must answer, the shape of a bot and of
//! a phone number, and the bodies of the bot and link endpoints.
//!
//! Written from the vendor's OpenAPI document (`BotResponse`, `CallSettings`, `AdvancedSettings`,
//! `PostCallSettings`, `PhoneNumberResponse`, `LinkBotToPhoneNumberResponse`, the error examples) and the
//! assumptions `docs/contract-kit.md` names, apart from the mock and from the fixtures' field rules
//! (`openmic_fixtures::check_bot`): records are plain JSON values here, and every rule is written again, the
//! plainest way.
//!
//! Assumed (the vendor is silent), and named in the drift report: newest `created_at` first with ties by id
//! ascending; `name` a case-insensitive substring, `phone_number` a substring; `created_after` and
//! `created_before` strict; a phone number always carries both agent keys, `null` when none.

use std::cmp::Ordering;

use serde_json::{Value, json};

use crate::contract::dates::parse_date;
use crate::contract::reference::{DEFAULT_LIMIT, DateBound};

/// The documented 404 body of Get Bot (and of Update and Delete Bot).
pub const BOT_NOT_FOUND: &str = "Bot with the specified UID was not found.";
/// The documented 404 body of Get Phone Number (and of unlink).
pub const NUMBER_NOT_FOUND: &str = "Phone number with the specified UID was not found.";
/// The documented 404 of link-agent.
pub const LINK_NOT_FOUND: &str = "The specified phone number or bot was not found.";
/// The documented 400 of link-agent for a direction that is not one of the three.
pub const BAD_DIRECTION: &str =
    "Invalid direction specified. Must be one of 'inbound', 'outbound', 'both'.";
/// The documented 400 of unlink-agent.
pub const INVALID_BODY: &str = "Invalid request body.";
/// The link endpoints.
pub const LINK_PATH: &str = "/v1/phone-numbers/link-agent";
/// See [`LINK_PATH`].
pub const UNLINK_PATH: &str = "/v1/phone-numbers/unlink-agent";
/// The three directions a bot is linked for.
pub const DIRECTIONS: [&str; 3] = ["inbound", "outbound", "both"];

/// The 200 `message` of link (`linked`) or unlink for `direction`, as the vendor's examples word it.
pub fn link_message(direction: &str, linked: bool) -> String {
    let verb = if linked { "linked" } else { "unlinked" };
    let calls = match direction {
        "both" => "inbound and outbound calls",
        "inbound" => "inbound calls",
        _ => "outbound calls",
    };
    format!("Bot {verb} successfully for {calls}.")
}

/// One of the two listed resources of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `GET /v1/bots`, `GET /v1/bots/{uid}`.
    Bots,
    /// `GET /v1/phone-numbers`, `GET /v1/phone-numbers/{uid}`.
    PhoneNumbers,
}

impl Resource {
    /// The list path (the get path is this plus `/{id}`).
    pub fn path(self) -> &'static str {
        match self {
            Resource::Bots => "/v1/bots",
            Resource::PhoneNumbers => "/v1/phone-numbers",
        }
    }

    /// The key of the page's array.
    pub fn items_key(self) -> &'static str {
        match self {
            Resource::Bots => "bots",
            Resource::PhoneNumbers => "phone_numbers",
        }
    }

    /// The field that identifies a record, and is the `{uid}` of its get path.
    pub fn id_field(self) -> &'static str {
        match self {
            Resource::Bots => "uid",
            Resource::PhoneNumbers => "phone_number_id",
        }
    }

    /// `bots`, `phone numbers`: for messages.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Bots => "bots",
            Resource::PhoneNumbers => "phone numbers",
        }
    }

    /// The documented 404 body of the get path.
    pub fn not_found_body(self) -> Value {
        json!({"error": match self {
            Resource::Bots => BOT_NOT_FOUND,
            Resource::PhoneNumbers => NUMBER_NOT_FOUND,
        }})
    }

    /// Everything wrong with one record.
    pub fn shape_problems(self, record: &Value) -> Vec<String> {
        match self {
            Resource::Bots => bot_shape_problems(record),
            Resource::PhoneNumbers => phone_number_shape_problems(record),
        }
    }

    /// A record's id, `""` when it has none.
    pub fn id_of(self, record: &Value) -> String {
        record[self.id_field()]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A valid list query of bots or phone numbers in typed form; [`AccountQuery::to_pairs`] gives its wire form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// `name` (both lists): a case-insensitive substring (assumed).
    pub name: Option<String>,
    /// `phone_number` (phone numbers): a substring (assumed).
    pub phone_number: Option<String>,
    /// `created_after` (bots): strict (assumed).
    pub created_after: Option<DateBound>,
    /// `created_before` (bots): strict (assumed).
    pub created_before: Option<DateBound>,
}

impl AccountQuery {
    /// The query pairs, in a fixed order, each parameter once.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut push = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((name.to_string(), value));
            }
        };
        push("name", self.name.clone());
        push("phone_number", self.phone_number.clone());
        push(
            "created_after",
            self.created_after.as_ref().map(|d| d.text.clone()),
        );
        push(
            "created_before",
            self.created_before.as_ref().map(|d| d.text.clone()),
        );
        push("limit", self.limit.map(|l| l.to_string()));
        push("offset", self.offset.map(|o| o.to_string()));
        pairs
    }

    /// Whether `record` matches every filter. An empty value is no filter, as for calls.
    pub fn matches(&self, record: &Value) -> bool {
        let text = |field: &str| record[field].as_str().unwrap_or_default().to_string();
        let name_ok = self
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .is_none_or(|n| text("name").to_lowercase().contains(&n.to_lowercase()));
        let number_ok = self
            .phone_number
            .as_deref()
            .filter(|n| !n.is_empty())
            .is_none_or(|n| text("phone_number").contains(n));
        let created = created_ms(record);
        let after_ok = self
            .created_after
            .as_ref()
            .is_none_or(|d| created.is_some_and(|c| c > d.ms));
        let before_ok = self
            .created_before
            .as_ref()
            .is_none_or(|d| created.is_some_and(|c| c < d.ms));
        name_ok && number_ok && after_ok && before_ok
    }
}

/// A record's `created_at` as Unix milliseconds, when it is a date-time.
pub fn created_ms(record: &Value) -> Option<i64> {
    record["created_at"]
        .as_str()
        .filter(|t| t.len() > 10)
        .and_then(parse_date)
}

/// The assumed order: newest `created_at` first (as instants), ties by id ascending (byte order).
pub fn account_order(resource: Resource, a: &Value, b: &Value) -> Ordering {
    let key = |r: &Value| created_ms(r).unwrap_or(i64::MIN);
    key(b)
        .cmp(&key(a))
        .then_with(|| resource.id_of(a).cmp(&resource.id_of(b)))
}

/// The records matching `query`, in the assumed order: what walking every page must yield.
pub fn all_account_matches<'a>(
    resource: Resource,
    records: &'a [Value],
    query: &AccountQuery,
) -> Vec<&'a Value> {
    let mut matches: Vec<&Value> = records.iter().filter(|r| query.matches(r)).collect();
    matches.sort_by(|a, b| account_order(resource, a, b));
    matches
}

/// The whole expected page for `query`: the matches in `[offset, offset + limit)` and the `pagination`.
pub fn expected_account_page(resource: Resource, records: &[Value], query: &AccountQuery) -> Value {
    let matches = all_account_matches(resource, records, query);
    let total = matches.len() as u64;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = query.offset.unwrap_or(0);
    let page: Vec<Value> = matches
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|r| (*r).clone())
        .collect();
    let has_more = offset.saturating_add(page.len() as u64) < total;
    json!({
        resource.items_key(): page,
        "pagination": {"limit": limit, "offset": offset, "total": total, "has_more": has_more},
    })
}

/// What a field of the vendor's schemas may hold.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Object,
    DateTime,
    OneOf(&'static [&'static str]),
    /// An integer in `min..=max`.
    IntRange(i64, i64),
    /// A number in `min..=max` in steps of 0.1.
    Tenths(f64, f64),
}

fn kind_problem(value: &Value, kind: Kind) -> Option<String> {
    let ok = match kind {
        Kind::Text => value.is_string(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Object => value.is_object(),
        Kind::DateTime => value
            .as_str()
            .is_some_and(|t| t.len() > 10 && parse_date(t).is_some()),
        Kind::OneOf(allowed) => value.as_str().is_some_and(|s| allowed.contains(&s)),
        Kind::IntRange(min, max) => value.as_i64().is_some_and(|n| (min..=max).contains(&n)),
        Kind::Tenths(min, max) => value.as_f64().is_some_and(|n| {
            let tenths = n * 10.0;
            (min - 1e-9..=max + 1e-9).contains(&n) && (tenths - tenths.round()).abs() < 1e-6
        }),
    };
    (!ok).then(|| {
        let what = match kind {
            Kind::Text => "a string".to_string(),
            Kind::Integer => "an integer".to_string(),
            Kind::Number => "a number".to_string(),
            Kind::Boolean => "a boolean".to_string(),
            Kind::Object => "an object".to_string(),
            Kind::DateTime => "an RFC 3339 date-time".to_string(),
            Kind::OneOf(allowed) => format!("one of {}", allowed.join("|")),
            Kind::IntRange(min, max) => format!("an integer from {min} to {max}"),
            Kind::Tenths(min, max) => format!("a number from {min} to {max} in steps of 0.1"),
        };
        format!("must be {what}, got {value}")
    })
}

/// Checks `object`'s fields against `fields` (`(name, required, kind)`), naming each problem with `prefix`.
fn check_fields(
    object: &Value,
    prefix: &str,
    fields: &[(&str, bool, Kind)],
    problems: &mut Vec<String>,
) {
    let Some(map) = object.as_object() else {
        problems.push(format!("`{prefix}` must be an object, got {object}"));
        return;
    };
    for &(name, required, kind) in fields {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match map.get(name) {
            None if required => problems.push(format!("required field `{path}` is missing")),
            None => {}
            Some(value) => {
                if let Some(problem) = kind_problem(value, kind) {
                    problems.push(format!("`{path}` {problem}"));
                }
            }
        }
    }
}

const BOT_FIELDS: &[(&str, bool, Kind)] = &[
    ("uid", true, Kind::Text),
    ("name", true, Kind::Text),
    ("prompt", true, Kind::Text),
    ("first_message", false, Kind::Text),
    ("knowledge_base_id", false, Kind::Integer),
    (
        "voice_provider",
        false,
        Kind::OneOf(&["OpenAI", "ElevenLabs", "Deepgram"]),
    ),
    ("voice", false, Kind::Text),
    ("voice_model", false, Kind::Text),
    ("voice_speed", false, Kind::Number),
    ("llm_model_name", false, Kind::Text),
    ("llm_model_temperature", false, Kind::Number),
    ("stt_provider", false, Kind::OneOf(&["Deepgram"])),
    ("stt_model", false, Kind::Text),
    ("call_settings", false, Kind::Object),
    ("advanced_settings", false, Kind::Object),
    ("post_call_settings", false, Kind::Object),
    ("created_at", true, Kind::DateTime),
    ("updated_at", true, Kind::DateTime),
];

/// The vendor's `CallSettings`.
const CALL_SETTINGS: &[(&str, bool, Kind)] = &[
    ("max_call_duration", false, Kind::IntRange(2, 30)),
    ("silence_timeout", false, Kind::IntRange(5, 45)),
    ("silence_timeout_max_retries", false, Kind::IntRange(1, 5)),
    ("silence_timeout_message", false, Kind::Text),
    ("call_recording_enabled", false, Kind::Boolean),
    ("voicemail_detection_enabled", false, Kind::Boolean),
    (
        "voicemail_action",
        false,
        Kind::OneOf(&["leave_message", "hangup"]),
    ),
    (
        "voicemail_message_type",
        false,
        Kind::OneOf(&["static", "prompt"]),
    ),
    ("voicemail_message", false, Kind::Text),
    ("hipaa_compliance_enabled", false, Kind::Boolean),
    ("pci_compliance_enabled", false, Kind::Boolean),
];

/// The vendor's `AdvancedSettings`.
const ADVANCED_SETTINGS: &[(&str, bool, Kind)] = &[
    (
        "agent_personality",
        false,
        Kind::OneOf(&[
            "casual",
            "humorous",
            "direct",
            "formal",
            "persuasive",
            "friendly",
        ]),
    ),
    ("humanize_conversation", false, Kind::Boolean),
    ("background_noise_reduction", false, Kind::Boolean),
    ("allow_interruptions", false, Kind::Boolean),
    ("min_interruption_duration", false, Kind::Tenths(0.2, 5.0)),
    ("background_sound", false, Kind::Text),
    (
        "agent_response_length",
        false,
        Kind::OneOf(&["normal", "short", "concise", "long"]),
    ),
    ("short_pause", false, Kind::Tenths(0.2, 2.0)),
    ("long_pause", false, Kind::Tenths(0.5, 6.0)),
    ("filter_phrases", false, Kind::Text),
];

/// The vendor's `PostCallSettings`.
const POST_CALL_SETTINGS: &[(&str, bool, Kind)] = &[
    ("summary_prompt", false, Kind::Text),
    ("success_evaluation_prompt", false, Kind::Text),
    (
        "success_evaluation_rubric_type",
        false,
        Kind::OneOf(&[
            "NUMERIC_SCALE",
            "DESCRIPTIVE_SCALE",
            "PERCENTAGE_SCALE",
            "LIKERT_SCALE",
            "PASS_FAIL",
            "SENTIMENT",
        ]),
    ),
    ("structured_extraction_prompt", false, Kind::Text),
    ("structured_extraction_json_schema", false, Kind::Object),
];

/// Everything wrong with one bot; empty when it is a well-formed `BotResponse` (required fields, types,
/// enums, and the settings' ranges and steps).
pub fn bot_shape_problems(bot: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_fields(bot, "", BOT_FIELDS, &mut problems);
    for (name, fields) in [
        ("call_settings", CALL_SETTINGS),
        ("advanced_settings", ADVANCED_SETTINGS),
        ("post_call_settings", POST_CALL_SETTINGS),
    ] {
        if let Some(settings) = bot.get(name).filter(|s| s.is_object()) {
            check_fields(settings, name, fields, &mut problems);
        }
    }
    problems
}

/// `^\+[1-9]\d{1,14}$`.
pub fn is_e164_text(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn agent_keys(record: &Value, problems: &mut Vec<String>) {
    for key in ["inbound_agent_id", "outbound_agent_id"] {
        match record.get(key) {
            None => problems.push(format!(
                "`{key}` is missing: a phone number carries both agent keys, null when none is linked"
            )),
            Some(Value::Null | Value::String(_)) => {}
            Some(other) => problems.push(format!("`{key}` must be a string or null, got {other}")),
        }
    }
}

/// Everything wrong with one phone number; empty when it is a well-formed `PhoneNumberResponse` (the agent keys
/// are [`agent_key_problems`]'s).
pub fn phone_number_shape_problems(number: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_fields(
        number,
        "",
        &[
            ("phone_number_id", true, Kind::Text),
            ("phone_number", true, Kind::Text),
            ("name", false, Kind::Text),
            ("created_at", true, Kind::DateTime),
            ("updated_at", true, Kind::DateTime),
        ],
        &mut problems,
    );
    if let Some(text) = number["phone_number"].as_str()
        && !is_e164_text(text)
    {
        problems.push(format!("`phone_number` must be E.164, got {text:?}"));
    }
    problems
}

/// What is wrong with a phone number's agent keys: both must be present (assumed: the vendor's schema makes
/// them optional, its unlink example answers `null`), each a string or `null`.
pub fn agent_key_problems(number: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    agent_keys(number, &mut problems);
    problems
}

/// What a link or unlink must answer for `number` (a phone number as listed) once its agents are `inbound` and
/// `outbound`: the `LinkBotToPhoneNumberResponse`.
pub fn link_response(
    number: &Value,
    inbound: Option<&str>,
    outbound: Option<&str>,
    message: String,
) -> Value {
    json!({
        "phone_number_id": number["phone_number_id"],
        "phone_number": number["phone_number"],
        "inbound_agent_id": inbound,
        "outbound_agent_id": outbound,
        "message": message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot(uid: &str, name: &str, created: &str) -> Value {
        json!({"uid": uid, "name": name, "prompt": "p", "created_at": created, "updated_at": created,
               "call_settings": {"max_call_duration": 30},
               "advanced_settings": {"min_interruption_duration": 0.2, "long_pause": 6}})
    }

    #[test]
    fn a_well_formed_bot_has_no_problems_and_ranges_are_checked_at_their_ends() {
        assert_eq!(
            bot_shape_problems(&bot("b", "n", "2025-01-01T00:00:00.000Z")),
            Vec::<String>::new()
        );
        let mut broken = bot("b", "n", "2025-01-01");
        broken["call_settings"]["max_call_duration"] = json!(31);
        broken["advanced_settings"]["min_interruption_duration"] = json!(0.25);
        broken["voice_provider"] = json!("openai");
        broken["first_message"] = Value::Null;
        let problems = bot_shape_problems(&broken);
        assert_eq!(problems.len(), 6, "{problems:#?}");
    }

    #[test]
    fn phone_numbers_need_both_agent_keys_and_an_e164_number() {
        let good = json!({"phone_number_id": "p", "phone_number": "+15550100", "inbound_agent_id": null,
                          "outbound_agent_id": "b", "created_at": "2025-01-01T00:00:00Z",
                          "updated_at": "2025-01-01T00:00:00Z"});
        assert_eq!(phone_number_shape_problems(&good), Vec::<String>::new());
        assert_eq!(agent_key_problems(&good), Vec::<String>::new());
        let mut bad = good.clone();
        bad.as_object_mut().unwrap().remove("inbound_agent_id");
        bad["outbound_agent_id"] = json!(7);
        bad["phone_number"] = json!("15550100");
        assert_eq!(phone_number_shape_problems(&bad).len(), 1);
        assert_eq!(agent_key_problems(&bad).len(), 2);
    }

    #[test]
    fn the_order_is_newest_first_with_ties_by_id_ascending_and_filters_are_strict_and_case_blind() {
        let records = vec![
            bot("b", "Alpha Desk", "2025-01-01T00:00:00.000Z"),
            bot("a", "beta", "2025-01-01T00:00:00.000Z"),
            bot("c", "ALPHA", "2025-01-02T00:00:00.000Z"),
        ];
        let ids = |q: &AccountQuery| -> Vec<String> {
            all_account_matches(Resource::Bots, &records, q)
                .iter()
                .map(|r| Resource::Bots.id_of(r))
                .collect()
        };
        assert_eq!(ids(&AccountQuery::default()), ["c", "a", "b"]);
        let named = AccountQuery {
            name: Some("alp".into()),
            ..AccountQuery::default()
        };
        assert_eq!(ids(&named), ["c", "b"]);
        let at = |text: &str| DateBound {
            ms: parse_date(text).unwrap(),
            text: text.into(),
        };
        let after = AccountQuery {
            created_after: Some(at("2025-01-01T00:00:00Z")),
            ..AccountQuery::default()
        };
        assert_eq!(ids(&after), ["c"]);
        let before = AccountQuery {
            created_before: Some(at("2025-01-02T00:00:00Z")),
            ..AccountQuery::default()
        };
        assert_eq!(ids(&before), ["a", "b"]);
        let page = expected_account_page(
            Resource::Bots,
            &records,
            &AccountQuery {
                limit: Some(2),
                offset: Some(1),
                ..AccountQuery::default()
            },
        );
        assert_eq!(
            page["pagination"],
            json!({"limit": 2, "offset": 1, "total": 3, "has_more": false})
        );
    }

    #[test]
    fn e164_is_a_plus_then_2_to_15_digits_not_starting_with_0() {
        for good in ["+12", "+123456789012345", "+15550100"] {
            assert!(is_e164_text(good), "{good}");
        }
        for bad in ["+1", "+1234567890123456", "+0123", "+12a4", "1555", "+", ""] {
            assert!(!is_e164_text(bad), "{bad}");
        }
    }

    #[test]
    fn created_at_is_a_date_time_never_a_bare_date() {
        assert_eq!(created_ms(&json!({"created_at": "2025-01-01"})), None);
        assert_eq!(
            created_ms(&json!({"created_at": "2025-01-01T00:00:00.001Z"})),
            Some(1_735_689_600_001)
        );
        assert_eq!(Resource::Bots.plural(), "bots");
        for id in [json!(-1), json!(u64::MAX)] {
            let mut bot = bot("b", "n", "2025-01-01T00:00:00Z");
            bot["knowledge_base_id"] = id;
            assert_eq!(bot_shape_problems(&bot), Vec::<String>::new(), "{bot}");
        }
        assert_eq!(Resource::PhoneNumbers.plural(), "phone numbers");
    }

    #[test]
    fn link_messages_follow_the_vendor_examples() {
        assert_eq!(
            link_message("both", true),
            "Bot linked successfully for inbound and outbound calls."
        );
        assert_eq!(
            link_message("inbound", false),
            "Bot unlinked successfully for inbound calls."
        );
    }
}
