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
use crate::aws::releases;
use crate::deploy::consent::{Ask, ask};
use crate::deploy::events::poll_interval;
use crate::deploy::say;
use crate::deploy::tail;
use crate::ops::Live;
use aws_sdk_ecs::types::{ContainerOverride, Service, Task, TaskDefinition, TaskOverride};
use serde_json::json;
use std::io::IsTerminal;
use tokio::signal::unix::{SignalKind, signal};

/// What to run.
pub(crate) struct Spec<'a> {
    pub service: &'a str,
    pub command: &'a [String],
    /// `--release`: a release ID (or, as before, a task definition ARN or `family:revision`).
    pub release: Option<String>,
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
    let chosen = choose(live, &svc, &spec).await?;
    let command = command_of(spec.command);
    say::step(
        format!(
            "run in app {}, service {}: {}\n  {}; {}{}",
            live.app,
            spec.service,
            shell_words(&command),
            chosen.said,
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
               "task_definition": chosen.arn, "release": spec.release, "placement": placement(&svc)}),
    );
    spec.ask
        .ask(&format!("Run this in production app {}?", live.app))
        .await?;
    let (definition, registered) = match chosen.copy {
        None => (chosen.arn.unwrap_or_default(), None),
        Some(d) => {
            let arn = ecs::register_copy(c, &d).await?;
            say::step(
                format!("registered task definition {} for this task", short(&arn)),
                json!({"type": "registered", "task_definition": arn}),
            );
            (arn.clone(), Some(arn))
        }
    };
    let sent = request(c, &live.cluster, &svc, &spec, &definition).send().await;
    // the revision served this task only: a started task runs on after it is deregistered
    if let Some(arn) = &registered
        && let Err(e) = ecs::deregister(c, arn).await
    {
        say::note(format!("warning: {e}"));
    }
    let r = sent.map_err(|e| describe(&format!("starting a task of {}", spec.service), &e))?;
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

/// The task definition a one-off runs, and how the plan says it.
struct Chosen {
    /// What RunTask is given; None when `copy` is registered for it after consent.
    arn: Option<String>,
    /// A revision to register for the task (a release that is not the active one).
    copy: Option<TaskDefinition>,
    said: String,
}

/// `family:revision` of a task definition ARN.
fn short(arn: &str) -> String {
    format!("{}:{}", ecs::family(arn), arn.rsplit(':').next().unwrap_or(""))
}

/// What `--release` asks for. None: the service's task definition. A task definition
/// (`family:revision` or an ARN): that one. A release ID: the service's task definition when that
/// release is the active one; otherwise a revision registered for this task from the service's
/// task definition with the release's image of the service (its `<service>.<build>` tag) — a
/// deregistered revision cannot start tasks (ECS's DeregisterTaskDefinition), and a held release
/// (`deploy --no-execute`) has none: this is how a migration runs against a new build before it
/// takes traffic. Its settings and environment are the service's as deployed now.
async fn choose(live: &Live, svc: &Service, spec: &Spec<'_>) -> Result<Chosen> {
    let current = svc.task_definition().unwrap_or_default().to_string();
    let id = match &spec.release {
        None => {
            return Ok(Chosen {
                said: format!("task definition {}", short(&current)),
                arn: Some(current),
                copy: None,
            });
        }
        Some(d) if d.contains(':') => {
            return Ok(Chosen {
                said: format!("task definition {}", short(d)),
                arn: Some(d.clone()),
                copy: None,
            });
        }
        Some(id) => id,
    };
    let c = &live.c;
    let bucket = releases::bucket(c, &live.rack).await?;
    let record = releases::find(c, &bucket, &live.app, id).await?;
    if releases::active(c, live.stack_name()).await?.as_deref() == Some(id.as_str()) {
        return Ok(Chosen {
            said: format!("release {id} (active): task definition {}", short(&current)),
            arn: Some(current),
            copy: None,
        });
    }
    let Some(tag) = record.images.get(spec.service) else {
        return err(format!(
            "release {id} built no image for service {} (it runs an `image:`, or the release has no build): \
             run it without --release",
            spec.service
        ));
    };
    let d = ecs::describe_task_definition(c, &current).await?;
    let Some(copy) = with_image(&d, spec.service, tag) else {
        return err(format!(
            "task definition {} has no container {}",
            short(&current),
            spec.service
        ));
    };
    Ok(Chosen {
        said: format!(
            "release {id} ({}): image {tag} on a revision of {} registered for this task \
             (settings and environment as the service has them now)",
            if record.executed {
                "not the active one"
            } else {
                "held, not deployed"
            },
            short(&current)
        ),
        arn: None,
        copy: Some(copy),
    })
}

/// `d` with the container `name` running the image tagged `tag` of its repository, its
/// `convox.release` label the tag's build (`<service>.<build>`); None when it has no such container.
fn with_image(d: &TaskDefinition, name: &str, tag: &str) -> Option<TaskDefinition> {
    let mut d = d.clone();
    let container = d
        .container_definitions
        .iter_mut()
        .flatten()
        .find(|c| c.name.as_deref() == Some(name))?;
    container.image = container.image.as_deref().map(|i| retag(i, tag));
    if let Some(build) = tag.split_once('.').map(|(_, b)| b) {
        container
            .docker_labels
            .get_or_insert_with(Default::default)
            .insert("convox.release".into(), build.into());
    }
    Some(d)
}

/// An image reference with its tag (or digest) replaced by `tag`: `host:port/repo:old` →
/// `host:port/repo:<tag>`.
fn retag(image: &str, tag: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let (head, name) = image.rsplit_once('/').map_or(("", image), |(h, n)| (h, n));
    let repo = name.split(':').next().unwrap_or(name);
    if head.is_empty() {
        format!("{repo}:{tag}")
    } else {
        format!("{head}/{repo}:{tag}")
    }
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
    fn a_release_image_replaces_the_tag_or_digest_of_the_services_container() {
        assert_eq!(
            retag("123456789012.dkr.ecr.us-east-1.amazonaws.com/r-myapp:web.B1", "web.B2"),
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/r-myapp:web.B2"
        );
        assert_eq!(
            retag("127.0.0.1:5000/r-myapp:web.B1", "web.B2"),
            "127.0.0.1:5000/r-myapp:web.B2"
        );
        assert_eq!(
            retag("127.0.0.1:5000/r-myapp", "web.B2"),
            "127.0.0.1:5000/r-myapp:web.B2"
        );
        assert_eq!(retag("repo@sha256:abc", "web.B2"), "repo:web.B2");
        use aws_sdk_ecs::types::ContainerDefinition;
        let d = TaskDefinition::builder()
            .container_definitions(
                ContainerDefinition::builder()
                    .name("agent")
                    .image("datadog/agent:7")
                    .build(),
            )
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image("h:5000/r-myapp:web.B1")
                    .docker_labels("convox.release", "B1")
                    .docker_labels("convox.app", "myapp")
                    .build(),
            )
            .build();
        let n = with_image(&d, "web", "web.B2").unwrap();
        let c = n.container_definitions();
        assert_eq!(c[0], d.container_definitions()[0], "another container is left as it is");
        assert_eq!(c[1].image(), Some("h:5000/r-myapp:web.B2"));
        let labels = c[1].docker_labels().unwrap();
        assert_eq!(
            (labels["convox.release"].as_str(), labels["convox.app"].as_str()),
            ("B2", "myapp")
        );
        assert!(with_image(&d, "worker", "worker.B2").is_none());
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
