//! `openmic-mock validate`: fixture files checked without serving them, every problem listed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use openmic_fixtures::LoadError;

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Fixture files to check.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

pub(crate) fn validate(args: ValidateArgs) -> ExitCode {
    let mut valid_calls = 0;
    let mut invalid_files = 0;
    let mut problem_count = 0;
    for path in &args.files {
        match openmic_fixtures::load_path(path) {
            Ok(calls) => {
                valid_calls += calls.len();
                println!("{}: valid, {} calls", path.display(), calls.len());
            }
            Err(LoadError::Invalid(problems)) => {
                invalid_files += 1;
                problem_count += problems.total();
                println!("{problems}");
            }
            Err(err @ LoadError::Io { .. }) => {
                invalid_files += 1;
                problem_count += 1;
                println!("{err}");
            }
        }
    }
    let files = args.files.len();
    if invalid_files == 0 {
        if files > 1 {
            println!("all {files} files valid, {valid_calls} calls");
        }
        ExitCode::SUCCESS
    } else {
        println!(
            "{invalid_files} of {files} file{} invalid, {problem_count} problem{}",
            if files == 1 { "" } else { "s" },
            if problem_count == 1 { "" } else { "s" }
        );
        ExitCode::FAILURE
    }
}
