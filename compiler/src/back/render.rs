//! The minijinja environment: templates embedded from `templates/`, JSON auto-escaping (every
//! `{{ value }}` is written as a JSON value), strict undefined variables, and a few helpers that
//! spell CloudFormation intrinsics.

use super::canon;
use super::template::Template;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value as JValue};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;

/// A template that failed to render or produced invalid JSON: a bug in convoxc, never in the
/// user's manifest (which was validated before).
#[derive(Debug)]
pub struct RenderError(pub String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal error while rendering CloudFormation: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> Self {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        RenderError(msg)
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    ("_container.json", include_str!("../../../templates/_container.json")),
    ("_record.json", include_str!("../../../templates/_record.json")),
    (
        "_exec_policy.json",
        include_str!("../../../templates/_exec_policy.json"),
    ),
    ("app.json", include_str!("../../../templates/app.json")),
    ("group.json", include_str!("../../../templates/group.json")),
    ("rack.json", include_str!("../../../templates/rack.json")),
    ("timer.json", include_str!("../../../templates/timer.json")),
    (
        "service/task.json",
        include_str!("../../../templates/service/task.json"),
    ),
    (
        "service/balancer.json",
        include_str!("../../../templates/service/balancer.json"),
    ),
    ("service/nlb.json", include_str!("../../../templates/service/nlb.json")),
    (
        "service/scaling.json",
        include_str!("../../../templates/service/scaling.json"),
    ),
    (
        "resources/rds.json",
        include_str!("../../../templates/resources/rds.json"),
    ),
    (
        "resources/elasticache.json",
        include_str!("../../../templates/resources/elasticache.json"),
    ),
    (
        "resources/memcached.json",
        include_str!("../../../templates/resources/memcached.json"),
    ),
    (
        "resources/efs.json",
        include_str!("../../../templates/resources/efs.json"),
    ),
];

/// `{"Fn::ImportValue": {"Fn::Sub": "${Rack}:<name>"}}`: a rack export.
pub fn import(name: &str) -> Value {
    json!({"Fn::ImportValue": {"Fn::Sub": format!("${{Rack}}:{name}")}})
}

pub struct Renderer {
    env: Environment<'static>,
}

/// The renderer of the app stacks and the rack, compiled once per process.
pub fn shared() -> Result<&'static Renderer, RenderError> {
    static SHARED: std::sync::OnceLock<Result<Renderer, String>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| Renderer::new().map_err(|e| e.0))
        .as_ref()
        .map_err(|e| RenderError(e.clone()))
}

impl Renderer {
    pub fn new() -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Json);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        // the intrinsics are written as JSON text marked safe: printed as they are (every use is
        // a `{{ … }}` of its own), without building a map per call
        let json_text = |v: Value| JValue::from_safe_string(v.to_string());
        env.add_function("import", move |name: &str| json_text(import(name)));
        env.add_function("sub", move |s: &str| json_text(json!({ "Fn::Sub": s })));
        env.add_function("template_url", move |key: &str| {
            json_text(json!({
                "Fn::Sub": format!("https://${{TemplateBucket}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}")
            }))
        });
        Ok(Renderer { env })
    }

    /// Add templates beyond `templates/`' app stacks (the rack resources bring their own).
    pub(crate) fn add_templates(&mut self, templates: &[(&'static str, &'static str)]) -> Result<(), RenderError> {
        for (name, source) in templates {
            self.env.add_template(name, source)?;
        }
        Ok(())
    }

    /// Render the fragments of one stack with `view`, merge them and write the template.
    pub fn template<T: Serialize>(&self, templates: &[&str], view: &T) -> Result<Template, RenderError> {
        let v = JValue::from(minijinja::value::Serde(view));
        // fields at the top level, and the whole view as `view` (for macros)
        let context = minijinja::context! { view => v.clone(), ..v };
        let texts = templates
            .iter()
            .map(|name| Ok((*name, self.env.get_template(name)?.render(&context)?)))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let fragments = texts
            .iter()
            .map(|(name, text)| canon::parse(text).map_err(|e| RenderError(format!("{name}: {e}\n{}", numbered(text)))))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let stack = canon::merge(fragments).map_err(|e| RenderError(format!("{}: {e}", templates.join(", "))))?;
        // the sorted, indented text is 1.6–2 times what the templates printed
        let rendered: usize = texts.iter().map(|(_, t)| t.len()).sum();
        Ok(Template::from_node(&stack, 2 * rendered + 64))
    }
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} {l}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}
