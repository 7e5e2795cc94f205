//! Backend: IR → CloudFormation. Logic (names, priorities, URLs, hashes, environment lists)
//! lives here and reaches the minijinja templates in `templates/` as plain values; the templates
//! only lay out CloudFormation. Every rendered fragment is parsed strictly (no duplicate keys)
//! and the stack is written as JSON with sorted keys, so output is byte-identical across runs.

pub mod canon;
pub mod imports;
pub mod limits;
pub(crate) mod render;
pub(crate) mod view;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::App;
use crate::load::Loaded;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use render::RenderError;

/// What `convoxc build` is told besides the manifest.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The app name (the stack is `<rack>-<app>`); used in host names and rule priorities.
    pub app: String,
    /// The rack stack name, when known: becomes the default of the `Rack` parameter.
    pub rack: Option<String>,
    /// Names of the environment variables that have a value at deploy time (never the values):
    /// with the required ones, they reach containers as ECS secrets read from SSM parameters.
    pub env_names: std::collections::BTreeSet<String>,
}

/// The SSM parameter (SecureString) that holds an app's environment variable:
/// `/convoxc/<rack>/<app>/<NAME>`. `convoxc apply` writes them; tasks read them as ECS secrets.
pub fn env_parameter_path(rack: &str, app: &str, name: &str) -> String {
    format!("/convoxc/{rack}/{app}/{name}")
}

/// One CloudFormation template: its exact bytes, their hash and the outline the quota checks
/// read. The `serde_json::Value` is built only when asked for (`value()`): a 500-service build
/// never needs it.
#[derive(Clone, Debug)]
pub struct Template {
    /// Pretty JSON, sorted keys, final newline: the bytes that are uploaded.
    pub text: String,
    /// Hex SHA-256 of `text`.
    pub sha256: String,
    /// Logical IDs and listener rules, for the quota checks.
    pub outline: limits::Outline,
    value: std::sync::OnceLock<Value>,
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Template {
    /// A template from its value (the text is written with sorted keys, as every template).
    pub fn new(value: Value) -> Self {
        let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
        text.push('\n');
        let outline = limits::Outline::of(&canon::parse(&text).expect("serde_json writes JSON"));
        Template::with(text, outline, std::sync::OnceLock::from(value))
    }

    /// A template from a parsed, merged stack (sorted keys, no duplicates).
    pub(crate) fn from_node(node: &canon::Node, size_hint: usize) -> Self {
        let mut text = String::with_capacity(size_hint);
        canon::write_pretty(node, &mut text);
        text.push('\n');
        Template::with(text, limits::Outline::of(node), std::sync::OnceLock::new())
    }

    fn with(text: String, outline: limits::Outline, value: std::sync::OnceLock<Value>) -> Self {
        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Template {
            text,
            sha256,
            outline,
            value,
        }
    }

    /// The template as a JSON value (parsed from `text` on first use).
    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| serde_json::from_str(&self.text).expect("a template is JSON"))
    }

    /// The S3 key the template is stored under (content-addressed).
    pub fn key(&self) -> String {
        format!("{KEY_PREFIX}{}.json", self.sha256)
    }
}

/// Where nested templates live in the template bucket.
pub const KEY_PREFIX: &str = "convoxc/templates/";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The app stack and its nested stacks.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub app: Template,
    pub services: Vec<(String, Template)>,
    pub timers: Vec<(String, Template)>,
    pub resources: Vec<(String, Template)>,
    /// Only for apps too big for one app stack: groups of services, each a nested stack.
    pub groups: Vec<(String, Template)>,
}

/// Services per group stack (when grouping is needed): keeps a group far below 200
/// parameters, 500 resources and 1 MB.
pub const GROUP_SIZE: usize = 80;

impl Bundle {
    /// Every nested template, with its bundle path (`services/web.json` …).
    pub fn nested(&self) -> impl Iterator<Item = (String, &Template)> {
        self.services
            .iter()
            .map(|(n, t)| (format!("services/{n}.json"), t))
            .chain(self.timers.iter().map(|(n, t)| (format!("timers/{n}.json"), t)))
            .chain(self.resources.iter().map(|(n, t)| (format!("resources/{n}.json"), t)))
            .chain(self.groups.iter().map(|(n, t)| (format!("groups/{n}.json"), t)))
    }
}

/// Compile a validated app to its CloudFormation bundle.
pub fn build(app: &App, options: &BuildOptions) -> Result<Bundle, RenderError> {
    let r = render::shared()?;
    let model = view::AppView::new(app, options);
    // nested stacks are independent: render them in parallel (the order of the results is the
    // manifest's, so the output does not depend on scheduling)
    use rayon::prelude::*;
    let resources = model
        .resources
        .par_iter()
        .map(|res| Ok((res.name.clone(), r.template(&res.templates(), res)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let services = model
        .services
        .par_iter()
        .map(|svc| Ok((svc.name.clone(), r.template(view::SERVICE_TEMPLATES, svc)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let timers = model
        .timers
        .par_iter()
        .map(|t| Ok((t.name.clone(), r.template(&["timer.json"], t)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let urls = view::NestedKeys {
        services: services.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
        timers: timers.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
        resources: resources.iter().map(|(n, t)| (n.clone(), t.key())).collect(),
    };
    let mut root_view = model.with_keys(urls);
    if !root_view.clearly_too_big() {
        let root = r.template(&["app.json"], &root_view)?;
        if limits::fits(&root) {
            return Ok(Bundle {
                app: root,
                services,
                timers,
                resources,
                groups: Vec::new(),
            });
        }
    }
    // too big for one app stack: the services go into groups, each a nested stack
    let group_views = root_view.take_groups(GROUP_SIZE);
    let groups = group_views
        .par_iter()
        .enumerate()
        .map(|(i, g)| Ok((format!("group{i}"), r.template(&["group.json"], g)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    root_view.set_groups(&group_views, &groups.iter().map(|(_, t)| t.key()).collect::<Vec<_>>());
    // the view model of a large app is many small allocations: freed while the app stack renders
    let (root, _) = rayon::join(
        || r.template(&["app.json"], &root_view),
        || rayon::join(|| drop(group_views), || drop(model)),
    );
    let root = root?;
    Ok(Bundle {
        app: root,
        services,
        timers,
        resources,
        groups,
    })
}

/// Build a loaded manifest and check the result against CloudFormation's quotas. Errors are
/// diagnostics (quotas point at the manifest; a rendering failure is an internal error).
pub fn compile(loaded: &Loaded, options: &BuildOptions) -> Result<(Bundle, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (Some(app), Some(at)) = (&loaded.app, &loaded.locations) else {
        return Err(Vec::new());
    };
    let bundle = build(app, options).map_err(|e| vec![at.diagnostic(Code::Limit, &[""], e.to_string())])?;
    let mut diags = limits::check(&bundle, at);
    diags.extend(limits::rds_identifiers(app, options.rack.as_deref(), &options.app, at));
    // with rack params: every export the app imports must be one the rack makes
    if let Some(rack) = &loaded.rack {
        let exports = crate::rack::stack::exports(rack);
        let name = options.rack.as_deref().unwrap_or("<rack>");
        diags.extend(imports::check(&bundle, &exports, name, at));
    }
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok((bundle, diags))
    }
}
