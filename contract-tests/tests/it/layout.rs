//! The kit's layout keeps its promises: no module imports another that imports it back (at any distance), no
//! two public types share a name, the oracle and the server suite never touch the mock, and a crate that
//! turns off the default `client-suite` feature does not depend on `openmic-mock` at all. The import-cycle
//! check covers every crate of the workspace (`fixtures/` and `mock-server/` too), since it reads only source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `src` folder of another crate of the workspace.
fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

/// Every library source file of the kit with its module path.
fn modules() -> Vec<(String, String)> {
    modules_in(&src())
}

/// Every library source file under `src` (the binary's `main.rs` is not a module of the library) with its
/// module path.
fn modules_in(src: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|file| {
            let relative = file.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let module = std::iter::once("crate".to_string())
                .chain(parts)
                .collect::<Vec<_>>()
                .join("::");
            (module, std::fs::read_to_string(&file).unwrap())
        })
        .collect()
}

/// The code of a file without comments and without its trailing `#[cfg(test)] mod tests`, whose `super::`
/// is the file itself.
fn code(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |end| &text[..end]);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `use a::{b, c::{d}}` expanded to `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// Every path a module names: its `use` trees and any `crate::`/`super::` path in its code.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            let end = after.find(';').unwrap_or(after.len());
            out.extend(expand(&after[..end]));
        }
        rest = after;
    }
    for anchor in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(anchor) {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(tail[..end].trim_end_matches(':').to_string());
            rest = &rest[i + anchor.len()..];
        }
    }
    out
}

/// The module a path names: the longest known module it starts with, after resolving `super`, `self` and
/// child modules.
fn resolve(from: &str, path: &str, known: &BTreeSet<String>) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<&str> = from.split("::").collect();
    let absolute: Vec<String> = match segments.first().copied() {
        Some("crate") => segments.iter().map(|s| s.to_string()).collect(),
        Some("super") | Some("self") => {
            while let Some(&s) = segments.first() {
                match s {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                segments.remove(0);
            }
            base.iter()
                .chain(&segments)
                .map(|s| s.to_string())
                .collect()
        }
        Some(first) if known.contains(&format!("{from}::{first}")) => base
            .iter()
            .chain(&segments)
            .map(|s| s.to_string())
            .collect(),
        _ => return None,
    };
    (1..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|m| known.contains(m))
}

fn import_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules_in(src);
    let known: BTreeSet<String> = modules.iter().map(|(m, _)| m.clone()).collect();
    modules
        .iter()
        .map(|(module, text)| {
            let targets = paths(&code(text))
                .iter()
                .filter_map(|p| resolve(module, p, &known))
                .filter(|t| t != module)
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

/// A cycle of imports, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_checker_sees_imports_through_groups_super_and_child_modules() {
    assert_eq!(
        expand("crate::{a::{B, C}, d::E}"),
        ["crate::a::B", "crate::a::C", "crate::d::E"]
    );
    let known: BTreeSet<String> = ["crate", "crate::a", "crate::a::b", "crate::c"]
        .map(String::from)
        .into();
    assert_eq!(
        resolve("crate::a::b", "super::X", &known).as_deref(),
        Some("crate::a")
    );
    assert_eq!(
        resolve("crate::a", "b::Y", &known).as_deref(),
        Some("crate::a::b")
    );
    assert_eq!(resolve("crate::a", "serde_json::Value", &known), None);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    graph.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = import_graph(&src());
    assert!(graph.contains_key("crate::server::suite"), "{graph:?}");
    assert!(
        graph["crate::server::suite"].contains("crate::server::properties"),
        "{graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_oracle_and_the_server_suite_never_import_the_mock() {
    for (module, text) in modules() {
        let oracle_or_server = [
            "crate::contract",
            "crate::server",
            "crate::http",
            "crate::runner",
            "crate::webhook",
        ]
        .iter()
        .any(|m| module.starts_with(m));
        if oracle_or_server {
            assert!(
                !code(&text).contains("openmic_mock"),
                "{module} uses the mock"
            );
        }
    }
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (module, text) in modules() {
        for line in code(&text).lines() {
            let line = line.trim_start();
            let Some(rest) = ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                .iter()
                .find_map(|k| line.strip_prefix(k))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if let Some(other) = seen.insert(name.clone(), module.clone()) {
                panic!("`{name}` is defined in both {other} and {module}");
            }
        }
    }
    assert!(seen.contains_key("HttpError") && seen.contains_key("ClientError"));
}

fn normal_dependencies(features: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .args(features)
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn only_the_default_client_suite_feature_brings_in_the_mock() {
    let with = normal_dependencies(&[]);
    assert!(
        with.lines().any(|l| l.starts_with("openmic-mock ")),
        "{with}"
    );
    let without = normal_dependencies(&["--no-default-features"]);
    assert!(
        !without.lines().any(|l| l.starts_with("openmic-mock ")),
        "{without}"
    );
    assert!(without.lines().any(|l| l.starts_with("openmic-fixtures ")));
}

#[test]
fn no_module_of_the_other_crates_imports_one_that_imports_it_back() {
    for name in ["fixtures", "mock-server"] {
        let graph = import_graph(&crate_src(name));
        assert!(graph.len() > 3, "{name}: {graph:?}");
        if let Some(cycle) = find_cycle(&graph) {
            panic!("import cycle in {name}: {}", cycle.join(" -> "));
        }
    }
    // The checker sees the mock's layers: the router depends on the state, never the other way round.
    let mock = import_graph(&crate_src("mock-server"));
    assert!(
        mock["crate::api::routes"].contains("crate::state"),
        "{mock:?}"
    );
    assert!(
        mock["crate::admin::error"].contains("crate::data::sets"),
        "{mock:?}"
    );
}
