//! The layer rules of ARCHITECTURE.md that hold today, checked on the source:
//! a module may name (`crate::x`) only the modules its layer allows. Rules
//! for the upper layers (engine, s3, the TUI, the CLI) join this table as the
//! architecture issue makes them true.

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
