//! `convoxc resources`: the rack-level resources of `convox rack resources` — list the types, show
//! a type's options, build a resource's stack template.

mod build;
mod kind;
mod options;
mod types;

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ResourcesCommand {
    /// List the resource types.
    Types,
    /// Print a type's options: NAME, DEFAULT and DESCRIPTION, sorted by name.
    Options(options::OptionsArgs),
    /// Compile a rack resource to its stack template (printed, or written to DIR/<name>.json).
    Build(build::BuildArgs),
}

pub fn run(command: ResourcesCommand) -> ExitCode {
    match command {
        ResourcesCommand::Types => types::run(),
        ResourcesCommand::Options(args) => options::run(args),
        ResourcesCommand::Build(args) => build::run(args),
    }
}
