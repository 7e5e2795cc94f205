//! The AWS side's clients and what they read and write, without a flow: `clients` (config,
//! credentials, retries, errors), `lookup` (a stack, its template, an output, a tag), `rack_stack`
//! (the rack an app goes to, the racks there are), `apps` and `rack_resources` (a rack's app and
//! resource stacks), `changeset` (create, read, delete), `upload` (templates to S3, by content),
//! `secrets` (SSM values and the generated resource password), `staged` (environment changes
//! waiting for the next deploy), `builds` and `releases` (the records of what was pushed and
//! deployed), `logs` (a log group's events, read), `ecs` (an app's services, timers and tasks;
//! RunTask, StopTask, a new deployment).

pub(crate) mod apps;
pub(crate) mod builds;
pub(crate) mod changeset;
pub(crate) mod clients;
pub(crate) mod ecr;
pub(crate) mod ecs;
pub(crate) mod logs;
pub(crate) mod lookup;
pub(crate) mod rack_resources;
pub(crate) mod rack_stack;
pub(crate) mod records;
pub(crate) mod releases;
pub(crate) mod secrets;
pub(crate) mod staged;
pub(crate) mod upload;
