//! `convoxc racks`: the racks in the account and the region(s) the AWS configuration reaches,
//! convoxc's and convox's told apart (`aws/rack_stack.rs` says how).

use crate::args::ListFormat;
use crate::aws::clients::{AwsArgs, Clients, Result};
use crate::aws::rack_stack;
use crate::deploy::runtime;
use clap::Args;
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
pub struct RacksArgs {
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Look in these regions (comma-separated) instead of the configured one.
    #[arg(long, value_name = "REGION,…", value_delimiter = ',', conflicts_with = "region")]
    pub regions: Vec<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub(crate) fn run(args: RacksArgs) -> ExitCode {
    runtime::block_on(list(args))
}

async fn list(args: RacksArgs) -> Result<()> {
    // (name, status, region, kind), by region as given, then name
    let mut racks = Vec::new();
    let mut searched = Vec::new();
    let regions: Vec<Option<String>> = if args.regions.is_empty() {
        vec![args.aws.region.clone()]
    } else {
        args.regions.iter().map(|r| Some(r.clone())).collect()
    };
    for region in regions {
        let aws = AwsArgs {
            region,
            ..args.aws.clone()
        };
        let c = Clients::connect(&aws).await?;
        for (n, s, k) in rack_stack::racks(&c).await? {
            racks.push((n, s, c.region.clone(), k));
        }
        searched.push(c.region);
    }
    match args.format {
        ListFormat::Json => {
            let list: Vec<_> = racks
                .iter()
                .map(|(n, s, r, k)| json!({"name": n, "status": s, "region": r, "kind": k}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        }
        ListFormat::Text => {
            let w = racks.iter().map(|(n, ..)| n.len()).max().unwrap_or(0).max(4);
            let ws = racks.iter().map(|(_, s, ..)| s.len()).max().unwrap_or(0).max(6);
            let wr = racks.iter().map(|(_, _, r, _)| r.len()).max().unwrap_or(0).max(6);
            println!("{:w$}  {:ws$}  {:wr$}  KIND", "NAME", "STATUS", "REGION");
            for (n, s, r, k) in &racks {
                println!("{n:w$}  {s:ws$}  {r:wr$}  {k}");
            }
            if racks.is_empty() {
                eprintln!("no racks in {} (check --region(s) and --profile)", searched.join(", "));
            }
        }
    }
    Ok(())
}
