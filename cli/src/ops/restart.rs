//! `restart [SERVICE]`: a new ECS deployment of every service of the app (or one), of the task
//! definition each runs now (UpdateService `forceNewDeployment`: fresh tasks, which read the
//! environment and secrets anew), followed to a steady state with the deploy's ECS follower
//! (`deploy/ecs.rs`: rollout counts, service events, stopped tasks with their exit codes and log
//! lines). The stacks are not touched.

use crate::aws::clients::{Result, err};
use crate::aws::ecs::{self, Kind};
use crate::deploy::consent::Ask;
use crate::deploy::ecs::Watch;
use crate::deploy::events::poll_interval;
use crate::deploy::say;
use crate::ops::Live;
use aws_sdk_ecs::types::Service;
use serde_json::json;

/// Where a service's rollout is: going on, done (steady), or failed (with ECS's reason).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rollout {
    Going,
    Steady,
    Failed(String),
}

/// A service's rollout of deployment `id`, from DescribeServices' answer: ECS's `rolloutState` of
/// that deployment (COMPLETED, FAILED), else — a service whose deployments report no rollout
/// state (the ECS deployment controller before rollout states, moto) — steady once it is the only
/// deployment and runs its desired count.
pub(crate) fn rollout(s: &Service, id: Option<&str>) -> Rollout {
    let deployments = s.deployments();
    let ours = deployments.iter().find(|d| id.is_none_or(|i| d.id() == Some(i)));
    let Some(d) = ours else {
        // replaced by a newer deployment (another restart or deploy): not ours to wait for
        return Rollout::Steady;
    };
    match d.rollout_state().map(|r| r.as_str()) {
        Some("COMPLETED") => Rollout::Steady,
        Some("FAILED") => Rollout::Failed(d.rollout_state_reason().unwrap_or("ECS gave no reason").to_string()),
        _ if deployments.len() == 1 && d.running_count() == d.desired_count() && d.pending_count() == 0 => {
            Rollout::Steady
        }
        _ => Rollout::Going,
    }
}

/// Restart the services (one with `only`), then follow them until each is steady.
pub(crate) async fn restart(live: &Live, only: Option<&str>, ask: &Ask) -> Result<()> {
    let c = &live.c;
    let targets: Vec<(String, String)> = match only {
        Some(name) => {
            let u = live.service(name)?;
            vec![(u.name.clone(), u.service.clone().unwrap_or_default())]
        }
        None => live
            .units
            .iter()
            .filter(|u| u.kind == Kind::Service)
            .filter_map(|u| Some((u.name.clone(), u.service.clone()?)))
            .collect(),
    };
    if targets.is_empty() || targets.iter().any(|(_, arn)| arn.is_empty()) {
        return err(format!("app {} has no ECS service to restart", live.app));
    }
    let names: Vec<&str> = targets.iter().map(|(n, _)| n.as_str()).collect();
    say::step(
        format!(
            "restart {} of app {}: new tasks of the task definition each runs now, replacing the running ones",
            names.join(", "),
            live.app
        ),
        json!({"type": "plan", "app": live.app, "restart": names}),
    );
    ask.ask(&format!("Restart {}?", names.join(", "))).await?;
    let started = std::time::Instant::now();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() - 1.0)
        .unwrap_or(0.0);
    let mut watch = Watch::new(since);
    let mut deployments = Vec::new();
    for (name, arn) in &targets {
        let id = ecs::force_deployment(c, &live.cluster, arn).await?;
        say::step(
            format!("{name}: new deployment {}", id.as_deref().unwrap_or("-")),
            json!({"type": "deployment", "service": name, "deployment": id}),
        );
        watch.follow(arn, &format!("service {name}"), &live.cluster);
        deployments.push((name.clone(), arn.clone(), id));
    }
    wait_steady(live, &mut watch, &deployments).await?;
    let secs = started.elapsed().as_secs_f32();
    say::verdict(
        format!("ok: {} restarted and steady in {secs:.1} s", names.join(", ")),
        json!({"result": "ok", "app": live.app, "services": names, "seconds": (secs * 10.0).round() / 10.0}),
    );
    Ok(())
}

/// Follow the deployments (service name, ARN, deployment ID) until every one is steady; the
/// first failure is an error with its cause. Ctrl-C stops following, not the deployments.
pub(crate) async fn wait_steady(
    live: &Live,
    watch: &mut Watch,
    deployments: &[(String, String, Option<String>)],
) -> Result<()> {
    let c = &live.c;
    let arns: Vec<String> = deployments.iter().map(|(_, a, _)| a.clone()).collect();
    let work = async {
        loop {
            watch.poll(c, false).await?;
            let services = ecs::describe_services(c, &live.cluster, &arns).await?;
            let mut going = false;
            for (name, arn, id) in deployments {
                let Some(s) = services.iter().find(|s| s.service_arn() == Some(arn.as_str())) else {
                    return err(format!("ECS no longer has service {name} ({arn})"));
                };
                match rollout(s, id.as_deref()) {
                    Rollout::Steady => watch.settled(arn),
                    Rollout::Going => going = true,
                    Rollout::Failed(why) => {
                        watch.poll(c, true).await?;
                        let cause = watch
                            .cause(Some(&format!("service {name}")))
                            .map(|c| format!("\n  cause: {}", c.text))
                            .unwrap_or_default();
                        return err(format!("{name}: the new deployment failed: {why}{cause}"));
                    }
                }
            }
            if !going {
                return Ok(());
            }
            tokio::time::sleep(poll_interval()).await;
        }
    };
    tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => err(
            "interrupted: stopped following; ECS carries on with the new deployments (`convoxc ps` shows the tasks)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};

    fn deployment(id: &str, status: &str, state: Option<DeploymentRolloutState>, running: i32) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .desired_count(2)
            .running_count(running)
            .pending_count(2 - running)
            .set_rollout_state(state)
            .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
            .build()
    }

    /// DescribeServices' documented shapes during a restart: the new PRIMARY beside the ACTIVE
    /// one it replaces; then COMPLETED; a FAILED one (the circuit breaker); and a service whose
    /// deployments have no rollout state (counts decide).
    #[test]
    fn a_rollout_is_steady_when_ecs_says_completed_or_the_counts_are_met() {
        let going = Service::builder()
            .deployments(deployment(
                "new",
                "PRIMARY",
                Some(DeploymentRolloutState::InProgress),
                1,
            ))
            .deployments(deployment("old", "ACTIVE", Some(DeploymentRolloutState::Completed), 2))
            .build();
        assert_eq!(rollout(&going, Some("new")), Rollout::Going);
        let done = Service::builder()
            .deployments(deployment("new", "PRIMARY", Some(DeploymentRolloutState::Completed), 2))
            .build();
        assert_eq!(rollout(&done, Some("new")), Rollout::Steady);
        let failed = Service::builder()
            .deployments(deployment("new", "PRIMARY", Some(DeploymentRolloutState::Failed), 0))
            .build();
        assert!(matches!(rollout(&failed, Some("new")), Rollout::Failed(r) if r.contains("circuit breaker")));
        let counts = Service::builder()
            .deployments(deployment("new", "PRIMARY", None, 2))
            .build();
        assert_eq!(rollout(&counts, Some("new")), Rollout::Steady);
        let short = Service::builder()
            .deployments(deployment("new", "PRIMARY", None, 1))
            .build();
        assert_eq!(rollout(&short, Some("new")), Rollout::Going);
    }
}
