//! `convoxc restart [SERVICE]`: a new ECS deployment of the app's services (or one), followed to a
//! steady state (`ops/restart.rs`).

use crate::deploy::consent::Ask;
use crate::deploy::runtime;
use crate::deploy::say::{self, DeployFormat};
use crate::ops::Live;
use crate::ops::restart::restart;
use crate::target::AppTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct RestartArgs {
    /// Only this service (default: every service of the app).
    service: Option<String>,
    /// Lines for a person, or JSON lines (each step and ECS event, then one verdict).
    #[arg(long, value_enum, default_value_t = DeployFormat::Text)]
    format: DeployFormat,
    #[command(flatten)]
    ask: Ask,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(mut args: RestartArgs) -> ExitCode {
    say::set(args.format);
    let (rack, app) = match args.target.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    runtime::block_on(async move {
        let live = Live::open(&args.target.rack.aws, &rack, &app).await?;
        restart(&live, args.service.as_deref(), &args.ask).await
    })
}
