//! `convoxc apply`: deploy an app to a rack.

use crate::apply::aws::{AwsArgs, Clients, Error, Result, err};
use crate::apply::consent::Flags;
use crate::apply::flow::{Deployment, deploy};
use crate::apply::rack_stack::{rack_params, rack_stack};
use crate::apply::runtime;
use crate::apply::settle::settle;
use crate::apply::stack::ParamValue;
use crate::apply::{secrets, upload};
use crate::args::{Format, USAGE, parse_pair};
use crate::compile::compile_and_report;
use crate::input::read;
use crate::names::app_name;
use clap::Args;
use convoxc_compiler::back::{BuildOptions, Template};
use convoxc_compiler::ir::naming::env_parameter_path;
use convoxc_compiler::{Input, SourceFile, SourceId, load, parse_env_file};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ApplyArgs {
    /// The manifest to deploy.
    #[arg(default_value = "convox.yml")]
    pub file: PathBuf,
    /// The rack's stack name: the app stack is `<rack>-<app>`, its templates go to the rack's
    /// settings bucket.
    #[arg(long)]
    pub rack: String,
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
pub(crate) fn run(args: ApplyArgs) -> ExitCode {
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
    let stack = format!("{}-{app}", args.rack);
    runtime::run(stack.clone(), apply_app(args, app, manifest, env_file))
}

async fn apply_app(args: ApplyArgs, app: String, manifest: SourceFile, env_file: Option<SourceFile>) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let rack = &args.rack;
    let rack_stack = rack_stack(&c, rack).await?;
    let outputs: BTreeMap<String, String> = rack_stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect();
    let rack_params = rack_params(&c, &rack_stack).await?;
    let Some(bucket) = outputs.get("SettingsBucket") else {
        return err(format!(
            "stack {rack} has no SettingsBucket output: is it a convox rack? (convoxc uploads the app's templates there)"
        ));
    };
    upload::check_bucket(&c, bucket, &format!("the SettingsBucket output of rack {rack}")).await?;

    // the environment: what is stored for the app, then --env-file, then -e
    let stored = secrets::stored(&c, rack, &app).await?;
    let mut given: BTreeMap<String, String> = BTreeMap::new();
    if let Some(f) = &env_file {
        let (pairs, _) = parse_env_file(f, SourceId(0));
        given.extend(pairs);
    }
    given.extend(args.env.iter().cloned());
    let stored_env: BTreeMap<&String, &String> = stored.iter().filter(|(k, _)| !k.starts_with('.')).collect();
    let mut env: Vec<(String, String)> = stored_env
        .iter()
        .filter(|(k, _)| !given.contains_key(k.as_str()))
        .map(|(k, v)| ((*k).clone(), (*v).clone()))
        .collect();
    env.extend(args.env.iter().cloned());
    let env_known = !env.is_empty() || env_file.is_some();
    let mut env_names: std::collections::BTreeSet<String> = given.keys().cloned().collect();
    env_names.extend(stored_env.keys().map(|k| (*k).clone()));
    let loaded = load(Input {
        manifest: Some(manifest),
        env_file,
        env,
        env_known,
        rack_params,
    });
    let options = BuildOptions {
        app: app.clone(),
        rack: Some(rack.clone()),
        env_names,
    };
    let compiled = compile_and_report(&loaded, &options, Format::Human);
    let Some(bundle) = compiled else {
        return err(format!("{} has errors; nothing was deployed", args.file.display()));
    };
    let needs_build = loaded
        .app
        .as_ref()
        .is_some_and(|a| a.services.iter().any(|s| s.image.is_none()));

    let stack_name = format!("{rack}-{app}");
    let existing = settle(&c, &stack_name, &args.flags).await?;

    let (written, unchanged) = secrets::write(&c, rack, &app, &given, &stored).await?;
    if !given.is_empty() {
        println!(
            "environment: {written} value(s) written, {unchanged} unchanged (SSM SecureString under {})",
            env_parameter_path(rack, &app, "")
        );
    }

    let declared = |name: &str| bundle.app.value().pointer(&format!("/Parameters/{name}")).is_some();
    let deployed_has = |name: &str| {
        existing
            .as_ref()
            .is_some_and(|s| s.parameters().iter().any(|p| p.parameter_key() == Some(name)))
    };
    let mut params: BTreeMap<String, ParamValue> = BTreeMap::new();
    params.insert("Rack".into(), ParamValue::Plain(rack.clone()));
    params.insert("TemplateBucket".into(), ParamValue::Plain(bucket.clone()));
    let build = match &args.build {
        Some(b) => ParamValue::Plain(b.clone()),
        None if deployed_has("Build") => ParamValue::UsePrevious,
        None if needs_build => {
            return err(format!(
                "the first deploy of {stack_name} needs --build ID: services without `image:` run the image \
                 tagged <service>.<ID> in the app's registry (convoxc does not build images)"
            ));
        }
        None => ParamValue::Plain("none".into()),
    };
    params.insert("Build".into(), build);
    // the params a convox rack sets on every app (Private, LogDriver, Syslog…): from the rack
    // stack's AppParam<Name> outputs ("-" is blank, since an output cannot be empty)
    for (key, value) in &outputs {
        if let Some(name) = key.strip_prefix("AppParam")
            && declared(name)
        {
            let value = if value == "-" { String::new() } else { value.clone() };
            params.insert(name.to_string(), ParamValue::Plain(value));
        }
    }
    if declared("ResourcePassword") {
        let value = match stored.get(secrets::RESOURCE_PASSWORD) {
            Some(p) => ParamValue::Secret(p.clone()),
            None if deployed_has("ResourcePassword") => {
                eprintln!(
                    "warning: the resource password is not in SSM ({}); keeping the deployed one",
                    env_parameter_path(rack, &app, secrets::RESOURCE_PASSWORD)
                );
                ParamValue::UsePrevious
            }
            None => {
                let p = secrets::random_password().map_err(|e| Error(format!("cannot generate a password: {e}")))?;
                let one: BTreeMap<String, String> = [(secrets::RESOURCE_PASSWORD.to_string(), p.clone())].into();
                secrets::write(&c, rack, &app, &one, &stored).await?;
                println!("resource password: generated and stored as an SSM SecureString");
                ParamValue::Secret(p)
            }
        };
        params.insert("ResourcePassword".into(), value);
    }
    let tags: BTreeMap<String, String> = [
        ("Generation", "2"),
        ("Name", app.as_str()),
        ("Rack", rack.as_str()),
        ("System", "convox"),
        ("Type", "app"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let nested: Vec<&Template> = bundle.nested().map(|(_, t)| t).collect();
    deploy(
        &c,
        Deployment {
            stack: &stack_name,
            root: &bundle.app,
            nested,
            bucket: Some(bucket.clone()),
            params,
            tags,
            flags: &args.flags,
        },
        existing,
        Some(&bundle),
    )
    .await
}
