//! The deploy shared by `apply` and `rack apply`: upload the templates, skip a deploy that
//! changes nothing, create a change set and print it, ask, execute, and follow the stack to a
//! verdict.

use super::aws::{Clients, Result, describe, err};
use super::consent::{Flags, confirm};
use super::lookup::{deployed_template, describe_stack};
use super::stack::{self, ParamValue, Preflight};
use super::{changeset, events, upload};
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, Stack, Tag};
use convoxc_compiler::back::{Bundle, KEY_PREFIX, Template};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::IsTerminal;

pub(crate) struct Deployment<'a> {
    pub(crate) stack: &'a str,
    pub(crate) root: &'a Template,
    pub(crate) nested: Vec<&'a Template>,
    /// Where templates are uploaded; None: the root template goes inline.
    pub(crate) bucket: Option<String>,
    pub(crate) params: BTreeMap<String, ParamValue>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) flags: &'a Flags,
}

pub(crate) async fn deploy(
    c: &Clients,
    d: Deployment<'_>,
    existing: Option<Stack>,
    bundle: Option<&Bundle>,
) -> Result<()> {
    let stack_name = d.stack;
    let template_url = match &d.bucket {
        Some(bucket) => {
            let mut all = d.nested.clone();
            all.push(d.root);
            let (uploaded, skipped) = upload::upload(c, bucket, &all).await?;
            println!(
                "templates: {} uploaded, {skipped} already in s3://{bucket}",
                uploaded.len()
            );
            for k in &uploaded {
                println!("  uploaded {k}");
            }
            Some(upload::url(bucket, &c.region, &d.root.key()))
        }
        None => None,
    };

    // no-op: same template, parameters and tags as deployed → no change set at all
    let mut old_root: Option<Value> = None;
    if let Some(s) = &existing {
        let body = deployed_template(c, stack_name).await?;
        let diff = stack::differences(s, &body, d.root.value(), &d.params, &d.tags);
        if diff.is_empty() {
            println!("no changes: {stack_name} is up to date");
            return Ok(());
        }
        println!("{stack_name} differs in: {}", diff.join(", "));
        old_root = serde_json::from_str(&body).ok();
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
    let set = changeset::create(
        c,
        changeset::Request {
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
        },
    )
    .await?;
    if set.empty {
        println!(
            "no changes: CloudFormation found nothing to change in {stack_name} (the empty change set was deleted)"
        );
        return Ok(());
    }

    // what CloudFormation did not say about nested stacks and replacement, predicted from templates
    let mut changes = set.changes;
    if let (Some(old), Some(bundle)) = (&old_root, bundle) {
        changes = with_nested_predictions(c, stack_name, old, d.root.value(), bundle, changes).await;
    } else if let Some(old) = &old_root {
        let templates = BTreeMap::from([(Vec::new(), (old.clone(), d.root.value().clone()))]);
        changeset::predict_all(&mut changes, &templates);
    }
    print!("{}", changeset::render(stack_name, &changes));

    if d.flags.no_execute {
        println!(
            "--no-execute: stopping here; the change set is left for review: {}",
            set.id
        );
        return Ok(());
    }
    if let Err(e) = confirm(d.flags, &format!("Execute these changes to {stack_name}?")) {
        changeset::delete(c, &set.id).await;
        return Err(e);
    }

    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 - 1)
        .unwrap_or(0);
    let tty = std::io::stdout().is_terminal();
    let mut follower = events::Follower::new(stack_name, since, tty);
    follower.skip_existing(c).await?;
    c.cfn
        .execute_change_set()
        .change_set_name(&set.id)
        .send()
        .await
        .map_err(|e| describe(&format!("executing the change set of {stack_name}"), &e))?;
    println!("executing the change set; following {stack_name} (Ctrl-C stops following, not the deploy)");
    let started = std::time::Instant::now();
    let status = loop {
        let s = describe_stack(c, stack_name).await?;
        let status = s
            .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
            .unwrap_or_default();
        follower.poll(c, &status).await?;
        if stack::outcome(&status).is_some() {
            break status;
        }
        tokio::time::sleep(events::poll_interval()).await;
    };
    follower.finish();
    let secs = started.elapsed().as_secs_f32();
    if stack::outcome(&status) == Some(true) {
        println!("ok: {stack_name} {status} in {secs:.1} s");
        if let Some(s) = describe_stack(c, stack_name).await? {
            for o in s.outputs() {
                println!(
                    "  {} = {}",
                    o.output_key().unwrap_or(""),
                    o.output_value().unwrap_or("")
                );
            }
        }
        return Ok(());
    }
    let cause = match stack::root_cause(&follower.events) {
        Some(f) => format!(
            "\n  cause: {} {} ({}) {}: {}",
            f.stack, f.logical_id, f.resource_type, f.status, f.reason
        ),
        None => String::new(),
    };
    let next = match stack::preflight(Some(&status)) {
        Preflight::RollbackComplete => {
            "\n  the stack never existed successfully; the next apply deletes it (after asking) and creates it again"
        }
        Preflight::Ready => "\n  the stack is back as it was; fix the cause and apply again",
        _ => "",
    };
    err(format!("{stack_name} failed: {status} after {secs:.1} s{cause}{next}"))
}

/// Describe changes inside nested stacks that CloudFormation reported only as "modify the nested
/// stack" (from their deployed and new templates), and predict replacement where it said nothing.
async fn with_nested_predictions(
    c: &Clients,
    stack: &str,
    old_root: &Value,
    new_root: &Value,
    bundle: &Bundle,
    changes: Vec<changeset::Change>,
) -> Vec<changeset::Change> {
    let mut templates = BTreeMap::from([(Vec::new(), (old_root.clone(), new_root.clone()))]);
    let by_key: BTreeMap<String, &Template> = bundle.nested().map(|(_, t)| (t.key(), t)).collect();
    let physical: BTreeMap<String, String> = match c.cfn.describe_stack_resources().stack_name(stack).send().await {
        Ok(out) => out
            .stack_resources()
            .iter()
            .filter_map(|r| {
                Some((
                    r.logical_resource_id()?.to_string(),
                    r.physical_resource_id()?.to_string(),
                ))
            })
            .collect(),
        Err(_) => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for ch in &changes {
        out.push(ch.clone());
        let described = changes.iter().any(|x| x.path.first() == Some(&ch.logical_id));
        if !ch.path.is_empty() || ch.resource_type != "AWS::CloudFormation::Stack" || ch.action != "Modify" || described
        {
            continue;
        }
        let url = new_root
            .pointer(&format!("/Resources/{}/Properties/TemplateURL", ch.logical_id))
            .map(Value::to_string)
            .unwrap_or_default();
        let Some(new) = url
            .find(KEY_PREFIX)
            .and_then(|i| url[i..].split('"').next())
            .and_then(|key| by_key.get(key))
        else {
            continue;
        };
        let Some(phys) = physical.get(&ch.logical_id) else {
            continue;
        };
        let Ok(t) = c.cfn.get_template().stack_name(phys).send().await else {
            continue;
        };
        let Some(old) = t.template_body().and_then(|b| serde_json::from_str::<Value>(b).ok()) else {
            continue;
        };
        let path = vec![ch.logical_id.clone()];
        out.extend(changeset::template_changes(&path, &old, new.value()));
        templates.insert(path, (old, new.value().clone()));
    }
    changeset::predict_all(&mut out, &templates);
    out
}
