//! `convoxc resources`: the rack-level resources of `convox rack resources` — list the types, show
//! a type's options, build a resource's stack template.

use crate::{OutputArgs, USAGE, output, read};
use clap::{Args, Subcommand};
use convoxc_compiler::front::rack_resource::Request;
use convoxc_compiler::ir::rack_resource::Kind;
use convoxc_compiler::{back, front};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ResourcesCommand {
    /// List the resource types.
    Types,
    /// Print a type's options: NAME, DEFAULT and DESCRIPTION, sorted by name.
    Options {
        /// The resource type (see `convoxc resources types`).
        r#type: String,
    },
    /// Compile a rack resource to its stack template (printed, or written to DIR/<name>.json).
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// The resource type (see `convoxc resources types`).
    r#type: String,
    /// Options as KEY=VALUE (`allocated-storage=50` or `AllocatedStorage=50`).
    #[arg(value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// The resource's name: its stack is `<rack>-<name>`.
    #[arg(long)]
    name: String,
    /// Rack parameters (a JSON or YAML map): `Private: Yes` puts the resource in private subnets.
    #[arg(long, value_name = "FILE")]
    rack_params: Option<PathBuf>,
    /// Rack stack name: the default of the template's Rack parameter.
    #[arg(long)]
    rack_name: Option<String>,
    /// Write <name>.json (or .yaml) here instead of printing the template.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(command: ResourcesCommand) -> ExitCode {
    match command {
        ResourcesCommand::Types => {
            for k in Kind::ALL {
                println!("{}", k.as_str());
            }
            ExitCode::SUCCESS
        }
        ResourcesCommand::Options { r#type } => match kind(&r#type) {
            Ok(k) => {
                print!("{}", options_table(k));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        ResourcesCommand::Build(args) => build(args),
    }
}

/// A type name, or a usage error with a suggestion.
fn kind(name: &str) -> Result<Kind, ExitCode> {
    Kind::parse(name).ok_or_else(|| {
        let hint = match Kind::suggest(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "types: {}",
                Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        eprintln!("error: invalid resource type: {name}: {hint}");
        ExitCode::from(USAGE)
    })
}

/// NAME DEFAULT DESCRIPTION, aligned, sorted by name (as `convox rack resources options` prints).
fn options_table(kind: Kind) -> String {
    let mut rows: Vec<[&str; 3]> = kind
        .options()
        .iter()
        .map(|o| [o.name, o.shown_default(), o.description])
        .collect();
    rows.sort();
    rows.insert(0, ["NAME", "DEFAULT", "DESCRIPTION"]);
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    rows.iter()
        .map(|[n, d, t]| format!("{n:w0$}  {d:w1$}  {t}").trim_end().to_string() + "\n")
        .collect()
}

fn build(args: BuildArgs) -> ExitCode {
    let kind = match kind(&args.r#type) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let rack_params = match args.rack_params.as_deref().map(read).transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let loaded = front::rack_resource::load(Request {
        kind,
        name: args.name.clone(),
        options: args.options,
        rack: args.rack_name,
        rack_params,
    });
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, args.output.diagnostics);
    }
    let Some(resource) = &loaded.resource else {
        return ExitCode::from(1);
    };
    let template = match back::rack_resource::build(resource) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    crate::emit(&template, &args.output, args.out_dir.as_deref(), &args.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_table_is_aligned_and_sorted() {
        let t = options_table(Kind::Memcached);
        assert_eq!(
            t,
            "NAME           DEFAULT         DESCRIPTION\n\
             InstanceType   cache.t2.micro  The type of instance to use\n\
             NumCacheNodes  1               The number of cache nodes\n"
        );
        let t = options_table(Kind::Mysql);
        assert!(t.contains("Password                    (generated at apply)"), "{t}");
    }
}
