//! Compiling for more than one command: an app's bundle (`build`, `apply`) and the rack's
//! template (`rack build`, `rack apply`), with their diagnostics printed.

use crate::args::Format;
use crate::input::read;
use crate::output;
use convoxc_compiler::back::{self, BuildOptions, Bundle, Template};
use convoxc_compiler::diff::{self, Stack, side};
use convoxc_compiler::ir::RackParams;

use convoxc_compiler::{Input, Loaded, SourceFile, SourceId, compile, load, parse_env_file};
use std::collections::{BTreeMap, BTreeSet};
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

/// Compile as `compile_and_report` does, against what is deployed: where the bundle would replace
/// an existing resource only because convoxc writes a create-only value otherwise on purpose, the
/// deployed value is kept (each said as a warning) and the bundle is compiled again with it.
pub(crate) fn compile_keeping(
    loaded: &Loaded,
    options: &BuildOptions,
    format: Format,
    deployed: Option<&Stack>,
) -> Option<Bundle> {
    compile_keeping_side(loaded, options, format, deployed).map(|(bundle, _)| bundle)
}

/// `compile_keeping`, with the bundle's side when it was made to compare (and is the bundle's).
pub(crate) fn compile_keeping_side(
    loaded: &Loaded,
    options: &BuildOptions,
    format: Format,
    deployed: Option<&Stack>,
) -> Option<(Bundle, Option<Stack>)> {
    let bundle = compile_and_report(loaded, options, format)?;
    let Some(deployed) = deployed else {
        return Some((bundle, None));
    };
    let new = side::from_bundle(&bundle);
    let keep = diff::keeps(&diff::compare(Some(deployed), Some(&new)));
    if keep.is_empty() {
        return Some((bundle, Some(new)));
    }
    // one warning per resource, naming every value it keeps
    let mut kept: BTreeMap<(&[String], &str), Vec<&str>> = BTreeMap::new();
    for k in &keep {
        kept.entry((&k.stack, &k.resource))
            .or_default()
            .push(k.pointer.trim_start_matches("/Properties/"));
    }
    for ((stack, resource), values) in kept {
        let advice = resource_type(&new, stack, resource)
            .and_then(diff::facts::deliberately)
            .map_or("", |d| d.advice);
        eprintln!(
            "warning: {} {resource}: keeps the deployed {} (convoxc writes {} otherwise on purpose, and CloudFormation \
             would replace the resource for it): {advice}",
            label(&new, stack),
            values.join(", "),
            if values.len() == 1 { "it" } else { "them" },
        );
    }
    let options = BuildOptions {
        keep,
        ..options.clone()
    };
    match compile(loaded, &options) {
        Ok((bundle, _)) => Some((bundle, None)),
        Err(diagnostics) => {
            output::print(&loaded.sources, &diagnostics, format);
            None
        }
    }
}

/// The type of resource `id` in the stack at `path` of a side.
fn resource_type<'a>(side: &'a Stack, path: &[String], id: &str) -> Option<&'a str> {
    let mut s = side;
    for p in path {
        s = s.nested.get(p)?;
    }
    s.template.pointer(&format!("/Resources/{id}/Type"))?.as_str()
}

/// What the user calls the stack at `path` of a side.
fn label(side: &Stack, path: &[String]) -> String {
    let mut s = side;
    for id in path {
        match s.nested.get(id) {
            Some(n) => s = n,
            None => return id.clone(),
        }
    }
    s.label.clone().unwrap_or_else(|| "app".into())
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
    let params = rack_params_checked(rack_params, diagnostics)?;
    back::rack::build(name, &params).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(1)
    })
}

/// The rack params of a rack params file (every param at its default without one), checked for
/// building the rack stack; the diagnostics are printed.
pub(crate) fn rack_params_checked(rack_params: Option<&Path>, diagnostics: Format) -> Result<RackParams, ExitCode> {
    let params = match rack_params {
        Some(path) => read(path)?,
        // no file: every param at its default (the problems then point at this empty document)
        None => SourceFile::new("(no --rack-params: defaults)".to_string(), String::new()),
    };
    rack_params_from(params, diagnostics)
}

/// Rack params from a file's text, checked as `rack build` checks them (diagnostics printed).
pub(crate) fn rack_params_from(params: SourceFile, diagnostics: Format) -> Result<RackParams, ExitCode> {
    let mut loaded = load(Input {
        rack_params: Some(params),
        ..Input::default()
    });
    loaded.check_rack_stack();
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, diagnostics);
    }
    match loaded.rack {
        Some(params) if !loaded.diagnostics.iter().any(|d| d.is_error()) => Ok(params),
        _ => Err(ExitCode::from(1)),
    }
}
