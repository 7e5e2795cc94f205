//! A report as people read it: text for a terminal (colour optional), markdown for a pull-request
//! comment or a job summary (under GitHub's 65,536-character limit), and JSON (`schema/diff.schema.json`).

use super::model::*;
use super::tree::Edit;
use serde_json::Value;
use std::fmt::Write as _;

/// GitHub's limit on a comment body (and a step summary is read the same way).
pub const MARKDOWN_LIMIT: usize = 65_536;

/// The version of the JSON form, raised when a field changes meaning.
pub const JSON_VERSION: u32 = 1;

fn headline(r: &Report) -> String {
    if r.is_empty() {
        return "no changes".into();
    }
    let mut parts = Vec::new();
    for class in Class::WORST_FIRST {
        if let Some(n) = r.summary.classes.get(class.as_str()) {
            parts.push(format!("{n} {}", words(class, *n)));
        }
    }
    if r.summary.broadening > 0 {
        parts.push(format!("{} widen access", r.summary.broadening));
    }
    let env = r.environment.len();
    if env > 0 {
        parts.push(format!(
            "{env} environment value{} changed",
            if env == 1 { "" } else { "s" }
        ));
    }
    let stacks = r.summary.stacks_changed;
    if stacks == 0 {
        return parts.join(", ");
    }
    let s = if stacks == 1 { "stack changes" } else { "stacks change" };
    if parts.is_empty() {
        format!("{stacks} {s} (parameters, outputs or tags only)")
    } else {
        format!("{stacks} {s}: {}", parts.join(", "))
    }
}

fn words(class: Class, n: usize) -> &'static str {
    match (class, n == 1) {
        (Class::Fail, _) => "will fail",
        (Class::Destroy, true) => "destroys data",
        (Class::Destroy, false) => "destroy data",
        (Class::Replace, true) => "replacement",
        (Class::Replace, false) => "replacements",
        (Class::Remove, _) => "removed",
        (Class::Update, _) => "updated in place",
        (Class::Add, _) => "added",
        (Class::Benign, true) => "new task-definition revision",
        (Class::Benign, false) => "new task-definition revisions",
    }
}

/// How a resource's class reads after its name.
fn verdict(r: &ResourceChange) -> String {
    let may = if r.certain { "" } else { "may " };
    match r.class {
        Class::Fail => format!(
            "{}FAIL: CloudFormation refuses to replace it",
            if r.certain { "WILL " } else { "MAY " }
        ),
        Class::Destroy if r.action == Action::Remove => match r.data {
            Some(d) => format!("DESTROYS DATA ({d})"),
            None => "DESTROYS DATA".into(),
        },
        Class::Destroy => format!(
            "{}REPLACE, DESTROYS DATA ({})",
            may.to_uppercase(),
            r.data.unwrap_or("data")
        ),
        Class::Replace => format!("{may}replace"),
        Class::Remove => "remove".into(),
        Class::Update => "update in place".into(),
        Class::Add => "add".into(),
        Class::Benign => "new revision".into(),
    }
}

fn sign(a: Action) -> char {
    match a {
        Action::Add => '+',
        Action::Remove => '-',
        Action::Modify => '~',
    }
}

/// What an entry is, in words.
fn entry_word(section: &str) -> &str {
    match section {
        "Parameters" => "parameter",
        "Conditions" => "condition",
        "Mappings" => "mapping",
        "Outputs" => "output",
        other => other,
    }
}

/// An entry in one line: a declaration with the keys that changed, else its value's change.
fn entry_line(e: &EntryChange, max: usize) -> (String, bool) {
    let head = format!("{} {} {}", sign(e.action), entry_word(e.section), e.name);
    let declaration = matches!(e.section, "Parameters" | "Conditions" | "Mappings");
    if declaration && e.action == Action::Modify {
        let keys: Vec<&str> = e.edits.iter().map(|x| x.path.trim_start_matches('/')).collect();
        let keys = if keys.iter().any(|k| k.is_empty()) {
            "value".to_string()
        } else {
            keys.join(", ")
        };
        return (format!("{head}: {keys}"), false);
    }
    if declaration || e.action != Action::Modify {
        return (head, false);
    }
    match e.edits.as_slice() {
        [one] if one.path.is_empty() => (format!("{head}: {}", edit_value(one, max)), false),
        _ => (head, true),
    }
}

fn edit_value(e: &Edit, max: usize) -> String {
    format!("{} → {}", short(e.old.as_ref(), max), short(e.new.as_ref(), max))
}

/// A value in one line, cut at `max` characters.
fn short(v: Option<&Value>, max: usize) -> String {
    let Some(v) = v else { return "(none)".into() };
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn edit_line(e: &Edit, max: usize) -> String {
    let path = if e.path.is_empty() { "(value)" } else { &e.path };
    match (&e.old, &e.new) {
        (None, new) => format!("+ {path}: {}", short(new.as_ref(), max)),
        (old, None) => format!("- {path}: {}", short(old.as_ref(), max)),
        (old, new) => format!("~ {path}: {} → {}", short(old.as_ref(), max), short(new.as_ref(), max)),
    }
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn class(&self, c: Class, s: &str) -> String {
        let code = match c {
            Class::Fail | Class::Destroy => "1;31",
            Class::Replace | Class::Remove => "33",
            Class::Add => "32",
            Class::Update => "36",
            Class::Benign => "2",
        };
        self.wrap(code, s)
    }
}

/// The report as text, for a terminal (`color`) or a log.
pub fn text(r: &Report, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.wrap("1", &format!("convoxc diff: {}", headline(r))));
    if !r.environment.is_empty() {
        let _ = writeln!(out, "\n{}", paint.wrap("1", "environment"));
        for e in &r.environment {
            let _ = writeln!(out, "  {}", env_line(e));
        }
    }
    for s in &r.stacks {
        let _ = writeln!(out, "\n{}{}", paint.wrap("1", &s.label), stack_action(s.action));
        stack_body(&mut out, s, &paint, "  ", 100, true);
        for b in &s.broadening {
            let line = format!(
                "  ! {} widens access ({}): {}",
                b.logical_id,
                b.kind,
                short(Some(&b.detail), 160)
            );
            let _ = writeln!(out, "{}", paint.wrap("1;35", &line));
        }
    }
    out
}

/// An environment value stored anew or removed (its name only: values are never shown).
fn env_line(e: &EnvChange) -> String {
    match e.action {
        Action::Add => format!(
            "+ {} (new value; the services that read it are deployed with it)",
            e.name
        ),
        Action::Remove => format!(
            "- {} (removed; the services that read it are deployed without it)",
            e.name
        ),
        Action::Modify => format!(
            "~ {} (value changed; the services that read it are deployed with it)",
            e.name
        ),
    }
}

/// A stack's entries and resources, one line each with their edits (and the resources' reasons,
/// when `reasons`) below, indented by `indent`.
fn stack_body(out: &mut String, s: &StackChange, paint: &Paint, indent: &str, max: usize, reasons: bool) {
    for e in &s.entries {
        let (line, details) = entry_line(e, max);
        let _ = writeln!(out, "{indent}{line}");
        for edit in e.edits.iter().filter(|_| details) {
            let _ = writeln!(out, "{indent}    {}", edit_line(edit, max));
        }
    }
    for c in &s.resources {
        let head = format!(
            "{indent}{} {} ({}) {}",
            sign(c.action),
            c.logical_id,
            c.resource_type,
            verdict(c)
        );
        let _ = writeln!(out, "{}", paint.class(c.class, &head));
        for why in c.reasons.iter().filter(|_| reasons) {
            let _ = writeln!(out, "{indent}    {why}");
        }
        for p in &c.properties {
            let mark = match p.replacement {
                Replacement::Yes => "  (requires replacement)",
                Replacement::Maybe => "  (may cause replacement)",
                Replacement::No => "",
            };
            let _ = writeln!(out, "{indent}    {}{mark}", edit_line(&p.edit, max));
        }
    }
}

fn stack_action(a: Action) -> &'static str {
    match a {
        Action::Add => " (new stack)",
        Action::Remove => " (removed stack)",
        Action::Modify => "",
    }
}

/// Markdown-escaped table cell text.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    let s = cell(s);
    if s.contains('`') {
        format!("<code>{s}</code>")
    } else {
        format!("`{s}`")
    }
}

/// The worst class in a stack.
fn worst(s: &StackChange) -> Option<Class> {
    s.resources.iter().map(|r| r.class).max()
}

/// The report as markdown: a summary table of every changed resource, most serious first, then
/// each stack's details in a folded section. Details of the least serious stacks are left out
/// (and the comment says so) when the whole would pass `limit` characters.
pub fn markdown(r: &Report, limit: usize) -> String {
    let mut head = format!("### convoxc diff: {}\n\n", headline(r));
    if r.is_empty() {
        return head;
    }
    let mut rows: Vec<(&StackChange, &ResourceChange)> = r
        .stacks
        .iter()
        .flat_map(|s| s.resources.iter().map(move |c| (s, c)))
        .collect();
    rows.sort_by_key(|(_, c)| std::cmp::Reverse(c.class));
    let important: Vec<_> = rows.iter().filter(|(_, c)| c.class != Class::Benign).collect();
    let benign = rows.len() - important.len();
    if !important.is_empty() {
        head.push_str("| change | stack | resource | type | why |\n|---|---|---|---|---|\n");
        for (s, c) in &important {
            let _ = writeln!(
                head,
                "| **{}** | {} | {} | {} | {} |",
                cell(&verdict(c)),
                cell(&s.label),
                code(&c.logical_id),
                code(&c.resource_type),
                cell(&c.reasons.join("; "))
            );
        }
    }
    if benign > 0 {
        let _ = writeln!(head, "\n{benign} {} (not listed above).", words(Class::Benign, benign));
    }
    if !r.environment.is_empty() {
        head.push_str("\n**Environment**\n\n");
        for e in &r.environment {
            let _ = writeln!(head, "- `{}`", cell(&env_line(e)));
        }
    }
    let broad: Vec<_> = r
        .stacks
        .iter()
        .flat_map(|s| s.broadening.iter().map(move |b| (s, b)))
        .collect();
    if !broad.is_empty() {
        head.push_str("\n**Access widened**\n\n| stack | resource | kind | grants |\n|---|---|---|---|\n");
        for (s, b) in broad {
            let _ = writeln!(
                head,
                "| {} | {} | {} | {} |",
                cell(&s.label),
                code(&b.logical_id),
                b.kind,
                code(&short(Some(&b.detail), 200))
            );
        }
    }
    // details: the most serious stacks first
    let mut order: Vec<&StackChange> = r.stacks.iter().collect();
    order.sort_by_key(|s| std::cmp::Reverse(worst(s)));
    let details: Vec<String> = order.iter().map(|s| stack_details(s)).collect();
    let mut out = head;
    out.push('\n');
    let note_room = 200;
    let mut left_out = 0;
    for d in &details {
        if out.len() + d.len() + note_room > limit {
            left_out += 1;
            continue;
        }
        out.push_str(d);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n_The details of {left_out} less serious stack{} are left out to stay under GitHub's {limit}-character limit; `convoxc diff` prints them all._",
            if left_out == 1 { "" } else { "s" }
        );
    }
    if out.len() > limit {
        // even the summary is too long: cut it, and say so
        let mut cut = limit - note_room;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n_Cut to stay under GitHub's character limit; `convoxc diff` prints it all._\n");
    }
    out
}

fn stack_details(s: &StackChange) -> String {
    let n = s.resources.len() + s.entries.len();
    let mut d = format!(
        "<details><summary>{}{}: {n} change{}</summary>\n\n```diff\n",
        cell(&s.label),
        stack_action(s.action),
        if n == 1 { "" } else { "s" }
    );
    // the summary table has the reasons
    stack_body(&mut d, s, &Paint(false), "", 120, false);
    d.push_str("```\n\n</details>\n\n");
    d.replace("```diff\n```", "```diff\n(no details)\n```")
}

/// The report as JSON (pretty, sorted as the report is), with its version.
pub fn json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(r)).expect("a report is JSON");
    s.push('\n');
    s
}

/// The report as a JSON value (what `json` prints), for a caller that embeds it.
pub fn json_value(r: &Report) -> serde_json::Value {
    let mut v = serde_json::json!({"version": JSON_VERSION, "summary": r.summary, "stacks": r.stacks});
    if !r.environment.is_empty() {
        v["environment"] = serde_json::json!(r.environment);
    }
    v
}
