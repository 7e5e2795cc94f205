//! `convoxc diff`: what a change of convox.yml will do to the app's stacks, before anyone applies
//! it. The new side is FILE built as `build` would; the old side is FILE at a git revision
//! (`--base`), another manifest or a bundle folder (`--against`). Exit 3 when a `--fail-on` class
//! is present.

use crate::args::{Format, ManifestArgs, USAGE, color_enabled};
use crate::aws::changeset;
use crate::aws::clients::{AwsArgs, Clients};
use crate::aws::lookup::describe_stack;
use crate::compile::{compile_keeping_side, env_names};
use crate::deploy::deployed;
use crate::deploy::plan::{self, AppInput};
use crate::deploy::preview;
use crate::deploy::runtime;
use crate::deploy::verdict;
use crate::input::{input, read, read_bundle};
use crate::names::app_name;
use clap::{Args, ValueEnum};
use convoxc_compiler::back::BuildOptions;
use convoxc_compiler::diff::{self, Gate, Report, Stack, render, side};
use convoxc_compiler::{Input, SourceFile, load};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The exit code of a tripped `--fail-on` gate.
pub const GATE: u8 = 3;

#[derive(Args)]
pub(crate) struct DiffArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// App name (default: the manifest's directory name).
    #[arg(long)]
    app: Option<String>,
    /// Rack stack name: the default of the app stack's Rack parameter.
    #[arg(long)]
    rack_name: Option<String>,
    /// Compare with FILE as it is at this git revision (e.g. origin/main): the pull-request case.
    #[arg(long, value_name = "REV", conflicts_with_all = ["against", "rack"])]
    base: Option<String>,
    /// Compare with another manifest, or a bundle folder (as `build --out-dir` writes it, or a
    /// convox-made bundle with its meta.json).
    #[arg(long, value_name = "PATH", conflicts_with = "rack")]
    against: Option<PathBuf>,
    /// Compare with the app as deployed on this rack (`<rack>-<app>` and its nested stacks),
    /// compiled against the rack's params as `apply` would. Read-only: nothing is uploaded,
    /// stored or created.
    #[arg(long, value_name = "NAME")]
    rack: Option<String>,
    /// With --rack: also ask CloudFormation (a change set, nested stacks included, deleted once
    /// read, also on Ctrl-C): its Replacement verdicts replace the predicted ones. This uploads the
    /// templates to the rack's settings bucket (content-addressed), as `apply` would.
    #[arg(long, requires = "rack")]
    change_set: bool,
    #[command(flatten)]
    aws: AwsArgs,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit 3 when a change of this class is present (repeatable): any, replace, destroy, fail, broaden.
    #[arg(long, value_enum, value_name = "CLASS")]
    fail_on: Vec<FailOn>,
    /// How to print diagnostics of the builds.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    diagnostics: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Any change.
    Any,
    /// Any replacement, stateful or not (new task-definition revisions excluded).
    Replace,
    /// A replacement or removal that destroys data (a kept snapshot still counts).
    Destroy,
    /// A change CloudFormation is predicted to refuse.
    Fail,
    /// A widened IAM statement or security-group rule.
    Broaden,
}

impl FailOn {
    fn gate(self) -> Gate {
        match self {
            FailOn::Any => Gate::Any,
            FailOn::Replace => Gate::Replace,
            FailOn::Destroy => Gate::Destroy,
            FailOn::Fail => Gate::Fail,
            FailOn::Broaden => Gate::Broaden,
        }
    }
}

impl DiffArgs {
    /// Whether it reads AWS (`--rack`).
    pub(crate) fn online(&self) -> bool {
        self.rack.is_some()
    }
}

pub(crate) fn run(args: DiffArgs) -> ExitCode {
    let app = match app_name(args.app.as_deref(), &args.manifest.file) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    if args.base.is_none() && args.against.is_none() && args.rack.is_none() {
        eprintln!(
            "error: say what to compare with: --base REV (the manifest at a git revision), --against PATH, or --rack NAME (the deployed app)"
        );
        return ExitCode::from(USAGE);
    }
    if let Some(rack) = args.rack.clone() {
        return deployed(args, rack, app);
    }
    let new_input = match input(&args.manifest, args.diagnostics) {
        Ok(i) => i,
        Err(code) => return code,
    };
    // another manifest, built with the same environment and options
    let other = |file: SourceFile| {
        let input = Input {
            manifest: Some(file),
            ..new_input.clone()
        };
        build(input, &args, &app, None).ok_or(ExitCode::from(1))
    };
    let old = match (&args.base, &args.against) {
        (Some(rev), _) => match at_revision(&args.manifest.file, rev) {
            Ok(Some(file)) => other(file).map(Some),
            // a manifest the revision does not have: everything is new
            Ok(None) => Ok(None),
            Err(e) => {
                eprintln!("error: {e}");
                Err(ExitCode::from(USAGE))
            }
        },
        (None, Some(path)) if path.is_dir() => read_bundle(path).map(Some).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }),
        (None, Some(path)) => read(path).and_then(other).map(Some),
        (None, None) => unreachable!("checked above"),
    };
    let old = match old {
        Ok(o) => o,
        Err(code) => return code,
    };
    // built as `build --deployed` would, against the old side: what an apply over it deploys
    let Some(new) = build(new_input, &args, &app, old.as_ref()) else {
        return ExitCode::from(1);
    };
    let result = report(&args, &diff::compare(old.as_ref(), Some(&new)));
    // the process ends here: freeing the two trees of templates would only cost time
    std::mem::forget((old, new));
    result
}

/// Print the report; the exit code of the gates.
fn report(args: &DiffArgs, report: &Report) -> ExitCode {
    let text = match args.format {
        DiffFormat::Text => render::text(report, color_enabled()),
        DiffFormat::Markdown => render::markdown(report, render::MARKDOWN_LIMIT),
        DiffFormat::Json => render::json(report),
    };
    print!("{text}");
    if args.fail_on.iter().any(|g| report.trips(g.gate())) {
        ExitCode::from(GATE)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--rack`: the app as `apply` would deploy it, against the app as it is deployed.
fn deployed(args: DiffArgs, rack: String, app: String) -> ExitCode {
    let manifest = match read(&args.manifest.file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let env_file = match args.manifest.env_file.as_deref().map(read).transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut found = None;
    let code = runtime::block_on(async {
        let c = Clients::connect(&args.aws).await?;
        let input = AppInput {
            rack: &rack,
            app: &app,
            manifest,
            env_file,
            env: &args.manifest.env,
        };
        let compiled = plan::compile(&c, input).await?;
        let old = match &compiled.deployed {
            Some(d) => Some(d.clone()),
            // a stack being changed (or never created) is compared as it stands
            None => deployed::read(&c, &compiled.stack_name).await?,
        };
        let existing = describe_stack(&c, &compiled.stack_name).await?;
        // a first deploy's build does not matter to the diff: everything is added
        let build = existing.is_none().then_some("none");
        let input = plan::parameters(&compiled, &rack, &app, existing.as_ref(), build)?;
        let said = match (args.change_set, &existing) {
            (true, Some(_)) => verdict::changes(&c, &compiled, &input).await?,
            (true, None) => {
                eprintln!(
                    "note: {} is not deployed: there is no change set to ask for",
                    compiled.stack_name
                );
                Vec::new()
            }
            (false, _) => Vec::new(),
        };
        let new = preview::new_side(
            &compiled.bundle.app,
            Some(&compiled.bundle),
            &input.params,
            &input.tags,
            old.as_ref(),
        );
        let mut report = diff::compare_with(old.as_ref(), Some(&new), &changeset::said(&said));
        report.environment = plan::env_changes(&compiled);
        found = Some(report);
        Ok(())
    });
    match found {
        Some(r) => report(&args, &r),
        None => code,
    }
}

/// Build a manifest as `build` does (keeping what `deployed` has where convoxc writes it otherwise
/// on purpose), as a side of the diff.
fn build(input: Input, args: &DiffArgs, app: &str, deployed: Option<&Stack>) -> Option<Stack> {
    let options = BuildOptions {
        app: app.to_string(),
        rack: args.rack_name.clone(),
        env_names: env_names(&input),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    let loaded = load(input);
    let (bundle, side) = compile_keeping_side(&loaded, &options, args.diagnostics, deployed)?;
    // the side compared for the keeps, when it is this bundle's: not read again
    Some(side.unwrap_or_else(|| side::from_bundle(&bundle)))
}

/// FILE as it is at a git revision (`git show REV:./FILE`, from FILE's folder), or None when the
/// revision does not have it.
fn at_revision(file: &Path, rev: &str) -> Result<Option<SourceFile>, String> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} is not a file", file.display()))?;
    let spec = format!("{rev}:./{}", name.to_string_lossy());
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        let text = String::from_utf8(out.stdout).map_err(|_| format!("{spec} is not UTF-8 text"))?;
        return Ok(Some(SourceFile::new(format!("{} at {rev}", file.display()), text)));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    // the revision exists but not the file: a new app
    if err.contains("does not exist in") || err.contains("exists on disk, but not in") {
        return Ok(None);
    }
    Err(format!("git show {spec}: {}", err.trim()))
}
