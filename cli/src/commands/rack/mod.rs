//! `convoxc rack`: the rack (`rack` alone: its info), its stack (`rack build`, `rack apply`) and
//! its params (`rack params`, `rack params set`), its logs (`rack logs`).

mod apply;
mod build;
mod info;
mod logs;
mod params;

use crate::target::RackTarget;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RackArgs {
    #[command(subcommand)]
    command: Option<RackCommand>,
    #[command(flatten)]
    target: RackTarget,
}

#[derive(Subcommand)]
pub enum RackCommand {
    /// Compile the rack stack (network, cluster, instances, load balancers) from rack params.
    Build(build::BuildArgs),
    /// Deploy the rack stack: create a change set, execute it, follow it.
    Apply(apply::RackApplyArgs),
    /// The rack's params (NAME=VALUE); `rack params set K=V…` changes them through the rack's
    /// change set.
    Params(params::ParamsArgs),
    /// The rack's own logs (its CloudWatch log group), as `logs` prints an app's.
    Logs(logs::RackLogsArgs),
}

impl RackArgs {
    /// Whether the command talks to no network.
    pub fn offline(&self) -> bool {
        matches!(self.command, Some(RackCommand::Build(_)))
    }
}

pub fn run(args: RackArgs) -> ExitCode {
    match args.command {
        None => info::run(args.target),
        Some(RackCommand::Build(args)) => build::run(args),
        Some(RackCommand::Apply(args)) => apply::run(args),
        Some(RackCommand::Params(args)) => params::run(args),
        Some(RackCommand::Logs(args)) => logs::run(args),
    }
}
