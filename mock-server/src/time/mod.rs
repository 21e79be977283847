//! Time: the real or virtual clock everything time-dependent reads ([`clock`]), and how a created call plays
//! out on it, with the outcomes queue tests fill ([`lifecycle`]).

pub(crate) mod clock;
pub(crate) mod lifecycle;
