//! The List Calls pages answered lately, kept whole, so that a client asking the same page again of the same
//! data set gets the same bytes without the query being run or the page copied together again.
//!
//! A page is kept under the data set version it was read from ([`Served::version`]) and the query string
//! exactly as sent. A version never changes once made (any change to the calls makes a new one, created calls
//! moving on included), so a kept page is never stale: it is simply never asked for again once its version is
//! replaced, and leaves the cache as newer pages come in. The cache is bounded by bytes (the pages, the
//! journal's copies of their starts, and the keys), the oldest page leaving first; a page larger than an
//! eighth of the bound is not kept.
//!
//! [`Served::version`]: crate::data::served::Served::version

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;

use crate::body::json_shared_response;
use crate::journal::answer_head;

/// How many bytes of pages the cache keeps by default (16 MiB).
pub const DEFAULT_PAGE_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// A page as answered: its body, and the start of it the journal keeps ([`answer_head`]), cut once
/// and shared by every answer of this page.
#[derive(Debug, Clone)]
pub(crate) struct CachedPage {
    pub(crate) body: Bytes,
    pub(crate) head: Bytes,
}

impl CachedPage {
    /// `body` and its start.
    pub(crate) fn new(body: Vec<u8>) -> Self {
        let body = Bytes::from(body);
        let head = answer_head(&body);
        CachedPage { body, head }
    }

    /// A 200 with this page as its JSON body, carrying the page so that the journal takes its start from it
    /// (see `kept_answer` in [`crate::api::routes`]) instead of copying it again.
    pub(crate) fn into_response(self) -> Response {
        let mut response = json_shared_response(StatusCode::OK, self.body.clone());
        response.extensions_mut().insert(self);
        response
    }

    /// The start the journal keeps of `body`, if `body` is this page's (the same buffer, whole).
    pub(crate) fn head_of(&self, body: &Bytes) -> Option<Bytes> {
        (body.as_ptr() == self.body.as_ptr() && body.len() == self.body.len())
            .then(|| self.head.clone())
    }

    /// The bytes this page takes: the body, the start if it is a copy, and the key.
    fn cost(&self, query: &str) -> usize {
        let head = if self.head.len() < self.body.len() {
            self.head.len()
        } else {
            0
        };
        self.body.len() + head + query.len()
    }
}

/// Pages by data set version and query string, within a byte budget.
#[derive(Debug)]
pub(crate) struct PageCache {
    budget: usize,
    pages: Mutex<Pages>,
}

#[derive(Debug, Default)]
struct Pages {
    /// By version, then query (two maps, so that a lookup borrows the query instead of building a key).
    by_version: HashMap<u64, HashMap<Arc<str>, CachedPage>>,
    /// The keys in the order their pages came in, the oldest first (each query shared with its map's key, so
    /// stored, and counted, once).
    order: VecDeque<(u64, Arc<str>)>,
    bytes: usize,
}

impl PageCache {
    /// A cache of at most `budget` bytes; 0 keeps nothing.
    pub(crate) fn new(budget: usize) -> Self {
        PageCache {
            budget,
            pages: Mutex::default(),
        }
    }

    /// The page kept for `query` on data set `version`.
    pub(crate) fn get(&self, version: u64, query: &str) -> Option<CachedPage> {
        if self.budget == 0 {
            return None;
        }
        self.lock().by_version.get(&version)?.get(query).cloned()
    }

    /// Keeps `page` for `query` on data set `version` if it fits, dropping the oldest pages to make room.
    pub(crate) fn put(&self, version: u64, query: &str, page: &CachedPage) {
        let cost = page.cost(query);
        if cost > self.budget / 8 {
            return;
        }
        let mut guard = self.lock();
        let pages = &mut *guard;
        if pages
            .by_version
            .get(&version)
            .is_some_and(|kept| kept.contains_key(query))
        {
            return;
        }
        while pages.bytes + cost > self.budget {
            let Some((old_version, old_query)) = pages.order.pop_front() else {
                break;
            };
            let Some(kept) = pages.by_version.get_mut(&old_version) else {
                continue;
            };
            if let Some(gone) = kept.remove(&*old_query) {
                pages.bytes -= gone.cost(&old_query);
            }
            if kept.is_empty() {
                pages.by_version.remove(&old_version);
            }
        }
        pages.bytes += cost;
        let query: Arc<str> = Arc::from(query);
        pages.order.push_back((version, query.clone()));
        pages
            .by_version
            .entry(version)
            .or_default()
            .insert(query, page.clone());
    }

    /// How many bytes the kept pages take.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::MAX_ANSWER_BODY_BYTES;

    fn page(len: usize, fill: u8) -> CachedPage {
        CachedPage::new(vec![fill; len])
    }

    #[test]
    fn a_page_is_found_under_its_version_and_query_only() {
        let cache = PageCache::new(1 << 20);
        cache.put(3, "limit=5", &page(100, b'a'));
        assert_eq!(cache.get(3, "limit=5").unwrap().body, vec![b'a'; 100]);
        assert!(cache.get(4, "limit=5").is_none());
        assert!(cache.get(2, "limit=5").is_none());
        assert!(cache.get(3, "limit=6").is_none());
        assert!(cache.get(3, "").is_none());
        // A page already kept stays as it was.
        cache.put(3, "limit=5", &page(100, b'b'));
        assert_eq!(cache.get(3, "limit=5").unwrap().body, vec![b'a'; 100]);
        assert_eq!(cache.bytes(), 100 + "limit=5".len());
    }

    #[test]
    fn the_oldest_pages_leave_first_to_keep_within_the_budget() {
        // Each page costs 1,000 + 1 bytes (its one-byte query): the budget holds 9 of them, and a page may
        // cost up to 1,250.
        let cache = PageCache::new(10_000);
        for i in 0..9u8 {
            cache.put(1, &format!("{i}"), &page(1_000, i));
        }
        assert_eq!(cache.bytes(), 9 * 1_001);
        cache.put(2, "x", &page(1_000, 9));
        assert_eq!(cache.bytes(), 9 * 1_001);
        assert!(cache.get(1, "0").is_none(), "the oldest page stayed");
        for i in 1..9u8 {
            assert_eq!(
                cache.get(1, &format!("{i}")).unwrap().body[0],
                i,
                "page {i}"
            );
        }
        assert_eq!(cache.get(2, "x").unwrap().body[0], 9);
        // A larger page: the oldest leaves, and that is room enough.
        cache.put(2, "y", &page(1_249 - 1, 10));
        assert!(cache.get(1, "1").is_none());
        assert!(cache.get(1, "2").is_some());
        assert_eq!(cache.bytes(), 8 * 1_001 + 1_249);
        // A page over an eighth of the budget is answered, not kept; at an eighth, it is kept.
        cache.put(3, "z", &page(1_250, 11));
        assert!(cache.get(3, "z").is_none());
        assert_eq!(cache.bytes(), 8 * 1_001 + 1_249);
        cache.put(3, "w", &page(1_249, 12));
        assert!(cache.get(3, "w").is_some());
    }

    #[test]
    fn a_page_that_fills_the_budget_exactly_drops_nothing() {
        let cache = PageCache::new(8_000);
        for i in 0..7u8 {
            cache.put(1, &format!("{i}"), &page(999, i));
        }
        cache.put(1, "7", &page(999, 7));
        assert_eq!(cache.bytes(), 8_000);
        assert!((0..8u8).all(|i| cache.get(1, &format!("{i}")).is_some()));
        // One more: the oldest leaves, and only it, since then the new page fills the budget exactly.
        cache.put(1, "8", &page(999, 8));
        assert!(cache.get(1, "0").is_none());
        assert!((1..9u8).all(|i| cache.get(1, &format!("{i}")).is_some()));
        assert_eq!(cache.bytes(), 8_000);
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = PageCache::new(0);
        cache.put(1, "", &page(0, 0));
        assert!(cache.get(1, "").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn the_journal_start_is_the_page_itself_up_to_its_bound_and_a_copy_past_it() {
        let small = page(MAX_ANSWER_BODY_BYTES, 1);
        assert_eq!(small.head.as_ptr(), small.body.as_ptr());
        assert_eq!(small.cost("q"), MAX_ANSWER_BODY_BYTES + 1);
        let large = page(MAX_ANSWER_BODY_BYTES + 1, 2);
        assert_eq!(large.head.len(), MAX_ANSWER_BODY_BYTES);
        assert_ne!(large.head.as_ptr(), large.body.as_ptr());
        assert_eq!(large.cost("q"), 2 * MAX_ANSWER_BODY_BYTES + 2);
    }

    #[test]
    fn the_start_is_given_only_for_the_pages_own_buffer_whole() {
        let kept = page(10, 7);
        assert_eq!(kept.head_of(&kept.body.clone()).unwrap(), kept.head);
        // The same bytes in another buffer, or part of the page: not this page as sent.
        assert!(kept.head_of(&Bytes::from(vec![7; 10])).is_none());
        assert!(kept.head_of(&kept.body.slice(..9)).is_none());
        assert!(kept.head_of(&kept.body.slice(1..)).is_none());
    }
}
