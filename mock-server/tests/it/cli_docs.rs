//! `docs/cli.md` holds the `--help` of `openmic-mock` and of each of its subcommands, each between a
//! `<!-- begin: openmic-mock SUB --help -->` and an `<!-- end: ... -->` marker, written there by
//! `scripts/cli-docs`. This test prints the help the way the script does (an empty environment, `COLUMNS=100`
//! and no terminal, so clap's `wrap_help` wraps at 100 columns; spaces at line ends dropped) and fails when a
//! section differs, is missing, or names a subcommand that is gone: a changed flag cannot leave its reference
//! behind. The kit's binary has the same test in `contract-tests/tests/it/cli_docs.rs`.

use std::process::{Command, Stdio};

const BIN: &str = "openmic-mock";

/// The page, read when the test runs, so an edit to it needs no rebuild.
fn page() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md")).unwrap()
}

/// What `openmic-mock ARGS --help` prints, as the page holds it.
fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_openmic-mock"))
        .args(args)
        .arg("--help")
        .env_clear()
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`{BIN} {} --help` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// The subcommands the top-level help lists under `Commands:`, `help` aside.
fn subcommands() -> Vec<String> {
    help(&[])
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

/// The text of the fenced block between the markers of `command`, if the page has both markers.
fn section(page: &str, command: &str) -> Option<String> {
    let begin = format!("<!-- begin: {command} -->\n");
    let end = format!("\n<!-- end: {command} -->");
    let start = page.find(&begin)? + begin.len();
    let len = page[start..].find(&end)?;
    let block = &page[start..start + len];
    let text = block.strip_prefix("```text\n")?.strip_suffix("\n```")?;
    Some(text.to_string())
}

/// Where two texts first differ, as the two lines there.
fn first_difference(want: &str, got: &str) -> String {
    let (want, got): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let line = (0..want.len().max(got.len()))
        .find(|&i| want.get(i) != got.get(i))
        .unwrap_or(0);
    format!(
        "first difference at line {} of the section:\n    --help prints: {:?}\n    the page has:  {:?}",
        line + 1,
        want.get(line).copied().unwrap_or("(nothing)"),
        got.get(line).copied().unwrap_or("(nothing)")
    )
}

#[test]
fn docs_cli_md_holds_the_help_of_every_subcommand_exactly_as_the_binary_prints_it() {
    let page = page();
    let subcommands = subcommands();
    assert!(
        subcommands.iter().any(|name| name == "serve"),
        "found no subcommands in `{BIN} --help`: {subcommands:?}"
    );
    let mut commands: Vec<(String, Vec<&str>)> = vec![(format!("{BIN} --help"), Vec::new())];
    commands.extend(
        subcommands
            .iter()
            .map(|sub| (format!("{BIN} {sub} --help"), vec![sub.as_str()])),
    );

    let mut problems = Vec::new();
    for (command, args) in &commands {
        let want = help(args);
        match section(&page, command) {
            None => problems.push(format!(
                "no section for `{command}`: add the lines `<!-- begin: {command} -->` and \
                 `<!-- end: {command} -->` where it belongs"
            )),
            Some(got) if got != want => problems.push(format!(
                "`{command}` has changed; {}",
                first_difference(&want, &got)
            )),
            Some(_) => {}
        }
    }
    let prefix = format!("<!-- begin: {BIN} ");
    for line in page.lines().filter(|line| line.starts_with(&prefix)) {
        let command = line
            .trim_start_matches("<!-- begin: ")
            .trim_end_matches(" -->");
        if !commands.iter().any(|(c, _)| c == command) {
            problems.push(format!(
                "a section for `{command}`, which is no subcommand: remove it"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/cli.md is out of date; run scripts/cli-docs to rewrite it from --help:\n  {}",
        problems.join("\n  ")
    );
}
