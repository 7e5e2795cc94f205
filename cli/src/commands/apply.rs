//! `convoxc apply`: deploy an app to a rack.

use crate::args::{USAGE, parse_pair};
use crate::aws::clients::{AwsArgs, Clients, Result};
use crate::deploy::app::{AppDeploy, deploy_app};
use crate::deploy::consent::Flags;
use crate::deploy::plan::{self, AppInput};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::deploy::settle::settle;
use crate::images::resolve;
use crate::input::read;
use crate::names::app_name;
use clap::Args;
use convoxc_compiler::SourceFile;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ApplyArgs {
    /// The manifest to deploy.
    #[arg(default_value = "convox.yml")]
    pub file: PathBuf,
    /// The rack's stack name: the app stack is `<rack>-<app>`, its templates go to the rack's
    /// settings bucket (default: the current rack, `convoxc switch`).
    #[arg(long)]
    pub rack: Option<String>,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    pub app: Option<String>,
    /// Set an environment variable (repeatable). Stored in SSM as a SecureString, never in a template.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub env: Vec<(String, String)>,
    /// Read environment variables from a file of KEY=VALUE lines (applied before -e).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The build to run, pushed before (`convoxc images push`, or convox's builder): each built
    /// service runs its image `<service>.<build>` in the app's registry, checked to be there
    /// before anything changes. Default: the build each service runs now. `convoxc deploy` builds
    /// and pushes instead.
    #[arg(long, value_name = "ID", value_parser = crate::args::parse_build)]
    pub build: Option<String>,
    #[command(flatten)]
    pub flags: Flags,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// What `apply` and `deploy` read before they reach AWS: the app's name, the manifest, the env file.
pub(crate) struct Start {
    pub app: String,
    pub manifest: SourceFile,
    pub env_file: Option<SourceFile>,
}

/// The app's name, the manifest and the env file, or the exit code of what is wrong.
pub(crate) fn start(args: &mut ApplyArgs) -> std::result::Result<Start, ExitCode> {
    say::set(args.flags.format);
    crate::current::fill(&mut args.rack)?;
    let app = app_name(args.app.as_deref(), &args.file).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(USAGE)
    })?;
    let manifest = read(&args.file)?;
    let env_file = args.env_file.as_deref().map(read).transpose()?;
    Ok(Start {
        app,
        manifest,
        env_file,
    })
}

/// `convoxc apply`.
pub(crate) fn run(mut args: ApplyArgs) -> ExitCode {
    let Start {
        app,
        manifest,
        env_file,
    } = match start(&mut args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Ctrl-C: before anything is made, it just stops; from the change set on, the deploy handles it
    runtime::block_on(apply_app(args, app, manifest, env_file))
}

async fn apply_app(args: ApplyArgs, app: String, manifest: SourceFile, env_file: Option<SourceFile>) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let rack = args.rack.as_deref().unwrap_or_default();
    let input = AppInput {
        rack,
        app: &app,
        manifest,
        env_file,
        env: &args.env,
    };
    let prepared = plan::prepare(&c, input).await?;
    let builds = resolve::builds_for(&c, &prepared, args.build.as_deref()).await?;
    let compiled = prepared.compile(builds, args.build.as_deref())?;
    let existing = settle(&c, &compiled.stack_name, &args.flags).await?;
    resolve::check_present(&c, &compiled, args.build.as_deref(), existing.as_ref()).await?;
    let d = AppDeploy {
        rack,
        app: &app,
        compiled: &compiled,
        build: args.build.as_deref(),
        flags: &args.flags,
        consented: false,
    };
    deploy_app(&c, d, existing).await
}
