//! Ctrl-C, SIGTERM and SIGHUP (the terminal closed) while engine jobs run,
//! for the CLI and the TUI alike. The first one stops the job: no new object starts, objects in flight finish or
//! are aborted after the engine's grace, the journal is flushed, and the job
//! ends resumable (exit 130). A second one aborts at once: requests in flight
//! are dropped and their multipart uploads aborted.

use super::{Engine, JobId, STOP_GRACE};

/// A line on stderr that never panics: after SIGHUP the terminal is gone
/// and writing to it fails, which must not stop the jobs from stopping.
pub fn say(msg: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// What a signal asks of the running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// First Ctrl-C or SIGTERM.
    Graceful,
    /// Any signal after that.
    Now,
}

/// The process's interrupt and terminate signals, from the moment this is
/// made (so a signal during setup is not the default kill).
pub struct Signals {
    sources: Sources,
    seen: u32,
}

#[cfg(unix)]
struct Sources {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Sources {
    fn new() -> std::io::Result<Sources> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Sources {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Sources;

#[cfg(not(unix))]
impl Sources {
    fn new() -> std::io::Result<Sources> {
        Ok(Sources)
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Signals {
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            sources: Sources::new()?,
            seen: 0,
        })
    }

    /// The next signal, as what it asks for.
    pub async fn next(&mut self) -> Stop {
        self.sources.recv().await;
        self.seen += 1;
        if self.seen == 1 {
            Stop::Graceful
        } else {
            Stop::Now
        }
    }

    /// Act on `stop` for job `id`, saying so on stderr (through `say`, so a
    /// progress bar can step aside). Signals after the abort change nothing.
    pub fn act(&self, engine: &Engine, id: JobId, stop: Stop, say: impl Fn(&str)) {
        match stop {
            Stop::Graceful => {
                say(&format!(
                    "stopping job {id}: in-flight objects finish (aborted after {}s; Ctrl-C again to abort now)",
                    STOP_GRACE.as_secs()
                ));
                engine.stop(id);
            }
            Stop::Now if self.seen == 2 => {
                say(&format!(
                    "aborting job {id} now: in-flight requests dropped, their multipart uploads aborted"
                ));
                engine.abort(id);
            }
            Stop::Now => {}
        }
    }

    /// Wait for job `id` to end, acting on signals meanwhile.
    pub async fn follow(&mut self, engine: &Engine, id: JobId) {
        let Some(h) = engine.handle(id) else { return };
        let done = h.wait();
        tokio::pin!(done);
        loop {
            tokio::select! {
                _ = &mut done => return,
                stop = self.next() => self.act(engine, id, stop, say),
            }
        }
    }
}
