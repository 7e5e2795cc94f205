//! `convoxc resources delete NAME`: says what is kept (a final snapshot, a retained bucket) and
//! what is destroyed, asks, deletes the stack, then the password convoxc kept for it. A resource
//! still linked to an app is not deleted.

use crate::aws::clients::{Clients, Result, err};
use crate::aws::rack_resources;
use crate::aws::secrets;
use crate::deploy::consent::Flags;
use crate::deploy::remove;
use crate::deploy::runtime;
use crate::deploy::say;
use crate::target::RackTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct DeleteArgs {
    /// The resource.
    name: String,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(mut args: DeleteArgs) -> ExitCode {
    say::set(args.flags.format);
    match args.target.rack() {
        Ok(rack) => runtime::block_on(delete(args, rack)),
        Err(code) => code,
    }
}

async fn delete(args: DeleteArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let d = rack_resources::find(&c, &rack, &args.name).await?;
    let linked: Vec<String> = rack_resources::links(&c, &rack)
        .await?
        .into_keys()
        .filter(|(r, _)| r == &d.name)
        .map(|(_, app)| app)
        .collect();
    if !linked.is_empty() {
        return err(format!(
            "{} is still linked to {}: unlink it first (`convoxc resources unlink {} --app APP`, then apply the app), \
             so that no app loses it unannounced; nothing was deleted",
            d.name,
            linked.join(", "),
            d.name
        ));
    }
    let stack = d.stack_name().to_string();
    remove::delete(&c, &stack, &format!("resource {}", d.name), &args.flags).await?;
    if args.flags.no_execute {
        return Ok(());
    }
    let kept: Vec<String> = secrets::under(&c, &rack_resources::store(&rack, &d.name), true)
        .await?
        .into_keys()
        .collect();
    secrets::delete(&c, &kept).await?;
    if !kept.is_empty() {
        say::note(format!(
            "removed what convoxc kept for {} in SSM ({})",
            d.name,
            kept.join(", ")
        ));
    }
    Ok(())
}
