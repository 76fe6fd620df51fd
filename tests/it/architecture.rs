//! The rules of ARCHITECTURE.md that hold today, checked on the source: a
//! module may name (`crate::x`) only the modules its layer allows; SDK crates
//! are named only in `s3/`; only `engine/` calls s3's bucket writes; no
//! source file is over 800 lines nor any function over 120; the TUI's state
//! and drawing (`tui/app`, `tui/ui`) never reach the runtime, and the CLI
//! reaches the TUI only through its entry point.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Top-level module -> the top-level modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves.
    ("location", &[]),
    ("config", &[]),
    ("fmt", &[]),
    ("job", &["config", "location", "fmt"]),
    // Pure planning: leaves only.
    ("plan", &["job", "location", "config"]),
    // The journal: leaves and plan.
    ("journal", &["job", "plan", "config", "location"]),
    // The S3 boundary: connection settings and locations only.
    ("s3", &["config", "location"]),
    // The two-listing merge: plan and s3 (and the leaves).
    (
        "compare",
        &["plan", "s3", "location", "config", "job", "fmt"],
    ),
    // The in-process S3 server speaks S3 from its own store: locations only.
    ("sandbox", &["location"]),
    // The demo data set, written into the sandbox's store.
    ("demo", &["sandbox", "config"]),
    // The engine: everything below it, nothing above.
    (
        "engine",
        &[
            "compare", "s3", "journal", "plan", "job", "fmt", "location", "config",
        ],
    ),
    // The CLI: every layer and the TUI's entry point, never the TUI's state
    // or drawing (a subcommand works without a terminal).
    (
        "cli",
        &[
            "compare", "config", "demo", "engine", "fmt", "job", "journal", "location", "plan",
            "s3", "sandbox", "tui",
        ],
    ),
    // The TUI front end: everything below it, never the CLI, the demo or the sandbox.
    (
        "tui",
        &[
            "compare", "config", "engine", "fmt", "job", "journal", "location", "plan", "s3",
        ],
    ),
];

/// Longest source file, in lines.
const MAX_FILE_LINES: usize = 800;
/// Longest function, in lines from `fn` to its closing brace.
const MAX_FN_LINES: usize = 120;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The sources of a module or folder under `src/` (a file `m.rs` or a
/// folder `m/`) among `all`, paths relative to `src/`.
fn sources_of(all: &[(PathBuf, String)], module: &str) -> Vec<(PathBuf, String)> {
    let file = PathBuf::from(format!("{module}.rs"));
    all.iter()
        .filter(|(p, _)| *p == file || p.starts_with(module))
        .cloned()
        .collect()
}

/// The code after each `root` in `code`.
fn after_each<'a>(code: &'a str, root: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    code.match_indices(root)
        .map(move |(i, _)| &code[i + root.len()..])
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Top-level modules a source text names through `crate::`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    code_only(text)
        .lines()
        .flat_map(|code| {
            after_each(code, "crate::")
                .map(|a| ident(a).to_string())
                .collect::<Vec<_>>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `file: names crate::x` for every import a module's layer does not allow.
fn violations(module: &str, allowed: &[&str], sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        for m in named_modules(text) {
            if m != module && !allowed.contains(&m.as_str()) {
                out.push(format!(
                    "{}: {module} may not use crate::{m}",
                    path.display()
                ));
            }
        }
    }
    out
}

#[test]
fn every_module_imports_only_what_its_layer_allows() {
    let everything = all_sources();
    let mut all = Vec::new();
    for (module, allowed) in LAYERS {
        let sources = sources_of(&everything, module);
        assert!(!sources.is_empty(), "no sources for module {module}");
        all.extend(violations(module, allowed, &sources));
    }
    assert!(all.is_empty(), "layer rules broken:\n{}", all.join("\n"));
}

/// A cycle through the allowed uses of `table`, if there is one.
fn cycle(table: &[(&str, &[&str])]) -> Option<Vec<String>> {
    fn visit<'a>(
        m: &'a str,
        table: &[(&'a str, &'a [&'a str])],
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut c: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            c.push(m.to_string());
            return Some(c);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        let uses = table.iter().find(|(n, _)| *n == m).map(|(_, u)| *u);
        for u in uses.unwrap_or_default() {
            if let Some(c) = visit(u, table, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    table
        .iter()
        .find_map(|(m, _)| visit(m, table, &mut Vec::new(), &mut done))
}

/// Every top-level module has a row, and the rows allow no cycle: with the
/// import rule above, no two modules can import each other, however
/// indirectly.
#[test]
fn every_module_is_in_the_acyclic_layer_table() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    assert!(modules.len() > 10, "{modules:?}");
    let missing: Vec<&&str> = modules
        .iter()
        .filter(|m| !LAYERS.iter().any(|(n, _)| n == *m))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer row: {missing:?}"
    );
    assert_eq!(cycle(LAYERS), None);
}

#[test]
fn a_cycle_in_the_table_is_caught() {
    let table: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])];
    assert_eq!(
        cycle(table),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(cycle(&[("a", &["b"]), ("b", &[])]), None);
}

#[test]
fn a_bad_import_is_caught() {
    let bad = vec![(
        PathBuf::from("plan/mapping.rs"),
        "use crate::job::PlanOptions;\nuse crate::engine::model::JobSpec; // planning reaching up\n// crate::tui in a comment is fine\n".to_string(),
    )];
    let found = violations("plan", &["job", "location", "config"], &bad);
    assert_eq!(
        found,
        vec!["plan/mapping.rs: plan may not use crate::engine".to_string()]
    );
    let cli = LAYERS
        .iter()
        .find(|(m, _)| *m == "cli")
        .map(|(_, allowed)| *allowed)
        .unwrap_or_default();
    let bad = vec![(
        PathBuf::from("cli/commands/cp.rs"),
        "use crate::engine::JobKind;\nuse crate::app::App; // the TUI's state\n".to_string(),
    )];
    assert_eq!(
        violations("cli", cli, &bad),
        vec!["cli/commands/cp.rs: cli may not use crate::app".to_string()]
    );
}

/// The char at `k`, or NUL past the end.
fn at(c: &[char], k: usize) -> char {
    c.get(k).copied().unwrap_or('\0')
}

/// The text with comments, strings and char literals blanked (newlines
/// kept), so braces and `fn` are only counted in code.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && at(&c, i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (at(&c, i + 1) == '"' || (at(&c, i + 1) == '#' && at(&c, i + 2) != '['))
        {
            // A raw string: r"..." or r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let end: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body: String = c[j + 1..].iter().collect();
            let len = body
                .find(&end)
                .map_or(body.chars().count(), |b| body[..b].chars().count());
            let stop = (j + 1 + len + end.len()).min(c.len());
            out.extend(c[i..stop].iter().map(|ch| blank(*ch)));
            i = j + 1 + len + end.len();
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' && (at(&c, i + 2) == '\'' || at(&c, i + 1) == '\\') {
            // A char literal ('{', '\''); a lifetime has no closing quote.
            let len = if at(&c, i + 1) == '\\' {
                (2..8).find(|k| at(&c, i + *k) == '\'').unwrap_or(1) + 1
            } else {
                3
            };
            for _ in 0..len {
                out.push(' ');
            }
            i += len;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `(name, lines)` of every function with a body.
fn functions(text: &str) -> Vec<(String, usize)> {
    let code: Vec<char> = code_only(text).chars().collect();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < code.len() {
        let starts = code[i] == 'f'
            && code[i + 1] == 'n'
            && code[i + 2].is_whitespace()
            && (i == 0 || !ident(code[i - 1]));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < code.len() && code[j].is_whitespace() {
            j += 1;
        }
        let name: String = code[j..].iter().take_while(|c| ident(**c)).collect();
        // The body opens at the first `{` outside the signature's brackets;
        // a `;` first means a declaration without one.
        let mut depth = 0i32;
        let mut open = None;
        while j < code.len() {
            match code[j] {
                '(' | '[' | '<' => depth += 1,
                ')' | ']' | '>' if code[j - 1] != '-' => depth -= 1,
                '{' if depth <= 0 => {
                    open = Some(j);
                    break;
                }
                ';' if depth <= 0 => break,
                _ => {}
            }
            j += 1;
        }
        let Some(open) = open else {
            i = j;
            continue;
        };
        let mut braces = 0;
        let mut close = code.len() - 1;
        for (k, ch) in code.iter().enumerate().skip(open) {
            match ch {
                '{' => braces += 1,
                '}' => {
                    braces -= 1;
                    if braces == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let line_of = |k: usize| code[..k].iter().filter(|c| **c == '\n').count();
        if !name.is_empty() {
            out.push((name, line_of(close) - line_of(i) + 1));
        }
        // Nested functions are measured too.
        i = open;
    }
    out
}

/// `path` for a file over the limit, `path::name (n lines)` for a function.
fn over_limit(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if text.lines().count() > MAX_FILE_LINES {
        out.push(path.to_string());
    }
    for (name, lines) in functions(text) {
        if lines > MAX_FN_LINES {
            out.push(format!("{path}::{name}"));
        }
    }
    out
}

#[test]
fn no_file_over_800_lines_and_no_function_over_120() {
    let mut found = Vec::new();
    for (rel, text) in all_sources() {
        found.extend(over_limit(&rel.display().to_string(), &text));
    }
    assert!(found.is_empty(), "over the size limits:\n{found:#?}");
}

#[test]
fn a_long_function_or_file_is_caught() {
    let body = "    let x = 1;\n".repeat(MAX_FN_LINES);
    let text = format!(
        "fn short() {{\n    let s = \"}}\";\n    let c = '}}';\n}}\n\n\
         pub(crate) async fn long<T: Fn(u8) -> u8>(t: T) -> Vec<u8>\nwhere\n    T: Copy,\n{{\n{body}}}\n\
         trait A {{\n    fn declared(&self);\n}}\n"
    );
    assert_eq!(over_limit("x.rs", &text), vec!["x.rs::long".to_string()]);
    let fns = functions(&text);
    assert_eq!(fns[0], ("short".to_string(), 4));
    assert_eq!(fns.len(), 2, "{fns:?}");
    let big = "// line\n".repeat(MAX_FILE_LINES + 1);
    assert_eq!(over_limit("big.rs", &big), vec!["big.rs".to_string()]);
}

/// Every `.rs` file under `src/`, relative to it, with its text.
fn all_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![src()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("read source");
                out.push((p.strip_prefix(src()).unwrap_or(&p).to_path_buf(), text));
            }
        }
    }
    out.sort();
    out
}

/// Names of the SDK crates (prefixes) that only `s3/` may use.
const SDK_CRATES: &[&str] = &["aws_sdk_", "aws_smithy", "aws_sigv4", "aws_config"];

/// Files outside `s3/` allowed to name SDK crates, and why.
const SDK_ALLOWED: &[(&str, &str)] = &[(
    "sandbox/auth.rs",
    "the sandbox checks SigV4 signatures as S3 does, with the same signer",
)];

/// `file:line: names <crate>` for every SDK crate named in code outside `s3/`.
fn sdk_outside_s3(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let rel = path.to_string_lossy().replace('\\', "/");
        if rel.starts_with("s3/") || SDK_ALLOWED.iter().any(|(f, _)| *f == rel) {
            continue;
        }
        for (n, line) in code_only(text).lines().enumerate() {
            for krate in SDK_CRATES {
                let named = line.match_indices(krate).any(|(i, _)| {
                    // A whole path segment: not `my_aws_config` or `x.aws_config`.
                    let before = line[..i].chars().next_back();
                    !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '_' || b == '.')
                });
                if named {
                    out.push(format!("{rel}:{}: names {krate}", n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn sdk_types_are_named_only_in_s3() {
    let found = sdk_outside_s3(&all_sources());
    assert!(
        found.is_empty(),
        "SDK crates named outside src/s3/:\n{}",
        found.join("\n")
    );
}

#[test]
fn an_sdk_name_outside_s3_is_caught() {
    let bad = vec![
        (
            PathBuf::from("engine/copy.rs"),
            "use aws_sdk_s3::Client; // reaching past the boundary\n\
             // aws_smithy_types in a comment is fine\n\
             fn f(c: &aws_config::SdkConfig) {}\n"
                .to_string(),
        ),
        (
            PathBuf::from("tui.rs"),
            "fn f<'a>(x: &'a str) -> [char; 3] { ['\\'', '\"', 'x'] }\nuse aws_smithy_types::Blob;\n"
                .to_string(),
        ),
        (
            PathBuf::from("main.rs"),
            "let f = EnvFilter::new(\"info,aws_config=warn,aws_smithy_runtime=warn\");\n/* aws_sigv4 */\n"
                .to_string(),
        ),
        (
            PathBuf::from("sandbox/auth.rs"),
            "use aws_sigv4::http_request::SignableBody;\n".to_string(),
        ),
        (
            PathBuf::from("s3/client.rs"),
            "use aws_sdk_s3::Client;\n".to_string(),
        ),
    ];
    assert_eq!(
        sdk_outside_s3(&bad),
        vec![
            "engine/copy.rs:1: names aws_sdk_".to_string(),
            "engine/copy.rs:3: names aws_config".to_string(),
            "tui.rs:2: names aws_smithy".to_string(),
        ]
    );
    // The real boundary is still seen as code.
    let client = std::fs::read_to_string(src().join("s3/client.rs")).expect("read");
    assert!(code_only(&client).contains("use aws_sdk_s3::Client;"));
}

/// s3's calls that write to a bucket (objects, uploads, ACLs, bucket
/// settings). Only the engine may call them.
const BUCKET_WRITES: &[&str] = &[
    "put_object",
    "put_manifest",
    "copy_object",
    "copy_acl",
    "create_multipart",
    "upload_part",
    "upload_part_copy",
    "complete_multipart",
    "abort_multipart",
    "delete_object",
    "delete_objects",
    "delete_objects_one_if",
    "delete_object_if",
    "create_bucket",
    "set_versioning",
    "put_replication_rule",
    "delete_key",
];

/// `file:line: calls <write>` for every call of a bucket write (as a method,
/// `.x(`, or a path, `::x(`) outside `engine/` and `s3/`, which defines them.
fn writes_outside_engine(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let rel = path.to_string_lossy().replace('\\', "/");
        if rel.starts_with("engine/") || rel.starts_with("s3/") {
            continue;
        }
        for (n, line) in code_only(text).lines().enumerate() {
            for name in BUCKET_WRITES {
                let called = line.match_indices(name).any(|(i, _)| {
                    let before = &line[..i];
                    let after = line[i + name.len()..].trim_start();
                    let qualified = before.ends_with('.') || before.ends_with("::");
                    qualified && (after.starts_with('(') || after.starts_with("::<"))
                });
                if called {
                    out.push(format!("{rel}:{}: calls {name}", n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn only_the_engine_writes_to_buckets() {
    let found = writes_outside_engine(&all_sources());
    assert!(
        found.is_empty(),
        "bucket writes outside src/engine/:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_bucket_write_outside_the_engine_is_caught() {
    let bad = vec![
        (
            PathBuf::from("demo.rs"),
            "store.put_object(\"k\", body, None, &w).await?;\n\
             // bucket.delete_objects(&keys) in a comment is fine\n\
             let s = \"x.copy_object(\";\n\
             crate::s3::ops::delete_object(c, b, k, None).await?;\n\
             fn put_object(x: u8) {}\n\
             self.op_create_bucket(req).await\n"
                .to_string(),
        ),
        (
            PathBuf::from("engine/copy.rs"),
            "dst.put_object(key, body, None, &w).await?;\n".to_string(),
        ),
    ];
    assert_eq!(
        writes_outside_engine(&bad),
        vec![
            "demo.rs:1: calls put_object".to_string(),
            "demo.rs:4: calls delete_object".to_string(),
        ]
    );
}

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
    "crate::s3::JobStatus",
    "crate::s3::BatchStatus",
    // What Batch Operations can express, and the requests and answers the
    // runtime carries to and from `engine::batch`.
    "crate::engine::batch::mapping::",
    "crate::engine::batch::submit::SubmitRequest",
    "crate::engine::batch::submit::Submitted",
    "crate::engine::batch::submit::{SubmitRequest, Submitted}",
    "crate::engine::batch::finish::MoveStarted",
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

/// `file: ...` for every runtime word or engine/s3 path a pure TUI file names.
fn tui_pure_violations(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let shown = path.display();
        for code in code_only(text).lines() {
            for word in TUI_PURE_FORBIDDEN {
                if code.contains(word) {
                    out.push(format!("{shown}: the pure TUI may not use {word}"));
                }
            }
            for (i, _) in code.match_indices("crate::") {
                let after = &code[i..];
                let reaches = ["crate::s3::", "crate::engine::"]
                    .iter()
                    .any(|r| after.starts_with(r));
                if reaches && !TUI_PURE_PATHS.iter().any(|p| after.starts_with(p)) {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                        .unwrap_or(after.len());
                    out.push(format!(
                        "{shown}: the pure TUI may not use {}",
                        &after[..end]
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn tui_app_and_ui_never_reach_the_runtime() {
    let everything = all_sources();
    let mut all = Vec::new();
    for module in TUI_PURE {
        let sources = sources_of(&everything, module);
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
        PathBuf::from("tui/app/browse/keys.rs"),
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

/// `file: names crate::tui::...` for a CLI file reaching past the TUI's entry
/// point (`tui::run`, `tui::TuiOptions`, and `tui::Ended`, how it ended)
/// into its state or drawing.
fn cli_past_tui_entry(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let shown = path.display();
        for code in code_only(text).lines() {
            for name in after_each(code, "crate::tui::").map(ident) {
                if !["run", "TuiOptions", "Ended"].contains(&name) {
                    out.push(format!("{shown}: the CLI may not use crate::tui::{name}"));
                }
            }
        }
    }
    out
}

#[test]
fn the_cli_uses_only_the_tuis_entry_point() {
    let sources = sources_of(&all_sources(), "cli");
    let found = cli_past_tui_entry(&sources);
    assert!(
        found.is_empty(),
        "the CLI reaches the TUI's state:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_cli_reaching_the_tuis_state_is_caught() {
    let bad = vec![(
        PathBuf::from("cli/commands/cp.rs"),
        "crate::tui::run(crate::tui::TuiOptions { .. });\nuse crate::tui::app::App; // the TUI's state\n".to_string(),
    )];
    assert_eq!(
        cli_past_tui_entry(&bad),
        vec!["cli/commands/cp.rs: the CLI may not use crate::tui::app".to_string()]
    );
}
