//! A service's `domains:`, with convox's checks of each name.

use crate::diagnostic::Code;
use crate::front::cx::Cx;
use crate::front::yaml::{Node, Value};

pub(super) fn domains(cx: &mut Cx, n: &Node, path: &str) -> Vec<String> {
    let items: Vec<(String, &Node)> = match &n.value {
        Value::Str(s) => s
            .split(',')
            .map(|d| (d.trim().to_string(), n))
            .filter(|(d, _)| !d.is_empty())
            .collect(),
        Value::Null => Vec::new(),
        Value::Seq(items) if items.iter().any(|i| matches!(i.value, Value::Null)) => {
            // null items (e.g. an empty ${VAR}) are dropped like empty comma-separated entries
            let kept: Vec<Node> = items
                .iter()
                .filter(|i| !matches!(i.value, Value::Null))
                .cloned()
                .collect();
            let list = Node {
                value: Value::Seq(kept),
                span: n.span,
                alias: n.alias,
            };
            return domains(cx, &list, path);
        }
        _ => cx
            .string_list(n, path)
            .into_iter()
            .map(|(d, n)| (d.trim().to_string(), n))
            .filter(|(d, _)| !d.is_empty())
            .collect(),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (d, node) in items {
        if let Some(problem) = domain_problem(&d) {
            cx.error(
                Code::Domain,
                node,
                path,
                format!("`{d}` is not a valid domain name: {problem}"),
                None,
            );
        } else if out.contains(&d) {
            cx.error(Code::Domain, node, path, format!("domain `{d}` is listed twice"), None);
        } else {
            out.push(d);
        }
    }
    out
}

/// Why a domain name is not a valid (optionally `*.`-wildcard) DNS name, or None.
fn domain_problem(d: &str) -> Option<&'static str> {
    if d.len() > 253 {
        return Some("longer than 253 characters");
    }
    let rest = d.strip_prefix("*.").unwrap_or(d);
    if !rest.contains('.') {
        return Some("it needs at least two labels (name.tld)");
    }
    for label in rest.split('.') {
        if label.is_empty() {
            return Some("it has an empty label");
        }
        if label.len() > 63 {
            return Some("a label is longer than 63 characters");
        }
        if label.contains('*') {
            return Some("a wildcard is only allowed as the whole first label (*.example.org)");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Some("labels may contain only letters, digits and hyphens");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label may not start or end with a hyphen");
        }
    }
    None
}
