//! Running an async applier command to an exit code.

use crate::aws::clients::Result;
use std::io::IsTerminal;
use std::process::ExitCode;

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
            crate::deploy::say::error_verdict(&e.0);
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn events_finish_line() {
    if std::io::stdout().is_terminal() && !crate::deploy::say::json() {
        print!("\r\x1b[K");
    }
}

/// Run an async command whose success has its own exit code (`run`: the container's; `exec`: the
/// session's).
pub(crate) fn block_on_code(fut: impl std::future::Future<Output = Result<u8>>) -> ExitCode {
    let mut code = 0;
    let exit = block_on(async {
        code = fut.await?;
        Ok(())
    });
    if exit == ExitCode::SUCCESS {
        ExitCode::from(code)
    } else {
        exit
    }
}
