//! `convoxc deploy`: build the images of the services built from source, push them to the app's
//! registry, and deploy the app with them — one command, one consent, one verdict
//! (`deploy/ship.rs`).

use crate::aws::clients::Clients;
use crate::commands::apply::{ApplyArgs, Start, start};
use crate::deploy::plan::{self, AppInput};
use crate::deploy::runtime;
use crate::deploy::ship::{Ship, ship};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// The container engine that builds and pushes: docker, podman, finch or nerdctl (a name or a
    /// path). Default: CONVOXC_ENGINE, else the first of them on PATH.
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// Build every image for this platform (default: what each service runs on: linux/amd64, or
    /// linux/arm64 on a rack of Graviton instances for services that do not run on Fargate).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

/// `convoxc deploy`.
pub(crate) fn run(mut args: DeployArgs) -> ExitCode {
    let Start {
        app,
        manifest,
        env_file,
    } = match start(&mut args.apply) {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime::block_on(async move {
        let a = &args.apply;
        let c = Clients::connect(&a.aws).await?;
        let rack = a.rack.as_deref().unwrap_or_default();
        let base = match a.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let input = AppInput {
            rack,
            app: &app,
            manifest,
            env_file,
            env: &a.env,
        };
        let prepared = plan::prepare(&c, input).await?;
        let s = Ship {
            rack,
            flags: &a.flags,
            build: a.build.as_deref(),
            engine: args.engine.as_deref(),
            platform: args.platform.as_deref(),
            base: &base,
        };
        ship(&c, prepared, s).await
    })
}
