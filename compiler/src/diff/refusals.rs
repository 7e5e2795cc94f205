//! What AWS refuses of a change that only the deployed stack shows: a rule on a value that holds
//! for a resource CloudFormation creates, or for the step from the deployed value to the new one.
//! The front end cannot tell a new resource from an existing one; the diff can (`apply`, `diff`,
//! `deploy`, `build --deployed` and the takeover preview compare with what is deployed).
//!
//! RDS allocated storage (`AWS::RDS::DBInstance` `AllocatedStorage`):
//! - a new database gets at least 20 GiB of gp2 storage (CreateDBInstance, AllocatedStorage:
//!   "General Purpose (SSD) storage (gp2, gp3): Must be an integer from 20 to 65536"); one that
//!   exists with less (magnetic storage once started at 5 GiB) keeps its size, which RDS is not
//!   asked about again while it does not change;
//! - storage never shrinks (the RDS user guide, "Increasing DB instance storage capacity": "You
//!   can't reduce the amount of storage for a DB instance after storage has been allocated");
//! - a new size is one CreateDBInstance accepts (ModifyDBInstance, AllocatedStorage: "For the
//!   valid values for allocated storage for each engine, see CreateDBInstance").

use super::model::{Action, Class, Report, ResourceChange};
use crate::diagnostic::{Code, Diagnostic, Locations};
use crate::ir::naming::resource_id;
use crate::ir::resource_options::RDS_STORAGE;
use crate::ir::{App, ResourceType};
use serde_json::Value;

/// The words every storage refusal starts with (how `check` finds them in a report).
const STORAGE: &str = "RDS refuses its storage";

/// Why AWS refuses this change of a resource (`old`: the deployed resource, None when it is
/// created), as resolved templates show it; None when nothing known is refused.
pub(super) fn refused(resource_type: &str, old: Option<&Value>, new: &Value) -> Option<String> {
    if resource_type != "AWS::RDS::DBInstance" {
        return None;
    }
    let size = |r: &Value| {
        r.pointer("/Properties/AllocatedStorage")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
            .and_then(|s| s.trim().parse::<i64>().ok())
    };
    let to = size(new)?;
    // a read replica or a restored snapshot takes its source's storage (and its own rules)
    let copied = ["SourceDBInstanceIdentifier", "DBSnapshotIdentifier"]
        .iter()
        .any(|p| new.pointer(&format!("/Properties/{p}")).is_some());
    let gp2 = new
        .pointer("/Properties/Iops")
        .is_none_or(|v| v == &Value::from(0) || v == &Value::from("0"));
    let min = RDS_STORAGE.0;
    match old.map(size) {
        None if !copied && gp2 && to < min => Some(format!(
            "{STORAGE}: a new database gets at least {min} GiB of gp2 storage ({to} GiB asked; CreateDBInstance, AllocatedStorage)"
        )),
        Some(Some(from)) if to < from => Some(format!(
            "{STORAGE}: {from} GiB cannot shrink to {to} GiB (RDS never reduces allocated storage)"
        )),
        Some(Some(from)) if to != from && gp2 && to < min => Some(format!(
            "{STORAGE}: {from} GiB may grow only to a size RDS creates, at least {min} GiB of gp2 ({to} GiB asked; ModifyDBInstance, AllocatedStorage)"
        )),
        _ => None,
    }
}

/// Mark a change AWS refuses: it will fail, with why.
pub(super) fn mark(c: &mut ResourceChange, old: Option<&Value>, new: &Value) {
    if let Some(why) = refused(&c.resource_type, old, new) {
        c.class = Class::Fail;
        c.reasons.push(why);
    }
}

/// The storage refusals of a report as errors at the manifest's `storage:` of each database (or
/// the resource, when the option is not written), for the commands that know the deployed stack.
pub fn check(report: &Report, app: &App, at: &Locations) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in &report.stacks {
        let Some(r) = app.resources.iter().find(|r| {
            s.path.len() == 1
                && s.path[0] == resource_id(&r.logical_name)
                && matches!(
                    r.kind,
                    ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb
                )
        }) else {
            continue;
        };
        for c in s.resources.iter().filter(|c| c.class == Class::Fail) {
            for why in c.reasons.iter().filter(|w| w.starts_with(STORAGE)) {
                let name = &r.name;
                let created = c.action == Action::Add;
                out.push(
                    at.diagnostic(
                        Code::ResourceOption,
                        &[
                            &format!("resources.{name}.options.storage"),
                            &format!("resources.{name}.options"),
                            &format!("resources.{name}#name"),
                        ],
                        format!("resource {name}: {why}"),
                    )
                    .help(if created {
                        format!("a new database needs `storage: {}` or more", RDS_STORAGE.0)
                    } else {
                        "keep the deployed size, or grow it (by at least 10%) to 20 GiB or more".to_string()
                    }),
                );
            }
        }
    }
    out
}
