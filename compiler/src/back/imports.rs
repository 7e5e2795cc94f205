//! Which rack exports an app bundle imports, as CloudFormation will resolve them: conditions are
//! evaluated with the stacks' parameters (the root's defaults, then what each parent passes its
//! nested stack), so an import in an `Fn::If` branch that is not taken, or in a resource whose
//! condition is false, is not counted. A condition that cannot be decided here counts both ways.

use super::constraints::{passed, resolved};
use super::eval::{Conditions, Params};
use super::template::{Bundle, Template};
use crate::diagnostic::{Code, Diagnostic, Locations};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One import: the export name (without `<rack>:`) and where it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub name: String,
    /// The template's bundle path (`app.json`, `services/web.json`, …).
    pub stack: String,
    pub logical: String,
}

/// Every rack export the bundle imports when deployed with its parameters' defaults.
pub fn imports(bundle: &Bundle) -> BTreeSet<Import> {
    let mut by_key: HashMap<String, (String, &Template)> = HashMap::new();
    for (rel, t) in bundle.nested() {
        by_key.insert(t.key(), (rel, t));
    }
    let mut out = BTreeSet::new();
    walk_stack(bundle.app.value(), "app.json", &BTreeMap::new(), &by_key, &mut out);
    out
}

struct Stack<'a> {
    conditions: Conditions<'a>,
}

impl Stack<'_> {
    /// Collect the imports under `v`, taking only the `Fn::If` branches that apply.
    fn collect(&mut self, v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| self.collect(x, found)),
            Value::Object(o) => {
                if let Some(arg) = o.get("Fn::ImportValue") {
                    if let Some(name) = arg
                        .get("Fn::Sub")
                        .and_then(Value::as_str)
                        .and_then(|s| s.strip_prefix("${Rack}:"))
                    {
                        found.push(name.to_string());
                    }
                    return;
                }
                if let Some(Value::Array(a)) = o.get("Fn::If") {
                    let cond = a.first().and_then(Value::as_str).and_then(|c| self.conditions.named(c));
                    match cond {
                        Some(true) => a.get(1).into_iter().for_each(|x| self.collect(x, found)),
                        Some(false) => a.get(2).into_iter().for_each(|x| self.collect(x, found)),
                        None => a.iter().skip(1).for_each(|x| self.collect(x, found)),
                    }
                    return;
                }
                o.values().for_each(|x| self.collect(x, found));
            }
            _ => {}
        }
    }
}

fn walk_stack(
    template: &Value,
    path: &str,
    given: &Params,
    by_key: &HashMap<String, (String, &Template)>,
    out: &mut BTreeSet<Import>,
) {
    let params = resolved(template, Some(given));
    let mut stack = Stack {
        conditions: Conditions::new(template, &params),
    };
    for section in ["Resources", "Outputs"] {
        let Some(items) = template.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (logical, item) in items {
            if !stack.conditions.applies(item) {
                continue;
            }
            let mut found = Vec::new();
            stack.collect(item, &mut found);
            out.extend(found.into_iter().map(|name| Import {
                name,
                stack: path.to_string(),
                logical: logical.clone(),
            }));
        }
    }
    for (rel, child, passed, _) in passed(template, &params, by_key) {
        child.with_value(|v| walk_stack(v, &rel, &passed, by_key, out));
    }
}

/// The rack param that makes an export, for the help text.
fn enabling_param(export: &str) -> &'static str {
    if export.starts_with("NLBInternal") {
        "NLBInternal=Yes (with Internal=Yes)"
    } else if export.starts_with("NLB") {
        "NLB=Yes"
    } else if export.starts_with("RouterInternal") || export == "DomainInternal" {
        "Internal=Yes"
    } else if export.ends_with("Listener80") {
        "DisableALBPort80=No, or RedirectHttps=Yes in the app's params"
    } else if export.starts_with("SubnetPrivate") {
        "Private=Yes"
    } else if export == "Subnet2" {
        "MaxAvailabilityZones=3"
    } else if export.starts_with("Router") || export == "Domain" {
        "InternalOnly=No"
    } else {
        "convoxc's rack template"
    }
}

/// Check an app bundle's imports against the exports of the rack it targets: each missing export
/// is an error at the manifest entry whose stack imports it.
pub fn check(bundle: &Bundle, exports: &BTreeSet<String>, rack: &str, at: &Locations) -> Vec<Diagnostic> {
    let mut missing: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for i in imports(bundle) {
        if !exports.contains(&i.name) {
            missing
                .entry((i.stack.clone(), i.name.clone()))
                .or_default()
                .insert(i.logical);
        }
    }
    missing
        .into_iter()
        .map(|((stack, name), logicals)| {
            let (path, what) = match stack.trim_end_matches(".json").split_once('/') {
                Some((kind, name)) => (
                    format!("{kind}.{name}"),
                    format!("{} {name}", kind.trim_end_matches('s')),
                ),
                None => (String::new(), "the app".to_string()),
            };
            at.diagnostic(
                Code::MissingExport,
                &[&format!("{path}#name"), &path, ""],
                format!(
                    "{what} imports `{rack}:{name}` ({}), which rack {rack} does not export with these params",
                    logicals.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .help(format!("the rack makes it with {}", enabling_param(&name)))
        })
        .collect()
}
