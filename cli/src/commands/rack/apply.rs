//! `convoxc rack apply`: deploy the rack stack (compiled from rack params, or a given template).

use crate::args::{Format, USAGE};
use crate::aws::clients::AwsArgs;
use crate::compile::rack_params_checked;
use crate::deploy::consent::Flags;
use crate::deploy::rack_deploy::{Rack, RackDeploy, deploy_rack};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::deploy::stack::ParamValue;
use crate::names::valid_name;
use clap::Args;
use convoxc_compiler::back::Template;
use convoxc_compiler::diff::template_text;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct RackApplyArgs {
    /// The rack's name: its stack name (default: the current rack, `convoxc switch`; `--name`:
    /// deprecated).
    #[arg(long = "rack", alias = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Rack parameters: a JSON or YAML map of NAME: value (compiled into the rack template; with
    /// --template, passed as its stack parameters).
    #[arg(long, value_name = "FILE")]
    pub rack_params: Option<PathBuf>,
    /// Deploy this template as the rack instead of the compiled one (a custom rack, or the
    /// tests' fixture rack).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Bucket to upload the rack template to when it is too big to send inline (> 51,200 bytes)
    /// and the rack has no settings bucket yet (default: the deployed rack's SettingsBucket).
    #[arg(long, value_name = "BUCKET")]
    pub template_bucket: Option<String>,
    #[command(flatten)]
    pub flags: Flags,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `convoxc rack apply`.
pub(crate) fn run(mut args: RackApplyArgs) -> ExitCode {
    say::set(args.flags.format);
    if let Err(code) = crate::current::fill(&mut args.name) {
        return code;
    }
    if let Err(e) = valid_name("rack", args.name()) {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    let Some(path) = &args.template else {
        // the compiled rack: rack params are compiled in (once the deployed rack is known: it
        // keeps what convoxc's defaults would change), the stack takes no parameters
        let params = match rack_params_checked(args.rack_params.as_deref(), Format::Human) {
            Ok(p) => p,
            Err(code) => return code,
        };
        return runtime::block_on(deploy_rack(target(&args), Rack::Compiled(params), BTreeMap::new()));
    };
    // a custom template: rack params are its stack parameters
    let template = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|t| template_text::read(&path.display().to_string(), &t))
    {
        Ok(v) => Template::new(v),
        Err(e) => {
            eprintln!("error: cannot read the template {e}");
            return ExitCode::from(USAGE);
        }
    };
    let params = match args.rack_params.as_deref().map(read_params).transpose() {
        Ok(p) => p.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let undeclared: Vec<&String> = params
        .keys()
        .filter(|k| template.value().pointer(&format!("/Parameters/{k}")).is_none())
        .collect();
    if !undeclared.is_empty() {
        eprintln!(
            "error: the rack template has no parameter {}",
            undeclared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        );
        return ExitCode::from(1);
    }
    let params = params.into_iter().map(|(k, v)| (k, ParamValue::Plain(v))).collect();
    runtime::block_on(deploy_rack(target(&args), Rack::Given(template), params))
}

fn target(args: &RackApplyArgs) -> RackDeploy {
    RackDeploy {
        name: args.name().to_string(),
        template_bucket: args.template_bucket.clone(),
        flags: args.flags.clone(),
        aws: args.aws.clone(),
    }
}

impl RackApplyArgs {
    /// The rack (resolved when the command starts).
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

fn read_params(path: &std::path::Path) -> std::result::Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let map: BTreeMap<String, Value> = serde_json::from_str(&text)
        .or_else(|_| serde_saphyr::from_str(&text))
        .map_err(|e| format!("{} is not a map of NAME: value: {e}", path.display()))?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}
