//! Settling a stack before a deploy: waiting, deleting a failed creation, stopping at a failed
//! rollback with the command that recovers it.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::describe_stack;
use crate::deploy::consent::{Flags, confirm};
use crate::deploy::events;
use crate::deploy::say;
use crate::deploy::stack::{self, Preflight};
use aws_sdk_cloudformation::types::Stack;
use serde_json::json;

/// Bring the stack to a state a change set can start from: wait out a running operation, delete a
/// stack whose creation failed (after confirmation), stop with the recovery command when a
/// rollback failed. Returns the stack when it exists (None: create it).
pub(crate) async fn settle(c: &Clients, name: &str, flags: &Flags) -> Result<Option<Stack>> {
    let mut said_waiting = false;
    loop {
        let s = describe_stack(c, name).await?;
        let status = s
            .as_ref()
            .and_then(|s| s.stack_status())
            .map(|x| x.as_str().to_string());
        match stack::preflight(status.as_deref()) {
            Preflight::Absent | Preflight::Review => return Ok(None),
            Preflight::Ready => return Ok(s),
            Preflight::InProgress(st) => {
                if !said_waiting {
                    say::step(
                        format!(
                            "{name} is {st}: waiting for it to settle (Ctrl-C stops waiting; the operation goes on)"
                        ),
                        json!({"type": "waiting", "stack": name, "status": st}),
                    );
                    said_waiting = true;
                }
                tokio::time::sleep(events::poll_interval()).await;
            }
            Preflight::RollbackComplete => {
                let id = s.as_ref().and_then(|s| s.stack_id()).unwrap_or(name).to_string();
                let cause = failure_summary(c, &id).await;
                say::note(format!(
                    "{name} failed to create and rolled back (ROLLBACK_COMPLETE){cause}\n\
                     it never existed successfully and can only be deleted; it must be deleted before it is created again"
                ));
                if flags.no_execute {
                    return err(format!(
                        "{name} is ROLLBACK_COMPLETE; run without --no-execute to delete and recreate it"
                    ));
                }
                confirm(flags, &format!("Delete {name} and create it again?"))?;
                c.cfn
                    .delete_stack()
                    .stack_name(&id)
                    .send()
                    .await
                    .map_err(|e| describe(&format!("deleting {name}"), &e))?;
                say::step(format!("deleting {name}…"), json!({"type": "deleting", "stack": name}));
                loop {
                    tokio::time::sleep(events::poll_interval()).await;
                    let st = describe_stack(c, &id)
                        .await?
                        .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()));
                    match st.as_deref() {
                        None | Some("DELETE_COMPLETE") => break,
                        Some("DELETE_FAILED") => return err(format!("deleting {name} failed")),
                        _ => {}
                    }
                }
            }
            Preflight::UpdateRollbackFailed => {
                let skip = rollback_skip_list(c, name).await?;
                return err(format!(
                    "{name} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback; it cannot be updated until the rollback completes.\n  \
                     Fix what blocked the rollback if you can, then run:\n    {}\n  \
                     (skipping resources leaves them as they are; check them afterwards), then run this command again",
                    stack::continue_rollback_command(name, &skip, Some(&c.region))
                ));
            }
            Preflight::Blocked(st) => {
                return err(format!(
                    "{name} is {st} and cannot be updated; see `aws cloudformation describe-stack-events --stack-name {name}`"
                ));
            }
        }
    }
}

async fn rollback_skip_list(c: &Clients, name: &str) -> Result<Vec<String>> {
    let root = c
        .cfn
        .describe_stack_resources()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| describe(&format!("reading the resources of {name}"), &e))?;
    let mut nested = Vec::new();
    for r in root.stack_resources() {
        if r.resource_type() == Some("AWS::CloudFormation::Stack")
            && r.resource_status().is_some_and(|s| s.as_str() == "UPDATE_FAILED")
            && let (Some(id), Some(phys)) = (r.logical_resource_id(), r.physical_resource_id())
            && let Ok(out) = c.cfn.describe_stack_resources().stack_name(phys).send().await
        {
            nested.push((id.to_string(), out.stack_resources().to_vec()));
        }
    }
    Ok(stack::resources_to_skip(root.stack_resources(), &nested))
}

/// ": <root cause>" of a failed stack, from its events (empty when there is none).
async fn failure_summary(c: &Clients, stack_id: &str) -> String {
    let Ok(out) = c.cfn.describe_stack_events().stack_name(stack_id).send().await else {
        return String::new();
    };
    match stack::root_cause(out.stack_events()) {
        Some(f) => format!(
            ":\n  {} {} ({}) {}: {}",
            f.stack, f.logical_id, f.resource_type, f.status, f.reason
        ),
        None => String::new(),
    }
}
