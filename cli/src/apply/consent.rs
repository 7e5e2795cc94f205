//! Asking before a change set is executed: `--yes`, `--no-execute`, or a question on the terminal.

use super::aws::{Result, err};
use clap::Args;
use std::io::IsTerminal;

/// Shared by `apply` and `rack apply`.
#[derive(Args, Clone, Debug)]
pub struct Flags {
    /// Execute the change set without asking (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Stop after printing the change set (it is left for review).
    #[arg(long, conflicts_with = "yes")]
    pub no_execute: bool,
}

pub(crate) fn confirm(flags: &Flags, question: &str) -> Result<()> {
    if flags.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return err(
            "not asking on a non-terminal: use --yes to go ahead, or --no-execute to stop after the change set",
        );
    }
    print!("{question} [y/N] ");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        err("not executed (answer was not yes)")
    }
}
