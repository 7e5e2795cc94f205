//! Operating a running app (`ps`, `run`, `restart`, `scale`, `exec`): what the commands share is
//! `Live`, the deployed app seen from ECS (its stack, the rack's cluster, its services' and
//! timers' units); each command's work is its own module. The ECS calls are `aws/ecs.rs`; the
//! change set `scale` makes goes through the deploy flow (`deploy/flow.rs`).

pub(crate) mod exec;
pub(crate) mod ps;
pub(crate) mod restart;
pub(crate) mod run;
pub(crate) mod scale;

use crate::aws::apps;
use crate::aws::clients::{AwsArgs, Clients, Result, err};
use crate::aws::ecs::{self, Unit};
use aws_sdk_cloudformation::types::Stack;

/// A deployed app, as the operating commands see it.
pub(crate) struct Live {
    pub c: Clients,
    pub rack: String,
    pub app: String,
    /// The app stack.
    pub stack: Stack,
    /// The rack's ECS cluster.
    pub cluster: String,
    /// Its services and timers, as deployed.
    pub units: Vec<Unit>,
}

impl Live {
    /// Connect and read the app: an error naming the rack's apps when it has no such app.
    pub(crate) async fn open(aws: &AwsArgs, rack: &str, app: &str) -> Result<Live> {
        let c = Clients::connect(aws).await?;
        let cluster = ecs::cluster(&c, rack).await?;
        let all = apps::list(&c, rack).await?;
        let Some(a) = all.iter().find(|a| a.name == app) else {
            return err(apps::missing(rack, app, &all));
        };
        let stack = a.stack.clone();
        let id = stack.stack_id().or(stack.stack_name()).unwrap_or_default().to_string();
        let units = ecs::units(&c, &id).await?;
        Ok(Live {
            c,
            rack: rack.to_string(),
            app: app.to_string(),
            stack,
            cluster,
            units,
        })
    }

    /// The service `name`, or an error naming the app's services.
    pub(crate) fn service(&self, name: &str) -> Result<&Unit> {
        ecs::service(&self.units, name, &self.app)
    }

    pub(crate) fn stack_name(&self) -> &str {
        self.stack.stack_name().unwrap_or_default()
    }
}
