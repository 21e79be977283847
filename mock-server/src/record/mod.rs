//! `openmic-mock record`: a whole account's calls, listed page by page from a List Calls server (the live API, or
//! any server that answers like it), made into a fixture the mock serves.
//!
//! A [`Recorder`] walks `GET /v1/calls` with `limit=100`, newest first, within the filters, through the
//! workspace's polite client ([`openmic_http::Client`], with `record`'s policy from [`ClientOptions`]) that keeps a
//! budget and a pace and retries what can be retried. It keeps each call's JSON exactly as served
//! (unknown fields, key order and number forms; only whitespace between tokens is dropped when written).
//!
//! The data may change while the walk runs. A new call pushes older ones one place further, so a page can start
//! with calls the page before ended with: calls are keyed by `call_id` and each is kept once, at its first
//! place, with its newest copy; the summary counts those that moved. A call deleted behind the walk pulls the
//! later ones one place back, so the next page would start one call late: when `pagination.total` drops by `d`
//! between two pages, the walk also reads the `d` places just before the page it read (one small extra
//! request), inserts what it finds there in the API's order, and starts every place still to read `d` earlier. Deletions and additions in the same interval cancel out in the total and are not seen; the
//! summary says whenever the total changed. With no change at all, each page is read once.
//!
//! The walk checks what it gets, and calls itself complete only when every check holds ([`Inconsistency`]): a
//! page that is empty but says `has_more` stops it (asking on would loop, and stopping is not the end), and so
//! does a page of calls all listed before that no growth of the total explains (a server that ignores
//! `offset`); at the end, the distinct calls listed must be what `pagination.total` says, give or take what the
//! totals of the pages say was added and deleted meanwhile ([`Miscount`]). Each answer is bounded too
//! ([`ClientOptions::max_body_bytes`], [`ClientOptions::max_retry_after`]).
//!
//! The walk can be driven a page at a time ([`Recorder::next_page`]), which is how tests change the data between
//! two pages.
//!
//! After the calls, [`Recorder::run`] walks the account's lists, `/v1/bots` and `/v1/phone-numbers`, with the same
//! client and budget (`account.rs`); a server that does not serve one (404) gives a recording without it.

mod account;
pub(crate) mod client;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use openmic_fixtures::CallStatus;
use serde::Deserialize;
use serde_json::value::RawValue;

pub use account::{AccountList, Listed};
pub use client::{
    ClientEvent, ClientOptions, DEFAULT_BACKOFF, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REQUESTS,
    DEFAULT_MAX_RETRY_AFTER, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_RETRIES, DEFAULT_TIMEOUT, Ending,
    FetchError, Inconsistency, MAX_429_RETRIES, MAX_BACKOFF, Miscount, PAGE_LIMIT, Pace,
    RecordEvent,
};
use client::{RecordClient, Totals};
use openmic_http::Request;

use openmic_fixtures::rfc3339_ms;

/// Which calls to record: the List Calls filters `record` passes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilters {
    /// `from_date`, as given (the server checks it).
    pub from_date: Option<String>,
    /// `to_date`, as given.
    pub to_date: Option<String>,
    /// `call_status`.
    pub call_status: Option<CallStatus>,
}

/// A call as kept: its JSON text as served, the field the walk reads, and whether this walk listed it (a call
/// carried over from a resumed file may not be listed again).
#[derive(Debug, Clone)]
struct Kept {
    json: Box<str>,
    start_timestamp: Option<u64>,
    listed_now: bool,
}

/// The fields of a call the walk needs; everything else stays in the text.
#[derive(Deserialize)]
struct CallKeys {
    #[serde(default)]
    call_id: serde_json::Value,
    #[serde(default)]
    start_timestamp: serde_json::Value,
}

/// Places of the listing to read out of turn, and where in the kept calls their calls belong (the API's order).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gap {
    places: Range<u64>,
    insert_at: usize,
}

/// A List Calls page as the walk reads it.
#[derive(Debug)]
struct ListedPage {
    calls: Vec<Box<str>>,
    total: Option<u64>,
    has_more: Option<bool>,
}

/// Reads a 200's body as a List Calls page: `calls` an array of objects, `pagination` optional.
fn parse_page(body: &[u8]) -> Result<ListedPage, String> {
    #[derive(Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        calls: Vec<&'a RawValue>,
        #[serde(default)]
        pagination: Option<PageInfo>,
    }
    #[derive(Deserialize)]
    struct PageInfo {
        #[serde(default)]
        total: Option<u64>,
        #[serde(default)]
        has_more: Option<bool>,
    }
    let body: Body<'_> = serde_json::from_slice(body).map_err(|err| err.to_string())?;
    if let Some(bad) = body.calls.iter().position(|c| !c.get().starts_with('{')) {
        return Err(format!("calls[{bad}] is not an object"));
    }
    let info = body.pagination.unwrap_or(PageInfo {
        total: None,
        has_more: None,
    });
    Ok(ListedPage {
        calls: body.calls.iter().map(|c| Box::from(c.get())).collect(),
        total: info.total,
        has_more: info.has_more,
    })
}

/// A walk over List Calls, a page at a time.
#[derive(Debug)]
pub struct Recorder {
    client: RecordClient,
    filters: ListFilters,
    offset: u64,
    calls: Vec<Kept>,
    by_id: HashMap<String, usize>,
    /// Calls that came from the file being resumed; a repeat of one of them is expected, not a move.
    carried: usize,
    /// Places to read again before going on: the calls deletions pulled back before the walk's position.
    gaps: VecDeque<Gap>,
    /// Whether the forward walk reached the end (gaps may be left).
    at_end: bool,
    listed: u64,
    /// Distinct calls this walk listed: `listed` and the carried calls it listed again.
    seen: u64,
    moved: u64,
    pages: u64,
    totals: Totals,
    /// `pagination.total` of the last page of the forward walk (not a read-back).
    forward_total: Option<u64>,
    ending: Option<Ending>,
    bots: Listed,
    phone_numbers: Listed,
}

impl Recorder {
    /// A walk that has not started.
    pub fn new(options: ClientOptions, filters: ListFilters) -> Result<Self, FetchError> {
        Ok(Recorder {
            client: options.client()?,
            filters,
            offset: 0,
            calls: Vec::new(),
            by_id: HashMap::new(),
            carried: 0,
            gaps: VecDeque::new(),
            at_end: false,
            listed: 0,
            seen: 0,
            moved: 0,
            pages: 0,
            totals: Totals::default(),
            forward_total: None,
            ending: None,
            bots: Listed::NotWalked,
            phone_numbers: Listed::NotWalked,
        })
    }

    /// Continues an earlier, incomplete walk whose calls are `written` (as its file holds them): they are kept
    /// first, and the walk lists the calls that start no later than the oldest of them (`to_date` inclusive, so
    /// calls sharing that millisecond are listed again and kept once).
    pub fn resume(&mut self, written: Vec<Box<str>>) {
        for json in written {
            self.keep(json, false, None);
        }
        for call in &mut self.calls {
            call.listed_now = false;
        }
        self.seen = 0;
        self.carried = self.calls.len();
        if let Some(oldest) = self.oldest_start() {
            self.filters.to_date = Some(rfc3339_ms(oldest));
        }
    }

    /// The filters the walk sends (after [`Recorder::resume`], with its `to_date`).
    pub fn filters(&self) -> &ListFilters {
        &self.filters
    }

    /// Whether the walk is over.
    pub fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    fn page_request(&self, offset: u64, limit: u64) -> Request {
        let mut query = vec![
            ("limit".to_string(), limit.to_string()),
            ("offset".to_string(), offset.to_string()),
        ];
        if let Some(from) = &self.filters.from_date {
            query.push(("from_date".into(), from.clone()));
        }
        if let Some(to) = &self.filters.to_date {
            query.push(("to_date".into(), to.clone()));
        }
        if let Some(status) = self.filters.call_status {
            query.push(("call_status".into(), status.as_str().into()));
        }
        Request::get("/v1/calls", query)
    }

    /// Fetches the next page and keeps its calls; `false` once the walk is over (see [`Recorder::ending`]).
    pub async fn next_page(&mut self, on_event: &mut dyn FnMut(RecordEvent)) -> bool {
        if self.ending.is_some() {
            return false;
        }
        let gap = self.gaps.pop_front();
        let (offset, limit) = match &gap {
            Some(gap) => (
                gap.places.start,
                (gap.places.end - gap.places.start).min(PAGE_LIMIT),
            ),
            None => (self.offset, PAGE_LIMIT),
        };
        let request = self.page_request(offset, limit);
        let parse = |body: &[u8]| {
            parse_page(body)
                .map_err(|why| format!("a 200 whose body is not a List Calls page ({why})"))
        };
        let page = match self.client.fetch(&request, parse, on_event).await {
            Ok(page) => page,
            Err(err) => {
                self.ending = Some(Ending::Stopped(err));
                return false;
            }
        };
        self.pages += 1;
        let count = page.calls.len() as u64;
        let kept_before = self.calls.len();
        let (seen_before, moved_before) = (self.seen, self.moved);
        let mut insert_at = gap.as_ref().map(|gap| gap.insert_at);
        for json in page.calls {
            // Repeats on a gap's page were expected: they are not calls that moved.
            if self.keep(json, gap.is_none(), insert_at.as_mut()) {
                self.listed += 1;
            }
        }
        let dropped = self.totals.page(page.total).shrank;
        on_event(RecordEvent::Page {
            listed: self.listed,
            total: self.totals.last,
            requests: self.client.used(),
        });
        // Where this page's calls begin among the kept ones: deletions seen on it pulled calls to just before it.
        let mut before_page = kept_before;
        let mut pulled_forward = None;
        match (gap, insert_at) {
            (Some(gap), Some(after_page)) => {
                before_page = gap.insert_at;
                let read_to = gap.places.start + limit;
                if read_to < gap.places.end && count == limit {
                    self.gaps.push_front(Gap {
                        places: read_to..gap.places.end,
                        insert_at: after_page,
                    });
                }
                if !self.at_end {
                    // The next forward page was placed before these deletions: it would now start late.
                    pulled_forward = Some(Gap {
                        places: self.offset.saturating_sub(dropped)..self.offset,
                        insert_at: self.calls.len(),
                    });
                }
            }
            _ => {
                let new = self.seen - seen_before;
                if let Some(inconsistency) =
                    self.check_forward_page(offset, count, new, page.total, page.has_more)
                {
                    // A page served again is no sign of calls moving.
                    self.moved = moved_before;
                    self.ending = Some(Ending::Inconsistent(inconsistency));
                    return false;
                }
                let more = match (page.has_more, page.total) {
                    (Some(more), _) => more,
                    (None, Some(total)) => offset + count < total,
                    (None, None) => count == PAGE_LIMIT,
                };
                self.offset += count;
                self.at_end = !more || count == 0;
            }
        }
        if dropped > 0 {
            // Calls deleted before a place pull the calls after it back by as many places: every place still to
            // read starts earlier, and the places just before this page hold calls that were on it.
            for queued in &mut self.gaps {
                queued.places.start = queued.places.start.saturating_sub(dropped);
            }
            self.gaps.push_back(Gap {
                places: offset.saturating_sub(dropped)..offset,
                insert_at: before_page,
            });
            self.gaps.extend(pulled_forward);
        }
        if self.at_end && self.gaps.is_empty() {
            self.ending = Some(match self.totals.miscount("calls", self.seen) {
                Some(inconsistency) => Ending::Inconsistent(inconsistency),
                None => Ending::Complete,
            });
            return false;
        }
        true
    }

    /// The checks of a page of the forward walk at `offset` with `count` calls, `new` of them not listed
    /// before by this walk, and its `total` and `has_more`: an empty page must not say `has_more`, and a page of
    /// repeats needs the total to have grown by as much since the forward page before (new calls push older
    /// ones onto later pages).
    fn check_forward_page(
        &mut self,
        offset: u64,
        count: u64,
        new: u64,
        total: Option<u64>,
        has_more: Option<bool>,
    ) -> Option<Inconsistency> {
        let before = self.forward_total;
        self.forward_total = total.or(before);
        if count == 0 && has_more == Some(true) {
            return Some(Inconsistency::EmptyPageWithMore {
                path: "/v1/calls",
                offset,
                total,
            });
        }
        let grew = match (before, total) {
            (Some(before), Some(now)) => now.saturating_sub(before),
            _ => 0,
        };
        // `grew < count` also says the page is not empty.
        (new == 0 && grew < count).then_some(Inconsistency::RepeatedPage {
            path: "/v1/calls",
            noun: "calls",
            offset,
            count,
        })
    }

    /// Walks the calls to the end (or until a rule stops it), then the account ([`Recorder::walk_account`]).
    pub async fn run(&mut self, on_event: &mut dyn FnMut(RecordEvent)) -> &Ending {
        while self.next_page(on_event).await {}
        self.walk_account(on_event).await;
        self.ending.get_or_insert(Ending::Complete)
    }

    /// Walks `/v1/bots`, then `/v1/phone-numbers`, unless the walk has stopped; a list that fails stops the walk
    /// (the calls listed are kept).
    pub async fn walk_account(&mut self, on_event: &mut dyn FnMut(RecordEvent)) {
        for list in [AccountList::Bots, AccountList::PhoneNumbers] {
            if matches!(
                self.ending,
                Some(Ending::Stopped(_) | Ending::Inconsistent(_))
            ) {
                return;
            }
            match account::walk(&mut self.client, list, on_event).await {
                Ok(listed) => match list {
                    AccountList::Bots => self.bots = listed,
                    AccountList::PhoneNumbers => self.phone_numbers = listed,
                },
                Err(ending) => self.ending = Some(ending),
            }
        }
    }

    /// Keeps a call: a new `call_id` goes last, or at `*insert_at` (which then moves past it); a repeat replaces
    /// the copy kept, in its place. Returns whether the call was new; `count_move` counts a repeat as a call that
    /// moved. Counts the call as listed by this walk (`seen`) the first time it is.
    fn keep(&mut self, json: Box<str>, count_move: bool, insert_at: Option<&mut usize>) -> bool {
        let keys = serde_json::from_str::<CallKeys>(&json).ok();
        let start_timestamp = keys.as_ref().and_then(|k| k.start_timestamp.as_u64());
        let call_id = keys.and_then(|k| k.call_id.as_str().map(str::to_string));
        let kept = Kept {
            json,
            start_timestamp,
            listed_now: true,
        };
        if let Some(id) = &call_id
            && let Some(&at) = self.by_id.get(id)
        {
            if !self.calls[at].listed_now {
                self.seen += 1;
            }
            self.calls[at] = kept;
            if count_move && at >= self.carried {
                self.moved += 1;
            }
            return false;
        }
        let at = match insert_at {
            Some(at) => {
                let place = *at;
                *at += 1;
                self.calls.insert(place, kept);
                // Everything from `place` on moved one further.
                for index in self.by_id.values_mut() {
                    if *index >= place {
                        *index += 1;
                    }
                }
                for gap in &mut self.gaps {
                    if gap.insert_at >= place {
                        gap.insert_at += 1;
                    }
                }
                place
            }
            None => {
                self.calls.push(kept);
                self.calls.len() - 1
            }
        };
        self.seen += 1;
        if let Some(id) = call_id {
            self.by_id.insert(id, at);
        }
        true
    }

    fn oldest_start(&self) -> Option<u64> {
        self.calls.iter().filter_map(|c| c.start_timestamp).min()
    }

    /// The calls, in the order listed, and what happened.
    pub fn finish(self) -> Recording {
        let summary = RecordSummary {
            calls: self.calls.len(),
            carried: self.carried,
            listed: self.listed,
            pages: self.pages,
            requests: self.client.used(),
            waited: self.client.waited(),
            moved: self.moved,
            first_total: self.totals.first,
            last_total: self.totals.last,
            resume_to_date: self.oldest_start().map(rfc3339_ms),
            ending: self.ending.unwrap_or(Ending::Complete),
            bots: listed_count(&self.bots),
            phone_numbers: listed_count(&self.phone_numbers),
            not_served: [
                (AccountList::Bots, &self.bots),
                (AccountList::PhoneNumbers, &self.phone_numbers),
            ]
            .into_iter()
            .filter(|(_, listed)| **listed == Listed::NotServed)
            .map(|(list, _)| list)
            .collect(),
        };
        Recording {
            calls: self.calls.into_iter().map(|c| c.json).collect(),
            bots: self.bots,
            phone_numbers: self.phone_numbers,
            summary,
        }
    }
}

fn listed_count(listed: &Listed) -> Option<usize> {
    match listed {
        Listed::Records(records) => Some(records.len()),
        Listed::NotServed | Listed::NotWalked => None,
    }
}

/// What a walk produced.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Each call's JSON text as served, in the API's order, each `call_id` once.
    pub calls: Vec<Box<str>>,
    /// The bots, each as served, in the order listed.
    pub bots: Listed,
    /// The phone numbers, each as served, in the order listed.
    pub phone_numbers: Listed,
    /// What happened.
    pub summary: RecordSummary,
}

/// The facts of a walk, for its summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    /// Calls in the recording (carried ones included).
    pub calls: usize,
    /// Calls that came from the file being resumed.
    pub carried: usize,
    /// Calls this walk listed that were new to it.
    pub listed: u64,
    /// Pages read.
    pub pages: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Time spent waiting on the pace, `Retry-After` and backoff.
    pub waited: Duration,
    /// Calls seen again on a later page (the data changed under the walk); each is written once.
    pub moved: u64,
    /// `pagination.total` of the first page.
    pub first_total: Option<u64>,
    /// `pagination.total` of the last page.
    pub last_total: Option<u64>,
    /// `to_date` that continues the walk: the oldest `start_timestamp` kept, RFC 3339.
    pub resume_to_date: Option<String>,
    /// How it ended.
    pub ending: Ending,
    /// Bots listed, when `/v1/bots` was walked.
    pub bots: Option<usize>,
    /// Phone numbers listed, when `/v1/phone-numbers` was walked.
    pub phone_numbers: Option<usize>,
    /// The lists the server answered with 404 (it does not serve them).
    pub not_served: Vec<AccountList>,
}

impl RecordSummary {
    /// Whether every call in the range was listed.
    pub fn is_complete(&self) -> bool {
        self.ending == Ending::Complete
    }
}

impl fmt::Display for RecordSummary {
    /// One line: what was written, in how many requests, whether it is complete, what changed, and how to go
    /// on when it is not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} calls", self.calls)?;
        for (count, noun) in [(self.bots, "bots"), (self.phone_numbers, "phone numbers")] {
            if let Some(count) = count {
                write!(f, ", {count} {noun}")?;
            }
        }
        write!(
            f,
            " in {} request{}",
            self.requests,
            if self.requests == 1 { "" } else { "s" }
        )?;
        if self.carried > 0 {
            write!(
                f,
                " ({} already in the file, {} new)",
                self.carried,
                self.calls - self.carried
            )?;
        }
        match &self.ending {
            Ending::Complete => f.write_str(": complete")?,
            Ending::Stopped(why) => {
                write!(f, ": incomplete, {why}")?;
                if let Some(total) = self.last_total {
                    write!(f, " after listing {} of {total}", self.listed)?;
                }
            }
            Ending::Inconsistent(why) => write!(f, ": incomplete, {why}")?,
        }
        if self.moved > 0 {
            write!(
                f,
                "; {} call{} moved to a later page while listing (the data changed; each is written once, as last \
                 served)",
                self.moved,
                if self.moved == 1 { "" } else { "s" }
            )?;
        }
        if let (Some(first), Some(last)) = (self.first_total, self.last_total)
            && first != last
        {
            write!(
                f,
                "; pagination.total changed from {first} to {last} during the walk"
            )?;
        }
        if self.is_complete() && self.last_total.is_none() {
            f.write_str("; not checked against a total (the server gives no pagination.total)")?;
        }
        for list in &self.not_served {
            write!(
                f,
                "; the server does not serve {} (404), so the file has no {}",
                list.path(),
                list.noun()
            )?;
        }
        Ok(())
    }
}

impl RecordSummary {
    /// After an incomplete walk, how to go on: `--resume`, which lists from the oldest call written, after what
    /// the stop asks to change; after pages that do not add up, a new recording.
    pub fn resume_hint(&self) -> Option<String> {
        let why = match &self.ending {
            Ending::Complete => return None,
            Ending::Inconsistent(_) => {
                return Some(
                    "what was listed is written, but it does not add up: record again".into(),
                );
            }
            Ending::Stopped(why) => why,
        };
        let advice = why
            .advice()
            .map_or(String::new(), |advice| format!("{advice}; "));
        let when = why.when_to_go_on();
        Some(match &self.resume_to_date {
            Some(to_date) => format!(
                "{advice}{when}, run the same command with --resume: it lists the calls up to {to_date} (the \
                 oldest written, as --to-date) and adds them to the file"
            ),
            None => format!("{advice}{when}, run the same command with --resume"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::client::Moved;
    use super::*;

    fn summary(ending: Ending) -> RecordSummary {
        RecordSummary {
            calls: 200,
            carried: 0,
            listed: 200,
            pages: 2,
            requests: 2,
            waited: Duration::ZERO,
            moved: 0,
            first_total: Some(300),
            last_total: Some(300),
            resume_to_date: Some("2025-11-24T10:26:17.313Z".into()),
            ending,
            bots: None,
            phone_numbers: None,
            not_served: Vec::new(),
        }
    }

    #[test]
    fn a_complete_walk_says_so_in_one_line() {
        let line = summary(Ending::Complete).to_string();
        assert_eq!(line, "200 calls in 2 requests: complete");
        let mut one = summary(Ending::Complete);
        one.requests = 1;
        assert_eq!(one.to_string(), "200 calls in 1 request: complete");
    }

    #[test]
    fn an_incomplete_walk_says_why_how_far_and_how_to_go_on() {
        let stopped = summary(Ending::Stopped(FetchError::BudgetSpent { max: 2 }));
        assert_eq!(
            stopped.to_string(),
            "200 calls in 2 requests: incomplete, the request budget (--max-requests 2) is spent after listing \
             200 of 300"
        );
        assert_eq!(
            stopped.resume_hint().unwrap(),
            "to go on, run the same command with --resume: it lists the calls up to 2025-11-24T10:26:17.313Z \
             (the oldest written, as --to-date) and adds them to the file"
        );
        assert_eq!(summary(Ending::Complete).resume_hint(), None);
        let mut unstarted = summary(Ending::Stopped(FetchError::RateLimited));
        unstarted.resume_to_date = None;
        unstarted.last_total = None;
        assert!(
            unstarted
                .to_string()
                .ends_with("after 5 waits for Retry-After"),
            "{unstarted}"
        );
        assert_eq!(
            unstarted.resume_hint().unwrap(),
            "to go on, run the same command with --resume"
        );
    }

    #[test]
    fn the_account_s_counts_and_the_lists_not_served_are_named() {
        let mut walked = summary(Ending::Complete);
        walked.bots = Some(1);
        walked.phone_numbers = Some(3);
        assert_eq!(
            walked.to_string(),
            "200 calls, 1 bots, 3 phone numbers in 2 requests: complete"
        );
        walked.phone_numbers = None;
        walked.not_served = vec![AccountList::PhoneNumbers];
        assert_eq!(
            walked.to_string(),
            "200 calls, 1 bots in 2 requests: complete; the server does not serve /v1/phone-numbers (404), so \
             the file has no phone numbers"
        );
    }

    #[test]
    fn changes_under_the_walk_are_named() {
        let mut changed = summary(Ending::Complete);
        changed.moved = 1;
        changed.last_total = Some(305);
        changed.carried = 50;
        let line = changed.to_string();
        assert_eq!(
            line,
            "200 calls in 2 requests (50 already in the file, 150 new): complete; 1 call moved to a later page \
             while listing (the data changed; each is written once, as last served); pagination.total changed \
             from 300 to 305 during the walk"
        );
        changed.moved = 3;
        assert!(changed.to_string().contains("3 calls moved"));
    }

    #[test]
    fn totals_add_up_what_they_grew_and_shrank_between_pages_and_a_page_without_one_changes_nothing()
     {
        let mut totals = Totals::default();
        let moved = totals.page(Some(250));
        assert_eq!(
            moved,
            Moved {
                before: None,
                shrank: 0
            }
        );
        assert_eq!(
            totals.page(Some(240)),
            Moved {
                before: Some(250),
                shrank: 10
            }
        );
        assert_eq!(
            totals.page(None),
            Moved {
                before: Some(240),
                shrank: 0
            }
        );
        totals.page(Some(245));
        assert_eq!(
            totals,
            Totals {
                first: Some(250),
                last: Some(245),
                grown: 5,
                shrunk: 10
            }
        );
        // 245 at the end, 5 of them perhaps added before the walk's place, 10 perhaps listed then deleted.
        for listed in [240, 245, 255] {
            assert_eq!(totals.miscount("calls", listed), None, "{listed}");
        }
        for listed in [239, 256] {
            assert!(totals.miscount("calls", listed).is_some(), "{listed}");
        }
        assert_eq!(Totals::default().miscount("calls", 7), None);
    }

    #[test]
    fn a_miscount_says_which_way_and_what_the_totals_explain() {
        let miscount = |listed, grown, shrunk| Miscount {
            noun: "calls",
            listed,
            first_total: 250,
            total: 250 + grown - shrunk,
            grown,
            shrunk,
        };
        assert_eq!(
            miscount(248, 0, 0).to_string(),
            "pagination.total says 250 calls, but 248 distinct calls were listed: the pages skipped some"
        );
        assert_eq!(
            miscount(251, 0, 0).to_string(),
            "pagination.total says 250 calls, but 251 distinct calls were listed: the pages listed more than that"
        );
        assert_eq!(
            miscount(200, 10, 4).to_string(),
            "200 distinct calls were listed, but pagination.total went from 250 to 256 during the walk (up by 10 \
             and down by 4 between pages), which explains 246 to 260: the pages skipped some"
        );
        assert_eq!(miscount(200, 10, 4).expected(), (246, 260));
        assert!(miscount(246, 10, 4).holds() && miscount(260, 10, 4).holds());
        assert!(!miscount(245, 10, 4).holds() && !miscount(261, 10, 4).holds());
    }

    #[test]
    fn pages_that_do_not_add_up_are_incomplete_and_say_to_record_again() {
        let mut inconsistent = summary(Ending::Inconsistent(Inconsistency::EmptyPageWithMore {
            path: "/v1/calls",
            offset: 200,
            total: None,
        }));
        assert_eq!(
            inconsistent.to_string(),
            "200 calls in 2 requests: incomplete, the page of /v1/calls at offset 200 is empty but says has_more: \
             true"
        );
        assert!(!inconsistent.is_complete());
        assert_eq!(
            inconsistent.resume_hint().unwrap(),
            "what was listed is written, but it does not add up: record again"
        );
        // A walk with no total to check against says so, and only then.
        inconsistent.ending = Ending::Complete;
        inconsistent.last_total = None;
        assert_eq!(
            inconsistent.to_string(),
            "200 calls in 2 requests: complete; not checked against a total (the server gives no \
             pagination.total)"
        );
    }

    #[test]
    fn an_answer_past_a_bound_says_what_to_change_and_when_to_go_on() {
        let body = summary(Ending::Stopped(FetchError::BodyTooLarge {
            request: "GET /v1/calls?limit=100&offset=200".into(),
            limit: 10,
        }));
        assert_eq!(
            body.resume_hint().unwrap(),
            "if the server's pages are really this large, raise --max-body-bytes; to go on, run the same command \
             with --resume: it lists the calls up to 2025-11-24T10:26:17.313Z (the oldest written, as --to-date) \
             and adds them to the file"
        );
        let mut wait = summary(Ending::Stopped(FetchError::RetryAfterTooLong {
            request: "GET /v1/calls?limit=100&offset=200".into(),
            status: 429,
            asked: 59,
            cap: 30,
        }));
        wait.resume_to_date = None;
        assert_eq!(
            wait.to_string(),
            "200 calls in 2 requests: incomplete, the server answered 429 to GET /v1/calls?limit=100&offset=200 \
             asking to wait 59 s (Retry-After), more than --max-retry-after (30 s) after listing 200 of 300"
        );
        assert_eq!(
            wait.resume_hint().unwrap(),
            "record does not wait that long (raise --max-retry-after to let it); once the wait is over, run the \
             same command with --resume"
        );
    }

    #[test]
    fn a_page_needs_a_calls_array_of_objects() {
        let page = parse_page(
            br#"{"calls":[{"call_id":"a","n":1.50}],"pagination":{"total":7,"has_more":true}}"#,
        )
        .unwrap();
        assert_eq!(&*page.calls[0], r#"{"call_id":"a","n":1.50}"#);
        assert_eq!((page.total, page.has_more), (Some(7), Some(true)));
        let bare = parse_page(br#"{"calls":[]}"#).unwrap();
        assert_eq!((bare.total, bare.has_more), (None, None));
        assert!(
            parse_page(br#"{"calls":[1]}"#)
                .unwrap_err()
                .contains("calls[0]")
        );
        assert!(parse_page(br#"{"calls":[{"call_id":"a"}"#).is_err());
        assert!(parse_page(br#"[]"#).is_err());
    }
}
