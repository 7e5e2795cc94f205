//! Following a deploy beyond CloudFormation's events, against moto's server (see `apply.rs`): a
//! service whose essential container exits — the verdict names the task, the exit code, the
//! reason and the container's last log lines, in text and JSON —, the deploy wait, and
//! `apps cancel` on an update in progress.
//!
//! moto's ECS starts no task for a service and keeps no service events or exit codes: the
//! launcher seeds what ECS records for such a failure (`moto_server.py`, point 23) and fails the
//! execution as CloudFormation does when the circuit breaker trips; the log lines are put into the
//! app's log group with the SDK, in the stream ECS's awslogs driver names (`service/web/<task>`).
//! moto implements no CancelUpdateStack: the launcher's point 22 does, as CloudFormation ends a
//! cancelled update. The decisions themselves are unit-tested on recorded answers
//! (`cli/src/deploy/ecs_tests.rs`).

mod moto;

use moto::*;
use serde_json::Value;

const TASK: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

fn apply_app(moto: &Moto, dir: &std::path::Path, extra: &[&str]) -> Apart {
    let manifest = dir.join("convox.yml");
    let mut args = vec!["apply", manifest.to_str().unwrap(), "--app", "myapp", "--rack", "r"];
    args.extend_from_slice(extra);
    moto.run_apart(&args)
}

#[test]
fn a_failing_service_says_its_exit_code_reason_and_log_lines() {
    let fail = format!(
        r#"{{"stack": "r-myapp", "executions": [2, 3], "service": "ServiceWeb", "task": "{TASK}", "exit": 1,
            "reason": "Essential container in task exited"}}"#
    );
    let moto = Moto::start_with_env(&[("CONVOXC_MOTO_ECS_FAIL", &fail)]);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=one"]).ok();
    let group = moto.physical_id("r-myapp", "LogGroup");
    moto.put_log(
        &group,
        &format!("service/web/{TASK}"),
        now_ms(),
        &[
            "booting",
            "Traceback (most recent call last):",
            "KeyError: 'DATABASE_URL'",
        ],
    );

    // text: the stopped task streams as it is found, and the verdict leads with it
    let out = apply_app(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=two", "--yes"]).code(1);
    has(
        &out.out,
        &format!("service web  task {TASK}  STOPPED  Essential container in task exited"),
    );
    has(&out.out, "web: exit 1");
    has(
        &out.err,
        &format!(
            "cause: service web: task {TASK} exited 1 — `KeyError: 'DATABASE_URL'` (Essential container in task \
             exited); the circuit breaker rolled the service back"
        ),
    );
    has(&out.err, &format!("last 3 log lines of web (task {TASK}):"));
    has(&out.err, "    | KeyError: 'DATABASE_URL'");
    has(&out.err, "CloudFormation: ");
    has(&out.err, "ECS Deployment Circuit Breaker was triggered");

    // JSON: `ecs` events, and a verdict whose cause carries the same
    let out = apply_app(
        &moto,
        dir.path(),
        &["-e", "SECRET_KEY_BASE=three", "--yes", "--format", "json"],
    )
    .code(1);
    let lines: Vec<Value> = out.out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let stopped = lines
        .iter()
        .find(|l| l["type"] == "ecs" && l["kind"] == "stopped")
        .unwrap_or_else(|| panic!("{}", out.out));
    assert_eq!(stopped["task"], TASK);
    assert_eq!(stopped["containers"][0]["exit_code"], 1);
    let verdict = lines.last().unwrap();
    assert_eq!(verdict["type"], "verdict");
    assert_eq!(verdict["result"], "failed");
    let ecs = &verdict["cause"]["ecs"];
    assert_eq!(ecs["service"], "service web");
    assert_eq!(ecs["task"], TASK);
    assert_eq!(ecs["container"], "web");
    assert_eq!(ecs["exit_code"], 1);
    assert_eq!(ecs["reason"], "Essential container in task exited");
    assert_eq!(ecs["log"][2], "KeyError: 'DATABASE_URL'");
    assert_eq!(ecs["circuit_breaker"], true);
    let calls = lines.iter().find(|l| l["type"] == "api-calls").unwrap();
    assert!(calls["ecs"].as_u64().unwrap() >= 3, "{calls}");
    // the figure the README's throttling paragraph is checked against
    eprintln!("AWS calls while following the failed deploy: {calls}");
}

#[test]
fn the_deploy_wait_stops_following_and_apps_cancel_rolls_back() {
    // each executed change set waits 8 s in moto before it is applied: no progress meanwhile
    let moto = Moto::start_with_delay(8.0);
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=one"]).ok();

    let cancel = ["apps", "cancel", "--app", "myapp", "--rack", "r", "--yes"];
    let nothing = moto.run_apart(&cancel).code(1);
    has(&nothing.err, "nothing to cancel: r-myapp is CREATE_COMPLETE");

    let started = std::time::Instant::now();
    let out = apply_app(
        &moto,
        dir.path(),
        &["-e", "SECRET_KEY_BASE=two", "--yes", "--wait", "2s"],
    )
    .code(1);
    has(
        &out.err,
        "no progress for 2s: r-myapp is UPDATE_IN_PROGRESS; stopped following it",
    );
    has(&out.err, "`convoxc apps cancel --app myapp`");
    assert!(started.elapsed().as_secs() < 8, "it waited for the deploy");
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("UPDATE_IN_PROGRESS"));

    let out = moto.run_apart(&cancel).code(0);
    has(&out.out, "r-myapp is UPDATE_IN_PROGRESS");
    has(
        &out.out,
        "cancelled: r-myapp rolled back to what was deployed before (UPDATE_ROLLBACK_COMPLETE",
    );
    has(&out.out, "UPDATE_ROLLBACK_IN_PROGRESS  User Initiated");
    assert_eq!(
        moto.stack_status("r-myapp").as_deref(),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
    // the value of the cancelled update was stored (after consent), but the stack runs the old one
    let params = moto.stack_parameters("r-myapp");
    assert!(!params.is_empty());
}
