//! `run SERVICE COMMAND…`: a one-off ECS task of the service's task definition (the one its ECS
//! service runs, or a release's), its command overridden, on the service's network configuration
//! and launch type (or capacity providers). It says what it will run and asks (unless --yes),
//! then prints the task's log lines as they come and ends with the container's exit code; a task
//! stopped before its command ran (cannot place it, cannot pull the image) is an error with ECS's
//! reason. Ctrl-C asks whether to stop the task, else leaves it running.

use crate::args::ListFormat;
use crate::aws::clients::{Clients, Error, Result, describe, err};
use crate::aws::ecs::{self, Ending};
use crate::aws::logs::{self, Query, Seen};
use crate::deploy::consent::{Ask, ask};
use crate::deploy::events::poll_interval;
use crate::deploy::say;
use crate::deploy::tail;
use crate::ops::Live;
use aws_sdk_ecs::types::{ContainerOverride, Service, Task, TaskOverride};
use serde_json::json;
use std::io::IsTerminal;
use tokio::signal::unix::{SignalKind, signal};

/// What to run.
pub(crate) struct Spec<'a> {
    pub service: &'a str,
    pub command: &'a [String],
    /// A task definition to run instead of the service's (a release's).
    pub task_definition: Option<String>,
    pub detach: bool,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub format: ListFormat,
    pub ask: &'a Ask,
}

/// The container command: several words as given (exec form, as ECS runs a command list); one
/// word with a space or shell syntax in it through `sh -c`, as convox runs `convox run web "a && b"`.
pub(crate) fn command_of(words: &[String]) -> Vec<String> {
    match words {
        [one] if one.contains(|c: char| c.is_whitespace() || "|&;<>()$`*?~".contains(c)) => {
            vec!["sh".into(), "-c".into(), one.clone()]
        }
        _ => words.to_vec(),
    }
}

/// The RunTask request of a one-off, from the service as ECS describes it: its task definition,
/// command, cpu and memory overridden; its network configuration, launch type (or capacity
/// providers), platform version and ECS Exec as the service's.
pub(crate) fn request(
    c: &Clients,
    cluster: &str,
    svc: &Service,
    spec: &Spec<'_>,
    task_definition: &str,
) -> aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder {
    let mut container = ContainerOverride::builder()
        .name(spec.service)
        .set_command(Some(command_of(spec.command)));
    let mut task = TaskOverride::builder();
    if let Some(cpu) = spec.cpu {
        container = container.cpu(cpu as i32);
        task = task.cpu(cpu.to_string());
    }
    if let Some(m) = spec.memory {
        container = container.memory(m as i32);
        task = task.memory(m.to_string());
    }
    let mut r = c
        .ecs
        .run_task()
        .cluster(cluster)
        .task_definition(task_definition)
        .count(1)
        .started_by(ecs::STARTED_BY)
        .overrides(task.container_overrides(container.build()).build())
        .set_network_configuration(svc.network_configuration().cloned())
        .set_platform_version(svc.platform_version().map(str::to_string))
        .enable_execute_command(svc.enable_execute_command());
    if svc.capacity_provider_strategy().is_empty() {
        r = r.set_launch_type(svc.launch_type().cloned());
    } else {
        r = r.set_capacity_provider_strategy(Some(svc.capacity_provider_strategy().to_vec()));
    }
    r
}

/// How the service runs, in words: launch type (or capacity providers), subnets, security groups.
fn placement(svc: &Service) -> String {
    let how = if svc.capacity_provider_strategy().is_empty() {
        svc.launch_type().map_or("EC2".into(), |l| l.as_str().to_string())
    } else {
        svc.capacity_provider_strategy()
            .iter()
            .map(|s| s.capacity_provider().to_string())
            .collect::<Vec<_>>()
            .join("+")
    };
    match svc.network_configuration().and_then(|n| n.awsvpc_configuration()) {
        Some(v) => format!(
            "{how}, subnets {}, security groups {}",
            v.subnets().join(","),
            v.security_groups().join(",")
        ),
        None => format!("{how}, bridge network on the rack's instances"),
    }
}

/// Run the task; its container's exit code.
pub(crate) async fn run(live: &Live, spec: Spec<'_>) -> Result<u8> {
    let c = &live.c;
    let unit = live.service(spec.service)?;
    let Some(arn) = &unit.service else {
        return err(format!(
            "service {} of app {} has no ECS service deployed",
            spec.service, live.app
        ));
    };
    let svc = ecs::describe_services(c, &live.cluster, std::slice::from_ref(arn))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error(format!("ECS has no service {arn}")))?;
    let definition = match &spec.task_definition {
        Some(d) => d.clone(),
        None => svc.task_definition().unwrap_or_default().to_string(),
    };
    let command = command_of(spec.command);
    let shown = ecs::family(&definition).to_string() + ":" + definition.rsplit(':').next().unwrap_or("");
    say::step(
        format!(
            "run in app {}, service {}: {}\n  task definition {shown}; {}{}",
            live.app,
            spec.service,
            shell_words(&command),
            placement(&svc),
            match (spec.cpu, spec.memory) {
                (None, None) => String::new(),
                (cpu, mem) => format!(
                    "; cpu {}, memory {}",
                    cpu.map_or("as defined".into(), |n| n.to_string()),
                    mem.map_or("as defined".into(), |n| n.to_string())
                ),
            }
        ),
        json!({"type": "plan", "app": live.app, "service": spec.service, "command": command,
               "task_definition": definition, "placement": placement(&svc)}),
    );
    spec.ask
        .ask(&format!("Run this in production app {}?", live.app))
        .await?;
    let r = request(c, &live.cluster, &svc, &spec, &definition)
        .send()
        .await
        .map_err(|e| describe(&format!("starting a task of {}", spec.service), &e))?;
    let Some(task) = r.tasks().first() else {
        let why: Vec<String> = r
            .failures()
            .iter()
            .map(|f| {
                format!(
                    "{}{}",
                    f.reason().unwrap_or("no reason"),
                    f.detail().map(|d| format!(" ({d})")).unwrap_or_default()
                )
            })
            .collect();
        return err(format!(
            "ECS could not start the task: {}",
            if why.is_empty() {
                "it gave no reason".into()
            } else {
                why.join("; ")
            }
        ));
    };
    let id = ecs::task_id(task.task_arn().unwrap_or_default()).to_string();
    if spec.detach {
        say::step(
            format!(
                "started task {id} (detached: `convoxc logs --service {}` shows its lines)",
                spec.service
            ),
            json!({"type": "started", "task": id}),
        );
        println!("{id}");
        return Ok(0);
    }
    say::step(
        format!("started task {id}; following it (Ctrl-C asks whether to stop it)"),
        json!({"type": "started", "task": id}),
    );
    follow(live, spec.service, &id, spec.format).await
}

/// The command as a shell would read it back.
pub(crate) fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Print the task's lines until it stops; its exit code.
async fn follow(live: &Live, service: &str, id: &str, format: ListFormat) -> Result<u8> {
    let c = &live.c;
    let group = match logs::log_group(c, &live.stack, &format!("app {}", live.app)).await {
        Ok(g) => Some(g),
        Err(e) => {
            say::note(format!("{e}: following the task's status only"));
            None
        }
    };
    let prefix = format!("service/{service}/{id}");
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64 - 60_000)
        .unwrap_or(0);
    let mut seen = Seen::new(start);
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Error(format!("cannot watch for Ctrl-C: {e}")))?;
    let mut stopping = false;
    loop {
        let task = ecs::describe_tasks(c, &live.cluster, &[id.to_string()])
            .await?
            .into_iter()
            .next();
        let stopped = task.as_ref().is_some_and(|t| t.last_status() == Some("STOPPED"));
        if stopped {
            // the last lines reach CloudWatch after the task has stopped: one more look
            tokio::time::sleep(poll_interval()).await;
        }
        if let Some(g) = &group {
            let q = Query {
                group: g,
                prefix: Some(&prefix),
                pattern: None,
                start: seen.start(),
            };
            let fresh = seen.fresh(logs::read(c, &q).await?);
            tail::print(&fresh, format)?;
        }
        match task {
            None => return err(format!("ECS no longer knows task {id}")),
            Some(t) if stopped => return ended(&t, service, id),
            Some(_) => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(poll_interval()) => {}
            _ = interrupt.recv(), if !stopping => {
                if !std::io::stdin().is_terminal() {
                    say::note(format!("interrupted: task {id} goes on; `convoxc ps stop {id}` stops it"));
                    return Ok(0);
                }
                match ask(&format!("\nStop task {id}? [y/N]")).await {
                    Ok(a) if matches!(a.as_str(), "y" | "Y" | "yes") => {
                        ecs::stop_task(c, &live.cluster, id, "stopped with Ctrl-C in convoxc run").await?;
                        say::note(format!("stopping task {id}…"));
                        stopping = true;
                    }
                    _ => {
                        say::note(format!("task {id} goes on; `convoxc ps stop {id}` stops it"));
                        return Ok(0);
                    }
                }
            }
        }
    }
}

/// The exit code of a stopped task's command, or the error of a task that never ran it.
fn ended(t: &Task, service: &str, id: &str) -> Result<u8> {
    match ecs::ending(t, service) {
        Ending::Exited(code) => {
            say::step(
                format!("task {id} exited with {code}"),
                json!({"type": "exited", "task": id, "code": code}),
            );
            // a shell's view of a code: 0–255 (ECS reports a signal's death as 128+N already)
            Ok(u8::try_from(code).unwrap_or(1))
        }
        Ending::NeverRan(why) => err(format!("task {id} stopped before its command ran: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_command_is_exec_form_unless_it_is_one_shell_line() {
        assert_eq!(
            command_of(&words(&["rake", "db:migrate"])),
            words(&["rake", "db:migrate"])
        );
        assert_eq!(command_of(&words(&["bin/console"])), words(&["bin/console"]));
        assert_eq!(
            command_of(&words(&["rake db:migrate && rake db:seed"])),
            words(&["sh", "-c", "rake db:migrate && rake db:seed"])
        );
        assert_eq!(
            shell_words(&words(&["sh", "-c", "echo 'hi' && x"])),
            r#"sh -c 'echo '\''hi'\'' && x'"#
        );
    }
}
