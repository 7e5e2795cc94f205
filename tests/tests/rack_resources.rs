//! Rack-level resources (`convoxc resources build`): every type with its default options and
//! with non-default ones is an insta snapshot (golden/rack-resources/) and passes cfn-lint with
//! zero findings; every option check can fail; the same input gives the same bytes.

use convoxc_compiler::back::rack_resource::{SYSLOG_CODE, WEBHOOK_CODE};
use convoxc_compiler::front::rack_resource::Request;
use convoxc_compiler::ir::rack_resource::Kind;
use convoxc_compiler::{Located, SourceFile};
use convoxc_compiler::{back, front};
use convoxc_tests::*;

const PRIVATE: &str = "Private: Yes\n";

/// (case name, type, options, rack params)
const CASES: &[(&str, &str, &[&str], Option<&str>)] = &[
    ("memcached-default", "memcached", &[], None),
    (
        "memcached-options",
        "memcached",
        &["instance-type=cache.t3.small", "num-cache-nodes=3"],
        Some(PRIVATE),
    ),
    ("mysql-default", "mysql", &[], None),
    (
        "mysql-options",
        "mysql",
        &[
            "allocated-storage=50",
            "allow-major-version-upgrade=true",
            "auto-minor-version-upgrade=false",
            "database=shop",
            "encrypted=true",
            "engine-version=8.0",
            "instance-type=db.t3.small",
            "multi-az=true",
            "username=shop",
        ],
        Some(PRIVATE),
    ),
    ("postgres-default", "postgres", &[], None),
    (
        "postgres-options",
        "postgres",
        &[
            "BackupRetentionPeriod=7",
            "Encrypted=true",
            "EngineVersion=16",
            "MaxConnections={DBInstanceClassMemory/15000000}",
            "InstanceType=db.t3.small",
        ],
        None,
    ),
    (
        "postgres-restore",
        "postgres",
        &["database-snapshot-identifier=arn:aws:rds:us-east-1:123456789012:snapshot:db-final"],
        None,
    ),
    ("redis-default", "redis", &[], None),
    (
        "redis-options",
        "redis",
        &[
            "automatic-failover-enabled=true",
            "database=2",
            "encrypted=true",
            "engine-version=7.1",
            "instance-type=cache.t3.micro",
            "num-cache-clusters=2",
        ],
        Some(PRIVATE),
    ),
    (
        "redis-valkey-engine",
        "redis",
        &["engine=valkey", "engine-version=8.0"],
        None,
    ),
    ("valkey-default", "valkey", &[], None),
    (
        "valkey-options",
        "valkey",
        &["encrypted=true", "engine-version=7.2", "num-cache-clusters=3"],
        None,
    ),
    ("s3-default", "s3", &[], None),
    ("s3-options", "s3", &["topic=events", "versioning=true"], None),
    ("sns-default", "sns", &[], None),
    ("sns-options", "sns", &["queue=jobs"], None),
    ("sqs-default", "sqs", &[], None),
    (
        "sqs-options",
        "sqs",
        &[
            "message-retention-period=86400",
            "receive-message-wait-time=20",
            "visibility-timeout=300",
        ],
        None,
    ),
    (
        "syslog-default",
        "syslog",
        &["url=tcp+tls://logs1.papertrailapp.com:11235"],
        None,
    ),
    (
        "syslog-options",
        "syslog",
        &["url=udp://logs.example.org:514", "format={DATE} {SERVICE}: {MESSAGE}"],
        Some(PRIVATE),
    ),
    (
        "webhook-default",
        "webhook",
        &["url=https://hooks.example.org/convox"],
        None,
    ),
    (
        "webhook-options",
        "webhook",
        &["url=http://internal.example.org:8080/hook?token=x"],
        Some(PRIVATE),
    ),
];

fn request(kind: &str, options: &[&str], rack_params: Option<&str>) -> Request {
    Request {
        kind: Kind::parse(kind).unwrap_or_else(|| panic!("type {kind}")),
        name: "main".into(),
        options: options.iter().map(|s| s.to_string()).collect(),
        rack: Some("production".into()),
        rack_params: rack_params.map(|t| SourceFile::new("rack.yml", t)),
    }
}

/// The diagnostics of a load, one line each: `code path line:column message`.
fn diagnostics(l: &front::rack_resource::Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .map(|d| {
            let x = Located::new(d, &l.sources);
            format!("{} {} {}:{} {}", x.code, x.path, x.line, x.column, x.message)
        })
        .collect()
}

/// A case's template. A syslog resource with a format given is linked to two apps (`resources
/// link` gives it one subscription filter per app).
fn build(kind: &str, options: &[&str], rack_params: Option<&str>) -> convoxc_compiler::back::Template {
    let l = front::rack_resource::load(request(kind, options, rack_params));
    let mut r = l
        .resource
        .clone()
        .unwrap_or_else(|| panic!("{kind} {options:?}: {:#?}", diagnostics(&l)));
    if kind == "syslog" && options.iter().any(|o| o.starts_with("format=")) {
        r.links = ["api", "web-app"]
            .iter()
            .map(|app| convoxc_compiler::ir::rack_resource::Link {
                app: app.to_string(),
                log_group: format!("production-{app}-LogGroup-1A2B3C"),
            })
            .collect();
    }
    back::rack_resource::build(&r).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

#[test]
fn every_type_has_cases() {
    for k in Kind::ALL {
        assert!(
            CASES.iter().filter(|c| c.1 == k.as_str()).count() >= 2,
            "{} needs a default and a non-default case",
            k.as_str()
        );
    }
}

#[test]
fn golden_rack_resources() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("golden/rack-resources"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, kind, options, rack) in CASES {
            insta::assert_snapshot!(*name, build(kind, options, *rack).text);
        }
    });
}

#[test]
fn rack_resources_pass_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = CASES
        .iter()
        .map(|(name, kind, options, rack)| {
            let p = dir.path().join(format!("{name}.json"));
            std::fs::write(&p, build(kind, options, *rack).text).unwrap();
            p
        })
        .collect();
    let (code, findings) = cfn_lint(&files);
    eprintln!("cfn-lint: {} rack-resource templates", files.len());
    assert!(
        code == 0 && findings.trim().is_empty(),
        "cfn-lint exit {code}:\n{findings}"
    );
}

#[test]
fn same_input_same_bytes() {
    for (_, kind, options, rack) in CASES {
        let a = build(kind, options, *rack);
        let b = build(kind, options, *rack);
        assert_eq!(a.text, b.text);
        assert_eq!(a.sha256, b.sha256);
    }
}

#[test]
fn no_secret_in_any_template() {
    for (name, kind, options, rack) in CASES {
        let t = build(kind, options, *rack);
        for (id, output) in t.value()["Outputs"].as_object().unwrap() {
            let value = output["Value"].to_string();
            assert!(!value.contains("SecretAccessKey"), "{name}: a secret in output {id}");
        }
        if let Some(p) = t.value()["Parameters"].get("Password") {
            assert_eq!(p["NoEcho"], true, "{name}");
            assert!(p.get("Default").is_none(), "{name}: a default password");
        }
        let code = t.text.contains("S3Bucket") || t.text.contains("S3Key");
        assert!(!code, "{name}: Lambda code fetched from a bucket");
    }
}

#[test]
fn stateful_resources_keep_their_data() {
    for (name, kind, options, rack) in CASES {
        let t = build(kind, options, *rack);
        for (id, r) in t.value()["Resources"].as_object().unwrap() {
            let keep = match r["Type"].as_str().unwrap() {
                "AWS::RDS::DBInstance" | "AWS::ElastiCache::ReplicationGroup" => "Snapshot",
                "AWS::S3::Bucket" | "AWS::KMS::Key" => "Retain",
                _ => continue,
            };
            assert_eq!(r["DeletionPolicy"], keep, "{name} {id}");
            assert_eq!(r["UpdateReplacePolicy"], keep, "{name} {id}");
        }
    }
}

#[test]
fn private_racks_use_private_subnets() {
    let public = build("mysql", &[], None).text;
    let private = build("mysql", &[], Some(PRIVATE)).text;
    assert!(public.contains("${Rack}:Subnet0") && !public.contains("SubnetPrivate"));
    assert!(private.contains("${Rack}:SubnetPrivate0") && private.contains("${Rack}:SubnetPrivate1"));
}

/// Every option check, each made to fail: (type, options, expected `code path line:column message` prefix).
const FAILURES: &[(&str, &[&str], &str)] = &[
    // unknown options: an error with a suggestion, never dropped
    (
        "mysql",
        &["alocated-storage=30"],
        "resource-option options.AlocatedStorage 1:19 mysql resources have no option `alocated-storage`",
    ),
    (
        "sqs",
        &["bogus=1"],
        "resource-option options.Bogus 1:17 sqs resources have no option",
    ),
    (
        "mysql",
        &["allocated-storage"],
        "resource-option options 1:19 expected an option as KEY=VALUE",
    ),
    (
        "mysql",
        &["AllocatedStorage=20", "allocated-storage=30"],
        "resource-option options.AllocatedStorage 1:39 option `AllocatedStorage` is given twice",
    ),
    // values
    (
        "mysql",
        &["allocated-storage=big"],
        "resource-option options.AllocatedStorage 1:37 invalid value `big` for option `AllocatedStorage`: expected a whole number",
    ),
    (
        "mysql",
        &["allocated-storage=10"],
        "resource-option options.AllocatedStorage 1:37 invalid value `10` for option `AllocatedStorage`: expected a whole number from 20 to 65536",
    ),
    (
        "mysql",
        &["encrypted=yes"],
        "resource-option options.Encrypted 1:29 invalid value `yes` for option `Encrypted`: expected one of \"\" (unset), true, false",
    ),
    (
        "mysql",
        &["multi-az=yes"],
        "resource-option options.MultiAZ 1:28 invalid value `yes` for option `MultiAZ`: expected true or false",
    ),
    (
        "mysql",
        &["engine-version=latest"],
        "resource-option options.EngineVersion 1:34 invalid value `latest` for option `EngineVersion`: expected a version number",
    ),
    (
        "mysql",
        &["instance-type=t3.micro"],
        "resource-option options.InstanceType 1:33 invalid value `t3.micro` for option `InstanceType`: expected an instance class starting with `db.`",
    ),
    (
        "mysql",
        &["username=1admin"],
        "resource-option options.Username 1:28 invalid value `1admin` for option `Username`",
    ),
    (
        "mysql",
        &["username=a_very_long_user_name"],
        "resource-option options.Username 1:28 invalid value `a_very_long_user_name` for option `Username`: expected a letter, then letters, digits or `_` (at most 16)",
    ),
    (
        "postgres",
        &["database=my-db"],
        "resource-option options.Database 1:31 invalid value `my-db`",
    ),
    (
        "mysql",
        &["password=hunter22"],
        "resource-option options.Password 1:19 option `Password` cannot be given: passwords are never compiled into a template",
    ),
    (
        "mysql",
        &["database-snapshot-identifier=a b"],
        "resource-option options.DatabaseSnapshotIdentifier 1:48 invalid value `a b`",
    ),
    (
        "postgres",
        &["backup-retention-period=36"],
        "resource-option options.BackupRetentionPeriod 1:46 invalid value `36`",
    ),
    (
        "postgres",
        &["family=pg16"],
        "resource-option options.Family 1:29 invalid value `pg16` for option `Family`: expected postgres<major>",
    ),
    (
        "postgres",
        &["max-connections=lots"],
        "resource-option options.MaxConnections 1:38 invalid value `lots`",
    ),
    (
        "memcached",
        &["num-cache-nodes=0"],
        "resource-option options.NumCacheNodes 1:39 invalid value `0`",
    ),
    (
        "memcached",
        &["instance-type=db.t3.micro"],
        "resource-option options.InstanceType 1:37 invalid value `db.t3.micro`",
    ),
    (
        "redis",
        &["num-cache-clusters=7"],
        "resource-option options.NumCacheClusters 1:38 invalid value `7`",
    ),
    (
        "redis",
        &["database=16"],
        "resource-option options.Database 1:28 invalid value `16`",
    ),
    (
        "redis",
        &["engine=memcached"],
        "resource-option options.Engine 1:26 invalid value `memcached` for option `Engine`: expected one of redis, valkey",
    ),
    (
        "valkey",
        &["engine=redis"],
        "resource-option options.Engine 1:20 valkey resources have no option `engine`",
    ),
    (
        "s3",
        &["topic=Events"],
        "resource-option options.Topic 1:22 invalid value `Events`",
    ),
    (
        "s3",
        &["versioning=on"],
        "resource-option options.Versioning 1:27 invalid value `on`",
    ),
    (
        "sns",
        &["queue=my queue"],
        "resource-option options.Queue 1:23 invalid value `my queue`",
    ),
    (
        "sqs",
        &["message-retention-period=30"],
        "resource-option options.MessageRetentionPeriod 1:42 invalid value `30` for option `MessageRetentionPeriod`: expected a whole number from 60 to 1209600",
    ),
    (
        "sqs",
        &["receive-message-wait-time=21"],
        "resource-option options.ReceiveMessageWaitTime 1:43 invalid value `21`",
    ),
    (
        "sqs",
        &["visibility-timeout=43201"],
        "resource-option options.VisibilityTimeout 1:36 invalid value `43201`",
    ),
    // URLs
    ("syslog", &[], "resource-option options.Url 1:1 must specify a URL"),
    ("webhook", &[], "resource-option options.Url 1:1 must specify a URL"),
    (
        "syslog",
        &["url=https://logs.example.org"],
        "resource-option options.Url 1:24 invalid value `https://logs.example.org` for option `Url`: invalid URL scheme: https. Allowed schemes are: tcp, tcp+tls, udp",
    ),
    (
        "webhook",
        &["url=ftp://example.org"],
        "resource-option options.Url 1:25 invalid value `ftp://example.org` for option `Url`: invalid URL scheme: ftp. Allowed schemes are: http, https",
    ),
    (
        "webhook",
        &["url=example.org/hook"],
        "resource-option options.Url 1:25 invalid value `example.org/hook` for option `Url`: expected a URL like https://host:port",
    ),
    (
        "syslog",
        &["url=tcp://:514"],
        "resource-option options.Url 1:24 invalid value `tcp://:514` for option `Url`: the URL has no host",
    ),
    (
        "syslog",
        &["url=tcp://logs.example.org:99999"],
        "resource-option options.Url 1:24 invalid value `tcp://logs.example.org:99999` for option `Url`: `99999` is not a port number",
    ),
    (
        "syslog",
        &["url=udp://logs.example.org", "format="],
        "resource-option options.Format 1:47 invalid value `` for option `Format`: expected a format string",
    ),
    // across options
    (
        "redis",
        &["automatic-failover-enabled=true"],
        "resource-option options.AutomaticFailoverEnabled 1:46 AutomaticFailoverEnabled=true must be accompanied with NumCacheClusters=2 or higher",
    ),
    (
        "valkey",
        &["automatic-failover-enabled=true", "num-cache-clusters=1"],
        "resource-option options.AutomaticFailoverEnabled 1:47 AutomaticFailoverEnabled=true must be accompanied",
    ),
    (
        "valkey",
        &["engine-version=7.0"],
        "resource-option options.EngineVersion 1:35 valkey has no version 7.0",
    ),
    (
        "redis",
        &["engine=valkey"],
        "resource-option options.Engine 1:26 valkey has no version 7.0",
    ),
    (
        "redis",
        &["engine-version=8.0"],
        "resource-option options.EngineVersion 1:34 ElastiCache has no redis 8.0",
    ),
    (
        "postgres",
        &["engine-version=16", "family=postgres15"],
        "resource-option options.Family 1:47 Family postgres15 does not match EngineVersion 16",
    ),
];

#[test]
fn every_check_fails_as_it_should() {
    let mut wrong = Vec::new();
    for (kind, options, want) in FAILURES {
        let l = front::rack_resource::load(request(kind, options, None));
        let got = diagnostics(&l);
        if !got.iter().any(|d| d.starts_with(want)) || l.resource.is_some() {
            wrong.push(format!("{kind} {options:?}: expected `{want}`, got {got:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn names_are_checked() {
    for (name, rack, want) in [
        (
            "My_Bucket",
            None,
            "invalid-name name 1:11 invalid resource name `My_Bucket`",
        ),
        ("bucket-", None, "invalid-name name 1:11 invalid resource name"),
        ("a--b", None, "invalid-name name 1:11 invalid resource name"),
        (
            "x".repeat(41).leak() as &str,
            None,
            "invalid-name name 1:11 resource name",
        ),
        (
            "abcdefghijabcdefghijabcdefghij",
            Some("a-rack-with-a-very-long-name-indeed-yes"),
            "invalid-name name 1:11 `a-rack-with-a-very-long-name-indeed-yes-abcdefghijabcdefghijabcdefghij` is longer than 63 characters: it names the bucket",
        ),
    ] {
        let mut req = request("s3", &[], None);
        req.name = name.to_string();
        req.rack = rack.map(str::to_string);
        let l = front::rack_resource::load(req);
        let got = diagnostics(&l);
        assert!(
            got.iter().any(|d| d.starts_with(want)),
            "{name}: expected `{want}`, got {got:#?}"
        );
    }
}

#[test]
fn unknown_options_suggest_the_right_one() {
    let l = front::rack_resource::load(request("postgres", &["max-conections=100"], None));
    assert_eq!(l.diagnostics[0].help.as_deref(), Some("did you mean `MaxConnections`?"));
    let l = front::rack_resource::load(request("postgres", &["allocatedstorage=30"], None));
    assert_eq!(
        l.diagnostics[0].help.as_deref(),
        Some("did you mean `AllocatedStorage`?")
    );
    let l = front::rack_resource::load(request("sqs", &["zzz=1"], None));
    assert!(
        l.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("sqs options: MessageRetentionPeriod")
    );
}

#[test]
fn snapshot_restore_warns_about_ignored_options() {
    let l = front::rack_resource::load(request(
        "mysql",
        &["database-snapshot-identifier=snap-1", "encrypted=true", "database=x"],
        None,
    ));
    let got = diagnostics(&l);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got.iter().all(|d| d.starts_with("ignored ")));
    assert!(l.resource.is_some(), "warnings do not stop the build");
}

/// ElastiCache no longer creates T2 (or previous-generation) nodes: given explicitly, a warning
/// with the fix; the default is cache.t3.micro.
#[test]
fn a_cache_on_a_node_type_elasticache_no_longer_creates_is_warned_about() {
    for kind in ["redis", "valkey", "memcached"] {
        let l = front::rack_resource::load(request(kind, &["instance-type=cache.t2.small"], None));
        let got = diagnostics(&l);
        assert!(
            got.iter()
                .any(|d| d.starts_with("resource-option options.InstanceType") && d.contains("cache.t2.*")),
            "{kind}: {got:#?}"
        );
        assert!(l.resource.is_some(), "a warning does not stop the build");
        let t = build(kind, &[], None);
        assert!(t.text.contains("\"cache.t3.micro\""), "{kind}: the default node type");
    }
}

#[test]
fn options_are_camelized_as_convox_does() {
    assert_eq!(front::rack_resource::camelize("allocated-storage"), "AllocatedStorage");
    assert_eq!(front::rack_resource::camelize("multi-az"), "MultiAZ");
    assert_eq!(front::rack_resource::camelize("multi_az"), "MultiAZ");
    assert_eq!(front::rack_resource::camelize("MultiAZ"), "MultiAZ");
    assert_eq!(front::rack_resource::camelize("engineVersion"), "EngineVersion");
}

#[test]
fn postgres_family_follows_the_version() {
    let t = build("postgres", &["engine-version=16.4"], None);
    assert_eq!(
        t.value()["Resources"]["ParameterGroup"]["Properties"]["Family"],
        "postgres16"
    );
    let t = build("postgres", &["engine-version=9.6"], None);
    assert_eq!(
        t.value()["Resources"]["ParameterGroup"]["Properties"]["Family"],
        "postgres9.6"
    );
}

#[test]
fn bad_rack_params_are_reported() {
    let l = front::rack_resource::load(request("mysql", &[], Some("Private: Maybe\n")));
    assert!(l.resource.is_none());
    assert!(
        diagnostics(&l).iter().any(|d| d.starts_with("rack-param Private")),
        "{:#?}",
        diagnostics(&l)
    );
}

#[test]
fn the_forwarders_are_small_and_ours() {
    for code in [SYSLOG_CODE, WEBHOOK_CODE] {
        assert!(code.len() < 4096, "{} bytes", code.len());
        assert!(code.starts_with("# convoxc "));
    }
}

/// The syslog forwarder, run by python3 on a CloudWatch Logs event: the lines it would send.
#[test]
fn the_syslog_forwarder_formats_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.py"), SYSLOG_CODE).unwrap();
    std::fs::write(dir.path().join("webhook.py"), WEBHOOK_CODE).unwrap();
    // Secrets Manager as the functions see it: the secret named by URL_SECRET holds the URL
    std::fs::write(
        dir.path().join("boto3.py"),
        "import os\nclass _Client:\n    def get_secret_value(self, SecretId):\n        \
         assert SecretId == os.environ['URL_SECRET']\n        return {'SecretString': os.environ['FAKE_SECRET']}\n\
         def client(name):\n    assert name == 'secretsmanager'\n    return _Client()\n",
    )
    .unwrap();
    let script = r#"
import os
os.environ["URL_SECRET"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:url"
os.environ["FAKE_SECRET"] = "tcp+tls://logs.example.org"
os.environ["SYSLOG_FORMAT"] = "<22>1 {DATE} {GROUP} {SERVICE} {CONTAINER} - - {MESSAGE}"
import index, webhook
assert index.PORT == 6514
assert index.URL.hostname == "logs.example.org"
assert webhook.URL == "tcp+tls://logs.example.org"
data = {"logGroup": "production-myapp-LogGroup-X", "logStream": "service/web/0123abcd",
        "logEvents": [{"timestamp": 1700000000123, "message": "GET / {DATE}\n"}]}
print("".join(index.lines(data)), end="")
"#;
    let out = std::process::Command::new("python3")
        .current_dir(dir.path())
        .args(["-c", script])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<22>1 2023-11-14T22:13:20.123Z production-myapp-LogGroup-X web 0123abcd - - GET / {DATE}\n"
    );
}
