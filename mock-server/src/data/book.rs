//! A data set's account as it is served: its bots and phone numbers in list order, each with its JSON (as calls
//! are kept), the lists' filters and pages, the completion from the calls (see [`crate::data::account`] for
//! the rules and the changes), and the rules across an account's records.

use std::collections::BTreeSet;
use std::sync::Arc;

use openmic_fixtures::{Account, Bot, NumberUse, PhoneNumber};

use crate::api::account_query::{ListBotsParams, ListNumbersParams, PageParams};
use crate::data::store::{CallStore, Pagination, list_body};

/// Why an account change was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// No bot with this uid (or it was deleted).
    #[error("no bot {0:?}")]
    BotNotFound(String),
    /// No phone number with this id.
    #[error("no phone number {0:?}")]
    NumberNotFound(String),
    /// Link: the number or the bot does not exist.
    #[error("no phone number {number:?} or no bot {bot:?}")]
    NumberOrBotNotFound {
        /// The number's id.
        number: String,
        /// The bot's uid.
        bot: String,
    },
    /// Delete: the bot is linked to a number or has a call in progress.
    #[error("{0}")]
    BotInUse(String),
    /// Records that break a rule (`what: why`, each).
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The tenant named has no data set.
    #[error("no tenant with API key {0:?}")]
    TenantNotFound(String),
}

/// A bot and what listing it needs.
#[derive(Debug)]
pub struct BotEntry {
    /// The bot.
    pub bot: Bot,
    created_ms: i64,
    name_folded: String,
    /// Its JSON, as every answer carries it.
    pub json: Box<str>,
}

/// A phone number and what listing it needs.
#[derive(Debug)]
pub struct NumberEntry {
    /// The number.
    pub number: PhoneNumber,
    created_ms: i64,
    name_folded: String,
    /// Its JSON, as every answer carries it.
    pub json: Box<str>,
}

fn instant(text: &str) -> i64 {
    // Every stored date was checked when it came in; a bad one sorts as the oldest.
    openmic_fixtures::parse_rfc3339_millis(text).unwrap_or(i64::MIN)
}

impl BotEntry {
    fn new(bot: Bot) -> Arc<Self> {
        let json = serde_json::to_string(&bot)
            .unwrap_or_default()
            .into_boxed_str();
        Arc::new(BotEntry {
            created_ms: instant(&bot.created_at),
            name_folded: bot.name.to_lowercase(),
            bot,
            json,
        })
    }
}

impl NumberEntry {
    fn new(number: PhoneNumber) -> Arc<Self> {
        let json = serde_json::to_string(&number)
            .unwrap_or_default()
            .into_boxed_str();
        Arc::new(NumberEntry {
            created_ms: instant(&number.created_at),
            name_folded: number.name.as_deref().unwrap_or_default().to_lowercase(),
            number,
            json,
        })
    }
}

/// The bots and phone numbers of one data set, each list in the API's order: newest `created_at` first, ties
/// by id ascending (byte order).
#[derive(Debug, Clone, Default)]
pub struct AccountBook {
    pub(super) bots: Vec<Arc<BotEntry>>,
    pub(super) numbers: Vec<Arc<NumberEntry>>,
    /// Bots deleted through the API: never generated again for their calls.
    pub(super) deleted: BTreeSet<String>,
    /// How many bots were created through the API (the next uid's index).
    pub(super) created_bots: u64,
}

impl AccountBook {
    /// The account as loaded, in list order.
    pub fn new(account: Account) -> Self {
        let mut book = AccountBook {
            bots: account.bots.into_iter().map(BotEntry::new).collect(),
            numbers: account
                .phone_numbers
                .into_iter()
                .map(NumberEntry::new)
                .collect(),
            ..Default::default()
        };
        book.sort();
        book
    }

    fn sort(&mut self) {
        self.bots.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then_with(|| a.bot.uid.cmp(&b.bot.uid))
        });
        self.numbers.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then_with(|| a.number.phone_number_id.cmp(&b.number.phone_number_id))
        });
    }

    /// The account, typed, in list order.
    pub fn account(&self) -> Account {
        Account {
            bots: self.bots.iter().map(|e| e.bot.clone()).collect(),
            phone_numbers: self.numbers.iter().map(|e| e.number.clone()).collect(),
        }
    }

    /// The bot `uid`.
    pub fn bot(&self, uid: &str) -> Option<&Arc<BotEntry>> {
        self.bots.iter().find(|e| e.bot.uid == uid)
    }

    /// The phone number with id `id`.
    pub fn number(&self, id: &str) -> Option<&Arc<NumberEntry>> {
        self.numbers.iter().find(|e| e.number.phone_number_id == id)
    }

    /// The record of the E.164 number `number`.
    pub fn number_for(&self, number: &str) -> Option<&Arc<NumberEntry>> {
        self.numbers
            .iter()
            .find(|e| e.number.phone_number == number)
    }

    /// Every number of the account, sorted.
    pub fn e164_numbers(&self) -> Vec<String> {
        let mut numbers: Vec<String> = self
            .numbers
            .iter()
            .map(|e| e.number.phone_number.clone())
            .collect();
        numbers.sort_unstable();
        numbers
    }

    /// How many bots and numbers the account has.
    pub fn len(&self) -> (usize, usize) {
        (self.bots.len(), self.numbers.len())
    }

    /// A page of bots matching `params`: `{"bots":[...],"pagination":{...}}`.
    pub fn list_bots(&self, params: &ListBotsParams) -> Vec<u8> {
        let name = params.name.as_deref().map(str::to_lowercase);
        let matches = self.bots.iter().filter(|e| {
            name.as_deref().is_none_or(|n| e.name_folded.contains(n))
                && params.created_after.is_none_or(|t| e.created_ms > t)
                && params.created_before.is_none_or(|t| e.created_ms < t)
        });
        page("bots", matches.map(|e| &*e.json), &params.page)
    }

    /// A page of phone numbers matching `params`: `{"phone_numbers":[...],"pagination":{...}}`.
    pub fn list_numbers(&self, params: &ListNumbersParams) -> Vec<u8> {
        let name = params.name.as_deref().map(str::to_lowercase);
        let matches = self.numbers.iter().filter(|e| {
            name.as_deref().is_none_or(|n| e.name_folded.contains(n))
                && params
                    .phone_number
                    .as_deref()
                    .is_none_or(|n| e.number.phone_number.contains(n))
        });
        page("phone_numbers", matches.map(|e| &*e.json), &params.page)
    }

    pub(super) fn with_bot(&self, bot: Bot) -> AccountBook {
        let mut book = self.clone();
        book.bots.retain(|e| e.bot.uid != bot.uid);
        book.deleted.remove(&bot.uid);
        book.bots.push(BotEntry::new(bot));
        book.sort();
        book
    }

    pub(super) fn with_number(&self, number: PhoneNumber) -> AccountBook {
        let mut book = self.clone();
        book.numbers
            .retain(|e| e.number.phone_number_id != number.phone_number_id);
        book.numbers.push(NumberEntry::new(number));
        book.sort();
        book
    }

    /// Adds what the calls of `base` need: a bot for every agent (but deleted ones), a record for every number
    /// they use and for each of `extra` (linked both ways to `extra_agent`).
    pub(super) fn completed(
        &self,
        base: &CallStore,
        generator: &openmic_fixtures::Generator,
        now_ms: u64,
        extra: &[String],
    ) -> Option<AccountBook> {
        let (agents, mut numbers) = base.account_uses(now_ms);
        let extra_agent = base.most_used_agent().map(|a| a.to_string());
        for number in extra {
            if !numbers.iter().any(|n| &n.number == number) {
                numbers.push(NumberUse {
                    number: number.clone(),
                    first_ms: now_ms,
                    inbound_agent_id: extra_agent.clone(),
                    outbound_agent_id: extra_agent.clone(),
                });
            }
        }
        let mut account = self.account();
        let (bots, added_numbers) = account.complete(generator, agents, numbers, &|uid| {
            self.deleted.contains(uid)
        });
        if bots == 0 && added_numbers == 0 {
            return None;
        }
        let mut book = AccountBook::new(account);
        book.deleted = self.deleted.clone();
        book.created_bots = self.created_bots;
        Some(book)
    }
}

/// The page of `items` (already filtered, in order) that `page` asks for.
fn page<'a>(key: &str, items: impl Iterator<Item = &'a str>, page: &PageParams) -> Vec<u8> {
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let mut total = 0_u64;
    let mut shown = Vec::new();
    for (i, item) in items.enumerate() {
        total += 1;
        if i >= offset && shown.len() < page.limit as usize {
            shown.push(item);
        }
    }
    let pagination = Pagination {
        limit: page.limit,
        offset: page.offset,
        total,
        has_more: page.offset.saturating_add(shown.len() as u64) < total,
    };
    list_body(key, &shown, &pagination, page.offset_sent.as_deref())
}

/// The rules across an account's records: unique ids, unique numbers, linked agents that are bots.
pub fn check_links(account: &Account) -> Result<(), AccountError> {
    check_unique(account)?;
    check_agents(account)
}

/// Unique bot uids, unique number ids and numbers, each problem named by the record's index.
pub(super) fn check_unique(account: &Account) -> Result<(), AccountError> {
    let mut problems = Vec::new();
    let mut uids = BTreeSet::new();
    for (i, bot) in account.bots.iter().enumerate() {
        if !uids.insert(bot.uid.as_str()) {
            problems.push(format!(
                "bots[{i}].uid: {:?} is the uid of an earlier bot",
                bot.uid
            ));
        }
    }
    let mut ids = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, n) in account.phone_numbers.iter().enumerate() {
        if !ids.insert(n.phone_number_id.as_str()) {
            problems.push(format!(
                "phone_numbers[{i}].phone_number_id: {:?} is the id of an earlier number",
                n.phone_number_id
            ));
        }
        if !numbers.insert(n.phone_number.as_str()) {
            problems.push(format!(
                "phone_numbers[{i}].phone_number: {} is the number of an earlier record",
                n.phone_number
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(problems))
    }
}

/// Every linked agent is a bot of the account.
pub(super) fn check_agents(account: &Account) -> Result<(), AccountError> {
    let uids: BTreeSet<&str> = account.bots.iter().map(|b| b.uid.as_str()).collect();
    let mut problems = Vec::new();
    for n in &account.phone_numbers {
        for (field, agent) in [
            ("inbound_agent_id", &n.inbound_agent_id),
            ("outbound_agent_id", &n.outbound_agent_id),
        ] {
            if let Some(agent) = agent
                && !uids.contains(agent.as_str())
            {
                problems.push(format!(
                    "phone number {:?}: {field} {agent:?} is not a bot of the account",
                    n.phone_number_id
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(problems))
    }
}
