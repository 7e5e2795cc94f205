//! The deploy flow, shared by every command that changes a stack: plan (`plan`: what an app's
//! deploy would be, read-only) → report (`preview`, `deployed`) → consent (`consent`) → change set
//! (`settle`: the stack's state first; `flow`: upload, no-op check, change set, execute) → follow
//! (`follow`: the loop and the deploy wait, over `events` (CloudFormation's), `ecs` (each service's
//! rollout, events, stopped tasks and their logs) and `certs` (a certificate's DNS records)) → verdict (`stack`: pure decisions over recorded responses; `say`: text or JSON
//! lines). What it deploys: `app` (an app, for `apply` and `deploy`), `rack_deploy` (the rack),
//! `resource_deploy` (a rack resource), `remove` (deleting a stack after saying what it keeps),
//! `verdict` (`diff --change-set`), `cancel` (`apps cancel`), `release` (the release record a deploy
//! writes), `rollback` (`releases rollback`/`promote`: an earlier release deployed again). `tail` prints a log group (`logs`, `rack logs`). `runtime` turns a command's result into an exit code.

pub(crate) mod app;
pub(crate) mod cancel;
pub(crate) mod certs;
pub(crate) mod consent;
pub(crate) mod deployed;
pub(crate) mod ecs;
pub(crate) mod events;
pub(crate) mod flow;
pub(crate) mod follow;
pub(crate) mod plan;
pub(crate) mod preview;
pub(crate) mod rack_deploy;
pub(crate) mod release;
pub(crate) mod remove;
pub(crate) mod resource_deploy;
pub(crate) mod rollback;
pub(crate) mod runtime;
pub(crate) mod say;
pub(crate) mod settle;
pub(crate) mod ship;
pub(crate) mod stack;
pub(crate) mod tail;
pub(crate) mod verdict;
