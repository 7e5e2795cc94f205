//! `convoxc resources update NAME K=V…`: change a rack resource's options, through the change-set
//! flow (a change that replaces or deletes its data is flagged and needs --allow-destroy). The
//! options it was created with stay unless given anew.

use super::create::url_option;
use super::kind::kind;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::rack_resources;
use crate::deploy::consent::Flags;
use crate::deploy::resource_deploy::{Wanted, checked, deploy_resource};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::target::RackTarget;
use clap::Args;
use convoxc_compiler::front::rack_resource::camelize;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Args)]
pub struct UpdateArgs {
    /// The resource.
    name: String,
    /// Options to change, as KEY=VALUE.
    #[arg(value_name = "KEY=VALUE", required = true)]
    options: Vec<String>,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(mut args: UpdateArgs) -> ExitCode {
    say::set(args.flags.format);
    match args.target.rack() {
        Ok(rack) => runtime::block_on(update(args, rack)),
        Err(code) => code,
    }
}

async fn update(args: UpdateArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let d = rack_resources::find(&c, &rack, &args.name).await?;
    let Some(given) = rack_resources::given_options(&c, &d).await? else {
        return err(format!(
            "{} was not made by convoxc (its template has no Metadata.convoxc): convoxc does not change it",
            d.name
        ));
    };
    let Ok(k) = kind(&d.kind) else {
        return err(format!("{} has an unknown type `{}`", d.name, d.kind));
    };
    // what it was created with, then what is given now (a masked URL stays as deployed)
    let mut options: BTreeMap<String, String> = given;
    for o in &args.options {
        match o.split_once('=') {
            Some((key, v)) => options.insert(camelize(key), v.to_string()),
            None => options.insert(o.clone(), String::new()),
        };
    }
    let resource = checked(
        &c,
        &rack,
        Wanted {
            kind: k,
            name: d.name.clone(),
            options: options.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        },
    )
    .await?;
    deploy_resource(&c, &rack, &resource, url_option(&args.options), &args.flags, false).await
}
