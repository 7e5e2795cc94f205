//! `convoxc resources`: the rack-level resources of `convox rack resources` — list them (no
//! subcommand), create, show, change, delete, link and unlink one; list the types, show a type's
//! options, build a resource's stack template offline.

mod build;
mod create;
mod delete;
mod info;
mod kind;
mod link;
mod list;
mod options;
mod types;
mod update;

use crate::target::RackTarget;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ResourcesArgs {
    #[command(subcommand)]
    command: Option<ResourcesCommand>,
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = crate::args::ListFormat::Text)]
    format: crate::args::ListFormat,
    #[command(flatten)]
    target: RackTarget,
}

#[derive(Subcommand)]
enum ResourcesCommand {
    /// Create a resource: `convoxc resources create postgres MultiAZ=true` (named `<type>-NNNN`
    /// unless --name is given).
    Create(create::CreateArgs),
    /// A resource's type, status, options and URL (its password masked unless --reveal), and the
    /// apps linked to it.
    Info(info::InfoArgs),
    /// Change a resource's options: `convoxc resources update postgres-8458 MultiAZ=true`.
    Update(update::UpdateArgs),
    /// Delete a resource (saying first what is kept: a final snapshot, a retained bucket).
    Delete(delete::DeleteArgs),
    /// Link a resource to an app: its services get the resource's URL (as `<NAME>_URL`) with the
    /// app's next apply; a syslog resource receives the app's logs.
    Link(link::LinkArgs),
    /// Undo a link.
    Unlink(link::LinkArgs),
    /// List the resource types.
    Types,
    /// Print a type's options: NAME, DEFAULT and DESCRIPTION, sorted by name.
    Options(options::OptionsArgs),
    /// Compile a rack resource to its stack template (printed, or written to DIR/<name>.json).
    Build(build::BuildArgs),
}

impl ResourcesArgs {
    /// Whether the command talks to no network.
    pub fn offline(&self) -> bool {
        matches!(
            self.command,
            Some(ResourcesCommand::Types | ResourcesCommand::Options(_) | ResourcesCommand::Build(_))
        )
    }

    pub fn is_build(&self) -> bool {
        matches!(self.command, Some(ResourcesCommand::Build(_)))
    }
}

pub fn run(args: ResourcesArgs) -> ExitCode {
    match args.command {
        None => list::run(args.target, args.format),
        Some(ResourcesCommand::Create(a)) => create::run(a),
        Some(ResourcesCommand::Info(a)) => info::run(a),
        Some(ResourcesCommand::Update(a)) => update::run(a),
        Some(ResourcesCommand::Delete(a)) => delete::run(a),
        Some(ResourcesCommand::Link(a)) => link::run(a, true),
        Some(ResourcesCommand::Unlink(a)) => link::run(a, false),
        Some(ResourcesCommand::Types) => types::run(),
        Some(ResourcesCommand::Options(a)) => options::run(a),
        Some(ResourcesCommand::Build(a)) => build::run(a),
    }
}
