//! Integration tests of the mock, in one test binary. Most rules run at two depths: in-process through
//! `Router::oneshot`, and end-to-end over a real socket; `depths!` generates both from one async test body.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test, with its location
mod helpers;

mod account;
mod account_admin;
mod admin;
mod admin_calls;
mod atomic;
mod auth;
mod cli;
mod cli_control;
mod cli_docs;
mod cli_network;
mod clock_concurrency;
mod cors;
mod faults;
mod fidelity;
mod filters;
mod get_call;
mod hardening;
mod journal;
mod lifecycle;
mod live_limits;
mod one_validation;
mod openapi;
mod order_and_pages;
mod page_cache;
mod params;
mod pre_call;
mod rate_limit;
mod record;
mod record_bounds;
mod routing;
mod self_webhooks;
mod server;
mod store_model;
mod tenants;
mod ui;
mod webhooks;
