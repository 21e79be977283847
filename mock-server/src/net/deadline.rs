//! A deadline on a request's body ([`DeadlineBody`]): the whole body must arrive within
//! [`crate::ServeOptions::body_read_timeout`] of the request's head, or reading it fails with [`BodyTimedOut`],
//! which the handlers answer with a 408 (and hyper then closes the connection). Without it, a client that sends
//! a head and then nothing of its announced body holds its connection, and its slot under the connection cap,
//! for as long as it likes.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// Why a body read failed: it was not complete within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive within {} (--body-read-timeout)", shown_timeout(*.0))]
pub struct BodyTimedOut(pub Duration);

/// `10 seconds`, `1 second`, `500 ms`.
fn shown_timeout(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        crate::text::seconds(timeout.as_secs())
    } else {
        format!("{} ms", timeout.as_millis())
    }
}

impl BodyTimedOut {
    /// Whether `err`, or an error it wraps, is a [`BodyTimedOut`]; which one.
    pub(crate) fn find(err: &(dyn std::error::Error + 'static)) -> Option<BodyTimedOut> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(found) = err.downcast_ref::<BodyTimedOut>() {
                return Some(*found);
            }
            next = err.source();
        }
        None
    }
}

/// Since when a connection's request has been waiting for body bytes that do not come: what the accept loop
/// reads to pick a stalled connection to close when every connection slot is taken.
#[derive(Debug)]
pub(crate) struct BodyWait {
    base: Instant,
    /// Milliseconds after `base` when the wait began, plus one; 0 while the body is not waited for.
    since: AtomicU64,
}

impl BodyWait {
    /// A mark on the clock that starts at `base`.
    pub(crate) fn new(base: Instant) -> Self {
        BodyWait {
            base,
            since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.base.elapsed().as_millis() as u64 + 1
    }

    fn waiting(&self) {
        let now = self.now();
        let _ = self
            .since
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn progressed(&self) {
        self.since.store(0, Ordering::Relaxed);
    }

    /// How long the body has been waited for without a byte, if it is.
    pub(crate) fn stalled_for(&self) -> Option<Duration> {
        match self.since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_millis(self.now().saturating_sub(since))),
        }
    }
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes before its end, and marks its
/// connection's [`BodyWait`] while it waits for bytes.
pub(crate) struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    wait: Arc<BodyWait>,
}

impl DeadlineBody {
    /// `inner`, which must end within `timeout` from now.
    pub(crate) fn new(inner: Incoming, timeout: Duration, wait: Arc<BodyWait>) -> Self {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            wait,
        }
    }
}

impl Drop for DeadlineBody {
    fn drop(&mut self) {
        self.wait.progressed();
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            self.wait.progressed();
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.wait.progressed();
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(self.timeout)))));
        }
        self.wait.waiting();
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
