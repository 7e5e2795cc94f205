//! `convoxc rack`: the rack stack (`rack build`, `rack apply`).

mod apply;
mod build;

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RackCommand {
    /// Compile the rack stack (network, cluster, instances, load balancers) from rack params.
    Build(build::BuildArgs),
    /// Deploy the rack stack: create a change set, execute it, follow it.
    Apply(apply::RackApplyArgs),
}

pub fn run(command: RackCommand) -> ExitCode {
    match command {
        RackCommand::Build(args) => build::run(args),
        RackCommand::Apply(args) => apply::run(args),
    }
}
