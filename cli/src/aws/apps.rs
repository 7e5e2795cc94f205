//! A rack's apps as deployed: their stacks (`<rack>-<app>`, tagged `Rack=<rack>`, `Type=app`,
//! as convox tags them too), and what an app's services answer on.

use crate::aws::clients::{Clients, Result, describe};
use crate::aws::lookup::rack_member;
use aws_sdk_cloudformation::types::Stack;

pub(crate) struct App {
    pub name: String,
    pub status: String,
    pub stack: Stack,
}

impl App {
    fn from(rack: &str, s: &Stack) -> Option<App> {
        let name = rack_member(rack, s, "app")?;
        Some(App {
            name,
            status: s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
            stack: s.clone(),
        })
    }
}

/// The rack's apps, sorted by name (nested stacks, which carry their app's tags, left out).
pub(crate) async fn list(c: &Clients, rack: &str) -> Result<Vec<App>> {
    let mut out = Vec::new();
    let mut pages = c.cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("listing the stacks", &e))?;
        out.extend(
            page.stacks()
                .iter()
                .filter(|s| s.parent_id().is_none())
                .filter_map(|s| App::from(rack, s)),
        );
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The error for an app the rack does not have: the apps it has, with "did you mean".
pub(crate) fn missing(rack: &str, app: &str, apps: &[App]) -> String {
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let hint = convoxc_compiler::names::suggest(app, names.iter().copied())
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    let there = if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("its apps are {}", names.join(", "))
    };
    format!("rack {rack} has no app {app}{hint}: {there}")
}

/// convox's words for a stack status (`humanStatus`, reference §4.2).
pub(crate) fn human_status(status: &str) -> &'static str {
    match status {
        "CREATE_IN_PROGRESS" => "creating",
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "DELETE_FAILED" => "running",
        "UPDATE_IN_PROGRESS" | "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" => "updating",
        "DELETE_IN_PROGRESS" => "deleting",
        "ROLLBACK_COMPLETE" | "UPDATE_ROLLBACK_FAILED" | "CREATE_FAILED" | "ROLLBACK_FAILED" => "failed",
        s if s.contains("ROLLBACK_IN_PROGRESS") => "rollback",
        _ => "unknown",
    }
}
