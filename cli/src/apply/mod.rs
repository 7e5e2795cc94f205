//! The applier: `convoxc apply` (an app) and `convoxc rack apply` (the rack). Both go the same
//! way: settle the stack's state, upload templates, skip a deploy that changes nothing, create a
//! change set and print it, ask, execute, and follow the stack to a verdict.
//!
//! `aws` (clients, retries, errors), `secrets` (SSM), `upload` (S3), `changeset` (create, read,
//! predict, print), `events` (follow), `stack` (pure decisions, unit-tested on recorded responses).
//! `consent` (`--yes`, `--no-execute`, asking), `settle` (a stack's state before a deploy), `flow`
//! (upload, change set, execute, follow), `lookup` (describing a stack, its deployed template),
//! `rack_stack` (the rack an app goes to, the racks there are), `rack_deploy` (the rack stack through
//! the flow), `apps` and `rack_resources` (a rack's app and resource stacks), `resource_deploy` (a rack
//! resource through the flow), `remove` (deleting a stack after saying what it keeps), `staged`
//! (environment changes waiting for the next apply), `runtime` (an applier command to an exit
//! code), `say` (what goes to stdout: text, or JSON lines for CI).

pub(crate) mod apps;
pub(crate) mod aws;
pub(crate) mod changeset;
pub(crate) mod consent;
pub(crate) mod deployed;
mod events;
pub(crate) mod flow;
pub(crate) mod lookup;
pub(crate) mod plan;
pub(crate) mod preview;
pub(crate) mod rack_deploy;
pub(crate) mod rack_resources;
pub(crate) mod rack_stack;
pub(crate) mod remove;
pub(crate) mod resource_deploy;
pub(crate) mod runtime;
pub(crate) mod say;
pub(crate) mod secrets;
pub(crate) mod settle;
pub(crate) mod stack;
pub(crate) mod staged;
pub(crate) mod upload;
pub(crate) mod verdict;
