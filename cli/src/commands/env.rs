//! `convoxc env`: an app's environment as its next apply will deploy it (values masked unless
//! `--reveal`), and `env set` / `env unset`, which stage a change for that apply
//! (`aws/staged.rs`): nothing reaches the containers before an apply shows it and is consented to.

use crate::args::{Format, USAGE, parse_pair};
use crate::aws::apps;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::secrets;
use crate::aws::staged;
use crate::deploy::runtime;
use crate::input::read;
use crate::output;
use crate::target::AppTarget;
use clap::{Args, Subcommand};
use convoxc_compiler::{Sources, parse_env_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

/// What `env` prints for a value without `--reveal` (and `env set` refuses as a value).
const MASK: &str = "********";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EnvArgs {
    #[command(subcommand)]
    command: Option<EnvCommand>,
    /// Print the values (else each is `********`): `convoxc env --reveal | convoxc env set --app other -`
    /// copies an environment.
    #[arg(long)]
    reveal: bool,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Subcommand)]
enum EnvCommand {
    /// Stage values for the app's next apply: KEY=VALUE arguments, `-` (KEY=VALUE lines on stdin)
    /// or --file.
    Set(SetArgs),
    /// Stage the removal of variables for the app's next apply.
    Unset(UnsetArgs),
}

#[derive(Args)]
struct SetArgs {
    /// KEY=VALUE pairs, or `-` to read KEY=VALUE lines from stdin.
    #[arg(value_name = "KEY=VALUE")]
    pairs: Vec<String>,
    /// Read KEY=VALUE lines from a file.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    target: AppTarget,
}

#[derive(Args)]
struct UnsetArgs {
    /// The variables.
    #[arg(value_name = "KEY", required = true)]
    names: Vec<String>,
    #[command(flatten)]
    target: AppTarget,
}

pub(crate) fn run(args: EnvArgs) -> ExitCode {
    match args.command {
        None => {
            let mut target = args.target;
            let (rack, app) = match target.resolve() {
                Ok(t) => t,
                Err(code) => return code,
            };
            runtime::block_on(show(target, rack, app, args.reveal))
        }
        Some(EnvCommand::Set(set)) => run_set(set),
        Some(EnvCommand::Unset(mut unset)) => {
            let (rack, app) = match unset.target.resolve() {
                Ok(t) => t,
                Err(code) => return code,
            };
            if let Some(bad) = unset.names.iter().find(|n| !valid_variable(n)) {
                eprintln!("error: `{bad}` is not a variable name (letters, digits and `_`, not starting with a digit)");
                return ExitCode::from(USAGE);
            }
            let names: BTreeSet<String> = unset.names.into_iter().collect();
            runtime::block_on(stage_unset(unset.target, rack, app, names))
        }
    }
}

fn valid_variable(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The pairs `env set` is given, from its arguments, stdin and --file (later ones win), or the
/// exit code of a usage or input error (said).
fn pairs(set: &SetArgs) -> std::result::Result<BTreeMap<String, String>, ExitCode> {
    let mut out = BTreeMap::new();
    let mut files = Vec::new();
    if let Some(f) = &set.file {
        files.push(f.clone());
    }
    let mut args = Vec::new();
    for p in &set.pairs {
        if p == "-" {
            files.push(PathBuf::from("-"));
        } else {
            args.push(parse_pair(p).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(USAGE)
            })?);
        }
    }
    let mut sources = Sources::default();
    let mut problems = Vec::new();
    for f in files {
        let file = read(&f)?;
        let (found, diags) = parse_env_file(&file, sources.add(file.clone()));
        problems.extend(diags);
        out.extend(found);
    }
    if !problems.is_empty() {
        output::print(&sources, &problems, Format::Human);
        return Err(ExitCode::from(1));
    }
    out.extend(args);
    if out.is_empty() {
        eprintln!("error: nothing to set: give KEY=VALUE pairs, `-` (stdin) or --file FILE");
        return Err(ExitCode::from(USAGE));
    }
    for (k, v) in &out {
        if !valid_variable(k) {
            eprintln!("error: `{k}` is not a variable name (letters, digits and `_`, not starting with a digit)");
            return Err(ExitCode::from(1));
        }
        if v == MASK {
            eprintln!(
                "error: the value of {k} is `{MASK}`, the mask `convoxc env` prints without --reveal: copy an \
                 environment with `convoxc env --reveal --app FROM | convoxc env set --app TO -`"
            );
            return Err(ExitCode::from(1));
        }
    }
    Ok(out)
}

fn run_set(mut set: SetArgs) -> ExitCode {
    let (rack, app) = match set.target.resolve() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let values = match pairs(&set) {
        Ok(v) => v,
        Err(code) => return code,
    };
    runtime::block_on(stage_set(set.target, rack, app, values))
}

/// Connect, and find out whether the app is deployed: an app that is not (a typo in --app, or
/// values set before its first apply) is said, with the apps there are.
/// Also the rack's KMS key, which staged values are encrypted with (`rack_stack::secrets_key`).
async fn connect(target: &AppTarget, rack: &str, app: &str) -> Result<(Clients, Option<String>, Option<String>)> {
    let c = Clients::connect(&target.rack.aws).await?;
    let key = crate::aws::rack_stack::secrets_key(&crate::aws::rack_stack::rack_stack(&c, rack).await?);
    let apps = apps::list(&c, rack).await?;
    if apps.iter().any(|a| a.name == app) {
        return Ok((c, None, key));
    }
    Ok((c, Some(apps::missing(rack, app, &apps)), key))
}

async fn show(target: AppTarget, rack: String, app: String, reveal: bool) -> Result<()> {
    let (c, missing, _) = connect(&target, &rack, &app).await?;
    let stored = secrets::stored(&c, &rack, &app).await?;
    let staged = staged::read(&c, &rack, &app).await?;
    if let Some(m) = missing
        && stored.is_empty()
        && staged.is_empty()
    {
        return err(m);
    }
    let mut env: BTreeMap<String, String> = stored
        .into_iter()
        .filter(|(k, _)| !k.starts_with('.') && !staged.unset.contains(k))
        .collect();
    env.extend(staged.set.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut out = String::new();
    for (k, v) in &env {
        out.push_str(&format!("{k}={}\n", if reveal { v.as_str() } else { MASK }));
    }
    print!("{out}");
    if !staged.is_empty() {
        let mut pending: Vec<String> = staged.set.keys().map(|k| format!("{k} (set)")).collect();
        pending.extend(staged.unset.iter().map(|k| format!("{k} (unset)")));
        eprintln!(
            "pending until the next `convoxc apply` of {app}: {} (the containers have the values before them)",
            pending.join(", ")
        );
    }
    Ok(())
}

async fn stage_set(target: AppTarget, rack: String, app: String, values: BTreeMap<String, String>) -> Result<()> {
    let (c, missing, key) = connect(&target, &rack, &app).await?;
    if let Some(m) = missing {
        eprintln!("warning: {m}; the values wait for its first `convoxc apply`");
    }
    staged::set(&c, (&rack, &app), &values, key.as_deref()).await?;
    println!(
        "staged {} value(s) for {app}: {}; they reach its containers with the next `convoxc apply`",
        values.len(),
        values.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

async fn stage_unset(target: AppTarget, rack: String, app: String, names: BTreeSet<String>) -> Result<()> {
    let (c, _, key) = connect(&target, &rack, &app).await?;
    let stored = secrets::stored(&c, &rack, &app).await?;
    let staged = staged::read(&c, &rack, &app).await?;
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !stored.contains_key(*n) && !staged.set.contains_key(*n))
        .collect();
    if !unknown.is_empty() {
        return err(format!(
            "{app} has no variable {}: nothing was staged (`convoxc env --app {app}` lists them)",
            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    staged::unset(&c, (&rack, &app), &names, key.as_deref()).await?;
    println!(
        "staged the removal of {} for {app}; it takes effect with the next `convoxc apply`",
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
