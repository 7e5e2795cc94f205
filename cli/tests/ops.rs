//! `run`, `ps`, `restart`, `scale` and `exec` against moto's server (see `apply.rs`): the real
//! rack and the fixture app deployed (its services and timer on Fargate, so that moto places
//! their tasks without EC2 instances), the binary run as a user would, and ECS's state read with
//! the SDK.
//!
//! Where moto cannot show a behaviour, the launcher seeds what AWS documents (`moto_server.py`,
//! points 24–27): the exit code of a one-off's container (moto answers 0) or a task that never
//! started (`CannotPullContainerError`, no exit code); containers' runtime IDs; ExecuteCommand's
//! answer (moto has none); and the RunTask requests as sent (moto drops a capacity provider
//! strategy). moto's ECS services start no tasks: a service's and a timer's tasks are started
//! here with the group and startedBy ECS gives them (`service:<name>`, `events-rule/<rule>`).

mod moto;

use moto::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const APP: &[&str] = &["--app", "myapp", "--rack", "r"];

/// The rack and the fixture app (services and timers on Fargate) deployed.
fn deployed(moto: &Moto) -> tempfile::TempDir {
    rack(moto, "r");
    let dir = app_dir(|t| format!("params:\n  FargateServices: \"Yes\"\n  FargateTimers: \"Yes\"\n{t}"));
    moto::apply(moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    dir
}

/// moto's ECS tasks stay RUNNING for `times` DescribeTasks calls a step (its state manager), so
/// that a listing does not stop them.
fn slow_tasks(moto: &Moto, times: u32) {
    let body = format!(r#"{{"model_name": "ecs::task", "transition": {{"progression": "manual", "times": {times}}}}}"#);
    let script = format!(
        "import urllib.request; urllib.request.urlopen(urllib.request.Request('{}/moto-api/state-manager/set-transition', data=b'{}', method='POST'))",
        moto.endpoint(),
        body.replace('\'', "\\'")
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn ecs(moto: &Moto) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&moto.conf())
}

/// The rack's cluster, and the ECS service of `service` (as DescribeServices answers it).
fn service(moto: &Moto, name: &str) -> (String, aws_sdk_ecs::types::Service) {
    let cluster = moto.physical_id("r", "Cluster");
    let arn = inner(moto, &nested(moto, &format!("Service{}", capitalised(name))), "Service");
    let c = ecs(moto);
    let s = moto.rt.block_on(async {
        c.describe_services()
            .cluster(&cluster)
            .services(&arn)
            .send()
            .await
            .unwrap()
            .services()[0]
            .clone()
    });
    (cluster, s)
}

/// A nested stack's name (moto's physical ID of it).
fn nested(moto: &Moto, logical: &str) -> String {
    moto.physical_id("r-myapp", logical)
}

/// A resource's physical ID in a nested stack (DescribeStackResources: moto's
/// DescribeStackResource fails on a nested stack's resources).
fn inner(moto: &Moto, stack: &str, logical: &str) -> String {
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        let r = cfn.describe_stack_resources().stack_name(stack).send().await.unwrap();
        r.stack_resources()
            .iter()
            .find(|x| x.logical_resource_id() == Some(logical))
            .and_then(|x| x.physical_resource_id())
            .unwrap()
            .to_string()
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Start a task of a task definition as ECS's scheduler would: `group` and `started_by` as ECS
/// sets them for a service's task (`service:<name>`, `ecs-svc/<deployment>`) or a timer's
/// (`family:<family>`, `events-rule/<rule>`). Its ID.
fn seed_task(
    moto: &Moto,
    definition: &str,
    group: &str,
    started_by: &str,
    like: &aws_sdk_ecs::types::Service,
) -> String {
    let cluster = moto.physical_id("r", "Cluster");
    let c = ecs(moto);
    moto.rt.block_on(async {
        let r = c
            .run_task()
            .cluster(&cluster)
            .task_definition(definition)
            .group(group)
            .started_by(started_by)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .set_network_configuration(like.network_configuration().cloned())
            .send()
            .await
            .unwrap();
        r.tasks()[0].task_arn().unwrap().rsplit('/').next().unwrap().to_string()
    })
}

fn recorded(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn args<'a>(head: &[&'a str]) -> Vec<&'a str> {
    let mut v = head.to_vec();
    v.extend_from_slice(APP);
    v
}

#[test]
fn run_takes_the_services_definition_network_and_launch_and_exits_with_its_code() {
    let record = tempfile::NamedTempFile::new().unwrap();
    let path = record.path().to_str().unwrap().to_string();
    // moto answers exit code 0 for every container: the launcher seeds 3 for the one-off
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_RUN_EXIT", "3"), ("CONVOXC_MOTO_RECORD", &path)]);
    deployed(&moto);
    let (_, web) = service(&moto, "web");

    // not on a terminal, without --yes: said, not run
    let refused = moto.run(&args(&["run", "web", "rake", "db:migrate"])).fails();
    assert!(
        refused.out.contains("run in app myapp, service web: rake db:migrate"),
        "{}",
        refused.out
    );
    assert!(refused.out.contains("use --yes"), "{}", refused.out);
    assert!(recorded(record.path()).is_empty());

    let out = moto
        .command(&args(&["run", "web", "rake", "db:migrate", "--yes"]))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("exited with 3"), "{text}");
    let sent = recorded(record.path());
    assert_eq!(sent.len(), 1, "{sent:?}");
    let r = &sent[0];
    assert_eq!(r["taskDefinition"], web.task_definition().unwrap());
    assert_eq!(r["startedBy"], "convoxc-run");
    assert_eq!(
        r["overrides"]["containerOverrides"],
        serde_json::json!([{"name": "web", "command": ["rake", "db:migrate"]}])
    );
    // the service's network and capacity provider (Fargate: FargateServices=Yes), as ECS has them
    let net = web.network_configuration().unwrap().awsvpc_configuration().unwrap();
    assert!(!net.subnets().is_empty() && !net.security_groups().is_empty());
    assert_eq!(
        r["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        serde_json::json!(net.subnets())
    );
    assert_eq!(
        r["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"],
        serde_json::json!(net.security_groups())
    );
    let strategy: Vec<String> = web
        .capacity_provider_strategy()
        .iter()
        .map(|s| s.capacity_provider().to_string())
        .collect();
    let sent_strategy: Vec<String> = r["capacityProviderStrategy"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["capacityProvider"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    match web.launch_type() {
        Some(l) => assert_eq!(r["launchType"], l.as_str()),
        None => assert_eq!(sent_strategy, strategy),
    }

    // one shell line goes through sh -c; --cpu/--memory override the task's and the container's
    moto.run(&args(&[
        "run",
        "web",
        "rake db:migrate && rake db:seed",
        "--cpu",
        "1024",
        "--memory",
        "2048",
        "--yes",
    ]));
    let r = &recorded(record.path())[1];
    assert_eq!(
        r["overrides"]["containerOverrides"][0]["command"],
        serde_json::json!(["sh", "-c", "rake db:migrate && rake db:seed"])
    );
    assert_eq!(
        (r["overrides"]["cpu"].as_str(), r["overrides"]["memory"].as_str()),
        (Some("1024"), Some("2048"))
    );

    // --detach: the task's ID on stdout, at once
    let out = moto
        .command(&args(&["run", "web", "bin/console", "--detach", "--yes"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(id.len(), 36, "{id:?}");
    let sent = recorded(record.path());
    assert_eq!(sent.len(), 3);

    // --release with a task definition: that one, not the service's
    moto.run(&args(&[
        "run",
        "web",
        "true",
        "--release",
        "r-old-service-web:1",
        "--yes",
    ]));
    assert_eq!(recorded(record.path())[3]["taskDefinition"], "r-old-service-web:1");

    // --release with a release ID. The active one: the service's task definition as it is.
    let (bucket, key, text) = moto
        .objects_by_bucket()
        .into_iter()
        .find(|(_, k, _)| k.starts_with("convoxc/releases/myapp/"))
        .expect("the deploy recorded a release");
    let active: Value = serde_json::from_str(&text).unwrap();
    let id = active["id"].as_str().unwrap();
    moto.run(&args(&["run", "web", "true", "--release", id, "--yes"]));
    assert_eq!(
        recorded(record.path())[4]["taskDefinition"],
        web.task_definition().unwrap()
    );
    // A held one (deploy --no-execute of a new build): a revision registered for the task from
    // the service's, with that release's image of web, deregistered once the task started. The
    // record is the active one's with a new build (what `deploy --no-execute` writes, without
    // building an image here: moto's ECS runs no image). That ECS refuses to start a deregistered
    // revision is AWS's documented rule (DeregisterTaskDefinition), which moto does not apply.
    let mut held = active.clone();
    held["id"] = "R20991231000000000HELD".into();
    held["build"] = "B2".into();
    held["images"] = serde_json::json!({"web": "web.B2"});
    held["executed"] = false.into();
    held["status"] = "NOT_EXECUTED".into();
    moto.put_object(&bucket, &key.replace(id, "R20991231000000000HELD"), &held.to_string());
    let run = moto.run(&args(&[
        "run",
        "web",
        "rake",
        "db:migrate",
        "--release",
        "R20991231000000000HELD",
        "--yes",
    ]));
    assert_eq!(run.code, Some(3), "the seeded exit code: {}", run.out);
    assert!(
        run.out
            .contains("release R20991231000000000HELD (held, not deployed): image web.B2"),
        "{}",
        run.out
    );
    let sent = &recorded(record.path())[5];
    let fresh = sent["taskDefinition"].as_str().unwrap().to_string();
    assert_ne!(fresh, web.task_definition().unwrap());
    let (before, now) = moto.rt.block_on(async {
        let c = ecs(&moto);
        let get = |arn: String| {
            let c = c.clone();
            async move {
                c.describe_task_definition()
                    .task_definition(arn)
                    .send()
                    .await
                    .unwrap()
                    .task_definition
                    .unwrap()
            }
        };
        (
            get(web.task_definition().unwrap().to_string()).await,
            get(fresh.clone()).await,
        )
    });
    assert_eq!(now.family(), before.family(), "a revision of the service's family");
    let image = |d: &aws_sdk_ecs::types::TaskDefinition| {
        d.container_definitions()
            .iter()
            .find(|c| c.name() == Some("web"))
            .and_then(|c| c.image())
            .unwrap()
            .to_string()
    };
    assert!(image(&now).ends_with(":web.B2"), "{}", image(&now));
    assert_eq!(
        image(&now).rsplit_once(':').unwrap().0,
        image(&before).rsplit_once(':').unwrap().0,
        "the same repository"
    );
    let web_of = |d: &aws_sdk_ecs::types::TaskDefinition| {
        d.container_definitions()
            .iter()
            .find(|c| c.name() == Some("web"))
            .unwrap()
            .clone()
    };
    assert_eq!(web_of(&now).docker_labels().unwrap()["convox.release"], "B2");
    // everything else as the service's: environment, secrets, roles, network mode, cpu/memory
    assert_eq!(web_of(&now).secrets(), web_of(&before).secrets());
    assert_eq!(web_of(&now).environment(), web_of(&before).environment());
    assert_eq!(
        (
            now.task_role_arn(),
            now.execution_role_arn(),
            now.network_mode(),
            now.cpu(),
            now.memory()
        ),
        (
            before.task_role_arn(),
            before.execution_role_arn(),
            before.network_mode(),
            before.cpu(),
            before.memory()
        )
    );
    assert_eq!(
        now.status().map(|s| s.as_str()),
        Some("INACTIVE"),
        "deregistered after the task started"
    );
    // the service still runs what it ran
    assert_eq!(service(&moto, "web").1.task_definition(), web.task_definition());
    // a release that is not the app's
    let unknown = moto
        .run(&args(&["run", "web", "true", "--release", "R1NOPE", "--yes"]))
        .fails();
    assert!(
        unknown.out.contains("app myapp has no release R1NOPE"),
        "{}",
        unknown.out
    );

    // a service the app does not have
    let missing = moto.run(&args(&["run", "wbe", "true", "--yes"])).fails();
    assert!(
        missing.out.contains("has no service wbe (did you mean web?)"),
        "{}",
        missing.out
    );
}

#[test]
fn run_streams_its_lines_and_a_task_that_never_started_is_an_error() {
    let moto = Moto::start_with_env(&[(
        "CONVOXC_MOTO_RUN_NEVER_RAN",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
    )]);
    deployed(&moto);
    let out = moto.run(&args(&["run", "worker", "bin/migrate", "--yes"])).fails();
    assert!(
        out.out
            .contains("stopped before its command ran: CannotPullContainerError: pull image manifest"),
        "{}",
        out.out
    );
    assert!(out.out.contains("stop code TaskFailedToStart"), "{}", out.out);
}

#[test]
fn run_prints_the_tasks_log_lines_as_they_come() {
    let moto = Moto::start();
    deployed(&moto);
    // a task that runs for a while (some 40 DescribeTasks calls), so that lines arrive meanwhile
    slow_tasks(&moto, 10);
    let child = moto
        .command(&args(&["run", "web", "rake", "db:migrate", "--yes"]))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let cluster = moto.physical_id("r", "Cluster");
    let c = ecs(&moto);
    let started = Instant::now();
    let id = loop {
        let ids = moto.rt.block_on(async {
            c.list_tasks()
                .cluster(&cluster)
                .started_by("convoxc-run")
                .send()
                .await
                .unwrap()
                .task_arns()
                .to_vec()
        });
        if let Some(a) = ids.first() {
            break a.rsplit('/').next().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no task was started");
        std::thread::sleep(Duration::from_millis(100));
    };
    let group = moto.physical_id("r-myapp", "LogGroup");
    moto.put_log(
        &group,
        &format!("service/web/{id}"),
        now_ms(),
        &["== CreateUsers: migrated"],
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("== CreateUsers: migrated"), "{stdout}");
    assert_eq!(stdout.matches("CreateUsers").count(), 1, "printed once: {stdout}");
}

#[test]
fn ps_lists_service_timer_and_one_off_tasks_and_stops_one() {
    let moto = Moto::start();
    deployed(&moto);
    slow_tasks(&moto, 1000);
    let (_, web) = service(&moto, "web");
    let web_task = seed_task(
        &moto,
        web.task_definition().unwrap(),
        &format!("service:{}", web.service_name().unwrap()),
        "ecs-svc/1234",
        &web,
    );
    let timer_nested = nested(&moto, "TimerCleanup");
    let timer_def = inner(&moto, &timer_nested, "TaskDefinition");
    let family = timer_def
        .rsplit('/')
        .next()
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let timer_task = seed_task(
        &moto,
        &timer_def,
        &format!("family:{family}"),
        "events-rule/r-myapp-TimerCleanup-X",
        &web,
    );
    let one_off = moto
        .command(&args(&["run", "web", "bin/console", "--detach", "--yes"]))
        .output()
        .unwrap();
    assert!(one_off.status.success());
    let run_task = String::from_utf8_lossy(&one_off.stdout).trim().to_string();

    let listed = moto.command(&args(&["ps", "--format", "json"])).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let kind = |id: &str| {
        rows.iter().find(|r| r["id"] == id).map(|r| {
            (
                r["service"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
    };
    assert_eq!(kind(&web_task), Some(("web".into(), "service".into())), "{rows:?}");
    assert_eq!(kind(&timer_task), Some(("cleanup".into(), "timer".into())), "{rows:?}");
    assert_eq!(kind(&run_task), Some(("web".into(), "run".into())), "{rows:?}");
    assert_eq!(rows.len(), 3, "{rows:?}");
    for r in &rows {
        assert_eq!(r["where"], "fargate");
        assert_eq!(r["status"], "running");
        assert_eq!(r["release"], "B1", "{r}");
    }

    let text = moto.run(&args(&["ps"])).ok();
    let head = text.out.lines().next().unwrap();
    assert!(head.starts_with("ID") && head.contains("SERVICE") && head.contains("RELEASE") && head.contains("WHERE"));
    assert!(
        text.out.contains("web (run)") && text.out.contains("cleanup (timer)"),
        "{}",
        text.out
    );

    let only = moto.run(&args(&["ps", "--service", "web"])).ok();
    assert!(only.out.contains(&web_task) && only.out.contains(&run_task) && !only.out.contains(&timer_task));

    // stop: asks (refused off a terminal), then with --yes
    moto.run(&args(&["ps", "stop", &run_task[..8]])).fails();
    let stopped = moto.run(&args(&["ps", "stop", &run_task[..8], "--yes"])).ok();
    assert!(
        stopped.out.contains(&format!("ok: task {run_task} is stopped")),
        "{}",
        stopped.out
    );
    let after = moto.run(&args(&["ps"])).ok();
    assert!(
        !after.out.contains(&run_task) && after.out.contains(&web_task),
        "{}",
        after.out
    );
    moto.run(&args(&["ps", "stop", "nosuchtask", "--yes"])).fails();
}

#[test]
fn restart_makes_a_new_deployment_and_follows_it_to_steady() {
    // moto's services report their tasks running only as this says (the fixture's count is 1)
    let moto = Moto::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "1")]);
    deployed(&moto);
    let (_, before) = service(&moto, "web");
    let (_, worker_before) = service(&moto, "worker");
    let id = |s: &aws_sdk_ecs::types::Service| s.deployments()[0].id().unwrap().to_string();
    moto.run(&args(&["restart", "web"])).fails();
    let out = moto.run(&args(&["restart", "web", "--yes"])).ok();
    assert!(out.out.contains("web: new deployment ecs-svc/"), "{}", out.out);
    assert!(out.out.contains("ok: web restarted and steady"), "{}", out.out);
    let (_, after) = service(&moto, "web");
    assert_ne!(id(&before), id(&after), "a new deployment");
    assert_eq!(
        before.task_definition(),
        after.task_definition(),
        "of the same task definition"
    );
    let (_, worker_after) = service(&moto, "worker");
    assert_eq!(id(&worker_before), id(&worker_after), "only web");

    let all = moto.run(&args(&["restart", "--yes", "--format", "json"])).ok();
    let verdict: Value = serde_json::from_str(all.out.lines().rfind(|l| l.contains("\"verdict\"")).unwrap()).unwrap();
    assert_eq!(verdict["result"], "ok");
    assert_eq!(verdict["services"], serde_json::json!(["web", "worker"]));
}

#[test]
fn scale_changes_only_the_formation_and_says_what_the_next_deploy_does() {
    let moto = Moto::start();
    let dir = deployed(&moto);
    let manifest = dir.path().join("convox.yml");
    let f = manifest.to_str().unwrap();
    let web_stack = nested(&moto, "ServiceWeb");
    let count = |moto: &Moto| {
        moto.stack_parameters(&web_stack)
            .into_iter()
            .find(|(k, _)| k == "Count")
            .map(|(_, v)| v)
    };
    assert_eq!(count(&moto).as_deref(), Some("1"));

    // the report first (--no-execute): the desired count, and nothing else
    let plan = moto
        .run(&args(&["scale", "web", "--count", "3", "--no-execute", "-f", f]))
        .ok();
    assert!(plan.out.contains("scale web of app myapp: Count 1 → 3"), "{}", plan.out);
    assert!(plan.out.contains("convox.yml says no scale for web"), "{}", plan.out);
    assert!(plan.out.contains("DesiredCount"), "{}", plan.out);
    for other in [
        "ServiceWorker",
        "TimerCleanup",
        "ResourceDatabase",
        "LogGroup",
        "TaskDefinition",
    ] {
        assert!(!plan.out.contains(other), "{other} in the report:\n{}", plan.out);
    }
    let done = moto
        .run(&args(&["scale", "web", "--count", "3", "--yes", "-f", f]))
        .ok();
    assert!(done.out.contains("ok: r-myapp"), "{}", done.out);
    assert_eq!(count(&moto).as_deref(), Some("3"));
    let (_, web) = service(&moto, "web");
    assert_eq!(web.desired_count(), 3);
    let worker_nested = nested(&moto, "ServiceWorker");
    assert!(
        moto.stack_parameters(&worker_nested)
            .contains(&("Count".into(), "1".into()))
    );

    // the listing
    let list = moto.run(&args(&["scale"])).ok();
    let web_line = list.out.lines().find(|l| l.starts_with("web ")).unwrap();
    assert_eq!(web_line.split_whitespace().collect::<Vec<_>>()[1], "3", "{}", list.out);

    // a deploy of convox.yml, which says no scale for web: the live count stays (said), the
    // service is not updated, the others keep theirs
    let again = moto::apply(&moto, dir.path(), &[]).ok();
    assert!(
        again.out.contains("service web keeps its deployed count 3"),
        "{}",
        again.out
    );
    assert_eq!(count(&moto).as_deref(), Some("3"));
    assert_eq!(service(&moto, "web").1.desired_count(), 3);

    // a manifest that pins the scale: which wins next is said
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "    command: bin/web\n",
            "    command: bin/web\n    scale:\n      count: 2\n",
        ),
    )
    .unwrap();
    let pinned = moto
        .run(&args(&["scale", "web", "--count", "4", "--no-execute", "-f", f]))
        .ok();
    assert!(
        pinned.out.contains("convox.yml sets the scale of web (count: 2)"),
        "{}",
        pinned.out
    );
    assert!(pinned.out.contains("back to convox.yml's"), "{}", pinned.out);
    // and the deploy sets it
    let set = moto::apply(&moto, dir.path(), &[]).ok();
    assert!(!set.out.contains("keeps its deployed count"), "{}", set.out);
    assert_eq!(count(&moto).as_deref(), Some("2"));
    moto.run(&args(&["scale", "web", "--count", "3", "--yes", "-f", f]))
        .ok();

    // the same scale again: nothing to do; a range and a missing change are usage errors
    let same = moto
        .run(&args(&["scale", "web", "--count", "3", "--yes", "-f", f]))
        .ok();
    assert!(
        same.out.contains("no changes: web already runs at that scale"),
        "{}",
        same.out
    );
    // a range bounds an autoscaled service (moto's CloudFormation makes no scalable targets: the
    // range's templates are unit-tested in ops/scale.rs); web is not one
    let range = moto
        .run(&args(&["scale", "web", "--count", "2-5", "--yes", "-f", f]))
        .fails();
    assert!(range.out.contains("web does not autoscale"), "{}", range.out);
    assert_eq!(moto.run(&args(&["scale", "web", "--count", "5-2"])).code, Some(2));
    assert_eq!(moto.run(&args(&["scale", "web"])).code, Some(2));
    // cpu and memory: the service's and its timers' (cleanup runs worker's image)
    let both = moto
        .run(&args(&[
            "scale",
            "worker",
            "--cpu",
            "512",
            "--memory",
            "1024",
            "--no-execute",
            "-f",
            f,
        ]))
        .ok();
    assert!(
        both.out
            .contains("Cpu 256 → 512, Memory 512 → 1024, timer cleanup Cpu 256 → 512, timer cleanup Memory 512 → 1024"),
        "{}",
        both.out
    );
    moto.run(&args(&[
        "scale", "worker", "--cpu", "512", "--memory", "1024", "--yes", "-f", f,
    ]))
    .ok();
    // convox.yml says no cpu or memory of worker: a deploy keeps them, for its timer too
    let kept = moto::apply(&moto, dir.path(), &[]).ok();
    for line in [
        "service worker keeps its deployed cpu 512",
        "service worker keeps its deployed memory 1024",
        "timer cleanup keeps its deployed cpu 512",
    ] {
        assert!(kept.out.contains(line), "{line}: {}", kept.out);
    }
    let timer = nested(&moto, "TimerCleanup");
    assert!(moto.stack_parameters(&timer).contains(&("Cpu".into(), "512".into())));
    // Fargate's pairs
    let bad = moto
        .run(&args(&[
            "scale", "web", "--cpu", "256", "--memory", "4096", "--yes", "-f", f,
        ]))
        .fails();
    assert!(bad.out.contains("no task of 256 CPU units and 4096 MiB"), "{}", bad.out);
}

#[test]
fn exec_starts_the_plugin_as_the_aws_cli_does() {
    let moto = Moto::start();
    deployed(&moto);
    slow_tasks(&moto, 1000);
    let (cluster, web) = service(&moto, "web");
    let task = seed_task(
        &moto,
        web.task_definition().unwrap(),
        &format!("service:{}", web.service_name().unwrap()),
        "ecs-svc/1",
        &web,
    );

    // no plugin on PATH: one line saying what to install, nothing opened
    let bare = tempfile::tempdir().unwrap();
    let out = moto
        .command(&args(&["exec", "web", "ls"]))
        .env("PATH", bare.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("exec needs AWS's session-manager-plugin on PATH: install it"),
        "{err}"
    );

    // a stand-in plugin that records how it was started, and exits 7
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("argv");
    let plugin = bin.path().join("session-manager-plugin");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 1.2.707.0; exit 0; fi\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {0}\nprintf '%s' \"$AWS_SSM_START_SESSION_RESPONSE\" > {0}.env\nexit 7\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap());
    let out = moto
        .command(&args(&["exec", "web", "rails", "console"]))
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    let argv: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let cluster_name = cluster.rsplit('/').next().unwrap();
    assert_eq!(
        argv,
        vec![
            "AWS_SSM_START_SESSION_RESPONSE".to_string(),
            "us-east-1".into(),
            "StartSession".into(),
            String::new(),
            format!(r#"{{"Target":"ecs:{cluster_name}_{task}_{task}-1000"}}"#),
            moto.endpoint(),
        ]
    );
    // the session (its token) in the environment, not on the command line
    let session: Value = serde_json::from_str(&std::fs::read_to_string(bin.path().join("argv.env")).unwrap()).unwrap();
    assert!(
        session["sessionId"]
            .as_str()
            .unwrap()
            .starts_with("ecs-execute-command-")
    );
    assert!(session["tokenValue"].as_str().is_some() && session["streamUrl"].as_str().unwrap().starts_with("wss://"));
    assert!(!argv.iter().any(|a| a.contains("tokenValue")));

    // a task by the start of its ID; a task the app does not have
    moto.command(&args(&["exec", &task[..8], "ls"]))
        .env("PATH", &path)
        .status()
        .unwrap();
    assert!(std::fs::read_to_string(&log).unwrap().contains(&task));
    let none = moto
        .command(&args(&["exec", "nosuch", "ls"]))
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
}
