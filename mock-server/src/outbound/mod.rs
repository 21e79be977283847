//! What the mock sends itself: webhooks, where they go and how one is sent ([`webhook`]), and when they go out
//! on the clock ([`dispatch`]).

pub(crate) mod dispatch;
pub(crate) mod webhook;
