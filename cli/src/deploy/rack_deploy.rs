//! Deploying the rack stack, for `rack apply` and `rack params set`: the deployed rack keeps
//! what a default convoxc made safer would change, a new one is said before it is made, a big
//! template goes through the settings bucket, then the change-set flow (`flow.rs`).

use crate::aws::clients::{AwsArgs, Clients, Error, Result, err};
use crate::aws::lookup::output;
use crate::aws::rack_stack;
use crate::deploy::consent::Flags;
use crate::deploy::flow::{Deployment, deploy};
use crate::deploy::say;
use crate::deploy::settle::settle;
use crate::deploy::stack::ParamValue;
use convoxc_compiler::back;
use convoxc_compiler::back::Template;
use convoxc_compiler::ir::RackParams;
use std::collections::BTreeMap;

/// Where and how the rack is deployed.
pub(crate) struct RackDeploy {
    pub name: String,
    /// Where a template too big to send inline goes when the rack has no settings bucket yet.
    pub template_bucket: Option<String>,
    pub flags: Flags,
    pub aws: AwsArgs,
}

/// What is deployed as the rack: compiled from its params, or a template given as is.
pub(crate) enum Rack {
    Compiled(RackParams),
    Given(Template),
}

/// `rack apply` (and `rack params set`): deploy the rack stack through the change-set flow.
pub(crate) async fn deploy_rack(args: RackDeploy, rack: Rack, params: BTreeMap<String, ParamValue>) -> Result<()> {
    let c = Clients::connect(&args.aws).await?;
    let existing = settle(&c, args.name.as_str(), &args.flags).await?;
    let template = match rack {
        Rack::Given(t) => t,
        Rack::Compiled(mut params) => {
            if let Some(s) = &existing {
                // a default convoxc made safer never changes a rack that exists: it keeps what it has
                let (deployed, _) = rack_stack::deployed_params(&c, s).await?;
                for (name, kept, ours, why) in params.keep_deployed(&deployed) {
                    eprintln!(
                        "warning: rack {}: keeps {name}={kept} (a new rack gets {ours}: {why}); set {name} in the rack params to change it",
                        args.name.as_str()
                    );
                }
            }
            back::rack::build(args.name.as_str(), &params).map_err(|e| Error(e.to_string()))?
        }
    };
    if existing.is_none() {
        // a rack is a VPC, a cluster, load balancers…: creating one is never a side effect of a
        // wrong region or profile that goes unsaid
        say::note(format!(
            "creating rack {} in {}: there is no stack {} there yet (if you meant an existing rack, check \
             --region and --profile)",
            args.name.as_str(),
            c.region,
            args.name.as_str()
        ));
    }
    let mut bucket = args.template_bucket.clone();
    if bucket.is_none() && template.text.len() > INLINE_LIMIT {
        bucket = existing
            .as_ref()
            .and_then(|s| output(s, "SettingsBucket").map(str::to_string));
        if bucket.is_none() {
            return err(format!(
                "the rack template is {} bytes, more than CloudFormation takes inline ({INLINE_LIMIT}); give --template-bucket BUCKET",
                template.text.len()
            ));
        }
    }
    let tags = [("Rack", args.name.as_str()), ("System", "convox"), ("Type", "rack")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    deploy(
        &c,
        Deployment {
            stack: args.name.as_str(),
            root: &template,
            nested: Vec::new(),
            bucket,
            params,
            tags,
            flags: &args.flags,
            pending: Default::default(),
            environment: Vec::new(),
            consented: false,
            app: None,
            part: false,
            side: None,
            release: None,
        },
        existing,
        None,
    )
    .await
}

const INLINE_LIMIT: usize = 51_200;
