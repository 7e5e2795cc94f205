//! `convoxc racks`: the racks in the account and region the AWS configuration reaches, convoxc's
//! and convox's told apart. A convox rack is a stack with the rack template's own parameters
//! (`Version`, `InstanceType`), which no app or resource stack has (a convoxc rack compiles its
//! params in); a convoxc rack is one `convoxc rack apply` deployed (tags `System=convox`,
//! `Type=rack`) or whose template convoxc compiled (its description says so).

use crate::apply::aws::{AwsArgs, Clients, Result, describe};
use crate::apply::runtime;
use aws_sdk_cloudformation::types::Stack;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
pub struct RacksArgs {
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = RacksFormat::Text)]
    pub format: RacksFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RacksFormat {
    Text,
    Json,
}

/// One rack: (name, status, kind).
fn rack(s: &Stack) -> Option<(String, String, &'static str)> {
    let name = s.stack_name()?.to_string();
    let status = s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default();
    let has = |k: &str| s.parameters().iter().any(|p| p.parameter_key() == Some(k));
    let tag = |k: &str, v: &str| s.tags().iter().any(|t| t.key() == Some(k) && t.value() == Some(v));
    let kind = if has("Version") && has("InstanceType") {
        "convox"
    } else if (tag("System", "convox") && tag("Type", "rack"))
        || s.description().is_some_and(|d| d.contains("(compiled by convoxc)"))
    {
        "convoxc"
    } else {
        return None;
    };
    Some((name, status, kind))
}

pub(crate) fn run(args: RacksArgs) -> ExitCode {
    runtime::block_on(list(args))
}

async fn list(args: RacksArgs) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let mut racks = Vec::new();
    let mut pages = c.cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("listing the stacks", &e))?;
        racks.extend(page.stacks().iter().filter_map(rack));
    }
    racks.sort();
    match args.format {
        RacksFormat::Json => {
            let list: Vec<_> = racks
                .iter()
                .map(|(n, s, k)| json!({"name": n, "status": s, "region": c.region, "kind": k}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        }
        RacksFormat::Text => {
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
