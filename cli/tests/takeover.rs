//! Taking over an app stack that a convox rack made, on the local AWS emulator (moto's server
//! through the launcher `moto_server.py`, whose points 10–18 are what these stacks needed).
//!
//! For each case of `../shared/takeover/cases` that moto can create, the convox-rendered bundle is
//! deployed as convox deploys it: the nested templates in the rack's settings bucket under the
//! content address their `TemplateURL` names (`production-settings-dropin/myapp/<sha256>.json`),
//! the root stack `production-myapp` created directly (no change set) with the values a release
//! sends (`meta.json`'s `root_parameters`) and convox's tags. The rack is a stand-in
//! (`fixtures/convox-rack.json`): convox's exports, outputs and parameters, as a convox rack
//! shows them to its apps. Then `convoxc apply` takes the app over, as a user would run it, and the
//! test checks, resource by resource (root and nested stacks), that every resource convoxc keeps
//! has the physical ID it had — a new task-definition revision aside — and that what convoxc no
//! longer manages but convox retained (the app's `Settings` bucket) still exists.
//!
//! Cases left out, and why: moto's CloudFormation has no ACM certificates, ElastiCache or
//! Application Auto Scaling policies (the cases with those would deploy only in part), and its
//! EFS access point has no `Fn::GetAtt`. The replacement side of every one of the 96 cases is
//! measured offline by `tests/tests/diff.rs` (the takeover preview).

mod moto;

use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use moto::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Resources by "Nested/Logical" path: (type, physical ID).
type Resources = BTreeMap<String, (String, String)>;

fn shared() -> PathBuf {
    match std::env::var_os("CONVOXC_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

const BUCKET: &str = "production-settings-dropin";

fn hex(bytes: &[u8]) -> String {
    sha256(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Deploy a convox-made bundle as convox would: templates uploaded, the root created directly.
fn deploy_convox(moto: &Moto, case: &Path, extra: &[(&str, &str)]) {
    let meta: Value = serde_json::from_slice(&std::fs::read(case.join("meta.json")).unwrap()).unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.conf())
            .force_path_style(true)
            .build(),
    );
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        let mut files: Vec<String> = meta["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap().to_string())
            .collect();
        files.push("app.json".into());
        let mut root_key = String::new();
        for file in &files {
            let bytes = std::fs::read(case.join(file)).unwrap();
            let key = format!("myapp/{}.json", hex(&bytes));
            s3.put_object()
                .bucket(BUCKET)
                .key(&key)
                .body(bytes.into())
                .send()
                .await
                .unwrap();
            root_key = key;
        }
        let mut create = cfn
            .create_stack()
            .stack_name("production-myapp")
            .template_url(format!("https://{BUCKET}.s3.amazonaws.com/{root_key}"))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam);
        let given = meta["root_parameters"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .chain(extra.iter().copied());
        for (k, v) in given {
            create = create.parameters(Parameter::builder().parameter_key(k).parameter_value(v).build());
        }
        for (k, v) in [
            ("Generation", "2"),
            ("Name", "myapp"),
            ("Rack", "production"),
            ("System", "convox"),
            ("Type", "app"),
        ] {
            create = create.tags(Tag::builder().key(k).value(v).build());
        }
        create.send().await.unwrap();
    });
    assert_eq!(
        moto.stack_status("production-myapp").as_deref(),
        Some("CREATE_COMPLETE")
    );
}

/// Every resource of the app stack and its nested stacks: "Nested/Logical" → (type, physical ID).
fn resources(moto: &Moto) -> Resources {
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        let mut out = BTreeMap::new();
        let mut todo = vec![("production-myapp".to_string(), String::new())];
        while let Some((stack, prefix)) = todo.pop() {
            let list = cfn.describe_stack_resources().stack_name(&stack).send().await.unwrap();
            for r in list.stack_resources() {
                // moto lists a resource type it does not model without a logical ID
                let (Some(id), Some(kind)) = (r.logical_resource_id(), r.resource_type()) else {
                    continue;
                };
                let physical = r.physical_resource_id().unwrap_or("").to_string();
                if kind == "AWS::CloudFormation::Stack" && !physical.is_empty() {
                    todo.push((physical.clone(), format!("{prefix}{id}/")));
                }
                out.insert(format!("{prefix}{id}"), (kind.to_string(), physical));
            }
        }
        out
    })
}

fn bucket_exists(moto: &Moto, name: &str) -> bool {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.conf())
            .force_path_style(true)
            .build(),
    );
    moto.rt
        .block_on(async { s3.head_bucket().bucket(name).send().await.is_ok() })
}

/// Deploy CASE as convox would, take it over with `convoxc apply`, and return the resources
/// before and after, with the apply's output.
fn take_over(case: &str) -> (Resources, Resources, String) {
    take_over_with(case, &[]).0
}

/// `take_over`, the convox app deployed with `extra` root parameters; and moto, to look at after.
fn take_over_with(case: &str, extra: &[(&str, &str)]) -> ((Resources, Resources, String), Moto) {
    let dir = shared().join("takeover/cases").join(case);
    let spec: Value = serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    let moto = Moto::start();
    let rack = fixture("convox-rack.json");
    moto.run(&[
        "rack",
        "apply",
        "--rack",
        "production",
        "--template",
        rack.to_str().unwrap(),
        "--yes",
    ])
    .ok();
    deploy_convox(&moto, &dir, extra);
    let before = resources(&moto);
    let manifest = shared().join(spec["manifest"].as_str().unwrap());
    let mut args = vec![
        "apply".to_string(),
        manifest.to_str().unwrap().to_string(),
        "--rack".into(),
        "production".into(),
        "--app".into(),
        "myapp".into(),
        "--build".into(),
        "BDROPIN0001".into(),
        "--yes".into(),
    ];
    for (k, v) in spec["env"].as_object().unwrap() {
        args.push("-e".into());
        args.push(format!("{k}={}", v.as_str().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // the build it runs is in the app's registry, as convox's builder pushed it: nothing runs an
    // image that is not there (a local registry stands in for ECR's)
    let registry = LocalRegistry::start();
    let home = tempfile::tempdir().unwrap();
    let repository = moto.physical_id("production-myapp", "Registry");
    let tags: Vec<String> = built_services(&manifest)
        .into_iter()
        .map(|s| format!("{s}.BDROPIN0001"))
        .collect();
    registry.seed(&repository, &tags);
    let run = Run::from(moto.command(&args).envs(registry.env(home.path())).output().unwrap()).ok();
    assert!(run.out.contains("ok: production-myapp UPDATE_COMPLETE"), "{}", run.out);
    let after = resources(&moto);
    // the params a convox rack sets on its apps come from the rack (its outputs and parameters)
    let params = moto.stack_parameters("production-myapp");
    for (k, v) in [
        ("SyslogFormat", "rfc3164"),
        ("Private", "No"),
        ("LogDriver", "CloudWatch"),
    ] {
        assert!(params.contains(&(k.to_string(), v.to_string())), "{k}: {params:?}");
    }
    // what convox retained stays, although convoxc does not manage it
    let settings = &before["Settings"].1;
    assert!(!after.contains_key("Settings"), "{}", run.out);
    assert!(
        bucket_exists(&moto, settings),
        "the app's Settings bucket {settings} was deleted"
    );
    ((before, after, run.out), moto)
}

/// The services of a manifest that are built from source (no `image:`).
fn built_services(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    doc["services"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, s)| s.get("image").is_none())
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Every resource that is in the stacks before and after keeps its physical ID; a task definition
/// gets a new revision of the same family.
fn assert_kept(before: &Resources, after: &Resources, out: &str) {
    let mut kept = 0;
    for (path, (kind, old)) in before {
        let Some((new_kind, new)) = after.get(path) else {
            continue;
        };
        assert_eq!(kind, new_kind, "{path}");
        if kind == "AWS::ECS::TaskDefinition" {
            let family = |arn: &str| arn.rsplit_once(':').map(|(f, _)| f.to_string());
            assert_eq!(family(old), family(new), "{path}: {old} → {new}");
            assert_ne!(old, new, "{path}: no new revision");
        } else {
            assert_eq!(old, new, "{path} ({kind}) was replaced\n{out}");
            kept += 1;
        }
    }
    assert!(kept >= 3, "{kept} kept: {before:?}");
    // the report before the consent says nothing is replaced, destroyed or refused
    let headline = out.lines().find(|l| l.starts_with("convoxc diff: ")).unwrap_or("");
    for word in ["replace", "destroy", "fail"] {
        assert!(!headline.contains(word), "{headline}\n{out}");
    }
}

/// A service without a balancer (`conformance/convox-rack/simple.yml`).
#[test]
fn a_service_is_taken_over_in_place() {
    // scaled by `convox scale` to 3 tasks (its Formation parameter), which convox.yml does not say
    let ((before, after, out), moto) = take_over_with("fixture-simple", &[("WebFormation", "3,256,512")]);
    assert_kept(&before, &after, &out);
    for path in ["ServiceWeb", "ServiceWeb/Service", "Registry", "LogGroup"] {
        assert_eq!(before.get(path), after.get(path), "{path}");
    }
    // the live count stays, and is said
    assert!(out.contains("service web keeps its deployed count 3"), "{out}");
    let web = &after["ServiceWeb"].1;
    assert!(
        moto.stack_parameters(web).contains(&("Count".into(), "3".into())),
        "{:?}",
        moto.stack_parameters(web)
    );
}

/// A web service behind the rack's router with a postgres database: the database instance, its
/// security group and subnet group, the service, its target group and listener rules and the
/// internal DNS record stay.
#[test]
fn a_database_and_a_balanced_service_are_taken_over_in_place() {
    let (before, after, out) = take_over("corpus-029-convox-examples-django");
    assert_kept(&before, &after, &out);
    for path in [
        "ResourceDatabase",
        "ResourceDatabase/Instance",
        "ResourceDatabase/SecurityGroup",
        "ServiceWeb/Service",
        "ServiceWeb/BalancerTargetGroup",
        "ServiceWeb/BalancerListenerRule443",
        "ServiceWeb/RecordSetInternalDomain",
        "RecordSetWebInternal",
    ] {
        assert!(before.contains_key(path), "{path}: {before:?}");
        assert_eq!(before.get(path), after.get(path), "{path}");
    }
}

/// A timer: its schedule rule stays; convox's launcher Lambda and its role leave (timers start
/// ECS tasks from EventBridge directly).
#[test]
fn a_timer_is_taken_over_in_place() {
    let (before, after, out) = take_over("corpus-055-convox-costbot");
    assert_kept(&before, &after, &out);
    assert!(before.contains_key("TimerLauncher"), "{before:?}");
    assert!(!after.contains_key("TimerLauncher"), "{after:?}");
    let rules: Vec<&String> = before
        .iter()
        .filter(|(p, (k, _))| p.starts_with("TimerDaily/") && k == "AWS::Events::Rule")
        .map(|(p, _)| p)
        .collect();
    assert!(!rules.is_empty(), "{before:?}");
    for path in rules {
        assert_eq!(before.get(path), after.get(path), "{path}");
    }
}
