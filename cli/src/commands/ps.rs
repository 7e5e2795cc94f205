//! `convoxc ps`: the app's tasks (services', timers' and one-offs'), as a table or JSON;
//! `ps stop TASK` stops one after asking (`ops/ps.rs`).

use crate::args::ListFormat;
use crate::deploy::consent::Ask;
use crate::deploy::runtime;
use crate::ops::{Live, ps};
use crate::target::AppTarget;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PsArgs {
    #[command(subcommand)]
    command: Option<PsCommand>,
    /// Only this service's tasks (its one-offs included).
    #[arg(long, short = 's', value_name = "NAME")]
    service: Option<String>,
    /// A table, or JSON (an array of tasks).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Subcommand)]
enum PsCommand {
    /// Stop a task (its ID, or the start of it): a service's is replaced by its service, a
    /// one-off's command ends.
    Stop(StopArgs),
}

#[derive(Args)]
struct StopArgs {
    /// The task's ID (as `ps` shows it), or enough of its start to name one.
    task: String,
    #[command(flatten)]
    ask: Ask,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(args: PsArgs) -> ExitCode {
    match args.command {
        Some(PsCommand::Stop(mut s)) => match s.target.resolve() {
            Ok((rack, app)) => runtime::block_on(async move {
                let live = Live::open(&s.target.rack.aws, &rack, &app).await?;
                ps::stop(&live, &s.task, &s.ask).await
            }),
            Err(code) => code,
        },
        None => {
            let mut target = args.target;
            match target.resolve() {
                Ok((rack, app)) => runtime::block_on(async move {
                    let live = Live::open(&target.rack.aws, &rack, &app).await?;
                    let rows = ps::rows(&live, args.service.as_deref()).await?;
                    ps::print(&rows, args.format);
                    if rows.is_empty() && args.format == ListFormat::Text {
                        eprintln!("app {app} has no running tasks");
                    }
                    Ok(())
                }),
                Err(code) => code,
            }
        }
    }
}
