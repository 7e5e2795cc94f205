//! The ECS follow over answers of the documented shape. moto's ECS starts no task for a service,
//! keeps no service events and no container exit codes, so these answers are written from AWS's
//! documentation — the DescribeServices and DescribeTasks response syntax (Amazon ECS API
//! Reference), "Amazon ECS stopped task error messages" and "Viewing Amazon ECS service event
//! messages" (Developer Guide) — in the API's JSON (timestamps as epoch seconds), and read through
//! the same views the live follow fills from the SDK.

use super::*;

const SINCE: f64 = 1_796_640_000.0;
const WEB: &str = "arn:aws:ecs:us-east-1:123456789012:service/r-cluster/r-myapp-ServiceWeb-1AB2-Service-3CD4";

fn watch() -> Watch {
    let mut w = Watch::new(SINCE);
    w.follow(WEB, "service web", "");
    w
}

fn service(json: &str) -> ServiceView {
    serde_json::from_str(json).unwrap()
}

fn tasks(json: &str) -> Vec<TaskView> {
    serde_json::from_value::<Vec<TaskView>>(serde_json::from_str::<Value>(json).unwrap()["tasks"].clone()).unwrap()
}

/// A deployment whose essential container exits 1 at start: the circuit breaker fails it.
const EXITED_SERVICE: &str = r#"{
  "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/r-cluster/r-myapp-ServiceWeb-1AB2-Service-3CD4",
  "serviceName": "r-myapp-ServiceWeb-1AB2-Service-3CD4",
  "deployments": [
    {"id": "ecs-svc/7391846202512345678", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/r-myapp-web:8",
     "desiredCount": 2, "pendingCount": 0, "runningCount": 0, "failedTasks": 3,
     "rolloutState": "FAILED", "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
    {"id": "ecs-svc/1234567890123456789", "status": "ACTIVE", "desiredCount": 2, "pendingCount": 0, "runningCount": 2, "failedTasks": 0,
     "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment ecs-svc/1234567890123456789 completed."}
  ],
  "events": [
    {"id": "e3", "createdAt": 1796640090.5, "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) deployment ecs-svc/7391846202512345678 deployment failed: tasks failed to start."},
    {"id": "e2", "createdAt": 1796640030.1, "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) has started 2 tasks: (task 0a1b2c3d4e5f60718293a4b5c6d7e8f9) (task 1b2c3d4e5f60718293a4b5c6d7e8f90a)."},
    {"id": "e1", "createdAt": 1796639000.0, "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) has reached a steady state."}
  ]
}"#;

const EXITED_TASKS: &str = r#"{"tasks": [
  {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/1b2c3d4e5f60718293a4b5c6d7e8f90a",
   "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/r-myapp-web:8",
   "startedBy": "ecs-svc/7391846202512345678", "group": "service:r-myapp-ServiceWeb-1AB2-Service-3CD4",
   "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": "EssentialContainerExited",
   "stoppedReason": "Essential container in task exited", "createdAt": 1796640031.0, "stoppedAt": 1796640044.2,
   "containers": [{"name": "web", "lastStatus": "STOPPED", "exitCode": 1}]},
  {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
   "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/r-myapp-web:8",
   "startedBy": "ecs-svc/7391846202512345678", "group": "service:r-myapp-ServiceWeb-1AB2-Service-3CD4",
   "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
   "stoppedReason": "Essential container in task exited", "createdAt": 1796640031.0, "stoppedAt": 1796640040.0,
   "containers": [{"name": "web", "lastStatus": "STOPPED", "exitCode": 1}]},
  {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/99999999999999999999999999999999",
   "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/r-myapp-web:7",
   "startedBy": "ecs-svc/1234567890123456789", "lastStatus": "STOPPED", "stoppedReason": "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
   "createdAt": 1796000000.0, "stoppedAt": 1796000100.0,
   "containers": [{"name": "web", "exitCode": 0}]},
  {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/88888888888888888888888888888888",
   "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/other:1",
   "startedBy": "ecs-svc/5555", "group": "service:another-service", "lastStatus": "STOPPED",
   "stoppedReason": "Essential container in task exited", "stoppedAt": 1796640050.0,
   "containers": [{"name": "other", "exitCode": 2}]}
]}"#;

#[test]
fn an_essential_container_that_exits_is_the_cause_with_its_log() {
    let mut w = watch();
    let said = w.observe_service(WEB, &service(EXITED_SERVICE));
    // the rollout, then the two events of this deploy, oldest first; the older one is not
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[0]
            .0
            .contains("service web  ecs  rollout 0/2 running, 0 pending, 3 failed  FAILED"),
        "{}",
        said[0].0
    );
    assert!(said[1].0.contains("has started 2 tasks"), "{}", said[1].0);
    assert!(
        said[2].0.contains("deployment failed: tasks failed to start"),
        "{}",
        said[2].0
    );
    assert_eq!(said[0].1["kind"], "rollout");
    // the same answer again says nothing new
    assert!(w.observe_service(WEB, &service(EXITED_SERVICE)).is_empty());

    // only this deploy's tasks of this service, once, oldest first
    let mut stopped = w.observe_tasks(WEB, &tasks(EXITED_TASKS));
    assert_eq!(
        stopped.iter().map(|s| s.task.as_str()).collect::<Vec<_>>(),
        ["0a1b2c3d4e5f60718293a4b5c6d7e8f9", "1b2c3d4e5f60718293a4b5c6d7e8f90a"]
    );
    assert!(w.observe_tasks(WEB, &tasks(EXITED_TASKS)).is_empty());
    stopped[0].containers[0].log = vec![
        "Traceback (most recent call last):".into(),
        "  File \"/app/main.py\", line 3, in <module>".into(),
        "KeyError: 'DATABASE_URL'".into(),
        "".into(),
    ];
    w.stopped.extend(stopped);

    let cause = w.cause(Some("service web")).unwrap();
    assert_eq!(
        cause.text,
        "service web: task 0a1b2c3d4e5f60718293a4b5c6d7e8f9 exited 1 — `KeyError: 'DATABASE_URL'` \
         (Essential container in task exited); the circuit breaker rolled the service back"
    );
    assert_eq!(cause.exit_code, Some(1));
    assert_eq!(cause.container.as_deref(), Some("web"));
    assert_eq!(cause.log.len(), 4);
    assert!(cause.circuit_breaker);
    let j = cause.json();
    assert_eq!(j["task"], "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    assert_eq!(j["log"][2], "KeyError: 'DATABASE_URL'");

    let (text, event) = Watch::stopped_lines(&w.stopped[0]);
    assert!(text.contains("task 0a1b2c3d4e5f60718293a4b5c6d7e8f9  STOPPED  Essential container in task exited"));
    assert!(text.contains("\n    web: exit 1\n      | Traceback"), "{text}");
    assert_eq!(event["containers"][0]["exit_code"], 1);
}

/// "CannotPullContainerError" (stopped task error messages): the task never ran, no exit code.
#[test]
fn an_image_that_cannot_be_pulled_is_the_cause() {
    let mut w = watch();
    w.observe_service(
        WEB,
        &service(
            r#"{"serviceName": "r-myapp-ServiceWeb-1AB2-Service-3CD4",
                "deployments": [{"id": "ecs-svc/42", "status": "PRIMARY", "desiredCount": 1, "runningCount": 0,
                                 "pendingCount": 1, "failedTasks": 1, "rolloutState": "IN_PROGRESS"}],
                "events": []}"#,
        ),
    );
    let t = tasks(
        r#"{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/abcdef0123456789abcdef0123456789",
            "startedBy": "ecs-svc/42", "stopCode": "TaskFailedToStart", "stoppedAt": 1796640100.0,
            "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/r-myapp:web.B0123456789AB: not found",
            "containers": [{"name": "web", "lastStatus": "STOPPED",
              "reason": "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref"}]}]}"#,
    );
    let stopped = w.observe_tasks(WEB, &t);
    w.stopped.extend(stopped);
    let cause = w.cause(None).unwrap();
    assert!(
        cause.text.starts_with(
            "service web: task abcdef0123456789abcdef0123456789 stopped (CannotPullContainerError: pull image manifest"
        ),
        "{}",
        cause.text
    );
    assert_eq!(cause.exit_code, None);
    assert!(!cause.circuit_breaker);
}

/// Health checks fail: the scheduler stops the task ("Task failed ELB health checks in (target-group …)").
#[test]
fn failed_health_checks_are_the_cause() {
    let mut w = watch();
    w.observe_service(
        WEB,
        &service(
            r#"{"deployments": [{"id": "ecs-svc/43", "status": "PRIMARY", "desiredCount": 1, "runningCount": 1, "failedTasks": 1}],
                "events": [{"id": "h1", "createdAt": 1796640200.0,
                  "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) (port 3000) is unhealthy in target-group r-myapp-web due to (reason Health checks failed with these codes: [502])."},
                  {"id": "h2", "createdAt": 1796640201.0,
                  "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) has stopped 1 running tasks: (task 7f8e9d0c1b2a39485766554433221100)."}]}"#,
        ),
    );
    let t = tasks(
        r#"{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/r-cluster/7f8e9d0c1b2a39485766554433221100",
            "startedBy": "ecs-svc/43", "stopCode": "ServiceSchedulerInitiated", "stoppedAt": 1796640201.0,
            "stoppedReason": "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/r-myapp-web/0123456789abcdef)",
            "containers": [{"name": "web", "exitCode": 143}]}]}"#,
    );
    let stopped = w.observe_tasks(WEB, &t);
    w.stopped.extend(stopped);
    let cause = w.cause(Some("service web")).unwrap();
    assert!(
        cause
            .text
            .contains("exited 143 (Task failed ELB health checks in (target-group"),
        "{}",
        cause.text
    );
}

/// No task could be placed: no task stops, the service event is the cause.
#[test]
fn a_task_that_cannot_be_placed_is_the_cause() {
    let mut w = watch();
    let said = w.observe_service(
        WEB,
        &service(
            r#"{"deployments": [{"id": "ecs-svc/44", "status": "PRIMARY", "desiredCount": 2, "runningCount": 0, "pendingCount": 0, "failedTasks": 0, "rolloutState": "IN_PROGRESS"}],
                "events": [{"id": "p1", "createdAt": 1796640300.0,
                  "message": "(service r-myapp-ServiceWeb-1AB2-Service-3CD4) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0123456789abcdef0123456789abcdef) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."}]}"#,
        ),
    );
    assert_eq!(said.len(), 2);
    let cause = w.cause(Some("service web")).unwrap();
    assert!(
        cause
            .text
            .starts_with("service web: ECS: (service r-myapp-ServiceWeb-1AB2-Service-3CD4) was unable to place a task")
    );
    assert_eq!(cause.task, None);
}

/// Nothing from ECS: no cause (the verdict keeps CloudFormation's).
#[test]
fn no_ecs_trouble_no_cause() {
    let mut w = watch();
    w.observe_service(
        WEB,
        &service(r#"{"deployments": [{"id": "ecs-svc/45", "status": "PRIMARY", "desiredCount": 1, "runningCount": 1, "rolloutState": "COMPLETED"}],
                    "events": [{"id": "s1", "createdAt": 1796640400.0, "message": "(service x) has reached a steady state."}]}"#),
    );
    assert_eq!(w.cause(None), None);
}

/// A 500-service app: a poll asks about at most 80 services in 8 calls, and every service in turn.
#[test]
fn a_large_app_is_polled_within_the_budget_in_turn() {
    let mut w = Watch::new(SINCE);
    for i in 0..500 {
        w.follow(
            &format!("arn:aws:ecs:us-east-1:123456789012:service/r-cluster/r-big-Service{i:03}-X-Service-Y"),
            &format!("service s{i}"),
            "",
        );
    }
    let mut asked = std::collections::HashMap::<String, usize>::new();
    for _ in 0..7 {
        let b = w.batches();
        assert!(b.len() <= MAX_ECS_CALLS - 2, "{} calls", b.len());
        assert!(
            b.iter()
                .all(|(cluster, arns)| cluster == "r-cluster" && arns.len() <= 10)
        );
        for (_, arns) in b {
            for a in arns {
                *asked.entry(a).or_default() += 1;
            }
        }
    }
    // 7 polls × 80 = 560: each of the 500 asked about once, 60 twice
    assert_eq!(asked.len(), 500);
    assert_eq!(asked.values().filter(|n| **n == 2).count(), 60);
}

#[test]
fn a_service_arn_names_its_cluster() {
    assert_eq!(
        service_of_arn(WEB),
        Some(("r-cluster".into(), "r-myapp-ServiceWeb-1AB2-Service-3CD4".into()))
    );
    assert_eq!(
        service_of_arn("arn:aws:ecs:us-east-1:123456789012:service/old-style"),
        Some((String::new(), "old-style".into()))
    );
    assert_eq!(service_of_arn("arn:aws:ecs:us-east-1:123456789012:task/x/y"), None);
}
