//! The kit's layout keeps its promises: no module imports another that imports it back (at any distance), no
//! two public types share a name, the oracle and the server suite never touch the mock, and a crate that
//! turns off the default `client-suite` feature does not depend on `openmic-mock` at all. Across the
//! workspace (every crate the root `Cargo.toml` lists in `members`): no crate has an import cycle, and no two
//! crates export a public type of the same name. The checks read only source text, so the tests below prove
//! each on planted, in-memory crates before running it on the real tree.

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

/// Every library source file under `src` with its module path. The binary's files are not modules of the
/// library: `main.rs`, `bin/`, and the modules `main.rs` declares (the kit's `cli/`).
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
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap_or_default();
    let binary: Vec<PathBuf> = binary_modules(&main)
        .into_iter()
        .flat_map(|m| [src.join(format!("{m}.rs")), src.join(m)])
        .chain([src.join("main.rs"), src.join("bin")])
        .collect();
    let mut files = Vec::new();
    walk(src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|f| !binary.iter().any(|b| f.starts_with(b)))
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

/// The modules a binary's `main.rs` declares with `mod name;`: files of the binary, not of the library.
fn binary_modules(main: &str) -> Vec<String> {
    code(main)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
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
    import_graph_of(&modules_in(src))
}

/// Which modules each module imports, from the modules' source text (`(module path, text)`, as [`modules_in`]
/// reads them, or planted by a test).
fn import_graph_of(modules: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
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

/// The root of the workspace.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folders the root `Cargo.toml` lists in `[workspace] members` (a trailing `/*` lists each folder under
/// it), so a crate added to the workspace is checked without a change here.
fn workspace_members(manifest: &str) -> Vec<String> {
    let start = manifest
        .match_indices("members")
        .find(|(i, _)| {
            manifest[..*i].ends_with('\n') && manifest[*i + 7..].trim_start().starts_with('=')
        })
        .expect("a members list")
        .0;
    let list = &manifest[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    list.split(',')
        .map(|m| m.trim().trim_matches('"').to_string())
        .filter(|m| !m.is_empty())
        .flat_map(|m| match m.strip_suffix("/*") {
            Some(parent) => {
                let mut children: Vec<String> = std::fs::read_dir(workspace_root().join(parent))
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.join("Cargo.toml").is_file())
                    .map(|p| format!("{parent}/{}", p.file_name().unwrap().to_string_lossy()))
                    .collect();
                children.sort();
                children
            }
            None => vec![m],
        })
        .collect()
}

/// Every crate of the workspace: its package name and its library's modules.
fn workspace_crates() -> Vec<(String, Vec<(String, String)>)> {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    workspace_members(&manifest)
        .into_iter()
        .map(|member| {
            let dir = root.join(&member);
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let name = manifest
                .lines()
                .find_map(|l| l.trim().strip_prefix("name = "))
                .map_or(member.clone(), |n| n.trim_matches('"').to_string());
            (format!("{name} ({member}/)"), modules_in(&dir.join("src")))
        })
        .collect()
}

/// The name a `pub struct`, `pub enum`, `pub trait` or `pub type` line of `code` defines.
fn defined_types(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let rest = ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                .iter()
                .find_map(|k| line.trim_start().strip_prefix(k))?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The `pub use` items of `code` as (path, the name it is exported under): `pub use a::{B, c::D as E}` gives
/// `(a::B, B)` and `(a::c::D, E)`. `pub(crate) use` exports nothing.
fn pub_uses(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("pub use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + "pub use ".len()..];
        if before.is_none_or(char::is_whitespace) {
            let tree = &after[..after.find(';').unwrap_or(after.len())];
            let tree = tree
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace(" as ", "=>");
            for item in expand(&tree) {
                let (path, alias) = match item.split_once("=>") {
                    Some((path, alias)) => (path.to_string(), alias.to_string()),
                    None => (item.clone(), item.rsplit("::").next().unwrap().to_string()),
                };
                out.push((path, alias));
            }
        }
        rest = after;
    }
    out
}

/// The types `module` exports, by the name it exports them under, each with the module that defines it: its
/// own `pub` type definitions and what its `pub use` items name, followed through re-exports (a glob too)
/// to the definition. A re-export of another crate's type is that crate's, not this one's: it is left out.
fn exported_types(
    modules: &BTreeMap<String, String>,
    module: &str,
    depth: usize,
) -> BTreeMap<String, String> {
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let Some(code) = modules.get(module) else {
        return BTreeMap::new();
    };
    let mut out: BTreeMap<String, String> = defined_types(code)
        .into_iter()
        .map(|name| (name, module.to_string()))
        .collect();
    if depth > 8 {
        return out;
    }
    for (path, alias) in pub_uses(code) {
        if let Some(glob) = path.strip_suffix("::*") {
            if let Some(target) = resolve(module, glob, &known) {
                out.extend(exported_types(modules, &target, depth + 1));
            }
            continue;
        }
        let Some(target) = resolve(module, &path, &known) else {
            continue;
        };
        let name = path.rsplit("::").next().unwrap();
        if let Some(definer) = exported_types(modules, &target, depth + 1).remove(name) {
            out.insert(alias, definer);
        }
    }
    out
}

/// The public types a crate's library exports, by name, each with the module that defines it: what its root
/// exports, and what every `pub mod` reachable from the root through `pub mod`s exports.
fn public_types(crate_modules: &[(String, String)]) -> BTreeMap<String, String> {
    let modules: BTreeMap<String, String> = crate_modules
        .iter()
        .map(|(m, text)| (m.clone(), code(text)))
        .collect();
    let mut public = vec!["crate".to_string()];
    let mut i = 0;
    while i < public.len() {
        let parent = public[i].clone();
        for line in modules.get(&parent).map_or("", String::as_str).lines() {
            let Some(rest) = line.trim().strip_prefix("pub mod ") else {
                continue;
            };
            let child: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            public.push(format!("{parent}::{child}"));
        }
        i += 1;
    }
    let mut out = BTreeMap::new();
    for module in &public {
        for (name, definer) in exported_types(&modules, module, 0) {
            out.entry(name).or_insert(definer);
        }
    }
    out
}

/// One line per public type name that two crates both export, naming the type, both crates and the modules
/// that define each.
fn shared_public_type_names(crates: &[(String, Vec<(String, String)>)]) -> Vec<String> {
    let exports: Vec<(&String, BTreeMap<String, String>)> = crates
        .iter()
        .map(|(name, modules)| (name, public_types(modules)))
        .collect();
    let mut out = Vec::new();
    for (i, (a, a_types)) in exports.iter().enumerate() {
        for (b, b_types) in &exports[i + 1..] {
            for (name, a_module) in a_types {
                if let Some(b_module) = b_types.get(name) {
                    out.push(format!(
                        "`{name}` is exported by both {a} (from {a_module}) and {b} (from {b_module})"
                    ));
                }
            }
        }
    }
    out
}

/// A planted crate: `(module path, source)` pairs, as [`modules_in`] reads a real one.
fn planted(modules: &[(&str, &str)]) -> Vec<(String, String)> {
    modules
        .iter()
        .map(|(m, text)| (m.to_string(), text.to_string()))
        .collect()
}

#[test]
fn the_cycle_check_catches_a_planted_cycle_from_source_and_passes_without_it() {
    let cyclic = planted(&[
        ("crate", "mod a;\nmod b;\npub use a::A;\n"),
        ("crate::a", "use crate::b::B;\npub struct A(B);\n"),
        (
            "crate::b",
            "use super::a::A;\nuse super::c::C;\npub struct B(C);\nfn f(_: A) {}\n",
        ),
        ("crate::c", "pub struct C;\n"),
    ]);
    let cycle = find_cycle(&import_graph_of(&cyclic)).expect("the planted cycle");
    assert_eq!(cycle, ["crate::a", "crate::b", "crate::a"]);
    let fixed = planted(&[
        ("crate", "mod a;\nmod b;\npub use a::A;\n"),
        ("crate::a", "use crate::b::B;\npub struct A(B);\n"),
        ("crate::b", "use super::c::C;\npub struct B(C);\n"),
        ("crate::c", "pub struct C;\n"),
    ]);
    assert_eq!(find_cycle(&import_graph_of(&fixed)), None);
    assert!(import_graph_of(&fixed)["crate::b"].contains("crate::c"));
}

#[test]
fn the_shared_name_check_catches_a_planted_duplicate_type_and_passes_without_it() {
    // `Delivery` is exported by both: `first` re-exports it at its root from a private module, `second`
    // defines it in a `pub mod`. `Hidden` stays in private modules, `Call` is a re-export of another crate's
    // type (the same type, so not a second meaning), `run` is a function: none of them counts.
    let first = planted(&[
        (
            "crate",
            "mod outbound;\nmod hidden;\npub use outbound::{Delivery as Delivery, send};\n\
             pub use openmic_fixtures::Call;\n",
        ),
        (
            "crate::outbound",
            "pub struct Delivery;\npub fn send() {}\n",
        ),
        ("crate::hidden", "pub struct Hidden;\n"),
    ]);
    let second = planted(&[
        (
            "crate",
            "pub mod webhook;\nmod hidden;\npub use openmic_fixtures::Call;\n",
        ),
        (
            "crate::webhook",
            "mod sender;\npub use sender::*;\npub fn run() {}\n",
        ),
        ("crate::webhook::sender", "pub enum Delivery { Sent }\n"),
        ("crate::hidden", "pub struct Hidden;\n"),
    ]);
    let crates = [
        ("first".to_string(), first.clone()),
        ("second".to_string(), second),
    ];
    assert_eq!(
        shared_public_type_names(&crates),
        [
            "`Delivery` is exported by both first (from crate::outbound) and second (from crate::webhook::sender)"
        ]
    );
    let renamed = planted(&[
        (
            "crate",
            "pub mod webhook;\nmod hidden;\npub use openmic_fixtures::Call;\n",
        ),
        (
            "crate::webhook",
            "mod sender;\npub use sender::*;\npub fn run() {}\n",
        ),
        (
            "crate::webhook::sender",
            "pub enum DeliveryReply { Sent }\n",
        ),
        ("crate::hidden", "pub struct Hidden;\n"),
    ]);
    let crates = [
        ("first".to_string(), first),
        ("second".to_string(), renamed),
    ];
    assert_eq!(shared_public_type_names(&crates), Vec::<String>::new());
}

#[test]
fn every_workspace_member_is_read_from_the_root_manifest_and_only_its_library_files() {
    assert_eq!(
        binary_modules("//! The binary.\nmod cli;\npub mod flags;\nuse std::io;\nmod inline {}\n"),
        ["cli", "flags"]
    );
    assert!(modules().iter().any(|(m, _)| m == "crate::server::suite"));
    assert!(modules().iter().any(|(m, _)| m == "crate::client"));
    assert!(
        !modules()
            .iter()
            .any(|(m, _)| m == "crate::cli" || m.starts_with("crate::cli::"))
    );
    assert_eq!(
        workspace_members(
            "[workspace]\n# the members\ndefault-members = [\"a\"]\nmembers = [\n  \"a\",\n  \"b-c\",\n]\n"
        ),
        ["a", "b-c"]
    );
    let crates = workspace_crates();
    for member in ["fixtures/", "mock-server/", "contract-tests/"] {
        assert!(
            crates
                .iter()
                .any(|(name, modules)| name.contains(member) && modules.len() > 3),
            "{member} not read: {:?}",
            crates.iter().map(|(name, _)| name).collect::<Vec<_>>()
        );
    }
    // The kit's public types as the check sees them: the root's re-exports and the suites' own.
    let kit = public_types(&modules());
    for name in [
        "ServerSuiteConfig",
        "ClientSuiteConfig",
        "WebhookSuiteConfig",
        "Verdict",
    ] {
        assert!(kit.contains_key(name), "{name}: {kit:?}");
    }
    assert!(!kit.contains_key("NewCall"), "{kit:?}");
}

#[test]
fn no_two_crates_of_the_workspace_export_the_same_public_type_name() {
    let shared = shared_public_type_names(&workspace_crates());
    assert!(shared.is_empty(), "{}", shared.join("\n"));
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
fn no_module_of_any_crate_of_the_workspace_imports_one_that_imports_it_back() {
    let crates = workspace_crates();
    assert!(crates.len() >= 3, "{crates:?}");
    for (name, modules) in crates {
        let graph = import_graph_of(&modules);
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
        mock["crate::admin::error"].contains("crate::data::error"),
        "{mock:?}"
    );
}
