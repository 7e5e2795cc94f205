//! Deleting a stack once the user has consented: what its deletion does to data is said first
//! (`diff::deletion`), then DeleteStack, followed to DELETE_COMPLETE (or its failure's cause).
//! Shared by `apps delete` and `resources delete`.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::describe_stack;
use crate::deploy::consent::{Flags, consent};
use crate::deploy::deployed;
use crate::deploy::events::{Follower, poll_interval};
use crate::deploy::say;
use convoxc_compiler::diff::deletion::{Fate, deletion};
use serde_json::json;

/// Say what deleting `stack` (and its nested stacks) keeps and destroys, ask (data destroyed,
/// a final snapshot or not, needs `--allow-destroy`, or `destroy` typed on a terminal), delete
/// it, follow it.
pub(crate) async fn delete(c: &Clients, stack: &str, what: &str, flags: &Flags) -> Result<()> {
    let Some(tree) = deployed::read(c, stack).await? else {
        return err(format!("there is no stack {stack}"));
    };
    let held = deletion(&tree);
    let mut lost = Vec::new();
    let mut lines = Vec::new();
    for h in &held {
        let (word, why) = match h.fate {
            Fate::Kept => ("kept", "DeletionPolicy Retain: it stays, outside any stack"),
            Fate::Snapshot => ("snapshot", "a final snapshot is kept, then it is deleted"),
            Fate::Lost => ("DELETED", "deleted with its data"),
        };
        let at = if h.stack.is_empty() {
            h.logical_id.clone()
        } else {
            format!("{} {}", h.stack, h.logical_id)
        };
        let line = format!("{word:8} {at} ({}, {}): {why}", h.kind, h.resource_type);
        // a final snapshot still ends the live database (as `diff` classes it: destroy)
        if h.fate != Fate::Kept {
            lost.push(format!("{at} ({}): {why}", h.resource_type));
        }
        lines.push(line);
    }
    let text = if lines.is_empty() {
        format!("deleting {what} ({stack}): it holds no data")
    } else {
        format!("deleting {what} ({stack}):\n  {}", lines.join("\n  "))
    };
    say::step(
        text,
        json!({"type": "plan", "stack": stack, "delete": held.iter().map(|h| json!({
            "stack": h.stack, "logical_id": h.logical_id, "resource_type": h.resource_type, "kind": h.kind,
            "fate": match h.fate { Fate::Kept => "kept", Fate::Snapshot => "snapshot", Fate::Lost => "deleted" },
        })).collect::<Vec<_>>()}),
    );
    if flags.no_execute {
        say::verdict(
            "--no-execute: stopping here; nothing was deleted",
            json!({"stack": stack, "result": "held"}),
        );
        return Ok(());
    }
    consent(flags, &format!("Delete {what}?"), &lost).await?;
    let id = describe_stack(c, stack)
        .await?
        .and_then(|s| s.stack_id().map(str::to_string))
        .unwrap_or_else(|| stack.to_string());
    let mut follower = Follower::starting(c, &id).await?;
    c.cfn
        .delete_stack()
        .stack_name(&id)
        .send()
        .await
        .map_err(|e| describe(&format!("deleting {stack}"), &e))?;
    say::step(
        format!("deleting {stack} (Ctrl-C stops following, not the deletion)"),
        json!({"type": "deleting", "stack": stack}),
    );
    let follow = async {
        loop {
            // by ID: a deleted stack is still described, DELETE_COMPLETE
            let status = describe_stack(c, &id)
                .await?
                .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
                .unwrap_or_else(|| "DELETE_COMPLETE".into());
            follower.poll(c, &status).await?;
            if !status.ends_with("_IN_PROGRESS") {
                break Ok::<String, crate::aws::clients::Error>(status);
            }
            tokio::time::sleep(poll_interval()).await;
        }
    };
    let status = tokio::select! {
        r = follow => r?,
        _ = tokio::signal::ctrl_c() => return err(format!(
            "interrupted: stopped following {stack}; CloudFormation carries on deleting it"
        )),
    };
    follower.finish();
    if status == "DELETE_COMPLETE" {
        say::verdict(
            format!("ok: {what} deleted ({stack} DELETE_COMPLETE)"),
            json!({"stack": stack, "result": "deleted", "status": status}),
        );
        return Ok(());
    }
    let cause = follower
        .events
        .iter()
        .rev()
        .find(|e| e.resource_status().is_some_and(|s| s.as_str() == "DELETE_FAILED"))
        .map(|e| {
            format!(
                "\n  cause: {} ({}): {}",
                e.logical_resource_id().unwrap_or(""),
                e.resource_type().unwrap_or(""),
                e.resource_status_reason().unwrap_or("")
            )
        })
        .unwrap_or_default();
    err(format!("{stack} was not deleted: {status}{cause}"))
}
