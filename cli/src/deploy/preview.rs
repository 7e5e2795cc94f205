//! What an apply will do, printed before it asks: the deployed stacks (root and nested) against the
//! ones it deploys, through the same engine as `convoxc diff`, with the change set's own verdicts
//! in place of predictions where it gives them.

use crate::aws::changeset::{self, Change};
use crate::aws::clients::{Clients, Result};
use crate::deploy::deployed;
use crate::deploy::stack::ParamValue;
use convoxc_compiler::back::{Bundle, Template};
use convoxc_compiler::diff::{self, Report, Stack, side};
use serde_json::Value;
use std::collections::BTreeMap;

/// The new side of a deploy: the bundle (or a lone template, the rack's), with the parameter
/// values and tags it is deployed with (a kept value is the deployed one; secrets are left out).
pub(crate) fn new_side(
    root: &Template,
    bundle: Option<&Bundle>,
    params: &BTreeMap<String, ParamValue>,
    tags: &BTreeMap<String, String>,
    old: Option<&Stack>,
) -> Stack {
    let mut new = match bundle {
        Some(b) => side::from_bundle(b),
        None => Stack {
            template: root.value().clone().into(),
            ..Stack::default()
        },
    };
    for (k, v) in params {
        let value = match v {
            ParamValue::Plain(s) => Value::String(s.clone()),
            ParamValue::UsePrevious => match old.and_then(|o| o.parameters.get(k)) {
                Some(v) => v.clone(),
                None => continue,
            },
            ParamValue::Secret(_) => continue,
        };
        new.parameters.insert(k.clone(), value);
    }
    // the app stack's `Release` is bookkeeping, new on every deploy that changes anything (the
    // record it names is said as its own step), absent from `diff`: not a change the report shows
    if let Some(deployed) = old.and_then(|o| o.parameters.get("Release")) {
        new.parameters.insert("Release".to_string(), deployed.clone());
    }
    new.tags = tags.clone();
    new
}

/// What a deploy is, for its report.
pub(crate) struct Deploy<'a> {
    pub stack: &'a str,
    /// The stack exists (else the deploy creates it).
    pub existing: bool,
    pub root: &'a Template,
    pub bundle: Option<&'a Bundle>,
    pub params: &'a BTreeMap<String, ParamValue>,
    pub tags: &'a BTreeMap<String, String>,
    /// The new side as it is, when it is not the bundle's.
    pub side: Option<&'a Stack>,
}

/// The report of a deploy, with what its change set said.
pub(crate) async fn report(c: &Clients, d: Deploy<'_>, changes: &[Change]) -> Result<Report> {
    let old = if d.existing {
        deployed::read(c, d.stack).await?
    } else {
        None
    };
    if let Some(side) = d.side {
        return Ok(diff::compare_with(old.as_ref(), Some(side), &changeset::said(changes)));
    }
    let mut new = new_side(d.root, d.bundle, d.params, d.tags, old.as_ref());
    if d.bundle.is_none() {
        // a lone stack (the rack, a rack resource) goes by its name, not "app"
        new.label = Some(d.stack.to_string());
    }
    Ok(diff::compare_with(old.as_ref(), Some(&new), &changeset::said(changes)))
}
