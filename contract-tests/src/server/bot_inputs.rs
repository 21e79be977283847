//! The generated bot bodies of the write properties: valid `CreateBotRequest`s (values at the ends of every
//! documented range) and ones that break exactly one rule, each with the rule in words.

use serde_json::{Value, json};

/// The name every bot the kit creates starts with, so a reader of the target knows where it came from.
pub const KIT_BOT_PREFIX: &str = "openmic-contract bot";

/// A valid create body drawn from `seed`: `name` and `prompt`, and a choice of the optional fields, each with a
/// value at an end or the middle of its range.
pub fn valid_bot(seed: u64) -> Value {
    let pick = |shift: u32, n: u64| ((seed >> shift) % n) as usize;
    let mut bot = json!({
        "name": format!("{KIT_BOT_PREFIX} {seed:x}"),
        "prompt": "You are a test bot of openmic-contract. Say hello and end the call.",
    });
    let optional: [(&str, Value); 10] = [
        ("first_message", json!("Hello from the contract kit.")),
        ("knowledge_base_id", json!([1, 123, 0][pick(8, 3)])),
        (
            "voice_provider",
            json!(["OpenAI", "ElevenLabs", "Deepgram"][pick(10, 3)]),
        ),
        ("voice", json!("alloy")),
        ("voice_speed", json!([1.0, 0.5, 1.5][pick(12, 3)])),
        ("llm_model_name", json!("gpt-4")),
        ("llm_model_temperature", json!([0.7, 0.0, 1.0][pick(14, 3)])),
        ("stt_provider", json!("Deepgram")),
        (
            "call_settings",
            json!({
                "max_call_duration": ([2, 30, 10][pick(16, 3)]),
                "silence_timeout": ([5, 45, 15][pick(18, 3)]),
                "silence_timeout_max_retries": ([1, 5, 3][pick(20, 3)]),
                "call_recording_enabled": pick(22, 2) == 0,
                "voicemail_action": (["leave_message", "hangup"][pick(23, 2)]),
                "voicemail_message_type": (["static", "prompt"][pick(24, 2)]),
                "voicemail_message": "Please call us back.",
            }),
        ),
        (
            "advanced_settings",
            json!({
                "agent_personality": (["casual", "humorous", "direct", "formal", "persuasive", "friendly"][pick(25, 6)]),
                "allow_interruptions": pick(28, 2) == 0,
                "min_interruption_duration": ([0.2, 5.0, 0.5][pick(29, 3)]),
                "agent_response_length": (["normal", "short", "concise", "long"][pick(31, 4)]),
                "short_pause": ([0.2, 2.0, 0.3][pick(33, 3)]),
                "long_pause": ([0.5, 6.0, 1.2][pick(35, 3)]),
            }),
        ),
    ];
    for (i, (key, value)) in optional.into_iter().enumerate() {
        if (seed >> (40 + i)) & 1 == 1 {
            bot[key] = value;
        }
    }
    if (seed >> 52) & 1 == 1 {
        bot["post_call_settings"] = json!({
            "summary_prompt": "Summarise the call.",
            "success_evaluation_rubric_type": (["NUMERIC_SCALE", "PASS_FAIL", "SENTIMENT"][pick(53, 3)]),
        });
    }
    bot
}

/// Every bot body with all three settings objects filled: what the merge property patches.
pub fn full_bot(seed: u64) -> Value {
    let mut bot = valid_bot(seed | (0x3ff << 40) | (1 << 52));
    bot["advanced_settings"]["humanize_conversation"] = json!(true);
    bot
}

/// One broken rule of a create body: where, what it becomes, the rule in words.
#[derive(Debug, Clone, Copy)]
pub struct BotBreach {
    /// A JSON pointer into the valid body (`/call_settings/max_call_duration`); `""` replaces the whole body.
    pub pointer: &'static str,
    /// The value put there, as JSON text; `None` removes the field.
    pub value: Option<&'static str>,
    /// The rule, in words.
    pub rule: &'static str,
}

const fn breach(
    pointer: &'static str,
    value: Option<&'static str>,
    rule: &'static str,
) -> BotBreach {
    BotBreach {
        pointer,
        value,
        rule,
    }
}

/// Create bodies that break one documented rule each.
pub const BOT_BREACHES: &[BotBreach] = &[
    breach("/name", None, "name is required"),
    breach("/prompt", None, "prompt is required"),
    breach("/name", Some("null"), "name must be a string, not null"),
    breach("/prompt", Some("5"), "prompt must be a string"),
    breach("/name", Some("LONG_NAME"), "name is at most 255 characters"),
    breach(
        "/call_settings/max_call_duration",
        Some("1"),
        "max_call_duration is 2 to 30",
    ),
    breach(
        "/call_settings/max_call_duration",
        Some("31"),
        "max_call_duration is 2 to 30",
    ),
    breach(
        "/call_settings/max_call_duration",
        Some("10.5"),
        "max_call_duration is an integer",
    ),
    breach(
        "/call_settings/silence_timeout",
        Some("4"),
        "silence_timeout is 5 to 45",
    ),
    breach(
        "/call_settings/silence_timeout",
        Some("46"),
        "silence_timeout is 5 to 45",
    ),
    breach(
        "/call_settings/silence_timeout_max_retries",
        Some("0"),
        "silence_timeout_max_retries is 1 to 5",
    ),
    breach(
        "/call_settings/silence_timeout_max_retries",
        Some("6"),
        "silence_timeout_max_retries is 1 to 5",
    ),
    breach(
        "/call_settings/voicemail_action",
        Some("\"voicemail\""),
        "voicemail_action is leave_message or hangup",
    ),
    breach(
        "/call_settings/call_recording_enabled",
        Some("\"yes\""),
        "call_recording_enabled is a boolean",
    ),
    breach(
        "/advanced_settings/min_interruption_duration",
        Some("0.1"),
        "min_interruption_duration is 0.2 to 5",
    ),
    breach(
        "/advanced_settings/min_interruption_duration",
        Some("5.1"),
        "min_interruption_duration is 0.2 to 5",
    ),
    breach(
        "/advanced_settings/min_interruption_duration",
        Some("0.25"),
        "min_interruption_duration goes in steps of 0.1",
    ),
    breach(
        "/advanced_settings/short_pause",
        Some("2.1"),
        "short_pause is 0.2 to 2",
    ),
    breach(
        "/advanced_settings/long_pause",
        Some("0.4"),
        "long_pause is 0.5 to 6",
    ),
    breach(
        "/advanced_settings/long_pause",
        Some("6.1"),
        "long_pause is 0.5 to 6",
    ),
    breach(
        "/advanced_settings/agent_personality",
        Some("\"angry\""),
        "agent_personality is one of six values",
    ),
    breach(
        "/advanced_settings/agent_response_length",
        Some("\"medium\""),
        "agent_response_length is one of four values",
    ),
    breach(
        "/voice_provider",
        Some("\"openai\""),
        "voice_provider is OpenAI, ElevenLabs or Deepgram (exact case)",
    ),
    breach(
        "/stt_provider",
        Some("\"Whisper\""),
        "stt_provider is Deepgram",
    ),
    breach(
        "/knowledge_base_id",
        Some("\"123\""),
        "knowledge_base_id is an integer",
    ),
    breach("/voice_speed", Some("\"fast\""), "voice_speed is a number"),
    breach("/call_settings", Some("[]"), "call_settings is an object"),
    breach(
        "/post_call_settings/success_evaluation_rubric_type",
        Some("\"numeric_scale\""),
        "success_evaluation_rubric_type is one of six values (exact case)",
    ),
    breach("", Some("[]"), "the body is a JSON object"),
    breach("", Some("\"bot\""), "the body is a JSON object"),
];

impl BotBreach {
    /// The body text: `valid` (from [`full_bot`]) with this rule broken.
    pub fn body(&self, valid: &Value) -> String {
        let value: Option<Value> = self.value.map(|text| {
            if text == "LONG_NAME" {
                Value::from("n".repeat(256))
            } else {
                serde_json::from_str(text).unwrap_or(Value::Null)
            }
        });
        if self.pointer.is_empty() {
            return value.unwrap_or(Value::Null).to_string();
        }
        let mut body = valid.clone();
        let (parent, key) = self.pointer.rsplit_once('/').unwrap_or(("", self.pointer));
        if let Some(Value::Object(map)) = body.pointer_mut(parent) {
            match value {
                Some(value) => {
                    map.insert(key.to_string(), value);
                }
                None => {
                    map.remove(key);
                }
            }
        }
        body.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::account::bot_shape_problems;

    type ValuesByPath = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

    /// Every value each choice of `valid_bot` takes over `seeds`, by the choice's path.
    fn values_by_path(seeds: impl Iterator<Item = u64>) -> ValuesByPath {
        fn walk(value: &Value, path: &str, out: &mut ValuesByPath) {
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        walk(child, &format!("{path}/{key}"), out);
                    }
                }
                other => {
                    out.entry(path.to_string())
                        .or_default()
                        .insert(other.to_string());
                }
            }
        }
        let mut out = ValuesByPath::new();
        for seed in seeds {
            walk(&valid_bot(seed), "", &mut out);
        }
        out
    }

    #[test]
    fn valid_bodies_reach_every_value_of_every_choice_and_leave_each_optional_key_out() {
        // Seeds spread over all 64 bits, as the property draws them.
        let seeds = (0..512u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let values = values_by_path(seeds.clone());
        let want: &[(&str, usize)] = &[
            ("/knowledge_base_id", 3),
            ("/voice_provider", 3),
            ("/voice_speed", 3),
            ("/llm_model_temperature", 3),
            ("/call_settings/max_call_duration", 3),
            ("/call_settings/silence_timeout", 3),
            ("/call_settings/silence_timeout_max_retries", 3),
            ("/call_settings/call_recording_enabled", 2),
            ("/call_settings/voicemail_action", 2),
            ("/call_settings/voicemail_message_type", 2),
            ("/advanced_settings/agent_personality", 6),
            ("/advanced_settings/allow_interruptions", 2),
            ("/advanced_settings/min_interruption_duration", 3),
            ("/advanced_settings/agent_response_length", 4),
            ("/advanced_settings/short_pause", 3),
            ("/advanced_settings/long_pause", 3),
            ("/post_call_settings/success_evaluation_rubric_type", 3),
        ];
        for (path, count) in want {
            let seen = values.get(*path).map_or(0, std::collections::BTreeSet::len);
            assert_eq!(seen, *count, "{path}: {:?}", values.get(*path));
        }
        for key in [
            "first_message",
            "knowledge_base_id",
            "voice_provider",
            "voice",
            "voice_speed",
            "llm_model_name",
            "llm_model_temperature",
            "stt_provider",
            "call_settings",
            "advanced_settings",
            "post_call_settings",
        ] {
            let with = seeds
                .clone()
                .filter(|&s| valid_bot(s).get(key).is_some())
                .count();
            assert!(with > 0 && with < 512, "{key} in {with} of 512 bodies");
        }
    }

    #[test]
    fn a_full_bot_has_every_optional_key_whatever_its_seed() {
        for seed in [0, u64::MAX, 0x0123_4567_89ab_cdef, 1 << 52, 0x3ff << 40] {
            let bot = full_bot(seed);
            for key in [
                "first_message",
                "voice",
                "call_settings",
                "advanced_settings",
                "post_call_settings",
            ] {
                assert!(
                    bot.get(key).is_some(),
                    "{key} of full_bot({seed:#x}): {bot}"
                );
            }
        }
    }

    #[test]
    fn valid_bodies_are_valid_bots_and_breaches_change_the_body() {
        for seed in [0, 1, u64::MAX, 0x0123_4567_89ab_cdef] {
            let mut bot = valid_bot(seed);
            bot["uid"] = json!("u");
            bot["created_at"] = json!("2025-01-01T00:00:00.000Z");
            bot["updated_at"] = bot["created_at"].clone();
            assert_eq!(bot_shape_problems(&bot), Vec::<String>::new(), "{bot}");
        }
        let full = full_bot(7);
        for breach in BOT_BREACHES {
            assert_ne!(breach.body(&full), full.to_string(), "{breach:?}");
        }
    }
}
