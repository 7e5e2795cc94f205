//! Following a stack operation to its end (`apply`, `deploy`, `rack apply`, `apps cancel`):
//! CloudFormation's events ([`events`]), what ECS says about the services being created or
//! updated ([`ecs`]), a certificate's DNS records ([`certs`]), and the deploy wait — an operation
//! that shows no progress for a while stops being followed, saying where it is and what to do,
//! rather than holding a CI job for hours. Then the verdict of a failure, with its first cause.

use crate::aws::clients::{Clients, Error, Result, err};
use crate::aws::lookup::describe_stack;
use crate::deploy::certs::Certificates;
use crate::deploy::ecs::{self, Watch};
use crate::deploy::events::{self, Follower};
use crate::deploy::say;
use crate::deploy::stack::{self, Failure, Preflight};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::signal::unix::Signal;

/// How a followed operation ended.
pub(crate) struct Ended {
    pub status: String,
    pub seconds: f64,
    /// CloudFormation's first failed event, and the label of its stack ("service web").
    pub failure: Option<Failure>,
    pub label: Option<String>,
    /// The first cause ECS knows (a task that exited, a task that cannot be placed…).
    pub ecs: Option<ecs::Cause>,
}

/// The deploy wait: `--wait`, else `CONVOXC_DEPLOY_WAIT`, else 30 minutes; 0 waits for ever.
pub(crate) fn deploy_wait(flag: Option<Duration>) -> Result<Option<Duration>> {
    let d = match flag {
        Some(d) => d,
        None => match std::env::var("CONVOXC_DEPLOY_WAIT") {
            Ok(v) if !v.trim().is_empty() => parse_wait(&v).map_err(|e| Error(format!("CONVOXC_DEPLOY_WAIT: {e}")))?,
            _ => Duration::from_secs(30 * 60),
        },
    };
    Ok((!d.is_zero()).then_some(d))
}

/// A wait: `30m`, `90s`, `1h`, `1h30m`, or a bare number of minutes; `0` for no limit.
pub fn parse_wait(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    if let Ok(minutes) = t.parse::<u64>() {
        return Ok(Duration::from_secs(minutes * 60));
    }
    crate::aws::logs::duration_ms(t)
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| format!("{t}: expected a duration such as 30m, 90s or 1h (or 0 for no limit)"))
}

/// Follow `stack_name` until its operation ends. `cancel`: how to stop it, said with the deploy
/// wait.
pub(crate) async fn follow(
    c: &Clients,
    stack_name: &str,
    follower: &mut Follower,
    interrupt: &mut Signal,
    wait: Option<Duration>,
    cancel: &str,
) -> Result<Ended> {
    let started = Instant::now();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() - 1.0)
        .unwrap_or(0.0);
    let mut watch = Watch::new(since);
    let mut ecs_on = true;
    let mut certs = Certificates::default();
    let mut last_progress = Instant::now();
    let run = async {
        loop {
            let s = describe_stack(c, stack_name).await?;
            let status = s
                .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
                .unwrap_or_default();
            let before = follower.events.len();
            follower.poll(c, &status).await?;
            let mut moved = follower.events.len() > before;
            let done = stack::outcome(&status);
            for (arn, t) in &follower.resources {
                if t.resource_type != "AWS::ECS::Service" {
                    continue;
                }
                if t.status.ends_with("_IN_PROGRESS") {
                    watch.follow(arn, &follower.label_of(&t.stack), "");
                } else if t.status.ends_with("_COMPLETE") && done.is_none() {
                    watch.settled(arn);
                }
            }
            if done == Some(false) {
                // the deploy failed: every service of the failing stack (all, when CloudFormation
                // does not say which) is asked once more, with its stopped tasks, for the verdict
                let label = failing_label(follower);
                for (arn, t) in &follower.resources {
                    let l = follower.label_of(&t.stack);
                    if t.resource_type == "AWS::ECS::Service" && label.as_ref().is_none_or(|x| *x == l) {
                        watch.follow(arn, &l, "");
                    }
                }
            }
            if ecs_on && let Err(e) = watch.poll(c, done == Some(false)).await {
                // the deploy goes on without ECS's word (an IAM policy without ecs:Describe*, say)
                say::note(format!("cannot read ECS, following CloudFormation only: {e}"));
                ecs_on = false;
            }
            moved |= watch.progressed;
            moved |= certs.poll(c, follower).await;
            if done.is_some() {
                break Ok::<String, Error>(status);
            }
            if moved {
                last_progress = Instant::now();
            } else if let Some(w) = wait
                && last_progress.elapsed() >= w
            {
                return Err(Error(format!(
                    "no progress for {}: {stack_name} is {status}; stopped following it (the deploy wait, --wait or \
                     CONVOXC_DEPLOY_WAIT). CloudFormation carries on: run the same command again to keep following \
                     it, or stop it and roll back with `{cancel}`",
                    human(w)
                )));
            }
            tokio::time::sleep(events::poll_interval()).await;
        }
    };
    let status = tokio::select! {
        r = run => r.map_err(|e| if e.0.starts_with("no progress for") { e } else { Error(format!(
            "{e}\n  the deploy goes on in CloudFormation: run the same command again to follow it to its end"
        ))})?,
        _ = interrupt.recv() => return err(format!(
            "interrupted: stopped following {stack_name}. CloudFormation carries on with the deploy; run the \
             same command again to pick the stack up where it is (it waits for a running operation to settle)"
        )),
    };
    follower.finish();
    let failure = stack::root_cause(&follower.events);
    let label = failing_label(follower);
    let ecs = watch.cause(label.as_deref());
    if say::json() {
        say::step(
            "",
            json!({"type": "api-calls", "ecs": watch.calls.ecs, "logs": watch.calls.logs, "acm": certs.calls}),
        );
    }
    Ok(Ended {
        status,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        failure,
        label,
        ecs,
    })
}

/// The label of the nested stack where CloudFormation's first failure is ("service web"); None
/// when it is the root stack, or nothing failed.
fn failing_label(follower: &Follower) -> Option<String> {
    let f = stack::root_cause(&follower.events)?;
    let root = follower.root_name();
    (f.stack != root && !root.is_empty()).then(|| follower.label_of(&f.stack))
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// The error of a failed operation: its status, the first cause (ECS's, when it knows one, with
/// the failing container's last log lines), CloudFormation's failed event, and what to do next.
/// In JSON mode, the `verdict` line with a `cause` that carries all of it.
pub(crate) fn failed(stack_name: &str, ended: &Ended) -> Error {
    let Ended {
        status,
        seconds,
        failure,
        label,
        ecs,
    } = ended;
    let mut cause = String::new();
    if let Some(e) = ecs {
        cause.push_str(&format!("\n  cause: {}", e.text));
        if !e.log.is_empty() {
            cause.push_str(&format!(
                "\n  last {} log lines of {} (task {}):",
                e.log.len(),
                e.container.as_deref().unwrap_or("the container"),
                e.task.as_deref().unwrap_or("-")
            ));
            for l in &e.log {
                cause.push_str(&format!("\n    | {l}"));
            }
        }
    }
    if let Some(f) = failure {
        cause.push_str(&format!(
            "\n  {}: {}{} {} ({}) {}: {}",
            if ecs.is_some() { "CloudFormation" } else { "cause" },
            label.as_deref().map(|l| format!("{l}: ")).unwrap_or_default(),
            f.stack,
            f.logical_id,
            f.resource_type,
            f.status,
            f.reason
        ));
    }
    let next = match stack::preflight(Some(status)) {
        Preflight::RollbackComplete => {
            "\n  the stack never existed successfully; the next apply deletes it (after asking) and creates it again"
        }
        Preflight::Ready => "\n  the stack is back as it was; fix the cause and apply again",
        _ => "",
    };
    let message = format!("{stack_name} failed: {status} after {seconds:.1} s{cause}{next}");
    if say::json() {
        let mut c = failure.as_ref().map(|f| {
            json!({
                "label": label, "stack": f.stack, "logical_id": f.logical_id, "resource_type": f.resource_type,
                "status": f.status, "reason": f.reason,
            })
        });
        if let Some(e) = ecs {
            let c = c.get_or_insert_with(|| json!({"label": label}));
            c["ecs"] = e.json();
            c["text"] = json!(e.text);
        }
        say::verdict(
            "",
            json!({"stack": stack_name, "result": "failed", "status": status, "seconds": seconds, "cause": c, "message": message}),
        );
    }
    Error(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_a_duration_or_minutes() {
        assert_eq!(parse_wait("30"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_wait("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_wait("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_wait("0"), Ok(Duration::ZERO));
        assert!(parse_wait("soon").is_err());
        assert_eq!(human(Duration::from_secs(1800)), "30m");
        assert_eq!(human(Duration::from_secs(3)), "3s");
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
    }

    /// A failed deploy's message leads with ECS's cause and the container's last lines, then
    /// CloudFormation's event.
    #[test]
    fn the_verdict_leads_with_the_ecs_cause() {
        let ended = Ended {
            status: "UPDATE_ROLLBACK_COMPLETE".into(),
            seconds: 312.4,
            failure: Some(Failure {
                stack: "r-myapp-ServiceWeb-1AB2".into(),
                logical_id: "Service".into(),
                resource_type: "AWS::ECS::Service".into(),
                status: "UPDATE_FAILED".into(),
                reason: "Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.\"".into(),
            }),
            label: Some("service web".into()),
            ecs: Some(ecs::Cause {
                service: "service web".into(),
                text: "service web: task 0a1b exited 1 — `KeyError: 'DATABASE_URL'` (Essential container in task exited)".into(),
                task: Some("0a1b".into()),
                container: Some("web".into()),
                exit_code: Some(1),
                reason: Some("Essential container in task exited".into()),
                log: vec!["Traceback (most recent call last):".into(), "KeyError: 'DATABASE_URL'".into()],
                circuit_breaker: true,
            }),
        };
        let e = failed("r-myapp", &ended);
        let lines: Vec<&str> = e.0.lines().collect();
        assert_eq!(lines[0], "r-myapp failed: UPDATE_ROLLBACK_COMPLETE after 312.4 s");
        assert!(
            lines[1].starts_with("  cause: service web: task 0a1b exited 1 — `KeyError"),
            "{}",
            e.0
        );
        assert_eq!(lines[2], "  last 2 log lines of web (task 0a1b):");
        assert_eq!(lines[4], "    | KeyError: 'DATABASE_URL'");
        assert!(lines[5].starts_with(
            "  CloudFormation: service web: r-myapp-ServiceWeb-1AB2 Service (AWS::ECS::Service) UPDATE_FAILED"
        ));
        assert_eq!(lines[6], "  the stack is back as it was; fix the cause and apply again");
    }
}
