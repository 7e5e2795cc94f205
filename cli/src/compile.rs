//! Compiling for more than one command: an app's bundle (`build`, `apply`) and the rack's
//! template (`rack build`, `rack apply`), with their diagnostics printed.

use crate::args::Format;
use crate::input::read;
use crate::output;
use convoxc_compiler::back::{self, BuildOptions, Bundle, Template};
use convoxc_compiler::diff::{self, Stack, side};
use convoxc_compiler::ir::RackParams;

use convoxc_compiler::{Input, Loaded, SourceFile, SourceId, compile, load, parse_env_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

/// Compile a loaded manifest (unless it has errors) and print every diagnostic: the bundle, or
/// None when there is an error. Used by `build` and `apply`.
pub(crate) fn compile_and_report(loaded: &Loaded, options: &BuildOptions, format: Format) -> Option<Bundle> {
    let mut diagnostics = loaded.diagnostics.clone();
    let bundle = if loaded.has_errors() {
        None
    } else {
        match compile(loaded, options) {
            Ok((bundle, more)) => {
                diagnostics.extend(more);
                Some(bundle)
            }
            Err(more) => {
                diagnostics.extend(more);
                None
            }
        }
    };
    if !diagnostics.is_empty() {
        output::print(&loaded.sources, &diagnostics, format);
    }
    bundle
}

/// Compile as `compile_and_report` does, against what is deployed: where the bundle would replace
/// an existing resource only because convoxc writes a create-only value otherwise on purpose, the
/// deployed value is kept (each said as a warning) and the bundle is compiled again with it.
pub(crate) fn compile_keeping(
    loaded: &Loaded,
    options: &BuildOptions,
    format: Format,
    deployed: Option<&Stack>,
) -> Option<Bundle> {
    compile_keeping_side(loaded, options, format, deployed).map(|(bundle, _)| bundle)
}

/// `compile_keeping`, with the bundle's side when it was made to compare (and is the bundle's).
pub(crate) fn compile_keeping_side(
    loaded: &Loaded,
    options: &BuildOptions,
    format: Format,
    deployed: Option<&Stack>,
) -> Option<(Bundle, Option<Stack>)> {
    let bundle = compile_and_report(loaded, options, format)?;
    let Some(deployed) = deployed else {
        return Some((bundle, None));
    };
    let new = side::from_bundle(&bundle);
    let report = diff::compare(Some(deployed), Some(&new));
    // what AWS refuses of a resource created or of a change from its deployed value
    if let (Some(app), Some(at)) = (&loaded.app, &loaded.locations) {
        let refused = diff::refusals::check(&report, app, at);
        if !refused.is_empty() {
            output::print(&loaded.sources, &refused, format);
            return None;
        }
    }
    let mut keep = diff::keeps(&report);
    let scale = scale_keeps(loaded, deployed, &new);
    if keep.is_empty() && scale.is_empty() {
        return Some((bundle, Some(new)));
    }
    // one warning per resource, naming every value it keeps
    let mut kept: BTreeMap<(&[String], &str), Vec<&str>> = BTreeMap::new();
    for k in &keep {
        kept.entry((&k.stack, &k.resource))
            .or_default()
            .push(k.pointer.trim_start_matches("/Properties/"));
    }
    for ((stack, resource), values) in kept {
        let advice = resource_type(&new, stack, resource)
            .and_then(diff::facts::deliberately)
            .map_or("", |d| d.advice);
        eprintln!(
            "warning: {} {resource}: keeps the deployed {} (convoxc writes {} otherwise on purpose, and CloudFormation \
             would replace the resource for it): {advice}",
            label(&new, stack),
            values.join(", "),
            if values.len() == 1 { "it" } else { "them" },
        );
    }
    for k in &scale {
        eprintln!(
            "warning: {} keeps its deployed {} {} (a scale convox.yml does not say: `convoxc scale` or \
             `convox scale` set it; `scale:` in convox.yml sets it)",
            label(&new, &[k.stack.as_slice(), std::slice::from_ref(&k.resource)].concat()),
            k.pointer.rsplit('/').next().unwrap_or_default().to_lowercase(),
            k.value
                .as_ref()
                .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                .unwrap_or_default(),
        );
    }
    keep.extend(scale);
    let options = BuildOptions {
        keep,
        ..options.clone()
    };
    match compile(loaded, &options) {
        Ok((bundle, _)) => Some((bundle, None)),
        Err(diagnostics) => {
            output::print(&loaded.sources, &diagnostics, format);
            None
        }
    }
}

/// The live scale a deploy keeps: a service's count, and its cpu and memory together, that
/// convox.yml does not say stay as deployed (`convoxc scale` set them), where convoxc would write its
/// default, and a timer's cpu and memory with its service's; what convox.yml says wins. (convox took convox.yml's formation only on a service's
/// first deploy, silently ignoring it after; here what the manifest says is what runs.) Each is a
/// `Keep` of the value the parent stack passes the service's nested stack (on a convox-made app, the
/// element of its `<Svc>Formation` the deployed stack has).
fn scale_keeps(loaded: &Loaded, deployed: &Stack, new: &Stack) -> Vec<back::Keep> {
    let mut out = Vec::new();
    if let Some(at) = &loaded.locations {
        scale_keeps_in(&at.spans, deployed, new, &mut Vec::new(), &mut out);
    }
    out
}

fn scale_keeps_in<S: std::hash::BuildHasher>(
    said: &std::collections::HashMap<String, convoxc_compiler::Span, S>,
    old: &Stack,
    new: &Stack,
    path: &mut Vec<String>,
    out: &mut Vec<back::Keep>,
) {
    for (logical, child) in &new.nested {
        let Some(old_child) = old.nested.get(logical) else {
            continue;
        };
        let label = child.label.as_deref().unwrap_or_default();
        let (name, timer) = if let Some(name) = label.strip_prefix("service ") {
            (name.to_string(), false)
        } else if label.starts_with("timer ") {
            // a timer runs with its service's cpu and memory (its container's SERVICE)
            let service = child.template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["Environment"].as_array().into_iter().flatten())
                .find(|e| e["Name"] == "SERVICE")
                .and_then(|e| e["Value"].as_str());
            let Some(service) = service else { continue };
            (service.to_string(), true)
        } else {
            // a large app's group of services
            path.push(logical.clone());
            scale_keeps_in(said, old_child, child, path, out);
            path.pop();
            continue;
        };
        let says = |k: &str| said.contains_key(&format!("services.{name}.scale.{k}"));
        let scalar = said.contains_key(&format!("services.{name}.scale"))
            && !["count", "cpu", "memory", "targets", "cooldown"]
                .iter()
                .any(|k| says(k));
        let mut kept: Vec<&str> = Vec::new();
        if !timer && !says("count") && !scalar {
            kept.push("Count");
        }
        if !says("cpu") && !says("memory") {
            kept.extend(["Cpu", "Memory"]);
        }
        let passed = |s: &Stack, p: &str| {
            let v = s
                .template
                .pointer(&format!("/Resources/{logical}/Properties/Parameters/{p}"))?;
            if v.is_string() || v.is_number() {
                return Some(v.clone());
            }
            // a convox-made app: `{"Fn::Select": [i, {"Ref": "<Svc>Formation"}]}` of its
            // "count,cpu,memory" parameter, as deployed (what `convox scale` set)
            let [i, r] = v.get("Fn::Select")?.as_array()?.as_slice() else {
                return None;
            };
            let i = usize::try_from(i.as_u64()?).ok()?;
            let item = match s.parameters.get(r.get("Ref")?.as_str()?)? {
                serde_json::Value::Array(a) => a.get(i)?.as_str()?.to_string(),
                // "3,256,1024" as CloudFormation answers; moto answers a list as Python prints it
                // ("['3', '256', '1024']")
                serde_json::Value::String(list) => list
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .nth(i)?
                    .trim()
                    .trim_matches(|c| c == '\'' || c == '"')
                    .to_string(),
                _ => return None,
            };
            (!item.is_empty()).then_some(serde_json::Value::String(item))
        };
        for p in kept {
            match (passed(old, p), passed(new, p)) {
                (Some(o), Some(n)) if o.to_string().trim_matches('"') != n.to_string().trim_matches('"') => {
                    out.push(back::Keep {
                        stack: path.clone(),
                        resource: logical.clone(),
                        pointer: format!("/Properties/Parameters/{p}"),
                        value: Some(o),
                    })
                }
                _ => {}
            }
        }
    }
}

/// The type of resource `id` in the stack at `path` of a side.
fn resource_type<'a>(side: &'a Stack, path: &[String], id: &str) -> Option<&'a str> {
    let mut s = side;
    for p in path {
        s = s.nested.get(p)?;
    }
    s.template.pointer(&format!("/Resources/{id}/Type"))?.as_str()
}

/// What the user calls the stack at `path` of a side.
fn label(side: &Stack, path: &[String]) -> String {
    let mut s = side;
    for id in path {
        match s.nested.get(id) {
            Some(n) => s = n,
            None => return id.clone(),
        }
    }
    s.label.clone().unwrap_or_else(|| "app".into())
}

/// The names (never the values) of the variables given for a deploy: `-e` and `--env-file`.
pub(crate) fn env_names(input: &Input) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = input.env.iter().map(|(k, _)| k.clone()).collect();
    if let Some(f) = &input.env_file {
        let (pairs, _) = parse_env_file(f, SourceId(0));
        names.extend(pairs.into_iter().map(|(k, _)| k));
    }
    names
}

/// The rack stack's template from rack params (convox's defaults without a file); diagnostics
/// are printed. Used by `rack build` and `rack apply`.
pub(crate) fn rack_template(name: &str, rack_params: Option<&Path>, diagnostics: Format) -> Result<Template, ExitCode> {
    let params = rack_params_checked(rack_params, diagnostics)?;
    back::rack::build(name, &params).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(1)
    })
}

/// The rack params of a rack params file (every param at its default without one), checked for
/// building the rack stack; the diagnostics are printed.
pub(crate) fn rack_params_checked(rack_params: Option<&Path>, diagnostics: Format) -> Result<RackParams, ExitCode> {
    let params = match rack_params {
        Some(path) => read(path)?,
        // no file: every param at its default (the problems then point at this empty document)
        None => SourceFile::new("(no --rack-params: defaults)".to_string(), String::new()),
    };
    rack_params_from(params, diagnostics)
}

/// Rack params from a file's text, checked as `rack build` checks them (diagnostics printed).
pub(crate) fn rack_params_from(params: SourceFile, diagnostics: Format) -> Result<RackParams, ExitCode> {
    let mut loaded = load(Input {
        rack_params: Some(params),
        ..Input::default()
    });
    loaded.check_rack_stack();
    if !loaded.diagnostics.is_empty() {
        output::print(&loaded.sources, &loaded.diagnostics, diagnostics);
    }
    match loaded.rack {
        Some(params) if !loaded.diagnostics.iter().any(|d| d.is_error()) => Ok(params),
        _ => Err(ExitCode::from(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convoxc_compiler::Input;
    use serde_json::json;

    fn loaded(manifest: &str) -> Loaded {
        load(Input {
            manifest: Some(SourceFile::new("convox.yml", manifest)),
            ..Input::default()
        })
    }

    /// A root passing `web` and the timer `cleanup` (of web) their scale.
    fn side(web: serde_json::Value, cleanup: serde_json::Value, parameters: &[(&str, &str)]) -> Stack {
        let timer = Stack {
            label: Some("timer cleanup".into()),
            template: json!({"Resources": {"TaskDefinition": {"Properties": {"ContainerDefinitions": [
                {"Environment": [{"Name": "SERVICE", "Value": "web"}]}]}}}})
            .into(),
            ..Stack::default()
        };
        Stack {
            template: json!({"Resources": {
                "ServiceWeb": {"Properties": {"Parameters": web}},
                "TimerCleanup": {"Properties": {"Parameters": cleanup}},
            }})
            .into(),
            parameters: parameters.iter().map(|(k, v)| (k.to_string(), json!(v))).collect(),
            nested: [
                (
                    "ServiceWeb".to_string(),
                    Stack {
                        label: Some("service web".into()),
                        ..Stack::default()
                    },
                ),
                ("TimerCleanup".to_string(), timer),
            ]
            .into(),
            ..Stack::default()
        }
    }

    fn kept(manifest: &str, old: &Stack, new: &Stack) -> Vec<(String, String, String)> {
        scale_keeps(&loaded(manifest), old, new)
            .into_iter()
            .map(|k| (k.resource, k.pointer, k.value.unwrap().as_str().unwrap().to_string()))
            .collect()
    }

    #[test]
    fn the_live_scale_convox_yml_does_not_say_stays() {
        let new = side(
            json!({"Count": "1", "Cpu": "256", "Memory": "512"}),
            json!({"Cpu": "256", "Memory": "512"}),
            &[],
        );
        let scaled = side(
            json!({"Count": "4", "Cpu": "512", "Memory": "1024"}),
            json!({"Cpu": "512", "Memory": "1024"}),
            &[],
        );
        let all = |p: &str| {
            (
                p.to_string(),
                format!("/Properties/Parameters/{}", p.rsplit('.').next().unwrap()),
            )
        };
        let said = kept("services:\n  web:\n    port: 3000\n", &scaled, &new);
        let want: Vec<(String, String, String)> = [
            ("ServiceWeb.Count", "4"),
            ("ServiceWeb.Cpu", "512"),
            ("ServiceWeb.Memory", "1024"),
            ("TimerCleanup.Cpu", "512"),
            ("TimerCleanup.Memory", "1024"),
        ]
        .iter()
        .map(|(p, v)| {
            let (r, ptr) = all(p);
            (r.split('.').next().unwrap().to_string(), ptr, v.to_string())
        })
        .collect();
        assert_eq!(said, want);
        // what convox.yml says wins: a count (as a number or a map key), cpu or memory (both go)
        let count_only: Vec<String> = kept("services:\n  web:\n    scale: 2\n", &scaled, &new)
            .into_iter()
            .map(|k| k.1)
            .collect();
        assert!(!count_only.iter().any(|p| p.ends_with("Count")), "{count_only:?}");
        assert_eq!(count_only.len(), 4);
        let cpu = kept("services:\n  web:\n    scale:\n      cpu: 256\n", &scaled, &new);
        assert_eq!(cpu.len(), 1, "{cpu:?}");
        assert!(cpu[0].1.ends_with("Count"));
        // the same values: nothing to keep
        assert!(kept("services:\n  web:\n    port: 3000\n", &new, &new).is_empty());
        // a convox-made app: its Formation parameter, as convox scale left it
        let select = |i: u64| json!({"Fn::Select": [i, {"Ref": "WebFormation"}]});
        let convox = side(
            json!({"Count": select(0), "Cpu": select(1), "Memory": select(2)}),
            json!({"Cpu": select(1), "Memory": select(2)}),
            &[("WebFormation", "3,256,1024")],
        );
        let taken = kept("services:\n  web:\n    port: 3000\n", &convox, &new);
        assert_eq!(
            taken.iter().map(|k| (k.1.as_str(), k.2.as_str())).collect::<Vec<_>>(),
            vec![
                ("/Properties/Parameters/Count", "3"),
                ("/Properties/Parameters/Memory", "1024"),
                ("/Properties/Parameters/Memory", "1024"),
            ]
        );
    }
}
