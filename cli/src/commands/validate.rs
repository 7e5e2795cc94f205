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
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub(crate) fn run(args: ValidateArgs) -> ExitCode {
    let input = match input(&args.manifest, args.format) {
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
