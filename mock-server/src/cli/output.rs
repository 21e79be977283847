//! Where a subcommand writes a fixture: the format asked for or named by the file's extension, records held as
//! text laid out as a fixture, written to a temporary file and renamed, so an interrupted run never leaves half a
//! fixture.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use openmic_fixtures::FixtureFormat;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    /// A JSON array, one call per line.
    Json,
    /// JSON Lines, one call per line.
    Jsonl,
}

/// The format asked for, else the one `path`'s extension names (a JSON array without a path).
pub(crate) fn fixture_format(format: Option<OutputFormat>, path: Option<&Path>) -> FixtureFormat {
    match (format, path) {
        (Some(OutputFormat::Json), _) => FixtureFormat::Json,
        (Some(OutputFormat::Jsonl), _) => FixtureFormat::JsonLines,
        (None, Some(path)) => FixtureFormat::from_path(path),
        (None, None) => FixtureFormat::Json,
    }
}

/// Writes to `path.tmp` and renames it over `path`, so an interrupted run never leaves half a fixture.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let result = File::create(&tmp).and_then(|file| {
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    match result.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("cannot write {}: {err}", path.display()))
        }
    }
}

/// A fixture of calls and account records held as JSON text, in `format`.
pub(crate) fn lay_out(
    calls: &[String],
    bots: &[String],
    phone_numbers: &[String],
    format: openmic_fixtures::FixtureFormat,
) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut writer = openmic_fixtures::FixtureWriter::new(&mut bytes, format)?;
    for call in calls {
        writer.call_json(call)?;
    }
    writer.finish_json(bots, phone_numbers)?;
    Ok(bytes)
}
