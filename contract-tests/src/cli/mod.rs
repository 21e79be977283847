//! The binary's subcommands, one file each: its flags (clap derives `--help` from their doc comments) and its
//! body, which turns the flags into the suite's config, runs the suite and says how it went as an exit code.
//! What they share is here: the exit codes, the one line an error prints, the JUnit file, a seed from the clock.

#[cfg(feature = "client-suite")]
pub mod client;
pub mod server;
pub mod webhook;

use std::fmt::Display;
use std::path::Path;
use std::process::ExitCode;

/// Exit 1 when any property failed, 0 when every one passed.
fn verdict(failed: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Exit 2 for a usage, connection or start-up error, said once on stderr.
fn error(err: impl Display) -> ExitCode {
    eprintln!("openmic-contract: {err}");
    ExitCode::from(2)
}

/// Writes the results as JUnit XML to `path`, when one was given; a file that cannot be written is exit 2.
fn write_junit(path: Option<&Path>, junit: impl FnOnce() -> String) -> Result<(), ExitCode> {
    match path {
        Some(path) => std::fs::write(path, junit())
            .map_err(|err| error(format_args!("cannot write {}: {err}", path.display()))),
        None => Ok(()),
    }
}

/// A seed from the clock, for runs that did not ask for one (it is printed, so any run can be replayed).
fn random_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 ^ u64::from(std::process::id()))
}
