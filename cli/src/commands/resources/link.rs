//! `convoxc resources link|unlink NAME --app APP`. A database or cache: the app's services get
//! its URL as `<NAME>_URL` (convox's name for it) with the app's next apply, which shows it as an
//! environment change, as they get any app variable (services that declare it, or `*`); unlink
//! stages its removal the same way. A syslog resource: its stack gets (or loses) a subscription
//! filter on the app's log group, through the change-set flow.

use crate::aws::apps;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::rack_resources;
use crate::aws::rack_stack;
use crate::aws::secrets;
use crate::aws::staged;
use crate::deploy::consent::Flags;
use crate::deploy::resource_deploy::{Wanted, checked, deploy_resource};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::target::RackTarget;
use clap::Args;
use convoxc_compiler::ir::rack_resource::Kind;
use std::collections::BTreeSet;
use std::process::ExitCode;

#[derive(Args)]
pub struct LinkArgs {
    /// The resource.
    name: String,
    /// The app.
    #[arg(long, short = 'a', value_name = "APP", required = true)]
    app: String,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(mut args: LinkArgs, link: bool) -> ExitCode {
    say::set(args.flags.format);
    match args.target.rack() {
        Ok(rack) => runtime::block_on(change(args, rack, link)),
        Err(code) => code,
    }
}

async fn change(args: LinkArgs, rack: String, link: bool) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let key = rack_stack::secrets_key(&rack_stack::rack_stack(&c, &rack).await?);
    let key = key.as_deref();
    let d = rack_resources::find(&c, &rack, &args.name).await?;
    let app = &args.app;
    if !apps::list(&c, &rack).await?.iter().any(|a| &a.name == app) {
        return err(format!("rack {rack} has no app {app} (`convoxc apps` lists them)"));
    }
    let path = rack_resources::link_path(&rack, &d.name, app);
    let linked = rack_resources::links(&c, &rack)
        .await?
        .contains_key(&(d.name.clone(), app.clone()));
    match (link, linked) {
        (true, true) => {
            say::note(format!("{} is already linked to {app}", d.name));
            return Ok(());
        }
        (false, false) => return err(format!("{} is not linked to {app}", d.name)),
        _ => {}
    }
    let var = rack_resources::url_variable(&d.name);
    match d.kind.as_str() {
        "postgres" | "mysql" | "redis" | "valkey" | "memcached" | "s3" | "sns" | "sqs" | "syslog" => {}
        other => return err(format!("resource type {other} does not have a link strategy")),
    }
    if link {
        secrets::put(&c, &path, &var, key).await?;
    } else {
        secrets::delete(&c, std::slice::from_ref(&path)).await?;
    }
    if d.kind == "syslog" {
        // the subscription filters follow the links: the stack is compiled again with them
        let Some(given) = rack_resources::given_options(&c, &d).await? else {
            return err(format!(
                "{} was not made by convoxc: convoxc does not change it",
                d.name
            ));
        };
        let resource = checked(
            &c,
            &rack,
            Wanted {
                kind: Kind::Syslog,
                name: d.name.clone(),
                options: given.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            },
        )
        .await;
        let deployed = match resource {
            Ok(r) => deploy_resource(&c, &rack, &r, None, &args.flags, false).await,
            Err(e) => Err(e),
        };
        if let Err(e) = deployed {
            // the link stays as the stack is
            if link {
                secrets::delete(&c, std::slice::from_ref(&path)).await?;
            } else {
                secrets::put(&c, &path, &var, key).await?;
            }
            return Err(e);
        }
        return Ok(());
    }
    if link {
        say::verdict(
            format!(
                "linked {} to {app}: its services get {var} with {app}'s next `convoxc apply` (those that \
                 declare {var} in `environment:`, or `*`)",
                d.name
            ),
            serde_json::json!({"result": "linked", "resource": d.name, "app": app, "variable": var}),
        );
    } else {
        staged::unset(&c, (&rack, app), &BTreeSet::from([var.clone()]), key).await?;
        say::verdict(
            format!(
                "unlinked {} from {app}: {var} goes with {app}'s next `convoxc apply`",
                d.name
            ),
            serde_json::json!({"result": "unlinked", "resource": d.name, "app": app, "variable": var}),
        );
    }
    Ok(())
}
