//! Change sets: create one (nested stacks included), wait for it, read it (and the change sets of
//! nested stacks), delete it. What it says (`Replacement`) is handed to the diff engine, which
//! predicts what it does not say (moto never says; a nested stack's inner changes are not always
//! described) and prints the report (`preview.rs`).

use crate::aws::clients::{Clients, Result, describe, err};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, ResourceChange, Tag};
use convoxc_compiler::diff::{Action, Replacement, Said};
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
    /// Who asks: "convoxc apply", "convoxc diff".
    pub description: &'a str,
}

/// A change set once CloudFormation has computed it.
pub struct ChangeSet {
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
    /// True / Conditional / False, as CloudFormation says.
    pub replacement: Option<String>,
    /// Properties that cause the replacement.
    pub causes: Vec<String>,
}

const EMPTY_REASONS: &[&str] = &["didn't contain changes", "No updates are to be performed"];

/// A change set name of its own (`convoxc-<milliseconds>`).
pub fn new_name() -> String {
    format!(
        "convoxc-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    )
}

/// `start`, unless Ctrl-C comes first (then the error is `interrupted`); on any failure the change
/// set is deleted by its name, since the request may have gone through.
pub async fn start_watched(
    c: &Clients,
    r: Request<'_>,
    name: &str,
    interrupt: &mut tokio::signal::unix::Signal,
    interrupted: &str,
) -> Result<String> {
    let stack = r.stack.to_string();
    let started = tokio::select! {
        r = start(c, r, name) => r,
        _ = interrupt.recv() => err(interrupted),
    };
    if started.is_err() {
        let _ = delete_named(c, &stack, name).await;
    }
    started
}

/// Ask CloudFormation for a change set named `name`; its ID.
pub async fn start(c: &Clients, r: Request<'_>, name: &str) -> Result<String> {
    let out = c
        .cfn
        .create_change_set()
        .stack_name(r.stack)
        .change_set_name(name)
        .change_set_type(r.kind)
        .set_template_url(r.template_url)
        .set_template_body(r.template_body.map(str::to_string))
        .set_parameters(Some(r.parameters))
        .set_tags(Some(r.tags))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .include_nested_stacks(true)
        .description(r.description)
        .send()
        .await
        .map_err(|e| describe(&format!("creating a change set for {}", r.stack), &e))?;
    Ok(out.id().unwrap_or(name).to_string())
}

/// Wait for CloudFormation to compute the change set, then read it (an empty one is deleted).
pub async fn wait_and_read(c: &Clients, id: &str, stack: &str) -> Result<ChangeSet> {
    let id = id.to_string();
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
                        empty: true,
                        changes: Vec::new(),
                    });
                }
                delete(c, &id).await;
                return err(format!("CloudFormation rejected the change set for {stack}: {reason}"));
            }
            _ if std::time::Instant::now() > deadline => {
                return err(format!("the change set {id} was still {status} after 30 minutes"));
            }
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
    let changes = read(c, &id, Vec::new()).await?;
    Ok(ChangeSet { empty: false, changes })
}

pub async fn delete(c: &Clients, id: &str) {
    // a leftover change set is harmless; the next apply makes a new one
    let _ = c.cfn.delete_change_set().change_set_name(id).send().await;
}

/// Delete a change set by its name (when its ID never came back).
pub async fn delete_named(c: &Clients, stack: &str, name: &str) -> Result<()> {
    c.cfn
        .delete_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&format!("deleting the change set {name} of {stack}"), &e))
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
        causes,
    }
}

/// What the change set said, for the diff engine: its own verdicts only.
pub fn said(changes: &[Change]) -> Vec<Said> {
    changes
        .iter()
        .filter_map(|c| {
            let action = match c.action.as_str() {
                "Add" => Action::Add,
                "Remove" => Action::Remove,
                "Modify" | "Dynamic" => Action::Modify,
                _ => return None,
            };
            let replacement = match c.replacement.as_deref() {
                Some("True") => Some(Replacement::Yes),
                Some("Conditional") => Some(Replacement::Maybe),
                Some("False") => Some(Replacement::No),
                _ => None,
            };
            Some(Said {
                path: c.path.clone(),
                logical_id: c.logical_id.clone(),
                resource_type: c.resource_type.clone(),
                action,
                replacement,
                causes: c.causes.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resource change as AWS returns it for a nested stack's target group whose Port changed
    /// (moto gives no Replacement or Details, so this one is built like AWS's response).
    #[test]
    fn a_recorded_resource_change_becomes_a_verdict() {
        use aws_sdk_cloudformation::types::{
            ChangeAction, EvaluationType, Replacement as R, RequiresRecreation, ResourceAttribute,
            ResourceChangeDetail, ResourceTargetDefinition,
        };
        let rc = ResourceChange::builder()
            .action(ChangeAction::Modify)
            .logical_resource_id("BalancerTargetGroup")
            .resource_type("AWS::ElasticLoadBalancingV2::TargetGroup")
            .replacement(R::True)
            .details(
                ResourceChangeDetail::builder()
                    .evaluation(EvaluationType::Static)
                    .target(
                        ResourceTargetDefinition::builder()
                            .attribute(ResourceAttribute::Properties)
                            .name("Port")
                            .requires_recreation(RequiresRecreation::Always)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let change = from_resource_change(&rc, &["ServiceWeb".to_string()]);
        assert_eq!(change.causes, ["Port"]);
        let s = said(&[change]);
        assert_eq!(s[0].causes, ["Port"]);
        assert_eq!(s[0].path, ["ServiceWeb"]);
        assert_eq!(
            (s[0].action, s[0].replacement),
            (Action::Modify, Some(Replacement::Yes))
        );
    }

    #[test]
    fn changes_become_verdicts_imports_aside() {
        let change = |action: &str, replacement: Option<&str>| Change {
            path: vec!["ServiceWeb".into()],
            action: action.into(),
            logical_id: "Tasks".into(),
            resource_type: "AWS::ECS::TaskDefinition".into(),
            replacement: replacement.map(str::to_string),
            causes: Vec::new(),
        };
        let s = said(&[
            change("Modify", Some("True")),
            change("Remove", None),
            change("Import", None),
        ]);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].action, s[0].replacement),
            (Action::Modify, Some(Replacement::Yes))
        );
        assert_eq!((s[1].action, s[1].replacement), (Action::Remove, None));
        assert_eq!(s[0].path, ["ServiceWeb"]);
    }
}
