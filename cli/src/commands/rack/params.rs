//! `convoxc rack params`: the rack's params as deployed (NAME=VALUE); `rack params set K=V…`
//! changes them through the rack's change set (preview, consent, follow), checked as `rack build`
//! checks them. A convoxc rack is compiled again with the new params; a convox rack keeps its
//! template, with the changed params and every other at its previous value.

use crate::args::{Format, parse_pair};
use crate::aws::clients::{AwsArgs, Clients, Error, Result, err};
use crate::aws::lookup::deployed_template;
use crate::aws::rack_stack;
use crate::compile::rack_params_from;
use crate::deploy::consent::Flags;
use crate::deploy::rack_deploy::{Rack, RackDeploy, deploy_rack};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::deploy::stack::ParamValue;
use crate::target::RackTarget;
use clap::{Args, Subcommand};
use convoxc_compiler::SourceFile;
use convoxc_compiler::back::Template;
use convoxc_compiler::diff::template_text;
use convoxc_compiler::ir::rack::spec;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ParamsArgs {
    #[command(subcommand)]
    command: Option<ParamsCommand>,
    #[command(flatten)]
    target: RackTarget,
}

#[derive(Subcommand)]
enum ParamsCommand {
    /// Change params: `convoxc rack params set Internal=Yes InstanceCount=4`.
    Set(SetArgs),
}

#[derive(Args)]
struct SetArgs {
    /// NAME=VALUE pairs.
    #[arg(value_name = "NAME=VALUE", required = true, value_parser = parse_pair)]
    pairs: Vec<(String, String)>,
    /// Bucket for a rack template too big to send inline, when the rack has no SettingsBucket.
    #[arg(long, value_name = "BUCKET")]
    template_bucket: Option<String>,
    #[command(flatten)]
    target: RackTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(args: ParamsArgs) -> ExitCode {
    match args.command {
        None => {
            let mut target = args.target;
            match target.rack() {
                Ok(rack) => runtime::block_on(show(target.aws, rack)),
                Err(code) => code,
            }
        }
        Some(ParamsCommand::Set(mut set)) => {
            say::set(set.flags.format);
            match set.target.rack() {
                Ok(rack) => runtime::block_on(change(set, rack)),
                Err(code) => code,
            }
        }
    }
}

async fn show(aws: AwsArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&aws).await?;
    let stack = rack_stack::rack_stack(&c, &rack).await?;
    let (params, _) = rack_stack::deployed_params(&c, &stack).await?;
    for (k, v) in params {
        println!("{k}={v}");
    }
    Ok(())
}

async fn change(set: SetArgs, rack: String) -> Result<()> {
    let c = Clients::connect(&set.target.aws).await?;
    let stack = rack_stack::rack_stack(&c, &rack).await?;
    let (deployed, convoxc) = rack_stack::deployed_params(&c, &stack).await?;
    let changed: BTreeMap<String, String> = set.pairs.iter().cloned().collect();
    // what the rack has that is not a default (and that the table knows), then what is set
    let mut params: BTreeMap<String, String> = rack_stack::significant(deployed)
        .into_iter()
        .filter(|(k, _)| spec(k).is_some())
        .collect();
    params.extend(changed.clone());
    // the params as they will be, checked as a file would be: the problems point at this text
    let mut text = String::new();
    for (k, v) in &params {
        text.push_str(&format!(
            "{k}: {}\n",
            serde_json::to_string(v).expect("a string serialises")
        ));
    }
    let file = SourceFile::new(format!("the params of rack {rack}, with the values set"), text);
    let checked = rack_params_from(file, Format::Human)
        .map_err(|_| Error(format!("the params have errors; rack {rack} was not changed")))?;
    let target = RackDeploy {
        name: rack.clone(),
        template_bucket: set.template_bucket.clone(),
        flags: set.flags.clone(),
        aws: set.target.aws.clone(),
    };
    if convoxc {
        return deploy_rack(target, Rack::Compiled(checked), BTreeMap::new()).await;
    }
    // a convox rack: its own template, its params as stack parameters
    let body = deployed_template(&c, &rack).await?;
    let template = template_text::read(&format!("the deployed template of {rack}"), &body).map_err(Error)?;
    let declared: Vec<String> = template
        .get("Parameters")
        .and_then(|p| p.as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(k) = changed.keys().find(|k| !declared.contains(k)) {
        return err(format!(
            "rack {rack}'s template has no parameter {k}; nothing was changed"
        ));
    }
    let values: BTreeMap<String, ParamValue> = declared
        .iter()
        .map(|k| match changed.get(k) {
            Some(v) => (k.clone(), ParamValue::Plain(v.clone())),
            None => (k.clone(), ParamValue::UsePrevious),
        })
        .collect();
    deploy_rack(target, Rack::Given(Template::new(template)), values).await
}
