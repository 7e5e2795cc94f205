//! `convoxc lsp`: the language server over stdio, for editors (README: Editors).

use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct LspArgs {
    /// Talk over stdin and stdout (the only transport; accepted because clients pass it).
    #[arg(long)]
    stdio: bool,
}

pub(crate) fn run(_args: LspArgs) -> ExitCode {
    match crate::lsp::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: convoxc lsp: {e}");
            ExitCode::from(1)
        }
    }
}
