//! `convoxc deploy` and `convoxc images` from source to running, with real components: moto's
//! server for AWS (CloudFormation, S3, SSM, the ECR API: the repository and the login), Debian's
//! podman building `FROM scratch` images, and Debian's distribution registry on 127.0.0.1 holding
//! them (`moto/registry.rs`; `CONVOXC_REGISTRY_HOST` points convoxc's pushes and checks at it).
//!
//! What moto cannot show: ECS pulling the image and starting a task (moto runs no containers).
//! That a task definition names an image that is in the registry is what these tests check
//! instead, on moto's task definitions and the registry's tags.

mod moto;

use moto::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const MANIFEST: &str = "\
services:
  web:
    build: .
    port: 3000
  worker:
    build: .
    command: bin/worker
  jobs:
    build: ./jobs
    command: bin/jobs
  proxy:
    image: nginx:1.27
";

/// An app folder: web and worker share the root's Dockerfile, jobs has its own (the root's
/// `.dockerignore` leaves `jobs/` out of the root's context), proxy is given its image.
fn app(dir: &Path) {
    std::fs::write(dir.join("convox.yml"), MANIFEST).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nARG GREETING\nCOPY app.txt /app.txt\n",
    )
    .unwrap();
    std::fs::write(dir.join(".dockerignore"), "jobs\n").unwrap();
    std::fs::write(dir.join("app.txt"), "web and worker\n").unwrap();
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    std::fs::write(dir.join("jobs/Dockerfile"), "FROM scratch\nCOPY jobs.txt /jobs.txt\n").unwrap();
    std::fs::write(dir.join("jobs/jobs.txt"), "jobs v1\n").unwrap();
}

impl World {
    fn manifest(&self) -> String {
        self.dir.path().join("convox.yml").display().to_string()
    }

    fn deploy(&self, extra: &[&str]) -> Run {
        let m = self.manifest();
        let mut args = vec![
            "deploy",
            m.as_str(),
            "--app",
            "myapp",
            "--rack",
            "r",
            "--yes",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// The app registry's name (moto names it, as CloudFormation does).
    fn repository(&self) -> String {
        self.moto.physical_id("r-myapp", "Registry")
    }

    /// The image of every ECS task definition moto holds (its latest revision per family).
    fn task_images(&self) -> BTreeSet<String> {
        let script = format!(
            "import boto3\n\
             ecs = boto3.client('ecs', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             fams = ecs.list_task_definition_families(status='ACTIVE')['families']\n\
             for f in fams:\n\
             \x20   arn = ecs.list_task_definitions(familyPrefix=f, sort='DESC')['taskDefinitionArns'][0]\n\
             \x20   for c in ecs.describe_task_definition(taskDefinition=arn)['taskDefinition']['containerDefinitions']:\n\
             \x20       print(c['image'])\n",
            self.moto.endpoint()
        );
        let out = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The build a service's stack runs (its `Build` parameter).
    fn service_build(&self, service: &str) -> String {
        let logical = format!("Service{}{}", service[..1].to_uppercase(), &service[1..]);
        let id = self.moto.physical_id("r-myapp", &logical);
        let params = self.moto.stack_parameters(&id);
        params.into_iter().find(|(k, _)| k == "Build").unwrap().1
    }
}

/// The JSON lines a run printed.
fn events(run: &Run) -> Vec<Value> {
    run.out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn images(run: &Run, result: &str) -> Vec<Value> {
    events(run)
        .into_iter()
        .filter(|e| e["type"] == "image" && e["result"] == result)
        .collect()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

/// A new app with two services built from one Dockerfile, one from another, and one `image:`
/// service: from nothing to running with one `deploy` (the app stack is created with its registry,
/// then updated with the services once the images are there: UPDATE_COMPLETE, as after convox's
/// `apps create` and first deploy); the task definitions name exactly the tags in the registry;
/// no credential is left in any file.
#[test]
fn a_first_deploy_builds_pushes_and_runs() {
    let w = World::new(app);
    let run = w.deploy(&[]).ok();
    assert_eq!(
        w.moto.stack_status("r-myapp").as_deref(),
        Some("UPDATE_COMPLETE"),
        "{}",
        run.out
    );
    let types: Vec<String> = events(&run)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    // one plan, one consent, one verdict: the registry first, then the images, then the services
    assert_eq!(types.iter().filter(|t| *t == "plan").count(), 1, "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "verdict").count(), 1, "{types:?}");
    let at = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("no {t}: {types:?}"))
    };
    assert!(
        at("plan") < at("stack-ready") && at("stack-ready") < at("images"),
        "{types:?}"
    );
    // each stack event says the stack as the manifest names it
    assert!(
        events(&run)
            .iter()
            .any(|e| e["type"] == "event" && e["label"] == "service jobs"),
        "{}",
        run.out
    );
    // one image per distinct build: two built, three tags pushed
    assert_eq!(images(&run, "built").len(), 2, "{}", run.out);
    assert_eq!(images(&run, "pushed").len(), 3, "{}", run.out);
    let last = events(&run).pop().unwrap();
    assert_eq!(last["type"], "verdict", "{}", run.out);
    assert_eq!(last["result"], "ok", "{}", run.out);

    let repo = w.repository();
    // the three image tags, and each marked as run by a deployed release (`kept_`, for the
    // registry's lifecycle policy)
    let all = w.registry.tags(&repo);
    let (kept, tags): (Vec<String>, Vec<String>) = all.into_iter().partition(|t| t.starts_with("kept_"));
    assert_eq!(tags.len(), 3, "{tags:?}");
    let mut marked: Vec<String> = kept.iter().map(|t| t.trim_start_matches("kept_").to_string()).collect();
    marked.sort();
    assert_eq!(marked, tags, "{kept:?}");
    let web = tags.iter().find(|t| t.starts_with("web.")).unwrap();
    let worker = tags.iter().find(|t| t.starts_with("worker.")).unwrap();
    let jobs = tags.iter().find(|t| t.starts_with("jobs.")).unwrap();
    // web and worker share one build, jobs has its own
    assert_eq!(web.strip_prefix("web."), worker.strip_prefix("worker."));
    assert_ne!(web.strip_prefix("web."), jobs.strip_prefix("jobs."));

    // what the task definitions run: exactly the pushed tags, and the given image
    let running = w.task_images();
    let from_registry: BTreeSet<String> = running
        .iter()
        .filter_map(|i| i.split_once(&format!("/{repo}:")).map(|(_, t)| t.to_string()))
        .collect();
    assert_eq!(
        from_registry,
        tags.iter().cloned().collect::<BTreeSet<_>>(),
        "{running:?}"
    );
    assert!(running.contains("nginx:1.27"), "{running:?}");

    // the registry login was in a temporary engine config, removed afterwards; the user's own
    // ~/.docker was never written
    let token = ecr_password(&w.moto);
    assert!(
        files_holding(w.home.path(), &token).is_empty(),
        "{:?}",
        files_holding(w.home.path(), &token)
    );
    assert!(!w.home.path().join(".docker/config.json").exists());
}

/// moto's ECR login password.
fn ecr_password(moto: &Moto) -> String {
    let script = format!(
        "import boto3, base64\n\
         t = boto3.client('ecr', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing').get_authorization_token()\n\
         print(base64.b64decode(t['authorizationData'][0]['authorizationToken']).decode().split(':', 1)[1])\n",
        moto.endpoint()
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A second deploy with no change builds, pushes and changes nothing; a changed file in one build
/// context gives a new image and task definition to exactly the service built from it.
#[test]
fn only_what_changed_is_built_pushed_and_rolled() {
    let w = World::new(app);
    w.deploy(&[]).ok();
    let sets = w.moto.change_set_count("r-myapp");
    let (web, jobs) = (w.service_build("web"), w.service_build("jobs"));

    let again = w.deploy(&[]).ok();
    assert!(images(&again, "built").is_empty(), "{}", again.out);
    assert!(images(&again, "pushed").is_empty(), "{}", again.out);
    assert_eq!(images(&again, "skipped").len(), 2, "{}", again.out);
    assert_eq!(events(&again).pop().unwrap()["result"], "unchanged", "{}", again.out);
    assert_eq!(w.moto.change_set_count("r-myapp"), sets);

    std::fs::write(w.dir.path().join("jobs/jobs.txt"), "jobs v2\n").unwrap();
    let changed = w.deploy(&[]).ok();
    assert_eq!(images(&changed, "built").len(), 1, "{}", changed.out);
    assert_eq!(images(&changed, "pushed").len(), 1, "{}", changed.out);
    // the report before the change set: the root, and the jobs service; no other service
    let plan = events(&changed).into_iter().find(|e| e["type"] == "plan").unwrap();
    let labels: BTreeSet<String> = plan["report"]["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect();
    assert!(labels.contains("service jobs"), "{labels:?}");
    for other in ["service web", "service worker", "service proxy"] {
        assert!(!labels.contains(other), "{other} changed: {labels:?}");
    }
    assert_eq!(w.service_build("web"), web);
    assert_ne!(w.service_build("jobs"), jobs);
    let tags = w.registry.tags(&w.repository());
    assert!(tags.contains(&format!("jobs.{}", w.service_build("jobs"))), "{tags:?}");
}

/// An image deleted from the registry is refused before any change set, by `apply` (which runs
/// what is deployed) as by `apply --build` with a build nobody pushed.
#[test]
fn a_missing_image_is_refused_before_any_change_set() {
    let w = World::new(app);
    w.deploy(&[]).ok();
    let sets = w.moto.change_set_count("r-myapp");
    let repo = w.repository();
    // jobs has an image of its own (web and worker share one: deleting it by digest takes both tags)
    let jobs = w.service_build("jobs");
    w.registry.delete(&repo, &format!("jobs.{jobs}"));
    let m = w.manifest();
    let run = w
        .run(&["apply", &m, "--app", "myapp", "--rack", "r", "--yes", "-e", "NEW=1"])
        .fails();
    assert!(run.out.contains("does not have every image"), "{}", run.out);
    assert!(
        run.out.contains(&format!(
            "service jobs: 127.0.0.1:{}/{repo}:jobs.{jobs}",
            w.registry.port
        )),
        "{}",
        run.out
    );
    assert!(!run.out.contains("service web:"), "{}", run.out);
    let unknown = w
        .run(&[
            "apply",
            &m,
            "--app",
            "myapp",
            "--rack",
            "r",
            "--yes",
            "--build",
            "BNOTPUSHED",
        ])
        .fails();
    assert!(unknown.out.contains("worker.BNOTPUSHED"), "{}", unknown.out);
    assert_eq!(w.moto.change_set_count("r-myapp"), sets);
    assert_eq!(w.moto.parameter("/convoxc/r/myapp/NEW"), None);
}

/// CI that builds in one job and deploys in another, for a new app: `apps create` makes the app
/// stack with its registry and no service, `images push` prints the build ID (and nothing else on
/// stdout), `apply --build ID` runs it; `images` lists every build and the deployed one.
#[test]
fn apps_create_images_push_then_apply_the_build() {
    let w = World::new(app);
    let m = w.manifest();
    let push = || {
        let out = w
            .moto
            .command(&["images", "push", &m, "--app", "myapp", "--rack", "r"])
            .envs(w.registry.env(w.home.path()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // nothing to push to before the app exists
    let early = w.run(&["images", "push", &m, "--app", "myapp", "--rack", "r"]).fails();
    assert!(early.out.contains("convoxc apps create myapp"), "{}", early.out);
    w.run(&["apps", "create", "myapp", "--rack", "r", "--yes"]).ok();
    assert_eq!(w.moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
    assert!(
        w.moto
            .stack_parameters("r-myapp")
            .iter()
            .all(|(k, _)| !k.ends_with("Formation"))
    );

    let first = push();
    assert!(first.starts_with('B') && first.len() == 13, "{first:?}");
    w.run(&["apply", &m, "--app", "myapp", "--rack", "r", "--yes", "--build", &first])
        .ok();
    assert_eq!(w.moto.stack_status("r-myapp").as_deref(), Some("UPDATE_COMPLETE"));

    std::fs::write(w.dir.path().join("app.txt"), "web and worker v2\n").unwrap();
    let second = push();
    assert_ne!(first, second);
    // pushing the same sources again pushes nothing and names the same build
    assert_eq!(push(), second);
    let apply = w
        .run(&[
            "apply", &m, "--app", "myapp", "--rack", "r", "--yes", "--build", &second,
        ])
        .ok();
    assert!(apply.out.contains("UPDATE_COMPLETE"), "{}", apply.out);
    let list = w
        .run(&["images", "--app", "myapp", "--rack", "r", "--format", "json"])
        .ok();
    let rows: Vec<Value> = serde_json::from_str(&list.out).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "{rows:?}");
    assert_eq!(rows[0]["deployed"], true, "{rows:?}");
    assert_eq!(rows[1]["deployed"], false, "{rows:?}");
    assert_eq!(
        rows[0]["services"],
        serde_json::json!(["jobs", "web", "worker"]),
        "{rows:?}"
    );
}
