//! `convoxc rack logs`: the rack's own log group (the rack stack's `LogGroup`), as `logs` prints an
//! app's (`deploy/tail.rs`).

use crate::aws::clients::{Clients, Result};
use crate::aws::logs::log_group;
use crate::aws::rack_stack::rack_stack;
use crate::deploy::runtime;
use crate::deploy::tail::{TailArgs, tail};
use crate::target::RackTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct RackLogsArgs {
    #[command(flatten)]
    tail: TailArgs,
    #[command(flatten)]
    target: RackTarget,
}

pub(crate) fn run(mut args: RackLogsArgs) -> ExitCode {
    let rack = match args.target.rack() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match args.tail.start() {
        Ok(start) => runtime::block_on(logs(args, rack, start)),
        Err(code) => code,
    }
}

async fn logs(args: RackLogsArgs, rack: String, start: i64) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let stack = rack_stack(&c, &rack).await?;
    let group = log_group(&c, &stack, &format!("rack {rack}")).await?;
    tail(&c, &group, None, &args.tail, start).await
}
