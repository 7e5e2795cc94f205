//! Certificates that would wait: a service's `domain:` gets an ACM certificate validated by DNS.
//! When a domain lies in the rack's Route 53 zone (`ir::rack::validation_zone`) CloudFormation
//! adds the validation record itself; otherwise the stack stays CREATE_IN_PROGRESS until
//! someone adds it, up to 72 hours, and then fails. Said at build, with the domain, when the rack
//! is known (its params given, as `apply` always gives them: what is deployed is compiled
//! against the rack, so a build without them does not know which zone validates).

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::RackParams;
use crate::ir::rack::validation_zone;

pub(super) fn certificates(cx: &mut Cx, app: &Decoded, rack: &RackParams) {
    let rack = Some(rack);
    for s in app.services.iter().filter(|s| s.port.is_some()) {
        let waiting: Vec<&str> = s
            .domains
            .iter()
            .filter(|d| validation_zone(d, rack).is_none())
            .map(String::as_str)
            .collect();
        if waiting.is_empty() {
            continue;
        }
        let p = join(&join("services", &s.name), "domain");
        let zone = match rack {
            Some(r) if r.get("RouterHostedZoneId").is_some_and(|z| !z.is_empty()) => {
                "outside the rack's Route 53 zone (RouterHostedZoneId, which holds RouterHost)"
            }
            _ => "and the rack has no RouterHostedZoneId",
        };
        cx.report_warning(
            Code::Domain,
            &p,
            &p,
            format!(
                "the certificate for {} is validated by DNS {zone}: the app stack waits (up to 72 hours, then fails) until its validation CNAME is added",
                waiting.join(", ")
            ),
            Some("add the validation CNAME that ACM shows for the certificate to each domain's DNS, or use domains under the rack's RouterHost".into()),
        );
    }
}
