//! A service's `port:`: number, scheme (`http:`, `https:`, `grpc:`, `secure-grpc:`), convox's forms.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use crate::names::suggest;

pub(super) fn port(cx: &mut Cx, n: &Node, path: &str) -> Option<Port> {
    match &n.value {
        Value::Null => None,
        Value::Int(i) => {
            let v = cx.check_range(n, path, i64::try_from(*i).unwrap_or(-1), 1, 65535, "port")?;
            Some(Port {
                port: v as u16,
                scheme: Scheme::Http,
            })
        }
        Value::Str(s) => port_string(cx, n, path, s, None),
        Value::Map(_) => {
            let f = cx.fields(n, path, Place::PortMap)?;
            let scheme = f
                .get("scheme")
                .and_then(|s| cx.string(s, &join(path, "scheme")).map(|t| (t, s)));
            let scheme = match scheme {
                Some((t, node)) => Some(parse_scheme(cx, node, &join(path, "scheme"), &t)?),
                None => None,
            };
            let Some(pn) = f.get("port") else {
                cx.error(Code::Port, n, path, "a port map needs `port`", None);
                return None;
            };
            match &pn.value {
                Value::Int(i) => {
                    let v = cx.check_range(
                        pn,
                        &join(path, "port"),
                        i64::try_from(*i).unwrap_or(-1),
                        1,
                        65535,
                        "port",
                    )?;
                    Some(Port {
                        port: v as u16,
                        scheme: scheme.unwrap_or(Scheme::Http),
                    })
                }
                Value::Str(s) => port_string(cx, pn, &join(path, "port"), s, scheme),
                _ => {
                    cx.wrong_type(pn, &join(path, "port"), "a port number");
                    None
                }
            }
        }
        _ => {
            cx.wrong_type(n, path, "a port (3000, \"https:3000\" or a map)");
            None
        }
    }
}

fn port_string(cx: &mut Cx, n: &Node, path: &str, s: &str, scheme: Option<Scheme>) -> Option<Port> {
    let (sch, num) = match s.rsplit_once(':') {
        Some((a, b)) => (Some(a), b),
        None => (None, s),
    };
    let Ok(v) = num.trim().parse::<i64>() else {
        let help = match s.split_once('/') {
            Some((p, sc)) => format!("write it as scheme:port, e.g. \"{sc}:{p}\""),
            None => "write a number (3000) or scheme:port (\"https:3000\")".into(),
        };
        cx.error(Code::Port, n, path, format!("invalid port `{s}`"), Some(help));
        return None;
    };
    let v = cx.check_range(n, path, v, 1, 65535, "port")?;
    let scheme = match sch {
        Some(t) => parse_scheme(cx, n, path, t)?,
        None => scheme.unwrap_or(Scheme::Http),
    };
    Some(Port { port: v as u16, scheme })
}

fn parse_scheme(cx: &mut Cx, n: &Node, path: &str, t: &str) -> Option<Scheme> {
    if let Some((_, s)) = Scheme::ALL.iter().find(|(name, _)| *name == t) {
        return Some(*s);
    }
    let names = Scheme::ALL.map(|(n, _)| n);
    let help = match suggest(t, names) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the schemes are {}", names.join(", ")),
    };
    cx.error(Code::Port, n, path, format!("unknown port scheme `{t}`"), Some(help));
    None
}
