//! `convoxc racks`: the racks in the account and region the AWS configuration reaches, convoxc's
//! and convox's told apart (`apply/rack_stack.rs` says how).

use crate::apply::aws::{AwsArgs, Clients, Result};
use crate::apply::{rack_stack, runtime};
use crate::args::ListFormat;
use clap::Args;
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
pub struct RacksArgs {
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub(crate) fn run(args: RacksArgs) -> ExitCode {
    runtime::block_on(list(args))
}

async fn list(args: RacksArgs) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let racks = rack_stack::racks(&c).await?;
    match args.format {
        ListFormat::Json => {
            let list: Vec<_> = racks
                .iter()
                .map(|(n, s, k)| json!({"name": n, "status": s, "region": c.region, "kind": k}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        }
        ListFormat::Text => {
            let w = racks.iter().map(|(n, ..)| n.len()).max().unwrap_or(0).max(4);
            let ws = racks.iter().map(|(_, s, _)| s.len()).max().unwrap_or(0).max(6);
            let wr = c.region.len().max(6);
            println!("{:w$}  {:ws$}  {:wr$}  KIND", "NAME", "STATUS", "REGION");
            for (n, s, k) in &racks {
                println!("{n:w$}  {s:ws$}  {:wr$}  {k}", c.region);
            }
            if racks.is_empty() {
                eprintln!("no racks in {} (check --region and --profile)", c.region);
            }
        }
    }
    Ok(())
}
