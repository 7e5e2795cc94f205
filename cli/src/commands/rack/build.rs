//! `convoxc rack build`: the rack stack's template from rack params.

use crate::args::{OutputArgs, USAGE};
use crate::compile::rack_template;
use crate::emit::emit;
use crate::names::valid_name;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BuildArgs {
    /// The rack's name: its stack name and the prefix of its exports (`--name`: deprecated).
    #[arg(long = "rack", alias = "name", value_name = "NAME", default_value = "convox")]
    name: String,
    /// Rack parameters (a JSON or YAML map of NAME: value). convox's defaults apply to the rest.
    #[arg(long, value_name = "FILE")]
    rack_params: Option<PathBuf>,
    /// Write rack.json here instead of printing it.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: BuildArgs) -> ExitCode {
    if let Err(e) = valid_name("rack", &args.name) {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    let template = match rack_template(&args.name, args.rack_params.as_deref(), args.output.diagnostics) {
        Ok(t) => t,
        Err(code) => return code,
    };
    emit(&template, &args.output, args.out_dir.as_deref(), "rack")
}
