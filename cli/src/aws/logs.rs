//! CloudWatch Logs, read: an app's or a rack's log group (its stack's `LogGroup` output, else the
//! `LogGroup` resource), one window of FilterLogEvents (every page), and the pure parts around it:
//! `--since`, the awslogs driver's stream names (`<prefix>/<container>/<task-id>`: `service/web/…`
//! for a service, `timer/<timer>/…` for a timer's runs), a line as text or JSON, and the event IDs
//! already printed (`Seen`), so that overlapping windows print each event once.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::output;
use aws_sdk_cloudformation::types::Stack;
use aws_sdk_cloudwatchlogs::primitives::{DateTime, DateTimeFormat};
use serde_json::{Value, json};
use std::collections::HashMap;

/// One log event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    /// Milliseconds since the epoch.
    pub time: i64,
    pub id: String,
    pub stream: String,
    pub message: String,
}

/// What one window reads: from `start` (ms), streams under `prefix`, CloudWatch's filter pattern.
pub(crate) struct Query<'a> {
    pub group: &'a str,
    pub prefix: Option<&'a str>,
    pub pattern: Option<&'a str>,
    pub start: i64,
}

/// The log group of a stack (an app's or a rack's): its `LogGroup` output, else its `LogGroup`
/// resource (an app stack made with CloudWatch logging off has neither).
pub(crate) async fn log_group(c: &Clients, stack: &Stack, what: &str) -> Result<String> {
    if let Some(g) = output(stack, "LogGroup").filter(|g| !g.is_empty()) {
        return Ok(g.to_string());
    }
    let name = stack.stack_name().unwrap_or_default();
    let found = c
        .cfn
        .describe_stack_resource()
        .stack_name(name)
        .logical_resource_id("LogGroup")
        .send()
        .await;
    match found
        .ok()
        .and_then(|r| r.stack_resource_detail()?.physical_resource_id().map(str::to_string))
    {
        Some(g) if !g.is_empty() => Ok(g),
        _ => err(format!(
            "{what} has no CloudWatch log group (stack {name} has no LogGroup output or resource): \
             its logs go elsewhere (syslog?)"
        )),
    }
}

/// Every event of one window, all pages, in time order (ties by stream, then ID).
pub(crate) async fn read(c: &Clients, q: &Query<'_>) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    let mut pages = c
        .logs
        .filter_log_events()
        .log_group_name(q.group)
        .set_log_stream_name_prefix(q.prefix.map(str::to_string))
        .set_filter_pattern(q.pattern.map(str::to_string))
        .start_time(q.start)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                crate::aws::clients::Error(format!("log group {} not found", q.group))
            } else {
                describe(&format!("reading log group {}", q.group), &e)
            }
        })?;
        out.extend(page.events().iter().map(|e| Event {
            time: e.timestamp().unwrap_or(0),
            id: e.event_id().unwrap_or_default().to_string(),
            stream: e.log_stream_name().unwrap_or_default().to_string(),
            message: e.message().unwrap_or_default().to_string(),
        }));
    }
    sort(&mut out);
    Ok(out)
}

pub(crate) fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| (a.time, &a.stream, &a.id).cmp(&(b.time, &b.stream, &b.id)));
}

/// `--since`: a duration back from `now` (ms) — `30s`, `10m`, `2h`, `1d`, or several, `1h30m` —
/// or an ISO-8601 time (`2026-12-07T10:00:00Z`, an offset, fractions of a second).
pub(crate) fn parse_since(text: &str, now: i64) -> std::result::Result<i64, String> {
    let text = text.trim();
    if let Some(ms) = duration_ms(text) {
        return Ok(now - ms);
    }
    DateTime::from_str(text, DateTimeFormat::DateTimeWithOffset)
        .or_else(|_| DateTime::from_str(text, DateTimeFormat::DateTime))
        .ok()
        .and_then(|t| t.to_millis().ok())
        .ok_or_else(|| {
            format!("--since {text}: expected a duration (30s, 10m, 2h, 1d) or an ISO-8601 time (2026-12-07T10:00:00Z)")
        })
}

pub(crate) fn duration_ms(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let (mut total, mut digits) = (0i64, String::new());
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    digits.is_empty().then_some(total)
}

/// The parts of an awslogs stream name, `<prefix>/<container>/<task-id>`: (service or timer, task).
/// Another name (a rack's own streams) has none.
pub(crate) fn stream_parts(stream: &str) -> Option<(&str, &str)> {
    let mut parts = stream.splitn(3, '/');
    let (_, name, task) = (parts.next()?, parts.next()?, parts.next()?);
    (!name.is_empty() && !task.is_empty()).then_some((name, task))
}

/// The stream-name prefix of a service's streams.
pub(crate) fn service_prefix(service: &str) -> String {
    format!("service/{service}/")
}

/// An event's time as `convox logs` prints it: RFC 3339, UTC, whole seconds.
pub(crate) fn time_text(ms: i64) -> String {
    DateTime::from_secs(ms.div_euclid(1000))
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

/// A line as `convox logs` prints it: time, stream (`service/web/<task>`), message.
pub(crate) fn text_line(e: &Event) -> String {
    format!(
        "{} {} {}",
        time_text(e.time),
        e.stream,
        e.message.trim_end_matches(['\n', '\r'])
    )
}

/// A line for `--format json` (its time to the millisecond, as CloudWatch keeps it).
pub(crate) fn json_line(e: &Event) -> Value {
    let (service, task) = match stream_parts(&e.stream) {
        Some((s, t)) => (json!(s), json!(t)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "time": DateTime::from_millis(e.time).fmt(DateTimeFormat::DateTime).unwrap_or_else(|_| e.time.to_string()),
        "service": service,
        "task": task,
        "stream": e.stream,
        "message": e.message.trim_end_matches(['\n', '\r']),
    })
}

/// How far back each window starts before the newest event printed: CloudWatch takes in events
/// late (a few seconds, more under load), so windows overlap and `Seen` drops what was printed.
pub(crate) const OVERLAP_MS: i64 = 15_000;

/// The event IDs printed (with their times, to forget those older than the next window), and where
/// the next window starts.
pub(crate) struct Seen {
    start: i64,
    ids: HashMap<String, i64>,
}

impl Seen {
    pub(crate) fn new(start: i64) -> Seen {
        Seen {
            start,
            ids: HashMap::new(),
        }
    }

    /// Where the next window starts (ms).
    pub(crate) fn start(&self) -> i64 {
        self.start
    }

    /// Of a window's events (in time order), those not printed before; the next window starts
    /// `OVERLAP_MS` before the newest of them (never before the first window), and IDs older than
    /// it are forgotten.
    pub(crate) fn fresh(&mut self, events: Vec<Event>) -> Vec<Event> {
        let new: Vec<Event> = events.into_iter().filter(|e| !self.ids.contains_key(&e.id)).collect();
        for e in &new {
            self.ids.insert(e.id.clone(), e.time);
        }
        if let Some(newest) = new.iter().map(|e| e.time).max() {
            self.start = self.start.max(newest - OVERLAP_MS);
        }
        let start = self.start;
        self.ids.retain(|_, t| *t >= start);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(time: i64, id: &str) -> Event {
        Event {
            time,
            id: id.into(),
            stream: "service/web/abc".into(),
            message: format!("m{id}\n"),
        }
    }

    #[test]
    fn since() {
        let now = 10_000_000_000;
        assert_eq!(parse_since("10m", now), Ok(now - 600_000));
        assert_eq!(parse_since("2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_since("1h30m", now), Ok(now - 5_400_000));
        assert_eq!(parse_since("45s", now), Ok(now - 45_000));
        assert_eq!(parse_since("1d", now), Ok(now - 86_400_000));
        assert_eq!(parse_since("2026-12-07T10:00:00Z", now), Ok(1_796_637_600_000));
        assert_eq!(parse_since("2026-12-07T10:00:00.5Z", now), Ok(1_796_637_600_500));
        assert_eq!(parse_since("2026-12-07T11:00:00+01:00", now), Ok(1_796_637_600_000));
        for bad in ["", "10", "m", "10x", "yesterday", "2026-12-07"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn streams_and_lines() {
        assert_eq!(stream_parts("service/web/0123abcd"), Some(("web", "0123abcd")));
        assert_eq!(stream_parts("timer/cleanup/99ff"), Some(("cleanup", "99ff")));
        assert_eq!(stream_parts("system"), None);
        assert_eq!(stream_parts("a//b"), None);
        assert_eq!(service_prefix("web"), "service/web/");
        let e = Event {
            time: 1_796_637_600_123,
            id: "1".into(),
            stream: "service/web/0123abcd".into(),
            message: "hello\n".into(),
        };
        assert_eq!(text_line(&e), "2026-12-07T10:00:00Z service/web/0123abcd hello");
        assert_eq!(
            json_line(&e),
            json!({"time": "2026-12-07T10:00:00.123Z", "service": "web", "task": "0123abcd",
                   "stream": "service/web/0123abcd", "message": "hello"})
        );
        let rack = Event {
            stream: "convox".into(),
            ..e
        };
        assert_eq!(json_line(&rack)["service"], Value::Null);
    }

    #[test]
    fn seen_dedupes_across_overlapping_windows() {
        let mut seen = Seen::new(1_000);
        let first = seen.fresh(vec![ev(20_000, "a"), ev(30_000, "b")]);
        assert_eq!(first.len(), 2);
        assert_eq!(seen.start(), 30_000 - OVERLAP_MS);
        // the next window repeats b, and brings c, which came in late with an older time
        let second = seen.fresh(vec![ev(30_000, "b"), ev(29_000, "c"), ev(40_000, "d")]);
        assert_eq!(second.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["c", "d"]);
        assert_eq!(seen.start(), 40_000 - OVERLAP_MS);
        // an empty window keeps the start; old IDs are forgotten
        assert!(seen.fresh(vec![]).is_empty());
        assert_eq!(seen.start(), 25_000);
        assert!(!seen.ids.contains_key("a"));
        assert!(seen.ids.contains_key("b"));
        // the start never goes back before the first window
        let mut early = Seen::new(100_000);
        early.fresh(vec![ev(100_500, "x")]);
        assert_eq!(early.start(), 100_000);
    }

    #[test]
    fn sorted_by_time_then_stream() {
        let mut v = vec![ev(3, "a"), ev(1, "b"), ev(2, "c")];
        v[0].stream = "timer/t/1".into();
        sort(&mut v);
        assert_eq!(v.iter().map(|e| e.time).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
