//! Generated inputs for the create-phone-call properties: a valid request as plain choices over the listed
//! data ([`CallSpec`]) and one broken rule on top of it ([`Breach`]), so shrinking moves towards the first
//! number of the account, no optional fields and the plainest breach, and a boundary case is written in the
//! same terms as a random one.
//!
//! Numbers called are fictional: `+1 NPA 555-01XX`, the range North American numbering keeps for fiction, so
//! a run against the live API (`--allow-create`) never rings a real person.

use openmic_fixtures::{Call, CallStatus};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::contract::create::{CREATE_PATH, NewCall};
use crate::http::{Auth, Request};
use crate::runner::Boundary;
use crate::server::dataset::Dataset;

/// Area codes of the fictional numbers called.
const AREA_CODES: [&str; 4] = ["212", "415", "617", "312"];
/// Names of generated dynamic variables.
const VARIABLE_NAMES: [&str; 4] = ["first_name", "order_id", "language", "kit_case"];
/// Values of generated dynamic variables: plain, non-ASCII, empty, with a space.
const VARIABLE_VALUES: [&str; 6] = ["Ada", "Zoë", "A-1024", "", "en-US", "two words"];
/// The `callback_url` sent: a reserved domain, so the live API's callback goes nowhere.
pub const CALLBACK_URL: &str = "https://example.com/openmic-contract/callback";

/// What a create request can be built from: the account's numbers and bots, as listed.
#[derive(Debug, Clone)]
pub struct Account {
    /// Numbers to call from ([`Dataset::account_numbers`]), but those listed by `GET /v1/phone-numbers` with no
    /// outbound agent.
    pub numbers: Vec<String>,
    /// `agent_id`s seen in the listing: bots of the account, for `override_agent_id`.
    pub agents: Vec<String>,
    /// Every number of the account the listings show, with or without an outbound agent: what a
    /// `from_number` not of the account must avoid.
    pub owned: Vec<String>,
}

impl Account {
    /// The account as the listing shows it; `None` when no number of the account was listed.
    pub fn of(data: &Dataset) -> Option<Account> {
        let mut numbers = data.account_numbers();
        let mut owned = numbers.clone();
        owned.extend(
            data.phone_numbers
                .records
                .iter()
                .filter_map(|r| r["phone_number"].as_str().map(str::to_string)),
        );
        owned.sort();
        owned.dedup();
        // A number listed with no outbound agent cannot call without override_agent_id (assumed): leave it out.
        let listed = &data.phone_numbers;
        numbers.retain(|n| {
            !listed
                .records
                .iter()
                .any(|r| r["phone_number"] == n.as_str() && r["outbound_agent_id"].is_null())
        });
        (!numbers.is_empty()).then(|| Account {
            numbers,
            agents: data.values(|c| Some(c.agent_id.as_str())),
            owned,
        })
    }

    /// A `from_number` that is E.164 but no number of the account: the first fictional number it does not own
    /// (an account cannot own one, but a test data set can).
    pub fn foreign_number(&self) -> String {
        (0..)
            .map(fictional_number)
            .find(|n| !self.owned.contains(n))
            .unwrap_or_default()
    }

    /// An `override_agent_id` that is no bot of the account.
    pub fn unknown_agent(&self) -> String {
        let mut candidate = "openmic-contract-no-such-bot".to_string();
        while self.agents.contains(&candidate) {
            candidate.push('x');
        }
        candidate
    }
}

/// A valid create request, as choices.
#[derive(Debug, Clone)]
pub struct CallSpec {
    /// Index of the `from_number` among the account's numbers.
    pub from: usize,
    /// Which fictional number to call (0..400).
    pub to: usize,
    /// `override_agent_id`: index of a listed bot.
    pub agent: Option<usize>,
    /// `customer_id`: `openmic-contract-<n>`.
    pub customer: Option<u32>,
    /// `dynamic_variables`: (name, value) indexes; an empty list is `{}`.
    pub variables: Option<Vec<(usize, usize)>>,
    /// Whether `callback_url` is sent.
    pub callback: bool,
    /// Whether the `Content-Type` says `; charset=utf-8` (both spellings are `application/json`).
    pub charset: bool,
}

impl CallSpec {
    /// Only the required fields, from the first number.
    pub fn required_only() -> CallSpec {
        CallSpec {
            from: 0,
            to: 0,
            agent: None,
            customer: None,
            variables: None,
            callback: false,
            charset: false,
        }
    }

    /// Every optional field, with a non-ASCII variable and the charset spelling.
    pub fn every_field() -> CallSpec {
        CallSpec {
            from: 0,
            to: 1,
            agent: Some(0),
            customer: Some(1),
            variables: Some(vec![(0, 1), (1, 2)]),
            callback: true,
            charset: true,
        }
    }

    /// The request this spec stands for, over `account`.
    pub fn new_call(&self, account: &Account) -> NewCall {
        let variables = self.variables.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|&(name, value)| {
                    (
                        VARIABLE_NAMES[name % VARIABLE_NAMES.len()].to_string(),
                        Value::from(VARIABLE_VALUES[value % VARIABLE_VALUES.len()]),
                    )
                })
                .collect::<Map<String, Value>>()
        });
        NewCall {
            from_number: account.numbers[self.from % account.numbers.len()].clone(),
            to_number: fictional_number(self.to),
            override_agent_id: self
                .agent
                .filter(|_| !account.agents.is_empty())
                .map(|i| account.agents[i % account.agents.len()].clone()),
            customer_id: self.customer.map(|n| format!("openmic-contract-{n}")),
            dynamic_variables: variables,
            callback_url: self.callback.then(|| CALLBACK_URL.to_string()),
        }
    }

    /// The `Content-Type` of a valid request.
    pub fn content_type(&self) -> &'static str {
        if self.charset {
            "application/json; charset=utf-8"
        } else {
            "application/json"
        }
    }

    /// The valid request, ready to send.
    pub fn request(&self, account: &Account) -> Request {
        Request::post(
            CREATE_PATH,
            Some(self.content_type()),
            self.new_call(account).to_json().to_string(),
        )
    }
}

/// Whether `number` is one of the fictional numbers [`fictional_number`] gives: how the kit knows a call an
/// earlier run created.
pub fn is_fictional_number(number: &str) -> bool {
    number
        .strip_prefix("+1")
        .and_then(|rest| AREA_CODES.iter().find_map(|code| rest.strip_prefix(code)))
        .and_then(|rest| rest.strip_prefix("55501"))
        .is_some_and(|xx| xx.len() == 2 && xx.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `call` is one an earlier run created and is still playing out (`registered` or `ongoing`): it will
/// change during this run.
pub fn is_kit_call_in_flight(call: &Call) -> bool {
    is_fictional_number(&call.to_number)
        && matches!(
            call.call_status,
            CallStatus::Registered | CallStatus::Ongoing
        )
}

/// `+1 NPA 555-01XX`: a fictional North American number.
pub fn fictional_number(n: usize) -> String {
    format!(
        "+1{}55501{:02}",
        AREA_CODES[(n / 100) % AREA_CODES.len()],
        n % 100
    )
}

pub(crate) fn call_spec() -> impl Strategy<Value = CallSpec> {
    let variables =
        proptest::collection::vec((0..VARIABLE_NAMES.len(), 0..VARIABLE_VALUES.len()), 0..3);
    (
        (0..64usize, 0..400usize),
        proptest::option::of(0..64usize),
        proptest::option::of(0..1000u32),
        proptest::option::of(variables),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((from, to), agent, customer, variables, (callback, charset))| CallSpec {
                from,
                to,
                agent,
                customer,
                variables,
                callback,
                charset,
            },
        )
}

/// A field of the request body (`CreateCallRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    /// Required, E.164.
    FromNumber,
    /// Required, E.164.
    ToNumber,
    /// Optional string.
    OverrideAgentId,
    /// Optional string.
    CustomerId,
    /// Optional object.
    DynamicVariables,
    /// Optional string.
    CallbackUrl,
}

impl CreateField {
    /// Every field, required first.
    pub const ALL: [CreateField; 6] = [
        CreateField::FromNumber,
        CreateField::ToNumber,
        CreateField::OverrideAgentId,
        CreateField::CustomerId,
        CreateField::DynamicVariables,
        CreateField::CallbackUrl,
    ];

    /// As in the body.
    pub fn name(self) -> &'static str {
        match self {
            CreateField::FromNumber => "from_number",
            CreateField::ToNumber => "to_number",
            CreateField::OverrideAgentId => "override_agent_id",
            CreateField::CustomerId => "customer_id",
            CreateField::DynamicVariables => "dynamic_variables",
            CreateField::CallbackUrl => "callback_url",
        }
    }

    /// JSON values of the wrong type for this field.
    fn wrong_types(self) -> &'static [&'static str] {
        match self {
            CreateField::FromNumber | CreateField::ToNumber => {
                &["12125550100", "null", "true", "[\"+12125550100\"]", "{}"]
            }
            CreateField::OverrideAgentId | CreateField::CustomerId | CreateField::CallbackUrl => {
                &["42", "true", "[\"x\"]", "{}"]
            }
            CreateField::DynamicVariables => &["\"first_name=Ada\"", "[\"Ada\"]", "42", "true"],
        }
    }
}

/// Numbers that break E.164 (`^\+[1-9]\d{1,14}$`), each in its own way.
pub const BAD_NUMBERS: [&str; 14] = [
    "12125550100",
    "+02125550100",
    "+1",
    "+1234567890123456",
    "+1 212 555 0100",
    "+1-212-555-0100",
    "+1(212)5550100",
    "+1212555010a",
    "++12125550100",
    "+1212555\u{ff10}100",
    " +12125550100",
    "+12125550100 ",
    "",
    "+",
];

/// `Content-Type`s that are not `application/json` (`None`: no header), sent with a valid JSON body.
pub const WRONG_CONTENT_TYPES: [Option<&str>; 4] = [
    Some("text/plain"),
    Some("application/x-www-form-urlencoded"),
    None,
    Some("application/xml"),
];

/// `Authorization` headers that must give the documented 401 (`{key}` is the target's key).
const BAD_KEYS: [Option<&str>; 4] = [
    None,
    Some("Bearer openmic-contract-wrong-key"),
    Some("Bearer "),
    Some("Basic {key}"),
];

/// Bodies sent as `application/json` that are not a JSON object.
const NOT_OBJECTS: usize = 9;

/// One rule of create-phone-call broken on purpose, the rest of the request valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// A required field left out.
    Missing(CreateField),
    /// A number that is not E.164: index into [`BAD_NUMBERS`].
    BadNumber(CreateField, usize),
    /// A value of the wrong JSON type: index into the field's wrong values.
    WrongType(CreateField, usize),
    /// A body that is not a JSON object: the valid body in an array, cut short, `[]`, `"x"`, `1`, `null`,
    /// `true`, empty, or `{}` with a trailing comma.
    NotAnObject(usize),
    /// A valid body under a `Content-Type` that is not JSON: index into [`WRONG_CONTENT_TYPES`].
    ContentType(usize),
    /// A missing or wrong key: a 401 whatever the body.
    BadKey(usize),
    /// An `override_agent_id` that names no bot: a 404.
    UnknownAgent,
    /// A `from_number` that is E.164 but no number of the account (rule 14k: "a number purchased from
    /// OpenMic"): a 400.
    ForeignNumber,
}

/// The documented rejection a breach must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 400 with the documented `error`.
    Invalid,
    /// The documented 401.
    Unauthorized,
    /// The documented 404 for an unknown bot.
    UnknownAgent,
}

impl Breach {
    /// What the server must answer.
    pub fn rejection(self) -> Rejection {
        match self {
            Breach::BadKey(_) => Rejection::Unauthorized,
            Breach::UnknownAgent => Rejection::UnknownAgent,
            _ => Rejection::Invalid,
        }
    }

    /// The rule, in words, for the failure line.
    pub fn rule(self) -> String {
        match self {
            Breach::Missing(field) => format!("without {}: 400", field.name()),
            Breach::BadNumber(field, i) => format!(
                "{} {:?} is not E.164: 400",
                field.name(),
                BAD_NUMBERS[i % BAD_NUMBERS.len()]
            ),
            Breach::WrongType(field, i) => {
                let values = field.wrong_types();
                format!(
                    "{} = {} has the wrong JSON type: 400",
                    field.name(),
                    values[i % values.len()]
                )
            }
            Breach::NotAnObject(_) => "a body that is not a JSON object: 400".into(),
            Breach::ContentType(i) => match WRONG_CONTENT_TYPES[i % WRONG_CONTENT_TYPES.len()] {
                Some(t) => format!("Content-Type {t}, not application/json: 400"),
                None => "no Content-Type, not application/json: 400".into(),
            },
            Breach::BadKey(_) => "a missing or invalid key: the documented 401".into(),
            Breach::UnknownAgent => {
                "an override_agent_id that is no bot of the account: the documented 404".into()
            }
            Breach::ForeignNumber => {
                "a from_number that is no number of the account (GET /v1/phone-numbers): 400".into()
            }
        }
    }

    /// The request: `spec`'s valid request with this one rule broken.
    pub fn request(self, spec: &CallSpec, account: &Account) -> Request {
        let valid = spec.new_call(account).to_json();
        let json_post =
            |body: Value| Request::post(CREATE_PATH, Some(spec.content_type()), body.to_string());
        let with = |field: CreateField, value: Value| {
            let mut body = valid.clone();
            body[field.name()] = value;
            json_post(body)
        };
        match self {
            Breach::Missing(field) => {
                let mut body = valid.clone();
                if let Some(object) = body.as_object_mut() {
                    object.remove(field.name());
                }
                json_post(body)
            }
            Breach::BadNumber(field, i) => {
                with(field, Value::from(BAD_NUMBERS[i % BAD_NUMBERS.len()]))
            }
            Breach::WrongType(field, i) => {
                let values = field.wrong_types();
                let value = serde_json::from_str(values[i % values.len()]).unwrap_or(Value::Null);
                with(field, value)
            }
            Breach::NotAnObject(i) => {
                let text = valid.to_string();
                let body = match i % NOT_OBJECTS {
                    0 => format!("[{text}]"),
                    1 => text[..text.len() - 1].to_string(),
                    2 => "[]".into(),
                    3 => "\"x\"".into(),
                    4 => "1".into(),
                    5 => "null".into(),
                    6 => "true".into(),
                    7 => String::new(),
                    _ => format!("{},}}", &text[..text.len() - 1]),
                };
                Request::post(CREATE_PATH, Some(spec.content_type()), body)
            }
            Breach::ContentType(i) => Request::post(
                CREATE_PATH,
                WRONG_CONTENT_TYPES[i % WRONG_CONTENT_TYPES.len()],
                valid.to_string(),
            ),
            Breach::BadKey(i) => {
                let auth = match BAD_KEYS[i % BAD_KEYS.len()] {
                    None => Auth::Missing,
                    Some(header) => Auth::Header(header.into()),
                };
                Request {
                    auth,
                    ..json_post(valid.clone())
                }
            }
            Breach::UnknownAgent => with(
                CreateField::OverrideAgentId,
                Value::from(account.unknown_agent()),
            ),
            Breach::ForeignNumber => with(
                CreateField::FromNumber,
                Value::from(account.foreign_number()),
            ),
        }
    }
}

pub(crate) fn breach() -> impl Strategy<Value = Breach> {
    let required = || prop_oneof![Just(CreateField::FromNumber), Just(CreateField::ToNumber)];
    prop_oneof![
        1 => required().prop_map(Breach::Missing),
        4 => (required(), 0..BAD_NUMBERS.len()).prop_map(|(f, i)| Breach::BadNumber(f, i)),
        3 => (0..CreateField::ALL.len(), 0..5usize).prop_map(|(f, i)| Breach::WrongType(CreateField::ALL[f], i)),
        2 => (0..NOT_OBJECTS).prop_map(Breach::NotAnObject),
        1 => (0..WRONG_CONTENT_TYPES.len()).prop_map(Breach::ContentType),
        1 => (0..BAD_KEYS.len()).prop_map(Breach::BadKey),
        1 => Just(Breach::UnknownAgent),
        1 => Just(Breach::ForeignNumber),
    ]
}

/// The breaches every run of `create_validation` tries first, most telling first (a live run may have
/// creates for only one or two): each kind once, on a request with only the required fields.
pub(crate) fn breach_boundaries() -> Vec<Boundary<(Breach, CallSpec)>> {
    [
        (
            Breach::BadNumber(CreateField::ToNumber, 0),
            "a to_number without its +",
        ),
        (Breach::Missing(CreateField::ToNumber), "no to_number"),
        (Breach::ContentType(0), "a JSON body sent as text/plain"),
        (Breach::UnknownAgent, "an unknown override_agent_id"),
        (Breach::NotAnObject(0), "the valid body inside an array"),
        (Breach::NotAnObject(5), "a null body"),
        (
            Breach::WrongType(CreateField::ToNumber, 0),
            "to_number as a JSON number",
        ),
        (
            Breach::WrongType(CreateField::ToNumber, 3),
            "to_number as an array of the number",
        ),
        (Breach::Missing(CreateField::FromNumber), "no from_number"),
        (
            Breach::BadNumber(CreateField::FromNumber, 3),
            "a from_number of 16 digits",
        ),
        (Breach::BadKey(0), "no Authorization header"),
        (Breach::BadKey(1), "another key"),
        (Breach::ForeignNumber, "a from_number not of this account"),
    ]
    .into_iter()
    .map(|(breach, what)| Boundary {
        what: what.to_string(),
        value: (breach, CallSpec::required_only()),
    })
    .collect()
}

/// The requests `create_shape` and `create_then_found` try first: every optional field, then none.
pub(crate) fn call_boundaries() -> Vec<Boundary<CallSpec>> {
    vec![
        Boundary {
            what: "every optional field given".into(),
            value: CallSpec::every_field(),
        },
        Boundary {
            what: "only from_number and to_number".into(),
            value: CallSpec::required_only(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbound call from each of `numbers`, and the phone numbers listed with the outbound agent each has.
    fn dataset(numbers: &[(&str, Option<&str>)]) -> Dataset {
        let calls = numbers
            .iter()
            .enumerate()
            .map(|(i, (number, _))| {
                let mut call = openmic_fixtures::Call::example(format!("c{i}"));
                call.direction = openmic_fixtures::Direction::Outbound;
                call.from_number = number.to_string();
                let json = serde_json::to_value(&call).unwrap();
                (call, json)
            })
            .collect();
        let records = numbers
            .iter()
            .map(|(number, agent)| serde_json::json!({"phone_number": number, "outbound_agent_id": agent}))
            .collect();
        Dataset {
            calls,
            phone_numbers: crate::server::dataset::Listed {
                records,
                served: true,
                complete: true,
                ..Default::default()
            },
            ..Dataset::default()
        }
    }

    #[test]
    fn a_number_listed_without_an_outbound_agent_is_not_called_from() {
        let data = dataset(&[("+12125550101", Some("bot1")), ("+12125550102", None)]);
        let account = Account::of(&data).unwrap();
        assert_eq!(account.numbers, ["+12125550101"]);
        assert!(Account::of(&dataset(&[("+12125550102", None)])).is_none());
    }

    #[test]
    fn the_foreign_number_is_e164_and_none_the_account_owns_listed_or_not() {
        let data = dataset(&[
            ("+12125550100", Some("bot1")),
            ("+12125550101", None),
            ("+12125550103", Some("bot2")),
        ]);
        let account = Account::of(&data).unwrap();
        assert_eq!(account.numbers, ["+12125550100", "+12125550103"]);
        assert_eq!(
            account.owned,
            ["+12125550100", "+12125550101", "+12125550103"]
        );
        assert_eq!(account.foreign_number(), "+12125550102");
        assert!(openmic_fixtures::is_e164(&account.foreign_number()));
    }

    #[test]
    fn a_specs_variables_are_the_names_and_values_it_indexes_wrapping_around() {
        let account = Account {
            numbers: vec!["+12125550101".into()],
            agents: vec![],
            owned: vec!["+12125550101".into()],
        };
        let call = CallSpec {
            variables: Some(vec![(1, 1), (2, 5), (4, 8)]),
            ..CallSpec::required_only()
        }
        .new_call(&account);
        assert_eq!(
            Value::Object(call.dynamic_variables.unwrap()),
            serde_json::json!({"order_id": "Zoë", "language": "two words", "first_name": "A-1024"})
        );
    }

    #[test]
    fn each_content_type_breach_names_the_header_its_request_sends() {
        let account = Account {
            numbers: vec!["+12125550101".into()],
            agents: vec![],
            owned: vec!["+12125550101".into()],
        };
        let spec = CallSpec::required_only();
        for i in 0..WRONG_CONTENT_TYPES.len() * 2 {
            let breach = Breach::ContentType(i);
            let sent = breach.request(&spec, &account).body.unwrap().content_type;
            let named = match &sent {
                Some(t) => format!("Content-Type {t}, not application/json: 400"),
                None => "no Content-Type, not application/json: 400".into(),
            };
            assert_eq!(breach.rule(), named, "{i}");
            assert_eq!(
                sent.as_deref(),
                WRONG_CONTENT_TYPES[i % WRONG_CONTENT_TYPES.len()]
            );
        }
    }

    #[test]
    fn a_spec_calls_from_the_number_it_names_wrapping_around() {
        let account = Account {
            numbers: vec!["+12125550101".into(), "+12125550102".into()],
            agents: vec!["bot1".into()],
            owned: vec!["+12125550101".into(), "+12125550102".into()],
        };
        let from = |i: usize| {
            CallSpec {
                from: i,
                ..CallSpec::required_only()
            }
            .new_call(&account)
            .from_number
        };
        assert_eq!(
            [from(0), from(1), from(2), from(3)],
            [
                "+12125550101",
                "+12125550102",
                "+12125550101",
                "+12125550102"
            ]
        );
    }

    #[test]
    fn every_number_the_kit_calls_is_fictional_e164_and_recognised_as_the_kits() {
        for n in 0..400 {
            let number = fictional_number(n);
            assert!(openmic_fixtures::is_e164(&number), "{number}");
            assert!(is_fictional_number(&number), "{number}");
            assert!(number.contains("55501"), "{number}");
        }
        for other in [
            "+12125550200",
            "+12128217135",
            "+121255501000",
            "+1212555010",
            "12125550100",
        ] {
            assert!(!is_fictional_number(other), "{other}");
        }
    }

    #[test]
    fn each_breach_breaks_its_rule_and_only_it() {
        let account = Account {
            numbers: vec!["+12128217135".into()],
            agents: vec!["bot1".into()],
            owned: vec!["+12128217135".into()],
        };
        let spec = CallSpec::every_field();
        let valid = spec.request(&account);
        let body = |r: &Request| r.body.clone().unwrap();
        let missing = Breach::Missing(CreateField::ToNumber).request(&spec, &account);
        let value: Value = serde_json::from_str(&body(&missing).text).unwrap();
        assert!(value.get("to_number").is_none() && value["from_number"] == "+12128217135");
        let plain = Breach::ContentType(0).request(&spec, &account);
        assert_eq!(body(&plain).text, body(&valid).text);
        assert_eq!(body(&plain).content_type.as_deref(), Some("text/plain"));
        let unknown = Breach::UnknownAgent.request(&spec, &account);
        let value: Value = serde_json::from_str(&body(&unknown).text).unwrap();
        assert_eq!(value["override_agent_id"], "openmic-contract-no-such-bot");
        let foreign = Breach::ForeignNumber.request(&spec, &account);
        let value: Value = serde_json::from_str(&body(&foreign).text).unwrap();
        assert_eq!(value["from_number"], "+12125550100");
        let valid_value: Value = serde_json::from_str(&body(&valid).text).unwrap();
        assert_eq!(value["to_number"], valid_value["to_number"]);
        for i in 0..NOT_OBJECTS {
            let text = body(&Breach::NotAnObject(i).request(&spec, &account)).text;
            assert!(
                !serde_json::from_str::<Value>(&text).is_ok_and(|v| v.is_object()),
                "{text}"
            );
        }
        for (i, bad) in BAD_NUMBERS.iter().enumerate() {
            assert!(!openmic_fixtures::is_e164(bad), "{bad}");
            let request = Breach::BadNumber(CreateField::FromNumber, i).request(&spec, &account);
            let value: Value = serde_json::from_str(&body(&request).text).unwrap();
            assert_eq!(value["from_number"], *bad);
        }
    }
}
