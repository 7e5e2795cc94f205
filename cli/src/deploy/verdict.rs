//! CloudFormation's own verdict on a deploy, without deploying: upload the templates, create a
//! change set (nested stacks included), read it and every nested change set, and delete it, also
//! when the user presses Ctrl-C or something fails on the way. `diff --change-set` merges what it
//! says into the report.

use crate::aws::changeset::{self, Change, Request};
use crate::aws::clients::{Clients, Error, Result};
use crate::aws::secrets;
use crate::aws::upload;
use crate::deploy::plan::{Compiled, Password, StackInput};
use crate::deploy::stack::ParamValue;
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, Tag};
use convoxc_compiler::back::Template;
use tokio::signal::unix::{SignalKind, signal};

/// The changes CloudFormation computes for deploying `compiled` over the existing stack.
pub(crate) async fn changes(c: &Clients, compiled: &Compiled, input: &StackInput) -> Result<Vec<Change>> {
    let stack = compiled.stack_name.as_str();
    // Ctrl-C is watched from here on, so that nothing made below is left behind
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Error(format!("cannot watch for Ctrl-C: {e}")))?;
    let bundle = &compiled.bundle;
    let mut all: Vec<&Template> = bundle.nested().map(|(_, t)| t).collect();
    all.push(&bundle.app);
    upload::upload(c, &compiled.bucket, &all).await?;
    let mut parameters: Vec<Parameter> = input.params.iter().map(|(k, v)| parameter(k, v)).collect();
    match &input.password {
        Some(Password::Stored(p)) => parameters.push(parameter("ResourcePassword", &ParamValue::Secret(p.clone()))),
        Some(Password::KeepDeployed) => parameters.push(parameter("ResourcePassword", &ParamValue::UsePrevious)),
        Some(Password::Generate) => {
            // never executed, never stored: a stand-in for the one an apply would generate
            let p = secrets::random_password().map_err(|e| Error(format!("cannot generate a password: {e}")))?;
            parameters.push(parameter("ResourcePassword", &ParamValue::Secret(p)));
        }
        None => {}
    }
    let tags: Vec<Tag> = input
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let request = Request {
        stack,
        kind: ChangeSetType::Update,
        template_url: Some(upload::url(&compiled.bucket, &c.region, &bundle.app.key())),
        template_body: None,
        parameters,
        tags,
        description: "convoxc diff (deleted once read)",
    };
    let name = changeset::new_name();
    const INTERRUPTED: &str = "interrupted: the change set was deleted; nothing was changed";
    let id = changeset::start_watched(c, request, &name, &mut interrupt, INTERRUPTED).await?;
    let read = tokio::select! {
        r = changeset::wait_and_read(c, &id, stack) => r,
        _ = interrupt.recv() => Err(Error(INTERRUPTED.into())),
    };
    changeset::delete(c, &id).await;
    Ok(read?.changes)
}

fn parameter(key: &str, v: &ParamValue) -> Parameter {
    let p = Parameter::builder().parameter_key(key);
    match v {
        ParamValue::Plain(s) | ParamValue::Secret(s) => p.parameter_value(s),
        ParamValue::UsePrevious => p.use_previous_value(true),
    }
    .build()
}
