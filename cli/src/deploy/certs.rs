//! A certificate that waits for DNS validation: ACM's certificate with DNS validation and no
//! hosted zone to write its record in stays CREATE_IN_PROGRESS until someone adds a CNAME record —
//! up to 72 hours ("DNS validation", AWS Certificate Manager User Guide). As soon as ACM has the
//! records, they are said once: from CloudFormation's own event ("Content of DNS Record is: {…}"),
//! else from DescribeCertificate's `DomainValidationOptions[].ResourceRecord`.

use crate::aws::clients::Clients;
use crate::deploy::events::Follower;
use crate::deploy::say;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub kind: String,
    pub value: String,
}

#[derive(Default)]
pub struct Certificates {
    said: HashSet<String>,
    /// Polls since each certificate was last asked about (DescribeCertificate every third poll).
    asked: BTreeMap<String, u32>,
    pub calls: usize,
}

const TYPE: &str = "AWS::CertificateManager::Certificate";

impl Certificates {
    /// Say the records of every certificate of the stacks that waits for them, once. True when
    /// something was said.
    pub async fn poll(&mut self, c: &Clients, follower: &Follower) -> bool {
        let mut said = false;
        for (id, t) in &follower.resources {
            if t.resource_type != TYPE || !t.status.ends_with("_IN_PROGRESS") || self.said.contains(id) {
                continue;
            }
            let mut records = from_reason(&t.reason);
            if records.is_empty() && id.starts_with("arn:") {
                let n = self.asked.entry(id.clone()).or_insert(0);
                *n += 1;
                if *n % 3 != 1 {
                    continue;
                }
                self.calls += 1;
                if let Ok(out) = c.acm.describe_certificate().certificate_arn(id).send().await {
                    records = out
                        .certificate()
                        .map(|cert| {
                            cert.domain_validation_options()
                                .iter()
                                .filter(|o| o.validation_status().is_none_or(|s| s.as_str() == "PENDING_VALIDATION"))
                                .filter_map(|o| o.resource_record())
                                .map(|r| Record {
                                    name: r.name().to_string(),
                                    kind: r.r#type().as_str().to_string(),
                                    value: r.value().to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                }
            }
            if records.is_empty() {
                continue;
            }
            records.dedup();
            self.said.insert(id.clone());
            said = true;
            let label = follower.label_of(&t.stack);
            let (text, event) = message(&label, id, &records);
            say::step(text, event);
        }
        said
    }
}

/// What to tell the user: the records to add, and that the deploy waits for them.
pub fn message(label: &str, certificate: &str, records: &[Record]) -> (String, serde_json::Value) {
    let mut text = format!(
        "{label}  certificate  waits for DNS validation: add this record to the domain's DNS (the deploy goes on \
         once ACM sees it; CloudFormation gives up after 72 hours):"
    );
    for r in records {
        text.push_str(&format!("\n    {}  {}  {}", r.kind, r.name, r.value));
    }
    let event = json!({
        "type": "certificate", "label": label, "certificate": certificate,
        "records": records.iter().map(|r| json!({"name": r.name, "type": r.kind, "value": r.value})).collect::<Vec<_>>(),
    });
    (text, event)
}

/// The records of CloudFormation's event reason for a certificate that waits:
/// `Content of DNS Record is: {Name: _x.example.com.,Type: CNAME,Value: _y.acm-validations.aws.}`
/// (one such event per domain).
pub fn from_reason(reason: &str) -> Vec<Record> {
    let Some(rest) = reason.split_once("Content of DNS Record is:").map(|(_, r)| r) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for body in rest.split('{').skip(1) {
        let body = body.split('}').next().unwrap_or("");
        let mut r = Record {
            name: String::new(),
            kind: String::new(),
            value: String::new(),
        };
        for field in body.split(',') {
            let Some((k, v)) = field.split_once(':') else { continue };
            let v = v.trim().to_string();
            match k.trim() {
                "Name" => r.name = v,
                "Type" => r.kind = v,
                "Value" => r.value = v,
                _ => {}
            }
        }
        if !r.name.is_empty() && !r.value.is_empty() {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The event reason CloudFormation gives a certificate with DNS validation while it waits
    /// (AWS::CertificateManager::Certificate, "DomainValidationOptions": the record is written to
    /// the stack events when no HostedZoneId is given).
    #[test]
    fn the_record_is_read_from_cloudformations_event() {
        let reason = "Content of DNS Record is: {Name: _3639ac514e785e898d2646601fa951d5.www.example.com.,\
                      Type: CNAME,Value: _98d2646601fa951d53639ac514e785e8.mhbtsbpdnt.acm-validations.aws.}";
        assert_eq!(
            from_reason(reason),
            [Record {
                name: "_3639ac514e785e898d2646601fa951d5.www.example.com.".into(),
                kind: "CNAME".into(),
                value: "_98d2646601fa951d53639ac514e785e8.mhbtsbpdnt.acm-validations.aws.".into(),
            }]
        );
        assert!(from_reason("Resource creation Initiated").is_empty());
        assert!(from_reason("").is_empty());
    }

    #[test]
    fn the_message_names_every_record_once() {
        let records =
            from_reason("Content of DNS Record is: {Name: _a.example.com.,Type: CNAME,Value: _b.acm-validations.aws.}");
        let (text, event) = message(
            "service web",
            "arn:aws:acm:us-east-1:123456789012:certificate/1",
            &records,
        );
        assert!(
            text.starts_with("service web  certificate  waits for DNS validation"),
            "{text}"
        );
        assert!(
            text.ends_with("\n    CNAME  _a.example.com.  _b.acm-validations.aws."),
            "{text}"
        );
        assert_eq!(event["records"][0]["value"], "_b.acm-validations.aws.");
        assert_eq!(event["type"], "certificate");
    }
}
