//! The applier: `convoxc apply` (an app) and `convoxc rack apply` (the rack). Both go the same
//! way: settle the stack's state, upload templates, skip a deploy that changes nothing, create a
//! change set and print it, ask, execute, and follow the stack to a verdict.
//!
//! `aws` (clients, retries, errors), `secrets` (SSM), `upload` (S3), `changeset` (create, read,
//! predict, print), `events` (follow), `stack` (pure decisions, unit-tested on recorded responses).

mod aws;
mod changeset;
mod events;
mod secrets;
mod stack;
mod upload;

use aws::{Clients, Error, Result, describe, err};
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, Stack, Tag};
use clap::Args;
use convoxc_compiler::backend::{Bundle, Template};
use serde_json::Value;
use stack::{ParamValue, Preflight};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub use aws::AwsArgs;

/// Shared by `apply` and `rack apply`.
#[derive(Args, Clone, Debug)]
pub struct Flags {
    /// Execute the change set without asking (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Stop after printing the change set (it is left for review).
    #[arg(long, conflicts_with = "yes")]
    pub no_execute: bool,
}

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
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = crate::args::parse_pair)]
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

#[derive(Args)]
pub struct RackApplyArgs {
    /// The rack's stack name.
    #[arg(long)]
    pub name: String,
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

/// Run an async applier command: errors print as `error: …` (exit 1); Ctrl-C stops waiting and
/// says how to pick up (nothing local is half-done: CloudFormation carries on by itself).
fn run(stack_hint: String, fut: impl std::future::Future<Output = Result<()>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        tokio::select! {
            r = fut => r,
            _ = tokio::signal::ctrl_c() => Err(Error(format!(
                "interrupted: stopped following {stack_hint}. CloudFormation carries on with what it was doing; \
                 run the same command again to pick the stack up where it is (it waits for a running operation to settle)"
            ))),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            events_finish_line();
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn events_finish_line() {
    if std::io::stdout().is_terminal() {
        print!("\r\x1b[K");
    }
}

/// `convoxc apply`.
pub fn apply(args: ApplyArgs) -> ExitCode {
    let app = match crate::names::app_name(args.app.as_deref(), &args.file) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::args::USAGE);
        }
    };
    let manifest = match crate::input::read(&args.file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let env_file = match args.env_file.as_deref().map(crate::input::read).transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let stack = format!("{}-{app}", args.rack);
    run(stack.clone(), apply_app(args, app, manifest, env_file))
}

async fn apply_app(
    args: ApplyArgs,
    app: String,
    manifest: convoxc_compiler::SourceFile,
    env_file: Option<convoxc_compiler::SourceFile>,
) -> Result<()> {
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
        let (pairs, _) = convoxc_compiler::parse_env_file(f, convoxc_compiler::SourceId(0));
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
    let loaded = convoxc_compiler::load(convoxc_compiler::Input {
        manifest: Some(manifest),
        env_file,
        env,
        env_known,
        rack_params,
    });
    let options = convoxc_compiler::backend::BuildOptions {
        app: app.clone(),
        rack: Some(rack.clone()),
        env_names,
    };
    let compiled = crate::compile::compile_and_report(&loaded, &options, crate::args::Format::Human);
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
            convoxc_compiler::backend::env_parameter_path(rack, &app, "")
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
                    convoxc_compiler::backend::env_parameter_path(rack, &app, secrets::RESOURCE_PASSWORD)
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

/// `convoxc rack apply`.
pub fn rack_apply(args: RackApplyArgs) -> ExitCode {
    if let Err(e) = crate::names::valid_name("rack", &args.name) {
        eprintln!("error: {e}");
        return ExitCode::from(crate::args::USAGE);
    }
    let Some(path) = &args.template else {
        // the compiled rack: rack params are compiled in, the stack takes no parameters
        let template =
            match crate::compile::rack_template(&args.name, args.rack_params.as_deref(), crate::args::Format::Human) {
                Ok(t) => t,
                Err(code) => return code,
            };
        return run(args.name.clone(), apply_rack(args, template, BTreeMap::new()));
    };
    // a custom template: rack params are its stack parameters
    let template = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => Template::new(v),
        Err(e) => {
            eprintln!("error: cannot read the template {}: {e}", path.display());
            return ExitCode::from(crate::args::USAGE);
        }
    };
    let params = match args.rack_params.as_deref().map(read_params).transpose() {
        Ok(p) => p.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::args::USAGE);
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
    run(args.name.clone(), apply_rack(args, template, params))
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

async fn apply_rack(args: RackApplyArgs, template: Template, given: BTreeMap<String, String>) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let existing = settle(&c, &args.name, &args.flags).await?;
    let mut bucket = args.template_bucket.clone();
    if bucket.is_none() && template.text.len() > INLINE_LIMIT {
        bucket = existing.as_ref().and_then(|s| {
            s.outputs()
                .iter()
                .find(|o| o.output_key() == Some("SettingsBucket"))
                .and_then(|o| o.output_value())
                .map(str::to_string)
        });
        if bucket.is_none() {
            return err(format!(
                "the rack template is {} bytes, more than CloudFormation takes inline ({INLINE_LIMIT}); give --template-bucket BUCKET",
                template.text.len()
            ));
        }
    }
    let params = given.into_iter().map(|(k, v)| (k, ParamValue::Plain(v))).collect();
    let tags = [("Rack", args.name.as_str()), ("System", "convox"), ("Type", "rack")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    deploy(
        &c,
        Deployment {
            stack: &args.name,
            root: &template,
            nested: Vec::new(),
            bucket,
            params,
            tags,
            flags: &args.flags,
        },
        existing,
        None,
    )
    .await
}

const INLINE_LIMIT: usize = 51_200;

/// The outputs of the rack stack.
/// The rack's params, to compile the app against (zones, NLB defaults, which exports exist …):
/// a convoxc rack keeps them in its template's `Metadata.convoxc.RackParams`; a rack that
/// convox made has them as its stack parameters (NoEcho ones, shown as `****`, are left out).
async fn rack_params(c: &Clients, rack: &Stack) -> Result<Option<convoxc_compiler::SourceFile>> {
    let name = rack.stack_name().unwrap_or_default();
    let body = deployed_template(c, name).await?;
    let template: Option<Value> = serde_json::from_str(&body).ok();
    let params: BTreeMap<String, String> = match template
        .as_ref()
        .and_then(|t| t.pointer("/Metadata/convoxc/RackParams"))
    {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => rack
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.to_string(), p.parameter_value()?.to_string())))
            .filter(|(k, v)| v != "****" && convoxc_compiler::rack::spec(k).is_some_and(|s| !s.no_echo))
            .collect(),
    };
    if params.is_empty() && template.as_ref().and_then(|t| t.pointer("/Metadata/convoxc")).is_none() {
        return Ok(None); // neither a convoxc rack nor a convox one: compile without rack params
    }
    let text = serde_json::to_string_pretty(&params).expect("a map of strings serialises");
    Ok(Some(convoxc_compiler::SourceFile::new(
        format!("the params of rack {name}"),
        text,
    )))
}

/// The template body a stack was deployed with.
async fn deployed_template(c: &Clients, stack: &str) -> Result<String> {
    let t = c
        .cfn
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| describe(&format!("reading the template of {stack}"), &e))?;
    Ok(t.template_body().unwrap_or_default().to_string())
}

async fn rack_stack(c: &Clients, rack: &str) -> Result<Stack> {
    match describe_stack(c, rack).await? {
        Some(s)
            if matches!(
                stack::preflight(s.stack_status().map(|x| x.as_str())),
                Preflight::RollbackComplete | Preflight::Review
            ) =>
        {
            err(format!(
                "rack {rack} was never created successfully ({}): apply the rack first",
                s.stack_status().map(|x| x.as_str()).unwrap_or("")
            ))
        }
        Some(s) if stack::preflight(s.stack_status().map(|x| x.as_str())) != Preflight::Absent => Ok(s),
        _ => err(format!(
            "rack {rack} not found: there is no CloudFormation stack named {rack} in {} (check --rack, --region and --profile)",
            c.region
        )),
    }
}

async fn describe_stack(c: &Clients, name: &str) -> Result<Option<Stack>> {
    match c.cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e) if aws::is_missing_stack(&e) => Ok(None),
        Err(e) => Err(describe(&format!("reading stack {name}"), &e)),
    }
}

/// Bring the stack to a state a change set can start from: wait out a running operation, delete a
/// stack whose creation failed (after confirmation), stop with the recovery command when a
/// rollback failed. Returns the stack when it exists (None: create it).
async fn settle(c: &Clients, name: &str, flags: &Flags) -> Result<Option<Stack>> {
    let mut said_waiting = false;
    loop {
        let s = describe_stack(c, name).await?;
        let status = s
            .as_ref()
            .and_then(|s| s.stack_status())
            .map(|x| x.as_str().to_string());
        match stack::preflight(status.as_deref()) {
            Preflight::Absent | Preflight::Review => return Ok(None),
            Preflight::Ready => return Ok(s),
            Preflight::InProgress(st) => {
                if !said_waiting {
                    println!("{name} is {st}: waiting for it to settle (Ctrl-C stops waiting; the operation goes on)");
                    said_waiting = true;
                }
                tokio::time::sleep(events::poll_interval()).await;
            }
            Preflight::RollbackComplete => {
                let id = s.as_ref().and_then(|s| s.stack_id()).unwrap_or(name).to_string();
                let cause = failure_summary(c, &id).await;
                println!("{name} failed to create and rolled back (ROLLBACK_COMPLETE){cause}");
                println!(
                    "it never existed successfully and can only be deleted; it must be deleted before it is created again"
                );
                if flags.no_execute {
                    return err(format!(
                        "{name} is ROLLBACK_COMPLETE; run without --no-execute to delete and recreate it"
                    ));
                }
                confirm(flags, &format!("Delete {name} and create it again?"))?;
                c.cfn
                    .delete_stack()
                    .stack_name(&id)
                    .send()
                    .await
                    .map_err(|e| describe(&format!("deleting {name}"), &e))?;
                println!("deleting {name}…");
                loop {
                    tokio::time::sleep(events::poll_interval()).await;
                    let st = describe_stack(c, &id)
                        .await?
                        .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()));
                    match st.as_deref() {
                        None | Some("DELETE_COMPLETE") => break,
                        Some("DELETE_FAILED") => return err(format!("deleting {name} failed")),
                        _ => {}
                    }
                }
            }
            Preflight::UpdateRollbackFailed => {
                let skip = rollback_skip_list(c, name).await?;
                return err(format!(
                    "{name} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback; it cannot be updated until the rollback completes.\n  \
                     Fix what blocked the rollback if you can, then run:\n    {}\n  \
                     (skipping resources leaves them as they are; check them afterwards), then run this command again",
                    stack::continue_rollback_command(name, &skip, Some(&c.region))
                ));
            }
            Preflight::Blocked(st) => {
                return err(format!(
                    "{name} is {st} and cannot be updated; see `aws cloudformation describe-stack-events --stack-name {name}`"
                ));
            }
        }
    }
}

async fn rollback_skip_list(c: &Clients, name: &str) -> Result<Vec<String>> {
    let root = c
        .cfn
        .describe_stack_resources()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| describe(&format!("reading the resources of {name}"), &e))?;
    let mut nested = Vec::new();
    for r in root.stack_resources() {
        if r.resource_type() == Some("AWS::CloudFormation::Stack")
            && r.resource_status().is_some_and(|s| s.as_str() == "UPDATE_FAILED")
            && let (Some(id), Some(phys)) = (r.logical_resource_id(), r.physical_resource_id())
            && let Ok(out) = c.cfn.describe_stack_resources().stack_name(phys).send().await
        {
            nested.push((id.to_string(), out.stack_resources().to_vec()));
        }
    }
    Ok(stack::resources_to_skip(root.stack_resources(), &nested))
}

/// ": <root cause>" of a failed stack, from its events (empty when there is none).
async fn failure_summary(c: &Clients, stack_id: &str) -> String {
    let Ok(out) = c.cfn.describe_stack_events().stack_name(stack_id).send().await else {
        return String::new();
    };
    match stack::root_cause(out.stack_events()) {
        Some(f) => format!(
            ":\n  {} {} ({}) {}: {}",
            f.stack, f.logical_id, f.resource_type, f.status, f.reason
        ),
        None => String::new(),
    }
}

fn confirm(flags: &Flags, question: &str) -> Result<()> {
    if flags.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return err(
            "not asking on a non-terminal: use --yes to go ahead, or --no-execute to stop after the change set",
        );
    }
    print!("{question} [y/N] ");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        err("not executed (answer was not yes)")
    }
}

struct Deployment<'a> {
    stack: &'a str,
    root: &'a Template,
    nested: Vec<&'a Template>,
    /// Where templates are uploaded; None: the root template goes inline.
    bucket: Option<String>,
    params: BTreeMap<String, ParamValue>,
    tags: BTreeMap<String, String>,
    flags: &'a Flags,
}

async fn deploy(c: &Clients, d: Deployment<'_>, existing: Option<Stack>, bundle: Option<&Bundle>) -> Result<()> {
    let stack_name = d.stack;
    let template_url = match &d.bucket {
        Some(bucket) => {
            let mut all = d.nested.clone();
            all.push(d.root);
            let (uploaded, skipped) = upload::upload(c, bucket, &all).await?;
            println!(
                "templates: {} uploaded, {skipped} already in s3://{bucket}",
                uploaded.len()
            );
            for k in &uploaded {
                println!("  uploaded {k}");
            }
            Some(upload::url(bucket, &c.region, &d.root.key()))
        }
        None => None,
    };

    // no-op: same template, parameters and tags as deployed → no change set at all
    let mut old_root: Option<Value> = None;
    if let Some(s) = &existing {
        let body = deployed_template(c, stack_name).await?;
        let diff = stack::differences(s, &body, d.root.value(), &d.params, &d.tags);
        if diff.is_empty() {
            println!("no changes: {stack_name} is up to date");
            return Ok(());
        }
        println!("{stack_name} differs in: {}", diff.join(", "));
        old_root = serde_json::from_str(&body).ok();
    }

    let parameters: Vec<Parameter> = d
        .params
        .iter()
        .map(|(k, v)| {
            let p = Parameter::builder().parameter_key(k);
            match v {
                ParamValue::Plain(s) | ParamValue::Secret(s) => p.parameter_value(s),
                ParamValue::UsePrevious => p.use_previous_value(true),
            }
            .build()
        })
        .collect();
    let tags: Vec<Tag> = d
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let kind = if existing.is_some() {
        ChangeSetType::Update
    } else {
        ChangeSetType::Create
    };
    let set = changeset::create(
        c,
        changeset::Request {
            stack: stack_name,
            kind,
            template_body: if template_url.is_none() {
                Some(&d.root.text)
            } else {
                None
            },
            template_url,
            parameters,
            tags,
        },
    )
    .await?;
    if set.empty {
        println!(
            "no changes: CloudFormation found nothing to change in {stack_name} (the empty change set was deleted)"
        );
        return Ok(());
    }

    // what CloudFormation did not say about nested stacks and replacement, predicted from templates
    let mut changes = set.changes;
    if let (Some(old), Some(bundle)) = (&old_root, bundle) {
        changes = with_nested_predictions(c, stack_name, old, d.root.value(), bundle, changes).await;
    } else if let Some(old) = &old_root {
        let templates = BTreeMap::from([(Vec::new(), (old.clone(), d.root.value().clone()))]);
        changeset::predict_all(&mut changes, &templates);
    }
    print!("{}", changeset::render(stack_name, &changes));

    if d.flags.no_execute {
        println!(
            "--no-execute: stopping here; the change set is left for review: {}",
            set.id
        );
        return Ok(());
    }
    if let Err(e) = confirm(d.flags, &format!("Execute these changes to {stack_name}?")) {
        changeset::delete(c, &set.id).await;
        return Err(e);
    }

    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 - 1)
        .unwrap_or(0);
    let tty = std::io::stdout().is_terminal();
    let mut follower = events::Follower::new(stack_name, since, tty);
    follower.skip_existing(c).await?;
    c.cfn
        .execute_change_set()
        .change_set_name(&set.id)
        .send()
        .await
        .map_err(|e| describe(&format!("executing the change set of {stack_name}"), &e))?;
    println!("executing the change set; following {stack_name} (Ctrl-C stops following, not the deploy)");
    let started = std::time::Instant::now();
    let status = loop {
        let s = describe_stack(c, stack_name).await?;
        let status = s
            .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
            .unwrap_or_default();
        follower.poll(c, &status).await?;
        if stack::outcome(&status).is_some() {
            break status;
        }
        tokio::time::sleep(events::poll_interval()).await;
    };
    follower.finish();
    let secs = started.elapsed().as_secs_f32();
    if stack::outcome(&status) == Some(true) {
        println!("ok: {stack_name} {status} in {secs:.1} s");
        if let Some(s) = describe_stack(c, stack_name).await? {
            for o in s.outputs() {
                println!(
                    "  {} = {}",
                    o.output_key().unwrap_or(""),
                    o.output_value().unwrap_or("")
                );
            }
        }
        return Ok(());
    }
    let cause = match stack::root_cause(&follower.events) {
        Some(f) => format!(
            "\n  cause: {} {} ({}) {}: {}",
            f.stack, f.logical_id, f.resource_type, f.status, f.reason
        ),
        None => String::new(),
    };
    let next = match stack::preflight(Some(&status)) {
        Preflight::RollbackComplete => {
            "\n  the stack never existed successfully; the next apply deletes it (after asking) and creates it again"
        }
        Preflight::Ready => "\n  the stack is back as it was; fix the cause and apply again",
        _ => "",
    };
    err(format!("{stack_name} failed: {status} after {secs:.1} s{cause}{next}"))
}

/// Describe changes inside nested stacks that CloudFormation reported only as "modify the nested
/// stack" (from their deployed and new templates), and predict replacement where it said nothing.
async fn with_nested_predictions(
    c: &Clients,
    stack: &str,
    old_root: &Value,
    new_root: &Value,
    bundle: &Bundle,
    changes: Vec<changeset::Change>,
) -> Vec<changeset::Change> {
    let mut templates = BTreeMap::from([(Vec::new(), (old_root.clone(), new_root.clone()))]);
    let by_key: BTreeMap<String, &Template> = bundle.nested().map(|(_, t)| (t.key(), t)).collect();
    let physical: BTreeMap<String, String> = match c.cfn.describe_stack_resources().stack_name(stack).send().await {
        Ok(out) => out
            .stack_resources()
            .iter()
            .filter_map(|r| {
                Some((
                    r.logical_resource_id()?.to_string(),
                    r.physical_resource_id()?.to_string(),
                ))
            })
            .collect(),
        Err(_) => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for ch in &changes {
        out.push(ch.clone());
        let described = changes.iter().any(|x| x.path.first() == Some(&ch.logical_id));
        if !ch.path.is_empty() || ch.resource_type != "AWS::CloudFormation::Stack" || ch.action != "Modify" || described
        {
            continue;
        }
        let url = new_root
            .pointer(&format!("/Resources/{}/Properties/TemplateURL", ch.logical_id))
            .map(Value::to_string)
            .unwrap_or_default();
        let Some(new) = url
            .find(convoxc_compiler::backend::KEY_PREFIX)
            .and_then(|i| url[i..].split('"').next())
            .and_then(|key| by_key.get(key))
        else {
            continue;
        };
        let Some(phys) = physical.get(&ch.logical_id) else {
            continue;
        };
        let Ok(t) = c.cfn.get_template().stack_name(phys).send().await else {
            continue;
        };
        let Some(old) = t.template_body().and_then(|b| serde_json::from_str::<Value>(b).ok()) else {
            continue;
        };
        let path = vec![ch.logical_id.clone()];
        out.extend(changeset::template_changes(&path, &old, new.value()));
        templates.insert(path, (old, new.value().clone()));
    }
    changeset::predict_all(&mut out, &templates);
    out
}
