//! Reading a stack from CloudFormation: its description, the template it was deployed with.

use crate::aws::clients::{self as aws, Clients, Result, describe};
use aws_sdk_cloudformation::types::Stack;

/// The template body a stack was deployed with.
pub(crate) async fn deployed_template(c: &Clients, stack: &str) -> Result<String> {
    let t = c
        .cfn
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| describe(&format!("reading the template of {stack}"), &e))?;
    Ok(t.template_body().unwrap_or_default().to_string())
}

pub(crate) async fn describe_stack(c: &Clients, name: &str) -> Result<Option<Stack>> {
    match c.cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e) if aws::is_missing_stack(&e) => Ok(None),
        Err(e) => Err(describe(&format!("reading stack {name}"), &e)),
    }
}

/// A stack's tag by key.
pub(crate) fn tag<'a>(s: &'a Stack, key: &str) -> Option<&'a str> {
    s.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

/// The name of a stack of the rack's with this `Type` tag (an app, a resource): its `Name` tag,
/// else its stack name less `<rack>-`.
pub(crate) fn rack_member(rack: &str, s: &Stack, kind: &str) -> Option<String> {
    if tag(s, "Type") != Some(kind) || tag(s, "Rack") != Some(rack) {
        return None;
    }
    tag(s, "Name")
        .map(str::to_string)
        .or_else(|| s.stack_name()?.strip_prefix(&format!("{rack}-")).map(str::to_string))
}

/// A stack's output by key.
pub(crate) fn output<'a>(s: &'a Stack, key: &str) -> Option<&'a str> {
    s.outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
}
