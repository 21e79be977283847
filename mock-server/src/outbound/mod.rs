//! What the mock sends itself: webhooks. Where they go ([`targets`]), how one is sent and what a server sends
//! with ([`sender`]), the journal of attempts ([`deliveries`]), and when they go out on the clock
//! ([`dispatch`], which takes due jobs from [`crate::time::schedule`]).

pub(crate) mod deliveries;
pub(crate) mod dispatch;
pub(crate) mod sender;
pub(crate) mod targets;
