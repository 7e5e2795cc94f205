//! What the back end is told besides the IR.

/// What `convoxc build` is told besides the manifest.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The app name (the stack is `<rack>-<app>`); used in host names and rule priorities.
    pub app: String,
    /// The rack stack name, when known: becomes the default of the `Rack` parameter.
    pub rack: Option<String>,
    /// Names of the environment variables that have a value at deploy time (never the values):
    /// with the required ones, they reach containers as ECS secrets read from SSM parameters.
    pub env_names: std::collections::BTreeSet<String>,
}
