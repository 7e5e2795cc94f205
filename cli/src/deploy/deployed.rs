//! A deployed stack and every nested stack under it, read from CloudFormation as a side of a
//! diff: each one's template, parameter values (NoEcho ones, which come back as `****`, stay
//! unknown) and tags. Reads only.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::describe_stack;
use aws_sdk_cloudformation::types::Stack as CfnStack;
use convoxc_compiler::diff::Stack;
use convoxc_compiler::diff::template_text;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// The stack `name` (a name or an ARN) with its nested stacks, or None when there is none.
pub(crate) async fn read(c: &Clients, name: &str) -> Result<Option<Stack>> {
    let Some(described) = describe_stack(c, name).await? else {
        return Ok(None);
    };
    Ok(Some(read_tree(c, described).await?))
}

fn read_tree<'a>(c: &'a Clients, described: CfnStack) -> Pin<Box<dyn Future<Output = Result<Stack>> + Send + 'a>> {
    Box::pin(async move {
        let id = described
            .stack_id()
            .or(described.stack_name())
            .unwrap_or_default()
            .to_string();
        let body = c
            .cfn
            .get_template()
            .stack_name(&id)
            .send()
            .await
            .map_err(|e| describe(&format!("reading the template of {id}"), &e))?
            .template_body()
            .unwrap_or_default()
            .to_string();
        let template = match template_text::read(&format!("the deployed template of {id}"), &body) {
            Ok(v) => v,
            Err(e) => return err(e),
        };
        // a NoEcho value is never held, whatever the API returns for it
        let no_echo = |k: &str| {
            template
                .pointer(&format!("/Parameters/{k}/NoEcho"))
                .is_some_and(|v| v == &Value::Bool(true) || v == &Value::String("true".into()))
        };
        let parameters: BTreeMap<String, Value> = described
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.to_string(), p.parameter_value()?.to_string())))
            .filter(|(k, v)| v != "****" && !no_echo(k))
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let tags = described
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect();
        let mut nested = BTreeMap::new();
        let mut pages = c.cfn.list_stack_resources().stack_name(&id).into_paginator().send();
        let mut children = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&format!("listing the resources of {id}"), &e))?;
            for r in page.stack_resource_summaries() {
                if r.resource_type() == Some("AWS::CloudFormation::Stack")
                    && let (Some(logical), Some(physical)) = (r.logical_resource_id(), r.physical_resource_id())
                {
                    children.push((logical.to_string(), physical.to_string()));
                }
            }
        }
        for (logical, physical) in children {
            if let Some(child) = describe_stack(c, &physical).await? {
                nested.insert(logical, read_tree(c, child).await?);
            }
        }
        Ok(Stack {
            template: template.into(),
            parameters,
            tags,
            nested,
            label: None,
            // a deployed body's text is not the one that was built: compared by value
            digest: None,
        })
    })
}
