//! `openmic-mock validate`: fixture files checked without serving them (with the loader `serve` uses, so valid
//! means served), every problem listed, and what each valid file holds: calls, bots and phone numbers.

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
    let mut valid = Counts::default();
    let mut invalid_files = 0;
    let mut problem_count = 0;
    for path in &args.files {
        match openmic_fixtures::load_path_with_account(path) {
            Ok((calls, account)) => {
                let counts = Counts {
                    calls: calls.len(),
                    bots: account.bots.len(),
                    phone_numbers: account.phone_numbers.len(),
                };
                valid.calls += counts.calls;
                valid.bots += counts.bots;
                valid.phone_numbers += counts.phone_numbers;
                println!("{}: valid, {counts}", path.display());
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
            println!("all {files} files valid, {valid}");
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

/// What valid files hold.
#[derive(Debug, Default)]
struct Counts {
    calls: usize,
    bots: usize,
    phone_numbers: usize,
}

impl std::fmt::Display for Counts {
    /// `300 calls, 6 bots, 6 phone numbers`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} call{}, {} bot{}, {} phone number{}",
            self.calls,
            plural(self.calls),
            self.bots,
            plural(self.bots),
            self.phone_numbers,
            plural(self.phone_numbers)
        )
    }
}
