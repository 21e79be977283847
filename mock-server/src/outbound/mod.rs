//! What the mock sends itself: webhooks. Where they go ([`targets`]), how one is sent and what a server sends
//! with ([`sender`]), the journal of attempts ([`deliveries`]), what a pre-call answer does to its call
//! ([`pre_call`]), and when they go out on the clock ([`dispatch`], which takes due jobs from
//! [`crate::time::schedule`]).

pub(crate) mod deliveries;
pub(crate) mod dispatch;
pub(crate) mod pre_call;
pub(crate) mod sender;
pub(crate) mod targets;
