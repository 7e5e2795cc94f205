//! Asking before a change set is executed: `--yes`, `--no-execute`, or a question on the terminal.

use crate::aws::clients::{Result, err};
use crate::deploy::say::{self, DeployFormat};
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
    /// Go ahead with a change that destroys data (a database, cache, volume, bucket… replaced or
    /// removed): without it, such a change is not executed with --yes, and asks for `destroy` on a
    /// terminal.
    #[arg(long)]
    pub allow_destroy: bool,
    /// What goes to stdout: text, or JSON lines for CI (the change set, each stack event, and a
    /// last `verdict` line); questions go to stderr then.
    #[arg(long, value_enum, default_value_t = DeployFormat::Text)]
    pub format: DeployFormat,
    /// Stop following a deploy that shows no progress (no stack or ECS event) for this long —
    /// `30m`, `90s`, `1h`, or minutes; `0` waits for ever (default: CONVOXC_DEPLOY_WAIT, else 30m).
    /// CloudFormation carries on; it says how to follow again or cancel.
    #[arg(long, value_name = "DURATION", value_parser = crate::deploy::follow::parse_wait)]
    pub wait: Option<std::time::Duration>,
}

/// Ask before executing a change set. `destroys`: what it destroys (each a line), which needs
/// `--allow-destroy`, or `destroy` typed on a terminal. Ctrl-C while asking is a refusal.
pub(crate) async fn consent(flags: &Flags, question: &str, destroys: &[String]) -> Result<()> {
    if !destroys.is_empty() && !flags.allow_destroy {
        let list = destroys.join("\n  ");
        if flags.yes || !std::io::stdin().is_terminal() {
            return err(format!(
                "this change destroys data, and --allow-destroy was not given:\n  {list}\n  nothing was executed; \
                 review it, then run again with --allow-destroy to go ahead"
            ));
        }
        say::prompt(&format!("This change DESTROYS DATA:\n  {list}\n"));
        return match ask(&format!("{question} Type `destroy` to go ahead:")).await? {
            a if a == "destroy" => Ok(()),
            _ => err("not executed (the answer was not `destroy`)"),
        };
    }
    if flags.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return err(
            "not asking on a non-terminal: use --yes to go ahead, or --no-execute to stop after the change set",
        );
    }
    match ask(&format!("{question} [y/N]")).await? {
        a if matches!(a.as_str(), "y" | "Y" | "yes") => Ok(()),
        _ => err("not executed (the answer was not yes)"),
    }
}

/// Print a question and read the answer from the terminal; Ctrl-C is an error.
pub(crate) async fn ask(question: &str) -> Result<String> {
    say::prompt(&format!("{question} "));
    let read = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        answer.trim().to_string()
    });
    tokio::select! {
        a = read => Ok(a.unwrap_or_default()),
        _ = tokio::signal::ctrl_c() => {
            say::prompt("\n");
            err("interrupted while asking: not executed")
        }
    }
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
    say::prompt(&format!("{question} [y/N] "));
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        err("not executed (answer was not yes)")
    }
}

/// `--yes` of a command that changes nothing in the stacks but acts on what runs (`run`, `ps stop`,
/// `restart`): it asks first on a terminal, and needs `--yes` elsewhere.
#[derive(Args, Clone, Debug)]
pub struct Ask {
    /// Go ahead without asking (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
}

impl Ask {
    /// Ask `question` (a y/N answer), unless --yes; refused on a non-terminal without --yes.
    pub(crate) async fn ask(&self, question: &str) -> Result<()> {
        if self.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return err("not asking on a non-terminal: use --yes to go ahead");
        }
        match ask(&format!("{question} [y/N]")).await? {
            a if matches!(a.as_str(), "y" | "Y" | "yes") => Ok(()),
            _ => err("not done (the answer was not yes)"),
        }
    }
}
