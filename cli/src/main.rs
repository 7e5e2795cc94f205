//! `convoxc`: compile convox.yml to CloudFormation.
//!
//! Exit codes: 0 ok, 1 input (or deploy) failure, 2 usage error.

mod apply;
mod output;
mod rack_cmd;
mod resources_cmd;

use clap::{Args, Parser, Subcommand, ValueEnum};
use convoxc_compiler::{Input, SourceFile, load};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "convoxc",
    version,
    about = "Compile convox.yml to AWS CloudFormation",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a convox.yml (and rack params): report every problem, exit 1 if there is an error.
    Validate(ValidateArgs),
    /// Compile convox.yml to CloudFormation: the app stack on stdout, or the whole bundle with --out-dir.
    Build(BuildArgs),
    /// Deploy an app to a rack: upload its templates, create a change set, execute it, follow it.
    Apply(apply::ApplyArgs),
    /// The rack stack: `convoxc rack build`, `convoxc rack apply`.
    #[command(subcommand)]
    Rack(rack_cmd::RackCommand),
    /// Rack-level resources (`convox rack resources`): types, options, templates.
    #[command(subcommand)]
    Resources(resources_cmd::ResourcesCommand),
    /// Print the JSON Schema for convox.yml (or for rack params).
    Schema {
        /// Print the rack-params schema instead.
        #[arg(long)]
        rack_params: bool,
    },
}

#[derive(Args)]
struct ManifestArgs {
    /// The manifest to read.
    #[arg(default_value = "convox.yml")]
    file: PathBuf,
    /// Set an environment variable for ${VAR} interpolation and required-variable checks (repeatable).
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_pair)]
    env: Vec<(String, String)>,
    /// Read environment variables from a file of KEY=VALUE lines (applied before -e).
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Rack parameters (a JSON or YAML map of NAME: value) to check the manifest against.
    #[arg(long, value_name = "FILE")]
    rack_params: Option<PathBuf>,
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    app: Option<String>,
    /// Rack stack name: the default of the app stack's Rack parameter.
    #[arg(long)]
    rack_name: Option<String>,
    /// Write app.json and services/, timers/, resources/ templates here instead of printing app.json.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// How a command that compiles templates prints them and its diagnostics.
#[derive(Args)]
pub struct OutputArgs {
    /// Template format. JSON is what is deployed (its bytes are content-addressed); YAML is for reading.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub diagnostics: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

impl TemplateFormat {
    pub fn render(self, t: &convoxc_compiler::back::Template) -> String {
        match self {
            TemplateFormat::Json => t.text.clone(),
            TemplateFormat::Yaml => {
                serde_saphyr::to_string(t.value()).unwrap_or_else(|e| format!("# cannot write YAML: {e}\n"))
            }
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Json => "json",
            TemplateFormat::Yaml => "yaml",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

pub const USAGE: u8 = 2;

/// Print one template, or write it as `DIR/<stem>.<json|yaml>`.
fn emit(
    template: &convoxc_compiler::back::Template,
    output: &OutputArgs,
    out_dir: Option<&Path>,
    stem: &str,
) -> ExitCode {
    let text = output.format.render(template);
    let Some(dir) = out_dir else {
        print!("{text}");
        return ExitCode::SUCCESS;
    };
    let path = dir.join(format!("{stem}.{}", output.format.extension()));
    match std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}

/// App and rack names: they become stack names, DNS labels and resource names.
fn valid_name(what: &str, name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} name `{name}`: use lowercase letters, digits and dashes (at most 40), starting with a letter"
        ))
    }
}

pub fn read(path: &Path) -> Result<SourceFile, ExitCode> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(path.display().to_string(), text)),
            Err(e) => {
                eprintln!(
                    "error: {} is not UTF-8 text (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                );
                Err(ExitCode::from(1))
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            Err(ExitCode::from(USAGE))
        }
    }
}

fn input(args: &ManifestArgs) -> Result<Input, ExitCode> {
    Ok(Input {
        manifest: Some(read(&args.file)?),
        env_file: args.env_file.as_deref().map(read).transpose()?,
        env: args.env.clone(),
        env_known: args.env_file.is_some() || !args.env.is_empty(),
        rack_params: args.rack_params.as_deref().map(read).transpose()?,
    })
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => {
            let input = match input(&args.manifest) {
                Ok(i) => i,
                Err(code) => return code,
            };
            let loaded = load(input);
            output::print(&loaded.sources, &loaded.diagnostics, args.format);
            if loaded.has_errors() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Build(args) => build(args),
        Command::Apply(args) => apply::apply(args),
        Command::Rack(command) => rack_cmd::run(command),
        Command::Resources(command) => resources_cmd::run(command),
        Command::Schema { rack_params } => {
            if rack_params {
                print!("{}", convoxc_compiler::front::schema::rack_params_text());
            } else {
                print!("{}", convoxc_compiler::front::schema::MANIFEST);
            }
            ExitCode::SUCCESS
        }
    }
}

/// The app name: --app, else the manifest's directory name (lower-cased).
fn app_name(app: Option<&str>, file: &Path) -> Result<String, String> {
    let name = match app {
        Some(a) => a.to_string(),
        None => {
            let dir = std::fs::canonicalize(file)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            dir.and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_lowercase()))
                .unwrap_or_default()
        }
    };
    valid_name("app", &name).map(|()| name)
}

/// Compile a loaded manifest (unless it has errors) and print every diagnostic: the bundle, or
/// None when there is an error. Used by `build` and `apply`.
fn compile_and_report(
    loaded: &convoxc_compiler::Loaded,
    options: &convoxc_compiler::back::BuildOptions,
    format: Format,
) -> Option<convoxc_compiler::back::Bundle> {
    let mut diagnostics = loaded.diagnostics.clone();
    let bundle = if loaded.has_errors() {
        None
    } else {
        match convoxc_compiler::compile(loaded, options) {
            Ok((bundle, more)) => {
                diagnostics.extend(more);
                Some(bundle)
            }
            Err(more) => {
                diagnostics.extend(more);
                None
            }
        }
    };
    if !diagnostics.is_empty() {
        output::print(&loaded.sources, &diagnostics, format);
    }
    bundle
}

fn build(args: BuildArgs) -> ExitCode {
    let app = match app_name(args.app.as_deref(), &args.manifest.file) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let input = match input(&args.manifest) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let input_env_file = input.env_file.clone();
    let loaded = load(input);
    // names (never values) of the variables given for this deploy: -e and --env-file
    let mut env_names: std::collections::BTreeSet<String> = args.manifest.env.iter().map(|(k, _)| k.clone()).collect();
    if let Some(f) = &input_env_file {
        let (pairs, _) = convoxc_compiler::parse_env_file(f, convoxc_compiler::SourceId(0));
        env_names.extend(pairs.into_iter().map(|(k, _)| k));
    }
    let options = convoxc_compiler::back::BuildOptions {
        app,
        rack: args.rack_name.clone(),
        env_names,
    };
    let Some(bundle) = compile_and_report(&loaded, &options, args.output.diagnostics) else {
        return ExitCode::from(1);
    };
    // the process ends after writing: freeing the bundle's JSON trees would only cost time
    let bundle = std::mem::ManuallyDrop::new(bundle);
    match &args.out_dir {
        None => {
            print!("{}", args.output.format.render(&bundle.app));
            ExitCode::SUCCESS
        }
        Some(dir) => {
            let write = |rel: &str, text: &str| -> std::io::Result<()> {
                let path = dir.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(path, text)
            };
            let ext = args.output.format.extension();
            let result = write(&format!("app.{ext}"), &args.output.format.render(&bundle.app)).and_then(|_| {
                bundle.nested().try_for_each(|(rel, t)| {
                    write(&rel.replace(".json", &format!(".{ext}")), &args.output.format.render(t))
                })
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write to {}: {e}", dir.display());
                    ExitCode::from(1)
                }
            }
        }
    }
}
