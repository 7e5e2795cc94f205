//! The app against the rack it is compiled for (when rack params are given).

use crate::diagnostic::Code;
use crate::front::cx::{Cx, index, join};
use crate::front::decode::Decoded;
use crate::ir::RackParams;
use crate::ir::*;

pub(super) fn rack_support(cx: &mut Cx, app: &Decoded, rack: &RackParams) {
    let yes = |k: &str| rack.get(k) == Some("Yes");
    for s in &app.services {
        let sp = join("services", &s.name);
        if s.internal && !yes("Internal") {
            let at = if cx.spans.contains_key(&join(&sp, "internal")) {
                join(&sp, "internal")
            } else {
                join(&sp, "internalAndExternal")
            };
            cx.report(
                Code::RackSupport,
                &join(&sp, "internal"),
                &at,
                "rack does not support internal services",
                Some("set the rack param Internal=Yes".into()),
            );
        }
        if yes("InternalOnly") && !s.internal && (s.port.is_some() || !s.nlb.is_empty()) {
            cx.report(
                Code::RackSupport,
                &sp,
                &format!("{sp}#name"),
                "rack only supports internal services",
                Some("add `internal: true` (the rack has InternalOnly=Yes)".into()),
            );
        }
        for (i, e) in s.nlb.iter().enumerate() {
            let p = index(&join(&sp, "nlb"), i);
            let at = format!("{p}#port");
            match e.scheme {
                NlbScheme::Public if !yes("NLB") => {
                    cx.report(
                        Code::RackSupport,
                        &p,
                        &at,
                        format!("service {} declares public nlb port {} but rack does not have NLB enabled; run 'convox rack params set NLB=Yes' first", s.name, e.port),
                        None,
                    );
                }
                NlbScheme::Internal if !yes("NLBInternal") => {
                    cx.report(
                        Code::RackSupport,
                        &p,
                        &at,
                        format!(
                            "service {} declares internal nlb port {} but rack does not have NLBInternal enabled; run 'convox rack params set Internal=Yes NLBInternal=Yes' first",
                            s.name, e.port
                        ),
                        None,
                    );
                }
                _ => {}
            }
            if e.preserve_client_ip == Some(true) && rack.get("InstanceSecurityGroup").is_some_and(|v| !v.is_empty()) {
                cx.report(
                    Code::RackSupport,
                    &p,
                    &at,
                    format!("service {} nlb port {}: cannot set preserve_client_ip=true on a rack with a customer-supplied InstanceSecurityGroup", s.name, e.port),
                    Some("the rack cannot open the client CIDRs on a security group it does not own".into()),
                );
            }
        }
    }
}
