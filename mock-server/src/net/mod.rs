//! The connection layer: the accept loop with its limits, timeouts, `Host` policy and shutdown ([`accept`]),
//! the deadline on a request's body ([`deadline`]), and CORS for pages that call the API ([`cors`]).

pub(crate) mod accept;
pub(crate) mod cors;
pub(crate) mod deadline;
