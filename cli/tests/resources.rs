//! `convoxc resources` as a user runs it: types, options tables, builds, exit codes.

mod common;

use common::*;

#[test]
fn types_are_listed() {
    let o = convoxc(&["resources", "types"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "memcached\nmysql\npostgres\nredis\ns3\nsns\nsqs\nsyslog\nvalkey\nwebhook\n"
    );
}

#[test]
fn options_are_a_sorted_table() {
    let o = convoxc(&["resources", "options", "redis"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let names: Vec<&str> = out.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "NAME",
            "AutomaticFailoverEnabled",
            "Database",
            "Encrypted",
            "Engine",
            "EngineVersion",
            "InstanceType",
            "NumCacheClusters"
        ]
    );
    // aligned: DEFAULT (when there is one) and DESCRIPTION start in the same column on every line
    let header = out.lines().next().unwrap();
    let (col, desc) = (header.find("DEFAULT").unwrap(), header.find("DESCRIPTION").unwrap());
    assert!(
        out.lines().skip(1).all(|l| l[..col].ends_with("  ")
            && l[..desc].ends_with("  ")
            && !l[desc..].starts_with(' ')
            && (l[col..desc].trim().is_empty() || !l[col..].starts_with(' '))),
        "{out}"
    );
    let o = convoxc(&["resources", "options", "postgres"]);
    assert!(stdout(&o).contains("(generated at apply)"));
}

#[test]
fn unknown_type_is_a_usage_error_with_a_suggestion() {
    for args in [
        &["resources", "options", "postgress"][..],
        &["resources", "build", "postgress", "--name", "db"][..],
    ] {
        let o = convoxc(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("did you mean `postgres`?"), "{}", stderr(&o));
    }
    // --name is required
    assert_eq!(convoxc(&["resources", "build", "sqs"]).status.code(), Some(2));
}

#[test]
fn build_prints_or_writes_the_template() {
    let o = convoxc(&["resources", "build", "sqs", "--name", "jobs", "visibility-timeout=60"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(t["Resources"]["Queue"]["Properties"]["VisibilityTimeout"], 60);

    let dir = tempfile::tempdir().unwrap();
    let rack = dir.path().join("rack.yml");
    std::fs::write(&rack, "Private: Yes\n").unwrap();
    let out = dir.path().join("out");
    let o = convoxc(&[
        "resources",
        "build",
        "postgres",
        "--name",
        "db",
        "--rack-params",
        rack.to_str().unwrap(),
        "--rack",
        "production",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let text = std::fs::read_to_string(out.join("db.json")).unwrap();
    assert!(text.contains("${Rack}:SubnetPrivate0"));
    assert!(text.contains("\"Default\": \"production\""));

    let o = convoxc(&["resources", "build", "s3", "--name", "files", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("AWSTemplateFormatVersion: "));
}

#[test]
fn bad_options_are_input_errors_that_point_at_the_argument() {
    let o = convoxc(&[
        "resources",
        "build",
        "mysql",
        "--name",
        "db",
        "allocated-storage=abc",
        "--diagnostics",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "no template on errors");
    let d: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    let d = &d["diagnostics"][0];
    assert_eq!(d["code"], "resource-option");
    assert_eq!(d["path"], "options.AllocatedStorage");
    assert_eq!(d["file"], "command line");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(1), Some(35)));

    // a password is refused, and never repeated back
    let o = convoxc(&["resources", "build", "mysql", "--name", "db", "password=hunter22"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("hunter22"), "{}", stderr(&o));

    let o = convoxc(&[
        "resources",
        "build",
        "syslog",
        "--name",
        "logs",
        "url=https://x.example.org",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid URL scheme: https. Allowed schemes are: tcp, tcp+tls, udp"));
}
