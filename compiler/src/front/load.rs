//! The front end's entry point: text in, IR and diagnostics out.

use crate::diagnostic::Locations;
use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::front::check;
use crate::front::cx::Cx;
use crate::front::decode;
use crate::front::interpolate::{MAX_TEXT, TooLarge, interpolate};
use crate::front::keys::{PRAXIS_TOP, Place};
use crate::front::rack_params;
use crate::front::yaml::{self, Value};
use crate::front::yaml_chunks::{ParseCache, parse_cached};
use crate::ir::App;
use crate::ir::RackParams;
use crate::source::{BOM, SourceFile, SourceId, Sources, Span, strip_bom};
use std::collections::BTreeMap;

/// What the front end is handed.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub manifest: Option<SourceFile>,
    /// `--env-file` contents (applied first).
    pub env_file: Option<SourceFile>,
    /// `-e KEY=VALUE` pairs (applied after the env file).
    pub env: Vec<(String, String)>,
    /// True when the environment is known (an env file or -e was given, or a caller says so):
    /// then required variables must be set, and unset `${VAR}`s are reported.
    pub env_known: bool,
    /// With no environment known: the `${VAR}`s left unset get their values at deploy (the app's
    /// environment on the rack), as when `validate` runs in CI. A check of a value that comes from
    /// one is then a `supplied-value` note, not an error; the value is checked once it is given.
    pub supplied_at_deploy: bool,
    pub rack_params: Option<SourceFile>,
}

#[derive(Debug)]
pub struct Loaded {
    pub sources: Sources,
    /// Present when there is no error.
    pub app: Option<App>,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Where each key path of the manifest is, for diagnostics found after loading.
    pub locations: Option<Locations>,
    /// The rack params, resolved, when they were given and have no error.
    pub rack: Option<RackParams>,
    /// Where each rack param is in its file.
    pub rack_locations: Option<Locations>,
}

impl Loaded {
    /// Check the rack params for building the rack stack (`convoxc rack build`): what the rack
    /// template needs beyond valid params. Appends the problems to `diagnostics`.
    pub fn check_rack_stack(&mut self) {
        let (Some(params), Some(at)) = (&self.rack, &self.rack_locations) else {
            return;
        };
        for p in rack_params::problems(params) {
            let d = at.diagnostic(Code::RackParam, &[p.param], p.message).help_opt(p.help);
            self.diagnostics.push(d);
        }
        for p in rack_params::warnings(params) {
            let mut d = at.diagnostic(Code::RackParam, &[p.param], p.message).help_opt(p.help);
            d.severity = crate::diagnostic::Severity::Warning;
            self.diagnostics.push(d);
        }
        diagnostic::sort(&mut self.diagnostics);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Load, resolve and validate a manifest (and rack params): every problem is reported.
pub fn load(input: Input) -> Loaded {
    load_with(input, None)
}

/// `load`, parsing only the pieces of the manifest that changed since the last call with the
/// same cache (the language server, on every keystroke): the same result as `load`.
pub fn load_cached(input: Input, cache: &mut ParseCache) -> Loaded {
    load_with(input, Some(cache))
}

fn load_with(input: Input, cache: Option<&mut ParseCache>) -> Loaded {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();

    let mut env: BTreeMap<String, String> = BTreeMap::new();
    if let Some(f) = input.env_file {
        let id = sources.add(f);
        let (pairs, diags) = parse_env_file(sources.get(id), id);
        diagnostics.extend(diags);
        env.extend(pairs);
    }
    env.extend(input.env);
    let env_known = input.env_known;
    let supplied = input.supplied_at_deploy && !env_known;

    let (rack, rack_locations) = match input.rack_params {
        Some(f) => {
            let id = sources.add(f);
            let (params, at) = rack_params::load(sources.get(id), id, &mut diagnostics);
            (Some(params), Some(at))
        }
        None => (None, None),
    };
    let rack_params = rack.clone().flatten();

    let Some(manifest) = input.manifest else {
        diagnostic::sort(&mut diagnostics);
        return Loaded {
            sources,
            app: None,
            diagnostics,
            locations: None,
            rack: rack_params,
            rack_locations,
        };
    };
    let id = sources.add(manifest);
    let mut locations = Locations {
        source: id,
        spans: Default::default(),
    };
    let app = load_manifest(
        sources.get(id),
        id,
        &env,
        (env_known, supplied),
        rack_params.clone(),
        (&mut diagnostics, &mut locations),
        cache,
    );
    diagnostic::sort(&mut diagnostics);
    let app = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        app
    };
    Loaded {
        sources,
        app,
        diagnostics,
        locations: Some(locations),
        rack: rack_params,
        rack_locations,
    }
}

fn load_manifest(
    file: &SourceFile,
    id: SourceId,
    env: &BTreeMap<String, String>,
    (env_known, supplied): (bool, bool),
    rack: Option<RackParams>,
    (out, locations): (&mut Vec<Diagnostic>, &mut Locations),
    mut cache: Option<&mut ParseCache>,
) -> Option<App> {
    let (text, base) = strip_bom(&file.text);
    let interp = match interpolate(text, base, env) {
        Ok(i) => i,
        Err(TooLarge(n)) => {
            let d = Diagnostic::new(
                Code::Limit,
                id,
                Span::new(0, 0),
                "",
                format!(
                    "the manifest is too large: {} MiB{} (convoxc reads up to {} MiB)",
                    n >> 20,
                    if n > text.len() {
                        " once its ${...} are substituted"
                    } else {
                        ""
                    },
                    MAX_TEXT >> 20
                ),
            );
            out.push(d);
            return None;
        }
    };
    let mut cx = Cx::new(id, &file.text, &interp, env_known);
    cx.supplied = supplied;
    if env_known {
        unset_warnings(&mut cx);
    }
    let parsed = match cache.as_deref_mut() {
        Some(c) => parse_cached(&interp.text, c),
        None => yaml::parse(&interp.text),
    };
    let root = match parsed {
        Ok(n) => n,
        Err(e) => {
            let d = Diagnostic::new(
                Code::YamlSyntax,
                id,
                interp.to_original(e.span),
                "",
                format!("invalid YAML: {}", e.message),
            );
            cx.push(d);
            out.append(&mut cx.diags);
            return None;
        }
    };
    let top = match &root.value {
        Value::Map(_) => cx.fields_praxis_aware(&root),
        Value::Null => {
            cx.warn(
                Code::Ignored,
                &root,
                "",
                "the manifest is empty: it defines no services",
                None,
            );
            Some(crate::front::cx::Fields::empty())
        }
        other => {
            let d = cx
                .diag(
                    Code::NotAMap,
                    &root,
                    "",
                    format!(
                        "a convox.yml must be a map with services:, resources:, timers: …, found {}",
                        other.kind()
                    ),
                )
                .help("start from `services:` with one entry per service");
            cx.push(d);
            None
        }
    };
    let decoded = top.map(|top| {
        let mut decoded = decode::decode(&mut cx, &top);
        check::validate(&mut cx, &mut decoded, env_known.then_some(env), rack.as_ref());
        decoded
    });
    // the tree is read: the language server's cache takes its pieces back
    if let Some(c) = cache {
        c.take_back(root);
    }
    out.append(&mut cx.diags);
    let decoded = decoded?;
    locations.spans = std::mem::take(&mut cx.spans);
    Some(App {
        environment: decoded.environment,
        params: decoded.params,
        resources: decoded.resources,
        services: decoded.services,
        timers: decoded.timers,
        rack,
    })
}

fn unset_warnings(cx: &mut Cx) {
    let mut seen: BTreeMap<&str, (Span, usize)> = BTreeMap::new();
    for r in cx.interp.references().filter(|r| !r.set) {
        seen.entry(r.name).or_insert((r.span, 0)).1 += 1;
    }
    let mut diags = Vec::new();
    for (name, (span, count)) in seen {
        let times = if count > 1 {
            format!(" ({count} references)")
        } else {
            String::new()
        };
        diags.push(
            Diagnostic::new(
                Code::UnsetVariable,
                cx.source,
                span,
                "",
                format!("${{{name}}} is not set: convox substitutes an empty string{times}"),
            )
            .help(format!("set it with -e {name}=… or in --env-file")),
        );
    }
    cx.diags.extend(diags);
}

impl Cx<'_> {
    /// The top-level fields, unless the file is a praxis manifest (then one error, no noise).
    fn fields_praxis_aware<'n>(&mut self, root: &'n yaml::Node) -> Option<crate::front::cx::Fields<'n>> {
        if let Value::Map(entries) = &root.value {
            let praxis = entries.iter().find(|e| match &e.key.value {
                Value::Str(k) if PRAXIS_TOP.contains(&k.as_str()) => true,
                Value::Str(k) if k == "balancers" => is_praxis_balancers(&e.value),
                _ => false,
            });
            if let Some(e) = praxis {
                let key = match &e.key.value {
                    Value::Str(k) => k.clone(),
                    _ => String::new(),
                };
                let d = self
                    .diag(Code::PraxisFormat, &e.key, &key, format!("`{key}:` is from the 2017 convox/praxis manifest format, which convoxc does not compile"))
                    .help("convoxc compiles generation-2 convox.yml (services, resources, timers, environment, params); rewrite the file in that format")
                    .label("praxis-only key");
                self.push(d);
                return None;
            }
        }
        self.fields(root, "", Place::Top)
    }
}

fn is_praxis_balancers(n: &yaml::Node) -> bool {
    let Value::Map(balancers) = &n.value else {
        return false;
    };
    balancers.iter().any(|b| match &b.value.value {
        Value::Map(ports) => ports.iter().any(|p| matches!(&p.key.value, Value::Str(k) if k.split_once('/').is_some_and(|(n, _)| n.parse::<u16>().is_ok()))),
        _ => false,
    })
}

/// Parse an env file: `KEY=VALUE` lines (value verbatim), blank lines and `#` comments.
pub fn parse_env_file(file: &SourceFile, id: SourceId) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let mut pairs = Vec::new();
    let mut diags = Vec::new();
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        let l = l.strip_prefix(BOM).unwrap_or(l);
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        match l.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(char::is_whitespace) => {
                pairs.push((k.to_string(), v.to_string()))
            }
            _ => {
                let mut d = Diagnostic::new(
                    Code::EnvFile,
                    id,
                    Span::new(start, start + l.len()),
                    "",
                    "expected KEY=VALUE",
                );
                d.help = Some("one variable per line, with no spaces around the key; # starts a comment line".into());
                d.severity = Severity::Error;
                diags.push(d);
            }
        }
    }
    (pairs, diags)
}
