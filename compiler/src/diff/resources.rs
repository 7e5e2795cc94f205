//! The resources of one stack compared: each changed resource gets its property changes,
//! whether it is replaced (from the create-only paths of its type, cascading to resources whose
//! create-only properties refer to a replaced one), what a change set said instead, and its class.

use super::facts::{self, NESTED_STACK};
use super::model::*;
use super::refusals;
use super::tree::{diff, is_intrinsic, same};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Whether a value is known offline (no intrinsic anywhere in it).
pub(super) fn literal(v: &Value) -> bool {
    match v {
        Value::Object(m) => !is_intrinsic(v) && m.values().all(literal),
        Value::Array(a) => a.iter().all(literal),
        _ => true,
    }
}

pub(super) fn section<'t>(template: &'t Value, name: &str) -> Option<&'t Map<String, Value>> {
    template.get(name).and_then(Value::as_object)
}

fn rtype(r: &Value) -> &str {
    r.get("Type").and_then(Value::as_str).unwrap_or("")
}

/// Whether an edit's path (below the resource) is at or inside, or contains, a create-only path.
fn touches(edit_path: &str, create_only: &str) -> bool {
    let Some(rest) = edit_path.strip_prefix("/Properties") else {
        return false;
    };
    let edit: Vec<&str> = rest
        .split('/')
        .filter(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let co: Vec<&str> = create_only.split('/').collect();
    let n = edit.len().min(co.len());
    edit[..n] == co[..n]
}

/// The replacement a type's create-only paths predict, with the paths that cause it (each with
/// its own verdict).
fn replacement(resource_type: &str, old: &Value, new: &Value) -> (Replacement, Vec<(String, Replacement)>) {
    if rtype(old) != rtype(new) {
        return (Replacement::Yes, vec![("Type".into(), Replacement::Yes)]);
    }
    if facts::custom(resource_type) {
        // a custom resource's provider decides; CloudFormation sends it an update
        return (Replacement::No, Vec::new());
    }
    let Some(table) = facts::create_only(resource_type) else {
        // a type we know nothing of: any property change may replace it
        let changed = old.get("Properties") != new.get("Properties");
        return (if changed { Replacement::Maybe } else { Replacement::No }, Vec::new());
    };
    let mut verdict = Replacement::No;
    let mut causes = Vec::new();
    for (paths, certain) in [(&table.always, true), (&table.conditional, false)] {
        for p in paths {
            let pointer = format!("/Properties/{p}");
            let (a, b) = (old.pointer(&pointer), new.pointer(&pointer));
            if a == b || a.zip(b).is_some_and(|(a, b)| same(a, b)) {
                continue;
            }
            // certain when a difference inside the path is between values known here
            let known = {
                let mut edits = Vec::new();
                diff("", a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null), &mut edits);
                // an entry added or removed changes the value for sure; two present values only
                // when both are known
                edits.iter().any(|e| match (&e.old, &e.new) {
                    (Some(x), Some(y)) => literal(x) && literal(y),
                    _ => true,
                })
            };
            let v = if certain && known {
                Replacement::Yes
            } else {
                Replacement::Maybe
            };
            verdict = verdict.max(v);
            causes.push((p.clone(), v));
        }
    }
    (verdict, causes)
}

/// Whether a value refers to one of these logical IDs (`Ref`, `Fn::GetAtt`, `${X}` in `Fn::Sub`).
pub(super) fn refers_to<'a>(v: &Value, ids: &'a BTreeMap<String, Replacement>) -> Option<(&'a String, Replacement)> {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("Ref") {
                return ids.get_key_value(r).map(|(k, v)| (k, *v));
            }
            if let Some(Value::Array(a)) = m.get("Fn::GetAtt")
                && let Some(Value::String(r)) = a.first()
            {
                return ids.get_key_value(r).map(|(k, v)| (k, *v));
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let text = sub
                    .as_str()
                    .or_else(|| sub.get(0).and_then(Value::as_str))
                    .unwrap_or("");
                for (id, r) in ids {
                    if text.contains(&format!("${{{id}}}")) || text.contains(&format!("${{{id}.")) {
                        return Some((id, *r));
                    }
                }
            }
            m.values().find_map(|x| refers_to(x, ids))
        }
        Value::Array(a) => a.iter().find_map(|x| refers_to(x, ids)),
        _ => None,
    }
}

/// Data resources (recursively through nested stacks) that a removed stack deletes.
fn data_in(stack: &Stack) -> Vec<String> {
    let mut out = Vec::new();
    for (id, r) in section(&stack.template, "Resources").into_iter().flatten() {
        let t = rtype(r);
        if let Some(kind) = facts::data_kind(t) {
            let policy = deletion_policy(r);
            if policy != "Retain" {
                out.push(format!("{kind} {id}"));
            }
        }
    }
    for nested in stack.nested.values() {
        out.extend(data_in(nested));
    }
    out
}

fn deletion_policy(r: &Value) -> String {
    r.get("DeletionPolicy")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| facts::default_deletion_policy(rtype(r), r.get("Properties")).to_string())
}

pub(super) fn resources(
    ot: &Value,
    nt: &Value,
    old_stack: Option<&Stack>,
    new_stack: Option<&Stack>,
) -> Vec<ResourceChange> {
    let empty = Map::new();
    let (a, b) = (
        section(ot, "Resources").unwrap_or(&empty),
        section(nt, "Resources").unwrap_or(&empty),
    );
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut changes: BTreeMap<String, ResourceChange> = BTreeMap::new();
    let mut prepared_new: BTreeMap<&String, &Value> = BTreeMap::new();
    for id in ids {
        match (a.get(id), b.get(id)) {
            (None, Some(y)) => {
                let mut c = added(id, rtype(y));
                refusals::mark(&mut c, None, y);
                changes.insert(id.clone(), c);
                prepared_new.insert(id, y);
            }
            (Some(x), None) => {
                let nested = old_stack.and_then(|s| s.nested.get(id.as_str()));
                changes.insert(id.clone(), removed(id, x, nested));
            }
            (Some(x), Some(y)) => {
                prepared_new.insert(id, y);
                if same(x, y) {
                    continue;
                }
                if let Some(c) = modified(id, x, y, new_stack.is_some_and(|s| s.nested.contains_key(id.as_str()))) {
                    changes.insert(id.clone(), c);
                }
            }
            (None, None) => {}
        }
    }
    cascade(&mut changes, &prepared_new);
    changes.into_values().collect()
}

/// The predicted changes of one stack with a change set's verdicts applied.
pub(super) fn corrected(predicted: Vec<ResourceChange>, said: &[&Said], ot: &Value, nt: &Value) -> Vec<ResourceChange> {
    let mut by_id: BTreeMap<String, ResourceChange> =
        predicted.into_iter().map(|c| (c.logical_id.clone(), c)).collect();
    for s in said {
        // a nested stack's own changes are its stack's; its template address is not news
        if s.resource_type == NESTED_STACK && s.action == Action::Modify && !by_id.contains_key(&s.logical_id) {
            continue;
        }
        let new = nt
            .pointer(&format!("/Resources/{}", s.logical_id))
            .cloned()
            .unwrap_or(Value::Null);
        let c = by_id.entry(s.logical_id.clone()).or_insert_with(|| {
            let mut c = match s.action {
                Action::Add => added(&s.logical_id, &s.resource_type),
                Action::Remove => {
                    let old = ot
                        .pointer(&format!("/Resources/{}", s.logical_id))
                        .cloned()
                        .unwrap_or(Value::Null);
                    removed(&s.logical_id, &old, None)
                }
                Action::Modify => untouched(&s.logical_id, &s.resource_type),
            };
            c.reasons
                .push("CloudFormation changes it (a value only known when it deploys)".into());
            c
        });
        c.source = Source::ChangeSet;
        let (Some(verdict), Action::Modify) = (s.replacement, c.action) else {
            continue;
        };
        c.replacement = verdict;
        c.class = Class::Update;
        c.certain = true;
        c.destroys_data = false;
        c.reasons.retain(|r| r.starts_with("CloudFormation changes it"));
        let word = match verdict {
            Replacement::Yes => "True",
            Replacement::Maybe => "Conditional",
            Replacement::No => "False",
        };
        let by = if s.causes.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.causes.join(", "))
        };
        c.reasons
            .insert(0, format!("the change set says Replacement: {word}{by}"));
        for p in &mut c.properties {
            p.replacement = p.replacement.min(verdict);
        }
        classify(c, &new);
    }
    by_id.into_values().collect()
}

fn added(id: &str, t: &str) -> ResourceChange {
    ResourceChange {
        logical_id: id.to_string(),
        resource_type: t.to_string(),
        action: Action::Add,
        class: Class::Add,
        certain: true,
        replacement: Replacement::No,
        data: facts::data_kind(t),
        destroys_data: false,
        reasons: Vec::new(),
        properties: Vec::new(),
        source: Source::Predicted,
        deployed: Vec::new(),
        same_names: true,
        defaulted: Vec::new(),
    }
}

/// A resource whose template does not change, changed all the same (by a cascade or as a change
/// set says).
fn untouched(id: &str, t: &str) -> ResourceChange {
    ResourceChange {
        action: Action::Modify,
        class: Class::Update,
        ..added(id, t)
    }
}

fn removed(id: &str, x: &Value, nested: Option<&Stack>) -> ResourceChange {
    let t = rtype(x).to_string();
    let data = facts::data_kind(&t);
    let policy = deletion_policy(x);
    let mut reasons = Vec::new();
    let mut destroys = false;
    if data.is_some() {
        match policy.as_str() {
            "Retain" | "RetainExceptOnCreate" => reasons.push("DeletionPolicy Retain: the resource is kept".into()),
            "Snapshot" => {
                destroys = true;
                reasons.push("deleted; DeletionPolicy Snapshot keeps a final snapshot".into());
            }
            _ => {
                destroys = true;
                reasons.push("deleted with its data (no DeletionPolicy keeps it)".into());
            }
        }
    }
    if let Some(stack) = nested {
        let inside = data_in(stack);
        if !inside.is_empty() {
            destroys = true;
            reasons.push(format!("its stack holds {}", inside.join(", ")));
        }
    }
    ResourceChange {
        logical_id: id.to_string(),
        resource_type: t,
        action: Action::Remove,
        class: if destroys { Class::Destroy } else { Class::Remove },
        certain: true,
        replacement: Replacement::No,
        data,
        destroys_data: destroys,
        reasons,
        properties: Vec::new(),
        source: Source::Predicted,
        deployed: Vec::new(),
        same_names: true,
        defaulted: Vec::new(),
    }
}

fn modified(id: &str, x: &Value, y: &Value, nested: bool) -> Option<ResourceChange> {
    let t = rtype(y).to_string();
    let mut edits = Vec::new();
    diff("", x, y, &mut edits);
    if nested || t == NESTED_STACK {
        // the nested stack's own diff shows what its new template does
        edits.retain(|e| e.path != "/Properties/TemplateURL");
        if edits.is_empty() {
            return None;
        }
    }
    let (verdict, causes) = replacement(&t, x, y);
    let properties = edits
        .into_iter()
        .map(|edit| {
            let r = causes
                .iter()
                .filter(|(c, _)| touches(&edit.path, c) || (c == "Type" && edit.path == "/Type"))
                .map(|(_, v)| *v)
                .max()
                .unwrap_or_default();
            PropertyChange { edit, replacement: r }
        })
        .collect();
    let defaulted: Vec<String> = y
        .pointer("/Metadata/convoxc/Defaults")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    // the create-only paths that cause a replacement, and the defaulted properties that change
    // in place (a new cache's node type): what the resource keeps when the deployed value wins
    let in_place = defaulted.iter().filter(|p| {
        !causes.iter().any(|(c, _)| c == *p)
            && x.pointer(&format!("/Properties/{p}")) != y.pointer(&format!("/Properties/{p}"))
    });
    let deployed = causes
        .iter()
        .map(|(p, _)| p)
        .filter(|p| *p != "Type")
        .chain(in_place)
        .map(|p| {
            let pointer = format!("/Properties/{p}");
            let old = x.pointer(&pointer).cloned();
            (pointer, old)
        })
        .collect();
    let mut c = ResourceChange {
        logical_id: id.to_string(),
        resource_type: t.clone(),
        action: Action::Modify,
        class: Class::Update,
        certain: true,
        replacement: verdict,
        data: facts::data_kind(&t),
        destroys_data: false,
        reasons: Vec::new(),
        properties,
        source: Source::Predicted,
        deployed,
        same_names: names(x) == names(y),
        defaulted,
    };
    for (v, what) in [(Replacement::Yes, "replaced"), (Replacement::Maybe, "may be replaced")] {
        let paths: Vec<&str> = causes
            .iter()
            .filter(|(_, x)| *x == v)
            .map(|(p, _)| p.as_str())
            .collect();
        if !paths.is_empty() {
            let verb = if paths.len() == 1 { "changes" } else { "change" };
            c.reasons.push(format!("{what}: {} {verb}", paths.join(", ")));
        }
    }
    classify(&mut c, y);
    refusals::mark(&mut c, Some(x), y);
    Some(c)
}

/// The domain names a certificate covers (its `DomainName` and subject alternative names); empty
/// for other resources.
fn names(r: &Value) -> BTreeSet<String> {
    if rtype(r) != "AWS::CertificateManager::Certificate" {
        return BTreeSet::new();
    }
    let p = r.get("Properties");
    let domain = p.and_then(|p| p.get("DomainName")).map(Value::to_string);
    let alternatives = p
        .and_then(|p| p.get("SubjectAlternativeNames"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(Value::to_string);
    domain.into_iter().chain(alternatives).collect()
}

/// The class that a resource's replacement verdict gives it.
fn classify(c: &mut ResourceChange, new: &Value) {
    if c.replacement == Replacement::No {
        return;
    }
    c.certain = c.replacement == Replacement::Yes;
    if facts::benign_replacement(&c.resource_type) {
        c.class = Class::Benign;
        return;
    }
    c.class = Class::Replace;
    if let Some(kind) = c.data {
        c.destroys_data = true;
        c.class = Class::Destroy;
        let kept = match new.get("UpdateReplacePolicy").and_then(Value::as_str) {
            Some("Retain") => "UpdateReplacePolicy Retain keeps the old one, but the app gets a new, empty",
            Some("Snapshot") => {
                "UpdateReplacePolicy Snapshot keeps a snapshot of the old one; the app gets a new, empty"
            }
            _ => "the old one is deleted; the app gets a new, empty",
        };
        c.reasons.push(format!("{kept} {kind}"));
    }
    if let Some(name) = facts::name_property(&c.resource_type)
        && let Some(v) = new.pointer(&format!("/Properties/{name}"))
        && v != &json!("")
    {
        c.class = Class::Fail;
        c.reasons.push(format!(
            "its {name} is fixed: CloudFormation cannot replace a custom-named resource and rolls the whole update back"
        ));
    }
}

/// Resources whose create-only properties refer to a replaced resource are replaced too (its
/// physical ID, and so the value, changes), until nothing more changes.
fn cascade(changes: &mut BTreeMap<String, ResourceChange>, new: &BTreeMap<&String, &Value>) {
    loop {
        let replaced: BTreeMap<String, Replacement> = changes
            .iter()
            .filter(|(_, c)| c.replacement != Replacement::No && c.action == Action::Modify)
            .map(|(id, c)| (id.clone(), c.replacement))
            .collect();
        if replaced.is_empty() {
            break;
        }
        let mut grew = false;
        for (id, value) in new {
            let t = rtype(value);
            let Some(table) = facts::create_only(t) else { continue };
            let current = changes.get(id.as_str()).map(|c| c.replacement).unwrap_or_default();
            if changes.get(id.as_str()).is_some_and(|c| c.action != Action::Modify) {
                continue;
            }
            let hit = table
                .always
                .iter()
                .chain(&table.conditional)
                .filter_map(|p| value.pointer(&format!("/Properties/{p}")))
                .find_map(|v| refers_to(v, &replaced).filter(|(r, _)| r.as_str() != id.as_str()));
            let Some((by, r)) = hit else { continue };
            if r <= current {
                continue;
            }
            let c = changes.entry(id.to_string()).or_insert_with(|| untouched(id, t));
            c.replacement = r;
            let what = if r == Replacement::Yes {
                "is replaced"
            } else {
                "may be replaced"
            };
            c.reasons
                .push(format!("{by} {what} and a create-only property refers to it"));
            classify(c, value);
            grew = true;
        }
        if !grew {
            break;
        }
    }
}
