//! `convoxc resources info NAME`: a rack resource's type, status, options, URL (its password
//! masked unless --reveal) and the apps linked to it.

use crate::aws::apps;
use crate::aws::clients::{Clients, Result};
use crate::aws::rack_resources;
use crate::deploy::runtime;
use crate::target::RackTarget;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct InfoArgs {
    /// The resource.
    name: String,
    /// Show the password (or secret access key) in the URL (else `****`).
    #[arg(long)]
    reveal: bool,
    #[command(flatten)]
    target: RackTarget,
}

pub(crate) fn run(mut args: InfoArgs) -> ExitCode {
    match args.target.rack() {
        Ok(rack) => runtime::block_on(show(args, rack)),
        Err(code) => code,
    }
}

async fn show(args: InfoArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&args.target.aws).await?;
    let d = rack_resources::find(&c, &rack, &args.name).await?;
    let options = rack_resources::options(&c, &d).await?;
    let url = rack_resources::url(&c, &rack, &d, args.reveal).await?;
    let links: Vec<String> = rack_resources::links(&c, &rack)
        .await?
        .into_iter()
        .filter(|((r, _), _)| r == &d.name)
        .map(|((_, app), var)| {
            if d.kind == "syslog" {
                app
            } else {
                format!("{app} (as {var})")
            }
        })
        .collect();
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", d.name.clone()),
        ("Type", d.kind.clone()),
        ("Status", format!("{} ({})", apps::human_status(&d.status), d.status)),
        ("Stack", d.stack_name().to_string()),
    ];
    if let Some(u) = url {
        rows.push(("URL", u));
    }
    if let Some(secret) = d.output("Credentials") {
        rows.push(("Access key", format!("in the Secrets Manager secret {secret}")));
    }
    if !options.is_empty() {
        let w = options.keys().map(String::len).max().unwrap_or(0);
        let text: Vec<String> = options.iter().map(|(k, v)| format!("{k:w$}  {v}")).collect();
        rows.push(("Options", text.join("\n            ")));
    }
    if !links.is_empty() {
        rows.push(("Apps", links.join(", ")));
    }
    for (k, v) in rows {
        println!("{k:11} {v}");
    }
    Ok(())
}
