//! `convoxc images`: the builds in the app's registry (ID, services, when pushed, which one is
//! deployed); `images push`: build and push the app's images without deploying, and print the
//! build ID (for CI that builds in one job and runs `apply --build ID` in another).

use crate::args::{ListFormat, parse_pair};
use crate::aws::builds;
use crate::aws::clients::{AwsArgs, Clients, Error, Result};
use crate::aws::lookup::{describe_stack, output};
use crate::aws::rack_stack::rack_stack;
use crate::commands::apply::{ApplyArgs, start};
use crate::commands::deploy::{manifest_dir, prepare};
use crate::deploy::consent::Flags;

use crate::deploy::runtime;
use crate::deploy::say::{self, DeployFormat};
use crate::deploy::ship::{Ship, images, publish_all};
use crate::images::publish::{Counts, Target};
use crate::images::resolve::open_registry as registry;
use crate::target::AppTarget;
use clap::{Args, Subcommand};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImagesArgs {
    #[command(subcommand)]
    command: Option<ImagesCommand>,
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Subcommand)]
enum ImagesCommand {
    /// Build the app's images and push what the registry lacks; print the build ID.
    Push(PushArgs),
}

#[derive(Args)]
struct PushArgs {
    /// The manifest whose services are built.
    #[arg(default_value = "convox.yml")]
    file: PathBuf,
    /// The rack (default: the current rack, `convoxc switch`).
    #[arg(long)]
    rack: Option<String>,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    app: Option<String>,
    /// An environment variable for the build's ARGs (repeatable); not stored.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_pair)]
    env: Vec<(String, String)>,
    /// Environment variables from a file of KEY=VALUE lines (before -e).
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Name the build (default: derived from its sources).
    #[arg(long, value_name = "ID", value_parser = crate::args::parse_build)]
    build: Option<String>,
    /// docker, podman, finch or nerdctl (default: CONVOXC_ENGINE, else the first on PATH).
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
    /// Build every image for this platform (default: what each service runs on).
    #[arg(long, value_name = "OS/ARCH")]
    platform: Option<String>,
    /// Text (steps on stderr, the build ID on stdout), or JSON lines ending in a verdict.
    #[arg(long, value_enum, default_value_t = DeployFormat::Text)]
    format: DeployFormat,
    #[command(flatten)]
    aws: AwsArgs,
}

pub(crate) fn run(args: ImagesArgs) -> ExitCode {
    match args.command {
        Some(ImagesCommand::Push(p)) => push(p),
        None => list(args.target, args.format),
    }
}

fn push(p: PushArgs) -> ExitCode {
    let engine = p.engine;
    let platform = p.platform;
    let mut a = ApplyArgs {
        file: p.file,
        rack: p.rack,
        app: p.app,
        env: p.env,
        env_file: p.env_file,
        build: p.build,
        flags: Flags {
            yes: false,
            no_execute: false,
            allow_destroy: false,
            format: p.format,
            wait: None,
        },
        aws: p.aws,
    };
    say::steps_to_stderr();
    let start = match start(&mut a) {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime::block_on(async move {
        let app = start.app.clone();
        let (c, prepared) = prepare(&a, start).await?;
        let base = manifest_dir(&a.file);
        let s = Ship {
            rack: a.rack.as_deref().unwrap_or_default(),
            flags: &a.flags,
            build: a.build.as_deref(),
            engine: engine.as_deref(),
            platform: platform.as_deref(),
            base: &base,
        };
        let Some(planned) = images(&prepared, &s)? else {
            prepared.compile(BTreeMap::new(), None)?;
            return Ok(());
        };
        let Some(id) = planned.id.clone() else {
            return Err(Error(format!(
                "{}: no service is built from source (every one has an `image:`): nothing to push",
                prepared.stack_name()
            )));
        };
        let stack = prepared.stack_name().to_string();
        let Some((access, reg)) = registry(&c, &stack).await? else {
            return Err(Error(format!(
                "{stack} does not exist yet, so it has no registry to push to: `convoxc apps create {app}` makes it \
                 (or `convoxc deploy`, which makes it after asking and pushes the images)"
            )));
        };
        let target = Target {
            access: &access,
            registry: &reg,
        };
        let mut engine = None;
        let mut counts = Counts::default();
        let bucket = prepared.bucket().to_string();
        publish_all(
            &c,
            (&bucket, &app),
            &planned,
            &s,
            &target,
            &mut engine,
            &mut counts,
            None,
        )
        .await?;
        if say::json() {
            say::verdict(
                "",
                json!({"result": "ok", "build": id, "built": counts.built, "pushed": counts.pushed, "skipped": counts.skipped,
                       "services": planned.service_builds()}),
            );
        } else {
            eprintln!(
                "ok: build {id}: {} built, {} pushed, {} already in the registry",
                counts.built, counts.pushed, counts.skipped
            );
            println!("{id}");
        }
        Ok(())
    })
}

/// One build in the listing.
struct Row {
    id: String,
    services: Vec<String>,
    pushed: String,
    deployed: bool,
    /// Tags the record names that the registry does not have.
    missing: Vec<String>,
}

fn list(mut target: AppTarget, format: ListFormat) -> ExitCode {
    let (rack, app) = match target.resolve() {
        Ok(x) => x,
        Err(code) => return code,
    };
    let aws = target.rack.aws.clone();
    runtime::block_on(async move {
        let c = Clients::connect(&aws).await?;
        let rows = rows(&c, &rack, &app).await?;
        match format {
            ListFormat::Json => {
                let list: Vec<_> = rows
                    .iter()
                    .map(|r| json!({"id": r.id, "services": r.services, "pushed": r.pushed, "deployed": r.deployed, "missing": r.missing}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
            }
            ListFormat::Text => {
                let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
                let sw = rows
                    .iter()
                    .map(|r| r.services.join(",").len())
                    .max()
                    .unwrap_or(8)
                    .max(8);
                println!("{:<w$}  {:<sw$}  {:<20}  STATUS", "ID", "SERVICES", "PUSHED");
                for r in &rows {
                    let mut status = if r.deployed {
                        "deployed".to_string()
                    } else {
                        String::new()
                    };
                    if !r.missing.is_empty() {
                        status = format!("{status} missing {}", r.missing.join(",")).trim().to_string();
                    }
                    // to the second (the record keeps the fraction, which orders the builds)
                    let pushed = match r.pushed.split_once('.') {
                        _ if r.pushed.is_empty() => "-".to_string(),
                        Some((secs, _)) => format!("{secs}Z"),
                        None => r.pushed.clone(),
                    };
                    println!("{:<w$}  {:<sw$}  {:<20}  {status}", r.id, r.services.join(","), pushed);
                }
            }
        }
        Ok(())
    })
}

async fn rows(c: &Clients, rack: &str, app: &str) -> Result<Vec<Row>> {
    let stack = format!("{rack}-{app}");
    let Some(deployed) = describe_stack(c, &stack).await? else {
        return Err(Error(format!(
            "there is no app {app} on rack {rack} (no stack {stack})"
        )));
    };
    let deployed_build = deployed
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("Build"))
        .and_then(|p| p.parameter_value())
        .map(str::to_string);
    let rack_stack = rack_stack(c, rack).await?;
    let bucket = output(&rack_stack, "SettingsBucket").map(str::to_string);
    let Some((_access, registry)) = registry(c, &stack).await? else {
        return Err(Error(format!("{stack} has no registry")));
    };
    let tags = registry
        .tags()
        .await
        .map_err(|e| Error(format!("listing the app's registry: {e}")))?;
    let tags: BTreeSet<String> = tags.into_iter().collect();
    // tags are `<service>.<build>`: a build's services, by build
    let mut by_build: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &tags {
        if let Some((service, build)) = t.split_once('.') {
            by_build.entry(build.to_string()).or_default().push(service.to_string());
        }
    }
    let records = match &bucket {
        Some(b) => builds::list(c, b, app).await?,
        None => Vec::new(),
    };
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut rows = Vec::new();
    for r in records.iter().rev() {
        covered.insert(r.id.clone());
        covered.extend(r.services.values().cloned());
        let missing = r
            .services
            .iter()
            .map(|(s, b)| format!("{s}.{b}"))
            .filter(|t| !tags.contains(t))
            .collect();
        rows.push(Row {
            id: r.id.clone(),
            services: r.services.keys().cloned().collect(),
            pushed: r.pushed.clone(),
            deployed: deployed_build.as_deref() == Some(r.id.as_str()),
            missing,
        });
    }
    // builds nothing recorded (convox's builder, a push by hand)
    for (build, services) in by_build {
        if covered.contains(&build) {
            continue;
        }
        rows.push(Row {
            deployed: deployed_build.as_deref() == Some(build.as_str()),
            id: build,
            services,
            pushed: String::new(),
            missing: Vec::new(),
        });
    }
    Ok(rows)
}
