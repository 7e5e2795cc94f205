//! `convoxc resources`: the rack's resources, NAME TYPE STATUS.

use crate::args::ListFormat;
use crate::aws::apps;
use crate::aws::clients::{Clients, Result};
use crate::aws::rack_resources;
use crate::aws::rack_stack;
use crate::deploy::runtime;
use crate::target::RackTarget;
use serde_json::json;
use std::process::ExitCode;

pub(crate) fn run(mut target: RackTarget, format: ListFormat) -> ExitCode {
    match target.rack() {
        Ok(rack) => runtime::block_on(list(target, rack, format)),
        Err(code) => code,
    }
}

async fn list(target: RackTarget, rack: String, format: ListFormat) -> Result<()> {
    let c = Clients::connect(&target.aws).await?;
    rack_stack::rack_stack(&c, &rack).await?;
    let all = rack_resources::list(&c, &rack).await?;
    match format {
        ListFormat::Json => {
            let list: Vec<_> = all
                .iter()
                .map(|r| {
                    json!({"name": r.name, "type": r.kind, "status": apps::human_status(&r.status), "stack_status": r.status})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        }
        ListFormat::Text => {
            let w = all.iter().map(|r| r.name.len()).max().unwrap_or(0).max(4);
            let wt = all.iter().map(|r| r.kind.len()).max().unwrap_or(0).max(4);
            println!("{:w$}  {:wt$}  STATUS", "NAME", "TYPE");
            for r in &all {
                println!("{:w$}  {:wt$}  {}", r.name, r.kind, apps::human_status(&r.status));
            }
            if all.is_empty() {
                eprintln!("rack {rack} has no resources (`convoxc resources create TYPE` makes one)");
            }
        }
    }
    Ok(())
}
