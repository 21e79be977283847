//! `openmic-mock redact`: a fixture file's private values (of its calls and its account) replaced with realistic
//! fakes.

use std::path::PathBuf;

use crate::cli::output::{OutputFormat, fixture_format, lay_out, write_atomically};
use clap::Args;
use openmic_fixtures::LoadError;

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    /// The fixture file to read (any fixture format).
    #[arg(value_name = "IN")]
    pub(crate) input: PathBuf,

    /// The file to write (to OUT.tmp, then renamed into place); may be IN itself.
    #[arg(value_name = "OUT")]
    pub(crate) output: PathBuf,

    /// Seed for the fakes: the same calls and seed give the same file.
    #[arg(long, env = "OPENMIC_MOCK_REDACT_SEED", value_name = "S", default_value_t = openmic_fixtures::DEFAULT_REDACT_SEED)]
    pub(crate) redact_seed: u64,

    /// Output format; by default JSON Lines when OUT ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    pub(crate) format: Option<OutputFormat>,
}

pub(crate) fn redact(args: RedactArgs) -> Result<(), String> {
    let input = args.input.display().to_string();
    let output = args.output.display().to_string();
    let (calls, account) =
        openmic_fixtures::load_path_with_account(&args.input).map_err(|err| match err {
            LoadError::Invalid(problems) => {
                format!("nothing written: {input} is not a valid fixture\n{problems}")
            }
            other => format!("nothing written: {other}"),
        })?;
    let texts = |records: Vec<Result<String, serde_json::Error>>| {
        records
            .into_iter()
            .collect::<Result<Vec<String>, _>>()
            .map_err(|err| format!("nothing written: cannot read {input}'s account: {err}"))
    };
    let bots = texts(account.bots.iter().map(serde_json::to_string).collect())?;
    let numbers = texts(
        account
            .phone_numbers
            .iter()
            .map(serde_json::to_string)
            .collect(),
    )?;
    let redacted = openmic_fixtures::redact_data_set(&calls, &bots, &numbers, args.redact_seed)
        .map_err(|err| format!("nothing written: cannot redact {input}: {err}"))?;
    let report = redacted.report;
    let format = fixture_format(args.format, Some(&args.output));
    let bytes = lay_out(
        &redacted.calls,
        &redacted.bots,
        &redacted.phone_numbers,
        format,
    )
    .map_err(|err| format!("cannot lay out the redacted file: {err}"))?;
    // Redaction keeps every value's type, so this never fails; if it ever did, nothing is written.
    std::str::from_utf8(&bytes)
        .map_err(|err| err.to_string())
        .and_then(|text| {
            openmic_fixtures::load_str_with_account(&output, text, format)
                .map(drop)
                .map_err(|err| err.to_string())
        })
        .map_err(|problems| {
            format!("nothing written: the redacted file does not validate (a bug)\n{problems}")
        })?;
    write_atomically(&args.output, |file| file.write_all(&bytes))?;
    println!("{output}: {report}");
    Ok(())
}
