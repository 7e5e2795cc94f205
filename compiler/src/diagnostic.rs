//! Diagnostics: what went wrong, where (file, span, key path), and what to do about it.
//!
//! Every diagnostic has a stable [`Code`], a severity, a span in an original file, the dotted key
//! path (`services.web.health.timeout`), an optional label for the span and an optional help line.

use crate::source::{SourceId, Sources, Span};
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Information, never a failure: e.g. a value checked later, when it is known.
    Note,
}

impl Severity {
    /// The level's name in SARIF (`error`, `warning`, `note`).
    pub fn sarif(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $text:literal, $sev:ident, $doc:literal;)*) => {
        /// Every kind of diagnostic convoxc reports. The text form is stable: tools may match on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $text,)* } }
            pub fn default_severity(self) -> Severity { match self { $(Code::$variant => Severity::$sev,)* } }
            pub fn description(self) -> &'static str { match self { $(Code::$variant => $doc,)* } }
        }
    };
}

codes! {
    YamlSyntax = "yaml-syntax", Error, "The file is not valid YAML.";
    NotAMap = "not-a-map", Error, "The document (or a section of it) must be a map of keys to values.";
    WrongType = "wrong-type", Error, "A value has a shape that this key does not accept.";
    UnknownKey = "unknown-key", Error, "A key that convox.yml does not have at this place (convox would silently ignore it).";
    ForeignKey = "foreign-key", Warning, "A key of another convox generation (v3, docker-compose / gen-1) that a generation-2 rack ignores.";
    DuplicateKey = "duplicate-key", Error, "The same key is written twice in one map (convox silently keeps the last).";
    KeyType = "key-type", Error, "A map key that is not a string or integer (YAML 1.1 reads y/n/yes/no/on/off as booleans).";
    PraxisFormat = "praxis-format", Error, "The file is a 2017 convox/praxis manifest, not a generation-2 convox.yml.";
    InvalidName = "invalid-name", Error, "A service, resource or timer name that convox or CloudFormation cannot use.";
    LogicalIdCollision = "logical-id-collision", Error, "Two names that map to the same CloudFormation logical ID.";
    InvalidValue = "invalid-value", Error, "A value outside what convox or AWS accepts.";
    OutOfRange = "out-of-range", Error, "A number outside the range AWS accepts.";
    RequiredEnv = "required-env", Error, "An environment variable that a service requires is not set.";
    UnsetVariable = "unset-variable", Warning, "A ${VAR} reference whose variable is not set: convox substitutes an empty string.";
    SecretInTemplate = "secret-in-template", Error, "A ${VAR} whose value is a secret would be compiled into the template in plain text.";
    SecureDefault = "secure-default", Note, "A resource that convoxc makes safer than convox by default (encrypted, TLS required), which changes what its clients do.";
    SuppliedValue = "supplied-value", Note, "A value that comes from a ${VAR} given no value (validate without -e or --env-file): the rack supplies it at deploy, where it is checked.";
    EnvDeclaration = "env-declaration", Error, "An environment entry that is not NAME, NAME=default or *.";
    UnknownReference = "unknown-reference", Error, "A name (link, resource, timer service, volume) that refers to nothing declared.";
    ResourceType = "resource-type", Error, "A resource without a type, or with a type convox cannot create.";
    ResourceOption = "resource-option", Error, "A resource option that the resource type does not have, or with a bad value.";
    EngineVersion = "engine-version", Warning, "A database engine version past its end of standard support on RDS (paid Extended Support, or no longer created).";
    Port = "port", Error, "A port or port scheme that convox cannot route.";
    Health = "health", Error, "Health check settings that the load balancer would reject.";
    Scale = "scale", Error, "Scale settings that cannot work (count range, targets, cpu/memory).";
    Fargate = "fargate", Error, "A cpu/memory pair that Fargate does not offer, or a feature Fargate lacks.";
    Nlb = "nlb", Error, "A network load balancer entry that convox rejects.";
    Schedule = "schedule", Error, "A timer schedule that EventBridge would reject.";
    ScheduleDayOfWeek = "schedule-day-of-week", Warning, "A numeric day-of-week: EventBridge counts 1=Sunday, Unix cron 1=Monday.";
    Params = "params", Error, "An app parameter that the app stack does not have, or with a value it does not allow.";
    ParamsIgnored = "params-ignored", Warning, "An app parameter that the rack overrides on every deploy.";
    RackParam = "rack-param", Error, "A rack parameter that the rack stack does not have, or with a value it does not allow.";
    RackParamIgnored = "rack-param-ignored", Warning, "A rack parameter that convoxc accepts but does not use.";
    MissingExport = "missing-export", Error, "The app imports a rack export that the rack does not make with its params.";
    RackSupport = "rack-support", Error, "The manifest needs something the rack (per its params) does not provide.";
    Domain = "domain", Error, "A domain name that is not a valid DNS name.";
    Volume = "volume", Error, "A volume entry that cannot be mounted.";
    Policy = "policy", Error, "A policy that is not an IAM managed-policy ARN.";
    Ignored = "ignored", Warning, "A setting that has no effect as written.";
    EnvFile = "env-file", Error, "A line of an env file that is not KEY=VALUE.";
    NestedParameter = "nested-parameter", Error, "A value a stack passes its nested stack that the nested stack's parameter constraints refuse: CloudFormation would roll the app back.";
    Limit = "limit", Error, "A compiled template over a CloudFormation quota (size, resources, parameters, outputs, logical IDs).";
    Encoding = "encoding", Error, "A file that is not UTF-8 text.";
    Unreadable = "unreadable", Error, "A file that cannot be read (missing, a folder, no permission).";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A secondary location with its own label (e.g. "first written here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub source: SourceId,
    pub span: Span,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Dotted key path (`services.web.port`), empty for the whole document.
    pub path: String,
    pub source: SourceId,
    pub span: Span,
    /// Short text shown at the span.
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(code: Code, source: SourceId, span: Span, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.default_severity(),
            code,
            message: message.into(),
            path: path.into(),
            source,
            span,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn related(mut self, source: SourceId, span: Span, label: impl Into<String>) -> Self {
        self.related.push(Related {
            source,
            span,
            label: label.into(),
        });
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic with its position resolved against its file, ready to print.
#[derive(Clone, Debug, Serialize)]
pub struct Located {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub path: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: Option<String>,
}

impl Located {
    pub fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let file = sources.get(d.source);
        let (line, column) = file.line_col(d.span.start);
        let (end_line, end_column) = file.line_col(d.span.end);
        Located {
            severity: d.severity,
            code: d.code,
            message: d.message.clone(),
            path: d.path.clone(),
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
            help: d.help.clone(),
        }
    }
}

/// Sort diagnostics by file, position, then code: the order they are printed in.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.source, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.source,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}

/// A diagnostic paired with its file, as a `miette::Diagnostic` for graphical rendering.
pub struct Report<'a> {
    pub diagnostic: &'a Diagnostic,
    named: CharColumns,
}

/// A file for miette whose columns count characters, as every other column convoxc prints
/// does (miette's own count bytes: a line with `é` or an emoji before the span was off).
struct CharColumns(miette::NamedSource<String>, String);

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self.0.read_span(span, before, after)?;
        let start = c.span().offset();
        let Some(head) = self.1.get(..start) else { return Ok(c) };
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        let column = head[line_start..].chars().count();
        let (data, at, line, lines) = (c.data(), *c.span(), c.line(), c.line_count());
        Ok(Box::new(match c.name() {
            Some(name) => miette::MietteSpanContents::new_named(name.to_string(), data, at, line, column, lines),
            None => miette::MietteSpanContents::new(data, at, line, column, lines),
        }))
    }
}

impl<'a> Report<'a> {
    pub fn new(diagnostic: &'a Diagnostic, sources: &'a Sources) -> Self {
        let file = sources.get(diagnostic.source);
        Report {
            diagnostic,
            named: CharColumns(
                miette::NamedSource::new(&file.name, file.text.clone()),
                file.text.clone(),
            ),
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report").field("diagnostic", self.diagnostic).finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.diagnostic.path.is_empty() {
            f.write_str(&self.diagnostic.message)
        } else {
            write!(f, "{}: {}", self.diagnostic.path, self.diagnostic.message)
        }
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.named)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let d = self.diagnostic;
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            d.label.clone(),
            (d.span.start, d.span.len()),
        )];
        for r in d.related.iter().filter(|r| r.source == d.source) {
            labels.push(miette::LabeledSpan::new_with_span(
                Some(r.label.clone()),
                (r.span.start, r.span.len()),
            ));
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// The manifest's key paths and their spans (`services.web` → its value, `services.web#name` → its key).
#[derive(Debug, Default)]
pub struct Locations {
    pub source: SourceId,
    /// (FxHash: a decode inserts a path for every key; deterministic, and fast on short strings)
    pub spans: std::collections::HashMap<String, Span, rustc_hash::FxBuildHasher>,
}

impl Locations {
    /// A diagnostic at the first of `paths` that is known (else at the start of the file).
    pub fn diagnostic(&self, code: Code, paths: &[&str], message: impl Into<String>) -> Diagnostic {
        let (path, span) = paths
            .iter()
            .find_map(|p| self.spans.get(*p).map(|s| (*p, *s)))
            .unwrap_or((paths.first().copied().unwrap_or(""), Span::default()));
        Diagnostic::new(code, self.source, span, path.split('#').next().unwrap_or(""), message)
    }
}
