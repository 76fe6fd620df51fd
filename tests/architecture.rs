//! The layer rules of ARCHITECTURE.md that hold today, checked on the source:
//! a module may name (`crate::x`) only the modules its layer allows, and the
//! TUI's state and drawing (`tui/app`, `tui/ui`) never reach the runtime.
//! Rules for the other upper layers (engine, s3, the CLI) join this table as
//! the architecture issue makes them true.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level module -> the top-level modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves.
    ("location", &[]),
    ("config", &[]),
    ("fmt", &[]),
    ("job", &["config", "location"]),
    // Pure planning: leaves only.
    ("plan", &["job", "location", "config"]),
    // The journal: leaves and plan.
    ("journal", &["job", "plan", "config", "location"]),
    // The two-listing merge: plan and s3 (and the leaves).
    (
        "compare",
        &["plan", "s3", "location", "config", "job", "fmt"],
    ),
    // The TUI front end: everything below it, never the CLI, the demo or the sandbox.
    (
        "tui",
        &[
            "batch", "compare", "config", "engine", "fmt", "job", "journal", "location", "plan",
            "s3",
        ],
    ),
];

/// `tui/app` (state, keys, results) and `tui/ui` (drawing) are pure: the
/// runtime in `tui/effects` and `tui/terminal.rs` talks to the engine, `s3`
/// and the terminal for them. What they may name of those, and what they may
/// not write at all.
const TUI_PURE: &[&str] = &["tui/app", "tui/ui"];
/// `crate::s3::` and `crate::engine::` paths the pure TUI may name: data types
/// and pure functions over them.
const TUI_PURE_PATHS: &[&str] = &[
    "crate::s3::model::",
    "crate::s3::list::ListRequest",
    "crate::s3::status::covered_prefixes",
    "crate::engine::model::",
];
/// Runtime words: tasks, awaiting, the terminal library (keys and mouse
/// events come in as `tui::app::event` types), the engine and connections.
const TUI_PURE_FORBIDDEN: &[&str] = &[
    "tokio",
    "async ",
    ".await",
    "spawn",
    "crossterm",
    "Engine",
    "ConnectionPool",
];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a top-level module (a file `src/m.rs` or a folder).
fn files(module: &str) -> Vec<PathBuf> {
    let file = src().join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src().join(module)];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Top-level modules a source text names through `crate::`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

/// `file: names crate::x` for every import a module's layer does not allow.
fn violations(module: &str, allowed: &[&str], sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        for m in named_modules(text) {
            if m != module && !allowed.contains(&m.as_str()) {
                out.push(format!(
                    "{}: {module} may not use crate::{m}",
                    path.strip_prefix(src()).unwrap_or(Path::new("?")).display()
                ));
            }
        }
    }
    out
}

/// `file: ...` for every runtime word or engine/s3 path a pure TUI file names.
fn tui_pure_violations(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let shown = path.strip_prefix(src()).unwrap_or(Path::new("?")).display();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            for word in TUI_PURE_FORBIDDEN {
                if code.contains(word) {
                    out.push(format!("{shown}: the pure TUI may not use {word}"));
                }
            }
            for root in ["crate::s3::", "crate::engine::"] {
                let mut rest = code;
                while let Some(i) = rest.find(root) {
                    let after = &rest[i..];
                    if !TUI_PURE_PATHS.iter().any(|p| after.starts_with(p)) {
                        let path: String = after
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                            .collect();
                        out.push(format!("{shown}: the pure TUI may not use {path}"));
                    }
                    rest = &after[root.len()..];
                }
            }
        }
    }
    out
}

#[test]
fn tui_app_and_ui_never_reach_the_runtime() {
    let mut all = Vec::new();
    for module in TUI_PURE {
        let sources: Vec<(PathBuf, String)> = files(module)
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("read source");
                (p, text)
            })
            .collect();
        assert!(!sources.is_empty(), "no sources for {module}");
        all.extend(tui_pure_violations(&sources));
    }
    assert!(
        all.is_empty(),
        "the pure TUI reaches the runtime:\n{}",
        all.join("\n")
    );
}

#[test]
fn a_runtime_call_in_the_pure_tui_is_caught() {
    let bad = vec![(
        src().join("tui/app/browse/keys.rs"),
        "use crossterm::event::KeyEvent;\nuse crate::s3::model::ListItem;\nuse crate::s3::list::list_page; // listing from the state\nfn f() { tokio::spawn(async {}); }\n// tokio::spawn in a comment is fine\n".to_string(),
    )];
    assert_eq!(
        tui_pure_violations(&bad),
        vec![
            "tui/app/browse/keys.rs: the pure TUI may not use crossterm".to_string(),
            "tui/app/browse/keys.rs: the pure TUI may not use crate::s3::list::list_page"
                .to_string(),
            "tui/app/browse/keys.rs: the pure TUI may not use tokio".to_string(),
            "tui/app/browse/keys.rs: the pure TUI may not use async ".to_string(),
            "tui/app/browse/keys.rs: the pure TUI may not use spawn".to_string(),
        ]
    );
}

#[test]
fn lower_layers_import_only_what_their_layer_allows() {
    let mut all = Vec::new();
    for (module, allowed) in LAYERS {
        let sources: Vec<(PathBuf, String)> = files(module)
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("read source");
                (p, text)
            })
            .collect();
        assert!(!sources.is_empty(), "no sources for module {module}");
        all.extend(violations(module, allowed, &sources));
    }
    assert!(all.is_empty(), "layer rules broken:\n{}", all.join("\n"));
}

#[test]
fn a_bad_import_is_caught() {
    let bad = vec![(
        src().join("plan/mapping.rs"),
        "use crate::job::PlanOptions;\nuse crate::engine::model::JobSpec; // planning reaching up\n// crate::tui in a comment is fine\n".to_string(),
    )];
    let found = violations("plan", &["job", "location", "config"], &bad);
    assert_eq!(
        found,
        vec!["plan/mapping.rs: plan may not use crate::engine".to_string()]
    );
}
