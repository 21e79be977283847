//! The data set the mock serves: calls in the contract's canonical order, each serialized to JSON once, with
//! indexes that answer a List Calls query without scanning every call.
//!
//! Canonical order (contract rule 10): calls without a `start_timestamp` (not started yet) first, then newest
//! `start_timestamp` first, ties broken by `call_id` descending (compared as bytes). The order is total because
//! `call_id`s are unique, so every request and every restart sees the same sequence.
//!
//! A call is known by its *position* in that order. The store keeps, per position, the call's JSON (the bytes a
//! response copies) and small columns (status, type, interned agent, customer and numbers); per filter value, a
//! posting list of positions in ascending order; and the started calls' `start_timestamp`s, which canonical order
//! sorts descending, so a date range is a contiguous run of positions found by binary search. A query restricts
//! the smallest candidate list to the date run, checks the other filters on the columns, counts `total` and
//! keeps only the page: O(log n + size of the smallest candidate list), and O(log n + limit) when one filter (or
//! none, or only `call_status` with `call_type`, which share a combined list) is given. The typed calls are not kept: a million calls cost their JSON plus a few dozen bytes each.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use openmic_fixtures::{AgentUse, NumberUse, ShiftError};
use openmic_fixtures::{Call, CallChecker, CallStatus, CallType, Direction, Problem, Problems};
use serde::{Deserialize, Serialize};

use crate::api::query::ListCallsParams;

/// The calls, ordered, indexed and pre-serialized.
#[derive(Debug, Default)]
pub struct CallStore {
    /// The JSON of each call, by position: compact, and exactly the bytes a response carries. Shared with the
    /// stores made from this one by an admin change, so adding a call does not copy the others.
    json: Vec<Arc<str>>,
    /// The `call_id` of each position.
    ids: Vec<Arc<str>>,
    /// How many calls have no `start_timestamp`; they hold positions `0..unstarted`.
    unstarted: usize,
    /// `start_timestamp` of positions `unstarted..`, descending.
    starts: Vec<u64>,
    /// Per position: the call's status, type, and interned agent, customer, from and to values.
    columns: Vec<Columns>,
    /// Position of each `call_id`.
    by_id: HashMap<Arc<str>, u32, RandomState>,
    by_status: [Vec<u32>; 4],
    by_type: [Vec<u32>; 2],
    /// Both enums at once (8 lists): the common "ended phone calls since X" query becomes one list and a
    /// binary search instead of an intersection.
    by_status_and_type: [[Vec<u32>; 2]; 4],
    agents: Index,
    customers: Index,
    from_numbers: Index,
    to_numbers: Index,
}

/// The filterable values of one call. Strings are interned ids into the store's [`Index`]es.
#[derive(Debug, Clone, Copy)]
struct Columns {
    status: CallStatus,
    kind: CallType,
    direction: Direction,
    agent: u32,
    customer: u32,
    from: u32,
    to: u32,
}

/// An interned string column: value -> id, id -> value, and id -> positions (ascending).
#[derive(Debug, Default)]
struct Index {
    ids: HashMap<Arc<str>, u32, RandomState>,
    values: Vec<Arc<str>>,
    postings: Vec<Vec<u32>>,
}

/// How far ahead of the call being indexed [`CallStore::index_ordered`] reads ids.
const LOOK_AHEAD: usize = 16;

/// The id of "no value" (a call without a `customer_id`).
const NONE: u32 = u32::MAX;

impl Index {
    fn intern(&mut self, value: &Arc<str>) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.ids.insert(value.clone(), id);
        self.values.push(value.clone());
        self.postings.push(Vec::new());
        id
    }

    /// The value of an id.
    fn value(&self, id: u32) -> &Arc<str> {
        &self.values[id as usize]
    }

    /// The positions holding `value`; empty when no call has it.
    fn postings(&self, value: &str) -> &[u32] {
        self.ids
            .get(value)
            .map_or(&[], |&id| self.postings[id as usize].as_slice())
    }

    fn id(&self, value: &str) -> u32 {
        self.ids.get(value).copied().unwrap_or(NONE)
    }
}

/// One page of a List Calls answer; [`Page::to_json`] is its body.
#[derive(Debug)]
pub struct Page<'a> {
    /// The JSON of each match in `[offset, offset + limit)`.
    pub calls: Vec<&'a str>,
    /// Where the page sits among all matches.
    pub pagination: Pagination,
    /// The offset's digits as sent when larger than `u64::MAX`: `pagination.offset` is shown as these.
    pub offset_sent: Option<String>,
}

impl<'a> Page<'a> {
    /// The page of `calls`, the matches of `params` from its offset on, among `total` matches: the one place a
    /// page's pagination is worked out, for every tier.
    pub(crate) fn of(calls: Vec<&'a str>, total: u64, params: &ListCallsParams) -> Self {
        let has_more = params.offset.saturating_add(calls.len() as u64) < total;
        Page {
            calls,
            pagination: Pagination {
                limit: params.limit,
                offset: params.offset,
                total,
                has_more,
            },
            offset_sent: params.offset_sent.clone(),
        }
    }

    /// The page as the List Calls body, `{"calls":[...],"pagination":{...}}`, in one allocation of exactly the
    /// right size: the calls' JSON is copied once, never re-serialized.
    pub fn to_json(&self) -> Vec<u8> {
        list_body(
            "calls",
            &self.calls,
            &self.pagination,
            self.offset_sent.as_deref(),
        )
    }
}

/// A list answer, `{"<key>":[...],"pagination":{...}}`, from each item's JSON, in one allocation of exactly
/// the right size. `offset_sent` is the offset's digits as sent when larger than `u64::MAX`.
pub(crate) fn list_body(
    key: &str,
    items: &[&str],
    pagination: &Pagination,
    offset_sent: Option<&str>,
) -> Vec<u8> {
    const MIDDLE: &[u8] = br#"],"pagination":"#;
    let pagination = match offset_sent {
        // An offset past u64: the same object, with the offset's digits as sent.
        Some(digits) => format!(
            r#"{{"limit":{},"offset":{digits},"total":{},"has_more":{}}}"#,
            pagination.limit, pagination.total, pagination.has_more
        )
        .into_bytes(),
        None => serde_json::to_vec(pagination).expect("four numbers and a boolean serialize"),
    };
    let items_len: usize = items.iter().map(|c| c.len()).sum();
    let commas = items.len().saturating_sub(1);
    let mut out = Vec::with_capacity(
        key.len() + 5 + items_len + commas + MIDDLE.len() + pagination.len() + 1,
    );
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.as_bytes());
    }
    out.extend_from_slice(MIDDLE);
    out.extend_from_slice(&pagination);
    out.push(b'}');
    out
}

/// The vendor's `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pagination {
    /// The effective page size.
    pub limit: u32,
    /// The offset as requested.
    pub offset: u64,
    /// How many calls match all filters.
    pub total: u64,
    /// Whether matches remain after this page.
    pub has_more: bool,
}

/// Compares two calls in canonical order.
pub fn canonical_order(a: &Call, b: &Call) -> Ordering {
    compare_keys(
        a.start_timestamp.map(|t| t.millis()),
        &a.call_id,
        b.start_timestamp.map(|t| t.millis()),
        &b.call_id,
    )
}

pub(crate) fn compare_keys(
    a_start: Option<u64>,
    a_id: &str,
    b_start: Option<u64>,
    b_id: &str,
) -> Ordering {
    // Not started (None) first, then newest first, then call_id descending.
    let key = |start: Option<u64>| start.map_or((1, 0), |t| (0, t));
    key(b_start).cmp(&key(a_start)).then_with(|| b_id.cmp(a_id))
}

/// A call on its way into the store: its JSON and what the indexes need.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) start: Option<u64>,
    /// Whether the call's `end_timestamp` is before its `start_timestamp`: read only by the checks of
    /// [`CallStore::from_records`], not stored.
    pub(crate) ends_before_start: bool,
    pub(crate) call_id: Arc<str>,
    pub(crate) json: Arc<str>,
    pub(crate) status: CallStatus,
    pub(crate) kind: CallType,
    pub(crate) direction: Direction,
    pub(crate) agent: Arc<str>,
    pub(crate) customer: Option<Arc<str>>,
    pub(crate) from: Arc<str>,
    pub(crate) to: Arc<str>,
}

/// Makes [`Record`]s of typed calls: calls are serialized one after another into one buffer, reused from call to
/// call, and once it holds [`Recorder::BATCH_BYTES`] (or the calls run out) each record gets a copy of its text of
/// exactly its size. Copying a batch at a time keeps the allocator from tidying the typed calls' small freed
/// blocks before every record's text (glibc consolidates them before each allocation of 1 KiB or more): that
/// cost a fifth of a million generated calls' start-up. The values the indexes group by (agent, customer,
/// numbers) are shared between records with the same value, so a million calls of a few dozen agents and
/// customers hold a few dozen copies of them, not millions. Sharing stops at [`Recorder::MAX_SHARED`]
/// distinct values: past that a value is copied into its record, as a loaded call's is.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    buffer: Vec<u8>,
    /// Where each waiting record's text ends in `buffer`.
    ends: Vec<usize>,
    shared: HashSet<Arc<str>, RandomState>,
}

impl Recorder {
    /// How many distinct values a recorder shares at most.
    pub(crate) const MAX_SHARED: usize = 4096;
    /// How many bytes of serialized calls a recorder holds before copying them into their records.
    pub(crate) const BATCH_BYTES: usize = 1 << 20;

    /// The records of `calls`, in their order. Each call is dropped once serialized.
    pub(crate) fn record_all(&mut self, calls: impl IntoIterator<Item = Call>) -> Vec<Record> {
        let calls = calls.into_iter();
        let mut records = Vec::with_capacity(calls.size_hint().0);
        // Stands for a record's text until its batch is copied.
        let waiting: Arc<str> = Arc::from("");
        self.buffer.clear();
        self.ends.clear();
        for call in calls {
            serde_json::to_writer(&mut self.buffer, &call).expect(
                "a Call always serializes: its maps have string keys and its numbers are finite",
            );
            self.ends.push(self.buffer.len());
            records.push(Record {
                start: call.start_timestamp.map(|t| t.millis()),
                ends_before_start: ends_before_start(
                    call.start_timestamp.map(|t| t.millis()),
                    call.end_timestamp.map(|t| t.millis()),
                ),
                call_id: call.call_id.into(),
                json: waiting.clone(),
                status: call.call_status,
                kind: call.call_type,
                direction: call.direction,
                agent: self.share(&call.agent_id),
                customer: call.customer_id.as_deref().map(|c| self.share(c)),
                from: self.share(&call.from_number),
                to: self.share(&call.to_number),
            });
            if self.buffer.len() >= Self::BATCH_BYTES {
                self.copy_batch(&mut records);
            }
        }
        self.copy_batch(&mut records);
        records
    }

    /// Gives the last records, those waiting, their texts from the buffer, and empties it.
    fn copy_batch(&mut self, records: &mut [Record]) {
        let text = std::str::from_utf8(&self.buffer).expect("serde_json writes UTF-8");
        let first = records.len() - self.ends.len();
        let mut start = 0;
        for (record, &end) in records[first..].iter_mut().zip(&self.ends) {
            record.json = text[start..end].into();
            start = end;
        }
        self.buffer.clear();
        self.ends.clear();
    }

    fn share(&mut self, value: &str) -> Arc<str> {
        if let Some(shared) = self.shared.get(value) {
            return shared.clone();
        }
        let value: Arc<str> = value.into();
        if self.shared.len() < Self::MAX_SHARED {
            self.shared.insert(value.clone());
        }
        value
    }
}

/// Whether a call ends before it starts (both known).
fn ends_before_start(start: Option<u64>, end: Option<u64>) -> bool {
    matches!((start, end), (Some(start), Some(end)) if end < start)
}

/// Whether any record has an `end_timestamp` before its `start_timestamp` or a `call_id` seen before it: what
/// [`CallChecker`] finds, without copying the ids or writing messages.
fn breaks_a_rule(runs: &[Vec<Record>]) -> bool {
    let count = runs.iter().map(Vec::len).sum();
    let mut ids: HashSet<&str, RandomState> =
        HashSet::with_capacity_and_hasher(count, RandomState::default());
    runs.iter()
        .flatten()
        .any(|record| record.ends_before_start || !ids.insert(&record.call_id))
}

/// The fields of a call's JSON that the indexes need; serde skips the rest without building it.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(borrow)]
    call_id: Cow<'a, str>,
    #[serde(borrow)]
    agent_id: Cow<'a, str>,
    call_status: CallStatus,
    call_type: CallType,
    direction: Direction,
    #[serde(borrow, default)]
    customer_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    from_number: Cow<'a, str>,
    #[serde(borrow)]
    to_number: Cow<'a, str>,
    #[serde(default)]
    start_timestamp: Option<u64>,
    #[serde(default)]
    end_timestamp: Option<u64>,
}

impl CallStore {
    /// Orders, validates, serializes and indexes `calls`. Fails, with every problem listed, on duplicate
    /// `call_id`s or an `end_timestamp` before the `start_timestamp`.
    pub fn new(calls: Vec<Call>) -> Result<Self, Problems> {
        Self::from_calls(calls)
    }

    /// [`CallStore::new`] for a stream: each call is serialized and dropped as it arrives, so a generated data
    /// set is never held as typed calls.
    pub fn from_calls(calls: impl IntoIterator<Item = Call>) -> Result<Self, Problems> {
        Self::from_records(vec![Recorder::default().record_all(calls)])
    }

    /// A store of records made by [`Recorder`]s, given in runs (the calls in their original order, run after
    /// run), checked as [`CallStore::from_calls`] checks, then ordered and indexed. Each run is freed as it is
    /// moved, so the records are never held twice.
    pub(crate) fn from_records(runs: Vec<Vec<Record>>) -> Result<Self, Problems> {
        // A check that copies nothing finds out whether any rule is broken; only then are the calls checked
        // again one by one, in their order, for the report.
        if breaks_a_rule(&runs) {
            let mut checker = CallChecker::new();
            for record in runs.iter().flatten() {
                let keys: Keys<'_> = serde_json::from_str(&record.json)
                    .expect("a record's JSON was serialized from a call");
                checker.check_parts(&record.call_id, record.start, keys.end_timestamp);
            }
            checker.finish()?;
        }
        let mut records = Vec::with_capacity(runs.iter().map(Vec::len).sum());
        for run in runs {
            records.extend(run);
        }
        Ok(Self::index(records))
    }

    /// A store serving each call's JSON exactly as given (as [`openmic_fixtures::load_path_json`] returns it:
    /// compact, one valid JSON object per call): nothing is re-serialized, so key order, number forms and
    /// escapes are the file's. Each text must be a call that passed the loader's validation; a text that is not
    /// even shaped like a call is reported.
    pub fn from_json(calls: Vec<Box<str>>) -> Result<Self, Problems> {
        let mut checker = CallChecker::new();
        let records = records_of_json(calls, &mut checker)?;
        checker.finish()?;
        Ok(Self::index(records))
    }

    /// A new store with the calls of this one and `calls` (each call's JSON, as for [`CallStore::from_json`]).
    /// Only the new calls are parsed, and the others' JSON is shared rather than copied: the cost is indexing
    /// the whole set once, not reading it again. Fails on a `call_id` already here or repeated in `calls`, or
    /// an `end_timestamp` before the `start_timestamp`.
    pub fn with_added(&self, calls: Vec<Box<str>>) -> Result<Self, Problems> {
        let mut checker = CallChecker::new();
        let mut added = records_of_json(calls, &mut checker)?;
        checker.finish()?;
        refuse_served(&added, |id| self.by_id.contains_key(id))?;
        added.sort_unstable_by(|a, b| compare_keys(a.start, &a.call_id, b.start, &b.call_id));
        Ok(Self::index_ordered(merge(self.records(&[]), added)))
    }

    /// A new store without the call at `position`, sharing the others' JSON.
    pub fn without(&self, position: usize) -> Self {
        Self::index_ordered(self.records(&[position]).collect())
    }

    /// A new store in which each call of `calls` (JSON, as for [`CallStore::from_json`]) takes the place of the
    /// served call with its `call_id`; a call whose id is not served is left out. Only these calls are parsed:
    /// the others' JSON is shared, and the set is indexed once.
    pub fn with_replaced(&self, calls: Vec<Box<str>>) -> Result<Self, Problems> {
        let mut checker = CallChecker::new();
        let replacing = records_of_json(calls, &mut checker)?;
        checker.finish()?;
        let (mut replacing, gone): (Vec<Record>, Vec<usize>) = replacing
            .into_iter()
            .filter_map(|record| {
                let position = self.position(&record.call_id)?;
                Some((record, position))
            })
            .unzip();
        let mut gone = gone;
        gone.sort_unstable();
        replacing.sort_unstable_by(|a, b| compare_keys(a.start, &a.call_id, b.start, &b.call_id));
        Ok(Self::index_ordered(merge(self.records(&gone), replacing)))
    }

    /// Moves every `start_timestamp` and `end_timestamp` by `days` whole days (see
    /// [`openmic_fixtures::shift_json`]), in place: every other byte of each call, the order and the indexes are
    /// kept, and each call's new JSON replaces its old one as it is made, so a large data set is never held
    /// twice. All or nothing: a shift that would move a timestamp outside Unix time changes nothing.
    pub fn shift(&mut self, days: i64) -> Result<(), ShiftError> {
        if days == 0 {
            return Ok(());
        }
        // The oldest and the newest timestamps are the only ones that can leave the range: check them first.
        let mut oldest: Option<(u64, usize)> = None;
        let mut newest: Option<(u64, usize)> = None;
        for (index, json) in self.json.iter().enumerate() {
            if let Some((lo, hi)) = openmic_fixtures::timestamp_bounds_json(json) {
                if oldest.is_none_or(|(t, _)| lo < t) {
                    oldest = Some((lo, index));
                }
                if newest.is_none_or(|(t, _)| hi > t) {
                    newest = Some((hi, index));
                }
            }
        }
        for (_, index) in oldest.into_iter().chain(newest) {
            openmic_fixtures::shift_json(&self.json[index], days)?;
        }
        for json in &mut self.json {
            // Cannot fail: every timestamp lies between the two just checked.
            if let Cow::Owned(moved) = openmic_fixtures::shift_json(json, days)? {
                *json = moved.into();
            }
        }
        let moved = i128::from(days) * 86_400_000;
        for start in &mut self.starts {
            *start = (i128::from(*start) + moved) as u64;
        }
        Ok(())
    }

    /// The newest `start_timestamp` or `end_timestamp` of any call (reads every started call's JSON).
    pub fn newest_timestamp(&self) -> Option<u64> {
        openmic_fixtures::newest_timestamp_json(self.json[self.unstarted..].iter().map(|j| &**j))
    }

    /// The oldest and newest `start_timestamp`, if any call has started.
    pub fn start_window(&self) -> Option<(u64, u64)> {
        Some((*self.starts.last()?, *self.starts.first()?))
    }

    /// What the account needs to know of these calls: each agent with its first call's start, and each
    /// account number (the `from_number` of an outbound call, the `to_number` of an inbound one) with its first
    /// call's start and the agent of its latest call in each direction. A call not started counts as starting
    /// at `now_ms`. Agents and numbers come sorted.
    pub fn account_uses(&self, now_ms: u64) -> (Vec<AgentUse>, Vec<NumberUse>) {
        let mut agents: HashMap<u32, u64, RandomState> = HashMap::default();
        let mut numbers: HashMap<Arc<str>, NumberUse, RandomState> = HashMap::default();
        // Canonical order is newest first: the first call seen in a direction is the latest.
        for (position, c) in self.columns.iter().enumerate() {
            let start = position
                .checked_sub(self.unstarted)
                .map_or(now_ms, |started| self.starts[started]);
            let first = agents.entry(c.agent).or_insert(start);
            *first = (*first).min(start);
            let number = match c.direction {
                Direction::Outbound => self.from_numbers.value(c.from),
                Direction::Inbound => self.to_numbers.value(c.to),
            };
            let agent = self.agents.value(c.agent);
            let entry = numbers.entry(number.clone()).or_insert_with(|| NumberUse {
                number: number.to_string(),
                first_ms: start,
                inbound_agent_id: None,
                outbound_agent_id: None,
            });
            entry.first_ms = entry.first_ms.min(start);
            let linked = match c.direction {
                Direction::Outbound => &mut entry.outbound_agent_id,
                Direction::Inbound => &mut entry.inbound_agent_id,
            };
            if linked.is_none() {
                *linked = Some(agent.to_string());
            }
        }
        let mut agents: Vec<AgentUse> = agents
            .into_iter()
            .map(|(id, first_ms)| AgentUse {
                agent_id: self.agents.value(id).to_string(),
                first_ms,
            })
            .collect();
        agents.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        let mut numbers: Vec<NumberUse> = numbers.into_values().collect();
        numbers.sort_by(|a, b| a.number.cmp(&b.number));
        (agents, numbers)
    }

    /// The agent with the most calls (ties: the smallest id), if there are calls.
    pub fn most_used_agent(&self) -> Option<Arc<str>> {
        let mut counts = vec![0_u64; self.agents.values.len()];
        for c in &self.columns {
            counts[c.agent as usize] += 1;
        }
        counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .max_by(|(a, na), (b, nb)| {
                na.cmp(nb)
                    .then_with(|| self.agents.values[*b].cmp(&self.agents.values[*a]))
            })
            .map(|(id, _)| self.agents.values[id].clone())
    }

    /// This store's calls as records, in canonical order, skipping the positions in `skip` (ascending).
    fn records<'s>(&'s self, skip: &'s [usize]) -> impl Iterator<Item = Record> + 's {
        let mut starts = self.starts.iter();
        (0..self.len()).filter_map(move |position| {
            let start = if position < self.unstarted {
                None
            } else {
                starts.next().copied()
            };
            if skip.binary_search(&position).is_ok() {
                return None;
            }
            let c = self.columns[position];
            Some(Record {
                start,
                // Checked when it was stored.
                ends_before_start: false,
                call_id: self.ids[position].clone(),
                json: self.json[position].clone(),
                status: c.status,
                kind: c.kind,
                direction: c.direction,
                agent: self.agents.value(c.agent).clone(),
                customer: (c.customer != NONE).then(|| self.customers.value(c.customer).clone()),
                from: self.from_numbers.value(c.from).clone(),
                to: self.to_numbers.value(c.to).clone(),
            })
        })
    }

    fn index(mut records: Vec<Record>) -> Self {
        records.sort_unstable_by(|a, b| compare_keys(a.start, &a.call_id, b.start, &b.call_id));
        Self::index_ordered(records)
    }

    /// Indexes records already in canonical order.
    fn index_ordered(records: Vec<Record>) -> Self {
        let mut store = CallStore {
            json: Vec::with_capacity(records.len()),
            ids: Vec::with_capacity(records.len()),
            columns: Vec::with_capacity(records.len()),
            by_id: HashMap::with_capacity_and_hasher(records.len(), RandomState::default()),
            ..CallStore::default()
        };
        let mut records = records.into_iter();
        let mut position = 0_u32;
        while let Some(record) = records.next() {
            // Each id was last read when its call was made: reading the one `LOOK_AHEAD` calls on now lets
            // those cache misses overlap, where each would otherwise stall the `Arc` count of its clone below
            // (a locked instruction waits for every load before it): a million calls index in about 0.4 s,
            // not 1.1 s.
            if let Some(ahead) = records.as_slice().get(LOOK_AHEAD) {
                std::hint::black_box((
                    Arc::strong_count(&ahead.call_id),
                    ahead.call_id.as_bytes().first().copied(),
                ));
            }
            match record.start {
                None => store.unstarted += 1,
                Some(start) => store.starts.push(start),
            }
            let columns = Columns {
                status: record.status,
                kind: record.kind,
                direction: record.direction,
                agent: store.agents.intern(&record.agent),
                customer: record
                    .customer
                    .as_ref()
                    .map_or(NONE, |c| store.customers.intern(c)),
                from: store.from_numbers.intern(&record.from),
                to: store.to_numbers.intern(&record.to),
            };
            store.by_status[status_slot(columns.status)].push(position);
            store.by_type[type_slot(columns.kind)].push(position);
            store.by_status_and_type[status_slot(columns.status)][type_slot(columns.kind)]
                .push(position);
            store.agents.postings[columns.agent as usize].push(position);
            if columns.customer != NONE {
                store.customers.postings[columns.customer as usize].push(position);
            }
            store.from_numbers.postings[columns.from as usize].push(position);
            store.to_numbers.postings[columns.to as usize].push(position);
            store.columns.push(columns);
            store.json.push(record.json);
            store.ids.push(record.call_id.clone());
            store.by_id.insert(record.call_id, position);
            position += 1;
        }
        store
    }

    /// The calls in canonical order, parsed back from the JSON the store serves.
    pub fn calls(&self) -> Vec<Call> {
        self.json
            .iter()
            .map(|json| {
                serde_json::from_str(json).expect("the store's JSON was serialized from a Call")
            })
            .collect()
    }

    /// Each call's JSON, in canonical order, exactly as served.
    pub fn json_calls(&self) -> impl Iterator<Item = &str> {
        self.json.iter().map(|json| &**json)
    }

    /// The canonical-order key of the call at `position`: its `start_timestamp` and `call_id`.
    pub(crate) fn key_at(&self, position: u32) -> (Option<u64>, &str) {
        let position = position as usize;
        let start = position
            .checked_sub(self.unstarted)
            .map(|started| self.starts[started]);
        (start, &self.ids[position])
    }

    /// The JSON of the call at `position`.
    pub(crate) fn json_at(&self, position: u32) -> &str {
        &self.json[position as usize]
    }

    /// The position of a call in canonical order.
    pub fn position(&self, call_id: &str) -> Option<usize> {
        self.by_id.get(call_id).map(|&position| position as usize)
    }

    /// How many calls are loaded.
    pub fn len(&self) -> usize {
        self.json.len()
    }

    /// Whether no calls are loaded.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// The JSON of the call with this id, exactly as the list serves it.
    pub fn get_json(&self, call_id: &str) -> Option<&str> {
        self.by_id
            .get(call_id)
            .map(|&position| &*self.json[position as usize])
    }

    /// The page of matches for `params` (contract rules 6, 7 and 11).
    pub fn list(&self, params: &ListCallsParams) -> Page<'_> {
        let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
        let (total, positions) = self.matches(params, offset, params.limit as usize);
        let calls: Vec<&str> = positions
            .into_iter()
            .map(|p| &*self.json[p as usize])
            .collect();
        Page::of(calls, total, params)
    }

    /// The number of matches of `params`'s filters, and the positions of matches `offset..offset + limit`
    /// (`params.offset` and `params.limit` are not read).
    pub(crate) fn matches(
        &self,
        params: &ListCallsParams,
        offset: usize,
        limit: usize,
    ) -> (u64, Vec<u32>) {
        let (lo, hi) = self.date_run(params);

        let mut lists: Vec<&[u32]> = Vec::new();
        match (params.call_status, params.call_type) {
            (Some(status), Some(kind)) => {
                lists.push(&self.by_status_and_type[status_slot(status)][type_slot(kind)]);
            }
            (Some(status), None) => lists.push(&self.by_status[status_slot(status)]),
            (None, Some(kind)) => lists.push(&self.by_type[type_slot(kind)]),
            (None, None) => {}
        }
        for (index, value) in [
            (&self.agents, &params.bot_id),
            (&self.customers, &params.customer_id),
            (&self.from_numbers, &params.from_number),
            (&self.to_numbers, &params.to_number),
        ] {
            if let Some(value) = value {
                lists.push(index.postings(value));
            }
        }

        let Some(smallest) = lists.iter().copied().min_by_key(|list| list.len()) else {
            // No filter but (maybe) dates: the matches are the positions lo..hi themselves.
            let total = hi - lo;
            let start = lo.saturating_add(offset).min(hi);
            let end = start.saturating_add(limit).min(hi);
            return (total as u64, (start as u32..end as u32).collect());
        };
        let first = smallest.partition_point(|&p| (p as usize) < lo);
        let last = smallest.partition_point(|&p| (p as usize) < hi);
        let candidates = &smallest[first..last];
        if lists.len() == 1 {
            let page = candidates
                .iter()
                .skip(offset)
                .take(limit)
                .copied()
                .collect();
            return (candidates.len() as u64, page);
        }

        let wanted = Wanted::new(self, params);
        let mut total = 0_usize;
        let mut page = Vec::with_capacity(limit.min(candidates.len()).min(1024));
        for &position in candidates {
            if wanted.matches(&self.columns[position as usize]) {
                if total >= offset && page.len() < limit {
                    page.push(position);
                }
                total += 1;
            }
        }
        (total as u64, page)
    }

    /// The positions `lo..hi` whose `start_timestamp` is within the date bounds (contract rule 6): inclusive,
    /// and never a call that has not started. Without bounds, every position.
    fn date_run(&self, params: &ListCallsParams) -> (usize, usize) {
        if params.from_date.is_none() && params.to_date.is_none() {
            return (0, self.len());
        }
        // Starts are descending: the calls after `to` come first, the calls before `from` last.
        let after_to = params.to_date.map_or(0, |to| {
            self.starts
                .partition_point(|&s| i128::from(s) > i128::from(to))
        });
        let from_or_later = params.from_date.map_or(self.starts.len(), |from| {
            self.starts
                .partition_point(|&s| i128::from(s) >= i128::from(from))
        });
        let lo = self.unstarted + after_to;
        let hi = self.unstarted + from_or_later.max(after_to);
        (lo, hi)
    }
}

/// Two runs of records, each in canonical order, merged into one.
fn merge(served: impl Iterator<Item = Record>, added: Vec<Record>) -> Vec<Record> {
    let (low, _) = served.size_hint();
    let mut merged = Vec::with_capacity(low + added.len());
    let mut added = added.into_iter().peekable();
    for record in served {
        while let Some(next) = added.next_if(|a| {
            compare_keys(a.start, &a.call_id, record.start, &record.call_id) == Ordering::Less
        }) {
            merged.push(next);
        }
        merged.push(record);
    }
    merged.extend(added);
    merged
}

/// The filters of a query, as column values, for checking candidates.
struct Wanted {
    status: Option<CallStatus>,
    kind: Option<CallType>,
    agent: Option<u32>,
    customer: Option<u32>,
    from: Option<u32>,
    to: Option<u32>,
}

impl Wanted {
    fn new(store: &CallStore, params: &ListCallsParams) -> Self {
        Self {
            status: params.call_status,
            kind: params.call_type,
            agent: params.bot_id.as_deref().map(|v| store.agents.id(v)),
            customer: params.customer_id.as_deref().map(|v| store.customers.id(v)),
            from: params
                .from_number
                .as_deref()
                .map(|v| store.from_numbers.id(v)),
            to: params.to_number.as_deref().map(|v| store.to_numbers.id(v)),
        }
    }

    fn matches(&self, c: &Columns) -> bool {
        // An unknown value interns to NONE, which only a missing customer_id carries; such a filter has an
        // empty posting list, so it never reaches here.
        self.status.is_none_or(|s| s == c.status)
            && self.kind.is_none_or(|k| k == c.kind)
            && self.agent.is_none_or(|a| a == c.agent)
            && self.customer.is_none_or(|cu| cu == c.customer)
            && self.from.is_none_or(|f| f == c.from)
            && self.to.is_none_or(|t| t == c.to)
    }
}

/// Reads the index keys of each call's JSON, checking the rules that span calls as it goes; a text that is not
/// even shaped like a call is reported.
pub(crate) fn records_of_json(
    calls: Vec<Box<str>>,
    checker: &mut CallChecker,
) -> Result<Vec<Record>, Problems> {
    let mut records = Vec::with_capacity(calls.len());
    let mut broken = Vec::new();
    for (index, json) in calls.into_iter().enumerate() {
        let keys: Keys<'_> = match serde_json::from_str(&json) {
            Ok(keys) => keys,
            Err(err) => {
                broken.push(Problem {
                    line: 0,
                    column: None,
                    call_index: Some(index),
                    call_id: None,
                    field: None,
                    message: format!("not a valid call: {err}"),
                });
                continue;
            }
        };
        checker.check_parts(&keys.call_id, keys.start_timestamp, keys.end_timestamp);
        // `keys` borrows from `json`: the text moves in last, once the record owns copies of the keys.
        records.push(Record {
            start: keys.start_timestamp,
            ends_before_start: ends_before_start(keys.start_timestamp, keys.end_timestamp),
            call_id: keys.call_id.into(),
            status: keys.call_status,
            kind: keys.call_type,
            direction: keys.direction,
            agent: keys.agent_id.into(),
            customer: keys.customer_id.map(Into::into),
            from: keys.from_number.into(),
            to: keys.to_number.into(),
            json: Arc::from(json),
        });
    }
    if !broken.is_empty() {
        return Err(in_memory_problems(broken));
    }
    Ok(records)
}

/// Problems of calls given in memory, at most [`MAX_PROBLEMS`](openmic_fixtures::MAX_PROBLEMS) listed.
/// Refuses the calls of `added` whose `call_id` `is_served` already, each named with its index in `added`:
/// the one rule of every tier that takes calls.
pub(crate) fn refuse_served(
    added: &[Record],
    is_served: impl Fn(&str) -> bool,
) -> Result<(), Problems> {
    let served: Vec<Problem> = added
        .iter()
        .enumerate()
        .filter(|(_, record)| is_served(&record.call_id))
        .map(|(index, record)| Problem {
            line: 0,
            column: None,
            call_index: Some(index),
            call_id: Some(record.call_id.to_string()),
            field: Some("call_id".into()),
            message: "a call with this call_id is already served".into(),
        })
        .collect();
    if served.is_empty() {
        Ok(())
    } else {
        Err(in_memory_problems(served))
    }
}

fn in_memory_problems(problems: Vec<Problem>) -> Problems {
    Problems {
        file: openmic_fixtures::IN_MEMORY_NAME.to_string(),
        omitted: problems
            .len()
            .saturating_sub(openmic_fixtures::MAX_PROBLEMS),
        problems: problems
            .into_iter()
            .take(openmic_fixtures::MAX_PROBLEMS)
            .collect(),
    }
}

fn status_slot(status: CallStatus) -> usize {
    match status {
        CallStatus::Registered => 0,
        CallStatus::Ongoing => 1,
        CallStatus::Ended => 2,
        CallStatus::Error => 3,
    }
}

fn type_slot(kind: CallType) -> usize {
    match kind {
        CallType::Phone => 0,
        CallType::Web => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmic_fixtures::{Generator, TimestampMs};

    fn generated(count: u64) -> Vec<Call> {
        Generator::new(9).calls(0..count).collect()
    }

    /// `calls` made into records in runs of `run`, each run by a recorder of its own.
    fn runs_of(calls: &[Call], run: usize) -> Vec<Vec<Record>> {
        calls
            .chunks(run)
            .map(|chunk| Recorder::default().record_all(chunk.iter().cloned()))
            .collect()
    }

    fn checked_one_by_one(calls: &[Call]) -> Result<(), Problems> {
        let mut checker = CallChecker::new();
        calls.iter().for_each(|c| checker.check(c));
        checker.finish()
    }

    #[test]
    fn records_given_in_runs_make_the_store_the_calls_make_in_one() {
        let calls = generated(300);
        let whole = CallStore::new(calls.clone()).unwrap();
        for run in [1, 7, 64, 300] {
            let store = CallStore::from_records(runs_of(&calls, run)).unwrap();
            assert!(store.json_calls().eq(whole.json_calls()), "runs of {run}");
            assert_eq!(store.start_window(), whole.start_window());
            for call in &calls {
                assert_eq!(store.position(&call.call_id), whole.position(&call.call_id));
            }
            // Each call has a position of its own, the one of its JSON.
            for (position, json) in store.json_calls().enumerate() {
                let call: Call = serde_json::from_str(json).unwrap();
                assert_eq!(store.position(&call.call_id), Some(position));
            }
        }
    }

    #[test]
    fn a_repeated_id_or_an_end_before_its_start_is_reported_as_the_calls_checked_one_by_one() {
        let mut calls = generated(40);
        // A repeat in another run than its first, and one in the same run; an end before its start.
        calls[31].call_id = calls[2].call_id.clone();
        calls[5].call_id = calls[4].call_id.clone();
        let started = calls
            .iter()
            .position(|c| c.start_timestamp.is_some() && c.end_timestamp.is_some())
            .unwrap();
        let start = calls[started].start_timestamp.unwrap().millis();
        calls[started].end_timestamp = Some(TimestampMs(start - 1));
        let expected = checked_one_by_one(&calls).unwrap_err().to_string();
        assert_eq!(expected.lines().count(), 3, "{expected}");
        for run in [1, 8, 40] {
            let problems = CallStore::from_records(runs_of(&calls, run)).unwrap_err();
            assert_eq!(problems.to_string(), expected, "runs of {run}");
        }
        // Each rule alone is found.
        for broken in [31, started] {
            let mut calls = generated(40);
            if broken == 31 {
                calls[31].call_id = calls[2].call_id.clone();
            } else {
                calls[started].end_timestamp = Some(TimestampMs(start - 1));
            }
            let problems = CallStore::from_records(runs_of(&calls, 8)).unwrap_err();
            assert_eq!(problems.total(), 1, "{problems}");
        }
        // An end equal to its start breaks nothing.
        let mut calls = generated(40);
        calls[started].end_timestamp = Some(TimestampMs(start));
        assert!(CallStore::from_records(runs_of(&calls, 8)).is_ok());
    }

    #[test]
    fn the_quick_check_finds_each_broken_rule_across_runs_and_nothing_in_good_calls() {
        let calls = generated(40);
        assert!(!breaks_a_rule(&runs_of(&calls, 8)));
        assert!(!breaks_a_rule(&[]));
        let mut repeated = calls.clone();
        repeated[33].call_id = repeated[1].call_id.clone();
        assert!(breaks_a_rule(&runs_of(&repeated, 8)));
        assert!(breaks_a_rule(&runs_of(&repeated, 40)));
        let mut late = calls.clone();
        let ended = late.iter().position(|c| c.end_timestamp.is_some()).unwrap();
        let start = late[ended].start_timestamp.unwrap().millis();
        late[ended].end_timestamp = Some(TimestampMs(start - 1));
        assert!(breaks_a_rule(&runs_of(&late, 8)));
    }

    #[test]
    fn every_record_gets_its_own_calls_text_across_batches() {
        let calls = generated(2_000);
        let bytes: usize = calls
            .iter()
            .map(|c| serde_json::to_string(c).unwrap().len())
            .sum();
        assert!(
            bytes > 2 * Recorder::BATCH_BYTES,
            "{bytes} bytes: under three batches"
        );
        let mut recorder = Recorder::default();
        // Twice with the same recorder: the second run starts from an empty buffer.
        for _ in 0..2 {
            let records = recorder.record_all(calls.iter().cloned());
            assert_eq!(records.len(), calls.len());
            for (record, call) in records.iter().zip(&calls) {
                assert_eq!(&*record.json, serde_json::to_string(call).unwrap());
                assert_eq!(&*record.call_id, call.call_id);
            }
        }
    }

    #[test]
    fn a_recorder_shares_the_values_the_indexes_group_by_up_to_its_bound() {
        let mut recorder = Recorder::default();
        let calls = generated(2);
        let mut twin = calls[1].clone();
        twin.call_id = "twin".into();
        twin.agent_id = calls[0].agent_id.clone();
        twin.customer_id = Some("cus_shared".into());
        let mut first = calls[0].clone();
        first.customer_id = Some("cus_shared".into());
        let records = recorder.record_all([first.clone(), twin]);
        let (a, b) = (&records[0], &records[1]);
        assert!(Arc::ptr_eq(&a.agent, &b.agent));
        assert!(Arc::ptr_eq(
            a.customer.as_ref().unwrap(),
            b.customer.as_ref().unwrap()
        ));
        // The text is the call's own serialization, whatever the buffer held before.
        assert_eq!(&*a.json, serde_json::to_string(&first).unwrap());
        assert_eq!(&*a.call_id, first.call_id);

        // Past the bound, values are copied: equal, not shared.
        let mut recorder = Recorder::default();
        for k in 0..Recorder::MAX_SHARED {
            recorder.share(&format!("v{k}"));
        }
        let late = recorder.share("late");
        assert!(!Arc::ptr_eq(&late, &recorder.share("late")));
        assert_eq!(&*recorder.share("late"), "late");
        assert!(Arc::ptr_eq(&recorder.share("v0"), &recorder.share("v0")));
        assert_eq!(recorder.shared.len(), Recorder::MAX_SHARED);
    }
}
