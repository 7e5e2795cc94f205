//! An app's ECS side as deployed: its units (each service's and timer's nested stack, with the
//! ECS service and task definition in it), the rack's cluster, the app's tasks, and the calls
//! that act on them (RunTask, StopTask, a new deployment). What a task is and how it ended are
//! pure functions over DescribeTasks' answer (`kind`, `ending`), tested on recorded shapes.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::{describe_stack, output};
use crate::aws::rack_stack::rack_stack;
use aws_sdk_ecs::types::{Service, Task, TaskDefinition};
use std::collections::BTreeMap;

/// What started a task: its service's scheduler, a timer's rule, or a one-off (`run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Service,
    Timer,
    Run,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Timer => "timer",
            Kind::Run => "run",
        }
    }
}

/// `startedBy` of the tasks `convoxc run` starts (ECS: up to 128 letters, digits, `-`, `_`).
pub(crate) const STARTED_BY: &str = "convoxc-run";

/// A service or timer of the app, as deployed.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    /// Service or Timer.
    pub kind: Kind,
    pub name: String,
    /// The nested stack's name.
    pub stack: String,
    /// The ECS service's ARN (services only).
    pub service: Option<String>,
    /// The task definition's ARN.
    pub task_definition: Option<String>,
}

impl Unit {
    /// The task definition's family (`<stack>-service-<name>`), which every task of it carries.
    pub(crate) fn family(&self) -> Option<&str> {
        self.task_definition.as_deref().map(family)
    }
}

/// The family of a task definition ARN (`…:task-definition/<family>:<revision>`).
pub(crate) fn family(arn: &str) -> &str {
    let tail = arn.rsplit('/').next().unwrap_or(arn);
    tail.rsplit_once(':').map_or(tail, |(f, _)| f)
}

/// The app's services and timers, from its stack's nested stacks (a large app's groups too),
/// in name order.
pub(crate) async fn units(c: &Clients, app_stack: &str) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    let mut queue = vec![app_stack.to_string()];
    while let Some(stack) = queue.pop() {
        let resources = c
            .cfn
            .describe_stack_resources()
            .stack_name(&stack)
            .send()
            .await
            .map_err(|e| describe(&format!("listing the resources of {stack}"), &e))?;
        for r in resources.stack_resources() {
            if r.resource_type() != Some("AWS::CloudFormation::Stack") {
                continue;
            }
            let Some(id) = r.physical_resource_id().filter(|p| !p.is_empty()) else {
                continue;
            };
            let Some(nested) = describe_stack(c, id).await? else {
                continue;
            };
            let words: Vec<&str> = nested.description().unwrap_or_default().split(' ').collect();
            let kind = match words.as_slice() {
                ["convox", "service", ..] => Kind::Service,
                ["convox", "timer", ..] => Kind::Timer,
                // a large app's group of services (`ServiceGroup<n>`: "convox app <app>: services …")
                ["convox", "app", _, "services", ..] => {
                    queue.push(id.to_string());
                    continue;
                }
                _ => continue,
            };
            let name = nested.stack_name().unwrap_or_default().to_string();
            let inner = c
                .cfn
                .describe_stack_resources()
                .stack_name(id)
                .send()
                .await
                .map_err(|e| describe(&format!("listing the resources of {name}"), &e))?;
            let physical = |logical: &str| {
                inner
                    .stack_resources()
                    .iter()
                    .find(|x| x.logical_resource_id() == Some(logical))
                    .and_then(|x| x.physical_resource_id())
                    .map(str::to_string)
            };
            out.push(Unit {
                kind,
                name: words.get(2).unwrap_or(&"").to_string(),
                stack: name,
                service: if kind == Kind::Service {
                    physical("Service")
                } else {
                    None
                },
                task_definition: physical(if kind == Kind::Service {
                    "Tasks"
                } else {
                    "TaskDefinition"
                }),
            });
        }
    }
    out.sort_by(|a, b| (a.kind as u8, &a.name).cmp(&(b.kind as u8, &b.name)));
    Ok(out)
}

/// The service `name` of the app, or an error naming the ones it has.
pub(crate) fn service<'a>(units: &'a [Unit], name: &str, app: &str) -> Result<&'a Unit> {
    let services: Vec<&str> = units
        .iter()
        .filter(|u| u.kind == Kind::Service)
        .map(|u| u.name.as_str())
        .collect();
    if let Some(u) = units.iter().find(|u| u.kind == Kind::Service && u.name == name) {
        return Ok(u);
    }
    let hint = convoxc_compiler::names::suggest(name, services.iter().copied())
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    err(format!(
        "app {app} has no service {name}{hint}: its services are {}",
        if services.is_empty() {
            "none".to_string()
        } else {
            services.join(", ")
        }
    ))
}

/// The rack's ECS cluster (its stack's `Cluster` output).
pub(crate) async fn cluster(c: &Clients, rack: &str) -> Result<String> {
    let s = rack_stack(c, rack).await?;
    match output(&s, "Cluster") {
        Some(cl) if !cl.is_empty() => Ok(cl.to_string()),
        _ => err(format!("rack {rack} has no Cluster output: is it a convox rack?")),
    }
}

/// The ECS services (by ARN), described, in the order asked (10 a call, ECS's limit).
pub(crate) async fn describe_services(c: &Clients, cluster: &str, arns: &[String]) -> Result<Vec<Service>> {
    let mut out = Vec::new();
    for chunk in arns.chunks(10) {
        let r = c
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| describe("describing the app's ECS services", &e))?;
        out.extend(r.services().iter().cloned());
    }
    Ok(out)
}

/// Tasks by ARN or ID, described (100 a call, ECS's limit).
pub(crate) async fn describe_tasks(c: &Clients, cluster: &str, ids: &[String]) -> Result<Vec<Task>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(100) {
        let r = c
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| describe("describing tasks", &e))?;
        out.extend(r.tasks().iter().cloned());
    }
    Ok(out)
}

/// The app's running (and pending) tasks, with the unit each belongs to: every task of the
/// units' task definition families, older revisions included.
pub(crate) async fn app_tasks<'a>(c: &Clients, cluster: &str, units: &'a [Unit]) -> Result<Vec<(Task, &'a Unit)>> {
    let mut by_family: BTreeMap<&str, &Unit> = BTreeMap::new();
    for u in units {
        if let Some(f) = u.family() {
            by_family.insert(f, u);
        }
    }
    let mut arns = Vec::new();
    for f in by_family.keys() {
        let mut pages = c
            .ecs
            .list_tasks()
            .cluster(cluster)
            .family(*f)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&format!("listing the tasks of {f}"), &e))?;
            arns.extend(page.task_arns().iter().cloned());
        }
    }
    arns.sort();
    arns.dedup();
    let tasks = describe_tasks(c, cluster, &arns).await?;
    let mut out: Vec<(Task, &Unit)> = tasks
        .into_iter()
        .filter_map(|t| {
            let u = *by_family.get(family(t.task_definition_arn()?))?;
            Some((t, u))
        })
        .collect();
    let at = |t: &Task| t.created_at().map(|d| (d.secs(), d.subsec_nanos()));
    out.sort_by(|(a, ua), (b, ub)| (&ua.name, at(a)).cmp(&(&ub.name, at(b))));
    Ok(out)
}

/// What started a task: its service's scheduler (group `service:<name>`), a timer's rule (its
/// unit is a timer, or EventBridge's `events-rule/…`), or anything else: a one-off.
pub(crate) fn kind(group: Option<&str>, started_by: Option<&str>, unit: Kind) -> Kind {
    if unit == Kind::Timer || started_by.is_some_and(|s| s.starts_with("events-rule/")) {
        Kind::Timer
    } else if group.is_some_and(|g| g.starts_with("service:")) && started_by != Some(STARTED_BY) {
        Kind::Service
    } else {
        Kind::Run
    }
}

/// A task's ID (the last part of its ARN).
pub(crate) fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// How a stopped task ended, read from DescribeTasks' answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Its container `container` ran and exited with this code.
    Exited(i32),
    /// It stopped without its container having run (cannot pull the image, cannot place it,
    /// essential container missing…): the reason.
    NeverRan(String),
}

/// The ending of a STOPPED task: the exit code of the container named `container` (the
/// service's), else the reasons ECS gives (`stoppedReason`, the container's `reason`,
/// `stopCode`) — a task whose container has no exit code never ran its command.
pub(crate) fn ending(t: &Task, container: &str) -> Ending {
    let c = t
        .containers()
        .iter()
        .find(|x| x.name() == Some(container))
        .or(t.containers().first());
    if let Some(code) = c.and_then(|c| c.exit_code()) {
        return Ending::Exited(code);
    }
    let mut reasons: Vec<String> = Vec::new();
    if let Some(r) = t.stopped_reason().filter(|r| !r.is_empty()) {
        reasons.push(r.to_string());
    }
    if let Some(r) = c.and_then(|c| c.reason()).filter(|r| !r.is_empty()) {
        reasons.push(r.to_string());
    }
    if let Some(code) = t.stop_code() {
        reasons.push(format!("stop code {}", code.as_str()));
    }
    if reasons.is_empty() {
        reasons.push("ECS gave no reason".into());
    }
    Ending::NeverRan(reasons.join("; "))
}

/// Stop a task (`ps stop`, Ctrl-C during `run`).
pub(crate) async fn stop_task(c: &Clients, cluster: &str, task: &str, reason: &str) -> Result<Task> {
    let r = c
        .ecs
        .stop_task()
        .cluster(cluster)
        .task(task)
        .reason(reason)
        .send()
        .await
        .map_err(|e| describe(&format!("stopping task {task}"), &e))?;
    match r.task() {
        Some(t) => Ok(t.clone()),
        None => err(format!("ECS did not say it stopped task {task}")),
    }
}

/// A new deployment of a service, of the task definition it runs (`restart`): its deployment's ID.
pub(crate) async fn force_deployment(c: &Clients, cluster: &str, service: &str) -> Result<Option<String>> {
    let r = c
        .ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .force_new_deployment(true)
        .send()
        .await
        .map_err(|e| describe(&format!("starting a new deployment of {service}"), &e))?;
    Ok(r.service()
        .and_then(|s| s.deployments().iter().find(|d| d.status() == Some("PRIMARY")))
        .and_then(|d| d.id())
        .map(str::to_string))
}

/// A task definition (ACTIVE or INACTIVE), described.
pub(crate) async fn describe_task_definition(c: &Clients, arn: &str) -> Result<TaskDefinition> {
    let r = c
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| describe(&format!("describing task definition {arn}"), &e))?;
    match r.task_definition() {
        Some(d) => Ok(d.clone()),
        None => err(format!("ECS did not describe task definition {arn}")),
    }
}

/// Register `d` again as a new revision of its family (what ECS lets a task definition carry
/// from one revision to the next: every setting but its ARN, revision, status and who registered
/// it); the new revision's ARN.
pub(crate) async fn register_copy(c: &Clients, d: &TaskDefinition) -> Result<String> {
    let family = d.family().unwrap_or_default();
    let r = c
        .ecs
        .register_task_definition()
        .family(family)
        .set_task_role_arn(d.task_role_arn().map(str::to_string))
        .set_execution_role_arn(d.execution_role_arn().map(str::to_string))
        .set_network_mode(d.network_mode().cloned())
        .set_container_definitions(Some(d.container_definitions().to_vec()))
        .set_volumes(Some(d.volumes().to_vec()))
        .set_placement_constraints(Some(d.placement_constraints().to_vec()))
        .set_requires_compatibilities(Some(d.requires_compatibilities().to_vec()))
        .set_cpu(d.cpu().map(str::to_string))
        .set_memory(d.memory().map(str::to_string))
        .set_pid_mode(d.pid_mode().cloned())
        .set_ipc_mode(d.ipc_mode().cloned())
        .set_proxy_configuration(d.proxy_configuration().cloned())
        .set_ephemeral_storage(d.ephemeral_storage().cloned())
        .set_runtime_platform(d.runtime_platform().cloned())
        .send()
        .await
        .map_err(|e| describe(&format!("registering a task definition of {family}"), &e))?;
    match r.task_definition().and_then(|t| t.task_definition_arn()) {
        Some(a) => Ok(a.to_string()),
        None => err(format!(
            "ECS did not say which task definition of {family} it registered"
        )),
    }
}

/// Deregister a revision (it goes INACTIVE: tasks already started from it run on).
pub(crate) async fn deregister(c: &Clients, arn: &str) -> Result<()> {
    c.ecs
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&format!("deregistering task definition {arn}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Container, TaskStopCode};

    #[test]
    fn a_family_is_read_from_a_task_definition_arn() {
        assert_eq!(
            family("arn:aws:ecs:us-east-1:123456789012:task-definition/r-myapp-ServiceWeb-RM3X-service-web:4"),
            "r-myapp-ServiceWeb-RM3X-service-web"
        );
        assert_eq!(
            family("r-myapp-ServiceWeb-RM3X-service-web:4"),
            "r-myapp-ServiceWeb-RM3X-service-web"
        );
        assert_eq!(task_id("arn:aws:ecs:us-east-1:1:task/r-Cluster-X/0a1b2c"), "0a1b2c");
        assert_eq!(task_id("arn:aws:ecs:us-east-1:1:task/0a1b2c"), "0a1b2c");
    }

    #[test]
    fn a_task_is_a_services_a_timers_or_a_one_off() {
        let svc = Some("service:r-myapp-ServiceWeb-X-Service-Y");
        assert_eq!(kind(svc, Some("ecs-svc/123"), Kind::Service), Kind::Service);
        assert_eq!(kind(Some("family:f"), Some(STARTED_BY), Kind::Service), Kind::Run);
        // another tool's one-off (convox's own `run`, the console)
        assert_eq!(kind(Some("family:f"), None, Kind::Service), Kind::Run);
        assert_eq!(
            kind(Some("family:f"), Some("events-rule/r-myapp-Timer"), Kind::Service),
            Kind::Timer
        );
        assert_eq!(kind(Some("family:f"), None, Kind::Timer), Kind::Timer);
    }

    /// DescribeTasks' answer for a task whose command ran and exited 3 (the shape of AWS's
    /// documented `Container.exitCode`; moto always answers 0), and for one stopped before it
    /// started: an image that cannot be pulled (ECS's documented `CannotPullContainerError`,
    /// `stopCode: TaskFailedToStart`, no exit code).
    #[test]
    fn a_stopped_task_ends_with_its_containers_code_or_the_reason_it_never_ran() {
        let exited = Task::builder()
            .last_status("STOPPED")
            .stopped_reason("Essential container in task exited")
            .containers(Container::builder().name("sidecar").exit_code(0).build())
            .containers(Container::builder().name("web").exit_code(3).build())
            .build();
        assert_eq!(ending(&exited, "web"), Ending::Exited(3));
        let never = Task::builder()
            .last_status("STOPPED")
            .stop_code(TaskStopCode::TaskFailedToStart)
            .stopped_reason("CannotPullContainerError: pull image manifest has been retried 5 time(s)")
            .containers(
                Container::builder()
                    .name("web")
                    .reason("CannotPullContainerError: ref not found")
                    .build(),
            )
            .build();
        let Ending::NeverRan(why) = ending(&never, "web") else {
            panic!("a task without an exit code never ran")
        };
        assert!(why.starts_with("CannotPullContainerError: pull image"), "{why}");
        assert!(
            why.contains("ref not found") && why.ends_with("stop code TaskFailedToStart"),
            "{why}"
        );
        let silent = Task::builder().last_status("STOPPED").build();
        assert_eq!(ending(&silent, "web"), Ending::NeverRan("ECS gave no reason".into()));
    }
}
