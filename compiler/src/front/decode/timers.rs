//! `timers:` → IR timers: schedule (`cron.rs`), command, service.

use super::cron;
use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::names::upper_name;

pub(super) fn timer(cx: &mut Cx, name: &str, key: &Node, body: &Node) -> Option<Timer> {
    let path = join("timers", name);
    cx.spans.insert(format!("{path}#name"), cx.span(key));
    let f = cx.fields(body, &path, Place::Timer)?;
    let mut missing = Vec::new();
    let mut text = |cx: &mut Cx, k: &str| -> Option<(String, &Node)> {
        match f.get(k) {
            // `service:` with nothing after it: said there (never a timer dropped unsaid)
            Some(n) if matches!(n.value, Value::Null) => {
                cx.error(
                    Code::WrongType,
                    n,
                    &join(&path, k),
                    format!("timer `{name}` has an empty `{k}`"),
                    Some("a timer needs `command`, `schedule` and `service`".into()),
                );
                None
            }
            Some(n) => cx.string(n, &join(&path, k)).map(|s| (s, n)),
            None => {
                missing.push(k.to_string());
                None
            }
        }
    };
    let command = text(cx, "command");
    let schedule = text(cx, "schedule");
    let service = text(cx, "service");
    if !missing.is_empty() {
        let at = if matches!(body.value, Value::Null) { key } else { body };
        cx.error(
            Code::WrongType,
            at,
            &path,
            format!(
                "timer `{name}` is missing {}",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            Some("a timer needs `command`, `schedule` and `service`".into()),
        );
    }
    let policies = f
        .get("policies")
        .map(|p| cx.name_list(p, &join(&path, "policies")))
        .unwrap_or_default();
    let (command, cmd_node) = command?;
    if command.trim().is_empty() {
        cx.error(
            Code::InvalidValue,
            cmd_node,
            &join(&path, "command"),
            "the timer command is empty",
            None,
        );
    }
    let (schedule, sched_node) = schedule?;
    let expression = cron::to_eventbridge(cx, sched_node, &join(&path, "schedule"), &schedule);
    let (service, _) = service?;
    Some(Timer {
        logical_name: upper_name(name),
        name: name.to_string(),
        command,
        schedule,
        schedule_expression: expression.unwrap_or_default(),
        service,
        policies,
    })
}
