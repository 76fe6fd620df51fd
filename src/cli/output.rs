//! Exit codes and small output helpers.

/// Process exit code: 0 success, 1 runtime failure / differences, 2 usage error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

impl Exit {
    pub const OK: Exit = Exit(0);
    pub const FAILURE: Exit = Exit(1);
    pub const USAGE: Exit = Exit(2);
}

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Print one JSON value as a line; a closed pipe is not an error worth a panic.
pub fn json_line<T: serde::Serialize>(v: &T) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Ok(s) = serde_json::to_string(v) {
        let _ = writeln!(out, "{s}");
    }
}
