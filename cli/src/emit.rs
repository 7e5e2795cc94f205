//! Writing a compiled template: printed, or as a file in the --out-dir.

use crate::args::OutputArgs;
use convoxc_compiler::back::Template;
use std::path::Path;
use std::process::ExitCode;

/// Print one template, or write it as `DIR/<stem>.<json|yaml>`.
pub(crate) fn emit(template: &Template, output: &OutputArgs, out_dir: Option<&Path>, stem: &str) -> ExitCode {
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
