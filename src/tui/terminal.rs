//! The terminal side of the runtime: the guard that owns raw mode and the
//! alternate screen, and the loop that turns terminal events, ticks and
//! effect results into `Msg`s on one channel, runs `app::update`, hands the
//! effects it returns to `effects`, and redraws once per burst of messages.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{self as ct, DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::app::dialogs::{Dialog, SummarySlot};
use super::app::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use super::app::{update, App, AppInit, Effect, Msg};
use super::effects::Executor;
use super::TuiOptions;
use crate::engine::signals::{say, Signals, Stop};
use crate::engine::{Engine, JobEvent, JobSnapshot};
use crate::s3::ConnectionPool;
use tokio::sync::broadcast::{self, error::TryRecvError};

/// Ticks drive the spinner, throughput sampling and job snapshots.
const TICK: Duration = Duration::from_millis(250);

/// How the TUI ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit.
    Quit,
    /// SIGTERM, SIGHUP or SIGINT: running jobs were stopped as by a first
    /// Ctrl-C, and they are resumable (the caller exits 130).
    Signalled,
}

/// Opens the TUI and runs it until the user quits or a signal ends it.
pub async fn run(opts: TuiOptions) -> anyhow::Result<Ended> {
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

    let mut exec = Executor::new(tx.clone(), pool, engine.clone());
    for e in initial {
        exec.run(e);
    }
    let input = tokio::spawn(read_terminal(tx.clone()));
    let ticker = tokio::spawn(tick(tx.clone(), engine.clone()));
    // Raw mode turns Ctrl-C into a key; these come from outside (a service
    // manager, `kill`, a closed terminal window).
    let mut signals = match Signals::new() {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("cannot watch for signals: {e}");
            None
        }
    };
    let (result, ended) = tokio::select! {
        r = event_loop(&mut app, &mut terminal, &mut exec, rx) => (r, Ended::Quit),
        _ = next_signal(&mut signals) => (Ok(()), Ended::Signalled),
    };
    input.abort();
    ticker.abort();
    exec.abort_all();
    drop(terminal);
    if ended == Ended::Signalled {
        say("s3ferry: stopped by a signal");
    }
    if let Some(engine) = engine {
        stop_jobs(&engine, &mut signals).await;
    }
    result.map(|()| ended)
}

async fn next_signal(signals: &mut Option<Signals>) -> Stop {
    match signals {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// Quitting with jobs running (confirmed) or signalled: each stops as after
/// a first Ctrl-C (in-flight objects finish or are aborted after the
/// grace), its journal flushed, resumable; a signal meanwhile (Ctrl-C now
/// reaches the restored terminal) aborts them at once. Said on the
/// restored terminal.
async fn stop_jobs(engine: &Engine, signals: &mut Option<Signals>) {
    let running = engine
        .live_jobs()
        .iter()
        .filter(|j| j.state.is_active())
        .count();
    if running == 0 {
        return;
    }
    say(&format!(
        "stopping {running} job(s): in-flight objects finish (aborted after {}s; Ctrl-C to abort now)...",
        crate::job::STOP_GRACE.as_secs()
    ));
    let stopping = engine.stop_all();
    tokio::pin!(stopping);
    let stopped = loop {
        tokio::select! {
            ids = &mut stopping => break ids,
            _ = next_signal(signals) => {
                say("aborting now: in-flight requests dropped, their multipart uploads aborted");
                for j in engine.live_jobs() {
                    engine.abort(j.id);
                }
            }
        }
    };
    for id in stopped {
        say(&format!(
            "job {id} stopped; resume with: s3ferry resume {id}"
        ));
    }
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
            Ok(Event::Key(k)) => Msg::Key(key_event(k)),
            Ok(Event::Mouse(m)) => Msg::Mouse(mouse_event(m)),
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
    let mut events = engine.as_ref().map(Engine::subscribe);
    // Jobs of earlier runs come from the journal: read at start and when a
    // job starts or finishes, never on every tick.
    let mut earlier: Option<Vec<JobSnapshot>> = None;
    loop {
        interval.tick().await;
        if let Some(engine) = &engine {
            let changed = events.as_mut().is_some_and(drained);
            if earlier.is_none() || changed {
                let e = engine.clone();
                earlier = tokio::task::spawn_blocking(move || e.earlier_jobs())
                    .await
                    .ok();
            }
            let mut jobs = engine.live_jobs();
            let live: Vec<_> = jobs.iter().map(|j| j.id).collect();
            jobs.extend(
                earlier
                    .iter()
                    .flatten()
                    .filter(|j| !live.contains(&j.id))
                    .cloned(),
            );
            jobs.sort_by_key(|j| j.id);
            if tx.send(Msg::JobsSnapshot(jobs)).is_err() {
                break;
            }
        }
        let now_ms = start.elapsed().as_millis() as u64;
        if tx.send(Msg::Tick { now_ms }).is_err() {
            break;
        }
    }
}

/// Whether any job event arrived since the last look (missed ones count).
fn drained(rx: &mut broadcast::Receiver<JobEvent>) -> bool {
    let mut any = false;
    loop {
        match rx.try_recv() {
            Ok(_) | Err(TryRecvError::Lagged(_)) => any = true,
            Err(TryRecvError::Empty | TryRecvError::Closed) => return any,
        }
    }
}

/// The terminal's key event in `app`'s words.
fn key_event(k: ct::KeyEvent) -> KeyEvent {
    let code = match k.code {
        ct::KeyCode::Backspace => KeyCode::Backspace,
        ct::KeyCode::Enter => KeyCode::Enter,
        ct::KeyCode::Left => KeyCode::Left,
        ct::KeyCode::Right => KeyCode::Right,
        ct::KeyCode::Up => KeyCode::Up,
        ct::KeyCode::Down => KeyCode::Down,
        ct::KeyCode::Home => KeyCode::Home,
        ct::KeyCode::End => KeyCode::End,
        ct::KeyCode::PageUp => KeyCode::PageUp,
        ct::KeyCode::PageDown => KeyCode::PageDown,
        ct::KeyCode::Tab => KeyCode::Tab,
        ct::KeyCode::BackTab => KeyCode::BackTab,
        ct::KeyCode::Delete => KeyCode::Delete,
        ct::KeyCode::Insert => KeyCode::Insert,
        ct::KeyCode::F(n) => KeyCode::F(n),
        ct::KeyCode::Char(c) => KeyCode::Char(c),
        ct::KeyCode::Esc => KeyCode::Esc,
        _ => KeyCode::Other,
    };
    let kind = match k.kind {
        ct::KeyEventKind::Press => KeyEventKind::Press,
        ct::KeyEventKind::Repeat => KeyEventKind::Repeat,
        ct::KeyEventKind::Release => KeyEventKind::Release,
    };
    KeyEvent {
        code,
        modifiers: modifiers(k.modifiers),
        kind,
    }
}

fn mouse_event(m: ct::MouseEvent) -> MouseEvent {
    let button = |b: ct::MouseButton| match b {
        ct::MouseButton::Left => MouseButton::Left,
        ct::MouseButton::Right => MouseButton::Right,
        ct::MouseButton::Middle => MouseButton::Middle,
    };
    let kind = match m.kind {
        ct::MouseEventKind::Down(b) => MouseEventKind::Down(button(b)),
        ct::MouseEventKind::Up(b) => MouseEventKind::Up(button(b)),
        ct::MouseEventKind::Drag(b) => MouseEventKind::Drag(button(b)),
        ct::MouseEventKind::Moved => MouseEventKind::Moved,
        ct::MouseEventKind::ScrollDown => MouseEventKind::ScrollDown,
        ct::MouseEventKind::ScrollUp => MouseEventKind::ScrollUp,
        ct::MouseEventKind::ScrollLeft => MouseEventKind::ScrollLeft,
        ct::MouseEventKind::ScrollRight => MouseEventKind::ScrollRight,
    };
    MouseEvent {
        kind,
        column: m.column,
        row: m.row,
        modifiers: modifiers(m.modifiers),
    }
}

fn modifiers(m: ct::KeyModifiers) -> KeyModifiers {
    let mut out = KeyModifiers::NONE;
    for (theirs, ours) in [
        (ct::KeyModifiers::SHIFT, KeyModifiers::SHIFT),
        (ct::KeyModifiers::CONTROL, KeyModifiers::CONTROL),
        (ct::KeyModifiers::ALT, KeyModifiers::ALT),
        (ct::KeyModifiers::SUPER, KeyModifiers::SUPER),
        (ct::KeyModifiers::HYPER, KeyModifiers::HYPER),
        (ct::KeyModifiers::META, KeyModifiers::META),
    ] {
        if m.contains(theirs) {
            out |= ours;
        }
    }
    out
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
            .draw(|f| crate::tui::ui::draw(f, app))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_keys_keep_their_code_modifiers_and_kind() {
        let mut k = ct::KeyEvent::new(
            ct::KeyCode::Char('c'),
            ct::KeyModifiers::CONTROL | ct::KeyModifiers::SHIFT,
        );
        k.kind = ct::KeyEventKind::Release;
        let ours = key_event(k);
        assert_eq!(ours.code, KeyCode::Char('c'));
        assert!(ours
            .modifiers
            .contains(KeyModifiers::CONTROL | KeyModifiers::SHIFT));
        assert!(!ours.modifiers.intersects(KeyModifiers::ALT));
        assert_eq!(ours.kind, KeyEventKind::Release);
        let caps = ct::KeyEvent::new(ct::KeyCode::CapsLock, ct::KeyModifiers::NONE);
        assert_eq!(key_event(caps).code, KeyCode::Other);
    }
}
