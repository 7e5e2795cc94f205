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
    keep_deployed_defaults(&mut options, &rack_resources::options(&c, &d).await?);
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

/// Options whose default convoxc has changed since such a resource could have been made: a cache's
/// node type (`cache.t2.micro`, which ElastiCache no longer creates, became `cache.t3.micro` for
/// new caches). An update that does not give one keeps the deployed value rather than moving the
/// resource to the new default (a memcached cluster cannot even change its node type).
const CHANGED_DEFAULTS: &[&str] = &["InstanceType"];

fn keep_deployed_defaults(options: &mut BTreeMap<String, String>, deployed: &BTreeMap<String, String>) {
    for key in CHANGED_DEFAULTS {
        if !options.contains_key(*key)
            && let Some(v) = deployed.get(*key).filter(|v| !v.is_empty())
        {
            options.insert((*key).to_string(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A cache made with convox's old default keeps its node type through an update that does not
    /// give one; one given wins; a resource without the option gets none.
    #[test]
    fn an_update_keeps_a_default_that_changed_since() {
        let deployed = map(&[("InstanceType", "cache.t2.micro"), ("Version", "6.2")]);
        let mut options = map(&[("Version", "7.1")]);
        keep_deployed_defaults(&mut options, &deployed);
        assert_eq!(options, map(&[("InstanceType", "cache.t2.micro"), ("Version", "7.1")]));

        let mut given = map(&[("InstanceType", "cache.t4g.small")]);
        keep_deployed_defaults(&mut given, &deployed);
        assert_eq!(given["InstanceType"], "cache.t4g.small");

        let mut bucket = map(&[("Versioning", "true")]);
        keep_deployed_defaults(&mut bucket, &map(&[("Versioning", "false")]));
        assert_eq!(bucket, map(&[("Versioning", "true")]));
    }
}
