//! The changes to a data set's account (its bots and phone numbers, served from [`crate::data::book`]): the
//! API's (create, update and delete a bot, link and unlink an agent), the admin API's, and the completion that
//! keeps the account consistent with the calls.
//!
//! The account is completed from the calls whenever they change ([`DataSets::complete_account`]): every
//! `agent_id` of a served call gets a bot and every number the account calls from (or is called on) gets a
//! record, generated from the seed ([`openmic_fixtures::Generator::bot_for`]), unless the data already had
//! one. A bot deleted through the API stays deleted (its calls keep their `agent_id`) until the data set is
//! reset or replaced.
//!
//! A change builds a new [`AccountBook`] and swaps an `Arc` to it under the data sets' writer lock, so a
//! reader sees the account before or after a change, never between.

use std::sync::Arc;

use openmic_fixtures::{
    Account, Bot, CallStatus, Direction, LinkDirection, PhoneNumber, rfc3339_ms,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::query::ListCallsParams;
use crate::data::book::{AccountBook, AccountError, check_agents, check_links, check_unique};
use crate::data::set::{DataSet, SetRef};
use crate::data::sets::DataSets;

/// The answer of link-agent and unlink-agent: the vendor's `LinkBotToPhoneNumberResponse`, in its order.
#[derive(Debug, Clone, Serialize)]
pub struct LinkAnswer {
    /// The number's id.
    pub phone_number_id: String,
    /// The number.
    pub phone_number: String,
    /// Its inbound agent now.
    pub inbound_agent_id: Option<String>,
    /// Its outbound agent now.
    pub outbound_agent_id: Option<String>,
    /// What was done.
    pub message: String,
}

impl DataSets {
    pub(super) fn set_or_tenant(&self, tenant: Option<&str>) -> Result<SetRef<'_>, AccountError> {
        self.set_named(tenant)
            .map_err(|_| AccountError::TenantNotFound(tenant.unwrap_or_default().to_string()))
    }

    /// The account of the data set `api_key` is served.
    pub fn account_for_key(&self, api_key: &str) -> Arc<AccountBook> {
        self.set_for_key(api_key).get().account()
    }

    /// The account of the default data set (`tenant: None`) or a tenant's.
    pub fn account_of(&self, tenant: Option<&str>) -> Result<Arc<AccountBook>, AccountError> {
        Ok(self.set_or_tenant(tenant)?.get().account())
    }

    /// Runs `change` on the account of the default data set (`tenant: None`) or a tenant's, under the writer
    /// lock: what every admin change of an account starts with.
    fn change_account<T>(
        &self,
        tenant: Option<&str>,
        change: impl FnOnce(&DataSet, Arc<AccountBook>) -> Result<T, AccountError>,
    ) -> Result<T, AccountError> {
        let _writer = self.lock_writer();
        let set = self.set_or_tenant(tenant)?;
        let set = set.get();
        change(set, set.account())
    }

    /// Completes the account of `set` from its calls (the writer lock is held).
    pub(super) fn complete_account(&self, set: &DataSet) {
        let book = set.account();
        if let Some(book) = book.completed(
            set.served().base(),
            &self.generator,
            self.clock.now_ms(),
            &self.extra_numbers,
        ) {
            set.swap_account(book);
        }
    }

    /// The account `account` completed for `set`'s calls: what a data set starts with.
    pub(super) fn starting_account(&self, set: &DataSet, account: Account) -> Arc<AccountBook> {
        let book = AccountBook::new(account);
        let book = book
            .completed(
                set.served().base(),
                &self.generator,
                self.clock.now_ms(),
                &self.extra_numbers,
            )
            .unwrap_or(book);
        Arc::new(book)
    }

    /// `POST /v1/bots`: a new bot from checked request `fields` (unknown ones already dropped).
    pub fn create_bot(
        &self,
        api_key: &str,
        fields: Map<String, Value>,
    ) -> Result<Box<str>, AccountError> {
        let _writer = self.lock_writer();
        let set = self.set_for_key(api_key);
        let set = set.get();
        let book = set.account();
        let mut n = book.created_bots;
        let uid = loop {
            let uid = self.generator.created_bot_uid(n);
            n += 1;
            if book.bot(&uid).is_none() && !book.deleted.contains(&uid) {
                break uid;
            }
        };
        let now = rfc3339_ms(self.clock.now_ms());
        let mut object = Map::new();
        object.insert("uid".into(), Value::String(uid.clone()));
        object.extend(fields);
        object.insert("created_at".into(), Value::String(now.clone()));
        object.insert("updated_at".into(), Value::String(now));
        let mut next = book.with_bot(typed_bot(object)?);
        next.created_bots = n;
        let answer = next.bot(&uid).map(|e| e.json.clone()).unwrap_or_default();
        set.swap_account(next);
        Ok(answer)
    }

    /// `PATCH /v1/bots/{uid}`: the fields given replace the bot's; each settings object merges field by field.
    pub fn update_bot(
        &self,
        api_key: &str,
        uid: &str,
        fields: Map<String, Value>,
    ) -> Result<Box<str>, AccountError> {
        let _writer = self.lock_writer();
        let set = self.set_for_key(api_key);
        let set = set.get();
        let book = set.account();
        let entry = book
            .bot(uid)
            .ok_or_else(|| AccountError::BotNotFound(uid.to_string()))?;
        let Ok(Value::Object(mut object)) = serde_json::to_value(&entry.bot) else {
            return Err(AccountError::Invalid(vec!["a bot is an object".into()]));
        };
        for (key, value) in fields {
            match (object.get_mut(&key), value) {
                // The three settings objects are a bot's only object fields (unknown ones are dropped).
                (Some(Value::Object(settings)), Value::Object(given)) => settings.extend(given),
                (_, value) => {
                    object.insert(key, value);
                }
            }
        }
        object.insert(
            "updated_at".into(),
            Value::String(rfc3339_ms(self.clock.now_ms())),
        );
        let bot = typed_bot(object)?;
        let next = book.with_bot(bot);
        let answer = next.bot(uid).map(|e| e.json.clone()).unwrap_or_default();
        set.swap_account(next);
        Ok(answer)
    }

    /// `DELETE /v1/bots/{uid}`: refused while a number links the bot or a call of it is in progress.
    pub fn delete_bot(&self, api_key: &str, uid: &str) -> Result<(), AccountError> {
        let _writer = self.lock_writer();
        let set = self.set_for_key(api_key);
        let set = set.get();
        self.advance_locked(set, self.clock.now_ms());
        let book = set.account();
        if book.bot(uid).is_none() {
            return Err(AccountError::BotNotFound(uid.to_string()));
        }
        let linked: Vec<String> = book
            .numbers
            .iter()
            .filter_map(|e| {
                let n = &e.number;
                let directions: Vec<&str> = [
                    ("inbound", &n.inbound_agent_id),
                    ("outbound", &n.outbound_agent_id),
                ]
                .into_iter()
                .filter(|(_, agent)| agent.as_deref() == Some(uid))
                .map(|(d, _)| d)
                .collect();
                (!directions.is_empty()).then(|| {
                    format!(
                        "{} ({}, {})",
                        n.phone_number,
                        n.phone_number_id,
                        directions.join(" and ")
                    )
                })
            })
            .collect();
        if !linked.is_empty() {
            return Err(AccountError::BotInUse(format!(
                "the bot is linked to phone number {}; unlink it first with POST \
                 /v1/phone-numbers/unlink-agent",
                linked.join(", ")
            )));
        }
        let served = set.served();
        let active: Vec<String> = [CallStatus::Registered, CallStatus::Ongoing]
            .into_iter()
            .filter_map(|status| {
                let page = served.list(&ListCallsParams {
                    bot_id: Some(uid.to_string()),
                    call_status: Some(status),
                    limit: 1,
                    ..Default::default()
                });
                (page.pagination.total > 0).then(|| format!("{} {status}", page.pagination.total))
            })
            .collect();
        if !active.is_empty() {
            return Err(AccountError::BotInUse(format!(
                "the bot has calls in progress ({}); delete it once they have ended",
                active.join(", ")
            )));
        }
        let mut next = (*book).clone();
        next.bots.retain(|e| e.bot.uid != uid);
        next.deleted.insert(uid.to_string());
        set.swap_account(next);
        Ok(())
    }

    /// `POST /v1/phone-numbers/link-agent`.
    pub fn link_agent(
        &self,
        api_key: &str,
        number_id: &str,
        agent_id: &str,
        direction: LinkDirection,
    ) -> Result<LinkAnswer, AccountError> {
        self.relink(api_key, number_id, direction, Some(agent_id))
    }

    /// `POST /v1/phone-numbers/unlink-agent`.
    pub fn unlink_agent(
        &self,
        api_key: &str,
        number_id: &str,
        direction: LinkDirection,
    ) -> Result<LinkAnswer, AccountError> {
        self.relink(api_key, number_id, direction, None)
    }

    fn relink(
        &self,
        api_key: &str,
        number_id: &str,
        direction: LinkDirection,
        agent_id: Option<&str>,
    ) -> Result<LinkAnswer, AccountError> {
        let _writer = self.lock_writer();
        let set = self.set_for_key(api_key);
        let set = set.get();
        let book = set.account();
        let entry = book.number(number_id);
        let entry = match (entry, agent_id) {
            (Some(entry), Some(agent)) if book.bot(agent).is_some() => entry,
            (_, Some(agent)) => {
                return Err(AccountError::NumberOrBotNotFound {
                    number: number_id.to_string(),
                    bot: agent.to_string(),
                });
            }
            (Some(entry), None) => entry,
            (None, None) => return Err(AccountError::NumberNotFound(number_id.to_string())),
        };
        let mut number = entry.number.clone();
        if direction.covers(Direction::Inbound) {
            number.inbound_agent_id = agent_id.map(str::to_string);
        }
        if direction.covers(Direction::Outbound) {
            number.outbound_agent_id = agent_id.map(str::to_string);
        }
        number.updated_at = rfc3339_ms(self.clock.now_ms());
        let answer = LinkAnswer {
            phone_number_id: number.phone_number_id.clone(),
            phone_number: number.phone_number.clone(),
            inbound_agent_id: number.inbound_agent_id.clone(),
            outbound_agent_id: number.outbound_agent_id.clone(),
            message: format!(
                "Bot {} successfully for {} calls.",
                if agent_id.is_some() {
                    "linked"
                } else {
                    "unlinked"
                },
                direction.calls_word()
            ),
        };
        set.swap_account(book.with_number(number));
        Ok(answer)
    }

    /// Replaces the bots of the default data set or a tenant's; the calls' agents without a bot get generated
    /// ones again. A number linked to a bot the new bots lack is refused.
    pub fn set_bots(&self, tenant: Option<&str>, bots: Vec<Bot>) -> Result<usize, AccountError> {
        self.change_account(tenant, |set, book| {
            let mut account = book.account();
            account.bots = bots;
            let count = self.replace_account(set, &book, account)?;
            Ok(count.0)
        })
    }

    /// Inserts a bot, or replaces the one with its uid; returns whether it replaced one.
    pub fn upsert_bot(&self, tenant: Option<&str>, bot: Bot) -> Result<bool, AccountError> {
        self.change_account(tenant, |set, book| {
            let replaced = book.bot(&bot.uid).is_some();
            set.swap_account(book.with_bot(bot));
            Ok(replaced)
        })
    }

    /// Removes a bot whatever uses it (an admin change): numbers linking it are unlinked, its calls keep
    /// their `agent_id`, and it is not generated again.
    pub fn remove_bot(&self, tenant: Option<&str>, uid: &str) -> Result<usize, AccountError> {
        self.change_account(tenant, |set, book| {
            if book.bot(uid).is_none() {
                return Err(AccountError::BotNotFound(uid.to_string()));
            }
            let mut account = book.account();
            account.bots.retain(|b| b.uid != uid);
            for number in &mut account.phone_numbers {
                for agent in [&mut number.inbound_agent_id, &mut number.outbound_agent_id] {
                    if agent.as_deref() == Some(uid) {
                        *agent = None;
                    }
                }
            }
            let mut next = AccountBook::new(account);
            next.deleted = book.deleted.clone();
            next.deleted.insert(uid.to_string());
            next.created_bots = book.created_bots;
            let count = next.bots.len();
            set.swap_account(next);
            Ok(count)
        })
    }

    /// Replaces the phone numbers of the default data set or a tenant's; every linked agent must be a bot.
    /// The calls' numbers without a record get generated ones again.
    pub fn set_numbers(
        &self,
        tenant: Option<&str>,
        numbers: Vec<PhoneNumber>,
    ) -> Result<usize, AccountError> {
        self.change_account(tenant, |set, book| {
            let mut account = book.account();
            account.phone_numbers = numbers;
            let count = self.replace_account(set, &book, account)?;
            Ok(count.1)
        })
    }

    /// Serves `account`, completed for the calls of `set` (whose account was `book`), if its records are
    /// consistent; returns how many bots and numbers it has. Bots deleted stay deleted.
    fn replace_account(
        &self,
        set: &DataSet,
        book: &AccountBook,
        account: Account,
    ) -> Result<(usize, usize), AccountError> {
        check_unique(&account)?;
        let mut next = AccountBook::new(account);
        next.deleted = book.deleted.clone();
        next.created_bots = book.created_bots;
        let next = next
            .completed(
                set.served().base(),
                &self.generator,
                self.clock.now_ms(),
                &self.extra_numbers,
            )
            .unwrap_or(next);
        check_agents(&next.account())?;
        let count = next.len();
        set.swap_account(next);
        Ok(count)
    }

    /// Inserts a phone number, or replaces the one with its id; returns whether it replaced one.
    pub fn upsert_number(
        &self,
        tenant: Option<&str>,
        number: PhoneNumber,
    ) -> Result<bool, AccountError> {
        self.change_account(tenant, |set, book| {
            let replaced = book.number(&number.phone_number_id).is_some();
            let mut account = book.account();
            account
                .phone_numbers
                .retain(|n| n.phone_number_id != number.phone_number_id);
            account.phone_numbers.push(number.clone());
            check_links(&account)?;
            set.swap_account(book.with_number(number));
            Ok(replaced)
        })
    }

    /// Removes a phone number; returns how many remain. A number its calls use gets a generated record again
    /// at the next change of the calls.
    pub fn remove_number(&self, tenant: Option<&str>, id: &str) -> Result<usize, AccountError> {
        self.change_account(tenant, |set, book| {
            if book.number(id).is_none() {
                return Err(AccountError::NumberNotFound(id.to_string()));
            }
            let mut next = (*book).clone();
            next.numbers.retain(|e| e.number.phone_number_id != id);
            let count = next.numbers.len();
            set.swap_account(next);
            Ok(count)
        })
    }
}

/// A bot from a complete JSON object (checked before): the serde form keeps every field as given.
fn typed_bot(object: Map<String, Value>) -> Result<Bot, AccountError> {
    serde_json::from_value(Value::Object(object)).map_err(|err| {
        AccountError::Invalid(vec![format!("the bot does not fit the model: {err}")])
    })
}
