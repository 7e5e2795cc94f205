//! `ps`: the app's tasks — ID, SERVICE, KIND (service, timer, run), RELEASE (the build its image
//! is), STATUS, STARTED, HEALTH, WHERE (fargate or the EC2 instance), CPU and MEM reservations —
//! and `ps stop TASK` (after asking).

use crate::args::ListFormat;
use crate::aws::clients::{Result, describe, err};
use crate::aws::ecs::{self, Kind, Unit};
use crate::aws::logs::time_text;
use crate::deploy::consent::Ask;
use crate::ops::Live;
use aws_sdk_ecs::types::{LaunchType, Task, TaskDefinition};
use serde::Serialize;
use std::collections::BTreeMap;

/// One task, as `ps` prints it.
#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct Row {
    pub id: String,
    pub service: String,
    pub kind: &'static str,
    pub release: String,
    pub status: String,
    pub started: String,
    pub health: String,
    #[serde(rename = "where")]
    pub place: String,
    pub cpu: String,
    pub memory: String,
}

/// The app's tasks (one service's with `only`), sorted by service, then start.
pub(crate) async fn rows(live: &Live, only: Option<&str>) -> Result<Vec<Row>> {
    let units: Vec<Unit> = match only {
        Some(s) => {
            let u = live.service(s)?.clone();
            // its one-offs are of its task definition; a timer of it has its own
            vec![u]
        }
        None => live.units.clone(),
    };
    let c = &live.c;
    let tasks = ecs::app_tasks(c, &live.cluster, &units).await?;
    // the task definitions (the build, the reservations) and instances, each read once
    let mut definitions: BTreeMap<String, TaskDefinition> = BTreeMap::new();
    for (t, _) in &tasks {
        let Some(arn) = t.task_definition_arn() else { continue };
        if definitions.contains_key(arn) {
            continue;
        }
        let d = c
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| describe(&format!("reading task definition {arn}"), &e))?;
        if let Some(d) = d.task_definition() {
            definitions.insert(arn.to_string(), d.clone());
        }
    }
    let instances = instances(live, &tasks).await?;
    Ok(tasks
        .iter()
        .map(|(t, u)| {
            row(
                t,
                u,
                t.task_definition_arn().and_then(|a| definitions.get(a)),
                &instances,
            )
        })
        .collect())
}

/// Container instance ARN → EC2 instance ID, for the tasks on instances.
async fn instances(live: &Live, tasks: &[(Task, &Unit)]) -> Result<BTreeMap<String, String>> {
    let mut arns: Vec<String> = tasks
        .iter()
        .filter_map(|(t, _)| t.container_instance_arn().map(str::to_string))
        .collect();
    arns.sort();
    arns.dedup();
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(100) {
        let r = live
            .c
            .ecs
            .describe_container_instances()
            .cluster(&live.cluster)
            .set_container_instances(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| describe("describing the cluster's instances", &e))?;
        for i in r.container_instances() {
            if let (Some(a), Some(e)) = (i.container_instance_arn(), i.ec2_instance_id()) {
                out.insert(a.to_string(), e.to_string());
            }
        }
    }
    Ok(out)
}

/// A task as a row: pure, over DescribeTasks' and DescribeTaskDefinition's answers.
pub(crate) fn row(t: &Task, u: &Unit, d: Option<&TaskDefinition>, instances: &BTreeMap<String, String>) -> Row {
    let kind = ecs::kind(t.group(), t.started_by(), u.kind);
    let fargate = t.launch_type() == Some(&LaunchType::Fargate)
        || t.capacity_provider_name().is_some_and(|p| p.starts_with("FARGATE"));
    let place = if fargate {
        "fargate".to_string()
    } else {
        t.container_instance_arn()
            .map(|a| instances.get(a).cloned().unwrap_or_else(|| ecs::task_id(a).to_string()))
            .unwrap_or_else(|| "-".into())
    };
    let container = d.and_then(|d| d.container_definitions().first());
    // the build: the BUILD every convox container has, else the image tag's `<service>.<build>`
    let release = container
        .and_then(|c| c.environment().iter().find(|e| e.name() == Some("BUILD")))
        .and_then(|e| e.value())
        .map(str::to_string)
        .or_else(|| {
            let image = container?.image()?;
            let tag = image.rsplit_once(':')?.1;
            Some(tag.split_once('.').map_or(tag, |(_, b)| b).to_string())
        })
        .unwrap_or_else(|| "-".into());
    let reserve = |task: Option<&str>, from_container: Option<i32>| {
        task.map(str::to_string)
            .or(from_container.filter(|n| *n > 0).map(|n| n.to_string()))
            .unwrap_or_else(|| "-".into())
    };
    let time = t.started_at().or(t.created_at());
    Row {
        id: ecs::task_id(t.task_arn().unwrap_or_default()).to_string(),
        service: u.name.clone(),
        kind: kind.as_str(),
        release,
        status: t.last_status().unwrap_or("-").to_lowercase(),
        started: time.map(|x| time_text(x.secs() * 1000)).unwrap_or_else(|| "-".into()),
        health: t
            .health_status()
            .map(|h| h.as_str().to_lowercase())
            .unwrap_or_else(|| "-".into()),
        place,
        cpu: reserve(t.cpu(), container.map(|c| c.cpu())),
        memory: reserve(
            t.memory(),
            container.and_then(|c| c.memory().or(c.memory_reservation())),
        ),
    }
}

/// Print the rows: a table, or a JSON array.
pub(crate) fn print(rows: &[Row], format: ListFormat) {
    if format == ListFormat::Json {
        println!("{}", serde_json::to_string_pretty(rows).expect("rows serialise"));
        return;
    }
    let table: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            let service = match r.kind {
                "service" => r.service.clone(),
                k => format!("{} ({k})", r.service),
            };
            [
                r.id.clone(),
                service,
                r.release.clone(),
                r.status.clone(),
                r.started.clone(),
                r.health.clone(),
                r.place.clone(),
                r.cpu.clone(),
                r.memory.clone(),
            ]
        })
        .collect();
    print_table(
        &[
            "ID", "SERVICE", "RELEASE", "STATUS", "STARTED", "HEALTH", "WHERE", "CPU", "MEM",
        ],
        &table,
    );
}

/// Columns two spaces apart, each as wide as its widest cell.
pub(crate) fn print_table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) {
    let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(head.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// `ps stop TASK`: a task of the app (by ID, or an ID's unique start), after asking.
pub(crate) async fn stop(live: &Live, task: &str, ask: &Ask) -> Result<()> {
    let rows = rows(live, None).await?;
    let found: Vec<&Row> = rows.iter().filter(|r| r.id.starts_with(task)).collect();
    let r = match found.as_slice() {
        [one] => *one,
        [] => {
            return err(format!(
                "app {} has no running task {task}: `convoxc ps --app {}` lists its tasks",
                live.app, live.app
            ));
        }
        many => {
            return err(format!(
                "{task} is the start of {} tasks' IDs ({}): give more of it",
                many.len(),
                many.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    };
    let note = if r.kind == Kind::Service.as_str() {
        " (its service starts another in its place)"
    } else {
        ""
    };
    println!(
        "stop task {} of {} {} of app {}{note}",
        r.id, r.kind, r.service, live.app
    );
    ask.ask(&format!("Stop task {}?", r.id)).await?;
    let t = ecs::stop_task(&live.c, &live.cluster, &r.id, "stopped with convoxc ps stop").await?;
    println!(
        "ok: task {} is {}",
        r.id,
        t.desired_status().unwrap_or("STOPPED").to_lowercase()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::primitives::DateTime;
    use aws_sdk_ecs::types::{ContainerDefinition, HealthStatus, KeyValuePair};

    fn unit(kind: Kind) -> Unit {
        Unit {
            kind,
            name: "web".into(),
            stack: "r-myapp-ServiceWeb-X".into(),
            service: None,
            task_definition: Some("arn:aws:ecs:us-east-1:1:task-definition/r-myapp-ServiceWeb-X-service-web:3".into()),
        }
    }

    /// Recorded shapes: a service's task on an instance (task-level reservations absent, as on
    /// EC2 without them; the container's instead), and a one-off on Fargate.
    #[test]
    fn a_task_row_says_what_started_it_where_it_runs_and_its_build() {
        let d = TaskDefinition::builder()
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image("123.dkr.ecr.us-east-1.amazonaws.com/r-myapp:web.B7")
                    .cpu(256)
                    .memory_reservation(512)
                    .environment(KeyValuePair::builder().name("BUILD").value("B7").build())
                    .build(),
            )
            .build();
        let ci = "arn:aws:ecs:us-east-1:1:container-instance/r-Cluster-X/abc";
        let t = Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:1:task/r-Cluster-X/0f1e")
            .group("service:r-myapp-ServiceWeb-X-Service-Y")
            .started_by("ecs-svc/1")
            .last_status("RUNNING")
            .health_status(HealthStatus::Healthy)
            .launch_type(LaunchType::Ec2)
            .container_instance_arn(ci)
            .started_at(DateTime::from_secs(1_796_000_000))
            .build();
        let instances = BTreeMap::from([(ci.to_string(), "i-0abc".to_string())]);
        let r = row(&t, &unit(Kind::Service), Some(&d), &instances);
        assert_eq!(
            (r.kind, r.release.as_str(), r.status.as_str(), r.health.as_str()),
            ("service", "B7", "running", "healthy")
        );
        assert_eq!(
            (r.place.as_str(), r.cpu.as_str(), r.memory.as_str()),
            ("i-0abc", "256", "512")
        );
        assert_eq!(r.started, "2026-11-30T00:53:20Z");
        let one_off = Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:1:task/r-Cluster-X/9a9a")
            .group("family:r-myapp-ServiceWeb-X-service-web")
            .started_by(ecs::STARTED_BY)
            .last_status("PENDING")
            .launch_type(LaunchType::Fargate)
            .cpu("1024")
            .memory("2048")
            .build();
        let r = row(&one_off, &unit(Kind::Service), None, &BTreeMap::new());
        assert_eq!(
            (
                r.kind,
                r.place.as_str(),
                r.cpu.as_str(),
                r.memory.as_str(),
                r.release.as_str()
            ),
            ("run", "fargate", "1024", "2048", "-")
        );
    }
}
