//! The account for the responder: `GET/POST /v1/bots`, `GET/PATCH/DELETE /v1/bots/{uid}`,
//! `GET /v1/phone-numbers`, `GET /v1/phone-numbers/{uid}` and the link endpoints, written from the vendor's
//! OpenAPI document and `docs/contract-kit.md`'s assumptions, apart from the kit's oracle (`contract::account`).
//!
//! Its bots and numbers are the seeded ones of `openmic_fixtures::Generator` for the agents and account numbers
//! of its calls (the data model, not the mock's code), with one `created_at` tie among the bots and one among
//! the numbers, so the tie-breaker is tested, and one number with no inbound agent, so a `null` is served. Request bodies are checked with the fixtures' field rules
//! (`check_bot`).

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use openmic_fixtures::{AgentUse, BotFields, Call, DEFAULT_SEED, Direction, Generator, NumberUse};
use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use super::{OpenMicResponder, ResponderFault, json_response, percent_decode};
use crate::contract::dates::{format_rfc3339_ms, parse_date};

/// The bots and phone numbers the responder serves and changes.
#[derive(Debug, Default)]
pub(super) struct AccountState {
    bots: Vec<Value>,
    numbers: Vec<Value>,
    /// The numbers as seeded, for [`ResponderFault::PhoneNumberGetStale`].
    seeded_numbers: Vec<Value>,
    /// Every bot a link has named, for [`ResponderFault::BotOnceLinkedStaysInUse`].
    ever_linked: BTreeSet<String>,
    created: u64,
    last_ms: i64,
}

/// The account of `calls`: a bot per agent, a record per account number, each number's agents those of its
/// newest call in each direction.
pub(super) fn account_of(calls: &[(Call, Value)]) -> Mutex<AccountState> {
    let generator = Generator::new(DEFAULT_SEED);
    // A call not started counts as starting at the newest start, as the mock counts it at the time it loaded.
    let newest = calls
        .iter()
        .filter_map(|(c, _)| c.start_timestamp)
        .map(|t| t.millis())
        .max()
        .unwrap_or(0);
    let start = |c: &Call| c.start_timestamp.map_or(newest, |t| t.millis());
    let mut agents: Vec<AgentUse> = Vec::new();
    let mut numbers: Vec<NumberUse> = Vec::new();
    // `calls` are newest first: the first call seen of a number in a direction is its latest.
    for (call, _) in calls {
        match agents.iter_mut().find(|a| a.agent_id == call.agent_id) {
            Some(agent) => agent.first_ms = agent.first_ms.min(start(call)),
            None => agents.push(AgentUse {
                agent_id: call.agent_id.clone(),
                first_ms: start(call),
            }),
        }
        let own = match call.direction {
            Direction::Outbound => &call.from_number,
            Direction::Inbound => &call.to_number,
        };
        if !openmic_fixtures::is_e164(own) {
            continue;
        }
        let index = match numbers.iter().position(|n| &n.number == own) {
            Some(i) => i,
            None => {
                numbers.push(NumberUse {
                    number: own.clone(),
                    first_ms: start(call),
                    inbound_agent_id: None,
                    outbound_agent_id: None,
                });
                numbers.len() - 1
            }
        };
        let number = &mut numbers[index];
        number.first_ms = number.first_ms.min(start(call));
        let slot = match call.direction {
            Direction::Outbound => &mut number.outbound_agent_id,
            Direction::Inbound => &mut number.inbound_agent_id,
        };
        slot.get_or_insert_with(|| call.agent_id.clone());
    }
    let mut bots: Vec<Value> = agents
        .iter()
        .map(|a| serde_json::to_value(generator.bot_for(a)).unwrap_or(Value::Null))
        .collect();
    let mut records: Vec<Value> = numbers
        .iter()
        .map(|n| serde_json::to_value(generator.phone_number_for(n)).unwrap_or(Value::Null))
        .collect();
    for list in [&mut bots, &mut records] {
        if list.len() >= 2 {
            list[1]["created_at"] = list[0]["created_at"].clone();
        }
    }
    // One number answers no inbound calls, so a `null` agent is served.
    if let Some(last) = records.last_mut() {
        last["inbound_agent_id"] = Value::Null;
    }
    Mutex::new(AccountState {
        bots,
        seeded_numbers: records.clone(),
        numbers: records,
        ..AccountState::default()
    })
}

const BOTS: &str = "/v1/bots";
const NUMBERS: &str = "/v1/phone-numbers";
const LINK: &str = "/v1/phone-numbers/link-agent";
const UNLINK: &str = "/v1/phone-numbers/unlink-agent";

fn error(status: u16, text: &str) -> ResponseTemplate {
    json_response(status, json!({ "error": text }))
}

fn created_ms(record: &Value) -> i64 {
    record["created_at"]
        .as_str()
        .and_then(parse_date)
        .unwrap_or(i64::MIN)
}

impl OpenMicResponder {
    fn account(&self) -> MutexGuard<'_, AccountState> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `uid` is a bot of the account.
    pub(super) fn has_bot(&self, uid: &str) -> bool {
        self.account().bots.iter().any(|b| b["uid"] == uid)
    }

    /// The outbound agent linked to `number`, when it is a number of the account: `Some(None)` when none is.
    pub(super) fn outbound_agent(&self, number: &str) -> Option<Option<String>> {
        self.account()
            .numbers
            .iter()
            .find(|n| n["phone_number"] == number)
            .map(|n| n["outbound_agent_id"].as_str().map(str::to_string))
    }

    /// The methods `path` answers, when it is an account path.
    pub(super) fn account_methods(path: &str) -> Option<&'static [&'static str]> {
        if path == BOTS {
            Some(&["GET", "POST"])
        } else if path == LINK || path == UNLINK {
            Some(&["POST"])
        } else if path == NUMBERS
            || path
                .strip_prefix("/v1/phone-numbers/")
                .is_some_and(|id| !id.contains('/'))
        {
            Some(&["GET"])
        } else if path
            .strip_prefix("/v1/bots/")
            .is_some_and(|id| !id.contains('/') && !id.is_empty())
        {
            Some(&["GET", "PATCH", "DELETE"])
        } else {
            None
        }
    }

    /// Answers an account request whose path and method [`Self::account_methods`] accepted, key checked.
    pub(super) fn account_answer(&self, request: &Request, path: &str) -> ResponseTemplate {
        let method = request.method.as_str();
        let id = |prefix: &str| {
            path.strip_prefix(prefix)
                .and_then(percent_decode)
                .unwrap_or_default()
        };
        match (method, path) {
            ("GET", BOTS) => self.list_account(request, true),
            ("POST", BOTS) => self.create_bot(request),
            ("GET", NUMBERS) => self.list_account(request, false),
            ("POST", LINK) => self.link(request),
            ("POST", UNLINK) => self.unlink(request),
            ("GET", p) if p.starts_with("/v1/phone-numbers/") => {
                let id = id("/v1/phone-numbers/");
                let account = self.account();
                match account.numbers.iter().find(|n| {
                    if self.has(ResponderFault::PhoneNumbersGetIgnoresCase) {
                        n["phone_number_id"]
                            .as_str()
                            .is_some_and(|p| p.eq_ignore_ascii_case(&id))
                    } else {
                        n["phone_number_id"] == id.as_str()
                    }
                }) {
                    Some(n) => {
                        let mut n = self.number_view(n);
                        if self.has(ResponderFault::PhoneNumberGetStale)
                            && let Some(seeded) = account
                                .seeded_numbers
                                .iter()
                                .find(|s| s["phone_number_id"] == n["phone_number_id"])
                        {
                            for key in ["inbound_agent_id", "outbound_agent_id"] {
                                n[key] = seeded[key].clone();
                            }
                        }
                        if self.has(ResponderFault::PhoneNumbersGetDropsName)
                            && let Some(map) = n.as_object_mut()
                        {
                            map.remove("name");
                        }
                        json_response(200, n)
                    }
                    None => error(404, "Phone number with the specified UID was not found."),
                }
            }
            ("GET", _) => {
                let uid = id("/v1/bots/");
                match self.account().bots.iter().find(|b| {
                    if self.has(ResponderFault::BotsGetByIdPrefix) {
                        b["uid"].as_str().is_some_and(|u| uid.starts_with(u))
                    } else {
                        b["uid"] == uid.as_str()
                    }
                }) {
                    Some(bot) => json_response(200, self.bot_view(bot)),
                    None if self.has(ResponderFault::BotsWrongNotFoundBody) => {
                        error(404, "Not Found")
                    }
                    None => error(404, "Bot with the specified UID was not found."),
                }
            }
            ("PATCH", _) => self.update_bot(request, &id("/v1/bots/")),
            _ => self.delete_bot(&id("/v1/bots/")),
        }
    }

    fn bot_view(&self, bot: &Value) -> Value {
        let mut bot = bot.clone();
        if self.has(ResponderFault::BotsWithoutPrompt)
            && let Some(map) = bot.as_object_mut()
        {
            map.remove("prompt");
        }
        bot
    }

    fn number_view(&self, number: &Value) -> Value {
        let mut number = number.clone();
        if let Some(map) = number.as_object_mut() {
            if self.has(ResponderFault::PhoneNumbersOmitNullAgents) {
                map.retain(|_, v| !v.is_null());
            }
            if self.has(ResponderFault::PhoneNumbersWithoutPlus)
                && let Some(Value::String(n)) = map.get_mut("phone_number")
            {
                *n = n.trim_start_matches('+').to_string();
            }
        }
        number
    }

    fn list_account(&self, request: &Request, bots: bool) -> ResponseTemplate {
        let pairs: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let known: &[&str] = if bots {
            &["limit", "offset", "name", "created_after", "created_before"]
        } else {
            &["limit", "offset", "phone_number", "name"]
        };
        let mut errors = Vec::new();
        let mut values: Vec<(&str, String)> = Vec::new();
        for name in known {
            let given: Vec<&String> = pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v)
                .collect();
            match given.as_slice() {
                [] => {}
                [one] => values.push((name, (*one).clone())),
                [.., last] if self.has(ResponderFault::PhoneNumbersRepeatedLastWins) && !bots => {
                    values.push((name, (*last).clone()))
                }
                _ => errors.push(format!("{name} must be given at most once")),
            }
        }
        let value = |name: &str| {
            values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        let integer = |v: &str| -> Option<u64> {
            (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| v.parse().ok())
                .flatten()
        };
        let mut limit = 50;
        if let Some(v) = value("limit") {
            match integer(&v) {
                Some(l)
                    if l >= 1
                        && (l <= 100 || (bots && self.has(ResponderFault::BotsLimitNotCapped))) =>
                {
                    limit = l
                }
                _ => errors.push(format!("limit must be an integer from 1 to 100, got {v:?}")),
            }
        }
        let mut offset = 0;
        if let Some(v) = value("offset") {
            match integer(&v) {
                Some(o) => offset = o,
                None => errors.push(format!("offset must be a non-negative integer, got {v:?}")),
            }
        }
        let mut bound = |name: &str| -> Option<i64> {
            let v = value(name)?;
            let parsed = parse_date(&v);
            if parsed.is_none() {
                errors.push(format!("{name} must be an ISO 8601 date-time, got {v:?}"));
            }
            parsed
        };
        let (after, before) = (bound("created_after"), bound("created_before"));
        if !errors.is_empty() {
            return json_response(
                400,
                json!({"error": "Invalid query parameters provided.", "message": errors.join("; ")}),
            );
        }
        let name = value("name").filter(|n| !n.is_empty());
        let number = value("phone_number").filter(|n| !n.is_empty());
        let inclusive = self.has(ResponderFault::BotsCreatedBoundsInclusive);
        let account = self.account();
        let records = if bots {
            &account.bots
        } else {
            &account.numbers
        };
        let mut matching: Vec<Value> = records
            .iter()
            .filter(|r| {
                let text = |f: &str| r[f].as_str().unwrap_or_default().to_string();
                let created = created_ms(r);
                name.as_ref().is_none_or(|n| {
                    if bots && self.has(ResponderFault::BotsNameCaseSensitive) {
                        text("name").contains(n.as_str())
                    } else {
                        text("name").to_lowercase().contains(&n.to_lowercase())
                    }
                }) && number.as_ref().is_none_or(|n| {
                    if self.has(ResponderFault::PhoneNumberFilterExact) {
                        text("phone_number") == *n
                    } else {
                        text("phone_number").contains(n.as_str())
                    }
                }) && after.is_none_or(|a| created > a || (inclusive && created == a))
                    && before.is_none_or(|b| created < b || (inclusive && created == b))
            })
            .map(|r| {
                if bots {
                    self.bot_view(r)
                } else {
                    self.number_view(r)
                }
            })
            .collect();
        let id_field = if bots { "uid" } else { "phone_number_id" };
        let order = |a: &Value, b: &Value| {
            let ids = a[id_field].as_str().cmp(&b[id_field].as_str());
            let ids = if !bots && self.has(ResponderFault::PhoneNumbersTiesByIdDescending) {
                ids.reverse()
            } else {
                ids
            };
            created_ms(b).cmp(&created_ms(a)).then(ids)
        };
        matching.sort_by(order);
        if bots && self.has(ResponderFault::BotsOldestFirst) {
            matching.reverse();
        }
        let total = matching.len() as u64;
        if bots && name.is_some() && self.has(ResponderFault::BotsNameFilterOnlyCounted) {
            matching = records.iter().map(|r| self.bot_view(r)).collect();
            matching.sort_by(order);
        }
        let restart =
            !bots && self.has(ResponderFault::PhoneNumbersPagesRestartAtFirst) && offset < total;
        let skip = if !bots && self.has(ResponderFault::PhoneNumbersOffsetSkipsOne) && offset > 0 {
            offset + 1
        } else if restart {
            0
        } else {
            offset
        };
        let limit = if restart {
            limit.min(total - offset)
        } else {
            limit
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        let take = if !bots && self.has(ResponderFault::PhoneNumbersLimitIgnored) {
            usize::MAX
        } else {
            usize::try_from(limit).unwrap_or(usize::MAX)
        };
        if !bots && self.has(ResponderFault::PhoneNumbersPageTakesOldest) {
            // The page is taken from the far end of what follows the offset, then put newest first.
            let rest = matching.split_off(skip.min(matching.len()));
            let mut oldest: Vec<Value> = rest.into_iter().rev().take(take).collect();
            oldest.sort_by(order);
            matching.extend(oldest);
        }
        let mut page: Vec<Value> = matching.into_iter().skip(skip).take(take).collect();
        if bots && self.has(ResponderFault::BotsOffsetPageReversed) && offset > 0 {
            page.reverse();
        }
        if bots && self.has(ResponderFault::BotsPageRepeatsFirst) && offset > 0 && page.len() >= 2 {
            page[1] = page[0].clone();
        }
        let has_more = offset.saturating_add(page.len() as u64) < total;
        let total = if bots && self.has(ResponderFault::BotsTotalIsPageLength) {
            page.len() as u64
        } else {
            total
        };
        let key = if bots { "bots" } else { "phone_numbers" };
        json_response(
            200,
            json!({key: page, "pagination": {"limit": limit, "offset": offset, "total": total, "has_more": has_more}}),
        )
    }

    /// The body as a JSON object, or the 400 of the bot endpoints.
    fn bot_body(
        &self,
        request: &Request,
        fields: BotFields,
    ) -> Result<Map<String, Value>, Box<ResponseTemplate>> {
        let invalid = |message: String| {
            let error = if self.has(ResponderFault::BotCreateWrongErrorText) {
                "Invalid request body"
            } else {
                "Invalid request format, please check API reference."
            };
            json_response(400, json!({"error": error, "message": message}))
        };
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return Err(Box::new(invalid("body: must be a JSON object".into())));
        };
        let checked = openmic_fixtures::check_bot(&body, fields);
        let problems: Vec<String> = checked
            .problems
            .iter()
            .filter(|p| {
                !(self.has(ResponderFault::BotCreateAcceptsOutOfRange)
                    && p.field.contains("max_call_duration"))
            })
            .map(ToString::to_string)
            .collect();
        if problems.is_empty() {
            Ok(body)
        } else {
            Err(Box::new(invalid(problems.join("; "))))
        }
    }

    /// The responder's clock, strictly increasing so `updated_at` always moves.
    fn now(account: &mut AccountState) -> String {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        account.last_ms = wall.max(account.last_ms + 1);
        format_rfc3339_ms(account.last_ms)
    }

    fn create_bot(&self, request: &Request) -> ResponseTemplate {
        let body = match self.bot_body(request, BotFields::Create) {
            Ok(body) => body,
            Err(answer) => return *answer,
        };
        let mut account = self.account();
        account.created += 1;
        let now = Self::now(&mut account);
        let mut bot = Map::new();
        bot.insert(
            "uid".into(),
            format!("wiremockbot{:013}", account.created).into(),
        );
        bot.extend(body);
        bot.insert("created_at".into(), now.clone().into());
        let updated = if self.has(ResponderFault::BotCreateUpdatedAtDiffers) {
            Self::now(&mut account)
        } else {
            now
        };
        bot.insert("updated_at".into(), updated.into());
        let bot = Value::Object(bot);
        account.bots.push(bot.clone());
        let status = if self.has(ResponderFault::BotCreateAnswers200) {
            200
        } else {
            201
        };
        json_response(status, bot)
    }

    fn update_bot(&self, request: &Request, uid: &str) -> ResponseTemplate {
        if !self.has_bot(uid) {
            return error(404, "Bot with the specified UID was not found.");
        }
        let body = match self.bot_body(request, BotFields::Update) {
            Ok(body) => body,
            Err(answer) => return *answer,
        };
        let mut account = self.account();
        let now = Self::now(&mut account);
        let merge = !self.has(ResponderFault::BotPatchReplacesSettings);
        let keep_time = self.has(ResponderFault::BotPatchKeepsUpdatedAt);
        let Some(bot) = account.bots.iter_mut().find(|b| b["uid"] == uid) else {
            return error(404, "Bot with the specified UID was not found.");
        };
        if self.has(ResponderFault::BotPatchResetsDefaults) {
            for (key, default) in [("voice_speed", 1.0), ("llm_model_temperature", 0.7)] {
                if !body.contains_key(key) {
                    bot[key] = json!(default);
                }
            }
        }
        for (key, value) in body {
            if key == "llm_model_temperature"
                && self.has(ResponderFault::BotPatchIgnoresTemperature)
            {
                continue;
            }
            match (bot.get_mut(&key), value) {
                (Some(Value::Object(old)), Value::Object(new))
                    if merge && key.ends_with("_settings") =>
                {
                    old.extend(new);
                }
                (_, value) => bot[&key] = value,
            }
        }
        if !keep_time {
            bot["updated_at"] = now.into();
        }
        json_response(200, bot.clone())
    }

    fn delete_bot(&self, uid: &str) -> ResponseTemplate {
        let mut account = self.account();
        let Some(index) = account.bots.iter().position(|b| b["uid"] == uid) else {
            return error(404, "Bot with the specified UID was not found.");
        };
        let linked = account
            .numbers
            .iter()
            .any(|n| n["inbound_agent_id"] == uid || n["outbound_agent_id"] == uid)
            || (self.has(ResponderFault::BotOnceLinkedStaysInUse)
                && account.ever_linked.contains(uid));
        if linked && self.has(ResponderFault::BotInUseWithoutError) {
            return ResponseTemplate::new(409);
        }
        if linked && !self.has(ResponderFault::DeleteIgnoresLinks) {
            return json_response(
                409,
                json!({"error": "Bot is currently in use.", "message": "a phone number links it"}),
            );
        }
        account.bots.remove(index);
        if self.has(ResponderFault::BotDeleteAnswers200) {
            return ResponseTemplate::new(200);
        }
        ResponseTemplate::new(204)
    }

    fn link(&self, request: &Request) -> ResponseTemplate {
        let invalid =
            |m: &str| json_response(400, json!({"error": "Invalid request body.", "message": m}));
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return invalid("the body must be a JSON object");
        };
        let field = |f: &str| body.get(f).and_then(Value::as_str).map(str::to_string);
        let (Some(number), Some(agent), Some(direction)) = (
            field("phone_number_id"),
            field("agent_id"),
            field("direction"),
        ) else {
            return invalid("phone_number_id, agent_id and direction are required strings");
        };
        let direction = if self.has(ResponderFault::LinkDirectionIgnoresCase) {
            direction.to_lowercase()
        } else {
            direction
        };
        if !["inbound", "outbound", "both"].contains(&direction.as_str()) {
            return self.link_error(
                400,
                "Invalid direction specified. Must be one of 'inbound', 'outbound', 'both'.",
            );
        }
        self.set_agents(&number, &direction, Some(agent), true)
            .unwrap_or_else(|| {
                let status = if self.has(ResponderFault::LinkUnknownNumberAnswers400) {
                    400
                } else {
                    404
                };
                let number_unknown = || {
                    !self
                        .account()
                        .numbers
                        .iter()
                        .any(|n| n["phone_number_id"] == number.as_str())
                };
                if self.has(ResponderFault::LinkNotFoundWrongText) {
                    self.link_error(status, "Not Found")
                } else if self.has(ResponderFault::LinkUnknownNumberWrongText) && number_unknown() {
                    self.link_error(status, "Phone number with the specified UID was not found.")
                } else {
                    self.link_error(status, "The specified phone number or bot was not found.")
                }
            })
    }

    /// An error of link or unlink: `{"error": text}`, with a `code` under
    /// [`ResponderFault::LinkErrorsCarryCode`].
    fn link_error(&self, status: u16, text: &str) -> ResponseTemplate {
        if self.has(ResponderFault::LinkErrorsCarryCode) {
            json_response(status, json!({"error": text, "code": "LINK_ERROR"}))
        } else {
            error(status, text)
        }
    }

    fn unlink(&self, request: &Request) -> ResponseTemplate {
        let invalid =
            |m: &str| json_response(400, json!({"error": "Invalid request body.", "message": m}));
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return invalid("the body must be a JSON object");
        };
        let field = |f: &str| body.get(f).and_then(Value::as_str).map(str::to_string);
        if field("phone_number_id").is_none()
            && self.has(ResponderFault::UnlinkWithoutNumberAnswers404)
        {
            return self.link_error(404, "Phone number with the specified UID was not found.");
        }
        let (Some(number), Some(mut direction)) = (field("phone_number_id"), field("direction"))
        else {
            return invalid("phone_number_id and direction are required strings");
        };
        if !["inbound", "outbound", "both"].contains(&direction.as_str()) {
            if !self.has(ResponderFault::UnlinkUnknownDirectionMeansBoth) {
                return invalid("direction must be inbound, outbound or both");
            }
            direction = "both".into();
        }
        self.set_agents(&number, &direction, None, false)
            .unwrap_or_else(|| {
                self.link_error(404, "Phone number with the specified UID was not found.")
            })
    }

    /// Sets `direction`'s agents of `number` to `agent`; `None` when the number (or the bot) is unknown.
    fn set_agents(
        &self,
        number: &str,
        direction: &str,
        agent: Option<String>,
        linked: bool,
    ) -> Option<ResponseTemplate> {
        let mut account = self.account();
        if let Some(agent) = &agent
            && !account.bots.iter().any(|b| b["uid"] == agent.as_str())
            && !self.has(ResponderFault::LinkUnknownBotAccepted)
        {
            return None;
        }
        let now = Self::now(&mut account);
        if let Some(agent) = &agent
            && account
                .numbers
                .iter()
                .any(|n| n["phone_number_id"] == number)
        {
            account.ever_linked.insert(agent.clone());
        }
        let record = account
            .numbers
            .iter_mut()
            .find(|n| n["phone_number_id"] == number)?;
        let agent = Value::from(agent);
        if direction != "outbound" {
            record["inbound_agent_id"] = agent.clone();
        }
        if direction != "inbound" {
            record["outbound_agent_id"] = agent;
        }
        record["updated_at"] = now.into();
        let calls = match direction {
            "both" => "inbound and outbound calls",
            "inbound" => "inbound calls",
            _ => "outbound calls",
        };
        let verb = match (linked, self.has(ResponderFault::LinkMessageWrong)) {
            (_, true) => "updated",
            (true, _) => "linked",
            (false, _) => "unlinked",
        };
        Some(json_response(
            200,
            json!({
                "phone_number_id": record["phone_number_id"],
                "phone_number": record["phone_number"],
                "inbound_agent_id": record["inbound_agent_id"],
                "outbound_agent_id": record["outbound_agent_id"],
                "message": format!("Bot {verb} successfully for {calls}."),
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> OpenMicResponder {
        OpenMicResponder::new(openmic_fixtures::default_calls())
    }

    #[test]
    fn the_seeded_dates_come_before_the_first_call_with_one_tie_in_each_list() {
        let responder = seeded();
        let account = responder.account();
        let starts: Vec<i64> = responder
            .calls
            .iter()
            .filter_map(|(c, _)| c.start_timestamp)
            .map(|t| i64::try_from(t.millis()).unwrap())
            .collect();
        let (oldest, newest) = (starts.iter().min().unwrap(), starts.iter().max().unwrap());
        for (list, name) in [(&account.bots, "bots"), (&account.numbers, "numbers")] {
            let times: Vec<i64> = list.iter().map(created_ms).collect();
            assert!(list.len() >= 4, "{name}: {}", list.len());
            // Created before its first call, at most a year before: an agent or number with calls not
            // started is not dated 1970.
            assert!(
                times
                    .iter()
                    .all(|t| t < newest && *t > oldest - 366 * 86_400_000),
                "{name}: {times:?}, calls from {oldest} to {newest}"
            );
            assert_eq!(times[0], times[1], "{name}: the tie");
            let mut distinct = times.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), times.len() - 1, "{name}: {times:?}");
        }
    }
}
