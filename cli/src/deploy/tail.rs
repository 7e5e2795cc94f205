//! Printing a log group, for `logs` and `rack logs`: one window of events after another
//! (`aws/logs.rs` reads them), each printed once, in time order, as text or JSON lines; a poll
//! every 2 s (`events::poll_interval`) until Ctrl-C, or once with `--no-follow`. Ctrl-C and a
//! closed pipe (`convoxc logs | head`) end it quietly, exit 0.

use crate::args::{ListFormat, USAGE};
use crate::aws::clients::{Clients, Error, Result};
use crate::aws::logs::{self, Event, Query, Seen};
use crate::deploy::events::poll_interval;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;

/// Where to start, what to keep, whether to follow, how to print.
#[derive(Args, Clone)]
pub struct TailArgs {
    /// Where to start: a duration back (30s, 10m, 2h, 1d, 1h30m) or an ISO-8601 time
    /// (2026-12-07T10:00:00Z). Default: 5m.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Only the lines that match this CloudWatch Logs filter pattern (`ERROR`, `"request failed"`,
    /// `{ $.level = "error" }`).
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Keep printing new lines until Ctrl-C (the default).
    #[arg(long, overrides_with = "no_follow")]
    follow: bool,
    /// Print the lines there are, then stop.
    #[arg(long, overrides_with = "follow")]
    no_follow: bool,
    /// Lines as `convox logs` prints them (time, stream, message), or one JSON object a line
    /// (time, service, task, stream, message).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

impl TailArgs {
    /// The first window's start (ms since the epoch), or a usage error.
    pub(crate) fn start(&self) -> std::result::Result<i64, ExitCode> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        logs::parse_since(self.since.as_deref().unwrap_or("5m"), now).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(USAGE)
        })
    }
}

/// Print the group's events from `start`, in the streams under `prefix`.
pub(crate) async fn tail(c: &Clients, group: &str, prefix: Option<&str>, args: &TailArgs, start: i64) -> Result<()> {
    let work = async {
        let mut seen = Seen::new(start);
        loop {
            let query = Query {
                group,
                prefix,
                pattern: args.filter.as_deref(),
                start: seen.start(),
            };
            let fresh = seen.fresh(logs::read(c, &query).await?);
            if !print(&fresh, args.format)? || args.no_follow || reader_gone() {
                return Ok(());
            }
            tokio::time::sleep(poll_interval()).await;
        }
    };
    tokio::select! {
        done = work => done,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// Whether stdout is a pipe whose reader has gone, though nothing was written to it since (a quiet
/// app under `convoxc logs | head -1` ends as soon as head has its line, not at the next line).
fn reader_gone() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout; POLLERR on a pipe's write end means no reader
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n == 1 && fd.revents & libc::POLLERR != 0
}

/// Write the lines to stdout: false when the reader has gone (a closed pipe).
pub(crate) fn print(events: &[Event], format: ListFormat) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    let written = events
        .iter()
        .try_for_each(|e| match format {
            ListFormat::Text => writeln!(out, "{}", logs::text_line(e)),
            ListFormat::Json => writeln!(out, "{}", logs::json_line(e)),
        })
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error(format!("cannot write to stdout: {e}"))),
    }
}
