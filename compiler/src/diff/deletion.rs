//! What deleting a stack tree does to the data it holds: for each data-holding resource (a
//! database, cache, volume, bucket, log group, registry, secret), whether CloudFormation keeps it
//! (`Retain`), keeps a final snapshot (`Snapshot`) or deletes it, from its `DeletionPolicy` or
//! CloudFormation's default for its type. `convoxc apps delete` and `resources delete` say it
//! before they ask.

use super::facts::{data_kind, default_deletion_policy};
use super::model::Stack;
use serde_json::Value;

/// What happens to one data-holding resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The resource stays, outside the stack (`Retain`, `RetainExceptOnCreate`).
    Kept,
    /// A final snapshot is taken, then the resource is deleted.
    Snapshot,
    /// Deleted with its data.
    Lost,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The stack's label (`resource database`), or its logical ID path (empty: the root).
    pub stack: String,
    pub logical_id: String,
    pub resource_type: String,
    /// database, cache, bucket…
    pub kind: &'static str,
    pub fate: Fate,
}

/// Every data-holding resource of the tree, in stack order (root first, nested by logical ID).
pub fn deletion(root: &Stack) -> Vec<Held> {
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out
}

fn walk(stack: &Stack, path: &str, out: &mut Vec<Held>) {
    let label = stack.label.clone().unwrap_or_else(|| path.to_string());
    if let Some(Value::Object(resources)) = stack.template.get("Resources") {
        for (id, r) in resources {
            let t = r.get("Type").and_then(Value::as_str).unwrap_or_default();
            let Some(kind) = data_kind(t) else { continue };
            // a secret whose value the template gives (from its parameters) is made again from
            // them: only a generated one is lost
            if t == "AWS::SecretsManager::Secret" && r.pointer("/Properties/SecretString").is_some() {
                continue;
            }
            let policy = match r.get("DeletionPolicy") {
                Some(Value::String(p)) => p.as_str(),
                _ => default_deletion_policy(t, r.get("Properties")),
            };
            let fate = match policy {
                "Retain" | "RetainExceptOnCreate" => Fate::Kept,
                "Snapshot" => Fate::Snapshot,
                _ => Fate::Lost,
            };
            out.push(Held {
                stack: label.clone(),
                logical_id: id.clone(),
                resource_type: t.to_string(),
                kind,
                fate,
            });
        }
    }
    for (id, child) in &stack.nested {
        let p = if path.is_empty() {
            id.clone()
        } else {
            format!("{path}/{id}")
        };
        walk(child, &p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policies_and_defaults() {
        let nested = Stack {
            template: json!({"Resources": {
                "Instance": {"Type": "AWS::RDS::DBInstance", "Properties": {}},
                "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Url": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": {"Ref": "U"}}},
                "Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {}}},
            }})
            .into(),
            label: Some("resource database".into()),
            ..Default::default()
        };
        let root = Stack {
            template: json!({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}}}).into(),
            nested: [("ResourceDatabase".to_string(), nested)].into(),
            ..Default::default()
        };
        let fates: Vec<(String, String, Fate)> = deletion(&root)
            .into_iter()
            .map(|h| (h.stack, h.logical_id, h.fate))
            .collect();
        assert_eq!(
            fates,
            vec![
                ("".into(), "Logs".into(), Fate::Lost),
                ("resource database".into(), "Bucket".into(), Fate::Kept),
                ("resource database".into(), "Instance".into(), Fate::Snapshot),
                ("resource database".into(), "Key".into(), Fate::Lost),
            ]
        );
    }
}
