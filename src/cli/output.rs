//! Exit codes (the CLI returns only these constants; a job's and an error's
//! code is chosen here) and small output helpers.

use crate::engine::JobOutcome;

/// Process exit code: 0 success, 1 runtime failure / differences, 2 usage error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

impl Exit {
    pub const OK: Exit = Exit(0);
    pub const FAILURE: Exit = Exit(1);
    pub const USAGE: Exit = Exit(2);
    /// Stopped by Ctrl-C, as a shell reports SIGINT.
    pub const INTERRUPTED: Exit = Exit(130);

    /// The exit code of a job's outcome (`None`: it never ended here).
    pub fn of_job(outcome: Option<&JobOutcome>) -> Exit {
        match outcome {
            Some(JobOutcome::Completed) => Exit::OK,
            Some(JobOutcome::Interrupted { .. }) => Exit::INTERRUPTED,
            // The command asked for something unsafe: a usage error.
            Some(JobOutcome::Refused { .. }) => Exit::USAGE,
            Some(
                JobOutcome::ObjectsFailed { .. }
                | JobOutcome::Failed { .. }
                | JobOutcome::Stopped { .. },
            )
            | None => Exit::FAILURE,
        }
    }

    /// The exit code of a command that stopped with an error.
    pub fn of_error(e: &anyhow::Error) -> Exit {
        let refused = matches!(
            e.downcast_ref::<crate::engine::EngineError>(),
            Some(crate::engine::EngineError::Refused(_))
        );
        if refused || e.is::<UsageError>() {
            Exit::USAGE
        } else {
            Exit::FAILURE
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_outcome_has_its_exit_code() {
        let refused = JobOutcome::Refused { reason: "r".into() };
        let failed = JobOutcome::Failed { reason: "f".into() };
        let objects = JobOutcome::ObjectsFailed { job: 1, objects: 2 };
        assert_eq!(Exit::of_job(Some(&JobOutcome::Completed)), Exit(0));
        assert_eq!(Exit::of_job(Some(&objects)), Exit(1));
        assert_eq!(Exit::of_job(Some(&failed)), Exit(1));
        assert_eq!(Exit::of_job(Some(&refused)), Exit(2));
        assert_eq!(
            Exit::of_job(Some(&JobOutcome::Interrupted { job: 1 })),
            Exit(130)
        );
        assert_eq!(Exit::of_job(None), Exit(1));
        let usage = anyhow::Error::from(UsageError("u".into()));
        assert_eq!(Exit::of_error(&usage), Exit(2));
        assert_eq!(Exit::of_error(&anyhow::anyhow!("x")), Exit(1));
        use crate::engine::EngineError;
        let refused = anyhow::Error::from(EngineError::Refused("r".into()));
        assert_eq!(Exit::of_error(&refused), Exit(2));
        let gone = anyhow::Error::from(EngineError::NoSuchJob(7));
        assert_eq!(Exit::of_error(&gone), Exit(1));
        assert_eq!(gone.to_string(), "no job 7 in the journal");
    }
}
