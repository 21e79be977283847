//! A data set as served: the calls loaded or set through the admin API (the *base*, any size, indexed), and the
//! calls created through `POST /v1/create-phone-call` (the *live* tier, small, scanned: [`LiveTier`]). A
//! created call that changes state touches only the live tier, so a change costs the same on a million-call
//! data set as on an empty one;
//! List Calls merges the two tiers' matches in canonical order, reading no more of the base than the page
//! needs ([`Served::list`]).
//!
//! The tiers never share a `call_id`. Finished created calls move to the base in batches
//! (see [`crate::data::sets`]), so the live tier stays small however many calls a test creates.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::api::query::ListCallsParams;
use crate::data::live::LiveTier;
use crate::data::store::{CallStore, Page, compare_keys};

/// The two tiers of a data set, and (on demand) one store with both.
#[derive(Debug)]
pub struct Served {
    base: Arc<CallStore>,
    live: Arc<LiveTier>,
    merged: OnceLock<Arc<CallStore>>,
    version: u64,
}

/// The next [`Served::version`].
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

impl Served {
    /// A data set of `base` and the created calls `live`.
    pub fn new(base: Arc<CallStore>, live: Arc<LiveTier>) -> Self {
        Served {
            base,
            live,
            merged: OnceLock::new(),
            version: NEXT_VERSION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// This data set's version: unique in the process, never reused. A `Served` never changes (a change makes
    /// a new one), so what was read from one version is true of it for good: what lets List Calls keep pages
    /// (`--page-cache-bytes`).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// A data set with no created calls.
    pub fn base_only(base: Arc<CallStore>) -> Self {
        Self::new(base, Arc::new(LiveTier::default()))
    }

    /// The calls loaded or set through the admin API.
    pub fn base(&self) -> &Arc<CallStore> {
        &self.base
    }

    /// The created calls, in their state as of the last request.
    pub fn live(&self) -> &Arc<LiveTier> {
        &self.live
    }

    /// How many calls, both tiers.
    pub fn len(&self) -> usize {
        self.base.len() + self.live.len()
    }

    /// Whether there are no calls.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a call of either tier has this id.
    pub fn contains(&self, call_id: &str) -> bool {
        self.live.position(call_id).is_some() || self.base.position(call_id).is_some()
    }

    /// The JSON of the call with this id, exactly as the list serves it.
    pub fn get_json(&self, call_id: &str) -> Option<&str> {
        self.live
            .get_json(call_id)
            .or_else(|| self.base.get_json(call_id))
    }

    /// Both tiers as one store (built once per data set version, for the admin API and tests; the API's
    /// paths never need it).
    pub fn merged(&self) -> Arc<CallStore> {
        self.merged
            .get_or_init(|| {
                if self.live.is_empty() {
                    return self.base.clone();
                }
                let live: Vec<Box<str>> = self.live.json_calls().map(Box::from).collect();
                match self.base.with_added(live) {
                    Ok(store) => Arc::new(store),
                    // The tiers share no id and every call was valid in its tier.
                    Err(problems) => {
                        tracing::error!(%problems, "the two tiers of a data set could not be merged");
                        self.base.clone()
                    }
                }
            })
            .clone()
    }

    /// The page of matches for `params` over both tiers, as [`CallStore::list`] would answer it for the
    /// merged store.
    ///
    /// Every live match is found (the tier is small), and only the base matches the page can need: merged
    /// index `i` is base match `b` plus the live matches before it, so starting `m` (the number of live
    /// matches) before the offset is always early enough.
    pub fn list(&self, params: &ListCallsParams) -> Page<'_> {
        let live = self.live.matches(params);
        let live_total = live.len() as u64;
        if live.is_empty() {
            return self.base.list(params);
        }
        let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
        let limit = params.limit as usize;
        let m = live.len();
        let skip = offset.saturating_sub(m);
        // The merge reaches index `offset + limit` having taken at most `offset - skip + limit` base matches.
        let take = limit.saturating_add(offset - skip);
        let (base_total, window) = self.base.matches(params, skip, take);
        let total = base_total + live_total;
        // An empty window with base matches means `skip >= base_total`, so `offset >= total`: past the end.
        // With no base match at all, the page is the live matches alone, from the start.
        let first = if window.is_empty() { 0 } else { skip };
        let mut in_live = if first == 0 {
            0
        } else {
            let (start, id) = self.base.key_at(window[0]);
            live.partition_point(|&p| {
                let (s, i) = self.live.key_at(p);
                compare_keys(s, i, start, id).is_lt()
            })
        };
        let mut index = first + in_live;
        let mut in_base = 0;
        let mut calls = Vec::with_capacity(limit.min(total as usize));
        while calls.len() < limit {
            let from_live = match (window.get(in_base), live.get(in_live)) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(&b), Some(&l)) => {
                    let (bs, bi) = self.base.key_at(b);
                    let (ls, li) = self.live.key_at(l);
                    compare_keys(ls, li, bs, bi).is_lt()
                }
            };
            let json = if from_live {
                in_live += 1;
                self.live.json_at(live[in_live - 1])
            } else {
                in_base += 1;
                self.base.json_at(window[in_base - 1])
            };
            if index >= offset {
                calls.push(json);
            }
            index += 1;
        }
        Page::of(calls, total, params)
    }
}
