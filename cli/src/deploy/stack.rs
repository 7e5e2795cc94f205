//! Decisions about a stack, as pure functions over what CloudFormation returned: what state it is
//! in before a deploy, whether a deploy would change anything, how a deploy ended and why.
//! Unit-tested with recorded responses (moto cannot produce most failed states).

use aws_sdk_cloudformation::types::{Stack, StackEvent, StackResource};
use convoxc_compiler::diff::template_text;
use serde_json::Value;
use std::collections::BTreeMap;

/// What the stack's state means for a deploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preflight {
    /// No such stack: a CREATE change set.
    Absent,
    /// Created by a change set that was never executed (REVIEW_IN_PROGRESS): a CREATE change set.
    Review,
    /// Can be updated: an UPDATE change set.
    Ready,
    /// An operation is running: wait for it to settle, then decide again.
    InProgress(String),
    /// A create failed and rolled back: the stack never existed; it can only be deleted (and
    /// created again).
    RollbackComplete,
    /// A rollback failed: only continue-update-rollback (skipping what cannot roll back) helps.
    UpdateRollbackFailed,
    /// Any other state that cannot be updated (DELETE_FAILED, ROLLBACK_FAILED, CREATE_FAILED,
    /// …): say so and stop.
    Blocked(String),
}

pub fn preflight(status: Option<&str>) -> Preflight {
    let Some(s) = status else { return Preflight::Absent };
    match s {
        "DELETE_COMPLETE" => Preflight::Absent,
        "REVIEW_IN_PROGRESS" => Preflight::Review,
        "CREATE_COMPLETE"
        | "UPDATE_COMPLETE"
        | "UPDATE_ROLLBACK_COMPLETE"
        | "IMPORT_COMPLETE"
        | "IMPORT_ROLLBACK_COMPLETE" => Preflight::Ready,
        "ROLLBACK_COMPLETE" => Preflight::RollbackComplete,
        "UPDATE_ROLLBACK_FAILED" => Preflight::UpdateRollbackFailed,
        s if s.ends_with("_IN_PROGRESS") => Preflight::InProgress(s.to_string()),
        s => Preflight::Blocked(s.to_string()),
    }
}

/// The resources to skip for `continue-update-rollback`: those whose rollback failed, in the
/// root stack (`LogicalId`) and in nested stacks (`NestedStackLogicalId.LogicalId`, as the API
/// wants them). `nested` pairs a nested stack's logical ID in the root with its resources.
pub fn resources_to_skip(root: &[StackResource], nested: &[(String, Vec<StackResource>)]) -> Vec<String> {
    let failed = |r: &&StackResource| r.resource_status().is_some_and(|s| s.as_str() == "UPDATE_FAILED");
    let mut out: Vec<String> = Vec::new();
    for (parent, resources) in nested {
        out.extend(
            resources
                .iter()
                .filter(failed)
                .filter(|r| r.resource_type() != Some("AWS::CloudFormation::Stack"))
                .filter_map(|r| r.logical_resource_id().map(|id| format!("{parent}.{id}"))),
        );
    }
    out.extend(
        root.iter()
            .filter(failed)
            .filter(|r| r.resource_type() != Some("AWS::CloudFormation::Stack"))
            .filter_map(|r| r.logical_resource_id().map(str::to_string)),
    );
    out.sort();
    out
}

/// The exact command that gets an UPDATE_ROLLBACK_FAILED stack going again.
pub fn continue_rollback_command(stack: &str, skip: &[String], region: Option<&str>) -> String {
    let mut cmd = format!("aws cloudformation continue-update-rollback --stack-name {stack}");
    if let Some(r) = region {
        cmd.push_str(&format!(" --region {r}"));
    }
    if !skip.is_empty() {
        cmd.push_str(" --resources-to-skip ");
        cmd.push_str(&skip.join(" "));
    }
    cmd
}

/// A parameter as it will be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    Plain(String),
    /// A NoEcho value: never printed, never compared (CloudFormation shows `****`).
    Secret(String),
    /// Keep what is deployed.
    UsePrevious,
}

/// Why a deploy is not a no-op (empty when it is one). Compares the template (as JSON values: the
/// deployed body is what we uploaded, bytes may differ in whitespace only), every parameter the
/// new template declares (given value, else its default) and the tags.
pub fn differences(
    deployed: &Stack,
    deployed_template: &str,
    template: &Value,
    params: &BTreeMap<String, ParamValue>,
    tags: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    match template_text::read("the deployed template", deployed_template) {
        Ok(old) if &old == template => {}
        _ => out.push("template".to_string()),
    }
    let live: BTreeMap<&str, &str> = deployed
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?, p.parameter_value().unwrap_or(""))))
        .collect();
    let declared = template.get("Parameters").and_then(Value::as_object);
    for (name, decl) in declared.into_iter().flatten() {
        // the app stack's `Release` names the release a deploy records: new each time, it changes
        // only with something else (a no-op stays a no-op, and records nothing)
        if name == "Release" {
            continue;
        }
        let expected = match params.get(name) {
            Some(ParamValue::Plain(v)) => Some(v.clone()),
            Some(ParamValue::Secret(_) | ParamValue::UsePrevious) => None,
            None => decl.get("Default").map(|d| match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        };
        if let Some(expected) = expected
            && live.get(name.as_str()) != Some(&expected.as_str())
        {
            out.push(format!("parameter {name}"));
        }
    }
    let live_tags: BTreeMap<&str, &str> = deployed
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    let new_tags: BTreeMap<&str, &str> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if live_tags != new_tags {
        out.push("tags".to_string());
    }
    out
}

/// How an operation ended, from the stack's status: `Some(true)` succeeded, `Some(false)` failed,
/// `None` still running.
pub fn outcome(status: &str) -> Option<bool> {
    match status {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" => Some(true),
        s if s.ends_with("_IN_PROGRESS") => None,
        _ => Some(false),
    }
}

/// The root cause of a failed deploy: the earliest failed event that is neither a cancellation
/// (a resource stopped because another failed) nor a nested stack reporting that its own
/// resources failed. Events may come in any order; they are sorted by time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub stack: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
}

pub fn root_cause(events: &[StackEvent]) -> Option<Failure> {
    let mut failed: Vec<&StackEvent> = events
        .iter()
        .filter(|e| e.resource_status().is_some_and(|s| s.as_str().ends_with("_FAILED")))
        .collect();
    failed.sort_by_key(|e| e.timestamp().map(|t| (t.secs(), t.subsec_nanos())));
    let is_symptom = |e: &&StackEvent| {
        let reason = e.resource_status_reason().unwrap_or("");
        reason.contains("cancelled")
            || reason.starts_with("Embedded stack")
            || reason.starts_with("The following resource(s) failed")
    };
    let chosen = failed.iter().find(|e| !is_symptom(e)).or(failed.first())?;
    Some(Failure {
        stack: chosen.stack_name().unwrap_or("").to_string(),
        logical_id: chosen.logical_resource_id().unwrap_or("").to_string(),
        resource_type: chosen.resource_type().unwrap_or("").to_string(),
        status: chosen
            .resource_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: chosen
            .resource_status_reason()
            .unwrap_or("(no reason given)")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::primitives::DateTime;
    use aws_sdk_cloudformation::types::{Parameter, ResourceStatus, Tag};

    fn event(secs: i64, stack: &str, id: &str, ty: &str, status: &str, reason: &str) -> StackEvent {
        StackEvent::builder()
            .stack_id(format!("arn:aws:cloudformation:us-east-1:1:stack/{stack}/x"))
            .event_id(format!("{id}-{secs}"))
            .stack_name(stack)
            .logical_resource_id(id)
            .resource_type(ty)
            .timestamp(DateTime::from_secs(secs))
            .resource_status(ResourceStatus::from(status))
            .resource_status_reason(reason)
            .build()
    }

    #[test]
    fn preflight_states() {
        assert_eq!(preflight(None), Preflight::Absent);
        assert_eq!(preflight(Some("UPDATE_ROLLBACK_COMPLETE")), Preflight::Ready);
        assert_eq!(preflight(Some("ROLLBACK_COMPLETE")), Preflight::RollbackComplete);
        assert_eq!(
            preflight(Some("UPDATE_ROLLBACK_FAILED")),
            Preflight::UpdateRollbackFailed
        );
        assert_eq!(
            preflight(Some("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")),
            Preflight::InProgress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS".into())
        );
        assert_eq!(preflight(Some("REVIEW_IN_PROGRESS")), Preflight::Review);
        assert_eq!(
            preflight(Some("DELETE_FAILED")),
            Preflight::Blocked("DELETE_FAILED".into())
        );
    }

    /// Recorded (abridged) DescribeStackEvents of a failed update on AWS: the database's
    /// parameter group is rejected, everything else is cancelled, the nested stack reports it.
    #[test]
    fn root_cause_skips_cancellations_and_nested_summaries() {
        let events = vec![
            event(
                10,
                "prod-app",
                "prod-app",
                "AWS::CloudFormation::Stack",
                "UPDATE_IN_PROGRESS",
                "User Initiated",
            ),
            event(
                11,
                "prod-app",
                "ServiceWeb",
                "AWS::CloudFormation::Stack",
                "UPDATE_IN_PROGRESS",
                "",
            ),
            event(
                14,
                "prod-app-ServiceWeb-1",
                "Service",
                "AWS::ECS::Service",
                "UPDATE_FAILED",
                "Resource update cancelled",
            ),
            event(
                12,
                "prod-app-ResourceDatabase-1",
                "Instance",
                "AWS::RDS::DBInstance",
                "UPDATE_FAILED",
                "Cannot upgrade postgres from 15.4 to 13.2 (Service: Rds, Status Code: 400)",
            ),
            event(
                13,
                "prod-app",
                "ResourceDatabase",
                "AWS::CloudFormation::Stack",
                "UPDATE_FAILED",
                "Embedded stack arn:aws:cloudformation:…/prod-app-ResourceDatabase-1 was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource(s) failed to update: [Instance].",
            ),
            event(
                15,
                "prod-app",
                "prod-app",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                "The following resource(s) failed to update: [ResourceDatabase].",
            ),
        ];
        let f = root_cause(&events).expect("a failure");
        assert_eq!(f.logical_id, "Instance");
        assert_eq!(f.stack, "prod-app-ResourceDatabase-1");
        assert!(f.reason.starts_with("Cannot upgrade postgres"));
        // only cancellations: the first one is still reported
        let only = vec![event(
            1,
            "s",
            "A",
            "AWS::SQS::Queue",
            "CREATE_FAILED",
            "Resource creation cancelled",
        )];
        assert_eq!(root_cause(&only).unwrap().logical_id, "A");
        assert_eq!(root_cause(&[]), None);
    }

    /// Recorded DescribeStackResources of an UPDATE_ROLLBACK_FAILED app stack: the nested service
    /// stack's ECS service could not roll back.
    #[test]
    fn rollback_failed_recovery_command() {
        let res = |id: &str, ty: &str, status: &str| {
            StackResource::builder()
                .logical_resource_id(id)
                .resource_type(ty)
                .resource_status(ResourceStatus::from(status))
                .timestamp(DateTime::from_secs(0))
                .build()
        };
        let root = vec![
            res("ServiceWeb", "AWS::CloudFormation::Stack", "UPDATE_FAILED"),
            res("LogGroup", "AWS::Logs::LogGroup", "UPDATE_COMPLETE"),
            res("Registry", "AWS::ECR::Repository", "UPDATE_FAILED"),
        ];
        let nested = vec![(
            "ServiceWeb".to_string(),
            vec![
                res("Service", "AWS::ECS::Service", "UPDATE_FAILED"),
                res("Tasks", "AWS::ECS::TaskDefinition", "UPDATE_COMPLETE"),
            ],
        )];
        let skip = resources_to_skip(&root, &nested);
        assert_eq!(skip, ["Registry", "ServiceWeb.Service"]);
        assert_eq!(
            continue_rollback_command("prod-app", &skip, Some("eu-west-1")),
            "aws cloudformation continue-update-rollback --stack-name prod-app --region eu-west-1 --resources-to-skip Registry ServiceWeb.Service"
        );
    }

    #[test]
    fn no_op_compares_template_parameters_and_tags() {
        let template: Value = serde_json::json!({
            "Parameters": {"Build": {"Type": "String"}, "LogRetention": {"Type": "String", "Default": "7"},
                           "ResourcePassword": {"Type": "String", "NoEcho": true}},
            "Resources": {}
        });
        let deployed = Stack::builder()
            .parameters(
                Parameter::builder()
                    .parameter_key("Build")
                    .parameter_value("B1")
                    .build(),
            )
            .parameters(
                Parameter::builder()
                    .parameter_key("LogRetention")
                    .parameter_value("7")
                    .build(),
            )
            .parameters(
                Parameter::builder()
                    .parameter_key("ResourcePassword")
                    .parameter_value("****")
                    .build(),
            )
            .tags(Tag::builder().key("Rack").value("r").build())
            .build();
        let text = serde_json::to_string_pretty(&template).unwrap();
        let mut params = BTreeMap::new();
        params.insert("Build".to_string(), ParamValue::UsePrevious);
        params.insert(
            "ResourcePassword".to_string(),
            ParamValue::Secret("s3cret-value".into()),
        );
        let tags: BTreeMap<String, String> = [("Rack".to_string(), "r".to_string())].into();
        assert!(differences(&deployed, &text, &template, &params, &tags).is_empty());
        params.insert("Build".to_string(), ParamValue::Plain("B2".into()));
        assert_eq!(
            differences(&deployed, &text, &template, &params, &tags),
            ["parameter Build"]
        );
        let mut other = template.clone();
        other["Parameters"]["LogRetention"]["Default"] = "30".into();
        let tags2: BTreeMap<String, String> = [("Rack".to_string(), "q".to_string())].into();
        assert_eq!(
            differences(&deployed, &text, &other, &params, &tags2),
            ["template", "parameter Build", "parameter LogRetention", "tags"]
        );
    }
}
