//! The webhooks due on the mock's clock ([`Schedule`]): pre-call attempts and post-call reports of created calls,
//! in the order they fall due, with how many are being sent right now. Data sets add to it when a call is created
//! or settled; the dispatcher (`crate::outbound::dispatch`) takes what is due.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, watch};

use crate::time::lifecycle::CreatedCall;

/// What a scheduled webhook does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Ask the pre-call receiver, this attempt (from 1).
    PreCall {
        /// The attempt.
        attempt: u32,
    },
    /// Send the `end-of-call-report`.
    PostCall,
}

/// A webhook due for a created call.
#[derive(Debug, Clone)]
pub struct Scheduled {
    /// The call's tenant (`None`: the default data set).
    pub tenant: Option<String>,
    /// The call as it was when this was scheduled; the job is dropped if the data set no longer has this very
    /// call (it was removed, or its data set reset).
    pub call: Arc<CreatedCall>,
    /// What to do.
    pub job: Job,
}

/// The webhooks due, by time on the mock's clock, and how many are being sent. [`crate::outbound::dispatch`] sends them.
#[derive(Debug)]
pub struct Schedule {
    queue: Mutex<BTreeMap<(u64, u64), Scheduled>>,
    seq: AtomicU64,
    /// Woken when a job is added, the clock moves, or the server stops.
    pub(crate) wake: Notify,
    /// How many jobs are being sent right now.
    pub(crate) in_flight: watch::Sender<usize>,
    stopped: AtomicBool,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            queue: Mutex::default(),
            seq: AtomicU64::new(0),
            wake: Notify::new(),
            in_flight: watch::Sender::new(0),
            stopped: AtomicBool::new(false),
        }
    }
}

impl Schedule {
    /// Adds a job due at `due` (Unix ms on the mock's clock).
    pub fn push(&self, due: u64, item: Scheduled) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((due, seq), item);
        self.wake.notify_one();
    }

    /// Takes every job due at `now` or before, earliest first, and counts them as in flight in the same step
    /// (so a waiter never sees a job neither queued nor in flight); each must be ended with
    /// [`Schedule::done`].
    pub fn take_due(&self, now: u64) -> Vec<(u64, Scheduled)> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let later = queue.split_off(&(now.saturating_add(1), 0));
        let due = std::mem::replace(&mut *queue, later);
        if !due.is_empty() {
            self.in_flight.send_modify(|n| *n += due.len());
        }
        due.into_iter().map(|((t, _), item)| (t, item)).collect()
    }

    /// Marks one job taken by [`Schedule::take_due`] as finished.
    pub fn done(&self) {
        self.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// When the next job is due.
    pub fn next_due(&self) -> Option<u64> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .next()
            .map(|(t, _)| *t)
    }

    /// Stops sending: the dispatcher ends, and jobs still waiting are never sent.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Whether [`Schedule::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}
