//! Learning the target's data by listing it, within a request budget. The suite never seeds or resets a
//! target: what it lists is the oracle.
//!
//! When the data needs more pages than the budget allows, the oracle is a **window**: the newest calls the
//! budget could list, from just after the oldest `start_timestamp` seen (so a tie group is never cut), and
//! every later query carries that `from_date`.
//!
//! Calls an earlier run created that are still in flight change during this run (they start, their
//! transcript grows, they end), so when the listing holds any, the oracle also ends before them
//! ([`Dataset::settle`]): every later query carries a `to_date`, which leaves out calls not started yet.

use std::collections::BTreeSet;

use openmic_fixtures::{Call, Direction, is_e164};
use serde_json::Value;

use crate::contract::account::Resource;
use crate::contract::dates::format_rfc3339_ms;
use crate::contract::reference::DateBound;
use crate::http::{HttpClient, HttpError, Request};
use crate::report::clip;

/// The page size used to list the data (the contract's maximum).
pub const LIST_PAGE: u64 = 100;

/// What the suite knows about the target's data.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Every call listed (in the window, if any) that parses as a [`Call`], with its JSON as served.
    pub calls: Vec<(Call, Value)>,
    /// Every call object listed, parsed or not: what the shape check looks at.
    pub raw: Vec<Value>,
    /// `pagination.total` of the unfiltered listing.
    pub reported_total: u64,
    /// The date window every query is limited to, when the data is larger than the budget.
    pub window: Option<DateBound>,
    /// The `to_date` every query is limited to, when calls still in flight were listed ([`Dataset::settle`]).
    pub until: Option<DateBound>,
    /// How many listed calls were still in flight.
    pub in_flight: usize,
    /// Requests the listing took.
    pub requests: u64,
    /// What looked wrong while listing (duplicates, unparseable calls, a missing `total`).
    pub problems: Vec<String>,
    /// Server errors during the listing that passed on repeat.
    pub flaky: Vec<String>,
    /// The bots listed (`GET /v1/bots`), when an account property runs.
    pub bots: Listed,
    /// The phone numbers listed (`GET /v1/phone-numbers`), when an account property runs.
    pub phone_numbers: Listed,
}

/// What listing one resource of the account (bots or phone numbers) found.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    /// Every record listed, as served, each once.
    pub records: Vec<Value>,
    /// Whether the target serves the list: its first page was a 200 with the records' array.
    pub served: bool,
    /// Whether every page was listed (within the pages allowed).
    pub complete: bool,
    /// `pagination.total` of the first page.
    pub reported_total: u64,
    /// Requests the listing took.
    pub requests: u64,
    /// What looked wrong while listing (duplicates, a missing array or total).
    pub problems: Vec<String>,
    /// The status of the first page (0 before any was listed): a 404 or 405 says the target does not
    /// implement the list at all.
    pub first_status: u16,
}

impl Listed {
    /// The record whose id is `id`.
    pub fn find(&self, resource: Resource, id: &str) -> Option<&Value> {
        self.records.iter().find(|r| resource.id_of(r) == id)
    }

    /// Why properties of `resource` cannot run on this listing, if they cannot.
    pub fn unusable(&self, resource: Resource) -> Option<String> {
        if !self.served {
            Some(format!(
                "the target does not serve GET {} (see the listing line)",
                resource.path()
            ))
        } else if !self.complete {
            Some(format!(
                "the {} could not all be listed within the budget",
                resource.plural()
            ))
        } else if self.records.is_empty() {
            Some(format!("no {} were listed", resource.plural()))
        } else {
            None
        }
    }
}

/// Lists `resource` with pages of 100, using at most `max_pages` requests.
pub fn discover_resource(
    client: &HttpClient,
    resource: Resource,
    max_pages: u64,
) -> Result<Listed, HttpError> {
    let mut listed = Listed::default();
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    while listed.requests < max_pages.max(1) {
        let request = Request::get(
            resource.path(),
            vec![
                ("limit".into(), LIST_PAGE.to_string()),
                ("offset".into(), offset.to_string()),
            ],
        );
        let mut response = client.send(&request)?;
        listed.requests += 1;
        if response.status >= 500 {
            response = client.send(&request)?;
            listed.requests += 1;
        }
        if offset == 0 {
            listed.first_status = response.status;
        }
        let body = response.json().unwrap_or(Value::Null);
        let Some(records) = body[resource.items_key()]
            .as_array()
            .filter(|_| response.status == 200)
        else {
            listed.problems.push(format!(
                "GET {} answered {} without a `{}` array: {}",
                request.path_and_query(),
                response.status,
                resource.items_key(),
                clip(&response.text(), 200)
            ));
            return Ok(listed);
        };
        if offset == 0 {
            listed.served = true;
            listed.reported_total = body["pagination"]["total"].as_u64().unwrap_or_else(|| {
                listed
                    .problems
                    .push("the first page has no integer pagination.total".into());
                0
            });
        }
        for record in records {
            let id = resource.id_of(record);
            if !seen.insert(id.clone()) {
                listed.problems.push(format!(
                    "{} {id:?} was listed twice while walking the pages",
                    resource.items_key()
                ));
                continue;
            }
            listed.records.push(record.clone());
        }
        offset += records.len() as u64;
        if records.is_empty() || offset >= listed.reported_total {
            listed.complete = true;
            break;
        }
    }
    Ok(listed)
}

impl Dataset {
    /// Distinct values of one field, sorted: the pool filter values are drawn from.
    pub fn values(&self, field: impl Fn(&Call) -> Option<&str>) -> Vec<String> {
        let set: BTreeSet<String> = self
            .calls
            .iter()
            .filter_map(|(c, _)| field(c).map(str::to_string))
            .collect();
        set.into_iter().collect()
    }

    /// The account's own numbers, sorted: the `from_number` of every outbound call and the `to_number` of every
    /// inbound one, where E.164. create-phone-call only calls from a number of the account.
    pub fn account_numbers(&self) -> Vec<String> {
        self.values(|c| {
            Some(match c.direction {
                Direction::Outbound => c.from_number.as_str(),
                Direction::Inbound => c.to_number.as_str(),
            })
            .filter(|n| is_e164(n))
        })
    }

    /// Leaves out of the oracle every call that may change during the run. `in_flight` says which listed
    /// calls are still playing out (`registered` or `ongoing` calls an earlier run created); when there are
    /// any, the oracle ends just before the first of them could start: at the earliest of the newest start of
    /// the other calls, 1 ms before the earliest start of an `ongoing` one, and `now_ms` (this machine's clock,
    /// for data dated in the future). Calls not started yet never match a `to_date` (rule 6d), so the ones in
    /// flight stay out of every query even when they start later in the run.
    pub fn settle(&mut self, in_flight: impl Fn(&Call) -> bool, now_ms: i64) {
        let start = |c: &Call| c.start_timestamp.map(|t| t.millis() as i64);
        let flying: Vec<&Call> = self
            .calls
            .iter()
            .map(|(c, _)| c)
            .filter(|c| in_flight(c))
            .collect();
        if flying.is_empty() {
            return;
        }
        let others = self
            .calls
            .iter()
            .map(|(c, _)| c)
            .filter(|c| !in_flight(c))
            .filter_map(start)
            .max();
        let first_flying = flying.iter().filter_map(|c| start(c)).min().map(|t| t - 1);
        let until = [others, first_flying, Some(now_ms)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now_ms);
        self.in_flight = flying.len();
        self.calls
            .retain(|(c, _)| start(c).is_some_and(|t| t <= until));
        self.raw
            .retain(|v| v["start_timestamp"].as_i64().is_some_and(|t| t <= until));
        self.until = Some(DateBound {
            ms: until,
            text: format_rfc3339_ms(until),
        });
    }

    /// Distinct `start_timestamp`s, sorted.
    pub fn start_times(&self) -> Vec<i64> {
        let set: BTreeSet<i64> = self
            .calls
            .iter()
            .filter_map(|(c, _)| c.start_timestamp.map(|t| t.millis() as i64))
            .collect();
        set.into_iter().collect()
    }
}

/// Why the target's data could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoverError {
    /// No HTTP answer (or the budget was spent before the first page).
    Http(HttpError),
    /// The first page was a 401 or 403: every property would fail or skip for the same reason.
    KeyRejected {
        /// The status.
        status: u16,
        /// The request, as curl with the key redacted.
        curl: String,
        /// The start of the body.
        body: String,
    },
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::Http(e) => write!(f, "{e}"),
            DiscoverError::KeyRejected { status, curl, body } => write!(
                f,
                "the target rejected the API key (HTTP {status} on the first listing: {body}); check --api-key or OPENMIC_API_KEY\n  {curl}"
            ),
        }
    }
}

impl std::error::Error for DiscoverError {}

impl From<HttpError> for DiscoverError {
    fn from(e: HttpError) -> Self {
        DiscoverError::Http(e)
    }
}

/// Lists the target with pages of 100, using at most `max_pages` requests. The key is checked on the way: a
/// 401 or 403 on the first page is [`DiscoverError::KeyRejected`].
pub fn discover(client: &HttpClient, max_pages: u64) -> Result<Dataset, DiscoverError> {
    let mut data = Dataset::default();
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    let mut complete = false;
    while data.requests < max_pages.max(1) {
        let request = Request::get(
            "/v1/calls",
            vec![
                ("limit".into(), LIST_PAGE.to_string()),
                ("offset".into(), offset.to_string()),
            ],
        );
        let mut response = client.send(&request)?;
        data.requests += 1;
        if response.status >= 500 {
            let first = response.status;
            response = client.send(&request)?;
            data.requests += 1;
            if response.status < 500 {
                data.flaky.push(format!(
                    "{first} once, passed on repeat: GET {}",
                    request.path_and_query()
                ));
            }
        }
        if offset == 0 && matches!(response.status, 401 | 403) {
            return Err(DiscoverError::KeyRejected {
                status: response.status,
                curl: request.curl(&client.target().base_url),
                body: clip(&response.text(), 200),
            });
        }
        let body = response.json().unwrap_or(Value::Null);
        let Some(calls) = body["calls"].as_array() else {
            data.problems.push(format!(
                "listing at offset {offset} answered {} without a `calls` array: {}",
                response.status,
                clip(&response.text(), 200)
            ));
            return Ok(data);
        };
        if offset == 0 {
            data.reported_total = body["pagination"]["total"].as_u64().unwrap_or_else(|| {
                data.problems
                    .push("the first page has no integer pagination.total".into());
                0
            });
        }
        for call in calls {
            let id = call["call_id"].as_str().unwrap_or_default().to_string();
            if !seen.insert(id.clone()) {
                data.problems.push(format!(
                    "call {id:?} was listed twice while walking the pages"
                ));
                continue;
            }
            data.raw.push(call.clone());
            match serde_json::from_value::<Call>(call.clone()) {
                Ok(parsed) => data.calls.push((parsed, call.clone())),
                Err(e) => data
                    .problems
                    .push(format!("call {id:?} does not parse as a CallResponse: {e}")),
            }
        }
        offset += calls.len() as u64;
        if calls.is_empty() || offset >= data.reported_total {
            complete = true;
            break;
        }
    }
    if !complete {
        window(&mut data);
    }
    Ok(data)
}

/// Keeps only the calls strictly after the oldest start time listed, and records that bound as the window.
fn window(data: &mut Dataset) {
    let Some(oldest) = data
        .calls
        .iter()
        .filter_map(|(c, _)| c.start_timestamp.map(|t| t.millis() as i64))
        .min()
    else {
        return;
    };
    let from = oldest + 1;
    data.calls
        .retain(|(c, _)| c.start_timestamp.is_some_and(|t| t.millis() as i64 >= from));
    data.raw
        .retain(|v| v["start_timestamp"].as_i64().is_some_and(|t| t >= from));
    data.window = Some(DateBound {
        ms: from,
        text: format_rfc3339_ms(from),
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use serde_json::json;
    use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

    use super::*;
    use crate::http::{Limits, Target};

    /// Answers its first request 500, then as the responder over the embedded calls, key `k`.
    struct FirstFails(AtomicU64, crate::OpenMicResponder);

    impl Respond for FirstFails {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            if self.0.fetch_add(1, Ordering::Relaxed) == 0 {
                return ResponseTemplate::new(500);
            }
            self.1.respond(request)
        }
    }

    #[test]
    fn a_listing_counts_the_page_it_sent_again_after_a_500() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        let responder =
            crate::OpenMicResponder::new(openmic_fixtures::default_calls()).api_key("k");
        runtime.block_on(
            Mock::given(wiremock::matchers::any())
                .respond_with(FirstFails(AtomicU64::new(0), responder))
                .mount(&server),
        );
        let client = HttpClient::new(Target::new(server.uri(), "k"), Limits::UNLIMITED).unwrap();
        let data = discover(&client, 20).unwrap();
        assert_eq!(data.calls.len(), 300);
        assert_eq!(data.requests, 4, "three pages, the first sent twice");
        assert_eq!(data.flaky.len(), 1, "{:?}", data.flaky);
        assert!(
            data.flaky[0]
                .starts_with("500 once, passed on repeat: GET /v1/calls?limit=100&offset=0"),
            "{:?}",
            data.flaky
        );
    }

    /// A call started at `start`, with its JSON.
    fn call(id: &str, start: u64) -> (Call, Value) {
        let mut call = Call::example(id);
        call.start_timestamp = Some(openmic_fixtures::TimestampMs(start));
        let json = serde_json::to_value(&call).unwrap();
        (call, json)
    }

    #[test]
    fn a_window_keeps_the_calls_after_the_oldest_start_listed_whose_ties_may_be_cut() {
        let mut data = Dataset {
            calls: vec![
                call("d", 3_000),
                call("c", 2_000),
                call("e", 1_500),
                call("b", 1_000),
                call("a", 1_000),
            ],
            ..Dataset::default()
        };
        data.raw = data.calls.iter().map(|(_, v)| v.clone()).collect();
        window(&mut data);
        let ids: Vec<&str> = data.calls.iter().map(|(c, _)| c.call_id.as_str()).collect();
        assert_eq!(ids, ["d", "c", "e"]);
        let raw: Vec<&str> = data
            .raw
            .iter()
            .map(|v| v["call_id"].as_str().unwrap())
            .collect();
        assert_eq!(raw, ["d", "c", "e"]);
        let bound = data.window.unwrap();
        assert_eq!(bound.ms, 1_001);
        assert_eq!(bound.text, "1970-01-01T00:00:01.001Z");
    }

    #[test]
    fn settling_ends_the_oracle_just_before_the_first_call_in_flight() {
        let mut data = Dataset {
            calls: vec![call("a", 1_000), call("b", 2_000), call("c", 3_000)],
            ..Dataset::default()
        };
        data.raw = data.calls.iter().map(|(_, v)| v.clone()).collect();
        data.settle(|c| c.call_id == "b", 10_000);
        let ids: Vec<&str> = data.calls.iter().map(|(c, _)| c.call_id.as_str()).collect();
        assert_eq!(ids, ["a"]);
        assert_eq!(data.raw.len(), 1);
        assert_eq!(data.until.as_ref().map(|u| u.ms), Some(1_999));
        assert_eq!(data.in_flight, 1);
    }

    /// `GET /v1/bots` over `total` bots in pages; request number `fail` answers 500, and bot `dup` is served
    /// again at the start of the next page. `gone`: every request answers 404.
    struct Pages {
        gone: bool,
        total: u64,
        fail: u64,
        dup: Option<u64>,
        seen: AtomicU64,
    }

    impl Respond for Pages {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            if self.seen.fetch_add(1, Ordering::Relaxed) == self.fail {
                return ResponseTemplate::new(500);
            }
            if self.gone {
                return ResponseTemplate::new(404).set_body_json(json!({"error": "Not Found"}));
            }
            let number = |name: &str| {
                request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let (limit, offset) = (number("limit"), number("offset"));
            let mut ids: Vec<u64> = (offset..(offset + limit).min(self.total)).collect();
            if let Some(dup) = self.dup.filter(|d| offset > *d && offset <= d + limit) {
                ids[0] = dup;
            }
            let bots: Vec<Value> = ids
                .iter()
                .map(|i| json!({"uid": format!("b{i:03}")}))
                .collect();
            ResponseTemplate::new(200).set_body_json(
                json!({"bots": bots, "pagination": {"limit": limit, "offset": offset, "total": self.total, "has_more": false}}),
            )
        }
    }

    fn list(pages: Pages, max_pages: u64) -> Listed {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        runtime.block_on(
            Mock::given(wiremock::matchers::any())
                .respond_with(pages)
                .mount(&server),
        );
        let client = HttpClient::new(Target::new(server.uri(), "k"), Limits::UNLIMITED).unwrap();
        discover_resource(&client, Resource::Bots, max_pages).unwrap()
    }

    fn pages(total: u64) -> Pages {
        Pages {
            gone: false,
            total,
            fail: u64::MAX,
            dup: None,
            seen: AtomicU64::new(0),
        }
    }

    #[test]
    fn a_listing_walks_every_page_once_and_repeats_a_server_error() {
        let listed = list(
            Pages {
                fail: 1,
                ..pages(250)
            },
            20,
        );
        assert!(listed.served && listed.complete, "{listed:?}");
        assert_eq!(listed.records.len(), 250);
        assert_eq!(listed.reported_total, 250);
        assert_eq!(listed.requests, 4, "three pages, the second sent twice");
        assert_eq!(
            listed.find(Resource::Bots, "b249"),
            Some(&json!({"uid": "b249"}))
        );
        assert_eq!(listed.find(Resource::Bots, "b250"), None);
        assert_eq!(listed.unusable(Resource::Bots), None);
        let exact = list(pages(200), 20);
        assert_eq!((exact.records.len(), exact.requests), (200, 2));
    }

    #[test]
    fn a_listing_stops_at_its_pages_and_says_why_it_cannot_be_used() {
        let cut = list(pages(250), 2);
        assert!(cut.served && !cut.complete);
        assert_eq!((cut.records.len(), cut.requests), (200, 2));
        assert!(
            cut.unusable(Resource::Bots)
                .unwrap()
                .contains("within the budget")
        );
        let empty = list(pages(0), 20);
        assert!(empty.complete);
        assert_eq!(
            empty.unusable(Resource::Bots).unwrap(),
            "no bots were listed"
        );
        let refused = list(
            Pages {
                gone: true,
                ..pages(5)
            },
            20,
        );
        assert!(!refused.served && !refused.complete);
        assert_eq!(refused.requests, 1);
        assert!(refused.problems[0].starts_with("GET /v1/bots?limit=100&offset=0 answered 404"));
        assert!(
            refused
                .unusable(Resource::Bots)
                .unwrap()
                .contains("does not serve GET /v1/bots")
        );
        let twice = list(
            Pages {
                dup: Some(99),
                ..pages(150)
            },
            20,
        );
        assert_eq!(twice.records.len(), 149);
        assert_eq!(
            twice.problems,
            ["bots \"b099\" was listed twice while walking the pages"]
        );
    }
}
