//! `convoxc apply`: deploy an app to a rack.

use crate::apply::aws::{AwsArgs, Clients, Error, Result};
use crate::apply::consent::Flags;
use crate::apply::flow::{Deployment, deploy};
use crate::apply::plan::{self, AppInput, Password};
use crate::apply::runtime;
use crate::apply::say;
use crate::apply::secrets;
use crate::apply::settle::settle;
use crate::apply::stack::ParamValue;
use crate::args::{USAGE, parse_pair};
use crate::input::read;
use crate::names::app_name;
use clap::Args;
use convoxc_compiler::SourceFile;
use convoxc_compiler::back::Template;
use convoxc_compiler::ir::naming::env_parameter_path;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ApplyArgs {
    /// The manifest to deploy.
    #[arg(default_value = "convox.yml")]
    pub file: PathBuf,
    /// The rack's stack name: the app stack is `<rack>-<app>`, its templates go to the rack's
    /// settings bucket (default: the current rack, `convoxc switch`).
    #[arg(long)]
    pub rack: Option<String>,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    pub app: Option<String>,
    /// Set an environment variable (repeatable). Stored in SSM as a SecureString, never in a template.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub env: Vec<(String, String)>,
    /// Read environment variables from a file of KEY=VALUE lines (applied before -e).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The build to run (image tag `<service>.<build>` in the app's registry). Default on update:
    /// the deployed one; required on the first deploy when a service is built rather than given
    /// an `image:`.
    #[arg(long, value_name = "ID")]
    pub build: Option<String>,
    #[command(flatten)]
    pub flags: Flags,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `convoxc apply`.
pub(crate) fn run(mut args: ApplyArgs) -> ExitCode {
    say::set(args.flags.format);
    if let Err(code) = crate::current::fill(&mut args.rack) {
        return code;
    }
    let app = match app_name(args.app.as_deref(), &args.file) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let manifest = match read(&args.file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let env_file = match args.env_file.as_deref().map(read).transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    // Ctrl-C: before anything is made, it just stops; from the change set on, the deploy handles it
    runtime::block_on(apply_app(args, app, manifest, env_file))
}

async fn apply_app(args: ApplyArgs, app: String, manifest: SourceFile, env_file: Option<SourceFile>) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let rack = args.rack.as_deref().unwrap_or_default();
    let input = AppInput {
        rack,
        app: &app,
        manifest,
        env_file,
        env: &args.env,
    };
    let compiled = plan::compile(&c, input).await?;
    let stack_name = compiled.stack_name.clone();
    let existing = settle(&c, &stack_name, &args.flags).await?;

    // nothing is stored before the user consents: the values go to SSM right before the change
    // set runs (and are shown in the report as names only)
    let environment = plan::env_changes(&compiled);
    let mut pending = secrets::Pending {
        rack: rack.to_string(),
        app: app.clone(),
        env: environment
            .iter()
            .filter_map(|e| Some((e.name.clone(), compiled.given.get(&e.name)?.clone())))
            .collect(),
        remove: compiled.removed.iter().cloned().collect(),
        staged: compiled.staged.clone(),
        password: None,
    };
    let plan::StackInput {
        mut params,
        password,
        tags,
    } = plan::parameters(&compiled, rack, &app, existing.as_ref(), args.build.as_deref())?;
    if let Some(password) = password {
        let value = match password {
            Password::Stored(p) => ParamValue::Secret(p),
            Password::KeepDeployed => {
                eprintln!(
                    "warning: the resource password is not in SSM ({}); keeping the deployed one",
                    env_parameter_path(rack, &app, secrets::RESOURCE_PASSWORD)
                );
                ParamValue::UsePrevious
            }
            Password::Generate => {
                // stored (if no other apply stored one meanwhile) once the user consents
                let p = secrets::random_password().map_err(|e| Error(format!("cannot generate a password: {e}")))?;
                pending.password = Some((env_parameter_path(rack, &app, secrets::RESOURCE_PASSWORD), p.clone()));
                ParamValue::Secret(p)
            }
        };
        params.insert("ResourcePassword".into(), value);
    }
    let bundle = &compiled.bundle;
    let nested: Vec<&Template> = bundle.nested().map(|(_, t)| t).collect();
    deploy(
        &c,
        Deployment {
            stack: &stack_name,
            root: &bundle.app,
            nested,
            bucket: Some(compiled.bucket.clone()),
            params,
            tags,
            flags: &args.flags,
            pending,
            environment,
        },
        existing,
        Some(bundle),
    )
    .await
}
