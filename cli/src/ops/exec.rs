//! `exec TASK|SERVICE COMMAND`: a command in a running container through ECS Exec. ECS's
//! ExecuteCommand opens the session; AWS's `session-manager-plugin` carries it, started as the
//! AWS CLI starts it (`aws ecs execute-command`): the session, the region, `StartSession`, the
//! profile, `{"Target": "ecs:<cluster>_<task>_<runtime ID>"}` and the ECS endpoint. A plugin newer
//! than 1.2.497.0 is given the session (its token) in `AWS_SSM_START_SESSION_RESPONSE` rather
//! than on its command line, where any local user could read it. Without the plugin on PATH,
//! nothing is opened: one line says what to install.

use crate::aws::clients::{Error, Result, describe, err};
use crate::aws::ecs::{self, Kind};
use crate::ops::Live;
use crate::ops::ps;
use serde_json::json;
use std::path::PathBuf;

pub(crate) const PLUGIN: &str = "session-manager-plugin";
const ENV_NAME: &str = "AWS_SSM_START_SESSION_RESPONSE";
/// The last plugin that takes the session only on its command line.
const LAST_WITHOUT_ENV: [u64; 4] = [1, 2, 497, 0];

/// The plugin on PATH, if any.
pub(crate) fn plugin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(PLUGIN))
        .find(|p| p.is_file())
}

/// Whether a plugin of this `--version` takes the session from the environment.
pub(crate) fn takes_env(version: &str) -> bool {
    let parts: Vec<u64> = version
        .trim()
        .split('.')
        .map(|p| p.trim().parse().unwrap_or(0))
        .collect();
    let mut v = [0u64; 4];
    for (i, p) in parts.iter().take(4).enumerate() {
        v[i] = *p;
    }
    v > LAST_WITHOUT_ENV
}

/// The plugin's arguments after the session (or the variable's name): region, operation,
/// profile, the target, the ECS endpoint.
pub(crate) fn plugin_args(
    region: &str,
    profile: &str,
    cluster: &str,
    task: &str,
    runtime: &str,
    endpoint: &str,
) -> Vec<String> {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    vec![
        region.to_string(),
        "StartSession".to_string(),
        profile.to_string(),
        json!({"Target": format!("ecs:{cluster}_{task}_{runtime}")}).to_string(),
        endpoint.to_string(),
    ]
}

/// What `exec` needs from the caller: the command, and where AWS is.
pub(crate) struct Exec<'a> {
    pub target: &'a str,
    pub command: &'a [String],
    pub profile: Option<&'a str>,
    pub endpoint: Option<&'a str>,
}

/// Run the command in the task (or the service's first running task); the plugin's exit code.
pub(crate) async fn exec(live: &Live, x: Exec<'_>) -> Result<u8> {
    let Some(plugin) = plugin() else {
        return err(format!(
            "exec needs AWS's {PLUGIN} on PATH: install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html) and run this again"
        ));
    };
    let c = &live.c;
    let rows = ps::rows(live, None).await?;
    let is_service = live.units.iter().any(|u| u.kind == Kind::Service && u.name == x.target);
    let row = if is_service {
        rows.iter()
            .find(|r| r.service == x.target && r.kind == "service" && r.status == "running")
            .ok_or_else(|| Error(format!("service {} of app {} has no running task", x.target, live.app)))?
    } else {
        let found: Vec<_> = rows.iter().filter(|r| r.id.starts_with(x.target)).collect();
        match found.as_slice() {
            [one] => *one,
            [] => {
                return err(format!(
                    "app {} has no service or running task {}: `convoxc ps --app {}` lists its tasks",
                    live.app, x.target, live.app
                ));
            }
            _ => {
                return err(format!(
                    "{} is the start of several tasks' IDs: give more of it",
                    x.target
                ));
            }
        }
    };
    let container = row.service.clone();
    let command = match x.command {
        [] => "sh".to_string(),
        words => crate::ops::run::shell_words(words),
    };
    let r = c
        .ecs
        .execute_command()
        .cluster(&live.cluster)
        .task(&row.id)
        .container(&container)
        .interactive(true)
        .command(&command)
        .send()
        .await
        .map_err(|e| {
            let mut e = describe(&format!("starting `{command}` in task {}", row.id), &e);
            if e.0.contains("execute command was not enabled") || e.0.contains("ExecuteCommand") {
                e.0.push_str(&format!(
                    "\n  ECS Exec is off for this task: set `params: {{ECSExec: \"Yes\"}}` in convox.yml, apply, and \
                     `convoxc restart {container}` so that its tasks start with it"
                ));
            }
            e
        })?;
    let Some(session) = r.session() else {
        return err("ECS opened no session");
    };
    let session_json = json!({
        "sessionId": session.session_id(),
        "streamUrl": session.stream_url(),
        "tokenValue": session.token_value(),
    })
    .to_string();
    let task = ecs::describe_tasks(c, &live.cluster, std::slice::from_ref(&row.id)).await?;
    let runtime = task
        .first()
        .and_then(|t| t.containers().iter().find(|k| k.name() == Some(container.as_str())))
        .and_then(|k| k.runtime_id())
        .unwrap_or_default()
        .to_string();
    let endpoint = x
        .endpoint
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://ecs.{}.amazonaws.com", c.region));
    let version = std::process::Command::new(&plugin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let mut cmd = std::process::Command::new(&plugin);
    if takes_env(&version) {
        cmd.arg(ENV_NAME).env(ENV_NAME, &session_json);
    } else {
        cmd.arg(&session_json);
    }
    cmd.args(plugin_args(
        &c.region,
        x.profile.unwrap_or(""),
        &live.cluster,
        &row.id,
        &runtime,
        &endpoint,
    ));
    eprintln!("exec `{command}` in task {} of {} ({})", row.id, container, live.app);
    // Ctrl-C and friends go to the session (the plugin passes them on), not to convoxc
    let status = tokio::task::spawn_blocking(move || {
        let _quiet = IgnoreSignals::new();
        cmd.status()
    })
    .await
    .map_err(|e| Error(format!("{PLUGIN} did not finish: {e}")))?
    .map_err(|e| Error(format!("cannot start {PLUGIN}: {e}")))?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// SIGINT, SIGQUIT and SIGTSTP ignored while the plugin runs (it takes them from the terminal and
/// sends them into the session), restored after.
struct IgnoreSignals([libc::sighandler_t; 3]);

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP];

impl IgnoreSignals {
    fn new() -> IgnoreSignals {
        // SAFETY: setting dispositions to SIG_IGN; the previous ones are restored on drop
        IgnoreSignals(SIGNALS.map(|s| unsafe { libc::signal(s, libc::SIG_IGN) }))
    }
}

impl Drop for IgnoreSignals {
    fn drop(&mut self) {
        for (s, h) in SIGNALS.iter().zip(self.0) {
            // SAFETY: restoring what `new` replaced
            unsafe {
                libc::signal(*s, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_is_started_as_the_aws_cli_starts_it() {
        let args = plugin_args(
            "us-east-1",
            "",
            "arn:aws:ecs:us-east-1:1:cluster/r-Cluster-X",
            "0f1e",
            "0f1e-123",
            "https://ecs.us-east-1.amazonaws.com",
        );
        assert_eq!(
            args,
            vec![
                "us-east-1",
                "StartSession",
                "",
                r#"{"Target":"ecs:r-Cluster-X_0f1e_0f1e-123"}"#,
                "https://ecs.us-east-1.amazonaws.com"
            ]
        );
        assert!(!takes_env("1.2.497.0"));
        assert!(takes_env("1.2.707.0\n"));
        assert!(!takes_env("1.1.61.0"));
        assert!(!takes_env(""));
    }
}
