//! An app through the flow, for `apply` and `deploy`: the environment values it stores after
//! consent, the app stack's parameters (its `Build`, the resource password), then `flow::deploy`.

use crate::aws::clients::{Clients, Error, Result};
use crate::aws::secrets;
use crate::deploy::consent::Flags;
use crate::deploy::flow::{Deployment, deploy};
use crate::deploy::plan::{self, Compiled, Password};
use crate::deploy::release;
use crate::deploy::stack::ParamValue;
use aws_sdk_cloudformation::types::Stack;
use convoxc_compiler::back::Template;
use convoxc_compiler::ir::naming::env_parameter_path;

/// One app deploy.
pub(crate) struct AppDeploy<'a> {
    pub rack: &'a str,
    pub app: &'a str,
    pub compiled: &'a Compiled,
    /// The app stack's `Build` (None: the deployed one).
    pub build: Option<&'a str>,
    pub flags: &'a Flags,
    /// The user consented already (to the whole plan of a first deploy): only a change that
    /// destroys data is asked about again.
    pub consented: bool,
}

/// Deploy the compiled app onto `existing` (None: create the stack).
pub(crate) async fn deploy_app(c: &Clients, d: AppDeploy<'_>, existing: Option<Stack>) -> Result<()> {
    let (rack, app, compiled) = (d.rack, d.app, d.compiled);
    // nothing is stored before the user consents: the values go to SSM right before the change
    // set runs (and are shown in the report as names only)
    let environment = plan::env_changes(compiled);
    let mut pending = secrets::Pending {
        rack: rack.to_string(),
        app: app.to_string(),
        env: environment
            .iter()
            .filter_map(|e| Some((e.name.clone(), compiled.given.get(&e.name)?.clone())))
            .collect(),
        remove: compiled.removed.iter().cloned().collect(),
        staged: compiled.staged.clone(),
        password: None,
        key: compiled.key.clone(),
    };
    let plan::StackInput {
        mut params,
        password,
        tags,
    } = plan::parameters(compiled, rack, app, existing.as_ref(), d.build)?;
    if let Some(password) = password {
        let value = match password {
            Password::Stored(p) => ParamValue::Secret(p),
            Password::KeepDeployed => {
                eprintln!(
                    "warning: the resource password is not in SSM ({}); keeping the deployed one",
                    env_parameter_path(rack, app, secrets::RESOURCE_PASSWORD)
                );
                ParamValue::UsePrevious
            }
            Password::Generate => {
                // stored (if no other apply stored one meanwhile) once the user consents
                let p = secrets::random_password().map_err(|e| Error(format!("cannot generate a password: {e}")))?;
                pending.password = Some((env_parameter_path(rack, app, secrets::RESOURCE_PASSWORD), p.clone()));
                ParamValue::Secret(p)
            }
        };
        params.insert("ResourcePassword".into(), value);
    }
    // the app stack's `Release` output names the release this deploy records (a template
    // compiled before releases has no such parameter)
    let id = crate::aws::releases::new_id();
    if compiled.bundle.app.value().pointer("/Parameters/Release").is_some() {
        params.insert("Release".into(), ParamValue::Plain(id.clone()));
    }
    let images = crate::images::resolve::wanted(compiled, d.build, existing.as_ref());
    let draft = release::draft(c, (rack, app, &id), compiled, &params, existing.as_ref(), &images).await;
    let bundle = &compiled.bundle;
    let nested: Vec<&Template> = bundle.nested().map(|(_, t)| t).collect();
    deploy(
        c,
        Deployment {
            stack: &compiled.stack_name,
            root: &bundle.app,
            nested,
            bucket: Some(compiled.bucket.clone()),
            params,
            tags,
            flags: d.flags,
            pending,
            environment,
            consented: d.consented,
            app: Some(app.to_string()),
            part: false,
            side: None,
            release: Some(draft),
        },
        existing,
        Some(bundle),
    )
    .await
}
