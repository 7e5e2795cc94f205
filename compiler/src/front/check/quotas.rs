//! What AWS refuses of values the manifest passes through unchanged, each with its source (the
//! rule table `tests/tests/data/aws-rules.tsv` lists them): tags, the managed policies of a task
//! role, the domain a certificate is issued for.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::naming::RESERVED_TAGS;

/// Tags (the ECS `Tag` and CloudFormation `Tag` references, "Maximum number of tags per
/// resource - 50", "Maximum key length - 128 Unicode characters", "Maximum value length - 256",
/// "Do not use aws: ... as a prefix for either keys or values").
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY: usize = 128;
pub const MAX_TAG_VALUE: usize = 256;

/// Managed policies attached to one IAM role: 10 by default, a quota an account can have raised
/// (IAM and AWS STS quotas). convoxc attaches one of its own (the rack's `CMKPolicy`).
pub const ROLE_MANAGED_POLICIES: usize = 10;

/// The domain an ACM certificate is issued for (its common name): "the length of the domain name
/// (technically, the Common Name) that you provide cannot exceed 64 octets (characters), including
/// periods" (RFC 5280); the other names, subject alternative names, may be longer.
pub const CERTIFICATE_NAME: usize = 64;

/// Domain names per ACM certificate: 10 by default, a quota an account can have raised (ACM
/// quotas, "Domain names per ACM certificate").
pub const CERTIFICATE_DOMAINS: usize = 10;

pub(super) fn quotas(cx: &mut Cx, app: &Decoded) {
    tags(cx, app);
    policies(cx, app);
    certificate_names(cx, app);
}

fn tags(cx: &mut Cx, app: &Decoded) {
    let lists: Vec<(String, Vec<(String, String)>)> = super::names::tag_lists(app)
        .into_iter()
        .map(|(p, t)| (p, t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
        .collect();
    for (path, tags) in lists {
        let own: Vec<&(String, String)> = tags
            .iter()
            .filter(|(k, _)| !RESERVED_TAGS.contains(&k.as_str()))
            .collect();
        if own.len() + RESERVED_TAGS.len() > MAX_TAGS {
            cx.report(
                Code::Limit,
                &path,
                &path,
                format!(
                    "{} tags, and convoxc and the rack set up to {} more ({}): AWS takes at most {MAX_TAGS} tags per resource",
                    own.len(),
                    RESERVED_TAGS.len(),
                    RESERVED_TAGS.join(", ")
                ),
                Some(format!("keep to {} tags", MAX_TAGS - RESERVED_TAGS.len())),
            );
        }
        for (k, v) in own {
            let at = join(&path, k);
            let problem = if k.to_ascii_lowercase().starts_with("aws:") || v.to_ascii_lowercase().starts_with("aws:") {
                Some("the `aws:` prefix is reserved for AWS's own tags".to_string())
            } else if k.chars().count() > MAX_TAG_KEY {
                Some(format!("a tag key is at most {MAX_TAG_KEY} characters"))
            } else if v.chars().count() > MAX_TAG_VALUE {
                Some(format!("a tag value is at most {MAX_TAG_VALUE} characters"))
            } else {
                None
            };
            if let Some(problem) = problem {
                cx.report(
                    Code::Limit,
                    &at,
                    &at,
                    format!("tag `{}`: {problem}; AWS refuses the resource", short(k)),
                    None,
                );
            }
        }
    }
}

/// A service's `policies:` become the managed policies of its own task role, with the rack's
/// `CMKPolicy` (a timer without policies of its own runs with the service's).
fn policies(cx: &mut Cx, app: &Decoded) {
    let roles = app
        .services
        .iter()
        .map(|s| (join(&join("services", &s.name), "policies"), s.policies.len()))
        .filter(|(_, n)| n + 1 > ROLE_MANAGED_POLICIES)
        .collect::<Vec<_>>();
    for (path, n) in roles {
        cx.report_warning(
            Code::Policy,
            &path,
            &path,
            format!(
                "{n} policies and convoxc's key policy make {} managed policies on one role: IAM attaches {ROLE_MANAGED_POLICIES} by default, and the deploy fails unless the account's quota was raised",
                n + 1
            ),
            Some(format!(
                "keep to {} policies, or have the account's \"Managed policies per role\" quota raised (Service Quotas, IAM)",
                ROLE_MANAGED_POLICIES - 1
            )),
        );
    }
}

/// The first of a service's domains names its certificate.
fn certificate_names(cx: &mut Cx, app: &Decoded) {
    let long: Vec<(String, String)> = app
        .services
        .iter()
        .filter_map(|s| {
            let first = s.domains.first()?;
            (first.len() > CERTIFICATE_NAME).then(|| (join(&join("services", &s.name), "domain"), first.clone()))
        })
        .collect();
    let many: Vec<(String, usize)> = app
        .services
        .iter()
        .filter(|s| s.domains.len() > CERTIFICATE_DOMAINS)
        .map(|s| (join(&join("services", &s.name), "domain"), s.domains.len()))
        .collect();
    for (path, n) in many {
        cx.report_warning(
            Code::Domain,
            &path,
            &path,
            format!(
                "{n} domains make one certificate: ACM issues a certificate for {CERTIFICATE_DOMAINS} domain names by default, and the deploy fails unless the account's quota was raised"
            ),
            Some("use a wildcard domain (*.example.org) for many names, or have the account's \"Domain names per ACM certificate\" quota raised".into()),
        );
    }
    for (path, domain) in long {
        cx.report(
            Code::Domain,
            &path,
            &path,
            format!(
                "`{domain}` ({} characters) is the certificate's domain name, which ACM limits to {CERTIFICATE_NAME} characters",
                domain.len()
            ),
            Some("list a domain of at most 64 characters first: the others become the certificate's alternative names, which may be longer".into()),
        );
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}
