//! Compiling for more than one command: an app's bundle (`build`, `apply`) and the rack's
//! template (`rack build`, `rack apply`), with their diagnostics printed.

use crate::args::Format;
use crate::input::read;
use crate::output;
use convoxc_compiler::back::{self, BuildOptions, Bundle, Template};

use convoxc_compiler::{Input, Loaded, SourceFile, SourceId, compile, load, parse_env_file};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// Compile a loaded manifest (unless it has errors) and print every diagnostic: the bundle, or
/// None when there is an error. Used by `build` and `apply`.
pub(crate) fn compile_and_report(loaded: &Loaded, options: &BuildOptions, format: Format) -> Option<Bundle> {
    let mut diagnostics = loaded.diagnostics.clone();
    let bundle = if loaded.has_errors() {
        None
    } else {
        match compile(loaded, options) {
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

/// The names (never the values) of the variables given for a deploy: `-e` and `--env-file`.
pub(crate) fn env_names(input: &Input) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = input.env.iter().map(|(k, _)| k.clone()).collect();
    if let Some(f) = &input.env_file {
        let (pairs, _) = parse_env_file(f, SourceId(0));
        names.extend(pairs.into_iter().map(|(k, _)| k));
    }
    names
}

/// The rack stack's template from rack params (convox's defaults without a file); diagnostics
/// are printed. Used by `rack build` and `rack apply`.
pub(crate) fn rack_template(name: &str, rack_params: Option<&Path>, diagnostics: Format) -> Result<Template, ExitCode> {
    let params = match rack_params {
        Some(path) => read(path)?,
        // no file: every param at its default (the problems then point at this empty document)
        None => SourceFile::new("(no --rack-params: defaults)".to_string(), String::new()),
    };
    let mut loaded = load(Input {
        rack_params: Some(params),
        ..Input::default()
    });
    loaded.check_rack_stack();
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, diagnostics);
    }
    let Some(params) = loaded.rack.as_ref().filter(|_| !loaded.has_errors()) else {
        return Err(ExitCode::from(1));
    };
    back::rack::build(name, params).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(1)
    })
}
