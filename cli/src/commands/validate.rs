//! `convoxc validate`: check a manifest (and rack params), print every problem.

use crate::args::{Format, ManifestArgs};
use crate::input::input;
use crate::output;
use clap::Args;
use convoxc_compiler::load;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// How to print diagnostics (to stderr).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    diagnostics: Format,
    /// Deprecated: diagnostics on stdout in this format; use --diagnostics (stderr).
    #[arg(long, value_enum, hide = true, conflicts_with = "diagnostics")]
    format: Option<Format>,
}

pub(crate) fn run(args: ValidateArgs) -> ExitCode {
    if args.format.is_some() {
        eprintln!(
            "warning: `validate --format` is deprecated and goes away in the next release: use --diagnostics FORMAT \
             (diagnostics go to stderr, as in every command)"
        );
    }
    let format = args.format.unwrap_or(args.diagnostics);
    let mut input = match input(&args.manifest, format) {
        Ok(i) => i,
        Err(code) => return code,
    };
    // in CI without values, the `${VAR}`s left unset are the rack's to supply
    input.supplied_at_deploy = !input.env_known;
    let loaded = load(input);
    if args.format.is_some() {
        output::print_stdout(&loaded.sources, &loaded.diagnostics, format);
    } else {
        output::print(&loaded.sources, &loaded.diagnostics, format);
    }
    if loaded.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
