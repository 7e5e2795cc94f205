//! `convoxc resources build`: a rack resource's stack template.

use super::kind::kind;
use crate::args::OutputArgs;
use crate::emit::emit;
use crate::input::read;
use crate::output;
use clap::Args;
use convoxc_compiler::front::rack_resource::Request;
use convoxc_compiler::{back, front};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BuildArgs {
    /// The resource type (see `convoxc resources types`).
    r#type: String,
    /// Options as KEY=VALUE (`allocated-storage=50` or `AllocatedStorage=50`).
    #[arg(value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// The resource's name: its stack is `<rack>-<name>`.
    #[arg(long)]
    name: String,
    /// Rack parameters (a JSON or YAML map): `Private: Yes` puts the resource in private subnets.
    #[arg(long, value_name = "FILE")]
    rack_params: Option<PathBuf>,
    /// The rack's name: the default of the template's Rack parameter (`--rack-name`: deprecated).
    #[arg(long = "rack", alias = "rack-name", value_name = "NAME")]
    rack_name: Option<String>,
    /// Write <name>.json (or .yaml) here instead of printing the template.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: BuildArgs) -> ExitCode {
    let kind = match kind(&args.r#type) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let rack_params = match args.rack_params.as_deref().map(read).transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let loaded = front::rack_resource::load(Request {
        kind,
        name: args.name.clone(),
        options: args.options,
        rack: args.rack_name,
        rack_params,
    });
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, args.output.diagnostics);
    }
    let Some(resource) = &loaded.resource else {
        return ExitCode::from(1);
    };
    let template = match back::rack_resource::build(resource) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    emit(&template, &args.output, args.out_dir.as_deref(), &args.name)
}
