//! What the back end is told besides the IR.

use serde_json::Value;

/// What `convoxc build` is told besides the manifest.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The app name (the stack is `<rack>-<app>`); used in host names and rule priorities.
    pub app: String,
    /// The rack stack name, when known: becomes the default of the `Rack` parameter.
    pub rack: Option<String>,
    /// Names of the environment variables that have a value at deploy time (never the values):
    /// with the required ones, they reach containers as ECS secrets read from SSM parameters.
    pub env_names: std::collections::BTreeSet<String>,
    /// The SSM parameter version each of those values will have once deployed, when the applier
    /// knows them (`apply`, `diff --rack`): a service then gets `CONVOXC_ENV_REVISION`, a digest of
    /// the versions of the values it reads, so that a changed value makes a new task definition
    /// and reaches the containers through the deploy (ECS reads SSM only when a task starts).
    pub env_versions: std::collections::BTreeMap<String, i64>,
    /// Deployed values to keep (`convoxc build --deployed`, `apply`, `diff --rack`): a resource
    /// that exists keeps what it has where convoxc's template would replace it.
    pub keep: Vec<Keep>,
    /// The build each service runs, by service name (`convoxc deploy`, `apply`): its image is
    /// `<service>.<build>` in the app's registry, and its stack (and its timers') gets that build
    /// as its `Build` instead of the app stack's, so a service whose image did not change keeps
    /// its task definition. A service without an entry runs the app stack's `Build`.
    pub builds: std::collections::BTreeMap<String, String>,
}

/// A deployed value a resource keeps: in the stack at `stack` (the nested-stack logical IDs from
/// the root), the resource `resource`'s value at `pointer` (`/Properties/ValidationMethod`) is
/// `value`, or absent when None.
#[derive(Clone, Debug, PartialEq)]
pub struct Keep {
    pub stack: Vec<String>,
    pub resource: String,
    pub pointer: String,
    pub value: Option<Value>,
}
