//! Follow a stack operation to its end: stream the events of the root stack and of its nested
//! stacks (deduplicated by event ID, only those of this operation), one line per event; on a
//! terminal, a status line below them is redrawn in place.

use crate::aws::clients::{Clients, Result, describe};
use crate::deploy::say;
use aws_sdk_cloudformation::types::StackEvent;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::{Duration, Instant};

pub struct Follower {
    /// The root stack's ID (ARN) or name.
    root: String,
    /// Events at or after this time (seconds since the epoch) belong to this operation.
    since: i64,
    seen: HashSet<String>,
    /// Nested stacks found so far: physical ID → still worth polling.
    nested: BTreeMap<String, bool>,
    pub events: Vec<StackEvent>,
    tty: bool,
    started: Instant,
    /// What the lines call the stacks: the root's label, and each nested stack's by logical ID.
    names: Names,
    /// The ECS services and ACM certificates of the stacks, by physical ID (ARN): what the ECS
    /// follow and the certificate watch look at. From each stack's resources when it is first
    /// seen, then from the events.
    pub resources: BTreeMap<String, Tracked>,
}

/// An ECS service or ACM certificate of a followed stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tracked {
    /// The physical name of the stack that holds it.
    pub stack: String,
    pub resource_type: String,
    /// Its resource status (CREATE_IN_PROGRESS…).
    pub status: String,
    /// The reason of its last event ("Content of DNS Record is: …" for a certificate).
    pub reason: String,
}

/// The resource types whose progress is followed beyond CloudFormation's events.
const TRACKED: &[&str] = &["AWS::ECS::Service", "AWS::CertificateManager::Certificate"];

/// What the user calls the stacks of a deploy: the root ("app", or a lone stack's name) and each
/// nested stack by its logical ID ("service web"), as the manifest names them.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub root: String,
    pub nested: Vec<(String, String)>,
}

impl Names {
    /// The label of the stack named `stack` (a physical name) under the root `root`.
    pub fn of(&self, root: &str, stack: &str) -> String {
        if stack == root {
            return if self.root.is_empty() {
                stack.to_string()
            } else {
                self.root.clone()
            };
        }
        stack_label(root, stack, &self.nested).unwrap_or_else(|| stack.to_string())
    }

    /// `label` padded to the widest label (up to 24 characters), so that the columns line up.
    pub fn pad(&self, label: &str) -> String {
        let widest = self
            .nested
            .iter()
            .map(|(_, l)| l.chars().count())
            .chain(std::iter::once(self.root.chars().count()))
            .max()
            .unwrap_or(0)
            .min(24);
        format!("{label:<widest$}")
    }

    /// The label of a nested stack by its logical ID, when it has one.
    fn nested(&self, logical: &str) -> Option<&str> {
        self.nested.iter().find(|(l, _)| l == logical).map(|(_, n)| n.as_str())
    }
}

/// The label of the nested stack `failing` of the root `root`: CloudFormation names a nested
/// stack `<parent's name>-<logical ID>-<suffix>`, so the last logical ID in its name is its own.
pub fn stack_label(root: &str, failing: &str, labels: &[(String, String)]) -> Option<String> {
    let rest = failing.strip_prefix(root)?;
    labels
        .iter()
        .filter_map(|(logical, label)| Some((rest.rfind(&format!("-{logical}-"))?, label)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, l)| l.clone())
}

/// How often CloudFormation is asked (`CONVOXC_POLL_MS` overrides it, for tests).
pub fn poll_interval() -> Duration {
    let ms = std::env::var("CONVOXC_POLL_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    Duration::from_millis(ms)
}

impl Follower {
    pub fn new(root: &str, since: i64, tty: bool) -> Self {
        Follower {
            root: root.to_string(),
            since,
            seen: HashSet::new(),
            nested: BTreeMap::new(),
            events: Vec::new(),
            tty,
            started: Instant::now(),
            names: Names::default(),
            resources: BTreeMap::new(),
        }
    }

    /// Say the stacks as the user calls them.
    pub fn named(mut self, names: Names) -> Self {
        self.names = names;
        self
    }

    /// A follower for an operation about to start on `root`: events from a second ago on, a
    /// status line when stdout is a terminal (and not JSON), the events already there skipped.
    pub async fn starting(c: &Clients, root: &str) -> Result<Self> {
        use std::io::IsTerminal;
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64 - 1)
            .unwrap_or(0);
        let tty = std::io::stdout().is_terminal() && !say::json();
        let mut f = Follower::new(root, since, tty);
        f.skip_existing(c).await?;
        Ok(f)
    }

    /// Mark the events that are already there (before the operation starts) as seen.
    pub async fn skip_existing(&mut self, c: &Clients) -> Result<()> {
        let old = self.fetch(c, &self.root.clone()).await?;
        self.seen
            .extend(old.into_iter().filter_map(|e| e.event_id().map(str::to_string)));
        // and those of every nested stack: exact, whatever the clocks say
        self.discover(c).await?;
        for stack in self.nested.keys().cloned().collect::<Vec<_>>() {
            if let Ok(old) = self.fetch(c, &stack).await {
                self.seen
                    .extend(old.into_iter().filter_map(|e| e.event_id().map(str::to_string)));
            }
        }
        Ok(())
    }

    async fn fetch(&self, c: &Clients, stack: &str) -> Result<Vec<StackEvent>> {
        // newest first; one page (100 events) is plenty between two polls
        let out = c
            .cfn
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| describe(&format!("reading the events of {stack}"), &e))?;
        Ok(out.stack_events().to_vec())
    }

    async fn discover(&mut self, c: &Clients) -> Result<()> {
        let mut queue = vec![self.root.clone()];
        while let Some(stack) = queue.pop() {
            let Ok(out) = c.cfn.describe_stack_resources().stack_name(&stack).send().await else {
                continue;
            };
            for r in out.stack_resources() {
                if let (Some(kind), Some(id)) = (r.resource_type(), r.physical_resource_id())
                    && TRACKED.contains(&kind)
                    && !id.is_empty()
                {
                    self.resources.entry(id.to_string()).or_insert_with(|| Tracked {
                        stack: r.stack_name().unwrap_or(&stack).to_string(),
                        resource_type: kind.to_string(),
                        status: r.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                        reason: r.resource_status_reason().unwrap_or("").to_string(),
                    });
                }
                if r.resource_type() == Some("AWS::CloudFormation::Stack")
                    && let Some(id) = r.physical_resource_id()
                    && !self.nested.contains_key(id)
                {
                    self.nested.insert(id.to_string(), true);
                    queue.push(id.to_string());
                }
            }
        }
        Ok(())
    }

    /// One poll: new events of the root and of the nested stacks still moving, printed in order.
    pub async fn poll(&mut self, c: &Clients, status: &str) -> Result<()> {
        self.discover(c).await?;
        let mut fresh = Vec::new();
        let stacks: Vec<String> = std::iter::once(self.root.clone())
            .chain(self.nested.iter().filter(|(_, live)| **live).map(|(k, _)| k.clone()))
            .collect();
        for stack in stacks {
            let Ok(events) = self.fetch(c, &stack).await else {
                continue;
            };
            for e in events {
                let Some(id) = e.event_id() else { continue };
                if e.timestamp().is_some_and(|t| t.secs() < self.since) || !self.seen.insert(id.to_string()) {
                    continue;
                }
                fresh.push(e);
            }
        }
        // a nested stack that reached a final state needs no more polling until its parent
        // updates it again (then the parent's events show it in progress)
        for e in &fresh {
            if e.resource_type() == Some("AWS::CloudFormation::Stack")
                && let (Some(id), Some(s)) = (e.physical_resource_id(), e.resource_status())
                && id != self.root
                && self.nested.contains_key(id)
            {
                self.nested.insert(id.to_string(), s.as_str().ends_with("_IN_PROGRESS"));
            }
        }
        fresh.sort_by_key(|e| e.timestamp().map(|t| (t.secs(), t.subsec_nanos())));
        for e in &fresh {
            if let (Some(kind), Some(id)) = (e.resource_type(), e.physical_resource_id())
                && TRACKED.contains(&kind)
                && !id.is_empty()
            {
                self.resources.insert(
                    id.to_string(),
                    Tracked {
                        stack: e.stack_name().unwrap_or("").to_string(),
                        resource_type: kind.to_string(),
                        status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                        reason: e.resource_status_reason().unwrap_or("").to_string(),
                    },
                );
            }
        }
        if self.tty {
            print!("\r\x1b[K");
        }
        let root = self.root_name();
        for e in &fresh {
            let label = self.names.of(&root, e.stack_name().unwrap_or(""));
            let text = line(e, &self.names.pad(&label), &self.names, width(self.tty));
            say::step(text, event(e, &label));
        }
        let mut out = std::io::stdout().lock();
        if self.tty {
            let _ = write!(
                out,
                "  … {status}, {} s, {} events",
                self.started.elapsed().as_secs(),
                self.events.len() + fresh.len()
            );
        }
        let _ = out.flush();
        self.events.extend(fresh);
        Ok(())
    }

    /// The label of the stack named `stack` ("service web").
    pub fn label_of(&self, stack: &str) -> String {
        self.names.of(&self.root_name(), stack)
    }

    /// The root stack's name (it may be followed by its ARN).
    pub fn root_name(&self) -> String {
        match self.root.split('/').nth(1) {
            Some(name) if self.root.starts_with("arn:") => name.to_string(),
            _ => self.root.clone(),
        }
    }

    pub fn finish(&self) {
        if self.tty {
            print!("\r\x1b[K");
            let _ = std::io::stdout().flush();
        }
    }
}

/// One event for CI: `{"type":"event", time, stack, label, logical_id, resource_type, status, reason}`.
fn event(e: &StackEvent, label: &str) -> Value {
    json!({
        "type": "event",
        "time": time(e),
        "stack": e.stack_name(),
        "label": label,
        "logical_id": e.logical_resource_id(),
        "resource_type": e.resource_type(),
        "status": e.resource_status().map(|s| s.as_str()),
        "reason": e.resource_status_reason().filter(|r| !r.is_empty()),
    })
}

fn time(e: &StackEvent) -> String {
    e.timestamp()
        .and_then(|t| t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime).ok())
        .unwrap_or_default()
}

/// The width lines are written to: the terminal's, else 120 (a CI log).
fn width(tty: bool) -> usize {
    if tty {
        // SAFETY: TIOCGWINSZ fills a winsize for the terminal on stdout, or fails
        let mut w: libc::winsize = unsafe { std::mem::zeroed() };
        if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut w) } == 0 && w.ws_col >= 40 {
            return usize::from(w.ws_col);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|c| *c >= 40)
        .unwrap_or(120)
}

/// One event for a person: the time (UTC, to the second), the stack as the manifest names it
/// ("service web"), the resource (a stack's own event says `stack`; a nested stack in its parent
/// goes by its label), the status, and the reason — wrapped under the line, indented, so that no
/// line is wider than `width`. The resource type and full names are in `--format json`.
pub fn line(e: &StackEvent, label: &str, names: &Names, width: usize) -> String {
    let time = time(e);
    let clock = time.get(11..19).unwrap_or(&time);
    let logical = e.logical_resource_id().unwrap_or("-");
    let own = e.resource_type() == Some("AWS::CloudFormation::Stack") && e.stack_name() == Some(logical);
    let resource = if own {
        "stack"
    } else if e.resource_type() == Some("AWS::CloudFormation::Stack") {
        names.nested(logical).unwrap_or(logical)
    } else {
        logical
    };
    let status = e.resource_status().map(|s| s.as_str()).unwrap_or("-");
    let mut s = format!("{clock}  {label}  {resource}  {status}");
    let Some(reason) = e.resource_status_reason().filter(|r| !r.is_empty()) else {
        return s;
    };
    if s.chars().count() + 2 + reason.chars().count() <= width {
        s.push_str("  ");
        s.push_str(reason);
        return s;
    }
    // the reason in words under the line, each line within the width
    let indent = "    ";
    let room = width.saturating_sub(indent.len()).max(20);
    let mut current = String::new();
    for word in reason.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > room {
            s.push('\n');
            s.push_str(indent);
            s.push_str(&current);
            current.clear();
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        s.push('\n');
        s.push_str(indent);
        s.push_str(&current);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{Names, line};
    use aws_sdk_cloudformation::primitives::DateTime;
    use aws_sdk_cloudformation::types::{ResourceStatus, StackEvent};

    fn ev(stack: &str, logical: &str, kind: &str, status: &str, reason: &str) -> StackEvent {
        StackEvent::builder()
            .stack_name(stack)
            .logical_resource_id(logical)
            .resource_type(kind)
            .resource_status(ResourceStatus::from(status))
            .resource_status_reason(reason)
            .timestamp(DateTime::from_secs(1_796_640_000))
            .build()
    }

    fn names() -> Names {
        Names {
            root: "app".into(),
            nested: vec![("ServiceWeb".into(), "service web".into())],
        }
    }

    /// Events as CloudFormation gives them (recorded shapes): a nested stack's own event carries its
    /// physical name as both stack and logical ID; its parent's event carries its logical ID.
    #[test]
    fn a_line_says_time_stack_resource_status_reason() {
        let n = names();
        let own = ev(
            "r-myapp-ServiceWeb-1AB2",
            "r-myapp-ServiceWeb-1AB2",
            "AWS::CloudFormation::Stack",
            "CREATE_COMPLETE",
            "",
        );
        assert_eq!(n.of("r-myapp", "r-myapp-ServiceWeb-1AB2"), "service web");
        assert_eq!(
            line(&own, "service web", &n, 120),
            "10:40:00  service web  stack  CREATE_COMPLETE"
        );
        let parent = ev(
            "r-myapp",
            "ServiceWeb",
            "AWS::CloudFormation::Stack",
            "CREATE_IN_PROGRESS",
            "User Initiated",
        );
        assert_eq!(n.of("r-myapp", "r-myapp"), "app");
        assert_eq!(
            line(&parent, "app", &n, 120),
            "10:40:00  app  service web  CREATE_IN_PROGRESS  User Initiated"
        );
        let task = ev(
            "r-myapp-ServiceWeb-1AB2",
            "Tasks",
            "AWS::ECS::TaskDefinition",
            "CREATE_COMPLETE",
            "",
        );
        assert_eq!(
            line(&task, "service web", &n, 120),
            "10:40:00  service web  Tasks  CREATE_COMPLETE"
        );
    }

    /// A long reason goes under the line, wrapped within the width, nothing dropped.
    #[test]
    fn a_long_reason_wraps_within_the_width() {
        let reason = "Resource handler returned message: \"Invalid request provided: Listener rule priority 1234 is \
                      already in use (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: 0f1e2d3c)\" \
                      (RequestToken: 8a9b, HandlerErrorCode: AlreadyExists)";
        let e = ev(
            "r-myapp-ServiceWeb-1AB2",
            "BalancerListenerRule443",
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            "CREATE_FAILED",
            reason,
        );
        let text = line(&e, "service web", &names(), 80);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(
            text.starts_with("10:40:00  service web  BalancerListenerRule443  CREATE_FAILED\n    Resource handler"),
            "{text}"
        );
        let words: Vec<&str> = text.lines().skip(1).flat_map(str::split_whitespace).collect();
        assert_eq!(words, reason.split_whitespace().collect::<Vec<_>>());
    }

    /// A lone stack (the rack) goes by its name; labels are padded to line up.
    #[test]
    fn a_lone_stack_goes_by_its_name() {
        let n = Names::default();
        assert_eq!(n.of("demo", "demo"), "demo");
        assert_eq!(names().pad("app"), "app        ");
    }
}
