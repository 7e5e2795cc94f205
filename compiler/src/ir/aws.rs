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
