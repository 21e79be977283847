//! A deadline on a request's body ([`DeadlineBody`]): the whole body must arrive within
//! [`crate::ServeOptions::body_read_timeout`] of the request's head, or reading it fails with [`BodyTimedOut`],
//! which the handlers answer with a 408 (and hyper then closes the connection). Without it, a client that sends
//! a head and then nothing of its announced body holds its connection, and its slot under the connection cap,
//! for as long as it likes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// Why a body read failed: it was not complete within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive within {} (--body-read-timeout)", shown_timeout(*.0))]
pub struct BodyTimedOut(pub Duration);

/// `10 seconds`, `1 second`, `500 ms`.
fn shown_timeout(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        crate::api::error::seconds(timeout.as_secs())
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

/// A request body that fails with [`BodyTimedOut`] once its deadline passes before its end.
pub(crate) struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl DeadlineBody {
    /// `inner`, which must end within `timeout` from now.
    pub(crate) fn new(inner: Incoming, timeout: Duration) -> Self {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
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
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(self.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
