//! `convoxc rack`: the rack's name, status, kind (convoxc or convox), region, instances and router.

use crate::aws::apps;
use crate::aws::clients::{Clients, Result};
use crate::aws::lookup::output;
use crate::aws::rack_stack;
use crate::deploy::runtime;
use crate::target::RackTarget;
use std::process::ExitCode;

pub(crate) fn run(mut target: RackTarget) -> ExitCode {
    match target.rack() {
        Ok(rack) => runtime::block_on(show(target, rack)),
        Err(code) => code,
    }
}

async fn show(target: RackTarget, rack: String) -> Result<()> {
    let c = Clients::connect(&target.aws).await?;
    let stack = rack_stack::rack_stack(&c, &rack).await?;
    let (params, convoxc) = rack_stack::deployed_params(&c, &stack).await?;
    let out = |k: &str| output(&stack, k).map(str::to_string);
    let param = |k: &str| {
        params.get(k).cloned().or_else(|| {
            convoxc_compiler::ir::rack::spec(k)
                .and_then(|s| s.default)
                .map(|d| format!("{d} (default)"))
        })
    };
    let status = stack.stack_status().map(|s| s.as_str()).unwrap_or_default();
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", rack.clone()),
        ("Status", format!("{} ({status})", apps::human_status(status))),
        ("Kind", if convoxc { "convoxc" } else { "convox" }.to_string()),
        ("Region", c.region.clone()),
    ];
    if let Some(v) = params.get("Version").filter(|v| !v.is_empty()) {
        rows.push(("Version", v.clone()));
    }
    for (label, key) in [("Count", "InstanceCount"), ("Type", "InstanceType")] {
        if let Some(v) = param(key) {
            rows.push((label, v));
        }
    }
    if let Some(v) = out("Domain") {
        rows.push(("Router", v));
    }
    if let Some(v) = out("RouterHost").or_else(|| params.get("RouterHost").cloned()) {
        rows.push(("Host", v));
    }
    let apps = apps::list(&c, &rack).await?;
    rows.push(("Apps", apps.len().to_string()));
    for (k, v) in rows {
        println!("{k:8} {v}");
    }
    Ok(())
}
