//! `openmic-mock record`: the flags, and the walk written to a fixture file with a summary of what it did.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::output::{OutputFormat, fixture_format, lay_out, write_atomically};
use crate::cli::report;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use openmic_fixtures::LoadError;

#[derive(Debug, Args)]
#[command(
    after_help = "Walks GET /v1/calls with limit=100, newest first, then GET /v1/bots and GET /v1/phone-numbers, and \
writes every call, bot and phone number exactly as served (only the whitespace between tokens is dropped); a server \
that answers 404 for a list gives a file without it. Exit 0 when every call in range was written and the pages add up \
(the records listed match pagination.total), 1 when the walk stopped early (what was listed is written; the summary \
says how to go on with --resume), the pages do not add up, or the file does not validate."
)]
pub(crate) struct RecordArgs {
    /// Base URL of the server to record, such as https://api.openmic.ai (https needs the `tls` feature); also
    /// read from OPENMIC_BASE_URL.
    #[arg(long, env = "OPENMIC_MOCK_BASE_URL", value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// API key, sent as `Authorization: Bearer KEY` and never printed; also read from OPENMIC_API_KEY.
    #[arg(
        long,
        env = "OPENMIC_MOCK_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub(crate) api_key: Option<String>,

    /// The fixture file to write (to FILE.tmp, then renamed into place).
    #[arg(long, env = "OPENMIC_MOCK_OUT", value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// Only calls that start at or after this time: passed to the server as from_date (RFC 3339 or YYYY-MM-DD).
    #[arg(long, env = "OPENMIC_MOCK_FROM_DATE", value_name = "DATE")]
    pub(crate) from_date: Option<String>,

    /// Only calls that start at or before this time: passed to the server as to_date.
    #[arg(long, env = "OPENMIC_MOCK_TO_DATE", value_name = "DATE")]
    pub(crate) to_date: Option<String>,

    /// Only calls with this status.
    #[arg(long, env = "OPENMIC_MOCK_CALL_STATUS", value_name = "registered|ongoing|ended|error", value_parser = parse_call_status)]
    pub(crate) call_status: Option<openmic_fixtures::CallStatus>,

    /// The most requests to send, retries and 429s included; when spent, what was listed is written.
    #[arg(long, env = "OPENMIC_MOCK_MAX_REQUESTS", value_name = "N", default_value_t = openmic_mock::record::DEFAULT_MAX_REQUESTS, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_requests: u64,

    /// How fast to send requests: N/min, spaced evenly, or off.
    #[arg(long, env = "OPENMIC_MOCK_RATE_LIMIT", value_name = "N/min|off", default_value_t = openmic_mock::record::Pace::default())]
    pub(crate) rate_limit: openmic_mock::record::Pace,

    /// How many times a 5xx, a dropped connection or a cut body is retried (with backoff from 0.5 s, doubling up
    /// to 8 s) before the walk stops. 429s are waited out as Retry-After says, up to 5 in a row.
    #[arg(long, env = "OPENMIC_MOCK_RETRIES", value_name = "N", default_value_t = openmic_mock::record::DEFAULT_RETRIES, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub(crate) retries: u32,

    /// The most bytes of one answer's body to read, whatever its status; past it the walk stops, naming the
    /// page. Read as it arrives, so a body that never ends costs this much memory and no more.
    #[arg(long, env = "OPENMIC_MOCK_MAX_BODY_BYTES", value_name = "BYTES", default_value_t = openmic_mock::record::DEFAULT_MAX_BODY_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_body_bytes: u64,

    /// The longest wait a 429 (or a 5xx) may ask for with Retry-After; a longer one stops the walk instead of
    /// holding it (what was listed is written; go on later with --resume).
    #[arg(long, env = "OPENMIC_MOCK_MAX_RETRY_AFTER", value_name = "SECS", default_value_t = openmic_mock::record::DEFAULT_MAX_RETRY_AFTER.as_secs(), value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub(crate) max_retry_after: u64,

    /// Continue an incomplete recording: keep the calls already in --out and add those that start no later than
    /// the oldest of them. Use the same filters as the first run. Not with --redact: continue a recording made
    /// without it, then redact the whole file.
    #[arg(long, env = "OPENMIC_MOCK_RESUME", conflicts_with = "redact")]
    pub(crate) resume: bool,

    /// Replace private values (numbers, customer ids, transcripts, summaries, variables, recording URLs, bots'
    /// names, prompts and messages, phone numbers' names) with consistent fakes before writing; see
    /// docs/record.md.
    #[arg(long, env = "OPENMIC_MOCK_REDACT")]
    pub(crate) redact: bool,

    /// Seed for --redact: the same calls and seed give the same file.
    #[arg(long, env = "OPENMIC_MOCK_REDACT_SEED", value_name = "S", default_value_t = openmic_fixtures::DEFAULT_REDACT_SEED)]
    pub(crate) redact_seed: u64,

    /// Output format; by default JSON Lines when --out ends in .jsonl, otherwise a JSON array.
    #[arg(long, env = "OPENMIC_MOCK_FORMAT", value_enum)]
    pub(crate) format: Option<OutputFormat>,
}

pub(crate) fn parse_call_status(text: &str) -> Result<openmic_fixtures::CallStatus, String> {
    openmic_fixtures::CallStatus::from_wire(text).ok_or_else(|| {
        format!(
            "expected one of {} (exact, lowercase), got {text:?}",
            openmic_fixtures::CallStatus::choices()
        )
    })
}

/// A variable's value, when it is set and not empty.
pub(crate) fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

pub(crate) fn record(args: RecordArgs) -> ExitCode {
    match record_calls(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => report(Err(message)),
    }
}

/// Records, writes and reports; `Ok(false)` when the file was written but the walk was incomplete or the file
/// does not validate.
pub(crate) fn record_calls(args: RecordArgs) -> Result<bool, String> {
    use openmic_mock::record::{ClientEvent, ClientOptions, ListFilters, RecordEvent, Recorder};

    let base_url = args
        .base_url
        .clone()
        .or_else(|| env_value("OPENMIC_BASE_URL"))
        .ok_or("record needs --base-url (or OPENMIC_MOCK_BASE_URL, or OPENMIC_BASE_URL): the server to record, such as https://api.openmic.ai")?;
    let api_key = args
        .api_key
        .clone()
        .or_else(|| env_value("OPENMIC_API_KEY"))
        .ok_or("record needs --api-key (or OPENMIC_MOCK_API_KEY, or OPENMIC_API_KEY)")?;
    let mut options = ClientOptions::new(base_url, api_key);
    options.max_requests = args.max_requests;
    options.pace = args.rate_limit;
    options.retries = args.retries;
    options.max_body_bytes = args.max_body_bytes;
    options.max_retry_after = std::time::Duration::from_secs(args.max_retry_after);
    let filters = ListFilters {
        from_date: args.from_date.clone(),
        to_date: args.to_date.clone(),
        call_status: args.call_status,
    };
    let mut recorder = Recorder::new(options, filters).map_err(|err| err.to_string())?;
    let out = args.out.display().to_string();
    // Before the first request: a walk of many minutes must not end in a file that cannot be written.
    let mut probe = args.out.as_os_str().to_owned();
    probe.push(".tmp");
    File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|err| format!("cannot write {}: {err}", Path::new(&probe).display()))?;
    if args.resume {
        let written = openmic_fixtures::load_path_json(&args.out).map_err(|err| match err {
            LoadError::Io { source, .. } => format!(
                "--resume: cannot read {out}: {source}; without --resume, record starts a new file"
            ),
            LoadError::Invalid(problems) => {
                format!(
                    "--resume: {out} is not a valid fixture, so it cannot be continued\n{problems}"
                )
            }
        })?;
        recorder.resume(written);
    }

    let on_terminal = io::stderr().is_terminal();
    let progress = if on_terminal {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} recording [{bar:40}] {human_pos}/{human_len} calls, {msg}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let say = |line: String| {
        if on_terminal {
            progress.println(format!("openmic-mock: {line}"));
        } else {
            eprintln!("openmic-mock: {line}");
        }
    };
    let mut on_event = |event: RecordEvent| match event {
        RecordEvent::Page {
            listed,
            total,
            requests,
        } => {
            if let Some(total) = total {
                progress.set_length(total.max(listed));
            }
            progress.set_position(listed);
            progress.set_message(format!("{requests} requests"));
        }
        RecordEvent::Client(ClientEvent::RateLimited { wait }) => say(format!(
            "429 from the server: waiting {:.1} s (Retry-After)",
            wait.as_secs_f64()
        )),
        RecordEvent::Client(ClientEvent::Retrying {
            cause,
            retry,
            of,
            wait,
        }) => say(format!(
            "{cause}: retry {retry} of {of} in {:.1} s",
            wait.as_secs_f64()
        )),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    runtime.block_on(recorder.run(&mut on_event));
    progress.finish_and_clear();

    let recording = recorder.finish();
    let summary = recording.summary;
    if summary.pages == 0 {
        let why = match &summary.ending {
            openmic_mock::record::Ending::Stopped(why) => {
                let mut text = why.to_string();
                if let Some(advice) = why.advice() {
                    text.push_str(&format!("; {advice}"));
                }
                if let openmic_mock::record::FetchError::RetryAfterTooLong { .. } = why {
                    text.push_str("; once the wait is over, run the same command again");
                }
                text
            }
            // A walk that read no page has checked nothing.
            openmic_mock::record::Ending::Inconsistent(why) => why.to_string(),
            openmic_mock::record::Ending::Complete => "no page was read".into(),
        };
        return Err(format!("nothing written to {out}: {why}"));
    }
    let format = fixture_format(args.format, Some(&args.out));
    let (bots, numbers) = (recording.bots.records(), recording.phone_numbers.records());
    let (calls, bots, numbers, redaction) = if args.redact {
        let redacted =
            openmic_fixtures::redact_data_set(&recording.calls, bots, numbers, args.redact_seed)
                .map_err(|err| format!("nothing written to {out}: cannot redact: {err}"))?;
        (
            redacted.calls,
            redacted.bots,
            redacted.phone_numbers,
            Some(redacted.report),
        )
    } else {
        let texts = |records: &[Box<str>]| records.iter().map(|r| r.to_string()).collect();
        (texts(&recording.calls), texts(bots), texts(numbers), None)
    };
    let bytes = lay_out(&calls, &bots, &numbers, format)
        .map_err(|err| format!("cannot lay out the recording: {err}"))?;
    let problems = std::str::from_utf8(&bytes)
        .map_err(|err| err.to_string())
        .and_then(|text| {
            openmic_fixtures::load_str_with_account(&out, text, format)
                .map(drop)
                .map_err(|err| err.to_string())
        })
        .err();
    write_atomically(&args.out, |file| file.write_all(&bytes))?;
    if let Some(report) = redaction {
        println!("{report}");
    }
    let hint = match (summary.resume_hint(), &summary.ending) {
        (None, _) => String::new(),
        // The fakes' originals are not kept, so a second part could not be redacted consistently with the first.
        (Some(_), openmic_mock::record::Ending::Stopped(why)) if args.redact => format!(
            "{}; a redacted recording cannot be continued: record again with a larger --max-requests, or record \
             without --redact, go on with --resume, then run `openmic-mock redact`",
            why.advice()
                .map_or(String::new(), |advice| format!("; {advice}"))
        ),
        (Some(hint), _) => format!("; {hint}"),
    };
    println!("recorded {out}: {summary}{hint}");
    if let Some(problems) = &problems {
        eprintln!(
            "openmic-mock: {out} was written but does not validate, so the mock will not serve it until it is fixed:\n{problems}"
        );
    }
    Ok(summary.is_complete() && problems.is_none())
}
