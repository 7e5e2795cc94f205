//! `convoxc scale`: each service's desired and running tasks, cpu and memory; `scale SERVICE
//! --count N|MIN-MAX --cpu N --memory N` changes that service's formation in the deployed app through a
//! change set, with the report and consent of every deploy (`ops/scale.rs`).

use crate::args::{ListFormat, USAGE};
use crate::deploy::consent::Flags;
use crate::deploy::runtime;
use crate::deploy::say::{self, DeployFormat};
use crate::ops::Live;
use crate::ops::scale::{self, Change, Count, parse_count};
use crate::target::AppTarget;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ScaleArgs {
    /// The service to scale (none: list every service's scale).
    service: Option<String>,
    /// Tasks to run: N, or MIN-MAX for the bounds of an autoscaled service.
    #[arg(long, value_name = "N|MIN-MAX", value_parser = parse_count)]
    count: Option<Count>,
    /// CPU units of each task.
    #[arg(long, value_name = "UNITS")]
    cpu: Option<u32>,
    /// Memory (MiB) of each task.
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// The app's convox.yml, read (when it is there) only to say what the next deploy does to
    /// this scale.
    #[arg(long, short = 'f', value_name = "FILE", default_value = "convox.yml")]
    file: PathBuf,
    #[command(flatten)]
    flags: Flags,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(mut args: ScaleArgs) -> ExitCode {
    let (rack, app) = match args.target.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let change = Change {
        count: match args.count {
            Some(Count::Fixed(n)) => Some(n),
            _ => None,
        },
        range: match args.count {
            Some(Count::Range(lo, hi)) => Some((lo, hi)),
            _ => None,
        },
        cpu: args.cpu,
        memory: args.memory,
    };
    if args.cpu == Some(0) || args.memory == Some(0) {
        eprintln!("error: --cpu and --memory take a positive number");
        return ExitCode::from(USAGE);
    }
    let Some(service) = args.service.clone() else {
        if change != Change::default() {
            eprintln!("error: name the service to scale: convoxc scale SERVICE --count N");
            return ExitCode::from(USAGE);
        }
        // the listing: a table, or (--format json) a JSON array
        let format = if args.flags.format == DeployFormat::Json {
            ListFormat::Json
        } else {
            ListFormat::Text
        };
        return runtime::block_on(async move {
            let live = Live::open(&args.target.rack.aws, &rack, &app).await?;
            scale::list(&live, format).await
        });
    };
    if change == Change::default() {
        eprintln!("error: say what to change: --count N, --cpu UNITS, --memory MIB");
        return ExitCode::from(USAGE);
    }
    say::set(args.flags.format);
    let manifest = std::fs::read_to_string(&args.file).ok();
    runtime::block_on(async move {
        let live = Live::open(&args.target.rack.aws, &rack, &app).await?;
        scale::apply(&live, &service, &change, &args.flags, manifest.as_deref()).await
    })
}
