use std::process::ExitCode;

// A fifth of the client's CPU on small-object copies went to glibc's
// malloc/free (the SDK allocates per request); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use s3ferry::cli::{Cli, Command, Exit};
use s3ferry::config::{self, Config};

fn one_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Logs go to a file: the TUI owns the terminal and CLI output must stay clean.
fn init_logging() {
    let dir = config::data_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("s3ferry.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("S3FERRY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,s3s=off")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Runtime threads: the configured number, else half the cores for the
/// headless commands (see `worker_threads` in assets/config.toml) and all of
/// them for a server or the TUI, which draws on the same runtime.
fn worker_threads(cli: &Cli, config: &Config) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let interactive = matches!(
        cli.command,
        None | Some(Command::Tui(_) | Command::Sandbox(_) | Command::Demo(_))
    );
    match config.engine.worker_threads {
        0 if interactive => cores,
        0 => (cores / 2).max(1),
        n => n,
    }
}

fn code(exit: Exit) -> ExitCode {
    ExitCode::from(u8::try_from(exit.0).unwrap_or(1))
}

fn main() -> ExitCode {
    let cli = match Cli::parse_ordered() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return code(if e.use_stderr() {
                Exit::USAGE
            } else {
                Exit::OK
            });
        }
    };
    init_logging();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return code(Exit::USAGE);
        }
    };
    let read_timeout = match &cli.read_timeout {
        Some(flag) => config::parse_duration(flag).map_err(|e| format!("--read-timeout: {e}")),
        None => config.engine.read_timeout(),
    };
    match read_timeout {
        Ok(t) => s3ferry::s3::net::set_read_timeout(t),
        Err(e) => {
            eprintln!("error: {e}");
            return code(Exit::USAGE);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads(&cli, &config))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return code(Exit::FAILURE);
        }
    };
    let result = runtime.block_on(s3ferry::cli::run(cli, config));
    // Do not wait for stray background tasks (e.g. a server) on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(exit) => code(exit),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {}", one_line(&e));
            code(Exit::of_error(&e))
        }
    }
}
