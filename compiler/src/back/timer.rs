//! The view model of a timer's nested stack (`templates/timer.json`): an EventBridge rule that
//! runs its service's task with the timer's command.

use super::render::import;
use super::service::ServiceView;
use super::values::sub_with;
use crate::ir::Timer;
use crate::ir::naming::timer_id;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize)]
pub struct TimerView {
    pub name: String,
    app: String,
    pub(super) logical: String,
    schedule: String,
    schedule_expression: String,
    command: Vec<String>,
    pub(super) service: ServiceView,
    pub(super) policies: Vec<String>,
    task_role: Value,
    cluster_arn: Value,
    target_id: String,
}

impl TimerView {
    pub(super) fn new(t: &Timer, service: &ServiceView, app: &str) -> TimerView {
        TimerView {
            name: t.name.clone(),
            app: app.to_string(),
            logical: timer_id(&t.logical_name),
            schedule: t.schedule.clone(),
            schedule_expression: t.schedule_expression.clone(),
            command: vec!["sh".into(), "-c".into(), t.command.clone()],
            service: service.clone(),
            policies: t.policies.clone(),
            task_role: if t.policies.is_empty() {
                json!({"Ref": "Role"})
            } else {
                json!({"Fn::GetAtt": ["DedicatedRole", "Arn"]})
            },
            cluster_arn: sub_with(
                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Cluster}",
                json!({"Cluster": import("Cluster")}),
            ),
            target_id: t
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .take(64)
                .collect(),
        }
    }
}
