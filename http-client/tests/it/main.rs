//! The client's rules over a real socket: wiremock servers bound to port 0, and a port nothing listens on.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test, with its location

mod resolve;
mod rules;
