//! `openmic-mock generate`: a fixture file of seeded, generated calls and their account (a bot for each agent, a
//! record for each number), with a progress bar for large counts.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use crate::cli::output::{OutputFormat, fixture_format, write_atomically};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use openmic_fixtures::{AccountUses, FixtureWriter, Generator};

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// How many calls to generate.
    #[arg(long, env = "OPENMIC_MOCK_COUNT", default_value_t = openmic_fixtures::DEFAULT_COUNT)]
    pub(crate) count: usize,

    /// Generator seed; the same seed and count always give the same file.
    #[arg(long, env = "OPENMIC_MOCK_SEED", default_value_t = openmic_fixtures::DEFAULT_SEED)]
    pub(crate) seed: u64,

    /// Output file (written to a temporary file, then renamed into place); standard output if not given.
    #[arg(long, env = "OPENMIC_MOCK_OUT", value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,

    /// Output format; by default JSON Lines when --out ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    pub(crate) format: Option<OutputFormat>,

    /// Move the calls by whole days so the newest falls on DATE (YYYY-MM-DD, UTC), or within the 24 hours
    /// before an RFC 3339 time, or before now. Times of day, order and durations are kept.
    #[arg(long, env = "OPENMIC_MOCK_UNTIL", value_name = "DATE")]
    pub(crate) until: Option<openmic_mock::Anchor>,
}

/// The count from which `generate` shows a progress bar (when stderr is a terminal).
pub(crate) const PROGRESS_THRESHOLD: usize = 10_000;

pub(crate) fn generate(args: GenerateArgs) -> Result<(), String> {
    let format = fixture_format(args.format, args.out.as_deref());
    let progress = if args.count >= PROGRESS_THRESHOLD {
        let bar =
            ProgressBar::with_draw_target(Some(args.count as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} generating [{bar:40}] {human_pos}/{human_len} calls, {per_sec:0}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let generator = Generator::new(args.seed);
    let anchor_ms = match args.until {
        None | Some(openmic_mock::Anchor::Off) => None,
        Some(openmic_mock::Anchor::Now) => Some(openmic_mock::system_now_ms()),
        Some(openmic_mock::Anchor::At(ms)) => Some(ms),
    };
    // The shift needs the newest timestamp first: one pass to find it (calls are made again, not kept).
    let days = match anchor_ms {
        None => 0,
        Some(anchor_ms) => {
            let (mut oldest, mut newest) = (u64::MAX, None);
            for i in 0..args.count as u64 {
                let call = generator.call(i);
                if let Some(start) = call.start_timestamp {
                    oldest = oldest.min(start.millis());
                }
                newest = newest.max(openmic_fixtures::newest_timestamp([&call]));
            }
            let days = newest.map_or(0, |n| openmic_fixtures::shift_days(n, anchor_ms));
            if i128::from(oldest) + i128::from(days) * i128::from(openmic_fixtures::DAY_MS) < 0 {
                return Err(format!(
                    "--until {} is too early: the oldest call would start before 1970",
                    args.until.map(|u| u.to_string()).unwrap_or_default()
                ));
            }
            days
        }
    };
    // One pass: each call is written, and counted for the account written after the calls.
    let write = |out: &mut dyn Write| {
        let mut writer = FixtureWriter::new(out, format)?;
        let mut uses = AccountUses::new();
        for i in 0..args.count as u64 {
            progress.inc(1);
            let mut call = generator.call(i);
            if days != 0 {
                // Checked above: the oldest start stays after 1970, and an end is after its start.
                let _ = openmic_fixtures::shift_call(&mut call, days);
            }
            uses.add(&call);
            writer.call(&call)?;
        }
        writer.finish(&uses.account(&generator))
    };
    match &args.out {
        Some(path) => write_atomically(path, write)?,
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match write(&mut out).and_then(|()| out.flush()) {
                // `generate | head` closes the pipe early: that is the reader's choice, not an error.
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
                other => other.map_err(|err| format!("cannot write to standard output: {err}"))?,
            }
        }
    }
    progress.finish_and_clear();
    if let Some(path) = &args.out {
        eprintln!(
            "wrote {} calls and their account (seed {}) to {}",
            args.count,
            args.seed,
            path.display()
        );
    }
    Ok(())
}
