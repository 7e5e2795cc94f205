//! `environment:` lists (global and per service): `NAME`, `NAME=default`, `*`, convox's list and map forms.

use crate::diagnostic::{Code, Diagnostic};
use crate::front::cx::{Cx, index};
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::source::Span;

/// An environment list: strings (`NAME`, `NAME=default`, `*`), nested lists flattened.
pub fn env_list(cx: &mut Cx, n: &Node, path: &str) -> Vec<EnvDecl> {
    let mut out = Vec::new();
    match &n.value {
        Value::Null => {}
        Value::Seq(items) => env_items(cx, items, path, path, &mut out),
        Value::Map(_) => cx.error(
            Code::WrongType,
            n,
            path,
            "environment must be a list, found a map",
            Some("write each variable as a list item: `- NAME=default` (or `- NAME` for a required one)".into()),
        ),
        _ => cx.wrong_type(n, path, "a list of NAME or NAME=default entries"),
    }
    out
}

fn env_items(cx: &mut Cx, items: &[Node], list: &str, path: &str, out: &mut Vec<EnvDecl>) {
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        match &item.value {
            Value::Str(s) => {
                if let Some(d) = env_decl(cx, item, &p, s) {
                    record(cx, list, &p, item, d, out);
                }
            }
            Value::Seq(inner) => env_items(cx, inner, list, &p, out),
            Value::Map(es) if es.len() == 1 => {
                let k = cx.raw(&es[0].key).to_string();
                let v = cx.raw(&es[0].value).to_string();
                // `- NAME=x:${VAR}` is a map only while VAR is empty: the whole entry is the span
                let whole = Span::new(cx.span(item).start, cx.span(&es[0].value).end);
                let d = cx
                    .diag(
                        Code::EnvDeclaration,
                        item,
                        &p,
                        "an environment entry must be a string, found a map",
                    )
                    .help(format!("write `- {k}={v}` (convox silently drops map entries)"));
                let supplied = matches!(es[0].value.value, Value::Null) && cx.supplied_at(whole);
                cx.push(Diagnostic { span: whole, ..d });
                if supplied && let Some(d) = env_decl(cx, item, &p, &format!("{k}:")) {
                    // with its value, it is the declaration `NAME=x:value`
                    record(cx, list, &p, item, d, out);
                }
            }
            other => {
                let raw = cx.raw(item).to_string();
                cx.error(
                    Code::EnvDeclaration,
                    item,
                    &p,
                    format!("an environment entry must be a string, found {}", other.kind()),
                    Some(format!(
                        "quote it: \"{raw}\" (convox silently drops entries that are not strings)"
                    )),
                );
            }
        }
    }
}

/// Keep a declaration, and where it is written.
fn record(cx: &mut Cx, list: &str, p: &str, item: &Node, d: EnvDecl, out: &mut Vec<EnvDecl>) {
    let site = format!("{p}#{}", d.name());
    cx.spans.insert(site.clone(), cx.span(item));
    cx.env_sites
        .entry(list.to_string())
        .or_default()
        .push((d.name().to_string(), site));
    out.push(d);
}

fn env_decl(cx: &mut Cx, n: &Node, path: &str, s: &str) -> Option<EnvDecl> {
    if s == "*" {
        return Some(EnvDecl::Wildcard);
    }
    let (name, default) = match s.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    };
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '$' || c == '{' || c == '}')
    {
        cx.error(
            Code::EnvDeclaration,
            n,
            path,
            format!("`{s}` is not NAME, NAME=default or *"),
            Some("a variable name is letters, digits and underscores, with no spaces".into()),
        );
        return None;
    }
    Some(match default {
        Some(d) => EnvDecl::Default {
            name: name.to_string(),
            default: d.to_string(),
        },
        None => EnvDecl::Required { name: name.to_string() },
    })
}
