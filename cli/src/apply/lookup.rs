//! Reading a stack from CloudFormation: its description, the template it was deployed with.

use super::aws::{self, Clients, Result, describe};
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

/// A stack's output by key.
pub(crate) fn output<'a>(s: &'a Stack, key: &str) -> Option<&'a str> {
    s.outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
}
