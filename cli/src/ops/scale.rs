//! `scale`: alone, each service's DESIRED / RUNNING / PENDING tasks and its CPU and MEMORY; with a
//! service and `--count N`, `--cpu`, `--memory`, convox's scale: the deployed app template with
//! only that service's formation changed (the `Count`, `Cpu`, `Memory` its nested stack is
//! passed), deployed through the same change set, report and consent as every deploy (no manifest
//! needed). A deploy keeps this scale where convox.yml says nothing of it and sets what
//! convox.yml says (`compile::scale_keeps`), so what convox.yml says of the service is said
//! before asking.

use crate::aws::clients::{Result, err};
use crate::aws::ecs::{self, Kind, Unit};
use crate::aws::lookup::{describe_stack, output};
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
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What `scale SERVICE` changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Change {
    pub count: Option<u32>,
    /// `--count MIN-MAX`: the bounds of the service's autoscaling.
    pub range: Option<(u32, u32)>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
}

/// `--count`: N, or MIN-MAX (the bounds of an autoscaled service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Fixed(u32),
    Range(u32, u32),
}

pub(crate) fn parse_count(s: &str) -> std::result::Result<Count, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s} is not a task count (a whole number, 0 or more) or a range MIN-MAX"))
    };
    match s.split_once('-') {
        None => number(s).map(Count::Fixed),
        Some((lo, hi)) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo > hi || hi == 0 {
                return Err(format!(
                    "{s}: a range goes from its minimum to a maximum of at least 1 (Application Auto Scaling's \
                     MinCapacity ≤ MaxCapacity)"
                ));
            }
            Ok(Count::Range(lo, hi))
        }
    }
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

/// The warning of a scale: what the next deploy of convox.yml does to it. What convox.yml says of
/// a service's scale wins on every deploy; what it does not say stays as scaled
/// (`compile::scale_keeps`).
pub(crate) fn next_deploy(service: &str, manifest: Option<&str>) -> String {
    match manifest.map(|m| pinned(m, service)) {
        Some(Some(scale)) => format!(
            "convox.yml sets the scale of {service} ({scale}): convox.yml wins on the next deploy, which sets \
             {service} back to convox.yml's there (what it does not say stays as scaled); change convox.yml to keep \
             this"
        ),
        Some(None) => format!(
            "convox.yml says no scale for {service}: deploys keep this scale until convox.yml's `scale:` says \
             otherwise"
        ),
        None => format!(
            "deploys keep this scale of {service} unless convox.yml's `scale:` says otherwise (where it says count, \
             cpu or memory, convox.yml wins)"
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

/// The deployed app with one service's formation changed.
pub(crate) struct Rescaled {
    /// The stacks as they will be (the report's new side).
    pub side: convoxc_compiler::diff::Stack,
    /// The nested templates that change (a group's, an autoscaled service's), to upload.
    pub nested: Vec<Template>,
    /// (what, from, to) for each value that changes.
    pub changes: Vec<(String, String, String)>,
}

/// The path of nested-stack logical IDs from the root to the service's stack.
fn path_to(side: &convoxc_compiler::diff::Stack, service: &str) -> Option<Vec<String>> {
    let label = format!("service {service}");
    // a built side has labels; a deployed one the templates' descriptions ("convox service web of app …")
    let description = format!("convox service {service} ");
    for (logical, child) in &side.nested {
        let described = child.template["Description"]
            .as_str()
            .is_some_and(|d| d.starts_with(&description));
        if child.label.as_deref() == Some(label.as_str()) || described {
            return Some(vec![logical.clone()]);
        }
        if let Some(mut rest) = path_to(child, service) {
            rest.insert(0, logical.clone());
            return Some(rest);
        }
    }
    None
}

/// The paths of the timers that run `service`'s image (their container's `SERVICE` variable).
fn timers_of(side: &convoxc_compiler::diff::Stack, service: &str, at: &mut Vec<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (logical, child) in &side.nested {
        at.push(logical.clone());
        let timer = child.template["Description"]
            .as_str()
            .is_some_and(|d| d.starts_with("convox timer "));
        let runs = |c: &Value| {
            c["Environment"]
                .as_array()
                .is_some_and(|e| e.iter().any(|v| v["Name"] == "SERVICE" && v["Value"] == service))
        };
        if timer
            && child.template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(runs))
        {
            out.push(at.clone());
        }
        out.extend(timers_of(child, service, at));
        at.pop();
    }
    out
}

fn node<'a>(side: &'a mut convoxc_compiler::diff::Stack, path: &[String]) -> &'a mut convoxc_compiler::diff::Stack {
    path.iter()
        .fold(side, |s, p| s.nested.get_mut(p).expect("a path found in this side"))
}

/// The bounds of a service's autoscaling in its own template set to `(min, max)`: the changes;
/// an error when the service has none (a range needs the targets only convox.yml gives).
pub(crate) fn rebound(
    template: &mut Value,
    service: &str,
    (min, max): (u32, u32),
) -> Result<Vec<(String, String, String)>> {
    let Some(props) = template
        .pointer_mut("/Resources/AutoscalingTarget/Properties")
        .and_then(Value::as_object_mut)
    else {
        return err(format!(
            "{service} does not autoscale: a range needs what to scale on, which only convox.yml says \
             (`scale: {{count: {min}-{max}, targets: {{cpu: 70}}}}`, then apply)"
        ));
    };
    let mut out = Vec::new();
    for (name, v) in [("MinCapacity", min), ("MaxCapacity", max)] {
        let old = props
            .get(name)
            .map(|o| o.as_str().map_or(o.to_string(), str::to_string))
            .unwrap_or_default();
        if old != v.to_string() {
            out.push((name.to_string(), old, v.to_string()));
            props.insert(name.to_string(), json!(v));
        }
    }
    Ok(out)
}

/// A nested template's `TemplateURL` in its parent pointed at `key`'s content address (the
/// 64-hex-digit SHA-256 in it replaced), whatever expression the URL is.
fn repoint(parent: &mut Value, logical: &str, key: &str) -> Result<()> {
    let sha = key
        .trim_start_matches(convoxc_compiler::back::KEY_PREFIX)
        .trim_end_matches(".json");
    let Some(url) = parent.pointer_mut(&format!("/Resources/{logical}/Properties/TemplateURL")) else {
        return err(format!("the deployed template has no TemplateURL for {logical}"));
    };
    let text = url.to_string();
    let Some(at) = text.char_indices().map(|(i, _)| i).find(|&i| {
        text.len() >= i + 64
            && text[i..i + 64]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }) else {
        return err(format!(
            "{logical}'s TemplateURL names no template by its SHA-256: {text}"
        ));
    };
    let new = format!("{}{sha}{}", &text[..at], &text[at + 64..]);
    *url =
        serde_json::from_str(&new).map_err(|e| crate::aws::clients::Error(format!("{logical}'s TemplateURL: {e}")))?;
    Ok(())
}

/// The deployed app with the service's formation changed (in its parent's template: the root's, or
/// a large app's group's; a range in the service's own template), and the changes; an error for
/// what cannot be scaled.
pub(crate) async fn rescaled(live: &Live, service: &str, change: &Change) -> Result<Rescaled> {
    live.service(service)?;
    let stack = live.stack_name();
    let Some(side) = deployed::read(&live.c, stack).await? else {
        return err(format!("app stack {stack} is gone"));
    };
    rescale_side(side, &live.app, service, change)
}

/// `rescaled` on the deployed side read.
pub(crate) fn rescale_side(
    mut side: convoxc_compiler::diff::Stack,
    app: &str,
    service: &str,
    change: &Change,
) -> Result<Rescaled> {
    let Some(path) = path_to(&side, service) else {
        return err(format!("the deployed app {app} has no stack of service {service}"));
    };
    let (logical, parents) = path.split_last().expect("a path has a service");
    let mut changes = Vec::new();
    let mut count = change.count;
    let mut edited = Vec::new();
    if let Some(range) = change.range {
        let svc = node(&mut side, &path);
        changes.extend(rebound(&mut svc.template, service, range)?);
        if !changes.is_empty() {
            edited.push(path.clone());
        }
        // the desired count its parent passes, within the new bounds (autoscaling moves it from there)
        let now = node(&mut side, parents)
            .template
            .pointer(&format!("/Resources/{logical}/Properties/Parameters/Count"))
            .and_then(|v| v.as_str().map_or(v.to_string(), str::to_string).parse::<u32>().ok());
        if let Some(n) = now.filter(|n| *n < range.0 || *n > range.1) {
            count = Some(n.clamp(range.0, range.1));
        }
    }
    let parent = node(&mut side, parents);
    let formation = rescale(
        &mut parent.template,
        logical,
        &Change {
            count,
            ..change.clone()
        },
    )?;
    if !formation.is_empty() && !parents.is_empty() {
        edited.push(parents.to_vec());
    }
    let svc = node(&mut side, &path);
    for (k, _, v) in &formation {
        svc.parameters.insert(k.clone(), Value::String(v.clone()));
    }
    changes.extend(formation);
    // the service's timers run with its cpu and memory (convox's formation is "the service and its timers")
    if change.cpu.is_some() || change.memory.is_some() {
        let only = Change {
            cpu: change.cpu,
            memory: change.memory,
            ..Change::default()
        };
        for timer in timers_of(&side, service, &mut Vec::new()) {
            let (id, up) = timer.split_last().expect("a nested path");
            let passed = rescale(&mut node(&mut side, up).template, id, &only)?;
            if !passed.is_empty() && !up.is_empty() {
                edited.push(up.to_vec());
            }
            let t = node(&mut side, &timer);
            let name = t.template["Description"]
                .as_str()
                .unwrap_or_default()
                .split(' ')
                .nth(2)
                .unwrap_or_default()
                .to_string();
            for (k, a, b) in passed {
                t.parameters.insert(k.clone(), Value::String(b.clone()));
                changes.push((format!("timer {name} {k}"), a, b));
            }
        }
    }
    // each edited template (deepest first) gets its content address; its parent points at it
    let mut nested = Vec::new();
    let mut pending: std::collections::BTreeSet<Vec<String>> = edited.into_iter().collect();
    while let Some(deepest) = pending.iter().max_by_key(|p| p.len()).cloned() {
        pending.remove(&deepest);
        let here = node(&mut side, &deepest);
        let t = Template::new((*here.template).clone());
        here.digest = None;
        let (id, up) = deepest.split_last().expect("a nested path");
        repoint(&mut node(&mut side, up).template, id, &t.key())?;
        if !up.is_empty() {
            pending.insert(up.to_vec());
        }
        nested.push(t);
    }
    side.digest = None;
    // Fargate takes only its documented cpu/memory pairs ("Task CPU and memory", Amazon ECS
    // Developer Guide); an instance takes any
    if change.cpu.is_some() || change.memory.is_some() {
        let svc = node(&mut side, &path);
        let param = |k: &str| svc.parameters.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let fargate = param("Fargate").is_some_and(|f| f != "No");
        let value = |k: &str| param(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        let (cpu, memory) = (value("Cpu"), value("Memory"));
        if fargate && !convoxc_compiler::front::check::scaling::fargate_pair_ok(cpu, memory) {
            return err(format!(
                "{service} runs on Fargate, which has no task of {cpu} CPU units and {memory} MiB: 256 takes 512, \
                 1024 or 2048; 512 takes 1024–4096 and 1024 takes 2048–8192 (in steps of 1024); 2048 takes \
                 4096–16384, 4096 takes 8192–30720"
            ));
        }
    }
    Ok(Rescaled { side, nested, changes })
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
    let Rescaled { side, nested, changes } = rescaled(live, service, change).await?;
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
    let root = Template::new((*side.template).clone());
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
        nested: nested.iter().collect(),
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
                ..Change::default()
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

    /// A large app as built (its services in group stacks, each autoscaled 1-3): moto's
    /// CloudFormation makes no ApplicationAutoScaling resources and a test deploy of hundreds of
    /// services is too slow, so the scale of such an app is checked on the side it would read.
    fn big_side(services: usize) -> convoxc_compiler::diff::Stack {
        use convoxc_compiler::{Input, SourceFile, back::BuildOptions, load};
        let mut text = String::from("services:\n");
        for i in 0..services {
            text.push_str(&format!(
                "  s{i}:\n    port: 3000\n    scale:\n      count: 1-3\n      targets:\n        cpu: 60\n"
            ));
        }
        let l = load(Input {
            manifest: Some(SourceFile::new("convox.yml", text)),
            ..Input::default()
        });
        let options = BuildOptions {
            app: "big".into(),
            ..BuildOptions::default()
        };
        let (bundle, _) = convoxc_compiler::compile(&l, &options).unwrap_or_else(|e| panic!("{:?}", e.first()));
        assert!(!bundle.groups.is_empty(), "the app is large enough for group stacks");
        convoxc_compiler::diff::side::from_bundle(&bundle)
    }

    #[test]
    fn a_range_or_a_grouped_service_changes_its_templates_and_the_urls_up_to_the_root() {
        let before = big_side(300);
        let last = "s299";
        let path = path_to(&before, last).unwrap();
        assert_eq!(path.len(), 2, "in a group: {path:?}");
        let r = rescale_side(
            before.clone(),
            "big",
            last,
            &Change {
                range: Some((2, 8)),
                ..Change::default()
            },
        )
        .unwrap();
        // the bounds, and the desired count moved into them (1 → 2)
        assert_eq!(
            r.changes,
            vec![
                ("MinCapacity".into(), "1".into(), "2".into()),
                ("MaxCapacity".into(), "3".into(), "8".into()),
                ("Count".into(), "1".into(), "2".into()),
            ]
        );
        let (group, svc) = (&path[0], &path[1]);
        let after = &r.side;
        let svc_t = &after.nested[group].nested[svc].template;
        assert_eq!(
            svc_t["Resources"]["AutoscalingTarget"]["Properties"]["MinCapacity"],
            json!(2)
        );
        assert_eq!(
            svc_t["Resources"]["AutoscalingTarget"]["Properties"]["MaxCapacity"],
            json!(8)
        );
        // two templates to upload: the service's and its group's, each pointed at by its parent
        assert_eq!(r.nested.len(), 2);
        let key_of = |v: &Value| Template::new(v.clone()).key();
        let (svc_key, group_key) = (key_of(svc_t), key_of(&after.nested[group].template));
        assert!(r.nested.iter().any(|t| t.key() == svc_key) && r.nested.iter().any(|t| t.key() == group_key));
        let url = |t: &Value, id: &str| t["Resources"][id]["Properties"]["TemplateURL"].to_string();
        let sha = |k: &str| {
            k.trim_start_matches(convoxc_compiler::back::KEY_PREFIX)
                .trim_end_matches(".json")
                .to_string()
        };
        assert!(url(&after.nested[group].template, svc).contains(&sha(&svc_key)));
        assert!(url(&after.template, group).contains(&sha(&group_key)));
        // the root changes only by the group's URL; the group only by the service's URL and Count
        let mut root = before.template.clone();
        root["Resources"][group]["Properties"]["TemplateURL"] =
            after.template["Resources"][group]["Properties"]["TemplateURL"].clone();
        assert_eq!(root, after.template);
        let mut g = before.nested[group].template.clone();
        g["Resources"][svc]["Properties"]["TemplateURL"] =
            after.nested[group].template["Resources"][svc]["Properties"]["TemplateURL"].clone();
        g["Resources"][svc]["Properties"]["Parameters"]["Count"] = json!("2");
        assert_eq!(g, after.nested[group].template);
        assert_eq!(after.nested[group].nested[svc].parameters["Count"], json!("2"));

        // a count alone in a group: the group's template and the root's URL of it
        let r = rescale_side(
            before.clone(),
            "big",
            last,
            &Change {
                count: Some(3),
                ..Change::default()
            },
        )
        .unwrap();
        assert_eq!(r.changes, vec![("Count".into(), "1".into(), "3".into())]);
        assert_eq!(r.nested.len(), 1);
        // the same scale: nothing
        let r = rescale_side(
            before.clone(),
            "big",
            last,
            &Change {
                range: Some((1, 3)),
                ..Change::default()
            },
        )
        .unwrap();
        assert!(r.changes.is_empty() && r.nested.is_empty());
    }

    #[test]
    fn a_range_needs_an_autoscaled_service() {
        let mut t = json!({"Resources": {"Service": {"Type": "AWS::ECS::Service"}}});
        let e = rebound(&mut t, "web", (2, 5)).unwrap_err();
        assert!(e.0.contains("web does not autoscale") && e.0.contains("targets"), "{e}");
        assert_eq!(parse_count("2-5"), Ok(Count::Range(2, 5)));
        assert_eq!(parse_count("0-1"), Ok(Count::Range(0, 1)));
        assert!(parse_count("5-2").unwrap_err().contains("MinCapacity ≤ MaxCapacity"));
        assert!(parse_count("0-0").is_err() && parse_count("2-x").is_err());
    }

    #[test]
    fn a_count_is_one_number_and_the_next_deploy_is_said() {
        assert_eq!(parse_count("3"), Ok(Count::Fixed(3)));
        assert!(parse_count("x").is_err());
        let manifest = "services:\n  web:\n    scale:\n      count: 2\n      memory: 1024\n  worker:\n    command: x\n";
        assert_eq!(pinned(manifest, "web").as_deref(), Some("count: 2, memory: 1024"));
        assert_eq!(pinned(manifest, "worker"), None);
        assert!(
            next_deploy("web", Some(manifest)).starts_with("convox.yml sets the scale of web (count: 2, memory: 1024)")
        );
        assert!(next_deploy("worker", Some(manifest)).contains("deploys keep this scale"));
        assert_eq!(
            pinned("services:\n  web:\n    scale: 3\n", "web").as_deref(),
            Some("count: 3")
        );
    }
}
