//! Rack-level resources (reference §5): what `convox rack resources create <type>` makes, as
//! `convoxc resources build TYPE --name NAME [K=V ...]`. Each type has convox's option table
//! (names, defaults, descriptions) with the checks convox makes and the ones it leaves to
//! CloudFormation; options are compiled into the template (convoxc is a compiler: the template
//! says what runs), and recorded in its `Metadata`.
//!
//! Options arrive on the command line, so their diagnostics point into a one-line file named
//! `command line` holding `TYPE --name NAME K=V ...`: spans, line/column and every output format
//! work as they do for convox.yml.

use super::checks;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::front::cx::join;
use crate::ir::rack_resource::{Check, Kind, MAX_NAME, Resource};
use crate::names::{suggest, upper_name};
use crate::source::{SourceFile, SourceId, Sources, Span};
use std::collections::BTreeMap;

/// What `convoxc resources build` is handed.
#[derive(Clone, Debug)]
pub struct Request {
    pub kind: Kind,
    pub name: String,
    /// The `K=V` arguments as written.
    pub options: Vec<String>,
    /// The rack stack name, when known: the default of the `Rack` parameter.
    pub rack: Option<String>,
    /// A rack-params file: `Private=Yes` puts databases, caches and the syslog forwarder in the
    /// rack's private subnets.
    pub rack_params: Option<SourceFile>,
}

#[derive(Debug)]
pub struct Loaded {
    pub sources: Sources,
    /// Present when there is no error.
    pub resource: Option<Resource>,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The name of the synthetic file that holds the command-line arguments.
pub const COMMAND_LINE: &str = "command line";

/// Check a request: the name, every option (unknown ones are errors with a suggestion, never
/// dropped), each value, and convox's cross-checks.
pub fn load(req: Request) -> Loaded {
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut private = false;
    if let Some(f) = req.rack_params {
        let id = sources.add(f);
        match crate::front::rack_params::load(sources.get(id), id, &mut diags).0 {
            Some(p) => private = p.get("Private") == Some("Yes"),
            None => diags.push(Diagnostic::new(
                Code::RackParam,
                id,
                Span::default(),
                "",
                "cannot build against rack params with errors",
            )),
        }
    }
    // the command line as one line of text: TYPE --name NAME K=V ...
    let mut text = format!("{} --name ", req.kind.as_str());
    let name_span = Span::new(text.len(), text.len() + req.name.len());
    text.push_str(&req.name);
    // a password is never repeated back (it is rejected: see options::Check::Generated)
    let options: Vec<String> = req
        .options
        .iter()
        .map(|a| match a.split_once('=') {
            Some((k, _)) if camelize(k) == "Password" => format!("{k}=********"),
            _ => a.clone(),
        })
        .collect();
    let mut args = Vec::new();
    for a in &options {
        text.push(' ');
        args.push((a.as_str(), text.len()));
        text.push_str(a);
    }
    let id = sources.add(SourceFile::new(COMMAND_LINE, text.clone()));
    let mut cx = Checker {
        id,
        kind: req.kind,
        diags: Vec::new(),
        type_span: Span::new(0, req.kind.as_str().len()),
        rejected: Default::default(),
    };
    cx.name(&req.name, name_span, req.rack.as_deref());
    let mut given: BTreeMap<&'static str, (String, Span)> = BTreeMap::new();
    for (arg, at) in args {
        cx.option(arg, at, &mut given);
    }
    let options = cx.resolve(&given);
    diags.append(&mut cx.diags);
    diagnostic::sort(&mut diags);
    let ok = !diags.iter().any(Diagnostic::is_error);
    Loaded {
        sources,
        resource: ok.then(|| Resource {
            kind: req.kind,
            name: req.name,
            options,
            given: given.keys().copied().collect(),
            rack: req.rack,
            private,
            links: Vec::new(),
        }),
        diagnostics: diags,
    }
}

/// convox's option-key camelizing: `allocated-storage` → `AllocatedStorage`, `multi_az` →
/// `MultiAZ` (the token `az` is upper-cased whole); keys already in CamelCase stay.
pub fn camelize(key: &str) -> String {
    key.split(['-', '_'])
        .map(|t| if t == "az" { "AZ".to_string() } else { upper_name(t) })
        .collect()
}

struct Checker {
    id: SourceId,
    kind: Kind,
    diags: Vec<Diagnostic>,
    /// Where the type is written: the place for "this type needs …" diagnostics.
    type_span: Span,
    /// Options given with a bad value.
    rejected: std::collections::BTreeSet<&'static str>,
}

impl Checker {
    fn error(&mut self, code: Code, span: Span, path: &str, message: String, help: Option<String>) {
        self.diags
            .push(Diagnostic::new(code, self.id, span, path, message).help_opt(help));
    }

    fn name(&mut self, name: &str, span: Span, rack: Option<&str>) {
        let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.ends_with('-')
            && !name.contains("--");
        if !ok {
            self.error(
                Code::InvalidName,
                span,
                "name",
                format!("invalid resource name `{name}`"),
                Some("use lowercase letters, digits and single dashes, starting with a letter".into()),
            );
        } else if name.len() > MAX_NAME {
            self.error(
                Code::InvalidName,
                span,
                "name",
                format!("resource name `{name}` is longer than {MAX_NAME} characters"),
                None,
            );
        } else if let Some(rack) = rack.filter(|r| r.len() + 1 + name.len() > 63)
            && matches!(self.kind, Kind::Mysql | Kind::Postgres | Kind::S3)
        {
            self.error(
                Code::InvalidName,
                span,
                "name",
                format!(
                    "`{rack}-{name}` is longer than 63 characters: it names the {}",
                    if self.kind == Kind::S3 {
                        "bucket"
                    } else {
                        "database instance"
                    }
                ),
                None,
            );
        }
    }

    fn option(&mut self, arg: &str, at: usize, given: &mut BTreeMap<&'static str, (String, Span)>) {
        let whole = Span::new(at, at + arg.len());
        let Some((key, value)) = arg.split_once('=') else {
            self.error(
                Code::ResourceOption,
                whole,
                "options",
                format!("expected an option as KEY=VALUE, got `{arg}`"),
                None,
            );
            return;
        };
        let key_span = Span::new(at, at + key.len());
        let value_span = Span::new(at + key.len() + 1, whole.end);
        let param = camelize(key);
        let path = join("options", &param);
        let specs = self.kind.options();
        let Some(spec) = specs.iter().find(|s| s.name == param) else {
            let names = specs.iter().map(|s| s.name);
            let help = match suggest(&param, names.clone()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "{} options: {}",
                    self.kind.as_str(),
                    names.collect::<Vec<_>>().join(", ")
                ),
            };
            self.error(
                Code::ResourceOption,
                key_span,
                &path,
                format!("{} resources have no option `{key}`", self.kind.as_str()),
                Some(help),
            );
            return;
        };
        if let Some((_, prev)) = given.get(spec.name) {
            let d = Diagnostic::new(
                Code::ResourceOption,
                self.id,
                key_span,
                &path,
                format!("option `{}` is given twice", spec.name),
            )
            .related(self.id, *prev, "first given here");
            self.diags.push(d);
            return;
        }
        if spec.check == Check::Generated {
            self.error(
                Code::ResourceOption,
                whole,
                &path,
                format!(
                    "option `{}` cannot be given: passwords are never compiled into a template",
                    spec.name
                ),
                checks::help(spec),
            );
            self.rejected.insert(spec.name);
            return;
        }
        if let Some(problem) = checks::check(spec, value) {
            self.error(
                Code::ResourceOption,
                if value.is_empty() { whole } else { value_span },
                &path,
                format!("invalid value `{value}` for option `{}`: {problem}", spec.name),
                checks::help(spec),
            );
            self.rejected.insert(spec.name);
            return;
        }
        given.insert(spec.name, (value.to_string(), value_span));
    }

    /// Fill defaults, then convox's checks across options.
    fn resolve(&mut self, given: &BTreeMap<&'static str, (String, Span)>) -> BTreeMap<&'static str, String> {
        let mut out: BTreeMap<&'static str, String> = self
            .kind
            .options()
            .iter()
            .filter(|s| s.check != Check::Generated)
            .map(|s| (s.name, s.default.to_string()))
            .collect();
        for (k, (v, _)) in given {
            out.insert(k, v.clone());
        }
        let (id, kind, type_span) = (self.id, self.kind, self.type_span);
        for problem in checks::cross_check(kind, &out, given) {
            // an option with a bad value was reported already: nothing follows from it
            if problem.at.iter().any(|k| self.rejected.contains(k)) {
                continue;
            }
            let at = problem
                .at
                .iter()
                .find(|k| given.contains_key(*k))
                .or(problem.at.first());
            let span = at.and_then(|k| given.get(k)).map_or(type_span, |(_, s)| *s);
            let path = at.map(|k| join("options", k)).unwrap_or_default();
            let mut d = Diagnostic::new(problem.code, id, span, path, problem.message).help_opt(problem.help);
            d.severity = problem.severity;
            self.diags.push(d);
        }
        if kind == Kind::Postgres && !given.contains_key("Family") {
            // the parameter group's family follows the version (convox makes you set both)
            out.insert("Family", checks::postgres_family(&out["EngineVersion"]));
        }
        out
    }
}
