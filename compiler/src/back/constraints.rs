//! Every value a stack of the bundle gets meets its parameter's declared constraints, as
//! CloudFormation checks them when it creates the nested stack (and rolls the whole app back):
//! `AllowedValues`, `AllowedPattern`, `MinLength`/`MaxLength`, `MinValue`/`MaxValue`, and a value
//! at all. cfn-lint cannot see a child's constraints behind a `TemplateURL`. The values are the
//! root's defaults (the manifest's `params:`), then what each parent passes its nested stack,
//! evaluated as far as known (`eval.rs`); a value known only at deploy (an output, an import) is
//! not checked here. A problem is reported at the manifest entry the value comes from.

use super::eval::{Conditions, Params, scalar};
use super::template::{Bundle, KEY_PREFIX, Template};
use crate::diagnostic::{Code, Diagnostic, Locations};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A value a stack's parameter refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The template's bundle path (`app.json`, `resources/db.json`, …).
    pub stack: String,
    pub parameter: String,
    /// The value, or None when none is passed and the parameter has no default.
    pub value: Option<String>,
    /// The constraint it breaks, in words.
    pub rule: String,
}

/// Every violation in the bundle. The root's parameters without a default are the deployer's to
/// pass (`Build`, `TemplateBucket`, the resource password) and are not reported missing.
pub fn violations(bundle: &Bundle) -> Vec<Violation> {
    let by_key: HashMap<String, (String, &Template)> = bundle.nested().map(|(rel, t)| (t.key(), (rel, t))).collect();
    let mut out = Vec::new();
    walk(bundle.app.value(), "app.json", None, &by_key, &mut out);
    out
}

/// The parameters of one template with the values it gets: its defaults, then `given`.
pub fn resolved(template: &Value, given: Option<&Params>) -> Params {
    let mut params: Params = template
        .get("Parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, p)| p.get("Default").and_then(scalar).map(|d| (k.clone(), Value::String(d))))
        .collect();
    if let Some(given) = given {
        params.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    params
}

/// What each nested stack of `template` is passed, known values only, by its bundle path.
pub fn passed<'a>(
    template: &Value,
    params: &Params,
    by_key: &HashMap<String, (String, &'a Template)>,
) -> Vec<(String, &'a Template, Params, Vec<String>)> {
    let conditions = Conditions::new(template, params);
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for item in resources.values() {
        if item.get("Type").and_then(Value::as_str) != Some("AWS::CloudFormation::Stack") || !conditions.applies(item) {
            continue;
        }
        let props = &item["Properties"];
        let url = props["TemplateURL"]
            .get("Fn::Sub")
            .and_then(Value::as_str)
            .or(props["TemplateURL"].as_str())
            .unwrap_or("");
        let Some((rel, child)) = url.rfind(KEY_PREFIX).and_then(|i| by_key.get(&url[i..])) else {
            continue;
        };
        let mut known = Params::new();
        let mut unknown = Vec::new();
        for (k, v) in props.get("Parameters").and_then(Value::as_object).into_iter().flatten() {
            match conditions.simplify(v) {
                Some(Value::Object(m)) if m.contains_key("Ref") && m["Ref"] == "AWS::NoValue" => {}
                Some(v) => match scalar(&v) {
                    Some(text) => {
                        known.insert(k.clone(), Value::String(text));
                    }
                    None => unknown.push(k.clone()),
                },
                None => unknown.push(k.clone()),
            }
        }
        out.push((rel.clone(), *child, known, unknown));
    }
    out
}

fn walk(
    template: &Value,
    path: &str,
    given: Option<(&Params, &[String])>,
    by_key: &HashMap<String, (String, &Template)>,
    out: &mut Vec<Violation>,
) {
    let params = resolved(template, given.map(|(g, _)| g));
    for (name, decl) in template
        .get("Parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let unknown = given.is_some_and(|(_, u)| u.contains(name));
        match params.get(name).and_then(scalar) {
            Some(v) => {
                if let Some(rule) = refuses(decl, &v) {
                    out.push(Violation {
                        stack: path.to_string(),
                        parameter: name.clone(),
                        value: Some(v),
                        rule,
                    });
                }
            }
            None if given.is_some() && !unknown => out.push(Violation {
                stack: path.to_string(),
                parameter: name.clone(),
                value: None,
                rule: "it has no default and its parent passes no value".into(),
            }),
            None => {}
        }
    }
    for (rel, child, known, unknown) in passed(template, &params, by_key) {
        child.with_value(|v| walk(v, &rel, Some((&known, &unknown)), by_key, out));
    }
}

/// The constraint of a parameter declaration that `v` breaks, in words; None when it meets
/// them all. A `Number` is checked as a number, a `CommaDelimitedList` entry by entry (as
/// CloudFormation checks `AllowedValues` and `AllowedPattern` of a list).
pub fn refuses(decl: &Value, v: &str) -> Option<String> {
    let kind = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
    let number = |k: &str| decl.get(k).and_then(|x| scalar(x)?.parse::<f64>().ok());
    if kind == "Number" {
        let Ok(n) = v.trim().parse::<f64>() else {
            return Some(format!("`{v}` is not a number"));
        };
        if let Some(min) = number("MinValue").filter(|m| n < *m) {
            return Some(format!("{v} is below its MinValue {min}"));
        }
        if let Some(max) = number("MaxValue").filter(|m| n > *m) {
            return Some(format!("{v} is above its MaxValue {max}"));
        }
    }
    let items: Vec<&str> = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
        v.split(',').map(str::trim).collect()
    } else {
        vec![v]
    };
    if let Some(allowed) = decl.get("AllowedValues").and_then(Value::as_array) {
        let allowed: Vec<String> = allowed.iter().filter_map(scalar).collect();
        let matches = |x: &str| {
            allowed.iter().any(|a| {
                a == x
                    || (kind == "Number"
                        && a.parse::<f64>()
                            .ok()
                            .zip(x.parse::<f64>().ok())
                            .is_some_and(|(a, b)| a == b))
            })
        };
        if let Some(x) = items.iter().find(|x| !matches(x)) {
            return Some(format!(
                "`{x}` is not one of its AllowedValues ({})",
                allowed.join(", ")
            ));
        }
    }
    if let Some(pattern) = decl.get("AllowedPattern").and_then(Value::as_str) {
        // CloudFormation matches the whole value (Java regular expressions; these are plain ones)
        if let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
            && let Some(x) = items.iter().find(|x| !re.is_match(x))
        {
            return Some(format!("`{x}` does not match its AllowedPattern {pattern}"));
        }
    }
    let len = v.chars().count() as f64;
    if let Some(min) = number("MinLength").filter(|m| len < *m) {
        return Some(format!("`{v}` is shorter than its MinLength {min}"));
    }
    if let Some(max) = number("MaxLength").filter(|m| len > *m) {
        return Some(format!("`{v}` is longer than its MaxLength {max}"));
    }
    None
}

/// The violations as diagnostics at the manifest entry the value comes from: an app param
/// (`params.<Name>`), a resource option (`resources.<r>.options.<option>`), or the service, timer
/// or resource whose stack it is.
pub fn check(bundle: &Bundle, at: &Locations) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<(String, String), ()> = BTreeMap::new();
    violations(bundle)
        .into_iter()
        .filter(|v| seen.insert((v.stack.clone(), v.parameter.clone()), ()).is_none())
        .map(|v| {
            let (kind, name) = v
                .stack
                .trim_end_matches(".json")
                .split_once('/')
                .map_or(("", ""), |(k, n)| (k, n));
            let option = lower_first(&v.parameter);
            let paths: Vec<String> = match kind {
                "" => vec![format!("params.{}", v.parameter), "params".into(), String::new()],
                "resources" => vec![
                    format!("resources.{name}.options.{option}"),
                    format!("resources.{name}.options.{}", v.parameter),
                    format!("resources.{name}.options"),
                    format!("resources.{name}#name"),
                    format!("resources.{name}"),
                ],
                "groups" => vec!["services".into(), String::new()],
                _ => vec![format!("{kind}.{name}#name"), format!("{kind}.{name}"), String::new()],
            };
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let value = v.value.as_deref().map_or_else(|| "no value".to_string(), |x| format!("`{x}`"));
            at.diagnostic(
                Code::NestedParameter,
                &refs,
                format!(
                    "{}: parameter {} gets {value}, which CloudFormation refuses: {}",
                    v.stack, v.parameter, v.rule
                ),
            )
            .help("the nested stack would fail to create and the app stack roll back; give a value within the parameter's constraints")
        })
        .collect()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_constraint_refuses_what_it_should() {
        let n = json!({"Type": "Number", "MinValue": 20, "MaxValue": 100});
        assert!(refuses(&n, "10").unwrap().contains("MinValue 20"));
        assert!(refuses(&n, "101").unwrap().contains("MaxValue 100"));
        assert!(refuses(&n, "x").unwrap().contains("not a number"));
        assert_eq!(refuses(&n, "20"), None);
        let s = json!({"Type": "String", "AllowedValues": ["", "1", "7"]});
        assert!(refuses(&s, "10").unwrap().contains("AllowedValues"));
        assert_eq!(refuses(&s, ""), None);
        let p = json!({"Type": "String", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 3});
        assert!(refuses(&p, "A").unwrap().contains("AllowedPattern"));
        assert!(refuses(&p, "a").unwrap().contains("MinLength"));
        assert!(refuses(&p, "abcd").unwrap().contains("MaxLength"));
        assert_eq!(refuses(&p, "abc"), None);
        let l = json!({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]});
        assert_eq!(refuses(&l, "a,b"), None);
        assert!(refuses(&l, "a,c").is_some());
    }

    #[test]
    fn a_passed_value_is_checked_against_the_child() {
        let child = Template::new(json!({"Parameters": {
            "Storage": {"Type": "Number", "Default": 20, "MinValue": 20},
            "Rack": {"Type": "String", "MinLength": 1},
            "Host": {"Type": "String"}
        }, "Resources": {}}));
        let app = |storage: Value| {
            Template::new(
                json!({"Parameters": {"Size": {"Type": "Number", "Default": storage}}, "Resources": {"ResourceDb": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {
                        "TemplateURL": {"Fn::Sub": format!("https://b.s3/{}", child.key())},
                        "Parameters": {"Storage": {"Ref": "Size"}, "Host": {"Fn::GetAtt": ["X", "Y"]}}
                    }
                }}}),
            )
        };
        let bundle = |storage| Bundle {
            app: app(storage),
            services: vec![],
            timers: vec![],
            resources: vec![("db".into(), child.clone())],
            groups: vec![],
        };
        let v = violations(&bundle(json!(10)));
        // Storage is below its minimum; Rack is passed nothing; Host is known only at deploy
        let found: Vec<(&str, &str)> = v.iter().map(|v| (v.stack.as_str(), v.parameter.as_str())).collect();
        assert_eq!(found, [("resources/db.json", "Rack"), ("resources/db.json", "Storage")]);
        assert!(violations(&bundle(json!(20))).iter().all(|v| v.parameter != "Storage"));
    }
}
