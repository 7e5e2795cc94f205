//! CloudFormation's intrinsics evaluated as far as the known parameter values allow: conditions
//! (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), `Fn::If` on a decided condition,
//! `Ref` of a known parameter, `AWS::NoValue`, and `Fn::Join`, `Fn::Select`, `Fn::Split`,
//! `Fn::Sub` over known text. What cannot be decided stays as written. Used to find what a
//! bundle imports (`imports.rs`) and to compare two stacks (`diff`).

use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// Parameter values: text, or an expression not known here.
pub type Params = BTreeMap<String, Value>;

/// A scalar as CloudFormation passes it: text.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A template's conditions, decided with known parameter values.
pub struct Conditions<'a> {
    params: &'a Params,
    defs: Option<&'a Map<String, Value>>,
    cache: RefCell<HashMap<String, Option<bool>>>,
}

impl<'a> Conditions<'a> {
    pub fn new(template: &'a Value, params: &'a Params) -> Self {
        Conditions {
            params,
            defs: template.get("Conditions").and_then(Value::as_object),
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// A value's text when it is known: a scalar, a known parameter, a decided `Fn::If`, text
    /// functions of known text.
    pub fn value(&self, v: &Value) -> Option<String> {
        scalar(&self.simplify(v)?)
    }

    /// A named condition: None when it cannot be decided here.
    pub fn named(&self, name: &str) -> Option<bool> {
        if let Some(c) = self.cache.borrow().get(name) {
            return *c;
        }
        self.cache.borrow_mut().insert(name.to_string(), None); // a cycle stays undecided
        let v = self.defs.and_then(|d| d.get(name)).and_then(|c| self.condition(c));
        self.cache.borrow_mut().insert(name.to_string(), v);
        v
    }

    fn condition(&self, c: &Value) -> Option<bool> {
        let o = c.as_object()?;
        let (f, args) = o.iter().next()?;
        let args = args.as_array();
        match f.as_str() {
            "Condition" => self.named(o.get("Condition")?.as_str()?),
            "Fn::Equals" => {
                let a = args?;
                Some(self.value(a.first()?)? == self.value(a.get(1)?)?)
            }
            "Fn::Not" => self.condition(args?.first()?).map(|b| !b),
            "Fn::And" => {
                let mut all = Some(true);
                for x in args? {
                    match self.condition(x) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            "Fn::Or" => {
                let mut any = Some(false);
                for x in args? {
                    match self.condition(x) {
                        Some(true) => return Some(true),
                        None => any = None,
                        Some(false) => {}
                    }
                }
                any
            }
            _ => None,
        }
    }

    /// Whether a resource or output with this `Condition` exists (true when undecided).
    pub fn applies(&self, item: &Value) -> bool {
        match item.get("Condition").and_then(Value::as_str) {
            Some(c) => self.named(c) != Some(false),
            None => true,
        }
    }

    /// A value with everything decidable evaluated. `None` is `AWS::NoValue` (the key or list
    /// entry is left out).
    pub fn simplify(&self, v: &Value) -> Option<Value> {
        match v {
            Value::Array(a) => Some(Value::Array(a.iter().filter_map(|x| self.simplify(x)).collect())),
            Value::Object(o) if o.len() == 1 => {
                let (f, arg) = o.iter().next().expect("one entry");
                match f.as_str() {
                    "Ref" if arg == "AWS::NoValue" => None,
                    "Ref" => Some(
                        arg.as_str()
                            .and_then(|p| self.params.get(p))
                            .cloned()
                            .unwrap_or_else(|| v.clone()),
                    ),
                    "Fn::If" => {
                        let a = arg.as_array()?;
                        match a.first().and_then(Value::as_str).and_then(|c| self.named(c)) {
                            Some(pick) => self.simplify(a.get(if pick { 1 } else { 2 })?),
                            None => Some(one(
                                f,
                                Value::Array(a.iter().map(|x| self.simplify(x).unwrap_or_else(no_value)).collect()),
                            )),
                        }
                    }
                    _ => {
                        let arg = self.simplify(arg).unwrap_or_else(no_value);
                        Some(fold(f, &arg, self.params).unwrap_or_else(|| one(f, arg)))
                    }
                }
            }
            Value::Object(o) => Some(Value::Object(
                o.iter()
                    .filter_map(|(k, x)| self.simplify(x).map(|x| (k.clone(), x)))
                    .collect(),
            )),
            other => Some(other.clone()),
        }
    }
}

fn one(f: &str, arg: Value) -> Value {
    let mut m = Map::new();
    m.insert(f.to_string(), arg);
    Value::Object(m)
}

fn no_value() -> Value {
    one("Ref", Value::String("AWS::NoValue".into()))
}

/// `Fn::Join`, `Fn::Select`, `Fn::Split` and `Fn::Sub` whose arguments are all known text (a
/// `Fn::Sub` variable from its map, else a known parameter).
fn fold(f: &str, arg: &Value, params: &Params) -> Option<Value> {
    let texts = |v: &Value| -> Option<Vec<String>> { v.as_array()?.iter().map(scalar).collect() };
    match f {
        "Fn::Join" => {
            let a = arg.as_array()?;
            Some(Value::String(texts(a.get(1)?)?.join(&scalar(a.first()?)?)))
        }
        "Fn::Split" => {
            let a = arg.as_array()?;
            let (sep, text) = (scalar(a.first()?)?, scalar(a.get(1)?)?);
            Some(Value::Array(
                text.split(sep.as_str()).map(|s| Value::String(s.to_string())).collect(),
            ))
        }
        "Fn::Select" => {
            let a = arg.as_array()?;
            let i: usize = scalar(a.first()?)?.parse().ok()?;
            let list = a.get(1)?.as_array()?;
            let item = list.get(i)?;
            scalar(item).map(Value::String)
        }
        "Fn::Sub" => {
            let (text, vars) = match arg {
                Value::String(s) => (s.clone(), Map::new()),
                Value::Array(a) => (scalar(a.first()?)?, a.get(1)?.as_object()?.clone()),
                _ => return None,
            };
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let end = rest[start..].find('}')? + start;
                let name = &rest[start + 2..end];
                if name.starts_with('!') {
                    out.push_str(&rest[start..=end]);
                } else {
                    out.push_str(&scalar(vars.get(name).or_else(|| params.get(name))?)?);
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Some(Value::String(out))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decided_branches_and_known_text_fold() {
        let t = json!({"Conditions": {
            "Blank": {"Fn::Equals": [{"Ref": "Snapshot"}, ""]},
            "NotBlank": {"Fn::Not": [{"Condition": "Blank"}]},
            "Unknown": {"Fn::Equals": [{"Ref": "Nope"}, "x"]}
        }});
        let params = Params::from([("Snapshot".into(), json!("")), ("Version".into(), json!("12.4"))]);
        let c = Conditions::new(&t, &params);
        assert_eq!(c.named("NotBlank"), Some(false));
        assert_eq!(c.named("Unknown"), None);
        let v = json!({
            "A": {"Fn::If": ["Blank", {"Ref": "AWS::NoValue"}, "x"]},
            "B": {"Fn::Select": [0, {"Fn::Split": [".", {"Ref": "Version"}]}]},
            "C": {"Fn::Sub": ["default.postgres${V}", {"V": {"Fn::Select": [0, {"Fn::Split": [".", {"Ref": "Version"}]}]}}]},
            "D": {"Fn::If": ["Unknown", "a", "b"]},
            "E": [1, {"Ref": "AWS::NoValue"}]
        });
        assert_eq!(
            c.simplify(&v).unwrap(),
            json!({"B": "12", "C": "default.postgres12", "D": {"Fn::If": ["Unknown", "a", "b"]}, "E": [1]})
        );
    }
}
