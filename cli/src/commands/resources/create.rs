//! `convoxc resources create TYPE [--name NAME] [K=V…]`: a new rack resource, through the
//! change-set flow. Without --name it is `<type>-NNNN` (as convox names one), a number no stack
//! of the rack has.

use super::kind::kind;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::lookup::describe_stack;
use crate::deploy::consent::Flags;
use crate::deploy::resource_deploy::{Wanted, checked, deploy_resource};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::target::RackTarget;
use clap::Args;
use convoxc_compiler::front::rack_resource::camelize;
use convoxc_compiler::ir::rack_resource::Kind;
use std::process::ExitCode;

#[derive(Args)]
pub struct CreateArgs {
    /// The resource type (see `convoxc resources types`).
    r#type: String,
    /// Options as KEY=VALUE (`MultiAZ=true` or `multi-az=true`; `convoxc resources options TYPE`).
    #[arg(value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// The resource's name (default: `<type>-NNNN`); its stack is `<rack>-<name>`.
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(mut args: CreateArgs) -> ExitCode {
    say::set(args.flags.format);
    let k = match kind(&args.r#type) {
        Ok(k) => k,
        Err(code) => return code,
    };
    match args.target.rack() {
        Ok(rack) => runtime::block_on(create(args, k, rack)),
        Err(code) => code,
    }
}

/// The URL option (webhook, syslog), which goes into a NoEcho parameter.
pub(crate) fn url_option(options: &[String]) -> Option<&str> {
    options
        .iter()
        .rev()
        .filter_map(|o| o.split_once('='))
        .find(|(k, _)| camelize(k) == "Url")
        .map(|(_, v)| v)
}

async fn create(args: CreateArgs, k: Kind, rack: String) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => free_name(&c, &rack, k).await?,
    };
    let resource = checked(
        &c,
        &rack,
        Wanted {
            kind: k,
            name,
            options: args.options.clone(),
        },
    )
    .await?;
    deploy_resource(&c, &rack, &resource, url_option(&args.options), &args.flags, true).await
}

/// `<type>-NNNN` with a number from 1000 to 9999 that no stack `<rack>-<type>-NNNN` has.
async fn free_name(c: &Clients, rack: &str, k: Kind) -> Result<String> {
    for _ in 0..20 {
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).map_err(|e| crate::aws::clients::Error(format!("cannot pick a name: {e}")))?;
        let n = 1000 + u16::from_le_bytes(b) % 9000;
        let name = format!("{}-{n}", k.as_str());
        if describe_stack(c, &format!("{rack}-{name}")).await?.is_none() {
            return Ok(name);
        }
    }
    err("cannot find a free name: give --name NAME")
}
