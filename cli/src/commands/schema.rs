//! `convoxc schema`: the JSON Schema for convox.yml (or for rack params).

use clap::Args;
use convoxc_compiler::front::schema::{MANIFEST, rack_params_text};
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct SchemaArgs {
    /// Print the rack-params schema instead.
    #[arg(long)]
    rack_params: bool,
}

pub(crate) fn run(args: SchemaArgs) -> ExitCode {
    if args.rack_params {
        print!("{}", rack_params_text());
    } else {
        print!("{}", MANIFEST);
    }
    ExitCode::SUCCESS
}
