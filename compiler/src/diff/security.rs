//! Changes that widen access, as a reviewer wants them listed apart: IAM statements that allow
//! more (an added Allow, a removed Deny), managed policies attached, and security-group rules
//! added (inline on a group, or as their own resources).

use super::model::Broadening;
use super::tree::normalize;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A rule or statement without the keys that grant nothing (a rule's `Description`, a
/// statement's `Sid`), so that renaming or describing one does not read as widening access.
fn grant(value: &Value, inert: &str) -> String {
    let mut v = normalize(value);
    if let Some(m) = v.as_object_mut() {
        m.remove(inert);
    }
    v.to_string()
}

/// What a template grants, as (logical ID, kind, statement or rule) entries.
fn grants(template: &Value) -> BTreeSet<(String, &'static str, String)> {
    let mut out = BTreeSet::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for (id, r) in resources {
        let props = r.get("Properties").cloned().unwrap_or(json!({}));
        let t = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let mut documents: Vec<Value> = Vec::new();
        match t {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                for p in props.get("Policies").and_then(Value::as_array).into_iter().flatten() {
                    documents.extend(p.get("PolicyDocument").cloned());
                }
                documents.extend(props.get("AssumeRolePolicyDocument").cloned());
                for arn in props
                    .get("ManagedPolicyArns")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.insert((id.clone(), "managed-policy", normalize(arn).to_string()));
                }
            }
            "AWS::IAM::Policy"
            | "AWS::IAM::ManagedPolicy"
            | "AWS::S3::BucketPolicy"
            | "AWS::SQS::QueuePolicy"
            | "AWS::SNS::TopicPolicy" => documents.extend(props.get("PolicyDocument").cloned()),
            "AWS::Lambda::Permission" => {
                out.insert((id.clone(), "lambda-permission", normalize(&props).to_string()));
            }
            "AWS::EC2::SecurityGroup" => {
                for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
                    for rule in props.get(key).and_then(Value::as_array).into_iter().flatten() {
                        out.insert((
                            id.clone(),
                            "security-group-rule",
                            format!("{{{}:{}}}", json!(key), grant(rule, "Description")),
                        ));
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                out.insert((id.clone(), "security-group-rule", grant(&props, "Description")));
            }
            _ => {}
        }
        for doc in documents {
            let statements = match doc.get("Statement") {
                Some(Value::Array(a)) => a.clone(),
                Some(one) => vec![one.clone()],
                None => Vec::new(),
            };
            for s in statements {
                let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("Allow");
                let kind = if effect == "Deny" { "iam-deny" } else { "iam-statement" };
                out.insert((id.clone(), kind, grant(&s, "Sid")));
            }
        }
    }
    out
}

/// What the new template grants that the old did not (and Deny statements it dropped).
pub fn broadening(old: &Value, new: &Value) -> Vec<Broadening> {
    let (a, b) = (grants(old), grants(new));
    let parse = |s: &str| serde_json::from_str(s).unwrap_or(Value::Null);
    let mut out: Vec<Broadening> = b
        .difference(&a)
        .filter(|(_, kind, _)| *kind != "iam-deny")
        .map(|(id, kind, detail)| Broadening {
            logical_id: id.clone(),
            kind,
            detail: parse(detail),
        })
        .collect();
    out.extend(
        a.difference(&b)
            .filter(|(_, kind, _)| *kind == "iam-deny")
            .map(|(id, _, detail)| Broadening {
                logical_id: id.clone(),
                kind: "iam-deny-removed",
                detail: parse(detail),
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_statements_and_rules_broaden() {
        let role = |actions: &[&str]| {
            json!({"Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": actions.iter().map(|a| json!({"Effect": "Allow", "Action": a, "Resource": "*"})).collect::<Vec<_>>()}}]}},
                "SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp"}]}}
            }})
        };
        let b = broadening(&role(&["s3:GetObject"]), &role(&["s3:GetObject", "s3:*"]));
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].detail["Action"], "s3:*");
        assert!(broadening(&role(&["s3:GetObject", "s3:*"]), &role(&["s3:GetObject"])).is_empty());
        let mut open = role(&[]);
        open["Resources"]["SG"]["Properties"]["SecurityGroupIngress"][0]["CidrIp"] = json!("0.0.0.0/0");
        let b = broadening(&role(&[]), &open);
        assert_eq!((b.len(), b[0].kind), (1, "security-group-rule"));
        // a rule described, a statement named: nothing more is granted
        let mut described = role(&["s3:GetObject"]);
        described["Resources"]["SG"]["Properties"]["SecurityGroupIngress"][0]["Description"] = json!("from the VPC");
        described["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Sid"] =
            json!("Read");
        assert!(broadening(&role(&["s3:GetObject"]), &described).is_empty());
    }
}
