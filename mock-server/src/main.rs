//! `openmic-mock`: serve the fake OpenMic calls API, generate fixture files, or validate them.
//!
//! The binary only parses the command line, sets up logging and calls the library; see `lib.rs`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::generate::{GenerateArgs, generate};
use cli::healthcheck::{HealthcheckArgs, healthcheck};
use cli::openapi::{OpenapiArgs, openapi};
use cli::record::{RecordArgs, record};
use cli::redact::{RedactArgs, redact};
use cli::report;
use cli::serve::{ServeArgs, serve};
use cli::validate::{ValidateArgs, validate};

/// A faithful local fake of the OpenMic.ai calls API (GET /v1/calls, GET /v1/call/{id}, POST /v1/create-phone-call).
///
/// Without a subcommand, `serve` runs: `openmic-mock --port 9000` is `openmic-mock serve --port 9000`.
#[derive(Debug, Parser)]
#[command(
    name = "openmic-mock",
    version,
    about,
    long_about = None,
    after_help = "Without a subcommand, `serve` runs: `openmic-mock --port 9000` is `openmic-mock serve --port 9000`.\nEvery flag also reads an OPENMIC_MOCK_* environment variable; see `openmic-mock help serve`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default subcommand).
    Serve(Box<ServeArgs>),
    /// Write a fixture file of generated calls.
    Generate(GenerateArgs),
    /// Check fixture files without serving them; exit 1 listing every problem if any is invalid.
    Validate(ValidateArgs),
    /// Record every call of an account from a List Calls server (the live API) into a fixture file.
    Record(Box<RecordArgs>),
    /// Replace the private values of a fixture file's calls with realistic fakes (as `record --redact`).
    Redact(RedactArgs),
    /// Print the mock's OpenAPI 3.1 document (the one GET /__admin/openapi.json serves) to stdout.
    Openapi(OpenapiArgs),
    /// Ask a running mock for GET /__admin/health; exit 0 when it answers 200 (a container's health check).
    Healthcheck(HealthcheckArgs),
}
fn main() -> ExitCode {
    let cli = Cli::parse_from(with_default_subcommand(std::env::args_os().collect()));
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Generate(args) => report(generate(args)),
        Command::Validate(args) => validate(args),
        Command::Record(args) => record(*args),
        Command::Redact(args) => report(redact(args)),
        Command::Openapi(args) => report(openapi(args)),
        Command::Healthcheck(args) => report(healthcheck(args)),
    }
}

/// Inserts `serve` when no subcommand is named, so `openmic-mock --port 0` serves.
fn with_default_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first = args.get(1).and_then(|a| a.to_str());
    let names_a_command = matches!(
        first,
        Some(
            "serve"
                | "generate"
                | "validate"
                | "record"
                | "redact"
                | "openapi"
                | "healthcheck"
                | "help"
                | "-h"
                | "--help"
                | "-V"
                | "--version"
        )
    );
    if !names_a_command {
        args.insert(1.min(args.len()), "serve".into());
    }
    args
}
