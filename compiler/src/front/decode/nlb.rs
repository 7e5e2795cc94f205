//! `nlb:` entries of a service (reference §1.4): decoding, defaults and convox's checks, with
//! convox's messages. Cross-service port uniqueness is checked in `front::check`.

use crate::diagnostic::Code;
use crate::front::cx::{Cx, index, join};
use crate::front::keys::Place;
use crate::front::yaml::{Node, Value};
use crate::ir::{Nlb, NlbProtocol, NlbScheme};

pub fn entries(cx: &mut Cx, service: &str, n: &Node, path: &str) -> Vec<Nlb> {
    let items = match &n.value {
        Value::Null => return Vec::new(),
        Value::Seq(items) => items,
        _ => {
            cx.wrong_type(n, path, "a list of nlb listeners");
            return Vec::new();
        }
    };
    let mut out: Vec<(Nlb, &Node)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        if let Some(e) = entry(cx, service, item, &p) {
            cx.spans.insert(format!("{p}#port"), cx.span(item));
            out.push((e, item));
        }
    }
    // same port twice / one container port behind two listeners
    for i in 0..out.len() {
        let (a, _) = &out[i];
        for (b, node) in out.iter().skip(i + 1) {
            if a.port == b.port {
                let msg = if a.container_port != b.container_port {
                    format!(
                        "service {service}: nlb port {} declared with conflicting containerPort values",
                        b.port
                    )
                } else {
                    format!("service {service}: duplicate nlb port {}", b.port)
                };
                cx.error(Code::Nlb, node, path, msg, None);
            } else if a.container_port == b.container_port {
                cx.error(
                    Code::Nlb,
                    node,
                    path,
                    format!(
                        "service {service}: nlb containerPort {} used by multiple nlb listeners",
                        b.container_port
                    ),
                    None,
                );
            }
        }
    }
    out.into_iter().map(|(e, _)| e).collect()
}

fn entry(cx: &mut Cx, service: &str, n: &Node, path: &str) -> Option<Nlb> {
    let f = cx.fields(n, path, Place::Nlb)?;
    let Some(pn) = f.get("port") else {
        cx.error(
            Code::Nlb,
            n,
            path,
            format!("service {service}: nlb entry needs `port`"),
            None,
        );
        return None;
    };
    let port = cx.int(pn, &join(path, "port"))?;
    if !(1..=65535).contains(&port) {
        cx.error(
            Code::Nlb,
            pn,
            &join(path, "port"),
            format!("service {service}: nlb port {port} out of range"),
            Some("ports are 1-65535".into()),
        );
        return None;
    }
    let mut ok = true;
    let mut container_port = port;
    if let Some(c) = f.get("containerPort") {
        match cx.int(c, &join(path, "containerPort")) {
            Some(0) => {}
            Some(v) if (1..=65535).contains(&v) => container_port = v,
            Some(v) => {
                cx.error(
                    Code::Nlb,
                    c,
                    &join(path, "containerPort"),
                    format!("service {service}: nlb containerPort {v} out of range"),
                    None,
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    let pre = format!("service {service} nlb port {port}");
    let lowered = |cx: &mut Cx, k: &str| {
        f.get(k)
            .and_then(|v| cx.string(v, &join(path, k)).map(|s| (s.trim().to_ascii_lowercase(), v)))
    };
    let protocol = match lowered(cx, "protocol") {
        None => Some(NlbProtocol::Tcp),
        Some((s, _)) if s.is_empty() || s == "tcp" => Some(NlbProtocol::Tcp),
        Some((s, _)) if s == "tls" => Some(NlbProtocol::Tls),
        Some((_, node)) => {
            let raw = node_text(node);
            cx.error(
                Code::Nlb,
                node,
                &join(path, "protocol"),
                format!("{pre}: protocol must be tcp or tls, got {raw:?}"),
                None,
            );
            None
        }
    };
    let certificate = f
        .get("certificate")
        .and_then(|c| cx.string(c, &join(path, "certificate")).map(|s| (s, c)))
        .filter(|(s, _)| !s.is_empty());
    match (protocol, &certificate) {
        (Some(NlbProtocol::Tls), None) => {
            cx.error(
                Code::Nlb,
                f.get("protocol").unwrap_or(n),
                &join(path, "protocol"),
                format!("{pre}: protocol tls requires a certificate (provide an ACM ARN; run 'convox certs list' to see available ARNs)"),
                None,
            );
            ok = false;
        }
        (Some(NlbProtocol::Tcp), Some((_, c))) => {
            cx.error(
                Code::Nlb,
                c,
                &join(path, "certificate"),
                format!("{pre}: certificate is only valid with protocol: tls"),
                None,
            );
            ok = false;
        }
        (Some(NlbProtocol::Tls), Some((arn, c))) if !is_certificate_arn(arn) => {
            cx.error(
                Code::Nlb,
                c,
                &join(path, "certificate"),
                format!("{pre}: certificate must be a full ACM or IAM server-certificate ARN, got {arn:?} (run 'convox certs list' to see available ARNs)"),
                None,
            );
            ok = false;
        }
        _ => {}
    }
    let scheme = match lowered(cx, "scheme") {
        None => Some(NlbScheme::Public),
        Some((s, _)) if s.is_empty() || s == "public" => Some(NlbScheme::Public),
        Some((s, _)) if s == "internal" => Some(NlbScheme::Internal),
        Some((_, node)) => {
            let raw = node_text(node);
            cx.error(
                Code::Nlb,
                node,
                &join(path, "scheme"),
                format!("{pre}: scheme must be public or internal, got {raw:?}"),
                None,
            );
            None
        }
    };
    let mut allow_cidr = Vec::new();
    if let Some(a) = f.get("allow_cidr") {
        for (cidr, node) in cx.string_list(a, &join(path, "allow_cidr")) {
            match crate::front::cidr::check(&cidr) {
                Err(problem) => {
                    cx.error(
                        Code::Nlb,
                        node,
                        &join(path, "allow_cidr"),
                        format!("{pre}: allow_cidr entry {cidr:?} {problem}"),
                        None,
                    );
                    ok = false;
                }
                Ok(()) if allow_cidr.contains(&cidr) => {
                    cx.error(
                        Code::Nlb,
                        node,
                        &join(path, "allow_cidr"),
                        format!("{pre}: allow_cidr contains duplicate entry: {cidr}"),
                        None,
                    );
                    ok = false;
                }
                Ok(()) => allow_cidr.push(cidr),
            }
        }
    }
    let cross_zone = f
        .get("cross_zone")
        .and_then(|v| cx.boolean(v, &join(path, "cross_zone")));
    let preserve_client_ip = f
        .get("preserve_client_ip")
        .and_then(|v| cx.boolean(v, &join(path, "preserve_client_ip")));
    if !ok {
        return None;
    }
    Some(Nlb {
        port: port as u16,
        container_port: container_port as u16,
        protocol: protocol?,
        scheme: scheme?,
        certificate: certificate.map(|(c, _)| c),
        cross_zone,
        allow_cidr,
        preserve_client_ip,
    })
}

fn node_text(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// `arn:aws[-a-z]*:acm:<region>:<12 digits>:certificate/[A-Za-z0-9-]+` or
/// `arn:aws[-a-z]*:iam::<12 digits>:server-certificate/.+`.
pub fn is_certificate_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return false;
    }
    let partition_ok = parts[1]
        .strip_prefix("aws")
        .is_some_and(|rest| rest.chars().all(|c| c == '-' || c.is_ascii_lowercase()));
    let account_ok = parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit());
    if !partition_ok || !account_ok {
        return false;
    }
    match parts[2] {
        "acm" => {
            !parts[3].is_empty()
                && parts[5]
                    .strip_prefix("certificate/")
                    .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        }
        "iam" => {
            parts[3].is_empty()
                && parts[5]
                    .strip_prefix("server-certificate/")
                    .is_some_and(|id| !id.is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_arns() {
        assert!(is_certificate_arn(
            "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
        ));
        assert!(is_certificate_arn(
            "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc"
        ));
        assert!(is_certificate_arn(
            "arn:aws:iam::123456789012:server-certificate/my/cert"
        ));
        assert!(!is_certificate_arn("cert-short-id-not-allowed"));
        assert!(!is_certificate_arn("arn:aws:acm:us-east-1:1234:certificate/abc"));
        assert!(!is_certificate_arn(
            "arn:aws:iam:us-east-1:123456789012:server-certificate/x"
        ));
    }
}
