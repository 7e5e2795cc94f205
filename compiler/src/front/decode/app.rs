//! The manifest's top level → IR: each section decoded by its own file, then assembled.

use super::environment::env_list;
use super::resources::decode_resources;
use super::services::service;
use super::timers::timer;
use crate::front::cx::{Cx, Fields, join};
use crate::front::yaml::{Node, Value};
use crate::ir::*;
use std::collections::BTreeMap;

pub struct Decoded {
    pub environment: Vec<EnvDecl>,
    pub params: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub services: Vec<Service>,
    pub timers: Vec<Timer>,
}

pub fn decode(cx: &mut Cx, top: &Fields) -> Decoded {
    let environment = top
        .get("environment")
        .map(|n| env_list(cx, n, "environment"))
        .unwrap_or_default();
    let params = top.get("params").map(|n| params(cx, n)).unwrap_or_default();
    let resources = top
        .get("resources")
        .map(|n| decode_resources(cx, n))
        .unwrap_or_default();
    let mut services = Vec::new();
    if let Some(n) = top.get("services") {
        for (name, key, body) in cx.named(n, "services", "a map of service names to services") {
            if let Some(s) = service(cx, &name, key, body, &environment) {
                services.push(s);
            }
        }
    }
    let mut timers = Vec::new();
    if let Some(n) = top.get("timers") {
        for (name, key, body) in cx.named(n, "timers", "a map of timer names to timers") {
            if let Some(t) = timer(cx, &name, key, body) {
                timers.push(t);
            }
        }
    }
    Decoded {
        environment,
        params,
        resources,
        services,
        timers,
    }
}

/// App params keep the scalar text as written (`TaskTags: Yes` stays "Yes", as in convox).
fn params(cx: &mut Cx, n: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, _, v) in cx.named(n, "params", "a map of parameter names to values") {
        let p = join("params", &k);
        let text = match &v.value {
            Value::Str(s) => s.clone(),
            Value::Null => String::new(),
            Value::Seq(_) | Value::Map(_) => {
                cx.wrong_type(v, &p, "a single value");
                continue;
            }
            _ => cx.raw(v).to_string(),
        };
        cx.spans.insert(p, cx.span(v));
        out.insert(k, text);
    }
    out
}
