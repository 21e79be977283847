//! The kit tests itself: it passes against correct servers (the in-process mock, the wiremock responder),
//! fails against deliberately broken ones naming the property that caught each, keeps to its request budget
//! and rate limit, and its binary behaves as documented.

#![allow(clippy::unwrap_used)]

mod broken_servers;
mod cli;
mod correct_servers;
mod helpers;
mod limits;
