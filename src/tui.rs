//! The TUI runtime: owns the terminal, turns terminal events, ticks and
//! effect results into `Msg`s on one channel, runs `app::update`, carries out
//! the effects it returns on tokio, and redraws once per batch of messages.
//! The UI task never awaits S3: every effect runs in its own task.

use std::collections::HashMap;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;

use crate::app::dialogs::{Dialog, SummarySlot, FAILED_LIMIT};
use crate::app::{update, App, AppInit, Effect, Msg, RequestId, SizeCount};
use crate::compare::{diff_stream, DiffOptions, DiffSide};
use crate::config::{Config, ConnectionSettings};
use crate::engine::preview::PreviewEvent;
use crate::engine::Engine;
use crate::location::Location;
use crate::s3::list::ListRequest;
use crate::s3::status::{bucket_status, replication_checks, replication_summary};
use crate::s3::{ConnectionPool, ListItem};

/// What the command line decided; see `s3ferry tui --help`.
pub struct TuiOptions {
    /// Keymap, named connections, engine defaults, `ui.read_only`.
    pub config: Config,
    /// Connection of the left (source) pane.
    pub src_conn: ConnectionSettings,
    /// Connection of the right (destination) pane.
    pub dst_conn: ConnectionSettings,
    /// Where the left pane opens; its bucket list when `None`.
    pub src: Option<Location>,
    /// Where the right pane opens; its bucket list when `None`.
    pub dst: Option<Location>,
    /// `--read-only`: nothing that writes can be started (also `ui.read_only`).
    pub read_only: bool,
}

/// Ticks drive the spinner, throughput sampling and job snapshots.
const TICK: Duration = Duration::from_millis(250);
/// How often a running size count reports its partial numbers.
const SIZE_REPORT: Duration = Duration::from_millis(300);
/// HeadObject calls in flight for a per-object replication summary.
const SUMMARY_CONCURRENCY: usize = 16;

/// Opens the TUI and runs it until the user quits.
pub async fn run(opts: TuiOptions) -> anyhow::Result<()> {
    let pool = ConnectionPool::new();
    let (mut app, initial) = App::new(AppInit {
        config: opts.config,
        src_conn: opts.src_conn,
        dst_conn: opts.dst_conn,
        src: opts.src,
        dst: opts.dst,
        read_only: opts.read_only,
    });
    let engine = match Engine::open(pool.clone()).await {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::error!("job engine unavailable: {e:#}");
            app.set_error(format!(
                "the job engine is unavailable ({e:#}); browsing only"
            ));
            None
        }
    };

    let mut terminal = TerminalGuard::enter()?;
    let (tx, rx) = unbounded_channel::<Msg>();
    let (w, h) = crossterm::terminal::size().context("reading the terminal size")?;
    update(&mut app, Msg::Resize(w, h));

    let mut exec = Executor {
        tx: tx.clone(),
        pool,
        engine: engine.clone(),
        running: HashMap::new(),
    };
    for e in initial {
        exec.run(e);
    }
    let input = tokio::spawn(read_terminal(tx.clone()));
    let ticker = tokio::spawn(tick(tx.clone(), engine));
    let result = event_loop(&mut app, &mut terminal, &mut exec, rx).await;
    input.abort();
    ticker.abort();
    exec.abort_all();
    drop(terminal);
    result
}

async fn event_loop(
    app: &mut App,
    terminal: &mut TerminalGuard,
    exec: &mut Executor,
    mut rx: UnboundedReceiver<Msg>,
) -> anyhow::Result<()> {
    terminal.draw(app)?;
    while let Some(first) = rx.recv().await {
        // The task may resume on another worker thread; the panic hook must know which.
        mark_ui_thread();
        let mut dirty = false;
        let mut next = Some(first);
        // Everything already waiting is applied before one redraw.
        while let Some(msg) = next {
            dirty |= worth_redrawing(app, &msg);
            let had_status = app.status.is_some();
            for effect in update(app, msg) {
                if effect == Effect::Quit {
                    return Ok(());
                }
                exec.run(effect);
            }
            dirty |= had_status != app.status.is_some();
            if app.quitting {
                return Ok(());
            }
            next = rx.try_recv().ok();
        }
        if dirty {
            terminal.draw(app)?;
        }
    }
    Ok(())
}

/// Ticks and job snapshots arrive every 250 ms; they only change the screen
/// while something moves (spinner, jobs).
fn worth_redrawing(app: &App, msg: &Msg) -> bool {
    match msg {
        Msg::Tick { .. } => {}
        Msg::JobsSnapshot(jobs) => return !jobs.is_empty() || !app.transfers.jobs.is_empty(),
        _ => return true,
    }
    let waiting_dialog = app.dialogs.iter().any(|d| match d {
        Dialog::Preview(p) => !p.done,
        Dialog::Status(s) => matches!(s.summary, SummarySlot::Loading(..)),
        Dialog::JobDetails(d) => d.failed.is_none(),
        _ => false,
    });
    app.busy() || waiting_dialog || !app.transfers.jobs.is_empty()
}

async fn read_terminal(tx: UnboundedSender<Msg>) {
    let mut events = EventStream::new();
    while let Some(ev) = events.next().await {
        let msg = match ev {
            Ok(Event::Key(k)) => Msg::Key(k),
            Ok(Event::Mouse(m)) => Msg::Mouse(m),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(e) => {
                // A transient read error must not end input: the user could no longer quit.
                tracing::warn!("reading terminal events: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
}

async fn tick(tx: UnboundedSender<Msg>, engine: Option<Engine>) {
    let start = Instant::now();
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        if let Some(engine) = &engine {
            // The engine reads the journal for jobs of earlier runs; keep that off the UI task.
            let e = engine.clone();
            if let Ok(jobs) = tokio::task::spawn_blocking(move || e.jobs()).await {
                if tx.send(Msg::JobsSnapshot(jobs)).is_err() {
                    break;
                }
            }
        }
        let now_ms = start.elapsed().as_millis() as u64;
        if tx.send(Msg::Tick { now_ms }).is_err() {
            break;
        }
    }
}

/// Carries out effects in background tasks; each reports back with a `Msg`.
struct Executor {
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    engine: Option<Engine>,
    /// Cancellable requests still running.
    running: HashMap<RequestId, AbortHandle>,
}

/// Sends an effect's result back, logging failures: the status line only
/// shows the latest message, the log keeps them all.
fn reply(tx: &UnboundedSender<Msg>, msg: Msg) {
    let failed = match &msg {
        Msg::ConnectionReady { result: Err(e), .. }
        | Msg::BucketsLoaded { result: Err(e), .. }
        | Msg::ListResult { result: Err(e), .. }
        | Msg::StatusLoaded { result: Err(e), .. }
        | Msg::ReplicationSummaryLoaded { result: Err(e), .. }
        | Msg::MarkSizeComputed { result: Err(e), .. }
        | Msg::PreviewDone { result: Err(e), .. }
        | Msg::JobDetailsLoaded { result: Err(e), .. }
        | Msg::CompareDone { result: Err(e), .. }
        | Msg::Error(e) => Some(e),
        _ => None,
    };
    if let Some(e) = failed {
        tracing::warn!("{e}");
    }
    let _ = tx.send(msg);
}

fn text(e: impl std::fmt::Display) -> String {
    // One line: messages go to a one-line status bar.
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Executor {
    /// Spawns `fut`; a panic in it becomes an error message instead of a lost reply.
    fn spawn<F>(&mut self, request: Option<RequestId>, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.running.retain(|_, h| !h.is_finished());
        let task = tokio::spawn(fut);
        if let Some(r) = request {
            self.running.insert(r, task.abort_handle());
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Err(e) = task.await {
                if e.is_panic() {
                    tracing::error!("background task panicked: {e}");
                    let _ = tx.send(Msg::Error(
                        "internal error in a background task (see the log)".into(),
                    ));
                }
            }
        });
    }

    fn abort_all(&mut self) {
        for (_, h) in self.running.drain() {
            h.abort();
        }
    }

    fn engine_or_error(&self) -> Option<Engine> {
        if self.engine.is_none() {
            let _ = self.tx.send(Msg::Error(
                "the job engine is unavailable; see the log".into(),
            ));
        }
        self.engine.clone()
    }

    fn run(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        let pool = self.pool.clone();
        match effect {
            Effect::SwitchConnection { request, conn } => self.spawn(None, async move {
                let result = pool.get(&conn).await.map(|_| ()).map_err(text);
                reply(&tx, Msg::ConnectionReady { request, result });
            }),
            Effect::ListBuckets { request, conn } => self.spawn(None, async move {
                let result = async {
                    let c = pool.get(&conn).await?;
                    c.list_buckets().await
                }
                .await
                .map_err(text);
                reply(&tx, Msg::BucketsLoaded { request, result });
            }),
            Effect::ListPage {
                request,
                conn,
                req,
                token,
            } => self.spawn(None, async move {
                let result = async {
                    let c = pool.get(&conn).await?;
                    c.bucket(&req.bucket)
                        .await?
                        .paginator(req, token)
                        .fetch()
                        .await
                }
                .await
                .map_err(text);
                reply(&tx, Msg::ListResult { request, result });
            }),
            Effect::LoadStatus {
                request,
                conn,
                bucket,
            } => self.spawn(None, async move {
                let result = async {
                    let c = pool.get(&conn).await?;
                    let mut status = bucket_status(&c, &bucket).await?;
                    // Rule prerequisites (versioning on both sides, reachable destination).
                    status.replication_checks = replication_checks(&c, &status).await;
                    Ok::<_, crate::s3::S3Error>(status)
                }
                .await
                .map(Box::new)
                .map_err(text);
                reply(&tx, Msg::StatusLoaded { request, result });
            }),
            Effect::LoadReplicationSummary {
                request,
                conn,
                bucket,
                prefix,
                limit,
                covered,
            } => self.spawn(Some(request), async move {
                let result = async {
                    let c = pool.get(&conn).await?;
                    let covered = covered.as_deref();
                    replication_summary(&c, &bucket, &prefix, limit, SUMMARY_CONCURRENCY, covered)
                        .await
                }
                .await
                .map_err(text);
                reply(&tx, Msg::ReplicationSummaryLoaded { request, result });
            }),
            Effect::ComputeSize {
                request,
                conn,
                location,
            } => self.spawn(
                Some(request),
                count_prefix(tx, pool, conn, location, request),
            ),
            Effect::StartPreview { request, spec } => self.spawn(Some(request), async move {
                let mut events = Box::pin(crate::engine::preview::preview(pool, *spec));
                while let Some(ev) = events.next().await {
                    let msg = match ev {
                        Ok(PreviewEvent::Entries(entries)) => {
                            Msg::PreviewChunk { request, entries }
                        }
                        Ok(PreviewEvent::Done(result)) => Msg::PreviewDone { request, result },
                        Err(e) => Msg::PreviewDone {
                            request,
                            result: Err(text(e)),
                        },
                    };
                    if matches!(msg, Msg::PreviewDone { .. }) {
                        reply(&tx, msg);
                        return;
                    }
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Msg::PreviewDone {
                    request,
                    result: Err("the preview ended early".into()),
                });
            }),
            Effect::Cancel { request } => {
                if let Some(h) = self.running.remove(&request) {
                    h.abort();
                }
            }
            Effect::SubmitJob(spec) => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                self.spawn(None, async move {
                    let result = engine
                        .submit(*spec)
                        .await
                        .map_err(|e| text(format!("{e:#}")));
                    if let Err(e) = &result {
                        tracing::error!("submitting a job: {e}");
                    }
                    let _ = tx.send(Msg::JobSubmitted { result });
                    let _ = tx.send(Msg::JobsSnapshot(engine.jobs()));
                })
            }
            Effect::PauseJob(id) => {
                if let Some(engine) = self.engine_or_error() {
                    engine.pause(id);
                }
            }
            Effect::CancelJob(id) => {
                if let Some(engine) = self.engine_or_error() {
                    engine.cancel(id);
                }
            }
            Effect::ResumeJob(id) => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                // Resuming reads the job's counts from the journal: a scan of
                // every entry, kept off the UI task.
                self.spawn(None, async move {
                    let result = tokio::task::spawn_blocking(move || engine.resume(id))
                        .await
                        .unwrap_or_else(|e| Err(anyhow::anyhow!("{e}")));
                    if let Err(e) = result {
                        tracing::warn!("resuming job {id}: {e:#}");
                        let _ = tx.send(Msg::Error(text(format!("cannot resume job {id}: {e:#}"))));
                    }
                })
            }
            Effect::RetryFailed(id) => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                self.spawn(None, async move {
                    if let Err(e) = engine.retry_failed(id).await {
                        tracing::warn!("retrying job {id}: {e:#}");
                        let _ = tx.send(Msg::Error(text(format!("cannot retry job {id}: {e:#}"))));
                    }
                })
            }
            Effect::LoadJobDetails(job) => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                self.spawn(None, async move {
                    let result = tokio::task::spawn_blocking(move || {
                        engine.failed_entries(job, FAILED_LIMIT)
                    })
                    .await
                    .map_err(text)
                    .and_then(|r| r.map_err(|e| text(format!("{e:#}"))));
                    reply(&tx, Msg::JobDetailsLoaded { job, result });
                })
            }
            Effect::StartCompare {
                request,
                src_conn,
                src,
                dst_conn,
                dst,
            } => self.spawn(
                Some(request),
                compare(tx, pool, request, (src_conn, src), (dst_conn, dst)),
            ),
            Effect::SubmitBatch(req) => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                self.spawn(None, async move {
                    let result =
                        crate::engine::batch::submit::submit(&pool, engine.journal(), &req)
                            .await
                            .map(Box::new)
                            .map_err(|e| text(format!("{e:#}")));
                    if let Err(e) = &result {
                        tracing::error!("creating a Batch Operations job: {e}");
                    }
                    let _ = tx.send(Msg::BatchSubmitted { result });
                })
            }
            Effect::LoadBatches => {
                let Some(engine) = self.engine.clone() else {
                    // Browsing only: there is no journal to list batch jobs from.
                    let _ = tx.send(Msg::BatchesLoaded {
                        result: Ok(Vec::new()),
                    });
                    return;
                };
                self.spawn(None, async move {
                    let result = tokio::task::spawn_blocking(move || {
                        engine.journal().batches(crate::app::batch::LISTED)
                    })
                    .await
                    .map_err(text)
                    .and_then(|r| r.map_err(text));
                    let _ = tx.send(Msg::BatchesLoaded { result });
                })
            }
            Effect::PollBatch {
                id,
                conn,
                region,
                account_id,
                remote_id,
                control_endpoint,
            } => self.spawn(None, async move {
                let result = async {
                    let c = pool.get(&conn).await?;
                    let client =
                        crate::s3::BatchControl::new(&c, &region, control_endpoint.as_deref());
                    client.describe_job(&account_id, &remote_id).await
                }
                .await
                .map_err(|e| text(format!("{e:#}")));
                if let Err(e) = &result {
                    tracing::warn!("batch {id}: {e}");
                }
                let _ = tx.send(Msg::BatchPolled { id, result });
            }),
            Effect::FinishBatchMove { id, record, conn } => {
                let Some(engine) = self.engine_or_error() else {
                    return;
                };
                self.spawn(None, async move {
                    let result = async {
                        let c = pool.get(&conn).await?;
                        crate::engine::batch::finish::start_move(&engine, id, &record, &c).await
                    }
                    .await
                    .map_err(|e| text(format!("{e:#}")));
                    match &result {
                        Ok(s) => {
                            for (source, why) in &s.unchecked {
                                tracing::warn!("batch {id}: source {source} not checked: {why}");
                            }
                        }
                        Err(e) => tracing::error!("batch {id}: finishing the move: {e}"),
                    }
                    let _ = tx.send(Msg::BatchMoveStarted { id, result });
                    let _ = tx.send(Msg::JobsSnapshot(engine.jobs()));
                })
            }
            // The event loop stops before running this.
            Effect::Quit => {}
        }
    }
}

/// Entries sent per message while comparing: few messages, steady progress.
const COMPARE_CHUNK: usize = 1000;

/// Compares two folders as `s3ferry diff` does, streaming entries back.
async fn compare(
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    request: RequestId,
    (src_conn, src): (ConnectionSettings, Location),
    (dst_conn, dst): (ConnectionSettings, Location),
) {
    let result: Result<(), String> = async {
        let side = |conn: ConnectionSettings, location: Location| {
            let pool = pool.clone();
            async move {
                let c = pool.get(&conn).await.map_err(text)?;
                DiffSide::open(&c, location).await.map_err(text)
            }
        };
        let src = side(src_conn, src).await?;
        let dst = side(dst_conn, dst).await?;
        let mut entries = Box::pin(diff_stream(src, dst, DiffOptions::default()));
        let mut chunk = Vec::new();
        let mut sent = Instant::now();
        while let Some(entry) = entries.next().await {
            chunk.push(entry.map_err(|e| text(format!("{e:#}")))?);
            if chunk.len() >= COMPARE_CHUNK || sent.elapsed() >= SIZE_REPORT {
                sent = Instant::now();
                let entries = std::mem::take(&mut chunk);
                if tx.send(Msg::CompareChunk { request, entries }).is_err() {
                    return Ok(());
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(Msg::CompareChunk {
                request,
                entries: chunk,
            });
        }
        Ok(())
    }
    .await;
    reply(&tx, Msg::CompareDone { request, result });
}

/// Counts objects and bytes under a prefix, reporting partial counts as it goes.
async fn count_prefix(
    tx: UnboundedSender<Msg>,
    pool: ConnectionPool,
    conn: ConnectionSettings,
    location: Location,
    request: RequestId,
) {
    let result: Result<SizeCount, String> = async {
        let c = pool.get(&conn).await.map_err(text)?;
        let bucket = c.bucket(&location.bucket).await.map_err(text)?;
        let mut pages =
            Box::pin(bucket.pages(ListRequest::objects(&location.bucket, &location.prefix)));
        let mut count = SizeCount::default();
        let mut reported = Instant::now();
        while let Some(page) = pages.next().await {
            for item in page.map_err(text)?.items {
                if let ListItem::Object(o) = item {
                    count.objects += 1;
                    count.bytes += o.size;
                }
            }
            if reported.elapsed() >= SIZE_REPORT {
                reported = Instant::now();
                let _ = tx.send(Msg::MarkSizeComputed {
                    request,
                    result: Ok(count),
                });
            }
        }
        Ok(SizeCount {
            done: true,
            ..count
        })
    }
    .await;
    reply(&tx, Msg::MarkSizeComputed { request, result });
}

/// Set while the TUI owns the terminal, with the thread that drives it.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Raw mode, alternate screen and mouse capture for as long as it lives;
/// restored on drop (normal exit, error, or unwinding from a panic).
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: Option<Arc<PanicHook>>,
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<TerminalGuard> {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        // Restore the screen before the panic message is printed, so it is readable.
        // A panic in a background task is only logged: the UI is still running and
        // printing over it would garble the screen.
        std::panic::set_hook(Box::new(move |info| {
            let ui_thread = UI_THREAD
                .lock()
                .map(|t| *t == Some(std::thread::current().id()))
                .unwrap_or(true);
            if ACTIVE.load(Ordering::SeqCst) && !ui_thread {
                tracing::error!("panic in a background thread: {info}");
                return;
            }
            if ACTIVE.swap(false, Ordering::SeqCst) {
                restore_terminal();
            }
            chained(info);
        }));
        let mut guard_hook = Some(previous);
        let setup = (|| -> anyhow::Result<Terminal<CrosstermBackend<Stdout>>> {
            enable_raw_mode().context("the TUI needs an interactive terminal")?;
            ACTIVE.store(true, Ordering::SeqCst);
            mark_ui_thread();
            // Cleared with a plain escape: ratatui's clear() asks the terminal for
            // the cursor position, which some terminals never answer.
            crossterm::execute!(
                io::stdout(),
                EnterAlternateScreen,
                EnableMouseCapture,
                crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
            )?;
            Ok(Terminal::new(CrosstermBackend::new(io::stdout()))?)
        })();
        match setup {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                previous_hook: guard_hook.take(),
            }),
            Err(e) => {
                ACTIVE.store(false, Ordering::SeqCst);
                restore_terminal();
                restore_hook(guard_hook.take());
                Err(e)
            }
        }
    }

    fn draw(&mut self, app: &App) -> anyhow::Result<()> {
        self.terminal
            .draw(|f| crate::ui::draw(f, app))
            .context("drawing the screen")?;
        Ok(())
    }
}

fn mark_ui_thread() {
    if let Ok(mut t) = UI_THREAD.lock() {
        *t = Some(std::thread::current().id());
    }
}

fn restore_hook(previous: Option<Arc<PanicHook>>) {
    let Some(previous) = previous else { return };
    // Dropping our hook releases its clone of `previous`, so it can be unwrapped.
    drop(std::panic::take_hook());
    if let Ok(hook) = Arc::try_unwrap(previous) {
        std::panic::set_hook(hook);
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if ACTIVE.swap(false, Ordering::SeqCst) {
            restore_terminal();
        }
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = None;
        }
        // Inside a panic the hook cannot be replaced; it is harmless once inactive.
        if !std::thread::panicking() {
            restore_hook(self.previous_hook.take());
        }
    }
}
