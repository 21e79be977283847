//! The account half of a recording: `GET /v1/bots` and `GET /v1/phone-numbers` walked with `limit=100` and
//! `offset`, through the same client (budget, pace, 429s and retries) as the calls, each record's JSON kept as
//! served.
//!
//! The lists are an account's configuration, a few records that rarely change while a walk runs: a record seen
//! again on a later page (by `uid` or `phone_number_id`) is kept once, at its first place, with its newest copy,
//! and no deleted record is read back (what the calls' walk does with gaps). So the checks are stricter than the
//! calls': a `pagination.total` that changes between pages stops the walk ([`Inconsistency::Changed`]), as do an
//! empty page that says `has_more` and a page of records all listed before, and at the end the records listed
//! must be the total. A server that answers the first page with 404 does not serve that list (a List Calls
//! server other than the vendor's): the recording has none of those records, and the summary says so.

use std::collections::HashMap;

use openmic_http::Request;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::client::{
    Ending, FetchError, Inconsistency, PAGE_LIMIT, RecordClient, RecordEvent, Totals,
};

/// One of the account's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountList {
    /// `GET /v1/bots`.
    Bots,
    /// `GET /v1/phone-numbers`.
    PhoneNumbers,
}

impl AccountList {
    /// The path walked.
    pub fn path(self) -> &'static str {
        match self {
            AccountList::Bots => "/v1/bots",
            AccountList::PhoneNumbers => "/v1/phone-numbers",
        }
    }

    /// The key of the page's array.
    fn key(self) -> &'static str {
        match self {
            AccountList::Bots => "bots",
            AccountList::PhoneNumbers => "phone_numbers",
        }
    }

    /// The key of a record's id.
    fn id_key(self) -> &'static str {
        match self {
            AccountList::Bots => "uid",
            AccountList::PhoneNumbers => "phone_number_id",
        }
    }

    /// The records' name in messages.
    pub fn noun(self) -> &'static str {
        match self {
            AccountList::Bots => "bots",
            AccountList::PhoneNumbers => "phone numbers",
        }
    }
}

/// What the walk of one list gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Listed {
    /// Not walked: the calls' walk stopped first, or an earlier list's walk did.
    #[default]
    NotWalked,
    /// The server answered the first page with 404: it does not serve this list.
    NotServed,
    /// Every record, in the order listed, each id once.
    Records(Vec<Box<str>>),
}

impl Listed {
    /// The records listed (none when not walked or not served).
    pub fn records(&self) -> &[Box<str>] {
        match self {
            Listed::Records(records) => records,
            _ => &[],
        }
    }
}

/// One page of an account list.
struct Page {
    records: Vec<Box<str>>,
    total: Option<u64>,
    has_more: Option<bool>,
}

/// Reads a 200's body as a page of `list`: its array of objects, `pagination` optional.
fn parse_page(body: &[u8], list: AccountList) -> Result<Page, String> {
    #[derive(Deserialize)]
    struct PageInfo {
        #[serde(default)]
        total: Option<u64>,
        #[serde(default)]
        has_more: Option<bool>,
    }
    let mut object: HashMap<String, &RawValue> =
        serde_json::from_slice(body).map_err(|err| err.to_string())?;
    let key = list.key();
    let records: Vec<&RawValue> = match object.remove(key) {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|err| format!("{key}: {err}"))?,
        None => return Err(format!("no `{key}` array")),
    };
    if let Some(bad) = records.iter().position(|r| !r.get().starts_with('{')) {
        return Err(format!("{key}[{bad}] is not an object"));
    }
    let info = match object.remove("pagination") {
        Some(raw) => serde_json::from_str::<Option<PageInfo>>(raw.get())
            .map_err(|err| format!("pagination: {err}"))?,
        None => None,
    };
    Ok(Page {
        records: records.iter().map(|r| Box::from(r.get())).collect(),
        total: info.as_ref().and_then(|i| i.total),
        has_more: info.and_then(|i| i.has_more),
    })
}

/// The id of a record, when it has a string one.
fn id_of(json: &str, list: AccountList) -> Option<String> {
    let object: HashMap<String, &RawValue> = serde_json::from_str(json).ok()?;
    serde_json::from_str::<String>(object.get(list.id_key())?.get()).ok()
}

/// Walks `list` to its end, and checks that its pages add up; an `Err` is how the walk ended instead (never
/// [`Ending::Complete`]).
pub(super) async fn walk(
    client: &mut RecordClient,
    list: AccountList,
    on_event: &mut dyn FnMut(RecordEvent),
) -> Result<Listed, Ending> {
    let mut records: Vec<Box<str>> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut totals = Totals::default();
    let mut offset = 0;
    loop {
        let request = Request::get(
            list.path(),
            vec![
                ("limit".to_string(), PAGE_LIMIT.to_string()),
                ("offset".to_string(), offset.to_string()),
            ],
        );
        let parse = |body: &[u8]| {
            parse_page(body, list)
                .map_err(|why| format!("a 200 whose body is not a page of {} ({why})", list.path()))
        };
        let page = match client.fetch(&request, parse, on_event).await {
            Ok(page) => page,
            Err(FetchError::Refused { status: 404, .. }) if offset == 0 => {
                return Ok(Listed::NotServed);
            }
            Err(err) => return Err(Ending::Stopped(err)),
        };
        let count = page.records.len() as u64;
        let known = records.len();
        for json in page.records {
            match id_of(&json, list) {
                Some(id) => match by_id.get(&id) {
                    Some(&at) => records[at] = json,
                    None => {
                        by_id.insert(id, records.len());
                        records.push(json);
                    }
                },
                None => records.push(json),
            }
        }
        let new = (records.len() - known) as u64;
        let moved = totals.page(page.total);
        let inconsistency = if count == 0 && page.has_more == Some(true) {
            Some(Inconsistency::EmptyPageWithMore {
                path: list.path(),
                offset,
                total: page.total,
            })
        } else if let (Some(from), Some(to)) = (moved.before, page.total)
            && from != to
        {
            Some(Inconsistency::Changed {
                path: list.path(),
                noun: list.noun(),
                from,
                to,
            })
        } else if count > 0 && new == 0 {
            Some(Inconsistency::RepeatedPage {
                path: list.path(),
                noun: list.noun(),
                offset,
                count,
            })
        } else {
            None
        };
        if let Some(inconsistency) = inconsistency {
            return Err(Ending::Inconsistent(inconsistency));
        }
        let more = match (page.has_more, page.total) {
            (Some(more), _) => more,
            (None, Some(total)) => offset + count < total,
            (None, None) => count == PAGE_LIMIT,
        };
        offset += count;
        if !more || count == 0 {
            return match totals.miscount(list.noun(), records.len() as u64) {
                Some(inconsistency) => Err(Ending::Inconsistent(inconsistency)),
                None => Ok(Listed::Records(records)),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_needs_its_array_of_objects() {
        let page = parse_page(
            br#"{"bots":[{"uid":"a","n":1.50}],"pagination":{"total":7,"has_more":true}}"#,
            AccountList::Bots,
        )
        .unwrap();
        assert_eq!(&*page.records[0], r#"{"uid":"a","n":1.50}"#);
        assert_eq!((page.total, page.has_more), (Some(7), Some(true)));
        let bare = parse_page(br#"{"phone_numbers":[]}"#, AccountList::PhoneNumbers).unwrap();
        assert_eq!((bare.total, bare.has_more), (None, None));
        let err = |body: &[u8], list| parse_page(body, list).err().unwrap();
        assert_eq!(
            err(br#"{"bots":[1]}"#, AccountList::Bots),
            "bots[0] is not an object"
        );
        assert_eq!(
            err(br#"{"bots":[]}"#, AccountList::PhoneNumbers),
            "no `phone_numbers` array"
        );
        assert!(err(br#"{"bots":{}}"#, AccountList::Bots).starts_with("bots: "));
        assert!(
            err(br#"{"bots":[],"pagination":1}"#, AccountList::Bots).starts_with("pagination: ")
        );
        assert!(parse_page(br#"[]"#, AccountList::Bots).is_err());
    }

    #[test]
    fn records_are_known_by_their_ids() {
        assert_eq!(
            id_of(r#"{"uid":"b1","name":"x"}"#, AccountList::Bots).as_deref(),
            Some("b1")
        );
        assert_eq!(
            id_of(r#"{"phone_number_id":"p1"}"#, AccountList::PhoneNumbers).as_deref(),
            Some("p1")
        );
        assert_eq!(id_of(r#"{"uid":5}"#, AccountList::Bots), None);
        assert_eq!(id_of(r#"{"uid":"b1"}"#, AccountList::PhoneNumbers), None);
    }
}
