//! Change sets: create one (nested stacks included), wait for it, read it (and the change sets of
//! nested stacks), and print it with what each change replaces or destroys.
//!
//! Replacement comes from CloudFormation when it says (`Replacement`, `Details`); otherwise (moto
//! never says, and a nested stack's inner changes are not always described) it is predicted by
//! comparing the old and new properties with the createOnly table of the resource provider schemas
//! (`compiler/data/create-only.json`, extracted from cfn-lint's copy by `scripts/createonly.py`, read
//! through `convoxc_compiler::diff::facts`).

use super::aws::{Clients, Result, describe, err};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, ResourceChange, Tag};
use convoxc_compiler::diff::facts::create_only;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// What the change set is built from.
pub struct Request<'a> {
    pub stack: &'a str,
    pub kind: ChangeSetType,
    /// `TemplateURL` (uploaded) or the body inline.
    pub template_url: Option<String>,
    pub template_body: Option<&'a str>,
    pub parameters: Vec<Parameter>,
    pub tags: Vec<Tag>,
}

/// A change set once CloudFormation has computed it.
pub struct ChangeSet {
    pub id: String,
    /// The submitted information did not contain changes (the change set was deleted).
    pub empty: bool,
    pub changes: Vec<Change>,
}

/// One resource change, at any depth (`path` is the chain of nested-stack logical IDs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: Vec<String>,
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// True / Conditional / False, from CloudFormation or predicted.
    pub replacement: Option<String>,
    pub predicted: bool,
    /// Properties that cause the replacement.
    pub causes: Vec<String>,
}

impl Change {
    /// Removes or replaces a resource that holds data.
    pub fn destructive(&self) -> bool {
        STATEFUL.contains(&self.resource_type.as_str())
            && (self.action == "Remove" || matches!(self.replacement.as_deref(), Some("True" | "Conditional")))
    }
}

/// Resource types whose replacement or removal loses data.
pub const STATEFUL: &[&str] = &[
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster",
    "AWS::S3::Bucket",
    "AWS::EFS::FileSystem",
    "AWS::Logs::LogGroup",
    "AWS::ECR::Repository",
    "AWS::DynamoDB::Table",
];

const EMPTY_REASONS: &[&str] = &["didn't contain changes", "No updates are to be performed"];

pub async fn create(c: &Clients, r: Request<'_>) -> Result<ChangeSet> {
    let name = format!(
        "convoxc-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let out = c
        .cfn
        .create_change_set()
        .stack_name(r.stack)
        .change_set_name(&name)
        .change_set_type(r.kind)
        .set_template_url(r.template_url)
        .set_template_body(r.template_body.map(str::to_string))
        .set_parameters(Some(r.parameters))
        .set_tags(Some(r.tags))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .include_nested_stacks(true)
        .description("convoxc apply")
        .send()
        .await
        .map_err(|e| describe(&format!("creating a change set for {}", r.stack), &e))?;
    let id = out.id().unwrap_or(&name).to_string();
    // wait for CloudFormation to compute it
    let deadline = std::time::Instant::now() + Duration::from_secs(30 * 60);
    loop {
        let d = c
            .cfn
            .describe_change_set()
            .change_set_name(&id)
            .send()
            .await
            .map_err(|e| describe("reading the change set", &e))?;
        let status = d.status().map(|s| s.as_str()).unwrap_or("");
        match status {
            "CREATE_COMPLETE" => break,
            "FAILED" => {
                let reason = d.status_reason().unwrap_or("");
                if EMPTY_REASONS.iter().any(|r| reason.contains(r)) {
                    delete(c, &id).await;
                    return Ok(ChangeSet {
                        id,
                        empty: true,
                        changes: Vec::new(),
                    });
                }
                delete(c, &id).await;
                return err(format!(
                    "CloudFormation rejected the change set for {}: {reason}",
                    r.stack
                ));
            }
            _ if std::time::Instant::now() > deadline => {
                return err(format!("the change set {id} was still {status} after 30 minutes"));
            }
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
    let changes = read(c, &id, Vec::new()).await?;
    Ok(ChangeSet {
        id,
        empty: false,
        changes,
    })
}

pub async fn delete(c: &Clients, id: &str) {
    // a leftover change set is harmless; the next apply makes a new one
    let _ = c.cfn.delete_change_set().change_set_name(id).send().await;
}

/// Every change of a change set and, recursively, of the change sets of its nested stacks.
async fn read(c: &Clients, id: &str, path: Vec<String>) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let d = c
            .cfn
            .describe_change_set()
            .change_set_name(id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| describe("reading the change set", &e))?;
        for ch in d.changes() {
            let Some(rc) = ch.resource_change() else { continue };
            out.push(from_resource_change(rc, &path));
            if let Some(nested) = rc.change_set_id()
                && nested != id
            {
                let mut p = path.clone();
                p.push(rc.logical_resource_id().unwrap_or("").to_string());
                out.extend(Box::pin(read(c, nested, p)).await?);
            }
        }
        token = d.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

fn from_resource_change(rc: &ResourceChange, path: &[String]) -> Change {
    let mut causes: Vec<String> = rc
        .details()
        .iter()
        .filter(|d| {
            d.target()
                .and_then(|t| t.requires_recreation())
                .is_some_and(|r| r.as_str() != "Never")
        })
        .filter_map(|d| d.target().and_then(|t| t.name().or(t.path())).map(str::to_string))
        .collect();
    causes.sort();
    causes.dedup();
    Change {
        path: path.to_vec(),
        action: rc.action().map(|a| a.as_str().to_string()).unwrap_or_default(),
        logical_id: rc.logical_resource_id().unwrap_or("").to_string(),
        resource_type: rc.resource_type().unwrap_or("").to_string(),
        replacement: rc.replacement().map(|r| r.as_str().to_string()),
        predicted: false,
        causes,
    }
}

/// Fill in predictions where CloudFormation said nothing about replacement, from the old and new
/// templates of each stack (`templates` maps a nested-stack path to (old, new)).
pub fn predict_all(changes: &mut [Change], templates: &BTreeMap<Vec<String>, (Value, Value)>) {
    for ch in changes.iter_mut() {
        if ch.action != "Modify" || ch.replacement.is_some() {
            continue;
        }
        let Some((old, new)) = templates.get(&ch.path) else {
            continue;
        };
        let props = |t: &Value| t.pointer(&format!("/Resources/{}/Properties", ch.logical_id)).cloned();
        let (Some(o), Some(n)) = (props(old), props(new)) else {
            continue;
        };
        let (replacement, causes) = predict(&ch.resource_type, &o, &n);
        ch.replacement = Some(replacement.to_string());
        ch.predicted = true;
        ch.causes = causes;
    }
}

/// Changes inside nested stacks that CloudFormation did not describe (moto never does): a
/// resource-level diff of a nested stack's old and new templates.
pub fn template_changes(path: &[String], old: &Value, new: &Value) -> Vec<Change> {
    let empty = serde_json::Map::new();
    let res = |t: &Value| t.get("Resources").and_then(Value::as_object).unwrap_or(&empty).clone();
    let (o, n) = (res(old), res(new));
    let ty = |v: &Value| v.get("Type").and_then(Value::as_str).unwrap_or("").to_string();
    let mut out = Vec::new();
    for (id, nv) in &n {
        let action = match o.get(id) {
            None => "Add",
            Some(ov) if ov != nv => "Modify",
            Some(_) => continue,
        };
        out.push(Change {
            path: path.to_vec(),
            action: action.to_string(),
            logical_id: id.clone(),
            resource_type: ty(nv),
            replacement: None,
            predicted: false,
            causes: Vec::new(),
        });
    }
    for (id, ov) in &o {
        if !n.contains_key(id) {
            out.push(Change {
                path: path.to_vec(),
                action: "Remove".to_string(),
                logical_id: id.clone(),
                resource_type: ty(ov),
                replacement: None,
                predicted: false,
                causes: Vec::new(),
            });
        }
    }
    out
}

/// Predict replacement of a modified resource: "True" when a createOnly property changed,
/// "Conditional" when a conditionally-createOnly one did (or the type is unknown and something
/// changed), else "False". Paths are compared as deep as the schema says (`A/B`), up to the first
/// array wildcard.
pub fn predict(resource_type: &str, old: &Value, new: &Value) -> (&'static str, Vec<String>) {
    let Some(t) = create_only(resource_type) else {
        return if old == new {
            ("False", Vec::new())
        } else {
            ("Conditional", Vec::new())
        };
    };
    let changed = |paths: &[String]| -> Vec<String> {
        let mut out: Vec<String> = paths
            .iter()
            .filter(|p| old.pointer(&format!("/{p}")) != new.pointer(&format!("/{p}")))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let always = changed(&t.always);
    if !always.is_empty() {
        return ("True", always);
    }
    let maybe = changed(&t.conditional);
    if !maybe.is_empty() {
        return ("Conditional", maybe);
    }
    ("False", Vec::new())
}

/// Print the changes, one line each, nested ones indented under their stack.
pub fn render(stack: &str, changes: &[Change]) -> String {
    let mut out = format!("Changes to {stack}:\n");
    if changes.is_empty() {
        out.push_str("  (no resource changes: parameters or outputs only)\n");
    }
    for ch in changes {
        let indent = "  ".repeat(ch.path.len() + 1);
        let sign = match ch.action.as_str() {
            "Add" => "+",
            "Remove" => "-",
            "Modify" => "~",
            _ => "?",
        };
        let mut line = format!("{indent}{sign} {} ({})", ch.logical_id, ch.resource_type);
        if ch.action == "Modify" {
            match ch.replacement.as_deref() {
                Some("True") => line.push_str("  REPLACED"),
                Some("Conditional") => line.push_str("  may be replaced"),
                _ => {}
            }
            if ch.predicted && matches!(ch.replacement.as_deref(), Some("True" | "Conditional")) {
                line.push_str(" (predicted)");
            }
            if !ch.causes.is_empty() {
                line.push_str(&format!(" by {}", ch.causes.join(", ")));
            }
        }
        if ch.destructive() {
            line.push_str(if ch.action == "Remove" {
                "  !! DELETES DATA"
            } else {
                "  !! DATA IS LOST if replaced"
            });
        }
        out.push_str(&line);
        out.push('\n');
    }
    let destructive = changes.iter().filter(|c| c.destructive()).count();
    if destructive > 0 {
        out.push_str(&format!(
            "!! {destructive} change(s) delete or replace a resource that holds data (database, cache, bucket, file system, log group, registry)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_has_the_emitted_types() {
        for t in [
            "AWS::ECS::Service",
            "AWS::RDS::DBInstance",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::Logs::LogGroup",
        ] {
            assert!(create_only(t).is_some(), "{t}");
        }
    }

    #[test]
    fn prediction_by_property() {
        let old = json!({"DBInstanceIdentifier": "a", "AllocatedStorage": "20", "Engine": "postgres"});
        let storage = json!({"DBInstanceIdentifier": "a", "AllocatedStorage": "50", "Engine": "postgres"});
        let renamed = json!({"DBInstanceIdentifier": "b", "AllocatedStorage": "20", "Engine": "postgres"});
        assert_eq!(predict("AWS::RDS::DBInstance", &old, &storage), ("False", vec![]));
        assert_eq!(
            predict("AWS::RDS::DBInstance", &old, &renamed),
            ("True", vec!["DBInstanceIdentifier".to_string()])
        );
        // ECS LaunchType is conditionally create-only
        let a = json!({"Cluster": "c", "LaunchType": "EC2"});
        let b = json!({"Cluster": "c", "LaunchType": "FARGATE"});
        assert_eq!(
            predict("AWS::ECS::Service", &a, &b),
            ("Conditional", vec!["LaunchType".to_string()])
        );
        assert_eq!(predict("AWS::Unknown::Thing", &a, &b).0, "Conditional");
    }

    #[test]
    fn nested_template_diff_and_rendering() {
        let old = json!({"Resources": {
            "Instance": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceIdentifier": "a"}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "Same": {"Type": "AWS::SQS::Queue", "Properties": {}}}});
        let new = json!({"Resources": {
            "Instance": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceIdentifier": "b"}},
            "Same": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}});
        let path = vec!["ResourceDatabase".to_string()];
        let mut changes = template_changes(&path, &old, &new);
        let templates = BTreeMap::from([(path.clone(), (old, new))]);
        predict_all(&mut changes, &templates);
        let text = render("prod-app", &changes);
        assert_eq!(
            text,
            "Changes to prod-app:\n    ~ Instance (AWS::RDS::DBInstance)  REPLACED (predicted) by DBInstanceIdentifier  !! DATA IS LOST if replaced\n    + Topic (AWS::SNS::Topic)\n    - Logs (AWS::Logs::LogGroup)  !! DELETES DATA\n!! 2 change(s) delete or replace a resource that holds data (database, cache, bucket, file system, log group, registry)\n"
        );
    }
}
