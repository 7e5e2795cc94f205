//! Compiling for more than one command: an app's bundle (`build`, `apply`) and the rack's
//! template (`rack build`, `rack apply`), with their diagnostics printed.

use crate::args::Format;
use crate::input::read;
use crate::output;
use convoxc_compiler::back::{self, BuildOptions, Bundle, Template};

use convoxc_compiler::{Input, Loaded, SourceFile, compile, load};
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
