//! `convoxc rack build`: the rack stack's template from rack params.

use crate::{OutputArgs, USAGE, output, read, valid_name};
use clap::{Args, Subcommand};
use convoxc_compiler::{Input, SourceFile, load};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RackCommand {
    /// Compile the rack stack (network, cluster, instances, load balancers) from rack params.
    Build(BuildArgs),
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
    }
}

fn build(args: BuildArgs) -> ExitCode {
    if let Err(e) = valid_name("rack", &args.name) {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    let params = match &args.rack_params {
        Some(path) => match read(path) {
            Ok(f) => f,
            Err(code) => return code,
        },
        // no file: every param at its default (the problems then point at this empty document)
        None => SourceFile::new("(no --rack-params: defaults)".to_string(), String::new()),
    };
    let mut loaded = load(Input {
        rack_params: Some(params),
        ..Input::default()
    });
    loaded.check_rack_stack();
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, args.output.diagnostics);
    }
    let Some(params) = loaded.rack.as_ref().filter(|_| !loaded.has_errors()) else {
        return ExitCode::from(1);
    };
    let template = match convoxc_compiler::rack::stack::build(&args.name, params) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let text = args.output.format.render(&template);
    match &args.out_dir {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(dir) => {
            let path = dir.join(format!("rack.{}", args.output.format.extension()));
            match std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, text)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    ExitCode::from(1)
                }
            }
        }
    }
}
