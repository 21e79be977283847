//! The kit tests itself: it passes against correct servers (the in-process mock, the wiremock responder),
//! fails against deliberately broken ones naming the property that caught each, keeps to its request budget
//! and rate limit, and its binary behaves as documented. Its client half passes the reference Rust client and
//! the Python adapter, and catches deliberately broken clients.

#![allow(clippy::unwrap_used)]

mod account_servers;
mod broken_servers;
mod cli;
mod cli_client;
mod cli_docs;
mod clients;
mod correct_servers;
mod create_servers;
mod helpers;
mod layout;
mod limits;
mod readable;
#[allow(dead_code)]
#[path = "../../examples/reference_client.rs"]
mod reference_client;
mod webhook;
mod webhook_cli;
