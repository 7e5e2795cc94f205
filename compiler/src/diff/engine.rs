//! The engine: two trees of stacks → a `Report`. Each pair of stacks is compared section by
//! section, with what the known parameter values decide evaluated first; its resources are
//! compared by `resources.rs`. A nested stack is compared with the values its parent passes it.

use super::model::*;
use super::resources::{corrected, literal, refers_to, resources, section};
use super::security::broadening;
use super::tree::{Edit, diff, normalize, same};
use crate::back::eval::Conditions;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Compare two sides. `None` is a side without the stack (a first deploy, or a deletion).
pub fn compare(old: Option<&Stack>, new: Option<&Stack>) -> Report {
    compare_with(old, new, &[])
}

/// Compare two sides, with what a change set said: its replacement verdicts win over the
/// prediction (marked `change-set`), and a change it lists that the templates do not show (a
/// value only known at deploy time) is added.
pub fn compare_with(old: Option<&Stack>, new: Option<&Stack>, said: &[Said]) -> Report {
    let mut stacks = Vec::new();
    let old_known = old.map(|s| known(s, None)).unwrap_or_default();
    let new_known = new.map(|s| known(s, None)).unwrap_or_default();
    walk(
        Vec::new(),
        old.map(|s| (s, old_known)),
        new.map(|s| (s, new_known)),
        true,
        said,
        &mut stacks,
    );
    let mut summary = Summary {
        stacks_changed: stacks.len(),
        ..Summary::default()
    };
    for r in stacks.iter().flat_map(|s| &s.resources) {
        summary.changes += 1;
        *summary.classes.entry(r.class.as_str()).or_default() += 1;
    }
    summary.broadening = stacks.iter().map(|s| s.broadening.len()).sum();
    Report {
        summary,
        stacks,
        environment: Vec::new(),
    }
}

type Known = BTreeMap<String, Value>;

/// The parameter values a stack's template can be resolved with: its declarations' defaults,
/// then what it is given (a parent's expressions already resolved in the parent). NoEcho
/// parameters are never resolved, so no secret reaches a report.
fn known(stack: &Stack, from_parent: Option<Known>) -> Known {
    let decls = stack.template.get("Parameters").and_then(Value::as_object);
    let no_echo = |name: &str| {
        decls
            .and_then(|d| d.get(name))
            .and_then(|p| p.get("NoEcho"))
            .is_some_and(|v| v == &json!(true) || v == &json!("true"))
    };
    let mut out = Known::new();
    for (name, decl) in decls.into_iter().flatten() {
        if let Some(d) = decl.get("Default") {
            out.insert(name.clone(), scalar_text(d));
        }
    }
    out.extend(from_parent.unwrap_or_default());
    out.extend(stack.parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.retain(|k, _| !no_echo(k));
    // a list parameter's `Ref` is a list
    for (name, decl) in decls.into_iter().flatten() {
        let list = decl
            .get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
        if let (true, Some(Value::String(text))) = (list, out.get(name)) {
            let items = text.split(',').map(|s| json!(s.trim())).collect();
            out.insert(name.clone(), Value::Array(items));
        }
    }
    out
}

/// A scalar as CloudFormation passes parameters: text.
fn scalar_text(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.to_string()),
        Value::Bool(b) => json!(b.to_string()),
        other => other.clone(),
    }
}

/// A template as compared: its resources and outputs with everything the known parameters decide
/// evaluated (conditions, `Fn::If`, `Ref`, text functions; a resource or output whose condition
/// is false left out), in one form (`tree::normalize`). Declarations stay as written.
fn prepare(template: &Value, known: &Known) -> Value {
    let c = Conditions::new(template, known);
    let mut out = Map::new();
    for (name, v) in template.as_object().into_iter().flatten() {
        let v = match name.as_str() {
            "Resources" | "Outputs" => Value::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, item)| c.applies(item))
                    .filter_map(|(id, item)| c.simplify(item).map(|x| (id.clone(), x)))
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(name.clone(), normalize(&v));
    }
    Value::Object(out)
}

fn label(path: &[String], old: Option<&Stack>, new: Option<&Stack>) -> String {
    new.and_then(|s| s.label.clone())
        .or_else(|| old.and_then(|s| s.label.clone()))
        .unwrap_or_else(|| {
            path.last()
                .map_or_else(|| "app".to_string(), |id| format!("stack {id}"))
        })
}

fn walk(
    path: Vec<String>,
    old: Option<(&Stack, Known)>,
    new: Option<(&Stack, Known)>,
    root: bool,
    said: &[Said],
    out: &mut Vec<StackChange>,
) {
    let (old_stack, new_stack) = (old.as_ref().map(|s| s.0), new.as_ref().map(|s| s.0));
    let (ok, nk) = (
        old.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
        new.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
    );
    // the same template with the same values changes nothing here (most stacks of a large app):
    // only its nested stacks are looked at
    if let (Some(o), Some(n)) = (old_stack, new_stack)
        && ((o.digest.is_some() && o.digest == n.digest) || o.template == n.template)
        && ok == nk
        && (!root || (o.parameters == n.parameters && o.tags == n.tags))
        && !said.iter().any(|s| s.path == path)
    {
        let c = Conditions::new(&n.template, &nk);
        for id in o.nested.keys().filter(|id| n.nested.contains_key(*id)) {
            let given = n
                .template
                .pointer(&format!("/Resources/{id}/Properties/Parameters"))
                .and_then(|p| c.simplify(p))
                .map(|p| normalize(&p));
            let given: Known = given
                .as_ref()
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), scalar_text(v)))
                .collect();
            let (oc, nc) = (&o.nested[id], &n.nested[id]);
            let mut p = path.clone();
            p.push(id.clone());
            let new_given = carried(given.clone(), &given, Some(oc), &BTreeMap::new());
            if unchanged_leaf(oc, nc, &given, &new_given, &p, said) {
                continue;
            }
            let old_given = known(oc, Some(given));
            let new_given = known(nc, Some(new_given));
            walk(p, Some((oc, old_given)), Some((nc, new_given)), false, said, out);
        }
        return;
    }
    let empty = Value::Object(Map::new());
    let ot = &old_stack.map_or_else(|| empty.clone(), |s| prepare(&s.template, &ok));
    let nt = &new_stack.map_or_else(|| empty.clone(), |s| prepare(&s.template, &nk));
    let action = match (old_stack, new_stack) {
        (None, Some(_)) => Action::Add,
        (Some(_), None) => Action::Remove,
        _ => Action::Modify,
    };
    let mut entries = Vec::new();
    // an added or removed stack is its resources: its declarations would only repeat that
    let sections: &[&str] = if action == Action::Modify {
        &["Parameters", "Conditions", "Mappings", "Outputs"]
    } else {
        &[]
    };
    for &name in sections {
        entries.extend(keyed(name, section(ot, name), section(nt, name)));
    }
    if root {
        entries.extend(values("parameter value", old_stack, new_stack));
        let tags = |s: Option<&Stack>| -> Map<String, Value> {
            s.map(|s| s.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
                .unwrap_or_default()
        };
        let (a, b) = (tags(old_stack), tags(new_stack));
        entries.extend(keyed("tag", Some(&a), Some(&b)));
    }
    let mut resources = resources(ot, nt, old_stack, new_stack);
    let here: Vec<&Said> = said.iter().filter(|s| s.path == path).collect();
    if !here.is_empty() {
        resources = corrected(resources, &here, ot, nt);
    }
    let replaced: BTreeMap<String, Replacement> = resources
        .iter()
        .filter(|r| r.replacement != Replacement::No || r.action == Action::Remove)
        .map(|r| (r.logical_id.clone(), Replacement::Yes))
        .collect();
    let broadening = broadening(ot, nt);
    if !entries.is_empty() || !resources.is_empty() || !broadening.is_empty() || action != Action::Modify {
        out.push(StackChange {
            label: label(&path, old_stack, new_stack),
            path: path.clone(),
            action,
            entries,
            resources,
            broadening,
        });
    }
    // nested stacks, in the order of their logical IDs
    let ids: BTreeSet<&String> = old_stack
        .into_iter()
        .flat_map(|s| s.nested.keys())
        .chain(new_stack.into_iter().flat_map(|s| s.nested.keys()))
        .collect();
    for id in ids {
        let mut p = path.clone();
        p.push(id.clone());
        let old_child = old_stack.and_then(|s| s.nested.get(id.as_str()));
        let new_child = new_stack.and_then(|s| s.nested.get(id.as_str()));
        let old_given = passed(ot, id);
        let new_given = new_child.map(|_| carried(passed(nt, id), &old_given, old_child, &replaced));
        if let (Some(oc), Some(nc), Some(ng)) = (old_child, new_child, &new_given)
            && unchanged_leaf(oc, nc, &old_given, ng, &p, said)
        {
            continue;
        }
        let old_known = old_child.map(|n| (n, known(n, Some(old_given))));
        let new_known = new_child.zip(new_given).map(|(n, given)| (n, known(n, Some(given))));
        walk(p, old_known, new_known, false, said, out);
    }
}

/// A nested stack with no nested stacks of its own, the same template on both sides (by digest)
/// given the same values, that no change set spoke of: `walk` would find nothing in it, and its
/// template need not even be read.
fn unchanged_leaf(o: &Stack, n: &Stack, old_given: &Known, new_given: &Known, path: &[String], said: &[Said]) -> bool {
    o.digest.is_some()
        && o.digest == n.digest
        && o.nested.is_empty()
        && n.nested.is_empty()
        && old_given == new_given
        && o.parameters == n.parameters
        && !said.iter().any(|s| s.path == path)
}

/// What the parent passes a nested stack on the new side, where an expression the parent passed
/// before too (of a resource it does not replace) is taken to keep the value the deployed stack
/// has for it: a deployed side knows nested parameter values, not the parent's expressions.
fn carried(new: Known, old: &Known, deployed: Option<&Stack>, replaced: &BTreeMap<String, Replacement>) -> Known {
    let Some(deployed) = deployed else { return new };
    new.into_iter()
        .map(|(k, v)| {
            let keep = !literal(&v)
                && old.get(&k).is_some_and(|o| same(o, &v))
                && refers_to(&v, replaced).is_none()
                && deployed.parameters.contains_key(&k);
            match keep {
                true => {
                    let value = deployed.parameters[&k].clone();
                    (k, value)
                }
                false => (k, v),
            }
        })
        .collect()
}

/// What a parent (prepared) passes its nested stack `id`.
fn passed(parent: &Value, id: &str) -> Known {
    section(parent, "Resources")
        .and_then(|r| r.get(id))
        .and_then(|r| r.pointer("/Properties/Parameters"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), scalar_text(v)))
        .collect()
}

/// The entries of a keyed section (declarations, conditions, outputs, tags) that differ.
fn keyed(
    section: &'static str,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> Vec<EntryChange> {
    let empty = Map::new();
    let (a, b) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (x, y) = (a.get(name), b.get(name));
        let action = match (x, y) {
            (None, Some(_)) => Action::Add,
            (Some(_), None) => Action::Remove,
            _ => Action::Modify,
        };
        let mut edits = Vec::new();
        match (x, y) {
            (Some(x), Some(y)) => diff("", x, y, &mut edits),
            (Some(x), None) => edits.push(Edit {
                path: String::new(),
                old: Some(normalize(x)),
                new: None,
            }),
            (None, Some(y)) => edits.push(Edit {
                path: String::new(),
                old: None,
                new: Some(normalize(y)),
            }),
            (None, None) => {}
        }
        if action != Action::Modify || !edits.is_empty() {
            out.push(EntryChange {
                section,
                name: name.clone(),
                action,
                edits,
            });
        }
    }
    out
}

/// The root's parameter values that differ, for the parameters both templates declare: what it
/// is given, else its default (NoEcho ones masked).
fn values(section: &'static str, old: Option<&Stack>, new: Option<&Stack>) -> Vec<EntryChange> {
    let decls = |s: Option<&Stack>| {
        s.and_then(|s| s.template.get("Parameters"))
            .and_then(Value::as_object)
            .cloned()
    };
    let (Some(da), Some(db)) = (decls(old), decls(new)) else {
        return Vec::new();
    };
    let effective = |s: Option<&Stack>, decls: &Map<String, Value>, name: &str| -> Option<Value> {
        s.and_then(|s| s.parameters.get(name))
            .cloned()
            .or_else(|| decls.get(name).and_then(|d| d.get("Default")).map(scalar_text))
    };
    let no_echo = |d: &Map<String, Value>, name: &str| {
        d.get(name)
            .and_then(|p| p.get("NoEcho"))
            .is_some_and(|v| v == &json!(true) || v == &json!("true"))
    };
    let mut out = Vec::new();
    for name in da.keys().filter(|k| db.contains_key(*k)) {
        let (x, y) = (effective(old, &da, name), effective(new, &db, name));
        if x.as_ref().map(scalar_text) == y.as_ref().map(scalar_text) {
            continue;
        }
        let masked = no_echo(&da, name) || no_echo(&db, name);
        if masked && (x.is_none() || y.is_none()) {
            continue; // a secret not held on one side: nothing to say
        }
        let show = |v: Option<Value>| v.map(|v| if masked { json!("(hidden)") } else { scalar_text(&v) });
        out.push(EntryChange {
            section,
            name: name.clone(),
            action: Action::Modify,
            edits: vec![Edit {
                path: String::new(),
                old: show(x),
                new: show(y),
            }],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(resources: Value) -> Stack {
        Stack {
            template: json!({"Resources": resources}).into(),
            ..Stack::default()
        }
    }

    fn one(report: &Report, id: &str) -> ResourceChange {
        report
            .resources()
            .find(|r| r.logical_id == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}: {report:#?}"))
    }

    #[test]
    fn a_create_only_change_on_a_named_database_will_fail_and_destroys_data() {
        let db = |enc: Option<&str>| {
            let mut p = json!({"DBInstanceIdentifier": {"Ref": "AWS::StackName"}, "Engine": "postgres"});
            if let Some(e) = enc {
                p["StorageEncrypted"] = json!(e);
            }
            json!({"Database": {"Type": "AWS::RDS::DBInstance", "Properties": p}})
        };
        let r = compare(Some(&stack(db(Some("false")))), Some(&stack(db(None))));
        let c = one(&r, "Database");
        assert_eq!(
            (c.class, c.replacement, c.destroys_data),
            (Class::Fail, Replacement::Yes, true)
        );
        assert_eq!(c.properties[0].edit.path, "/Properties/StorageEncrypted");
        assert_eq!(c.properties[0].replacement, Replacement::Yes);
        assert!(r.trips(Gate::Fail) && r.trips(Gate::Destroy) && r.trips(Gate::Replace));
        assert!(!r.trips(Gate::Broaden));
    }

    #[test]
    fn parameters_resolve_before_comparing() {
        let old = Stack {
            template: json!({
                "Parameters": {"Port": {"Type": "String", "Default": "6379"}},
                "Resources": {"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"Port": {"Ref": "Port"}}}}
            }).into(),
            ..Stack::default()
        };
        let same =
            stack(json!({"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"Port": "6379"}}}));
        assert!(compare(Some(&old), Some(&same)).resources().next().is_none());
        let gone = stack(json!({"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {}}}));
        let c = one(&compare(Some(&old), Some(&gone)), "Cache");
        assert_eq!((c.class, c.replacement), (Class::Destroy, Replacement::Yes));
    }

    #[test]
    fn an_unknown_value_in_a_create_only_path_may_replace() {
        let tg = |port: Value| {
            stack(
                json!({"TG": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": port, "HealthCheckPath": "/"}}}),
            )
        };
        let c = one(
            &compare(Some(&tg(json!("80"))), Some(&tg(json!({"Ref": "Unknown"})))),
            "TG",
        );
        assert_eq!(
            (c.class, c.replacement, c.certain),
            (Class::Replace, Replacement::Maybe, false)
        );
    }

    #[test]
    fn replacements_cascade_through_create_only_references() {
        let s = |desc: &str| {
            stack(json!({
                "SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": desc}},
                "Ingress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Ref": "SG"}, "IpProtocol": "tcp"}},
                "Other": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": "sg-1", "IpProtocol": "tcp"}}
            }))
        };
        let r = compare(Some(&s("a")), Some(&s("b")));
        assert_eq!(one(&r, "SG").class, Class::Replace);
        let i = one(&r, "Ingress");
        assert_eq!((i.class, i.replacement), (Class::Replace, Replacement::Yes));
        assert!(i.reasons[0].contains("SG is replaced"), "{:?}", i.reasons);
        assert!(r.resources().all(|c| c.logical_id != "Other"));
    }

    #[test]
    fn removals_honour_the_deletion_policy() {
        let old = stack(json!({
            "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {}},
            "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "Fs": {"Type": "AWS::EFS::FileSystem"},
            "Role": {"Type": "AWS::IAM::Role"}
        }));
        let r = compare(Some(&old), Some(&stack(json!({}))));
        let db = one(&r, "Db");
        assert_eq!((db.class, db.destroys_data), (Class::Destroy, true));
        assert!(db.reasons[0].contains("Snapshot"), "{:?}", db.reasons);
        assert_eq!(one(&r, "Kept").class, Class::Remove);
        assert_eq!(one(&r, "Fs").class, Class::Destroy);
        assert_eq!(
            (one(&r, "Role").class, one(&r, "Role").destroys_data),
            (Class::Remove, false)
        );
    }

    #[test]
    fn task_definitions_are_benign_and_nested_stacks_are_named() {
        let service = |image: &str| {
            Stack {
            template: json!({"Resources": {"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": "web", "Image": image}]}}}}).into(),
            label: Some("service web".into()),
            ..Stack::default()
        }
        };
        let root = |image: &str, url: &str| {
            Stack {
            template: json!({"Resources": {"ServiceWeb": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}}}).into(),
            nested: BTreeMap::from([("ServiceWeb".to_string(), service(image))]),
            ..Stack::default()
        }
        };
        let r = compare(Some(&root("a", "u1")), Some(&root("b", "u2")));
        assert_eq!(r.stacks.len(), 1, "{r:#?}");
        assert_eq!(r.stacks[0].label, "service web");
        assert_eq!(r.stacks[0].path, ["ServiceWeb"]);
        let t = one(&r, "Task");
        assert_eq!(t.class, Class::Benign);
        assert_eq!(t.properties[0].edit.path, "/Properties/ContainerDefinitions/0/Image");
        assert!(!r.trips(Gate::Replace) && r.trips(Gate::Any));
        assert!(compare(Some(&root("a", "u1")), Some(&root("a", "u1"))).is_empty());
    }

    #[test]
    fn a_removed_nested_stack_with_a_database_destroys_data() {
        let db = Stack {
            template:
                json!({"Resources": {"Instance": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot"}}})
                    .into(),
            ..Stack::default()
        };
        let old = Stack {
            template: json!({"Resources": {"ResourceDb": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "u"}}}}).into(),
            nested: BTreeMap::from([("ResourceDb".to_string(), db)]),
            ..Stack::default()
        };
        let r = compare(Some(&old), Some(&stack(json!({}))));
        let c = one(&r, "ResourceDb");
        assert_eq!((c.class, c.destroys_data), (Class::Destroy, true));
        assert!(
            c.reasons.iter().any(|x| x.contains("database Instance")),
            "{:?}",
            c.reasons
        );
        // the nested stack is listed as removed, with its database
        assert!(
            r.stacks
                .iter()
                .any(|s| s.path == ["ResourceDb"] && s.action == Action::Remove)
        );
    }

    #[test]
    fn the_change_set_verdict_wins() {
        let tg = |port: &str| {
            stack(
                json!({"TG": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": port}}, "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"Priority": "1"}}}),
            )
        };
        let (old, new) = (tg("80"), tg("81"));
        assert_eq!(one(&compare(Some(&old), Some(&new)), "TG").class, Class::Replace);
        let said = |id: &str, r: Option<Replacement>| Said {
            path: Vec::new(),
            logical_id: id.into(),
            resource_type: "AWS::ElasticLoadBalancingV2::TargetGroup".into(),
            action: Action::Modify,
            replacement: r,
            causes: Vec::new(),
        };
        let r = compare_with(
            Some(&old),
            Some(&new),
            &[said("TG", Some(Replacement::No)), said("Rule", Some(Replacement::Yes))],
        );
        let c = one(&r, "TG");
        assert_eq!(
            (c.class, c.replacement, c.source),
            (Class::Update, Replacement::No, Source::ChangeSet)
        );
        assert_eq!(c.properties[0].replacement, Replacement::No);
        // a change only CloudFormation sees (the template did not change)
        let rule = one(&r, "Rule");
        assert_eq!((rule.class, rule.source), (Class::Replace, Source::ChangeSet));
        assert!(
            rule.reasons.iter().any(|x| x.contains("Replacement: True")),
            "{:?}",
            rule.reasons
        );
    }

    #[test]
    fn no_echo_values_are_masked_and_never_resolved() {
        let s = |pw: &str| {
            Stack {
            template: json!({
                "Parameters": {"Password": {"Type": "String", "NoEcho": true}},
                "Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"MasterUserPassword": {"Ref": "Password"}}}}
            }).into(),
            parameters: BTreeMap::from([("Password".to_string(), json!(pw))]),
            ..Stack::default()
        }
        };
        let r = compare(Some(&s("secret-1")), Some(&s("secret-2")));
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("secret-"), "{text}");
        assert!(text.contains("(hidden)"), "{text}");
        assert!(r.resources().next().is_none(), "the template did not change");
    }

    /// `refusals.rs`: what RDS refuses of a database's storage, seen only against what is deployed.
    fn db(storage: &str) -> Stack {
        stack(json!({"Instance": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "AllocatedStorage": storage, "Engine": "postgres"
        }}}))
    }

    fn class(old: Option<&Stack>, new: &Stack) -> (Class, Vec<String>) {
        let r = compare(old, Some(new));
        let c = r.resources().find(|c| c.logical_id == "Instance");
        c.map_or((Class::Benign, Vec::new()), |c| (c.class, c.reasons.clone()))
    }

    #[test]
    fn a_new_database_under_rds_minimum_will_fail() {
        let (c, why) = class(None, &db("10"));
        assert_eq!(c, Class::Fail);
        assert!(why[0].contains("at least 20 GiB"), "{why:?}");
        assert_eq!(class(None, &db("20")).0, Class::Add);
        // an existing database with 10 GiB keeps it: no change, nothing refused
        assert!(compare(Some(&db("10")), Some(&db("10"))).resources().next().is_none());
    }

    #[test]
    fn database_storage_never_shrinks() {
        let (c, why) = class(Some(&db("100")), &db("50"));
        assert_eq!(c, Class::Fail);
        assert!(why.iter().any(|w| w.contains("cannot shrink")), "{why:?}");
        assert_eq!(class(Some(&db("50")), &db("100")).0, Class::Update);
        // from an old 10 GiB database: to 20 or more, not to 15
        assert_eq!(class(Some(&db("10")), &db("15")).0, Class::Fail);
        assert_eq!(class(Some(&db("10")), &db("20")).0, Class::Update);
    }
}
