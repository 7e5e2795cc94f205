//! `convoxc build`: compile convox.yml to the app stack's templates.

use crate::args::{ManifestArgs, OutputArgs, USAGE, parse_pair};
use crate::compile::{compile_keeping, env_names};
use crate::emit::write_bundle;
use crate::input::{input, read_bundle};
use crate::names::app_name;
use clap::Args;
use convoxc_compiler::back::BuildOptions;
use convoxc_compiler::load;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    app: Option<String>,
    /// The rack's name: the default of the app stack's Rack parameter (`--rack-name`: deprecated).
    #[arg(long = "rack", alias = "rack-name", value_name = "NAME")]
    rack_name: Option<String>,
    /// What is deployed, as a bundle folder (`build --out-dir`'s, or a convox-made one with its
    /// meta.json): an existing resource keeps a create-only value that convoxc writes otherwise on
    /// purpose (a certificate's validation, a scaling policy's name), so that nothing is replaced for it.
    #[arg(long, value_name = "DIR")]
    deployed: Option<PathBuf>,
    /// The SSM version a value will have once deployed (repeatable): the services reading it get
    /// `CONVOXC_ENV_REVISION` as `apply` gives it, to reproduce an apply's templates offline.
    #[arg(long, value_name = "NAME=VERSION", value_parser = parse_version)]
    env_version: Vec<(String, i64)>,
    /// Write app.json and services/, timers/, resources/ templates here instead of printing app.json:
    /// DIR then holds exactly this bundle (and `.convoxc-bundle`, the list of what convoxc wrote);
    /// a DIR holding any file convoxc did not write is refused.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

fn parse_version(s: &str) -> Result<(String, i64), String> {
    let (k, v) = parse_pair(s)?;
    let n = v
        .parse()
        .map_err(|_| format!("expected NAME=VERSION (a number), got `{s}`"))?;
    Ok((k, n))
}

pub(crate) fn run(args: BuildArgs) -> ExitCode {
    let app = match app_name(args.app.as_deref(), &args.manifest.file) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let input = match input(&args.manifest, args.output.diagnostics) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let options = BuildOptions {
        app,
        rack: args.rack_name.clone(),
        env_names: env_names(&input),
        env_versions: args.env_version.iter().cloned().collect(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    let loaded = load(input);
    let deployed = match args.deployed.as_deref().map(read_bundle).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let Some(bundle) = compile_keeping(&loaded, &options, args.output.diagnostics, deployed.as_ref()) else {
        return ExitCode::from(1);
    };
    // the process ends after writing: freeing the bundle's JSON trees would only cost time
    let bundle = std::mem::ManuallyDrop::new(bundle);
    match &args.out_dir {
        None => {
            print!("{}", args.output.format.render(&bundle.app));
            ExitCode::SUCCESS
        }
        Some(dir) => {
            let ext = args.output.format.extension();
            let mut files = vec![(format!("app.{ext}"), args.output.format.render(&bundle.app))];
            files.extend(
                bundle
                    .nested()
                    .map(|(rel, t)| (rel.replace(".json", &format!(".{ext}")), args.output.format.render(t))),
            );
            match write_bundle(dir, &files) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
