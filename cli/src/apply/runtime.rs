//! Running an async applier command to an exit code.

use super::aws::{Error, Result};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Run an async applier command: errors print as `error: …` (exit 1); Ctrl-C stops waiting and
/// says how to pick up (nothing local is half-done: CloudFormation carries on by itself).
pub(crate) fn run(stack_hint: String, fut: impl std::future::Future<Output = Result<()>>) -> ExitCode {
    let interrupted = async move {
        let _ = tokio::signal::ctrl_c().await;
        Error(format!(
            "interrupted: stopped following {stack_hint}. CloudFormation carries on with what it was doing; \
             run the same command again to pick the stack up where it is (it waits for a running operation to settle)"
        ))
    };
    block_on(async {
        tokio::select! {
            r = fut => r,
            e = interrupted => Err(e),
        }
    })
}

/// Run an async command that handles Ctrl-C itself (to clean up what it made).
pub(crate) fn block_on(fut: impl std::future::Future<Output = Result<()>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            events_finish_line();
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn events_finish_line() {
    if std::io::stdout().is_terminal() {
        print!("\r\x1b[K");
    }
}
