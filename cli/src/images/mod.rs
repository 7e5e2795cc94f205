//! How an app's images get from source into its registry (`deploy`, `images`): which images a
//! deploy builds and their build IDs (`plan`), the digest of what a build is sent (`context`,
//! with `ignore` and `dockerfile`), a docker-compatible engine that builds, tags and pushes
//! (`engine`, with `login`: the registry credentials in a temporary engine configuration), the
//! registry v2 API that ECR speaks (`registry`), building and pushing what the registry lacks
//! (`publish`), and which build each service runs, checked to be there (`resolve`).

pub(crate) mod context;
mod dockerfile;
pub(crate) mod engine;
mod ignore;
pub(crate) mod login;
pub(crate) mod plan;
pub(crate) mod publish;
pub(crate) mod registry;
pub(crate) mod resolve;
#[cfg(test)]
mod testing;
