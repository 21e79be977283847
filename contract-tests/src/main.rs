//! The `openmic-contract` binary: parses the command line and runs the server suite (`server`), the client
//! properties against an adapter (`client`) or the checks of a webhook receiver (`webhook`); exit 0 when every
//! property passes, 1 on any failure, 2 on a usage, connection or start-up error.
//!
//! This file only parses and dispatches: each subcommand's flags and body live in its own file under `cli/`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Property-based contract tests for OpenMic List Calls servers (the mock, another fake, or the live API).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a server against the contract (calls, bots, phone numbers), then print the drift report. Only GET
    /// requests, except the create-phone-call properties (on a loopback target, elsewhere only with
    /// --allow-create) and the bot and link writes (only with --allow-writes).
    Server(cli::server::ServerArgs),
    #[cfg(feature = "client-suite")]
    /// Check a client in any language against the contract: start the mock in-process and drive the client
    /// through an adapter speaking JSON Lines on stdin/stdout (docs/client-adapter.md).
    Client(cli::client::ClientArgs),
    /// Check a team's webhook receiver: POST generated post-call reports or pre-call requests of the documented
    /// shapes to --url (and nowhere else), as the vendor sends them, and check each is answered 2xx in time
    /// (docs/webhooks.md).
    Webhook(cli::webhook::WebhookArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "client-suite")]
        Command::Client(args) => cli::client::run(args),
        Command::Server(args) => cli::server::run(args),
        Command::Webhook(args) => cli::webhook::run(args),
    }
}
