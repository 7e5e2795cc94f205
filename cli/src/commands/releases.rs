//! `convoxc releases`: an app's releases (what each deploy deployed together), newest first, the
//! active one marked; `releases info ID` (what it holds: build, images, parameters, environment
//! names and SSM versions; values only with `--reveal`), `releases manifest ID` (its convox.yml),
//! `releases rollback ID` and `releases promote ID` (`deploy/rollback.rs`).

use crate::args::ListFormat;
use crate::aws::clients::{Clients, Result};
use crate::aws::releases::{self, Record};
use crate::deploy::consent::Flags;
use crate::deploy::rollback::{Rollback, rollback, value_at};
use crate::deploy::runtime;
use crate::deploy::say;
use crate::target::AppTarget;
use clap::{Args, Subcommand};
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReleasesArgs {
    #[command(subcommand)]
    command: Option<ReleasesCommand>,
    /// What goes to stdout: a table, or JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Subcommand)]
enum ReleasesCommand {
    /// What a release holds: its build and images, parameters, environment names with their SSM
    /// versions (values only with --reveal), the change set and how it ended.
    Info(InfoArgs),
    /// The convox.yml a release was compiled from.
    Manifest(OneArgs),
    /// Deploy an earlier release again, as it was: its templates (the same bytes), parameters,
    /// images and environment values; shown and asked like a deploy. A new release.
    Rollback(MoveArgs),
    /// Deploy a release that was held by --no-execute, as it was. A new release.
    Promote(MoveArgs),
}

#[derive(Args)]
struct OneArgs {
    /// The release ID (`convoxc releases` lists them).
    id: String,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Args)]
struct InfoArgs {
    #[command(flatten)]
    one: OneArgs,
    /// Print the environment values too (read from SSM's history).
    #[arg(long)]
    reveal: bool,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

#[derive(Args)]
struct MoveArgs {
    /// The release ID (`convoxc releases` lists them).
    id: String,
    #[command(flatten)]
    target: AppTarget,
    #[command(flatten)]
    flags: Flags,
}

pub(crate) fn run(args: ReleasesArgs) -> ExitCode {
    match args.command {
        None => {
            let mut target = args.target;
            match target.resolve() {
                Ok(at) => runtime::block_on(list(target, at, args.format)),
                Err(code) => code,
            }
        }
        Some(ReleasesCommand::Info(mut i)) => match i.one.target.resolve() {
            Ok(at) => runtime::block_on(info(i, at)),
            Err(code) => code,
        },
        Some(ReleasesCommand::Manifest(mut m)) => match m.target.resolve() {
            Ok(at) => runtime::block_on(async move {
                let (c, bucket) = connect(&m.target, &at.0).await?;
                let r = releases::find(&c, &bucket, &at.1, &m.id).await?;
                print!("{}", r.manifest.text);
                Ok(())
            }),
            Err(code) => code,
        },
        Some(ReleasesCommand::Rollback(m)) => deploy_again(m, false),
        Some(ReleasesCommand::Promote(m)) => deploy_again(m, true),
    }
}

fn deploy_again(mut m: MoveArgs, promote: bool) -> ExitCode {
    say::set(m.flags.format);
    match m.target.resolve() {
        Ok((rack, app)) => runtime::block_on(async move {
            let c = Clients::connect(&m.target.rack.aws).await?;
            let r = Rollback {
                rack: &rack,
                app: &app,
                id: &m.id,
                flags: &m.flags,
                promote,
            };
            rollback(&c, r).await
        }),
        Err(code) => code,
    }
}

/// The clients and the rack's settings bucket (where the records are).
async fn connect(target: &AppTarget, rack: &str) -> Result<(Clients, String)> {
    let c = Clients::connect(&target.rack.aws).await?;
    let bucket = releases::bucket(&c, rack).await?;
    Ok((c, bucket))
}

/// A release's status as the list says it: how its deploy ended.
fn status(r: &Record, active: bool) -> String {
    let state = if !r.executed {
        "held".to_string()
    } else if r.status == "ENVIRONMENT_STORED" {
        "stored".to_string()
    } else if releases::succeeded(&r.status) {
        "deployed".to_string()
    } else {
        format!("failed ({})", r.status)
    };
    if active { format!("active, {state}") } else { state }
}

async fn list(target: AppTarget, (rack, app): (String, String), format: ListFormat) -> Result<()> {
    let (c, bucket) = connect(&target, &rack).await?;
    let mut all = releases::list(&c, &bucket, &app).await?;
    all.reverse();
    let stack = format!("{rack}-{app}");
    let active = releases::active(&c, &stack).await?;
    // an app convox made keeps its releases in convox's DynamoDB table, which convoxc does not read
    let before = match &active {
        Some(a) if !all.iter().any(|r| &r.id == a) => Some(a.clone()),
        _ => None,
    };
    if let ListFormat::Json = format {
        let list: Vec<_> = all
            .iter()
            .map(|r| {
                json!({"id": r.id, "status": r.status, "executed": r.executed, "build": r.build,
                       "created": r.created, "description": r.description, "rollback_of": r.rollback_of,
                       "active": active.as_deref() == Some(r.id.as_str())})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
    } else {
        let rows: Vec<[String; 5]> = all
            .iter()
            .map(|r| {
                [
                    r.id.clone(),
                    status(r, active.as_deref() == Some(r.id.as_str())),
                    r.build.clone().unwrap_or_default(),
                    r.created.clone(),
                    r.description.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let heads = ["ID", "STATUS", "BUILD", "CREATED", "DESCRIPTION"];
        let w: Vec<usize> = (0..5)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0).max(heads[i].len()))
            .collect();
        let line = |c: [&str; 5]| {
            let text = format!(
                "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3]
            );
            println!("{}", text.trim_end());
        };
        line(heads);
        for r in &rows {
            line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
        }
    }
    if let Some(a) = before {
        eprintln!(
            "note: {stack} runs {a}, a release convoxc did not record (convox's, kept in the rack's DynamoDB table): \
             convoxc's release history starts at its first deploy of the app"
        );
    } else if all.is_empty() {
        eprintln!("app {app} has no release recorded by convoxc: its history starts at its first convoxc deploy");
    }
    Ok(())
}

async fn info(i: InfoArgs, (rack, app): (String, String)) -> Result<()> {
    let (c, bucket) = connect(&i.one.target, &rack).await?;
    let r = releases::find(&c, &bucket, &app, &i.one.id).await?;
    let active = releases::active(&c, &format!("{rack}-{app}")).await?;
    let mut values = serde_json::Map::new();
    if i.reveal {
        for (name, version) in &r.environment {
            let v = value_at(&c, (&rack, &app), name, *version).await?;
            values.insert(name.clone(), json!(v));
        }
    }
    if let ListFormat::Json = i.format {
        let mut v = serde_json::to_value(&r).expect("a record serialises");
        v["active"] = json!(active.as_deref() == Some(r.id.as_str()));
        if i.reveal {
            v["values"] = json!(values);
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
        return Ok(());
    }
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let mut rows = vec![
        ("Id", r.id.clone()),
        ("Status", status(&r, active.as_deref() == Some(r.id.as_str()))),
        ("Stack status", r.status.clone()),
        ("Created", r.created.clone()),
        ("Who", opt(&r.who)),
        ("Description", opt(&r.description)),
        ("Rollback of", opt(&r.rollback_of)),
        ("Build", opt(&r.build)),
        ("Change set", opt(&r.change_set)),
        (
            "Manifest",
            format!("{} (sha256 {})", r.manifest.name, r.manifest.sha256),
        ),
        ("Rack params", format!("sha256 {}", r.rack_params_sha256)),
    ];
    rows.push(("Template", r.templates.get("app.json").cloned().unwrap_or_default()));
    for (k, v) in &r.images {
        rows.push(("Image", format!("{k}: {v}")));
    }
    for (k, v) in &r.parameters {
        rows.push(("Parameter", format!("{k} = {v}")));
    }
    for (name, version) in &r.environment {
        let shown = match values.get(name) {
            Some(serde_json::Value::String(v)) => format!(" = {v}"),
            Some(_) => " (no longer in SSM's history)".into(),
            None => String::new(),
        };
        rows.push(("Environment", format!("{name} (version {version}){shown}")));
    }
    for name in &r.unstored {
        rows.push(("Environment", format!("{name} (given, never stored)")));
    }
    for (k, v) in rows {
        println!("{k:14}{v}");
    }
    Ok(())
}
