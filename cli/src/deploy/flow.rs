//! The deploy shared by `apply` and `rack apply`: upload the templates, skip a deploy that
//! changes nothing, create a change set and print it, ask, execute, and follow the stack to a
//! verdict.

use crate::args::color_enabled;
use crate::aws::changeset;
use crate::aws::clients::{Clients, Error, Result, describe, err};
use crate::aws::lookup::{deployed_template, describe_stack};
use crate::aws::secrets::Pending;
use crate::aws::upload;
use crate::deploy::consent::{Flags, consent};
use crate::deploy::events;
use crate::deploy::follow;
use crate::deploy::preview;
use crate::deploy::release::{Draft, Outcome, finish};
use crate::deploy::say;
use crate::deploy::stack::{self, ParamValue};
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, Stack, Tag};
use convoxc_compiler::back::{Bundle, Template};
use convoxc_compiler::diff::{EnvChange, Report, render};
use serde_json::json;
use std::collections::BTreeMap;
use tokio::signal::unix::{SignalKind, signal};

pub(crate) struct Deployment<'a> {
    pub(crate) stack: &'a str,
    pub(crate) root: &'a Template,
    pub(crate) nested: Vec<&'a Template>,
    /// Where templates are uploaded; None: the root template goes inline.
    pub(crate) bucket: Option<String>,
    pub(crate) params: BTreeMap<String, ParamValue>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) flags: &'a Flags,
    /// What is stored in SSM after consent, right before the change set runs.
    pub(crate) pending: Pending,
    /// The environment values stored anew or removed (names), for the report.
    pub(crate) environment: Vec<EnvChange>,
    /// The user consented already, to a plan shown before (a first `deploy`: the app stack is made
    /// for the registry, the images pushed, then the whole app): the report is not printed again,
    /// and only a change that destroys data is asked about.
    pub(crate) consented: bool,
    /// The app, for an app's stack (the deploy wait says how to cancel it).
    pub(crate) app: Option<String>,
    /// One part of a bigger deploy (a first `deploy`'s app stack before its images): its success
    /// is a step (`stack-ready`), not the verdict, which the whole deploy says once.
    pub(crate) part: bool,
    /// The new side of the report when it is not the bundle's (`scale`: the deployed stacks with
    /// one service's formation changed).
    pub(crate) side: Option<convoxc_compiler::diff::Stack>,
    /// The release this deploy records once it has an outcome (`deploy/release.rs`); None: none.
    pub(crate) release: Option<Draft>,
}

pub(crate) async fn deploy(
    c: &Clients,
    d: Deployment<'_>,
    existing: Option<Stack>,
    bundle: Option<&Bundle>,
) -> Result<()> {
    let stack_name = d.stack;
    // Ctrl-C is watched from here on: before the change set runs, it deletes what was made
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Error(format!("cannot watch for Ctrl-C: {e}")))?;
    let template_url = match &d.bucket {
        Some(bucket) => {
            let mut all = d.nested.clone();
            all.push(d.root);
            let (uploaded, skipped) = upload::upload(c, bucket, &all).await?;
            let mut text = format!(
                "templates: {} uploaded, {skipped} already in s3://{bucket}",
                uploaded.len()
            );
            for k in &uploaded {
                text.push_str(&format!("\n  uploaded {k}"));
            }
            say::step(
                text,
                json!({"type": "upload", "bucket": bucket, "uploaded": uploaded, "skipped": skipped}),
            );
            Some(upload::url(bucket, &c.region, &d.root.key()))
        }
        None => None,
    };

    // no-op: same template, parameters and tags as deployed → no change set at all
    if let Some(s) = &existing {
        let body = deployed_template(c, stack_name).await?;
        let diff = stack::differences(s, &body, d.root.value(), &d.params, &d.tags);
        if diff.is_empty() {
            return store_only(c, &d).await;
        }
        say::step(
            format!("{stack_name} differs in: {}", diff.join(", ")),
            json!({"type": "differs", "stack": stack_name, "in": diff}),
        );
    }

    let parameters: Vec<Parameter> = d
        .params
        .iter()
        .map(|(k, v)| {
            let p = Parameter::builder().parameter_key(k);
            match v {
                ParamValue::Plain(s) | ParamValue::Secret(s) => p.parameter_value(s),
                ParamValue::UsePrevious => p.use_previous_value(true),
            }
            .build()
        })
        .collect();
    let tags: Vec<Tag> = d
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let kind = if existing.is_some() {
        ChangeSetType::Update
    } else {
        ChangeSetType::Create
    };
    let name = changeset::new_name();
    let request = changeset::Request {
        stack: stack_name,
        kind,
        template_body: if template_url.is_none() {
            Some(&d.root.text)
        } else {
            None
        },
        template_url,
        parameters,
        tags,
        description: "convoxc apply",
    };
    const INTERRUPTED: &str = "interrupted before executing: the change set was deleted; nothing was changed";
    let id = changeset::start_watched(c, request, &name, &mut interrupt, INTERRUPTED).await?;
    // from here until it runs, anything that stops the deploy deletes the change set
    let ready = async {
        let set = changeset::wait_and_read(c, &id, stack_name).await?;
        if set.empty {
            return Ok(None);
        }
        // what the deploy does: the same report as `convoxc diff`, with the change set's verdicts
        let deploy = preview::Deploy {
            stack: stack_name,
            existing: existing.is_some(),
            root: d.root,
            bundle,
            params: &d.params,
            tags: &d.tags,
            side: d.side.as_ref(),
        };
        let mut report = preview::report(c, deploy, &set.changes).await?;
        report.environment = d.environment.clone();
        let destroys = destroyed(&report);
        if d.consented {
            if !destroys.is_empty() {
                plan(stack_name, Some(&id), &report);
                consent(d.flags, &format!("Execute these changes to {stack_name}?"), &destroys).await?;
            }
        } else {
            plan(stack_name, Some(&id), &report);
            if d.flags.no_execute {
                return Ok(Some(false));
            }
            consent(d.flags, &format!("Execute these changes to {stack_name}?"), &destroys).await?;
        }
        d.pending.commit(c).await?;
        Ok(Some(true))
    };
    let ready = tokio::select! {
        r = ready => r,
        _ = interrupt.recv() => err(INTERRUPTED),
    };
    match ready {
        Err(e) => {
            changeset::delete(c, &id).await;
            return Err(e);
        }
        Ok(None) => {
            say::note(format!(
                "CloudFormation found nothing to change in {stack_name} (the empty change set was deleted)"
            ));
            return store_only(c, &d).await;
        }
        Ok(Some(false)) => {
            let unstored = d.pending.env.keys().cloned().collect();
            finish(c, d.release.as_ref(), Outcome::Held(&id, unstored)).await;
            say::verdict(
                format!("--no-execute: stopping here; nothing was stored, and the change set is left for review: {id}"),
                json!({"stack": stack_name, "result": "held", "change_set": id}),
            );
            return Ok(());
        }
        Ok(Some(true)) => {}
    }
    let set_id = id;

    let names = events::Names {
        root: if bundle.is_some() {
            "app".into()
        } else {
            stack_name.to_string()
        },
        nested: bundle
            .map(|b| labels(&convoxc_compiler::diff::side::from_bundle(b)))
            .unwrap_or_default(),
    };
    let mut follower = events::Follower::starting(c, stack_name).await?.named(names.clone());
    c.cfn
        .execute_change_set()
        .change_set_name(&set_id)
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_cloudformation::error::ProvideErrorMetadata;
            obsolete(stack_name, e.code(), e.message())
                .unwrap_or_else(|| describe(&format!("executing the change set of {stack_name}"), &e))
        })?;
    say::step(
        format!("executing the change set; following {stack_name} (Ctrl-C stops following, not the deploy)"),
        json!({"type": "executing", "stack": stack_name, "change_set": set_id}),
    );
    let wait = follow::deploy_wait(d.flags.wait)?;
    let cancel = match &d.app {
        Some(app) => format!("convoxc apps cancel --app {app}"),
        None => format!("aws cloudformation cancel-update-stack --stack-name {stack_name}"),
    };
    let ended = follow::follow(c, stack_name, &mut follower, &mut interrupt, wait, &cancel).await?;
    let (status, seconds) = (ended.status.clone(), ended.seconds);
    finish(c, d.release.as_ref(), Outcome::Ran(&set_id, &status)).await;
    if stack::outcome(&status) == Some(true) {
        let mut text = format!("ok: {stack_name} {status} in {seconds:.1} s");
        let mut outputs = serde_json::Map::new();
        if let Some(s) = describe_stack(c, stack_name).await? {
            for o in s.outputs() {
                let (k, v) = (o.output_key().unwrap_or(""), o.output_value().unwrap_or(""));
                text.push_str(&format!("\n  {k} = {v}"));
                outputs.insert(k.to_string(), json!(v));
            }
        }
        let event =
            json!({"stack": stack_name, "result": "ok", "status": status, "seconds": seconds, "outputs": outputs});
        if d.part {
            let mut event = event;
            event["type"] = json!("stack-ready");
            // one part done, not the deploy
            say::step(text.replacen("ok: ", "ready: ", 1), event);
        } else {
            say::verdict(text, event);
        }
        return Ok(());
    }
    Err(follow::failed(stack_name, &ended))
}

/// Every nested stack's logical ID and label ("service web"), at any depth.
fn labels(side: &convoxc_compiler::diff::Stack) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (logical, child) in &side.nested {
        if let Some(l) = &child.label {
            out.push((logical.clone(), l.clone()));
        }
        out.extend(labels(child));
    }
    out
}

/// The report of what a deploy does, before it asks: the text `diff` prints, or a `plan` line
/// with the report `diff --format json` gives.
pub(crate) fn plan(stack: &str, change_set: Option<&str>, report: &Report) {
    if say::json() {
        say::step(
            "",
            json!({"type": "plan", "stack": stack, "change_set": change_set, "report": render::json_value(report)}),
        );
    } else {
        print!("{}", render::text(report, color_enabled()));
    }
}

/// The error for a change set that another deploy overtook (CloudFormation refuses to execute a
/// change set once the stack has changed: its status is OBSOLETE), or None for any other error.
fn obsolete(stack: &str, code: Option<&str>, message: Option<&str>) -> Option<Error> {
    let message = message.unwrap_or("");
    (code == Some("InvalidChangeSetStatus") || message.contains("OBSOLETE")).then(|| {
        Error(format!(
            "another deploy changed {stack} after this change set was made, so CloudFormation will not run it: \
             nothing was executed; run the command again to see the change from where the stack is now"
        ))
    })
}

/// Only environment values change (the stack is as deployed): show them, ask, store them.
async fn store_only(c: &Clients, d: &Deployment<'_>) -> Result<()> {
    let stack_name = d.stack;
    if d.environment.is_empty() && d.pending.is_empty() {
        // staged values that are already what is stored: nothing to carry out, only to forget
        d.pending.forget_staged(c).await?;
        say::verdict(
            format!("no changes: {stack_name} is up to date"),
            json!({"stack": stack_name, "result": "unchanged"}),
        );
        return Ok(());
    }
    let report = Report {
        summary: Default::default(),
        stacks: Vec::new(),
        environment: d.environment.clone(),
    };
    plan(stack_name, None, &report);
    if d.flags.no_execute {
        say::verdict(
            "--no-execute: stopping here; nothing was stored",
            json!({"stack": stack_name, "result": "held", "change_set": null}),
        );
        return Ok(());
    }
    if !d.consented {
        consent(d.flags, &format!("Store these values for {stack_name}?"), &[]).await?;
    }
    d.pending.commit(c).await?;
    finish(c, d.release.as_ref(), Outcome::Stored).await;
    say::verdict(
        format!("ok: {stack_name} is unchanged: no service reads these values yet"),
        json!({"stack": stack_name, "result": "stored"}),
    );
    Ok(())
}

/// What a report destroys, one line each: "<stack> <resource> (<type>): <why>".
fn destroyed(report: &Report) -> Vec<String> {
    report
        .stacks
        .iter()
        .flat_map(|s| {
            s.resources.iter().filter(|r| r.destroys_data).map(move |r| {
                format!(
                    "{} {} ({}): {}",
                    s.label,
                    r.logical_id,
                    r.resource_type,
                    r.reasons.join("; ")
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::obsolete;
    use crate::deploy::events::stack_label;

    /// Nested stack names as CloudFormation makes them (recorded from a deploy whose service did not
    /// stabilise: the failing resource is the ECS service inside the service's stack).
    #[test]
    fn a_failure_names_the_service_that_failed() {
        let labels = vec![
            ("ServiceWeb".to_string(), "service web".to_string()),
            ("ServiceWebhook".to_string(), "service webhook".to_string()),
            ("GroupA".to_string(), "group A".to_string()),
            ("ServiceApi".to_string(), "service api".to_string()),
        ];
        assert_eq!(
            stack_label("r-myapp", "r-myapp-ServiceWeb-1X2Y3Z4W5V6U", &labels).as_deref(),
            Some("service web")
        );
        assert_eq!(
            stack_label("r-myapp", "r-myapp-ServiceWebhook-1X2Y3Z4W5V6U", &labels).as_deref(),
            Some("service webhook")
        );
        // a service in a group stack of a very large app
        assert_eq!(
            stack_label("r-myapp", "r-myapp-GroupA-ABC123-ServiceApi-DEF456", &labels).as_deref(),
            Some("service api")
        );
        assert_eq!(stack_label("r-myapp", "r-myapp", &labels), None);
        assert_eq!(stack_label("r-myapp", "other-ServiceWeb-X", &labels), None);
    }

    /// ExecuteChangeSet's answer when a concurrent deploy got there first (recorded from
    /// CloudFormation; moto does not refuse it).
    #[test]
    fn an_overtaken_change_set_is_said_plainly() {
        let e = obsolete(
            "r-myapp",
            Some("InvalidChangeSetStatus"),
            Some("ChangeSet [arn:aws:cloudformation:us-east-1:123456789012:changeSet/convoxc-1/x] cannot be executed in its current status of [OBSOLETE]"),
        )
        .unwrap();
        assert!(
            e.0.starts_with("another deploy changed r-myapp after this change set was made"),
            "{e}"
        );
        assert!(
            obsolete(
                "r-myapp",
                Some("ValidationError"),
                Some("Stack is in UPDATE_IN_PROGRESS")
            )
            .is_none()
        );
    }
}
