//! What ECS says while a deploy creates or updates services, followed beside the stack events:
//! each service's rollout (desired / running / pending / failed tasks of its primary deployment),
//! its new service events ("unable to place a task", "failed … health checks", "is unable to
//! consistently start tasks"), and every task that stopped during the deploy, with its stopped
//! reason, each container's exit code and reason, and the last lines of that container's log.
//! The verdict of a failed deploy names the first cause found here ([`Watch::cause`]).
//!
//! The logic works on plain views of ECS's answers ([`ServiceView`], [`TaskView`]), which
//! deserialize from the API's JSON as documented, so that the unit tests run on answers of the
//! documented shape; [`Watch::poll`] makes the calls.
//!
//! Throttle-safe: only the services whose stack resource is being created or updated are asked
//! about, in batches of 10 (DescribeServices' limit) and at most [`MAX_ECS_CALLS`] calls a poll
//! (round robin beyond that); stopped tasks are listed only when a deployment's failed-task count
//! grows (or once, for the verdict, when the deploy failed); a log is read once per stopped task,
//! at most [`MAX_LOG_READS`] a poll. ECS's and CloudWatch Logs' per-account rates ("Request
//! throttling for the Amazon ECS API"; CloudWatch Logs quotas: GetLogEvents) are far above that
//! at a poll every 2 s; the SDK's adaptive retry slows down if another client spends them.

use crate::aws::clients::{Clients, Result, describe};
use crate::deploy::say;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// ECS calls in one poll at most (DescribeServices, ListTasks, DescribeTasks,
/// DescribeTaskDefinition).
pub const MAX_ECS_CALLS: usize = 10;
/// Log reads (GetLogEvents) in one poll at most.
pub const MAX_LOG_READS: usize = 5;
/// Log lines kept for a stopped container (the verdict shows them; a stream line shows the last
/// few).
pub const LOG_LINES: usize = 20;
const LINES_IN_STREAM: usize = 5;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    #[serde(default)]
    pub deployments: Vec<DeploymentView>,
    #[serde(default)]
    pub events: Vec<EventView>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentView {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub desired_count: i32,
    #[serde(default)]
    pub running_count: i32,
    #[serde(default)]
    pub pending_count: i32,
    #[serde(default)]
    pub failed_tasks: i32,
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    #[serde(default)]
    pub id: String,
    /// Seconds since the epoch (the API's JSON timestamps).
    #[serde(default)]
    pub created_at: f64,
    #[serde(default)]
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    #[serde(default)]
    pub task_arn: String,
    pub started_by: Option<String>,
    pub group: Option<String>,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_at: Option<f64>,
    pub created_at: Option<f64>,
    #[serde(default)]
    pub task_definition_arn: String,
    #[serde(default)]
    pub containers: Vec<ContainerView>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerView {
    #[serde(default)]
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// A task that stopped during the deploy, as the user needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stopped {
    pub service: String,
    pub task: String,
    pub at: f64,
    pub reason: String,
    pub containers: Vec<Exit>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exit {
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    /// The last lines of its log (oldest first), when it has one and it was read.
    pub log: Vec<String>,
}

/// The first cause of a failed deploy that ECS knows.
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    pub service: String,
    pub text: String,
    pub task: Option<String>,
    pub container: Option<String>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub log: Vec<String>,
    pub circuit_breaker: bool,
}

impl Cause {
    pub fn json(&self) -> Value {
        json!({
            "service": self.service, "task": self.task, "container": self.container,
            "exit_code": self.exit_code, "reason": self.reason, "log": self.log,
            "circuit_breaker": self.circuit_breaker, "text": self.text,
        })
    }
}

/// One service being followed.
#[derive(Debug, Default)]
struct Followed {
    label: String,
    cluster: String,
    name: String,
    /// The last rollout said, so that only a change is said again.
    rollout: Option<DeploymentView>,
    /// Failed tasks seen so far over its deployments.
    failed: i32,
    /// The IDs of its deployments (a task it started carries one as `startedBy`).
    deployments: HashSet<String>,
    /// Its stopped tasks are to be listed at the next poll.
    list_stopped: bool,
}

/// Service events that say why tasks do not run (the others — "has reached a steady state",
/// "registered 1 targets" — are progress).
const TROUBLE: &[&str] = &[
    "unable to place",
    "failed container health checks",
    "failed elb health checks",
    "health checks",
    "unable to consistently start",
    "was unable to",
    "circuit breaker",
    "rolling back",
    "insufficient",
    "cannotpull",
];

pub struct Watch {
    /// Seconds since the epoch: what happened before belongs to an earlier operation.
    since: f64,
    services: BTreeMap<String, Followed>,
    seen_events: HashSet<String>,
    seen_tasks: HashSet<String>,
    /// awslogs group and stream prefix per (task definition, container).
    logs_of: HashMap<String, Vec<(String, Option<(String, String)>)>>,
    pub stopped: Vec<Stopped>,
    /// Trouble events (label, time, message), oldest first.
    trouble: Vec<(String, f64, String)>,
    circuit_breaker: HashSet<String>,
    /// Where the next poll's round robin starts.
    cursor: usize,
    pub calls: Calls,
    /// Something new was seen at the last poll (for the deploy wait).
    pub progressed: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub ecs: usize,
    pub logs: usize,
}

/// The cluster and name of a service from its ARN (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`;
/// the old short form has no cluster).
pub fn service_of_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.split_once(":service/")?.1;
    match rest.split_once('/') {
        Some((cluster, name)) => Some((cluster.to_string(), name.to_string())),
        None => Some((String::new(), rest.to_string())),
    }
}

fn short_task(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

fn clock(secs: f64) -> String {
    let t = aws_sdk_cloudformation::primitives::DateTime::from_secs(secs as i64);
    let text = t
        .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default();
    text.get(11..19).unwrap_or(&text).to_string()
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Watch {
    pub fn new(since: f64) -> Watch {
        Watch {
            since,
            services: BTreeMap::new(),
            seen_events: HashSet::new(),
            seen_tasks: HashSet::new(),
            logs_of: HashMap::new(),
            stopped: Vec::new(),
            trouble: Vec::new(),
            circuit_breaker: HashSet::new(),
            cursor: 0,
            calls: Calls::default(),
            progressed: false,
        }
    }

    /// Follow the service `arn` (labelled as the manifest names it) from now on.
    pub fn follow(&mut self, arn: &str, label: &str, cluster: &str) {
        if self.services.contains_key(arn) {
            return;
        }
        let Some((in_arn, name)) = service_of_arn(arn) else {
            return;
        };
        let cluster = if in_arn.is_empty() { cluster.to_string() } else { in_arn };
        self.services.insert(
            arn.to_string(),
            Followed {
                label: label.to_string(),
                cluster,
                name,
                ..Followed::default()
            },
        );
    }

    /// Stop following `arn` (its stack resource settled).
    pub fn settled(&mut self, arn: &str) {
        self.services.remove(arn);
    }

    /// What a service's answer says that is new: rollout changes, new events. Returns the lines
    /// to say (text, event).
    pub fn observe_service(&mut self, arn: &str, view: &ServiceView) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let since = self.since;
        let Some(f) = self.services.get_mut(arn) else {
            return out;
        };
        let label = f.label.clone();
        for d in &view.deployments {
            f.deployments.insert(d.id.clone());
        }
        let failed: i32 = view.deployments.iter().map(|d| d.failed_tasks).sum();
        if failed > f.failed {
            f.list_stopped = true;
        }
        f.failed = f.failed.max(failed);
        if let Some(primary) = view.deployments.iter().find(|d| d.status == "PRIMARY")
            && f.rollout.as_ref() != Some(primary)
        {
            let state = primary.rollout_state.as_deref().unwrap_or("-");
            let text = format!(
                "{}  {label}  ecs  rollout {}/{} running, {} pending, {} failed  {state}",
                clock(now()),
                primary.running_count,
                primary.desired_count,
                primary.pending_count,
                primary.failed_tasks
            );
            out.push((
                text,
                json!({"type": "ecs", "kind": "rollout", "service": label, "deployment": primary.id,
                       "desired": primary.desired_count, "running": primary.running_count,
                       "pending": primary.pending_count, "failed": primary.failed_tasks,
                       "state": primary.rollout_state, "reason": primary.rollout_state_reason}),
            ));
            if primary
                .rollout_state_reason
                .as_deref()
                .is_some_and(|r| r.to_lowercase().contains("circuit breaker"))
            {
                self.circuit_breaker.insert(label.clone());
            }
            f.rollout = Some(primary.clone());
        }
        // newest first from ECS: say them oldest first
        let mut fresh: Vec<&EventView> = view
            .events
            .iter()
            .filter(|e| e.created_at >= since && !self.seen_events.contains(&e.id))
            .collect();
        fresh.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
        for e in fresh {
            self.seen_events.insert(e.id.clone());
            let lower = e.message.to_lowercase();
            if TROUBLE.iter().any(|t| lower.contains(t)) {
                self.trouble.push((label.clone(), e.created_at, e.message.clone()));
                if let Some(f) = self.services.get_mut(arn) {
                    f.list_stopped = true;
                }
            }
            if lower.contains("circuit breaker") {
                self.circuit_breaker.insert(label.clone());
            }
            out.push((
                format!("{}  {label}  ecs  {}", clock(e.created_at), e.message),
                json!({"type": "ecs", "kind": "event", "service": label, "time": e.created_at, "message": e.message}),
            ));
        }
        out
    }

    /// The stopped tasks of `arn` in `tasks` that this deploy's deployments started and that
    /// stopped after it began, not seen before.
    pub fn observe_tasks(&mut self, arn: &str, tasks: &[TaskView]) -> Vec<Stopped> {
        let Some(f) = self.services.get(arn) else {
            return Vec::new();
        };
        let group = format!("service:{}", f.name);
        let mut out = Vec::new();
        for t in tasks {
            let mine = t.started_by.as_ref().is_some_and(|s| f.deployments.contains(s))
                || t.group.as_deref() == Some(group.as_str());
            let at = t.stopped_at.or(t.created_at).unwrap_or(0.0);
            if !mine || at < self.since || !self.seen_tasks.insert(t.task_arn.clone()) {
                continue;
            }
            out.push(Stopped {
                service: f.label.clone(),
                task: short_task(&t.task_arn),
                at,
                reason: t
                    .stopped_reason
                    .clone()
                    .or_else(|| t.stop_code.clone())
                    .unwrap_or_default(),
                containers: t
                    .containers
                    .iter()
                    .map(|c| Exit {
                        name: c.name.clone(),
                        exit_code: c.exit_code,
                        reason: c.reason.clone(),
                        log: Vec::new(),
                    })
                    .collect(),
            });
        }
        out.sort_by(|a, b| a.at.total_cmp(&b.at));
        out
    }

    /// The first cause in the chain: the first stopped task of the failing service (or of any),
    /// else the first service event that says why tasks do not run.
    pub fn cause(&self, failing: Option<&str>) -> Option<Cause> {
        let of = |s: &str| failing.is_none_or(|f| f == s);
        let first = self
            .stopped
            .iter()
            .filter(|s| of(&s.service))
            .min_by(|a, b| a.at.total_cmp(&b.at))
            .or_else(|| self.stopped.iter().min_by(|a, b| a.at.total_cmp(&b.at)));
        if let Some(s) = first {
            let breaker = self.circuit_breaker.contains(&s.service);
            // the container that failed: an essential one with an exit code other than 0, else
            // the first with a reason
            let c = s
                .containers
                .iter()
                .find(|c| c.exit_code.is_some_and(|x| x != 0))
                .or_else(|| s.containers.iter().find(|c| c.reason.is_some()))
                .or(s.containers.first());
            let mut text = format!("service {}: task {}", s.service.trim_start_matches("service "), s.task);
            match c.and_then(|c| c.exit_code) {
                Some(code) => text.push_str(&format!(" exited {code}")),
                None => text.push_str(" stopped"),
            }
            if let Some(line) = c.and_then(|c| c.log.iter().rev().find(|l| !l.trim().is_empty())) {
                text.push_str(&format!(" — `{}`", line.trim()));
            }
            let why = [
                Some(s.reason.clone()).filter(|r| !r.is_empty()),
                c.and_then(|c| c.reason.clone()),
            ];
            let why: Vec<String> = why.into_iter().flatten().collect();
            if !why.is_empty() {
                text.push_str(&format!(" ({})", why.join("; ")));
            }
            if breaker {
                text.push_str("; the circuit breaker rolled the service back");
            }
            return Some(Cause {
                service: s.service.clone(),
                text,
                task: Some(s.task.clone()),
                container: c.map(|c| c.name.clone()),
                exit_code: c.and_then(|c| c.exit_code),
                reason: Some(s.reason.clone()).filter(|r| !r.is_empty()),
                log: c.map(|c| c.log.clone()).unwrap_or_default(),
                circuit_breaker: breaker,
            });
        }
        let (service, _, message) = self
            .trouble
            .iter()
            .filter(|(l, _, m)| of(l) && !m.to_lowercase().contains("circuit breaker"))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .or_else(|| self.trouble.first())?;
        let breaker = self.circuit_breaker.contains(service);
        let mut text = format!("{service}: ECS: {message}");
        if breaker {
            text.push_str("; the circuit breaker rolled the service back");
        }
        Some(Cause {
            service: service.clone(),
            text,
            task: None,
            container: None,
            exit_code: None,
            reason: Some(message.clone()),
            log: Vec::new(),
            circuit_breaker: breaker,
        })
    }

    /// A stopped task for a person: the reason, each container's exit, the last log lines.
    pub fn stopped_lines(s: &Stopped) -> (String, Value) {
        let mut text = format!("{}  {}  task {}  STOPPED  {}", clock(s.at), s.service, s.task, s.reason);
        for c in &s.containers {
            let code = c
                .exit_code
                .map(|x| format!("exit {x}"))
                .unwrap_or_else(|| "no exit code".into());
            text.push_str(&format!("\n    {}: {code}", c.name));
            if let Some(r) = &c.reason {
                text.push_str(&format!(" ({r})"));
            }
            let skip = c.log.len().saturating_sub(LINES_IN_STREAM);
            for l in &c.log[skip..] {
                text.push_str(&format!("\n      | {l}"));
            }
        }
        let event = json!({
            "type": "ecs", "kind": "stopped", "service": s.service, "task": s.task, "time": s.at,
            "reason": s.reason,
            "containers": s.containers.iter().map(|c| json!({
                "name": c.name, "exit_code": c.exit_code, "reason": c.reason, "log": c.log,
            })).collect::<Vec<_>>(),
        });
        (text, event)
    }

    /// One poll of the followed services. `sweep`: the deploy failed — list every followed
    /// service's stopped tasks once, for the verdict.
    pub async fn poll(&mut self, c: &Clients, sweep: bool) -> Result<()> {
        self.progressed = false;
        if self.services.is_empty() {
            return Ok(());
        }
        let batches = self.batches();
        let mut budget = MAX_ECS_CALLS - batches.len();
        for (cluster, batch) in batches {
            self.calls.ecs += 1;
            let mut req = c.ecs.describe_services().set_services(Some(batch.clone()));
            if !cluster.is_empty() {
                req = req.cluster(&cluster);
            }
            let out = req
                .send()
                .await
                .map_err(|e| describe("reading the app's ECS services", &e))?;
            for s in out.services() {
                let Some(arn) = s.service_arn() else { continue };
                let view = view_of_service(s);
                for (text, event) in self.observe_service(arn, &view) {
                    self.progressed = true;
                    say::step(text, event);
                }
            }
        }
        // stopped tasks: where failures grew, or all at a sweep
        let wanted: Vec<String> = self
            .services
            .iter()
            .filter(|(_, f)| sweep || f.list_stopped)
            .map(|(a, _)| a.clone())
            .collect();
        let mut log_reads = MAX_LOG_READS;
        for arn in wanted {
            if budget < 2 && !sweep {
                break;
            }
            budget = budget.saturating_sub(2);
            let (cluster, name) = {
                let f = &self.services[&arn];
                (f.cluster.clone(), f.name.clone())
            };
            if let Some(f) = self.services.get_mut(&arn) {
                f.list_stopped = false;
            }
            let tasks = self.stopped_tasks(c, &cluster, &name).await?;
            let stopped = self.observe_tasks(&arn, &tasks);
            for mut s in stopped {
                for (i, exit) in s.containers.iter_mut().enumerate() {
                    let failed = exit.exit_code != Some(0) || i == 0;
                    if !failed || (log_reads == 0 && !sweep) {
                        continue;
                    }
                    let def = tasks
                        .iter()
                        .find(|t| short_task(&t.task_arn) == s.task)
                        .map(|t| t.task_definition_arn.clone())
                        .unwrap_or_default();
                    if let Some((group, prefix)) = self.log_config(c, &def, &exit.name).await {
                        log_reads = log_reads.saturating_sub(1);
                        exit.log = self
                            .last_lines(c, &group, &format!("{prefix}/{}/{}", exit.name, s.task))
                            .await;
                    }
                }
                let (text, event) = Watch::stopped_lines(&s);
                self.progressed = true;
                say::step(text, event);
                self.stopped.push(s);
            }
        }
        Ok(())
    }

    /// This poll's DescribeServices calls: (cluster, up to 10 service ARNs) each, at most
    /// [`MAX_ECS_CALLS`] - 2 of them (room for one service's stopped tasks), round robin from
    /// where the last poll stopped, so that every followed service is asked about in turn.
    pub fn batches(&mut self) -> Vec<(String, Vec<String>)> {
        let arns: Vec<&String> = self.services.keys().collect();
        if arns.is_empty() {
            return Vec::new();
        }
        let start = self.cursor % arns.len();
        let room = (MAX_ECS_CALLS - 2) * 10;
        let chosen: Vec<&String> = arns[start..]
            .iter()
            .chain(arns[..start].iter())
            .take(room)
            .copied()
            .collect();
        self.cursor = start + chosen.len();
        let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for arn in &chosen {
            by_cluster
                .entry(&self.services[*arn].cluster)
                .or_default()
                .push((*arn).clone());
        }
        let mut out = Vec::new();
        for (cluster, arns) in by_cluster {
            for batch in arns.chunks(10) {
                out.push((cluster.to_string(), batch.to_vec()));
            }
        }
        out.truncate(MAX_ECS_CALLS - 2);
        out
    }

    async fn stopped_tasks(&mut self, c: &Clients, cluster: &str, name: &str) -> Result<Vec<TaskView>> {
        self.calls.ecs += 1;
        let mut req = c
            .ecs
            .list_tasks()
            .service_name(name)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped);
        if !cluster.is_empty() {
            req = req.cluster(cluster);
        }
        let out = req
            .send()
            .await
            .map_err(|e| describe(&format!("listing the stopped tasks of {name}"), &e))?;
        let fresh: Vec<String> = out
            .task_arns()
            .iter()
            .filter(|a| !self.seen_tasks.contains(*a))
            .take(100)
            .cloned()
            .collect();
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        self.calls.ecs += 1;
        let mut req = c.ecs.describe_tasks().set_tasks(Some(fresh));
        if !cluster.is_empty() {
            req = req.cluster(cluster);
        }
        let out = req
            .send()
            .await
            .map_err(|e| describe(&format!("reading the stopped tasks of {name}"), &e))?;
        Ok(out.tasks().iter().map(view_of_task).collect())
    }

    /// The awslogs group and stream prefix of `container` in the task definition `def`.
    async fn log_config(&mut self, c: &Clients, def: &str, container: &str) -> Option<(String, String)> {
        if def.is_empty() {
            return None;
        }
        if !self.logs_of.contains_key(def) {
            self.calls.ecs += 1;
            let out = c
                .ecs
                .describe_task_definition()
                .task_definition(def)
                .send()
                .await
                .ok()?;
            let list = out
                .task_definition()
                .map(|t| {
                    t.container_definitions()
                        .iter()
                        .map(|cd| {
                            let conf = cd.log_configuration().filter(|l| l.log_driver().as_str() == "awslogs");
                            let opts = conf.and_then(|l| l.options());
                            let group = opts.and_then(|o| o.get("awslogs-group")).cloned();
                            let prefix = opts.and_then(|o| o.get("awslogs-stream-prefix")).cloned();
                            (cd.name().unwrap_or("").to_string(), group.zip(prefix))
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.logs_of.insert(def.to_string(), list);
        }
        self.logs_of[def]
            .iter()
            .find(|(n, _)| n == container)
            .and_then(|(_, g)| g.clone())
    }

    /// The last [`LOG_LINES`] lines of a stream, oldest first (none if it cannot be read).
    async fn last_lines(&mut self, c: &Clients, group: &str, stream: &str) -> Vec<String> {
        self.calls.logs += 1;
        let Ok(out) = c
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(false)
            .limit(LOG_LINES as i32)
            .send()
            .await
        else {
            return Vec::new();
        };
        out.events()
            .iter()
            .filter_map(|e| e.message().map(|m| m.trim_end().to_string()))
            .collect()
    }
}

fn secs(t: Option<&aws_sdk_ecs::primitives::DateTime>) -> Option<f64> {
    t.map(|t| t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9)
}

fn view_of_service(s: &aws_sdk_ecs::types::Service) -> ServiceView {
    ServiceView {
        deployments: s
            .deployments()
            .iter()
            .map(|d| DeploymentView {
                id: d.id().unwrap_or("").to_string(),
                status: d.status().unwrap_or("").to_string(),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                pending_count: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_string()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| EventView {
                id: e.id().unwrap_or("").to_string(),
                created_at: secs(e.created_at()).unwrap_or(0.0),
                message: e.message().unwrap_or("").to_string(),
            })
            .collect(),
    }
}

fn view_of_task(t: &aws_sdk_ecs::types::Task) -> TaskView {
    TaskView {
        task_arn: t.task_arn().unwrap_or("").to_string(),
        started_by: t.started_by().map(str::to_string),
        group: t.group().map(str::to_string),
        stopped_reason: t.stopped_reason().map(str::to_string),
        stop_code: t.stop_code().map(|s| s.as_str().to_string()),
        stopped_at: secs(t.stopped_at()),
        created_at: secs(t.created_at()),
        task_definition_arn: t.task_definition_arn().unwrap_or("").to_string(),
        containers: t
            .containers()
            .iter()
            .map(|c| ContainerView {
                name: c.name().unwrap_or("").to_string(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
            })
            .collect(),
    }
}

#[cfg(test)]
#[path = "ecs_tests.rs"]
mod tests;
