//! `convoxc deploy`: build the images of the services built from source, push them to the app's
//! registry, and deploy the app with them — one command, one consent, one verdict
//! (`deploy/ship.rs`).

use crate::aws::clients::{Clients, Result};
use crate::commands::apply::{ApplyArgs, Start, start};
use crate::deploy::plan::{self, AppInput, Prepared};
use crate::deploy::runtime;
use crate::deploy::ship::{Ship, ship};
use clap::Args;
use std::path::{Path, PathBuf};
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
    let start = match start(&mut args.apply) {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime::block_on(async move {
        let a = &args.apply;
        let (c, prepared) = prepare(a, start).await?;
        let base = manifest_dir(&a.file);
        let s = Ship {
            rack: a.rack.as_deref().unwrap_or_default(),
            flags: &a.flags,
            build: a.build.as_deref(),
            engine: args.engine.as_deref(),
            platform: args.platform.as_deref(),
            base: &base,
        };
        ship(&c, prepared, s).await
    })
}

/// The manifest's folder: build paths are relative to it.
pub(crate) fn manifest_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Connect, and load the app against its rack and stored environment: where `deploy` and
/// `images push` start.
pub(crate) async fn prepare(a: &ApplyArgs, start: Start) -> Result<(Clients, Prepared)> {
    let c = Clients::connect(&a.aws).await?;
    let input = AppInput {
        rack: a.rack.as_deref().unwrap_or_default(),
        app: &start.app,
        manifest: start.manifest,
        env_file: start.env_file,
        env: &a.env,
    };
    let prepared = plan::prepare(&c, input).await?;
    Ok((c, prepared))
}
