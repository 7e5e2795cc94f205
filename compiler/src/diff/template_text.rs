//! A CloudFormation template's text as a JSON value: the one reader of every template that was not
//! just built (a deployed stack's body as GetTemplate returns it, a bundle folder's files).
//!
//! JSON is read as it is. YAML is read as CloudFormation reads it: YAML 1.1 scalars (unquoted
//! `yes`/`no`/`on`/`off` are booleans, as CloudFormation takes them; a date such as
//! `2010-09-09` stays text, since CloudFormation has no timestamp type), and the short forms of the
//! intrinsic functions in their JSON spelling: `!Ref X` → `{"Ref": "X"}`, `!Condition C` →
//! `{"Condition": "C"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}` (the list form as it is),
//! and every other `!X v` → `{"Fn::X": v}` (`!Sub`, `!If`, `!Join`, `!Select`, `!Split`,
//! `!Equals`, `!And`, `!Or`, `!Not`, `!FindInMap`, `!GetAZs`, `!ImportValue`, `!Base64`, `!Cidr`,
//! `!Transform`, …). The YAML core tags (`!!str`, `!!int`, …) are YAML's own.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{MessageFormatter, Tagged};

/// The template in `text`, JSON or CloudFormation YAML. `name` says which file (or which deployed
/// stack) in the error, with the line and column of the problem.
pub fn read(name: &str, text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => return Ok(v),
        // text that starts as JSON is JSON (YAML would read `{"a": }` as a null)
        Err(e) if text.trim_start().starts_with('{') => {
            let message = e.to_string();
            let message = message.find(" at line ").map_or(&message[..], |i| &message[..i]);
            return Err(format!(
                "{name}: not a JSON template: line {}, column {}: {message}",
                e.line(),
                e.column()
            ));
        }
        Err(_) => {}
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<Cfn>(text, options) {
        Ok(Cfn(v)) => Ok(v),
        Err(e) => {
            let at = e
                .location()
                .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
                .unwrap_or_default();
            let message = serde_saphyr::DefaultMessageFormatter.format_message(&e);
            let message = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
            Err(format!("{name}: neither a JSON nor a YAML template: {at}{message}"))
        }
    }
}

/// A node read with its tag, in its JSON spelling.
struct Cfn(Value);

impl<'de> Deserialize<'de> for Cfn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Tagged(Plain(value), tag) = Tagged::<Plain>::deserialize(d)?;
        Ok(Cfn(match tag.as_deref().and_then(short_form) {
            Some(function) => intrinsic(function, value),
            None => value,
        }))
    }
}

/// The function a short-form tag names (`!Sub` → `Sub`); none for YAML's own tags.
fn short_form(tag: &str) -> Option<&str> {
    if tag.starts_with("!!") || tag.starts_with("tag:") || tag.starts_with("!<") {
        return None;
    }
    tag.strip_prefix('!').filter(|name| !name.is_empty())
}

fn intrinsic(function: &str, value: Value) -> Value {
    let (key, value) = match (function, value) {
        ("Ref" | "Condition", v) => (function.to_string(), v),
        ("GetAtt", Value::String(s)) => {
            let parts = match s.split_once('.') {
                Some((resource, attribute)) => vec![resource.into(), attribute.into()],
                None => vec![Value::String(s)],
            };
            ("Fn::GetAtt".to_string(), Value::Array(parts))
        }
        ("GetAZs", Value::Null) => ("Fn::GetAZs".to_string(), Value::String(String::new())),
        (f, v) => (format!("Fn::{f}"), v),
    };
    Value::Object(Map::from_iter([(key, value)]))
}

/// A node's value; its children are read with their tags.
struct Plain(Value);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PlainVisitor).map(Plain)
    }
}

struct PlainVisitor;

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(PlainVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::from)
            .or_else(|_| u64::try_from(v).map(Value::from))
            .unwrap_or_else(|_| Value::String(v.to_string())))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Cfn(v)) = a.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        // a key as written: `On:` or `Y:` is a name, not a boolean
        while let Some((key, Cfn(v))) = a.next_entry::<String, Cfn>()? {
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(text: &str) -> Value {
        read("t.yaml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_short_form_in_its_json_spelling() {
        let cases = [
            ("!Ref X", json!({"Ref": "X"})),
            ("!Condition C", json!({"Condition": "C"})),
            ("!GetAtt A.B", json!({"Fn::GetAtt": ["A", "B"]})),
            ("!GetAtt A.B.C", json!({"Fn::GetAtt": ["A", "B.C"]})),
            ("!GetAtt [A, B]", json!({"Fn::GetAtt": ["A", "B"]})),
            ("!Sub 'a-${X}'", json!({"Fn::Sub": "a-${X}"})),
            (
                "!Sub [ 'a-${Y}', {Y: !Ref X} ]",
                json!({"Fn::Sub": ["a-${Y}", {"Y": {"Ref": "X"}}]}),
            ),
            ("!If [C, 1, 2]", json!({"Fn::If": ["C", 1, 2]})),
            ("!Join ['', [a, b]]", json!({"Fn::Join": ["", ["a", "b"]]})),
            (
                "!Select [0, !GetAZs '']",
                json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
            ),
            ("!GetAZs", json!({"Fn::GetAZs": ""})),
            (
                "!Split [',', !ImportValue x]",
                json!({"Fn::Split": [",", {"Fn::ImportValue": "x"}]}),
            ),
            ("!Equals [!Ref X, 'yes']", json!({"Fn::Equals": [{"Ref": "X"}, "yes"]})),
            (
                "!And [!Condition A, !Or [!Condition B, !Not [!Condition C]]]",
                json!({"Fn::And": [{"Condition": "A"}, {"Fn::Or": [{"Condition": "B"}, {"Fn::Not": [{"Condition": "C"}]}]}]}),
            ),
            ("!FindInMap [M, K, V]", json!({"Fn::FindInMap": ["M", "K", "V"]})),
            ("!Base64 abc", json!({"Fn::Base64": "abc"})),
            ("!Cidr [10.0.0.0/16, 4, 8]", json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]})),
            (
                "!Transform {Name: T, Parameters: {}}",
                json!({"Fn::Transform": {"Name": "T", "Parameters": {}}}),
            ),
            ("!Length [1]", json!({"Fn::Length": [1]})),
        ];
        for (text, expected) in cases {
            assert_eq!(yaml(&format!("v: {text}\n"))["v"], expected, "{text}");
        }
    }

    #[test]
    fn nested_in_block_form() {
        let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub\n        - '${A}-b'\n        - A: !Select\n            - 0\n            - !Split [':', !GetAtt Other.Arn]\n      Tags:\n        - Key: k\n          Value: !If\n            - IsProd\n            - !Ref AWS::NoValue\n            - !Base64 |\n              text\n";
        assert_eq!(
            yaml(text),
            json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": {"Fn::Sub": ["${A}-b", {"A": {"Fn::Select": [0, {"Fn::Split": [":", {"Fn::GetAtt": ["Other", "Arn"]}]}]}}]},
                "Tags": [{"Key": "k", "Value": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, {"Fn::Base64": "text\n"}]}}]
            }}}})
        );
    }

    #[test]
    fn plain_yaml_as_cloudformation_reads_it() {
        let text = "AWSTemplateFormatVersion: 2010-09-09\nDescription: d\nParameters:\n  P:\n    Type: String\n    Default: 80\nResources:\n  R:\n    Type: T\n    Properties:\n      On: yes\n      Off: off\n      Quoted: 'yes'\n      Text: !!str 80\n      Float: 1.5\n      Empty:\n      List: [a, 2]\n";
        assert_eq!(
            yaml(text),
            json!({"AWSTemplateFormatVersion": "2010-09-09", "Description": "d",
            "Parameters": {"P": {"Type": "String", "Default": 80}},
            "Resources": {"R": {"Type": "T", "Properties": {
                "On": true, "Off": false, "Quoted": "yes", "Text": "80", "Float": 1.5, "Empty": null, "List": ["a", 2]
            }}}})
        );
    }

    #[test]
    fn json_is_read_as_it_is() {
        let text = r#"{"Resources": {"R": {"Type": "T", "Properties": {"A": "yes", "N": 1.0, "B": true}}}}"#;
        assert_eq!(
            read("app.json", text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn a_broken_file_is_named_with_where() {
        let e = read("services/web.json", "Resources:\n  R:\n    Type: T\n   X: 1\n").unwrap_err();
        assert!(
            e.starts_with("services/web.json: neither a JSON nor a YAML template: line 4, column 4: "),
            "{e}"
        );
        assert!(!e.contains("<input>") && !e.contains('\n'), "{e}");
        let e = read("app.json", "{\"Resources\": {\"R\": }}").unwrap_err();
        assert!(
            e.starts_with("app.json: not a JSON template: line 1, column 21: "),
            "{e}"
        );
    }
}
