//! What the webhook properties send: payloads of the documented shapes, generated from plain choices so that
//! proptest shrinks towards a short, plain ASCII report (few turns, known sentences, the first number format).
//!
//! The values look like the vendor's: E.164 numbers, CUID-like ids, ISO 8601 times with milliseconds and `Z`,
//! `callDuration` as `H:MM:SS.ffffff`, speakers `assistant`/`user`/`system`. Messages mix the texts receivers
//! get wrong (emoji, right-to-left scripts, combining marks, quotes, backslashes, newlines, U+2028) with
//! random characters. The reports themselves are `openmic_fixtures`' webhook types ([`EndOfCallReport`],
//! [`PreCallRequest`]), so the shape is the one the mock sends too.

use openmic_fixtures::{
    DISCONNECTION_REASONS, END_OF_CALL_REPORT, EndOfCallReport, JsonObject, PreCallRequest,
    TranscriptEntry, call_duration,
};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::contract::dates::{DAY_MS, format_rfc3339_ms};

/// The speakers of a transcript, as the vendor's data has them.
pub const SPEAKERS: [&str; 3] = ["assistant", "user", "system"];

/// Texts receivers get wrong, one concern each; the first is plain so that shrinking ends on it.
pub const AWKWARD_TEXTS: [&str; 18] = [
    "Hello, this is Jay from Acme Dental.",
    "",
    "Zoë, naïve café, São Paulo, Ærøskøbing",
    "😀👍🏽 👨‍👩‍👧‍👦 🇮🇳",
    "مرحبا، أريد حجز موعد",
    "שלום, מה שלומך?",
    "e\u{301} a\u{308}\u{323} Z\u{36b}\u{33f}\u{344}",
    "She said \"yes\" and 'no'",
    "C:\\path\\to\\file and \\n is not a newline",
    "line one\nline two\r\n\ttabbed",
    "日本語のテキスト、한국어 텍스트、中文文本",
    "\u{202e}reversed\u{202c} \u{200b}zero\u{200d}width \u{feff}bom",
    "\u{2028}line separator\u{2029}paragraph separator",
    "𝕳𝖊𝖑𝖑𝖔 𝟘𝟙𝟚 ꙮ",
    "<script>alert(1)</script> & ' OR 1=1 --",
    "$100.00 — 50% off… “smart quotes” ‘single’",
    "\u{1b}[31mred\u{1b}[0m\u{7f}\u{0c}",
    "{\"nested\": \"json in a string\"}",
];

/// Sentences of an ordinary call, for the reports whose property is not about the transcript's text.
const PLAIN_LINES: [&str; 6] = [
    "Hello, this is Jay from Acme Dental. How can I help?",
    "Hi, I would like to move my appointment.",
    "Sure. Which day works for you?",
    "Thursday afternoon, please.",
    "Done: Thursday at 3 pm. Anything else?",
    "No, thank you. Bye.",
];

/// Names of generated dynamic variables.
const VARIABLE_NAMES: [&str; 6] = [
    "customer_name",
    "appointment_time",
    "order_id",
    "language",
    "account_balance",
    "is_vip",
];

/// The successful connected-call reasons a plain report draws from: one side hung up, or the call completed.
const CONNECTED_REASONS: [&str; 3] = ["user_ended_call", "agent_ended_call", "call_completed"];

/// The optional keys of a connected call's report, in the documented order.
pub const OPTIONAL_KEYS: [&str; 7] = [
    "callDuration",
    "callPickup",
    "sessionType",
    "summary",
    "isSuccessful",
    "successEvaluation",
    "extractedData",
];

/// The first millisecond of the generated times: 2024-01-01T00:00:00.000Z.
const EPOCH_2024_MS: u64 = 1_704_067_200_000;
/// Generated calls start within three years of [`EPOCH_2024_MS`].
const THREE_YEARS_MS: u64 = 3 * 365 * DAY_MS as u64;
/// And last at most two hours.
const TWO_HOURS_MS: u64 = 2 * 3_600_000;

/// A generated instant as the vendor writes it, `2024-05-01T10:00:00.123Z`, in the kit's one calendar. Generated
/// times lie within three years and two hours of 2024, far inside `i64`.
fn iso(ms: u64) -> String {
    format_rfc3339_ms(ms as i64)
}

/// Turns in the long-transcript case: the issue asks receivers to take 10,000.
pub const LONG_TRANSCRIPT_TURNS: usize = 10_000;

/// A splitmix64 step: how generated choices (a `u64`) become digits and ids.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A CUID-like id (`c` and 24 lowercase letters and digits, like the vendor's `cmdx5w8oc0005q671s3cbg063`),
/// the same for the same `n`.
pub fn cuid(n: u64) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(25);
    out.push('c');
    let mut state = n;
    for _ in 0..2 {
        state = mix(state);
        let mut z = state;
        for _ in 0..12 {
            out.push(char::from(ALPHABET[(z % 36) as usize]));
            z /= 36;
        }
    }
    out
}

/// A phone number as choices: a numbering plan and the digits within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phone {
    /// Which plan: the US, the UK (mobile), India (mobile), Germany (mobile), Australia (mobile).
    pub plan: usize,
    /// Drawn digits, reduced to the plan's length.
    pub digits: u64,
}

impl Phone {
    /// The number in E.164: `+`, the country code and the national number, no spaces.
    pub fn e164(self) -> String {
        let d = mix(self.digits);
        match self.plan % 5 {
            // NANP: NPA [2-9]XX, NXX [2-9]XX, 4 digits.
            0 => format!(
                "+1{}{:02}{}{:02}{:04}",
                2 + d % 8,
                d / 8 % 100,
                2 + d / 800 % 8,
                d / 6_400 % 100,
                d / 640_000 % 10_000
            ),
            1 => format!("+447{}{:08}", 1 + d % 9, d / 9 % 100_000_000),
            2 => format!("+91{}{:09}", 6 + d % 4, d / 4 % 1_000_000_000),
            3 => format!("+4915{}{:08}", 1 + d % 9, d / 9 % 100_000_000),
            _ => format!("+614{:08}", d % 100_000_000),
        }
    }
}

/// A phone number, shrinking towards the first plan (the digits do not shrink: no number is simpler).
pub fn phone() -> impl Strategy<Value = Phone> {
    (0usize..5, any::<u64>().no_shrink()).prop_map(|(plan, digits)| Phone { plan, digits })
}

/// One piece of a generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// One of [`AWKWARD_TEXTS`].
    Known(usize),
    /// Random characters from ASCII, Latin, Hebrew and Arabic, combining marks, kana, CJK and emoji.
    Random(String),
}

/// A message: its pieces, joined by a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(pub Vec<Piece>);

impl Message {
    /// The text.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Known(i) => AWKWARD_TEXTS[i % AWKWARD_TEXTS.len()].to_string(),
                Piece::Random(text) => text.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Random characters of the scripts and blocks that trip receivers, newlines, quotes and backslashes
/// included; shrinks towards short ASCII.
fn random_text() -> impl Strategy<Value = String> {
    use std::borrow::Cow;
    const RANGES: &[std::ops::RangeInclusive<char>] = &[
        ' '..='~',
        '\n'..='\n',
        '\u{a0}'..='\u{24f}',
        '\u{300}'..='\u{36f}',
        '\u{590}'..='\u{6ff}',
        '\u{3040}'..='\u{30ff}',
        '\u{4e00}'..='\u{9fff}',
        '\u{1f300}'..='\u{1faff}',
    ];
    proptest::collection::vec(proptest::char::ranges(Cow::Borrowed(RANGES)), 0..16)
        .prop_map(String::from_iter)
}

/// A message of awkward pieces.
pub fn message() -> impl Strategy<Value = Message> {
    let piece = prop_oneof![
        (0..AWKWARD_TEXTS.len()).prop_map(Piece::Known),
        random_text().prop_map(Piece::Random),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(Message)
}

/// One turn: a speaker (index into [`SPEAKERS`]) and a message.
pub type Turn = (usize, Message);

/// A turn of awkward text.
pub fn turn() -> impl Strategy<Value = Turn> {
    (0..SPEAKERS.len(), message())
}

/// What a call's report is built on, whatever the property varies: the numbers, the direction, the times and
/// the dynamic variables, with a short plain conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBase {
    /// The number that called.
    pub from: Phone,
    /// The number called.
    pub to: Phone,
    /// `inbound` when set, `outbound` otherwise.
    pub inbound: bool,
    /// `webcall` when set, `phonecall` otherwise.
    pub webcall: bool,
    /// Milliseconds after 2024-01-01 the call started.
    pub start_offset_ms: u64,
    /// How long it lasted.
    pub duration_ms: u64,
    /// Turns of the plain conversation, 1 to 6.
    pub turns: usize,
    /// Which of the connected reasons ended it.
    pub reason: usize,
    /// `isSuccessful`.
    pub successful: bool,
    /// Dynamic variables: (name, value) choices; an empty list is `{}`.
    pub variables: Vec<(usize, usize)>,
}

impl CallBase {
    /// A fixed base, for boundary cases: the `n`th differs from the others in its numbers and times.
    pub fn plain(n: u64) -> CallBase {
        CallBase {
            from: Phone { plan: 0, digits: n },
            to: Phone {
                plan: (n % 5) as usize,
                digits: n + 1_000,
            },
            inbound: n.is_multiple_of(2),
            webcall: false,
            start_offset_ms: mix(n) % THREE_YEARS_MS,
            duration_ms: 45_723 + n * 1_001,
            turns: 4,
            reason: 0,
            successful: true,
            variables: vec![(0, 0), (2, 1)],
        }
    }

    /// The `dynamicVariables` object.
    pub fn dynamic_variables(&self) -> JsonObject {
        self.variables
            .iter()
            .map(|&(name, value)| {
                (
                    VARIABLE_NAMES[name % VARIABLE_NAMES.len()].to_string(),
                    variable_value(value),
                )
            })
            .collect()
    }

    fn start_ms(&self) -> u64 {
        EPOCH_2024_MS + self.start_offset_ms % THREE_YEARS_MS
    }

    /// The report of this call as connected and finished: every documented key, a plain transcript, a flat
    /// `extractedData` object.
    pub fn connected(&self, session_id: &str) -> EndOfCallReport {
        let start = self.start_ms();
        let end = start + self.duration_ms;
        let transcript = (0..self.turns.max(1))
            .map(|i| TranscriptEntry::new(SPEAKERS[i % 2], PLAIN_LINES[i % PLAIN_LINES.len()]))
            .collect();
        EndOfCallReport {
            kind: END_OF_CALL_REPORT.to_string(),
            session_id: session_id.to_string(),
            to_phone_number: self.to.e164(),
            from_phone_number: self.from.e164(),
            call_duration: Some(call_duration(self.duration_ms)),
            call_type: if self.webcall { "webcall" } else { "phonecall" }.to_string(),
            disconnection_reason: CONNECTED_REASONS[self.reason % CONNECTED_REASONS.len()]
                .to_string(),
            direction: if self.inbound { "inbound" } else { "outbound" }.to_string(),
            created_at: iso(start),
            ended_at: iso(end),
            call_pickup: Some("yes".to_string()),
            session_type: Some("voice".to_string()),
            transcript,
            summary: Some("The caller moved the appointment to Thursday at 3 pm.".to_string()),
            is_successful: Some(self.successful),
            success_evaluation: Some(true),
            extracted_data: Some(json!({
                "appointment_day": "Thursday",
                "appointment_hour": 15,
                "confirmed": self.successful,
            })),
            dynamic_variables: self.dynamic_variables(),
        }
    }

    /// The report of this call as failed, like the vendor's failed-call example: an empty transcript,
    /// `summary: "Call failed: <reason>"`, and no `callDuration`, `callPickup`, `sessionType`,
    /// `isSuccessful`, `successEvaluation` or `extractedData`. The call ends when it starts.
    pub fn failed(&self, session_id: &str, reason: &str) -> EndOfCallReport {
        let start = self.start_ms();
        let mut report = self.connected(session_id);
        report.disconnection_reason = reason.to_string();
        report.ended_at = iso(start + self.duration_ms % 60_000);
        report.call_duration = None;
        report.call_pickup = None;
        report.session_type = None;
        report.transcript = Vec::new();
        report.summary = Some(format!("Call failed: {reason}"));
        report.is_successful = None;
        report.success_evaluation = None;
        report.extracted_data = None;
        report
    }
}

/// A dynamic variable's value: strings (plain, accented, empty, a time), a number, a boolean.
fn variable_value(choice: usize) -> Value {
    match choice % 8 {
        0 => json!("Ada Lovelace"),
        1 => json!("A-1024"),
        2 => json!("Zoë Ñúñez"),
        3 => json!(""),
        4 => json!("2025-08-04T15:00:00.000Z"),
        5 => json!(42),
        6 => json!(true),
        _ => json!(19.99),
    }
}

/// A [`CallBase`], shrinking towards the first plan, outbound, a short call started on 2024-01-01.
pub fn call_base() -> impl Strategy<Value = CallBase> {
    (
        (phone(), phone(), any::<bool>(), any::<bool>()),
        (0..THREE_YEARS_MS, 0..TWO_HOURS_MS, 1usize..7, 0usize..3),
        any::<bool>(),
        proptest::collection::vec((0usize..6, 0usize..8), 0..4),
    )
        .prop_map(
            |(
                (from, to, inbound, webcall),
                (start_offset_ms, duration_ms, turns, reason),
                successful,
                variables,
            )| CallBase {
                from,
                to,
                inbound,
                webcall,
                start_offset_ms,
                duration_ms,
                turns,
                reason,
                successful,
                variables,
            },
        )
}

/// Index of a disconnection reason in [`DISCONNECTION_REASONS`].
pub fn reason_index() -> impl Strategy<Value = usize> {
    0..DISCONNECTION_REASONS.len()
}

/// A transcript as a property varies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptSpec {
    /// These turns.
    Turns(Vec<Turn>),
    /// One turn per [`AWKWARD_TEXTS`] entry, speakers in turn.
    EveryAwkwardText,
    /// [`LONG_TRANSCRIPT_TURNS`] turns of an ordinary conversation with awkward texts mixed in; built once
    /// per run (see [`long_transcript`]).
    Long,
}

/// The 10,000-turn transcript: the plain conversation repeated, every seventh turn an awkward text.
pub fn long_transcript() -> Vec<TranscriptEntry> {
    (0..LONG_TRANSCRIPT_TURNS)
        .map(|i| {
            let text = if i % 7 == 6 {
                AWKWARD_TEXTS[i / 7 % AWKWARD_TEXTS.len()]
            } else {
                PLAIN_LINES[i % PLAIN_LINES.len()]
            };
            TranscriptEntry::new(SPEAKERS[if i % 50 == 49 { 2 } else { i % 2 }], text)
        })
        .collect()
}

impl TranscriptSpec {
    /// The transcript; `long` is the [`long_transcript`], built once by the caller.
    pub fn entries(&self, long: &[TranscriptEntry]) -> Vec<TranscriptEntry> {
        match self {
            TranscriptSpec::Turns(turns) => turns
                .iter()
                .map(|(speaker, message)| {
                    TranscriptEntry::new(SPEAKERS[speaker % SPEAKERS.len()], message.text())
                })
                .collect(),
            TranscriptSpec::EveryAwkwardText => AWKWARD_TEXTS
                .iter()
                .enumerate()
                .map(|(i, text)| TranscriptEntry::new(SPEAKERS[i % SPEAKERS.len()], *text))
                .collect(),
            TranscriptSpec::Long => long.to_vec(),
        }
    }
}

/// How the JSON text carries characters beyond ASCII. The vendor does not document it: serde and most
/// JavaScript servers write them as UTF-8, Python's `json.dumps` (the `requests` default) as `\u` escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As UTF-8 bytes.
    Utf8,
    /// As `\uXXXX` escapes, surrogate pairs beyond the BMP: pure ASCII on the wire.
    AsciiEscaped,
}

/// `report` as the exact JSON text sent, keys in the documented order.
pub fn report_json(report: &EndOfCallReport, encoding: Encoding) -> String {
    let text = serde_json::to_string(report).unwrap_or_default();
    match encoding {
        Encoding::Utf8 => text,
        Encoding::AsciiEscaped => escape_non_ascii(&text),
    }
}

/// Every character beyond ASCII in a JSON text as a `\u` escape. Such characters can only be inside strings,
/// so the result is the same JSON value.
pub fn escape_non_ascii(json_text: &str) -> String {
    let mut out = String::with_capacity(json_text.len());
    for c in json_text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `extractedData` as a property varies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractedSpec {
    /// The key left out.
    Absent,
    /// `"extractedData": null`.
    Null,
    /// `{}`.
    Empty,
    /// Scalars only: `width` keys.
    Flat {
        /// How many keys.
        width: usize,
    },
    /// Objects in objects and arrays of objects, `depth` levels down.
    Nested {
        /// Levels below the top.
        depth: usize,
        /// Drawn choices for the keys and values.
        seed: u64,
    },
}

impl ExtractedSpec {
    /// The value, or `None` for a key left out.
    pub fn value(self) -> Option<Value> {
        match self {
            ExtractedSpec::Absent => None,
            ExtractedSpec::Null => Some(Value::Null),
            ExtractedSpec::Empty => Some(json!({})),
            ExtractedSpec::Flat { width } => Some(Value::Object(
                (0..width)
                    .map(|i| (format!("field_{i}"), variable_value(mix(i as u64) as usize)))
                    .collect(),
            )),
            ExtractedSpec::Nested { depth, seed } => Some(nested(depth, seed)),
        }
    }

    /// In words, for a failure's first line.
    pub fn describe(self) -> String {
        match self {
            ExtractedSpec::Absent => "no \"extractedData\" key".to_string(),
            ExtractedSpec::Null => "\"extractedData\": null".to_string(),
            ExtractedSpec::Empty => "\"extractedData\": {}".to_string(),
            ExtractedSpec::Flat { width } => format!("a flat \"extractedData\" of {width} keys"),
            ExtractedSpec::Nested { depth, .. } => {
                format!("\"extractedData\" nested {depth} levels deep")
            }
        }
    }
}

/// An object `depth` levels deep: a nested object, an array of objects, an empty array, scalars.
fn nested(depth: usize, seed: u64) -> Value {
    let z = mix(seed);
    let mut object = serde_json::Map::new();
    object.insert("name".into(), variable_value(z as usize));
    object.insert("tags".into(), json!([]));
    if depth > 0 {
        object.insert("details".into(), nested(depth - 1, z));
        object.insert(
            "items".into(),
            Value::Array(
                (0..1 + z % 3)
                    .map(|i| nested(depth - 1, z.wrapping_add(i)))
                    .collect(),
            ),
        );
    }
    Value::Object(object)
}

/// `extractedData` choices, shrinking towards the key left out, then `null`.
pub fn extracted() -> impl Strategy<Value = ExtractedSpec> {
    prop_oneof![
        Just(ExtractedSpec::Absent),
        Just(ExtractedSpec::Null),
        Just(ExtractedSpec::Empty),
        (1usize..8).prop_map(|width| ExtractedSpec::Flat { width }),
        (1usize..5, any::<u64>().no_shrink())
            .prop_map(|(depth, seed)| ExtractedSpec::Nested { depth, seed }),
    ]
}

/// `report` without the optional keys whose bits are set in `mask` (bit `i` is [`OPTIONAL_KEYS`]`[i]`).
pub fn without_optional_keys(mut report: EndOfCallReport, mask: u8) -> EndOfCallReport {
    let left_out = |i: usize| mask & (1 << i) != 0;
    if left_out(0) {
        report.call_duration = None;
    }
    if left_out(1) {
        report.call_pickup = None;
    }
    if left_out(2) {
        report.session_type = None;
    }
    if left_out(3) {
        report.summary = None;
    }
    if left_out(4) {
        report.is_successful = None;
    }
    if left_out(5) {
        report.success_evaluation = None;
    }
    if left_out(6) {
        report.extracted_data = None;
    }
    report
}

/// The keys of `mask`, for a failure's first line.
pub fn optional_keys_named(mask: u8) -> Vec<&'static str> {
    OPTIONAL_KEYS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, key)| *key)
        .collect()
}

/// A pre-call request as choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreCallSpec {
    /// `inbound` when set.
    pub inbound: bool,
    /// The attempt, 1 to 3.
    pub attempt: u32,
    /// Drawn choice for the `bot_id`.
    pub bot: u64,
    /// The number that calls.
    pub from: Phone,
    /// The number called.
    pub to: Phone,
}

impl PreCallSpec {
    /// A fixed request for boundary cases: attempt `attempt` in one direction.
    pub fn fixed(inbound: bool, attempt: u32) -> PreCallSpec {
        PreCallSpec {
            inbound,
            attempt,
            bot: 7,
            from: Phone {
                plan: 0,
                digits: u64::from(attempt),
            },
            to: Phone {
                plan: 2,
                digits: u64::from(attempt) + 100,
            },
        }
    }

    /// `inbound` or `outbound`.
    pub fn direction(self) -> &'static str {
        if self.inbound { "inbound" } else { "outbound" }
    }

    /// The request.
    pub fn request(self) -> PreCallRequest {
        PreCallRequest::new(
            self.direction(),
            &cuid(self.bot),
            &self.from.e164(),
            &self.to.e164(),
            self.attempt,
        )
    }

    /// The exact JSON text sent.
    pub fn json(self) -> String {
        serde_json::to_string(&self.request()).unwrap_or_default()
    }
}

/// Pre-call requests, shrinking towards attempt 1, outbound.
pub fn pre_call() -> impl Strategy<Value = PreCallSpec> {
    (
        any::<bool>(),
        1u32..=3,
        any::<u64>().no_shrink(),
        phone(),
        phone(),
    )
        .prop_map(|(inbound, attempt, bot, from, to)| PreCallSpec {
            inbound,
            attempt,
            bot,
            from,
            to,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn numbers_are_e164_for_every_plan() {
        let lengths = [12, 13, 13, 14, 12];
        for (plan, length) in lengths.into_iter().enumerate() {
            for digits in [0, 1, 99, u64::MAX] {
                let number = Phone { plan, digits }.e164();
                assert!(number.starts_with('+'), "{number}");
                assert!(number[1..].bytes().all(|b| b.is_ascii_digit()), "{number}");
                assert_eq!(number.len(), length, "{number}");
            }
        }
        let us = Phone { plan: 0, digits: 5 }.e164();
        assert!(matches!(us.as_bytes()[2], b'2'..=b'9'), "{us}");
        assert!(matches!(us.as_bytes()[5], b'2'..=b'9'), "{us}");
        assert!(Phone { plan: 1, digits: 5 }.e164().starts_with("+447"));
        assert!(Phone { plan: 2, digits: 5 }.e164().starts_with("+91"));
        assert!(Phone { plan: 3, digits: 5 }.e164().starts_with("+4915"));
        assert!(Phone { plan: 4, digits: 5 }.e164().starts_with("+614"));
    }

    #[test]
    fn cuids_are_25_lowercase_characters_starting_with_c_and_differ_by_input() {
        let a = cuid(1);
        assert_eq!(a.len(), 25);
        assert!(a.starts_with('c'));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(a, cuid(1));
        let ids: std::collections::BTreeSet<String> = (0..1000).map(cuid).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn a_connected_report_has_every_key_and_a_failed_one_matches_the_failed_call_example() {
        let base = CallBase::plain(3);
        let connected = serde_json::to_value(base.connected("cabc")).unwrap();
        for key in OPTIONAL_KEYS {
            assert!(connected.get(key).is_some(), "{key} in {connected}");
        }
        assert_eq!(connected["sessionId"], "cabc");
        assert_eq!(connected["callDuration"], "0:00:48.726000");
        let created = connected["createdAt"].as_str().unwrap();
        assert!(
            created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.',
            "{created}"
        );
        let failed = serde_json::to_value(base.failed("cabc", "dial_busy")).unwrap();
        for key in OPTIONAL_KEYS {
            if key != "summary" {
                assert!(failed.get(key).is_none(), "{key} in {failed}");
            }
        }
        assert_eq!(failed["transcript"], json!([]));
        assert_eq!(failed["summary"], "Call failed: dial_busy");
        assert_eq!(failed["disconnectionReason"], "dial_busy");
        assert!(failed["endedAt"].as_str().unwrap() >= failed["createdAt"].as_str().unwrap());
    }

    #[test]
    fn optional_keys_are_left_out_by_their_bit() {
        let report = CallBase::plain(1).connected("c1");
        for (i, key) in OPTIONAL_KEYS.iter().enumerate() {
            let value =
                serde_json::to_value(without_optional_keys(report.clone(), 1 << i)).unwrap();
            let object = value.as_object().unwrap();
            assert!(!object.contains_key(*key), "{key}");
            assert_eq!(object.len(), 17, "only {key} is left out: {value}");
            assert_eq!(optional_keys_named(1 << i), [*key]);
        }
        let none = serde_json::to_value(without_optional_keys(report, 0x7f)).unwrap();
        assert_eq!(none.as_object().unwrap().len(), 11, "{none}");
    }

    #[test]
    fn escaping_keeps_the_json_value_and_leaves_only_ascii() {
        let mut report = CallBase::plain(2).connected("c2");
        report.transcript = TranscriptSpec::EveryAwkwardText.entries(&[]);
        let raw = report_json(&report, Encoding::Utf8);
        let escaped = report_json(&report, Encoding::AsciiEscaped);
        assert!(!raw.is_ascii());
        assert!(escaped.is_ascii());
        assert!(
            escaped.contains("\\ud83d\\ude00"),
            "the emoji as a surrogate pair"
        );
        let a: Value = serde_json::from_str(&raw).unwrap();
        let b: Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_long_transcript_has_ten_thousand_turns_of_every_speaker() {
        let long = long_transcript();
        assert_eq!(long.len(), 10_000);
        for speaker in SPEAKERS {
            assert!(long.iter().any(|t| t.speaker() == speaker), "{speaker}");
        }
        for text in AWKWARD_TEXTS {
            assert!(long.iter().any(|t| t.message() == text), "{text:?}");
        }
        assert_eq!(TranscriptSpec::Long.entries(&long), long);
        // Every seventh turn is the next awkward text, every fiftieth the system's; the rest walk the plain lines.
        let awkward: Vec<&str> = long
            .iter()
            .skip(6)
            .step_by(7)
            .map(|t| t.message())
            .collect();
        assert_eq!(awkward.len(), 1_428);
        for (k, text) in awkward.iter().enumerate() {
            assert_eq!(
                *text,
                AWKWARD_TEXTS[k % AWKWARD_TEXTS.len()],
                "awkward turn {k}"
            );
        }
        let plain: Vec<&str> = long[..6].iter().map(|t| t.message()).collect();
        assert_eq!(plain, PLAIN_LINES);
        assert_eq!(long.iter().filter(|t| t.speaker() == "system").count(), 200);
        assert_eq!(long[49].speaker(), "system");
        let every = TranscriptSpec::EveryAwkwardText.entries(&long);
        let every: Vec<(&str, &str)> = every.iter().map(|t| (t.speaker(), t.message())).collect();
        let want: Vec<(&str, &str)> = AWKWARD_TEXTS
            .iter()
            .enumerate()
            .map(|(i, text)| (SPEAKERS[i % 3], *text))
            .collect();
        assert_eq!(every, want);
    }

    #[test]
    fn variable_values_are_eight_kinds_that_wrap() {
        let values: Vec<Value> = (0..8).map(variable_value).collect();
        let distinct: std::collections::BTreeSet<String> =
            values.iter().map(Value::to_string).collect();
        assert_eq!(distinct.len(), 8, "{values:?}");
        assert!(values.contains(&json!("")));
        assert!(
            values
                .iter()
                .any(|v| v.as_str().is_some_and(|s| !s.is_ascii()))
        );
        assert!(values.iter().any(Value::is_boolean));
        assert!(values.iter().any(Value::is_i64) && values.iter().any(Value::is_f64));
        assert_eq!(variable_value(8), values[0]);
        assert_eq!(variable_value(13), values[5]);
    }

    #[test]
    fn a_failed_call_ends_within_a_minute_of_its_start() {
        let base = CallBase {
            duration_ms: 2 * 60_000 + 5_000,
            ..CallBase::plain(0)
        };
        let failed = base.failed("cabc", "dial_busy");
        assert_eq!(failed.ended_at, iso(base.start_ms() + 5_000));
        assert_eq!(failed.created_at, iso(base.start_ms()));
    }

    #[test]
    fn extracted_data_is_absent_null_empty_flat_or_nested() {
        assert_eq!(ExtractedSpec::Absent.value(), None);
        assert_eq!(ExtractedSpec::Null.value(), Some(Value::Null));
        assert_eq!(ExtractedSpec::Empty.value(), Some(json!({})));
        let flat = ExtractedSpec::Flat { width: 3 }.value().unwrap();
        assert_eq!(flat.as_object().unwrap().len(), 3);
        assert!(flat.as_object().unwrap().values().all(|v| !v.is_object()));
        fn depth(v: &Value) -> usize {
            match v {
                Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
                Value::Array(a) => a.iter().map(depth).max().unwrap_or(0),
                _ => 0,
            }
        }
        let nested = ExtractedSpec::Nested { depth: 3, seed: 9 }.value().unwrap();
        assert_eq!(depth(&nested), 4, "{nested}");
        // Every level below the top holds one to three items.
        fn item_counts(v: &Value, counts: &mut Vec<usize>) {
            if let Some(items) = v.get("items").and_then(Value::as_array) {
                counts.push(items.len());
                items.iter().for_each(|item| item_counts(item, counts));
            }
        }
        let mut counts = Vec::new();
        for seed in 0..16 {
            let value = ExtractedSpec::Nested { depth: 2, seed }.value().unwrap();
            item_counts(&value, &mut counts);
        }
        assert!(counts.iter().all(|n| (1..=3).contains(n)), "{counts:?}");
        assert!((1..=3).all(|n| counts.contains(&n)), "{counts:?}");
    }

    #[test]
    fn a_turns_speaker_choice_wraps_over_the_three_speakers() {
        let turns = TranscriptSpec::Turns(vec![
            (
                SPEAKERS.len() + 2,
                Message(vec![Piece::Random("hi".into())]),
            ),
            (1, Message(Vec::new())),
        ]);
        let entries = turns.entries(&[]);
        let entries: Vec<(&str, &str)> =
            entries.iter().map(|t| (t.speaker(), t.message())).collect();
        assert_eq!(entries, [("system", "hi"), ("user", "")]);
    }

    #[test]
    fn pre_call_requests_carry_the_attempt_and_direction() {
        let value: Value = serde_json::from_str(&PreCallSpec::fixed(true, 3).json()).unwrap();
        assert_eq!(value["event"], "call");
        assert_eq!(value["call"]["attempt"], "3");
        assert_eq!(value["call"]["direction"], "inbound");
        assert_eq!(value["call"]["bot_id"], cuid(7));
        assert_eq!(PreCallSpec::fixed(false, 1).direction(), "outbound");
    }

    #[test]
    fn mix_is_the_splitmix64_step() {
        // SplitMix64's first output from the state 0, its published test value, and from the state 1.
        assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(mix(1), 0x910a_2dec_8902_5cc1);
    }

    #[test]
    fn a_message_is_its_pieces_joined_by_a_space_and_a_known_piece_wraps() {
        let message = Message(vec![
            Piece::Known(1),
            Piece::Random("x y".into()),
            Piece::Known(AWKWARD_TEXTS.len() + 2),
        ]);
        let want = format!("{} x y {}", AWKWARD_TEXTS[1], AWKWARD_TEXTS[2]);
        assert_eq!(message.text(), want);
        assert_eq!(Message(Vec::new()).text(), "");
    }

    #[test]
    fn plain_bases_differ_in_numbers_times_and_carry_two_variables() {
        let base = CallBase::plain(7);
        assert_eq!(
            (base.from.digits, base.to.digits, base.to.plan),
            (7, 1_007, 2)
        );
        // Starts spread over the three years from 2024, never before; the offset is the start's.
        for n in 0..64 {
            let base = CallBase::plain(n);
            assert!(base.start_offset_ms < THREE_YEARS_MS, "{n}");
            assert_eq!(base.start_ms(), EPOCH_2024_MS + base.start_offset_ms);
        }
        let starts: Vec<u64> = (0..64).map(|n| CallBase::plain(n).start_ms()).collect();
        let (first, last) = (starts.iter().min().unwrap(), starts.iter().max().unwrap());
        assert!(*first >= EPOCH_2024_MS, "{first}");
        assert!(*last < EPOCH_2024_MS + 3 * 365 * DAY_MS as u64, "{last}");
        assert!(last - first > 2 * 365 * DAY_MS as u64, "{first}..{last}");
        // An offset past three years wraps to the start of the window.
        let wrapped = CallBase {
            start_offset_ms: THREE_YEARS_MS + 5,
            ..CallBase::plain(0)
        };
        assert_eq!(wrapped.start_ms(), EPOCH_2024_MS + 5);
        let variables = serde_json::to_value(base.dynamic_variables()).unwrap();
        let want = json!({
            VARIABLE_NAMES[0]: variable_value(0),
            VARIABLE_NAMES[2]: variable_value(1),
        });
        assert_eq!(variables, want);
        // A name choice past the list wraps.
        let wrapped = CallBase {
            variables: vec![(VARIABLE_NAMES.len() + 1, 5)],
            ..CallBase::plain(0)
        };
        let variables = serde_json::to_value(wrapped.dynamic_variables()).unwrap();
        assert_eq!(variables, json!({ VARIABLE_NAMES[1]: 42 }));
    }

    #[test]
    fn a_connected_report_alternates_speakers_over_the_plain_lines_and_its_reason_wraps() {
        let base = CallBase {
            turns: PLAIN_LINES.len() + 2,
            reason: CONNECTED_REASONS.len() + 2,
            ..CallBase::plain(0)
        };
        let report = base.connected("cabc");
        let turns: Vec<(&str, &str)> = report
            .transcript
            .iter()
            .map(|entry| (entry.0.as_str(), entry.1.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = (0..PLAIN_LINES.len() + 2)
            .map(|i| {
                let speaker = ["assistant", "user"][i % 2];
                (speaker, PLAIN_LINES[i % PLAIN_LINES.len()])
            })
            .collect();
        assert_eq!(turns, want);
        assert_eq!(report.disconnection_reason, CONNECTED_REASONS[2]);
    }

    #[test]
    fn generated_calls_last_up_to_two_hours() {
        let mut runner = TestRunner::deterministic();
        let durations: Vec<u64> = (0..200)
            .map(|_| {
                call_base()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
                    .duration_ms
            })
            .collect();
        assert!(
            durations.iter().all(|&d| d < 2 * 3_600_000),
            "{durations:?}"
        );
        assert!(
            durations.iter().any(|&d| d > 3_600_000),
            "none over an hour"
        );
    }

    #[test]
    fn generated_bases_shrink_towards_a_plain_outbound_call() {
        let mut runner = TestRunner::deterministic();
        let mut tree = call_base().new_tree(&mut runner).unwrap();
        while tree.simplify() {}
        let base = tree.current();
        assert!(!base.inbound && !base.webcall);
        assert_eq!((base.from.plan, base.turns, base.duration_ms), (0, 1, 0));
        assert!(base.variables.is_empty());
    }
}
