//! The rack an app is deployed to: its stack (outputs) and its params.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::{deployed_template, describe_stack};
use crate::deploy::stack::{self, Preflight};
use aws_sdk_cloudformation::types::Stack;
use convoxc_compiler::SourceFile;
use convoxc_compiler::diff::template_text;
use convoxc_compiler::front::rack_params::{DIFFERENT, IGNORED};
use convoxc_compiler::ir::rack::{SECURE_DEFAULTS, spec};
use convoxc_compiler::names::suggest;
use serde_json::Value;
use std::collections::BTreeMap;

/// The rack's params, to compile the app against (zones, NLB defaults, which exports exist …):
/// a convoxc rack keeps them in its template's `Metadata.convoxc.RackParams`; a rack that
/// convox made has them as its stack parameters (NoEcho ones, shown as `****`, are left out).
pub(crate) async fn rack_params(c: &Clients, rack: &Stack) -> Result<Option<SourceFile>> {
    let name = rack.stack_name().unwrap_or_default();
    let (params, convoxc) = deployed_params(c, rack).await?;
    // a value at its default (or blank, for a param without one) says nothing; and a param that
    // only the rack itself uses (convox's API and builder, what convoxc does otherwise) does not
    // change how an app compiles: the rack's own apply warns about those, an app's does not.
    // A param whose default convoxc changed says what the rack has.
    let found = !params.is_empty();
    let params = significant(params);
    if !found && !convoxc {
        return Ok(None); // neither a convoxc rack nor a convox one: compile without rack params
    }
    let text = serde_json::to_string_pretty(&params).expect("a map of strings serialises");
    Ok(Some(SourceFile::new(format!("the params of rack {name}"), text)))
}

/// The params that say something about the rack: not at their default (or blank, for a param
/// without one), unless convoxc changed that default; and none that only the rack itself uses
/// (convox's API and builder, what convoxc does otherwise). A param the table does not know is kept.
pub(crate) fn significant(params: BTreeMap<String, String>) -> BTreeMap<String, String> {
    params
        .into_iter()
        .filter(|(k, v)| {
            SECURE_DEFAULTS.iter().any(|(n, ..)| n == k)
                || spec(k).is_none_or(|s| s.default.unwrap_or("") != v.as_str())
        })
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()) && !DIFFERENT.iter().any(|(n, _)| n == k))
        .collect()
}

/// A deployed rack's params by name, and whether convoxc made it: a convoxc rack keeps them in
/// its template's `Metadata.convoxc.RackParams`, a convox rack as its stack parameters (NoEcho
/// ones, shown as `****`, left out).
pub(crate) async fn deployed_params(c: &Clients, rack: &Stack) -> Result<(BTreeMap<String, String>, bool)> {
    let name = rack.stack_name().unwrap_or_default();
    let body = deployed_template(c, name).await?;
    let template: Option<Value> = template_text::read(name, &body).ok();
    let convoxc = template.as_ref().and_then(|t| t.pointer("/Metadata/convoxc")).is_some();
    let params: BTreeMap<String, String> = match template
        .as_ref()
        .and_then(|t| t.pointer("/Metadata/convoxc/RackParams"))
    {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => rack
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.to_string(), p.parameter_value()?.to_string())))
            .filter(|(k, v)| v != "****" && spec(k).is_some_and(|s| !s.no_echo))
            .collect(),
    };
    Ok((params, convoxc))
}

/// The rack's own KMS key (its ARN), which SecureStrings of its apps and resources are encrypted
/// with: a convoxc rack's `CustomerManagedKey` output, the key its `CMKPolicy` (on every app
/// role) lets the apps use. None for a rack that convox made: convoxc does not know that its
/// `CMKPolicy` covers that key, so its values stay under `aws/ssm`.
pub(crate) fn secrets_key(s: &Stack) -> Option<String> {
    if rack(s).is_none_or(|(.., kind)| kind != "convoxc") {
        return None;
    }
    s.outputs()
        .iter()
        .find(|o| o.output_key() == Some("CustomerManagedKey"))
        .and_then(|o| o.output_value())
        .map(str::to_string)
}

/// One rack: (name, status, kind). A convox rack is a stack with the rack template's own
/// parameters (`Version`, `InstanceType`), which no app or resource stack has (a convoxc rack
/// compiles its params in); a convoxc rack is one `convoxc rack apply` deployed (tags
/// `System=convox`, `Type=rack`) or whose template convoxc compiled (its description says so).
fn rack(s: &Stack) -> Option<(String, String, &'static str)> {
    let name = s.stack_name()?.to_string();
    let status = s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default();
    let has = |k: &str| s.parameters().iter().any(|p| p.parameter_key() == Some(k));
    let tag = |k: &str, v: &str| s.tags().iter().any(|t| t.key() == Some(k) && t.value() == Some(v));
    let kind = if has("Version") && has("InstanceType") {
        "convox"
    } else if (tag("System", "convox") && tag("Type", "rack"))
        || s.description().is_some_and(|d| d.contains("(compiled by convoxc)"))
    {
        "convoxc"
    } else {
        return None;
    };
    Some((name, status, kind))
}

/// The racks in the account and region: (name, status, kind), sorted.
pub(crate) async fn racks(c: &Clients) -> Result<Vec<(String, String, &'static str)>> {
    let mut racks = Vec::new();
    let mut pages = c.cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("listing the stacks", &e))?;
        racks.extend(page.stacks().iter().filter_map(rack));
    }
    racks.sort();
    Ok(racks)
}

/// The rack's stack, or an error that names the racks there are.
pub(crate) async fn rack_stack(c: &Clients, rack: &str) -> Result<Stack> {
    match describe_stack(c, rack).await? {
        Some(s)
            if matches!(
                stack::preflight(s.stack_status().map(|x| x.as_str())),
                Preflight::RollbackComplete | Preflight::Review
            ) =>
        {
            err(format!(
                "rack {rack} was never created successfully ({}): apply the rack first",
                s.stack_status().map(|x| x.as_str()).unwrap_or("")
            ))
        }
        Some(s) if stack::preflight(s.stack_status().map(|x| x.as_str())) != Preflight::Absent => Ok(s),
        _ => {
            let names: Vec<String> = racks(c).await?.into_iter().map(|(n, ..)| n).collect();
            let hint = match suggest(rack, names.iter().map(String::as_str)) {
                Some(s) => format!(" (did you mean {s}?)"),
                None => String::new(),
            };
            let there = if names.is_empty() {
                format!("there are no racks in {}", c.region)
            } else {
                format!("the racks in {} are {}", c.region, names.join(", "))
            };
            err(format!(
                "rack {rack} not found{hint}: there is no CloudFormation stack named {rack} in {}; {there} \
                 (check --rack, --region and --profile)",
                c.region
            ))
        }
    }
}
