//! Time: the real or virtual clock everything time-dependent reads ([`clock`]), how a created call plays out
//! on it, with the outcomes queue tests fill ([`lifecycle`]), and the webhooks due on it ([`schedule`]).

pub(crate) mod clock;
pub(crate) mod lifecycle;
pub(crate) mod schedule;
