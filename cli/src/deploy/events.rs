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
        }
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
        if self.tty {
            print!("\r\x1b[K");
        }
        for e in &fresh {
            say::step(line(e), event(e));
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

    pub fn finish(&self) {
        if self.tty {
            print!("\r\x1b[K");
            let _ = std::io::stdout().flush();
        }
    }
}

/// One event for CI: `{"type":"event", time, stack, logical_id, resource_type, status, reason}`.
fn event(e: &StackEvent) -> Value {
    json!({
        "type": "event",
        "time": time(e),
        "stack": e.stack_name(),
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

/// One event as one line: time, stack, resource, type, status, reason.
pub fn line(e: &StackEvent) -> String {
    let mut s = format!(
        "{}  {}  {}  {}  {}",
        time(e),
        e.stack_name().unwrap_or("-"),
        e.logical_resource_id().unwrap_or("-"),
        e.resource_type().unwrap_or("-"),
        e.resource_status().map(|s| s.as_str()).unwrap_or("-"),
    );
    if let Some(r) = e.resource_status_reason().filter(|r| !r.is_empty()) {
        s.push_str("  ");
        s.push_str(r);
    }
    s
}
