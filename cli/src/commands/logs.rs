//! `convoxc logs`: an app's logs, from its CloudWatch log group (the app stack's `LogGroup`), every
//! service's and timer's lines prefixed by their stream (`service/web/<task>`), following by
//! default (`deploy/tail.rs`).

use crate::aws::apps;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::logs::{log_group, service_prefix};
use crate::deploy::runtime;
use crate::deploy::tail::{TailArgs, tail};
use crate::target::AppTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct LogsArgs {
    /// Only this service's lines (its log streams, `service/NAME/…`).
    #[arg(long, short = 's', value_name = "NAME")]
    service: Option<String>,
    #[command(flatten)]
    tail: TailArgs,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(mut args: LogsArgs) -> ExitCode {
    let (rack, app) = match args.target.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    match args.tail.start() {
        Ok(start) => runtime::block_on(logs(args, rack, app, start)),
        Err(code) => code,
    }
}

async fn logs(args: LogsArgs, rack: String, app: String, start: i64) -> Result<()> {
    let c = Clients::connect(&args.target.rack.aws).await?;
    let all = apps::list(&c, &rack).await?;
    let Some(a) = all.iter().find(|a| a.name == app) else {
        return err(apps::missing(&rack, &app, &all));
    };
    let group = log_group(&c, &a.stack, &format!("app {app}")).await?;
    let prefix = args.service.as_deref().map(service_prefix);
    tail(&c, &group, prefix.as_deref(), &args.tail, start).await
}
