//! `convoxc apps cancel`: stop an app's update in progress (CloudFormation's CancelUpdateStack)
//! after consent, and follow the rollback to its verdict — as convox's `apps cancel`.

use crate::aws::apps;
use crate::aws::clients::{Clients, Error, Result, describe, err};
use crate::deploy::consent::{Flags, consent};
use crate::deploy::events::{Follower, Names};
use crate::deploy::follow;
use crate::deploy::say;
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

pub(crate) async fn cancel(c: &Clients, rack: &str, app: &str, flags: &Flags) -> Result<()> {
    let all = apps::list(c, rack).await?;
    let Some(a) = all.iter().find(|a| a.name == app) else {
        return err(apps::missing(rack, app, &all));
    };
    let stack = a.stack.stack_name().unwrap_or(app).to_string();
    let id = a.stack.stack_id().unwrap_or(&stack).to_string();
    if let Some(refusal) = refusal(&stack, &a.status) {
        return err(refusal);
    }
    let since = a
        .stack
        .last_updated_time()
        .and_then(|t| t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime).ok())
        .map(|t| format!(" (since {t})"))
        .unwrap_or_default();
    say::step(
        format!(
            "{stack} is UPDATE_IN_PROGRESS{since}: cancelling stops the update, and CloudFormation rolls every \
             change it made back to what was deployed before"
        ),
        json!({"type": "plan", "stack": stack, "status": a.status, "action": "cancel-update"}),
    );
    if flags.no_execute {
        say::verdict(
            "--no-execute: stopping here; nothing was cancelled",
            json!({"stack": stack, "result": "held"}),
        );
        return Ok(());
    }
    consent(flags, &format!("Cancel the update of {stack} and roll it back?"), &[]).await?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Error(format!("cannot watch for Ctrl-C: {e}")))?;
    let names = names(c, &id).await;
    let mut follower = Follower::starting(c, &id).await?.named(names);
    c.cfn
        .cancel_update_stack()
        .stack_name(&id)
        .send()
        .await
        .map_err(|e| describe(&format!("cancelling the update of {stack}"), &e))?;
    say::step(
        format!("cancelled; following the rollback of {stack} (Ctrl-C stops following, not the rollback)"),
        json!({"type": "executing", "stack": stack, "action": "cancel-update"}),
    );
    let ended = follow::follow(c, &id, &mut follower, &mut interrupt, None, "").await?;
    match ended.status.as_str() {
        "UPDATE_ROLLBACK_COMPLETE" => {
            say::verdict(
                format!(
                    "cancelled: {stack} rolled back to what was deployed before (UPDATE_ROLLBACK_COMPLETE in {:.1} s)",
                    ended.seconds
                ),
                json!({"stack": stack, "result": "cancelled", "status": ended.status, "seconds": ended.seconds}),
            );
            Ok(())
        }
        // the update ended before CloudFormation took the cancel
        "UPDATE_COMPLETE" => {
            say::verdict(
                format!("not cancelled: the update of {stack} completed first (UPDATE_COMPLETE)"),
                json!({"stack": stack, "result": "completed", "status": ended.status, "seconds": ended.seconds}),
            );
            Ok(())
        }
        _ => Err(follow::failed(&stack, &ended)),
    }
}

/// Why an app in `status` cannot be cancelled (CloudFormation cancels only an update in
/// progress), or None.
pub(crate) fn refusal(stack: &str, status: &str) -> Option<String> {
    match status {
        "UPDATE_IN_PROGRESS" => None,
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" => Some(format!(
            "nothing to cancel: the update of {stack} is done and CloudFormation is removing what it replaced \
             (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)"
        )),
        s if s.contains("ROLLBACK") && s.ends_with("_IN_PROGRESS") => {
            Some(format!("{stack} is already rolling back ({s}); nothing to cancel"))
        }
        s if s.ends_with("_IN_PROGRESS") => Some(format!(
            "{stack} is {s}: only an update in progress can be cancelled (CloudFormation's CancelUpdateStack)"
        )),
        s => Some(format!("nothing to cancel: {stack} is {s}, no update is in progress")),
    }
}

/// The app's nested stacks by logical ID, labelled from the description convoxc and convox give
/// them ("convox service web …" → "service web"); the root is "app".
async fn names(c: &Clients, id: &str) -> Names {
    let mut nested = Vec::new();
    let mut pages = c.cfn.list_stack_resources().stack_name(id).into_paginator().send();
    while let Some(Ok(page)) = pages.next().await {
        for r in page.stack_resource_summaries() {
            if r.resource_type() != Some("AWS::CloudFormation::Stack") {
                continue;
            }
            let (Some(logical), Some(physical)) = (r.logical_resource_id(), r.physical_resource_id()) else {
                continue;
            };
            let Ok(Some(s)) = crate::aws::lookup::describe_stack(c, physical).await else {
                continue;
            };
            let words: Vec<&str> = s.description().unwrap_or("").split(' ').collect();
            if let ["convox", kind, name, ..] = words.as_slice() {
                nested.push((logical.to_string(), format!("{kind} {name}")));
            }
        }
    }
    Names {
        root: "app".into(),
        nested,
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn only_an_update_in_progress_is_cancelled() {
        assert_eq!(refusal("r-a", "UPDATE_IN_PROGRESS"), None);
        assert!(
            refusal("r-a", "UPDATE_COMPLETE")
                .unwrap()
                .starts_with("nothing to cancel: r-a is UPDATE_COMPLETE")
        );
        assert!(
            refusal("r-a", "UPDATE_ROLLBACK_IN_PROGRESS")
                .unwrap()
                .contains("already rolling back")
        );
        assert!(
            refusal("r-a", "CREATE_IN_PROGRESS")
                .unwrap()
                .contains("only an update in progress")
        );
        assert!(
            refusal("r-a", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
                .unwrap()
                .contains("is done")
        );
    }
}
