//! `convoxc rack build`: the rack stack's template from rack params.

use crate::{Format, OutputArgs, USAGE, output, read, valid_name};
use clap::{Args, Subcommand};
use convoxc_compiler::{Input, SourceFile, load};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RackCommand {
    /// Compile the rack stack (network, cluster, instances, load balancers) from rack params.
    Build(BuildArgs),
    /// Deploy the rack stack: create a change set, execute it, follow it.
    Apply(crate::apply::RackApplyArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// The rack's name: its stack name and the prefix of its exports.
    #[arg(long, default_value = "convox")]
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

pub fn run(command: RackCommand) -> ExitCode {
    match command {
        RackCommand::Build(args) => build(args),
        RackCommand::Apply(args) => crate::apply::rack_apply(args),
    }
}

/// The rack stack's template from rack params (convox's defaults without a file); diagnostics
/// are printed. Used by `rack build` and `rack apply`.
pub fn compile(
    name: &str,
    rack_params: Option<&std::path::Path>,
    diagnostics: Format,
) -> Result<convoxc_compiler::back::Template, ExitCode> {
    let params = match rack_params {
        Some(path) => read(path)?,
        // no file: every param at its default (the problems then point at this empty document)
        None => SourceFile::new("(no --rack-params: defaults)".to_string(), String::new()),
    };
    let mut loaded = load(Input {
        rack_params: Some(params),
        ..Input::default()
    });
    loaded.check_rack_stack();
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, diagnostics);
    }
    let Some(params) = loaded.rack.as_ref().filter(|_| !loaded.has_errors()) else {
        return Err(ExitCode::from(1));
    };
    convoxc_compiler::back::rack::build(name, params).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(1)
    })
}

fn build(args: BuildArgs) -> ExitCode {
    if let Err(e) = valid_name("rack", &args.name) {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    let template = match compile(&args.name, args.rack_params.as_deref(), args.output.diagnostics) {
        Ok(t) => t,
        Err(code) => return code,
    };
    crate::emit(&template, &args.output, args.out_dir.as_deref(), "rack")
}
