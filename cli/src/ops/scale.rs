//! `scale`: alone, each service's DESIRED / RUNNING / PENDING tasks and its CPU and MEMORY; with a
//! service and `--count N`, `--cpu`, `--memory`, convox's scale: the deployed app template with
//! only that service's formation changed (the `Count`, `Cpu`, `Memory` its nested stack is
//! passed), deployed through the same change set, report and consent as every deploy (no manifest
//! needed). The next deploy compiles count, cpu and memory from convox.yml again, so what
//! convox.yml says of the service is said before asking.

use crate::aws::clients::{Result, err};
use crate::aws::ecs::{self, Kind, Unit};
use crate::aws::lookup::{deployed_template, describe_stack, output};
use crate::aws::rack_stack::rack_stack;
use crate::aws::secrets::Pending;
use crate::deploy::consent::Flags;
use crate::deploy::deployed;
use crate::deploy::flow::{self, Deployment};
use crate::deploy::say;
use crate::deploy::stack::ParamValue;
use crate::ops::Live;
use crate::ops::ps::print_table;
use convoxc_compiler::back::Template;
use convoxc_compiler::diff::template_text;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What `scale SERVICE` changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Change {
    pub count: Option<u32>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
}

/// `--count`: N, or MIN-MAX (refused with what to do instead: a range is the service's
/// autoscaling, compiled into its own template from convox.yml).
pub(crate) fn parse_count(s: &str) -> std::result::Result<u32, String> {
    if let Some((lo, hi)) = s.split_once('-') {
        return Err(format!(
            "{lo}-{hi} is a range: autoscaling bounds are compiled into the service's own template from convox.yml; \
             set `scale: {{count: {s}}}` there and apply (scale --count takes one number)"
        ));
    }
    s.parse()
        .map_err(|_| format!("{s} is not a task count (a whole number, 0 or more)"))
}

/// The service's nested stack in the template (`logical`) with `change` applied to the parameters
/// it is passed: (parameter, old, new) for each that changes.
pub(crate) fn rescale(template: &mut Value, logical: &str, change: &Change) -> Result<Vec<(String, String, String)>> {
    let Some(params) = template
        .pointer_mut(&format!("/Resources/{logical}/Properties/Parameters"))
        .and_then(Value::as_object_mut)
    else {
        return err(format!(
            "the deployed app template has no nested stack {logical} with parameters"
        ));
    };
    let mut out = Vec::new();
    for (name, value) in [("Count", change.count), ("Cpu", change.cpu), ("Memory", change.memory)] {
        let Some(v) = value else { continue };
        let Some(old) = params.get(name) else {
            return err(format!(
                "{logical} is not passed {name} (an agent service runs one task per instance and has no count)"
            ));
        };
        let old_text = match old {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return err(format!(
                    "{logical}'s {name} is an expression ({other}), not a number: scale it in convox.yml"
                ));
            }
        };
        if old_text != v.to_string() {
            out.push((name.to_string(), old_text, v.to_string()));
            params.insert(name.to_string(), Value::String(v.to_string()));
        }
    }
    Ok(out)
}

/// What convox.yml (`manifest`'s text) says of the service's scale, for the warning: its
/// `scale:` as written, or None when it says nothing (the default count 1 then).
pub(crate) fn pinned(manifest: &str, service: &str) -> Option<String> {
    let doc: Value = serde_saphyr::from_str(manifest).ok()?;
    let scale = doc.pointer(&format!("/services/{service}/scale"))?;
    Some(match scale {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "count" | "cpu" | "memory"))
            .map(|(k, v)| format!("{k}: {}", v.as_str().map(str::to_string).unwrap_or(v.to_string())))
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => format!("count: {s}"),
        other => format!("count: {other}"),
    })
}

/// The warning of a scale: what the next deploy of convox.yml does to it.
pub(crate) fn next_deploy(service: &str, manifest: Option<&str>) -> String {
    match manifest.map(|m| pinned(m, service)) {
        Some(Some(scale)) => format!(
            "convox.yml sets the scale of {service} ({scale}): this scale holds until the next deploy, which sets \
             {service} back to convox.yml's; change convox.yml to keep it"
        ),
        Some(None) => format!(
            "convox.yml says no scale for {service}: the next deploy sets it back to 1 task of 256 CPU units and \
             512 MiB; add `scale:` to convox.yml to keep this"
        ),
        None => format!(
            "the next deploy sets {service} to what convox.yml says of its scale (1 task when it says nothing): \
             put this scale there to keep it"
        ),
    }
}

/// A stack's parameter value, as deployed.
fn parameter(stack: Option<&aws_sdk_cloudformation::types::Stack>, key: &str) -> Option<String> {
    stack?
        .parameters()
        .iter()
        .find(|x| x.parameter_key() == Some(key))
        .and_then(|x| x.parameter_value())
        .map(str::to_string)
}

/// `scale` alone: each service's counts and reservations.
pub(crate) async fn list(live: &Live, format: crate::args::ListFormat) -> Result<()> {
    let services: Vec<&Unit> = live.units.iter().filter(|u| u.kind == Kind::Service).collect();
    let arns: Vec<String> = services.iter().filter_map(|u| u.service.clone()).collect();
    let described = ecs::describe_services(&live.c, &live.cluster, &arns).await?;
    let mut rows = Vec::new();
    for u in services {
        let s = described.iter().find(|s| s.service_arn() == u.service.as_deref());
        let params = describe_stack(&live.c, &u.stack).await?;
        let param = |k: &str| parameter(params.as_ref(), k).unwrap_or_else(|| "-".into());
        let count =
            |f: fn(&aws_sdk_ecs::types::Service) -> i32| s.map(|s| f(s).to_string()).unwrap_or_else(|| "-".into());
        rows.push([
            u.name.clone(),
            count(|s| s.desired_count()),
            count(|s| s.running_count()),
            count(|s| s.pending_count()),
            param("Cpu"),
            param("Memory"),
        ]);
    }
    if format == crate::args::ListFormat::Json {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| json!({"service": r[0], "desired": r[1], "running": r[2], "pending": r[3], "cpu": r[4], "memory": r[5]}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
    } else {
        print_table(&["SERVICE", "DESIRED", "RUNNING", "PENDING", "CPU", "MEMORY"], &rows);
    }
    Ok(())
}

/// The deployed app template with the service's formation changed, and the changes; an error
/// for what cannot be scaled here.
pub(crate) async fn rescaled(
    live: &Live,
    service: &str,
    change: &Change,
) -> Result<(Value, Vec<(String, String, String)>)> {
    let u = live.service(service)?;
    let root = live.stack.stack_id().or(live.stack.stack_name()).unwrap_or_default();
    if u.parent != root && u.parent != live.stack_name() {
        return err(format!(
            "service {service} is in a group stack ({}: the app is over CloudFormation's per-template limits): \
             scale it with `scale:` in convox.yml and apply",
            u.parent
        ));
    }
    let body = deployed_template(&live.c, live.stack_name()).await?;
    let mut template = match template_text::read(&format!("the deployed template of {}", live.stack_name()), &body) {
        Ok(v) => v,
        Err(e) => return err(e),
    };
    let changes = rescale(&mut template, &u.logical, change)?;
    // Fargate takes only its documented cpu/memory pairs ("Task CPU and memory", Amazon ECS
    // Developer Guide); an instance takes any
    if change.cpu.is_some() || change.memory.is_some() {
        let nested = describe_stack(&live.c, &u.stack).await?;
        let param = |k: &str| parameter(nested.as_ref(), k);
        let fargate = param("Fargate").is_some_and(|f| f != "No");
        let value = |k: &str, new: Option<u32>| new.or_else(|| param(k)?.parse().ok()).unwrap_or(0);
        let (cpu, memory) = (value("Cpu", change.cpu), value("Memory", change.memory));
        if fargate && !convoxc_compiler::front::check::scaling::fargate_pair_ok(cpu, memory) {
            return err(format!(
                "{service} runs on Fargate, which has no task of {cpu} CPU units and {memory} MiB: 256 takes 512, \
                 1024 or 2048; 512 takes 1024–4096 and 1024 takes 2048–8192 (in steps of 1024); 2048 takes \
                 4096–16384, 4096 takes 8192–30720"
            ));
        }
    }
    Ok((template, changes))
}

/// `scale SERVICE …`: the change set of the deployed app with the service's formation changed,
/// its report, consent and follow as every deploy's. `manifest`: convox.yml's text, when there is
/// one, for what the next deploy does.
pub(crate) async fn apply(
    live: &Live,
    service: &str,
    change: &Change,
    flags: &Flags,
    manifest: Option<&str>,
) -> Result<()> {
    let c = &live.c;
    let stack = live.stack_name().to_string();
    let (template, changes) = rescaled(live, service, change).await?;
    if changes.is_empty() {
        say::verdict(
            format!("no changes: {service} already runs at that scale"),
            json!({"stack": stack, "result": "unchanged"}),
        );
        return Ok(());
    }
    let said: Vec<String> = changes.iter().map(|(k, a, b)| format!("{k} {a} → {b}")).collect();
    say::step(
        format!("scale {service} of app {}: {}", live.app, said.join(", ")),
        json!({"type": "scale", "service": service, "changes": changes.iter()
            .map(|(k, a, b)| json!({"parameter": k, "from": a, "to": b})).collect::<Vec<_>>()}),
    );
    let warning = next_deploy(service, manifest);
    say::step(
        format!("warning: {warning}"),
        json!({"type": "warning", "text": warning}),
    );
    let logical = live.service(service)?.logical.clone();
    let root = Template::new(template);
    // the report's new side: the stacks as deployed, with the root's template and the service
    // stack's parameters as they will be
    let Some(mut side) = deployed::read(c, &stack).await? else {
        return err(format!("app stack {stack} is gone"));
    };
    side.template = root.value().clone().into();
    if let Some(n) = side.nested.get_mut(&logical) {
        for (k, _, v) in &changes {
            n.parameters.insert(k.clone(), Value::String(v.clone()));
        }
    }
    let rack = rack_stack(c, &live.rack).await?;
    let Some(bucket) = output(&rack, "SettingsBucket").map(str::to_string) else {
        return err(format!("rack {} has no SettingsBucket output", live.rack));
    };
    // every parameter as it is: the stack keeps its values (NoEcho ones too)
    let params: BTreeMap<String, ParamValue> = live
        .stack
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?.to_string(), ParamValue::UsePrevious)))
        .collect();
    let tags: BTreeMap<String, String> = live
        .stack
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect();
    let d = Deployment {
        stack: &stack,
        root: &root,
        nested: Vec::new(),
        bucket: Some(bucket),
        params,
        tags,
        flags,
        pending: Pending::default(),
        environment: Vec::new(),
        consented: false,
        app: Some(live.app.clone()),
        part: false,
        side: Some(side),
        // a scale is a change to the deployed stack, not a release (no manifest, no build)
        release: None,
    };
    flow::deploy(c, d, Some(live.stack.clone()), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Value {
        json!({"Resources": {
            "ServiceWeb": {"Type": "AWS::CloudFormation::Stack", "Properties": {"Parameters": {
                "Count": "1", "Cpu": "256", "Memory": "512", "Build": {"Ref": "Build"}}}},
            "ServiceWorker": {"Type": "AWS::CloudFormation::Stack", "Properties": {"Parameters": {
                "Count": "2", "Cpu": "256", "Memory": "512"}}},
        }})
    }

    #[test]
    fn a_scale_changes_only_the_services_formation() {
        let mut t = template();
        let before = t.clone();
        let changes = rescale(
            &mut t,
            "ServiceWeb",
            &Change {
                count: Some(3),
                ..Change::default()
            },
        )
        .unwrap();
        assert_eq!(changes, vec![("Count".to_string(), "1".to_string(), "3".to_string())]);
        let mut expected = before.clone();
        expected["Resources"]["ServiceWeb"]["Properties"]["Parameters"]["Count"] = json!("3");
        assert_eq!(t, expected);
        // what it already is changes nothing
        let mut same = before.clone();
        let none = rescale(
            &mut same,
            "ServiceWorker",
            &Change {
                count: Some(2),
                cpu: Some(256),
                memory: None,
            },
        )
        .unwrap();
        assert!(none.is_empty());
        assert_eq!(same, before);
        // an agent is passed no Count
        let mut agent = json!({"Resources": {"ServiceA": {"Properties": {"Parameters": {"Cpu": "256"}}}}});
        let e = rescale(
            &mut agent,
            "ServiceA",
            &Change {
                count: Some(2),
                ..Change::default()
            },
        )
        .unwrap_err();
        assert!(e.0.contains("agent"), "{e}");
    }

    #[test]
    fn a_count_is_one_number_and_the_next_deploy_is_said() {
        assert_eq!(parse_count("3"), Ok(3));
        assert!(parse_count("2-5").unwrap_err().contains("scale: {count: 2-5}"));
        assert!(parse_count("x").is_err());
        let manifest = "services:\n  web:\n    scale:\n      count: 2\n      memory: 1024\n  worker:\n    command: x\n";
        assert_eq!(pinned(manifest, "web").as_deref(), Some("count: 2, memory: 1024"));
        assert_eq!(pinned(manifest, "worker"), None);
        assert!(
            next_deploy("web", Some(manifest)).starts_with("convox.yml sets the scale of web (count: 2, memory: 1024)")
        );
        assert!(next_deploy("worker", Some(manifest)).contains("sets it back to 1 task"));
        assert_eq!(
            pinned("services:\n  web:\n    scale: 3\n", "web").as_deref(),
            Some("count: 3")
        );
    }
}
