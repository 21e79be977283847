//! How results read: the diff of expected and got, page bodies summarised to the calls they hold, long texts
//! clipped, and the JUnit file. Both suites print through these helpers, so a failure reads the same whether a
//! server or a client broke the rule.

use serde_json::Value;
use similar::TextDiff;

use crate::runner::{Failure, Outcome};

/// `text` cut to `max` characters, with `...` when something was cut: the one clipping rule of the kit, for
/// adapter lines, bodies and values in messages.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}...", text.chars().take(max).collect::<String>())
    } else {
        text.to_string()
    }
}

/// A body as text for a diff. A List Calls page is shown as `pagination` plus one `call_id start_timestamp`
/// line per call, so the diff names the calls, unless the other side lists the same calls: then the pretty
/// JSON, so the diff shows the field that differs.
pub fn render(value: &Value, other: Option<&Value>) -> String {
    let summary = |v: &Value| -> Option<String> {
        let calls = v.get("calls")?.as_array()?;
        let mut lines = vec![format!("pagination: {}", v.get("pagination")?)];
        lines.extend(calls.iter().map(|c| {
            format!(
                "{} {}",
                c["call_id"].as_str().unwrap_or("<no call_id>"),
                c.get("start_timestamp")
                    .map_or("-".to_string(), ToString::to_string)
            )
        }));
        Some(lines.join("\n") + "\n")
    };
    let pretty = || serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    match (summary(value), other.and_then(summary)) {
        (Some(mine), Some(theirs)) if mine == theirs => pretty(),
        (Some(mine), _) => mine,
        (None, _) => pretty(),
    }
}

/// A unified diff of two texts, at most 60 lines. When the two answers have different HTTP statuses (first lines
/// `HTTP nnn`), the bodies have nothing in common worth a line-by-line diff: each side is cut to its first
/// lines, so the status and the start of the error body stay in view.
pub fn diff(expected: &str, got: &str) -> String {
    const HEAD_LINES: usize = 6;
    let status = |text: &str| {
        text.lines()
            .next()
            .filter(|l| l.starts_with("HTTP "))
            .map(str::to_owned)
    };
    let (expected, got) = match (status(expected), status(got)) {
        (Some(a), Some(b)) if a != b => (head(expected, HEAD_LINES), head(got, HEAD_LINES)),
        _ => (expected.to_string(), got.to_string()),
    };
    let text = TextDiff::from_lines(&expected, &got)
        .unified_diff()
        .context_radius(2)
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 60 {
        format!(
            "{}\n... ({} more diff lines)",
            lines[..60].join("\n"),
            lines.len() - 60
        )
    } else {
        text.trim_end().to_string()
    }
}

/// The first `n` lines of `text`, and how many were left out.
pub fn head(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return text.to_string();
    }
    format!(
        "{}\n... ({} more lines)\n",
        lines[..n].join("\n"),
        lines.len() - n
    )
}

/// `text` with `prefix` before every line: how failure blocks sit under their property line.
pub fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many requests of a long list a failure shows at each end, unless the run is verbose.
pub const SHOWN_AT_EACH_END: usize = 3;

/// The items of a list under a heading (`requests:`), cut to the first and last [`SHOWN_AT_EACH_END`] with a
/// count of those left out, unless `verbose`: a report leads with its finding, not with 59 requests.
fn shorten(items: &[&str], verbose: bool) -> Vec<String> {
    let keep = SHOWN_AT_EACH_END;
    if verbose || items.len() <= 2 * keep + 1 {
        return items.iter().map(|l| (*l).to_string()).collect();
    }
    let mut out: Vec<String> = items[..keep].iter().map(|l| (*l).to_string()).collect();
    out.push(format!(
        "... {} more, left out (--verbose shows every one)",
        items.len() - 2 * keep
    ));
    out.extend(items[items.len() - keep..].iter().map(|l| (*l).to_string()));
    out
}

/// The block printed under a `FAIL` line (which holds the one sentence of the finding), the same for every
/// suite: the minimal failing request (as curl, when there is one), the input in the user's terms, what else
/// happened (such as the requests a client made: the first and last three unless `verbose`), the diff of
/// expected and got, whether shrinking was cut short, and the line that replays the failure.
pub fn failure_block(
    failure: &Failure,
    curl: Option<String>,
    replay: &str,
    verbose: bool,
) -> String {
    let mismatch = &failure.mismatch;
    let mut lines = Vec::new();
    if let Some(curl) = curl {
        lines.push("    minimal failing request:".to_string());
        lines.push(format!("      {curl}"));
    }
    if let Some(input) = &mismatch.input {
        lines.push(format!("    input: {input}"));
    }
    if let Some(boundary) = &mismatch.boundary {
        lines.push(format!("    boundary case: {boundary}"));
    }
    if let Some(detail) = &mismatch.detail {
        // A heading (`requests:`) sits with the other headings, its items under it.
        let mut items: Vec<&str> = Vec::new();
        for line in detail.trim_end().lines() {
            if line.ends_with(':') {
                lines.extend(
                    shorten(&items, verbose)
                        .iter()
                        .map(|l| format!("      {l}")),
                );
                items.clear();
                lines.push(format!("    {line}"));
            } else {
                items.push(line);
            }
        }
        lines.extend(
            shorten(&items, verbose)
                .iter()
                .map(|l| format!("      {l}")),
        );
    }
    lines.push("    expected (-) vs got (+):".to_string());
    lines.push(indent(&diff(&mismatch.expected, &mismatch.got), "      "));
    if let Some(steps) = failure.shrinking_stopped {
        lines.push(format!(
            "    shrinking stopped after {steps} steps: a smaller failing input may exist"
        ));
    }
    lines.push(format!("    replay: {replay}"));
    lines.join("\n") + "\n"
}

/// Where a sequence of call ids first goes wrong against the expected one, in one sentence: what is missing
/// (`skipped calls 50..99`), repeated, extra, or out of order. Positions count from 0 in the expected order.
pub fn id_sequence_difference(expected: &[String], got: &[String]) -> String {
    let position = |id: &String| expected.iter().position(|e| e == id);
    let mut seen = std::collections::BTreeSet::new();
    if let Some(repeat) = got.iter().find(|id| !seen.insert(*id)) {
        let first = got.iter().position(|id| id == repeat).unwrap_or(0);
        return format!(
            "returned call {repeat} twice (first at position {first}, again at {})",
            got.iter()
                .skip(first + 1)
                .position(|id| id == repeat)
                .map_or(first, |i| first + 1 + i)
        );
    }
    if let Some(extra) = got.iter().find(|id| position(id).is_none()) {
        return format!("returned call {extra}, which does not match");
    }
    let missing: Vec<usize> = (0..expected.len())
        .filter(|&i| !got.contains(&expected[i]))
        .collect();
    if let Some(&first) = missing.first() {
        let ranges = ranges(&missing);
        return if missing.len() == expected.len() - first && got.len() == first {
            format!(
                "stopped after {} of {} matches: skipped calls {ranges}",
                got.len(),
                expected.len()
            )
        } else {
            format!("skipped calls {ranges} of {}", expected.len())
        };
    }
    match got.iter().zip(expected).position(|(g, e)| g != e) {
        Some(i) => format!("returned every match, but out of order from position {i}"),
        None => "returned every match in order".to_string(),
    }
}

/// `3..5, 9` for positions 3, 4, 5 and 9.
fn ranges(positions: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < positions.len() {
        let start = positions[i];
        let mut end = start;
        while i + 1 < positions.len() && positions[i + 1] == end + 1 {
            i += 1;
            end = positions[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}..{end}")
        });
        i += 1;
    }
    out.join(", ")
}

/// One property's line in a JUnit file.
#[derive(Debug, Clone, Copy)]
pub struct JunitCase<'a> {
    /// The property's name.
    pub name: &'a str,
    /// Seconds it took.
    pub seconds: f64,
    /// What happened.
    pub outcome: &'a Outcome,
    /// The failure block as the text report prints it (empty unless failed).
    pub details: &'a str,
}

/// Results as JUnit XML, one test case per property, for CI dashboards.
pub fn junit(suite: &str, cases: &[JunitCase<'_>]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n",
        cases.len()
    ));
    for case in cases {
        xml.push_str(&format!(
            "  <testcase classname=\"{suite}\" name=\"{}\" time=\"{:.3}\"",
            case.name, case.seconds
        ));
        match case.outcome {
            Outcome::Passed { .. } => xml.push_str("/>\n"),
            Outcome::Skipped(why) => xml.push_str(&format!(
                ">\n    <skipped message=\"{}\"/>\n  </testcase>\n",
                esc(why)
            )),
            Outcome::Failed(failure) => xml.push_str(&format!(
                ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                esc(&failure.mismatch.rule),
                esc(case.details)
            )),
        }
    }
    xml.push_str("</testsuite>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::{clip, diff, failure_block};
    use crate::runner::{Failure, Mismatch};

    fn walk_of(requests: usize) -> Failure {
        let lines: String = (0..requests)
            .map(|i| format!("GET /v1/calls?limit=2&offset={} -> 200\n", 2 * i))
            .collect();
        Failure::fixed(
            Mismatch::new("list_all stopped one page early", "a\n", "b\n")
                .with_input("list_all({\"limit\":2})")
                .with_detail(format!("requests:\n{lines}")),
            7,
        )
    }

    #[test]
    fn a_long_list_of_requests_shows_the_first_and_last_three_and_a_count_unless_verbose() {
        let block = failure_block(&walk_of(59), None, "replay here", false);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(
            lines[..10],
            [
                "    input: list_all({\"limit\":2})",
                "    requests:",
                "      GET /v1/calls?limit=2&offset=0 -> 200",
                "      GET /v1/calls?limit=2&offset=2 -> 200",
                "      GET /v1/calls?limit=2&offset=4 -> 200",
                "      ... 53 more, left out (--verbose shows every one)",
                "      GET /v1/calls?limit=2&offset=112 -> 200",
                "      GET /v1/calls?limit=2&offset=114 -> 200",
                "      GET /v1/calls?limit=2&offset=116 -> 200",
                "    expected (-) vs got (+):",
            ],
            "{block}"
        );
        assert_eq!(lines.last(), Some(&"    replay: replay here"), "{block}");
        let verbose = failure_block(&walk_of(59), None, "replay here", true);
        assert_eq!(verbose.matches("GET /v1/calls").count(), 59, "{verbose}");
        assert!(!verbose.contains("left out"), "{verbose}");
    }

    #[test]
    fn a_diff_of_sixty_lines_is_whole_and_a_longer_one_is_cut_to_sixty_with_a_count() {
        // Every line differs: one `@@` line, then one `-` and one `+` line per line of text.
        let side =
            |n: usize, tag: &str| -> String { (0..n).map(|i| format!("{tag}{i}\n")).collect() };
        let whole = diff(&side(28, "a"), &side(28, "b"));
        assert_eq!(whole.lines().count(), 57, "{whole}");
        let sixty = diff(&format!("{}x\n", side(29, "a")), &side(29, "b"));
        assert_eq!(sixty.lines().count(), 60, "{sixty}");
        assert!(!sixty.contains("more diff lines"), "{sixty}");
        let cut = diff(&side(30, "a"), &side(30, "b"));
        assert_eq!(cut.lines().count(), 61, "{cut}");
        assert!(cut.ends_with("\n... (1 more diff lines)"), "{cut}");
    }

    #[test]
    fn two_pages_of_the_same_calls_render_as_json_so_the_diff_shows_the_field() {
        let mine = serde_json::json!({"pagination": {"total": 1}, "calls": [{"call_id": "c1", "start_timestamp": 5, "x": 1}]});
        let theirs = serde_json::json!({"pagination": {"total": 1}, "calls": [{"call_id": "c1", "start_timestamp": 5, "x": 2}]});
        let shown = super::render(&mine, Some(&theirs));
        assert!(shown.contains("\"x\": 1"), "{shown}");
        let other = serde_json::json!({"pagination": {"total": 1}, "calls": [{"call_id": "c2", "start_timestamp": 5}]});
        assert_eq!(
            super::render(&mine, Some(&other)),
            "pagination: {\"total\":1}\nc1 5\n"
        );
    }

    #[test]
    fn seven_requests_are_all_shown_and_eight_are_cut() {
        let seven = failure_block(&walk_of(7), None, "r", false);
        assert_eq!(seven.matches("GET /v1/calls").count(), 7, "{seven}");
        let eight = failure_block(&walk_of(8), None, "r", false);
        assert_eq!(eight.matches("GET /v1/calls").count(), 6, "{eight}");
        assert!(eight.contains("... 2 more, left out"), "{eight}");
    }

    #[test]
    fn a_status_mismatch_shows_the_head_of_each_answer_not_a_whole_page() {
        let page: String = (0..50).map(|i| format!("c{i} 1000\n")).collect();
        let expected = format!("HTTP 200\npagination: {{}}\n{page}");
        let got = "HTTP 400\n{\n  \"error\": \"Invalid query parameters provided.\"\n}\n";
        let text = diff(&expected, got);
        assert!(
            text.contains("-HTTP 200") && text.contains("+HTTP 400"),
            "{text}"
        );
        assert!(text.contains("more lines"), "{text}");
        assert!(!text.contains("c40 1000"), "{text}");
    }

    #[test]
    fn answers_with_the_same_status_get_a_full_diff() {
        let expected = "HTTP 200\na\nb\nc\nd\ne\nf\ng\nh\n";
        let got = "HTTP 200\na\nb\nc\nd\ne\nf\ng\nX\n";
        let text = diff(expected, got);
        assert!(text.contains("-h") && text.contains("+X"), "{text}");
    }

    #[test]
    fn clip_keeps_short_texts_and_cuts_long_ones_on_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("日本語のテキスト", 3), "日本語...");
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn a_walk_that_stops_early_says_how_far_it_got() {
        let text = super::id_sequence_difference(&ids(0..150), &ids(0..50));
        assert_eq!(
            text,
            "stopped after 50 of 150 matches: skipped calls 50..149"
        );
    }

    #[test]
    fn skipped_repeated_extra_and_reordered_calls_each_get_their_sentence() {
        let mut skipped = ids(0..50);
        skipped.extend(ids(100..150));
        assert_eq!(
            super::id_sequence_difference(&ids(0..150), &skipped),
            "skipped calls 50..99 of 150"
        );
        let mut repeated = ids(0..10);
        repeated.extend(ids(5..10));
        assert_eq!(
            super::id_sequence_difference(&ids(0..10), &repeated),
            "returned call c5 twice (first at position 5, again at 10)"
        );
        assert_eq!(
            super::id_sequence_difference(&ids(0..3), &["c0".into(), "x".into()]),
            "returned call x, which does not match"
        );
        assert_eq!(
            super::id_sequence_difference(&ids(0..3), &["c0".into(), "c2".into(), "c1".into()]),
            "returned every match, but out of order from position 1"
        );
    }
}
