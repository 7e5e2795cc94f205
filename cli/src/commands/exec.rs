//! `convoxc exec TASK|SERVICE [COMMAND…]`: a command in a running container through ECS Exec and
//! AWS's session-manager-plugin (`ops/exec.rs`).

use crate::deploy::runtime;
use crate::ops::Live;
use crate::ops::exec::{Exec, exec};
use crate::target::AppTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct ExecArgs {
    /// A task's ID (or its start), or a service (its first running task).
    target: String,
    /// The command (default: sh). Words that start with `-` go after `--`: `exec web -- ls -la`.
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
    #[command(flatten)]
    app: AppTarget,
}

pub(crate) fn run(mut args: ExecArgs) -> ExitCode {
    let (rack, app) = match args.app.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    runtime::block_on_code(async move {
        let aws = &args.app.rack.aws;
        let live = Live::open(aws, &rack, &app).await?;
        let x = Exec {
            target: &args.target,
            command: &args.command,
            profile: aws.profile.as_deref(),
            endpoint: aws.endpoint_url.as_deref(),
        };
        exec(&live, x).await
    })
}
