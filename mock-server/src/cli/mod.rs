//! The subcommands of `openmic-mock`, one file each: its flags (clap `Args`) and its body. `main.rs` parses
//! and dispatches; the library does the work.

use std::process::ExitCode;

pub(crate) mod generate;
pub(crate) mod healthcheck;
pub(crate) mod openapi;
pub(crate) mod output;
pub(crate) mod record;
pub(crate) mod redact;
pub(crate) mod serve;
pub(crate) mod validate;

pub(crate) fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("openmic-mock: {message}");
            ExitCode::FAILURE
        }
    }
}
