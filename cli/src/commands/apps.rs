//! `convoxc apps`: the rack's apps with their status; `apps info` (its services' addresses, its
//! resources and linked rack resources); `apps delete` (says what is kept, asks, deletes the
//! stacks, then what convoxc keeps for the app in SSM).

use crate::args::ListFormat;
use crate::aws::apps;
use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::output;
use crate::aws::rack_resources;
use crate::aws::rack_stack;
use crate::aws::secrets;
use crate::deploy::consent::Flags;
use crate::deploy::remove;
use crate::deploy::runtime;
use crate::deploy::say;
use crate::deploy::ship;
use crate::target::{AppTarget, RackTarget};
use clap::{Args, Subcommand};
use convoxc_compiler::ir::naming::env_parameter_path;
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AppsArgs {
    #[command(subcommand)]
    command: Option<AppsCommand>,
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    target: RackTarget,
}

#[derive(Subcommand)]
enum AppsCommand {
    /// An app's status, its services with their addresses, its resources and linked rack resources.
    Info(InfoArgs),
    /// Make an app before its first deploy (`convox apps create`): its stack with the registry, log
    /// group and roles, and no service (so that `images push` has somewhere to push).
    Create(CreateArgs),
    /// Cancel an update in progress (`convox apps cancel`): after asking, CloudFormation stops it
    /// and rolls the app back to what was deployed before; the rollback is followed to its end.
    Cancel(CancelArgs),
    /// Delete an app: its stacks (saying first what is kept: database snapshots, retained
    /// buckets…), then its stored environment and generated secrets.
    Delete(DeleteArgs),
}

#[derive(Args)]
struct InfoArgs {
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Args)]
struct CreateArgs {
    /// The app to make.
    name: String,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Args)]
struct CancelArgs {
    #[command(flatten)]
    target: AppTarget,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Args)]
struct DeleteArgs {
    /// The app to delete.
    name: String,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(args: AppsArgs) -> ExitCode {
    match args.command {
        None => {
            let mut target = args.target;
            match target.rack() {
                Ok(rack) => runtime::block_on(list(target, rack, args.format)),
                Err(code) => code,
            }
        }
        Some(AppsCommand::Info(mut info)) => match info.target.resolve() {
            Ok((rack, app)) => runtime::block_on(show(info.target, rack, app)),
            Err(code) => code,
        },
        Some(AppsCommand::Create(mut a)) => match named(&a.name, &a.flags, &mut a.target) {
            Ok(rack) => runtime::block_on(async move {
                let c = Clients::connect(&a.target.aws).await?;
                ship::create_app(&c, &rack, &a.name, &a.flags).await
            }),
            Err(code) => code,
        },
        Some(AppsCommand::Cancel(mut a)) => {
            say::set(a.flags.format);
            match a.target.resolve() {
                Ok((rack, app)) => runtime::block_on(async move {
                    let c = Clients::connect(&a.target.rack.aws).await?;
                    crate::deploy::cancel::cancel(&c, &rack, &app, &a.flags).await
                }),
                Err(code) => code,
            }
        }
        Some(AppsCommand::Delete(mut d)) => match named(&d.name, &d.flags, &mut d.target) {
            Ok(rack) => runtime::block_on(delete(d, rack)),
            Err(code) => code,
        },
    }
}

/// The rack of a command that names an app to make or delete (the name checked: a usage error
/// otherwise); its output format set.
fn named(name: &str, flags: &Flags, target: &mut RackTarget) -> std::result::Result<String, ExitCode> {
    say::set(flags.format);
    if let Err(e) = crate::names::valid_name("app", name) {
        eprintln!("error: {e}");
        return Err(ExitCode::from(crate::args::USAGE));
    }
    target.rack()
}

async fn list(target: RackTarget, rack: String, format: ListFormat) -> Result<()> {
    let c = Clients::connect(&target.aws).await?;
    rack_stack::rack_stack(&c, &rack).await?;
    let apps = apps::list(&c, &rack).await?;
    match format {
        ListFormat::Json => {
            let list: Vec<_> = apps
                .iter()
                .map(|a| json!({"name": a.name, "status": apps::human_status(&a.status), "stack_status": a.status}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        }
        ListFormat::Text => {
            let w = apps.iter().map(|a| a.name.len()).max().unwrap_or(0).max(4);
            println!("{:w$}  STATUS", "NAME");
            for a in &apps {
                println!("{:w$}  {} ({})", a.name, apps::human_status(&a.status), a.status);
            }
            if apps.is_empty() {
                eprintln!("rack {rack} has no apps");
            }
        }
    }
    Ok(())
}

/// The app's stack, or an error naming the rack's apps.
async fn find(c: &Clients, rack: &str, app: &str) -> Result<apps::App> {
    let mut all = apps::list(c, rack).await?;
    match all.iter().position(|a| a.name == app) {
        Some(i) => Ok(all.swap_remove(i)),
        None => err(apps::missing(rack, app, &all)),
    }
}

async fn show(target: AppTarget, rack: String, app: String) -> Result<()> {
    let c = Clients::connect(&target.rack.aws).await?;
    let rack_stack = rack_stack::rack_stack(&c, &rack).await?;
    let a = find(&c, &rack, &app).await?;
    let router = output(&rack_stack, "Domain").map(str::to_string);
    let router_host = output(&rack_stack, "RouterHost").map(str::to_string);
    let mut rows = vec![
        ("Name", app.clone()),
        ("Status", format!("{} ({})", apps::human_status(&a.status), a.status)),
        ("Rack", rack.clone()),
    ];
    if let Some(r) = &router {
        rows.push(("Router", r.clone()));
    }
    // the nested stacks: services (with the names they answer on), resources, timers
    let id = a.stack.stack_id().unwrap_or(&app).to_string();
    let mut services = Vec::new();
    let mut resources = Vec::new();
    let mut timers = Vec::new();
    let mut pages = c.cfn.list_stack_resources().stack_name(&id).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe(&format!("listing the resources of {app}"), &e))?;
        for r in page.stack_resource_summaries() {
            if r.resource_type() != Some("AWS::CloudFormation::Stack") {
                continue;
            }
            let logical = r.logical_resource_id().unwrap_or_default();
            let physical = r.physical_resource_id().unwrap_or_default();
            let nested = crate::aws::lookup::describe_stack(&c, physical).await?;
            // the name, from the description convoxc (and convox) gives each nested stack
            let words: Vec<&str> = nested
                .as_ref()
                .and_then(|s| s.description())
                .unwrap_or_default()
                .split(' ')
                .collect();
            let fallback = || logical.to_lowercase();
            match words.as_slice() {
                ["convox", "service", name, ..] => {
                    let out = |k: &str| nested.as_ref().and_then(|s| output(s, k));
                    // its first domain, else the router's name for it (`<app>-<service>.<RouterHost>`)
                    let mut outputs: Vec<String> = Vec::new();
                    match (out("Endpoint"), out("TargetGroup"), &router_host) {
                        (Some(d), ..) => outputs.push(format!("https://{d}")),
                        (None, Some(_), Some(h)) => outputs.push(format!("https://{app}-{name}.{h}")),
                        _ => {}
                    }
                    if let Some(i) = out("InternalEndpoint") {
                        outputs.push(format!("{i} (internal)"));
                    }
                    services.push(
                        [name.to_string()]
                            .into_iter()
                            .chain(outputs)
                            .collect::<Vec<_>>()
                            .join("  "),
                    );
                }
                ["convox", "timer", name, ..] => timers.push(name.to_string()),
                ["convox", kind, "resource", name, ..] => resources.push(format!("{name} ({kind})")),
                _ if logical.starts_with("Service") => services.push(fallback()),
                _ if logical.starts_with("Timer") => timers.push(fallback()),
                _ if logical.starts_with("Resource") => resources.push(fallback()),
                _ => {}
            }
        }
    }
    let linked: Vec<String> = rack_resources::links(&c, &rack)
        .await?
        .into_iter()
        .filter(|((_, a), _)| a == &app)
        .map(|((r, _), var)| format!("{r} (as {var})"))
        .collect();
    for (label, list) in [
        ("Services", services),
        ("Resources", resources),
        ("Timers", timers),
        ("Linked", linked),
    ] {
        if !list.is_empty() {
            rows.push((label, list.join("\n           ")));
        }
    }
    for (k, v) in rows {
        println!("{k:10} {v}");
    }
    Ok(())
}

async fn delete(args: DeleteArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    rack_stack::rack_stack(&c, &rack).await?;
    let app = &args.name;
    let a = find(&c, &rack, app).await?;
    let linked: Vec<String> = rack_resources::links(&c, &rack)
        .await?
        .into_keys()
        .filter(|(_, a)| a == app)
        .map(|(r, _)| r)
        .collect();
    if !linked.is_empty() {
        return err(format!(
            "{app} is linked to {}: unlink first (`convoxc resources unlink NAME --app {app}`), so that no \
             resource keeps pointing at it; nothing was deleted",
            linked.join(", ")
        ));
    }
    let stack = a.stack.stack_name().unwrap_or_default().to_string();
    remove::delete(&c, &stack, &format!("app {app}"), &args.flags).await?;
    if args.flags.no_execute {
        return Ok(());
    }
    // its values and generated secrets go with it, and only with it
    let prefix = env_parameter_path(&rack, app, "");
    let stored: Vec<String> = secrets::under(&c, &prefix, true).await?.into_keys().collect();
    secrets::delete(&c, &stored).await?;
    say::step(
        format!("removed {} stored value(s) of {app} ({prefix}*)", stored.len()),
        json!({"type": "removed", "what": "stored values", "count": stored.len(), "path": prefix}),
    );
    Ok(())
}
