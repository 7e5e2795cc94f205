//! Values and ranges that AWS documents and that both sides read: the front end to say what is
//! wrong at the manifest's line, the back end to declare it in the templates. Each with its source;
//! the table of every rule and where it is enforced is `tests/tests/data/aws-rules.tsv`.

/// CloudWatch Logs retention, in days (PutRetentionPolicy, `retentionInDays`: "Possible values
/// are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
/// 2922, 3288, and 3653"); empty: kept forever (no `RetentionInDays`).
pub const LOG_RETENTION: &[&str] = &[
    "", "1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827",
    "2192", "2557", "2922", "3288", "3653",
];

/// The log drivers a Fargate task definition may use (ECS task definition parameters, "Amazon
/// ECS task definitions for Fargate support the awslogs, splunk, and awsfirelens log drivers").
pub const FARGATE_LOG_DRIVERS: &[&str] = &["awslogs", "splunk", "awsfirelens"];

/// `LOG_RETENTION` as it reads in a message.
pub fn log_retention_list() -> String {
    LOG_RETENTION[1..].join(", ")
}

/// The Route 53 zone through which ACM validates a certificate for `domain` (its
/// `DomainValidationOptions`): the rack's `RouterHostedZoneId`, when the domain is its `RouterHost`
/// or under it (the rack writes `*.<RouterHost>` in that zone, so the zone holds those names).
/// None otherwise: then ACM waits, up to 72 hours, for the validation record to be added by hand
/// ("Setting up DNS validation": the certificate stays pending until the CNAME is found).
pub fn validation_zone<'a>(domain: &str, rack: Option<&'a super::RackParams>) -> Option<&'a str> {
    let rack = rack?;
    let zone = rack.get("RouterHostedZoneId").filter(|z| !z.is_empty())?;
    let host = rack.get("RouterHost").filter(|h| !h.is_empty())?.trim_end_matches('.');
    let name = domain.strip_prefix("*.").unwrap_or(domain).trim_end_matches('.');
    let (name, host) = (name.as_bytes(), host.as_bytes());
    let inside = name.eq_ignore_ascii_case(host)
        || (name.len() > host.len()
            && name[name.len() - host.len()..].eq_ignore_ascii_case(host)
            && name[name.len() - host.len() - 1] == b'.');
    inside.then_some(zone)
}
