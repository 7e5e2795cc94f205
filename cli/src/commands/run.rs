//! `convoxc run SERVICE COMMAND…`: a one-off task of the service's task definition, its command
//! overridden (`ops/run.rs`); exits with the command's exit code.

use crate::args::{ListFormat, USAGE};
use crate::deploy::consent::Ask;
use crate::deploy::runtime;
use crate::deploy::say::{self, DeployFormat};
use crate::ops::Live;
use crate::ops::run::{Spec, run as run_task};
use crate::target::AppTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct RunArgs {
    /// The service whose task definition, network and launch type the task takes.
    service: String,
    /// The command (several words: run as given; one word with spaces or shell syntax: through
    /// `sh -c`). Words that start with `-` go after `--`: `run web -- ls -la`.
    #[arg(required = true, value_name = "COMMAND")]
    command: Vec<String>,
    /// Run the service's image of this release (an ID of `convoxc releases`, e.g. one held by
    /// `deploy --no-execute`: a migration before the new build takes traffic), or this task
    /// definition (an ARN or `family:revision`), instead of what the service runs now.
    #[arg(long, value_name = "ID")]
    release: Option<String>,
    /// Print the task's ID and return, without following it.
    #[arg(long, short = 'd')]
    detach: bool,
    /// CPU units for the task (the service's otherwise).
    #[arg(long, value_name = "UNITS")]
    cpu: Option<u32>,
    /// Memory (MiB) for the task (the service's otherwise).
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// The task's log lines as text, or JSON lines (with the steps as events).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    ask: Ask,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(mut args: RunArgs) -> ExitCode {
    let (rack, app) = match args.target.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    if args.cpu == Some(0) || args.memory == Some(0) {
        eprintln!("error: --cpu and --memory take a positive number");
        return ExitCode::from(USAGE);
    }
    if args.format == ListFormat::Json {
        say::set(DeployFormat::Json);
    } else {
        // stdout is the task's output; convoxc's own lines go to stderr
        say::steps_to_stderr();
    }
    runtime::block_on_code(async move {
        let live = Live::open(&args.target.rack.aws, &rack, &app).await?;
        let spec = Spec {
            service: &args.service,
            command: &args.command,
            release: args.release.clone(),
            detach: args.detach,
            cpu: args.cpu,
            memory: args.memory,
            format: args.format,
            ask: &args.ask,
        };
        run_task(&live, spec).await
    })
}
