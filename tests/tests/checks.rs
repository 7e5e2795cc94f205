//! Every check of the front end, one small manifest each: the diagnostic's code, severity, line
//! and meaning. Manifests are inline so a case reads as what a user would write.

use convoxc_compiler::{Loaded, Located, Severity};
use convoxc_tests::{explain, load_with_rack};

fn run(text: &str, env: Option<&[(&str, &str)]>, rack: Option<&str>) -> Loaded {
    load_with_rack("convox.yml", text, env, rack)
}

/// Exactly these diagnostics: (severity, code, line, message fragment). The `secure-default`
/// notes of encrypted-by-default resources count only where a case expects one.
fn expect(text: &str, expected: &[(Severity, &str, usize, &str)]) {
    expect_with(text, None, None, expected)
}

fn expect_with(
    text: &str,
    env: Option<&[(&str, &str)]>,
    rack: Option<&str>,
    expected: &[(Severity, &str, usize, &str)],
) {
    let l = run(text, env, rack);
    let notes = expected.iter().any(|e| e.1 == "secure-default");
    let got: Vec<Located> = l
        .diagnostics
        .iter()
        .filter(|d| notes || d.code != convoxc_compiler::Code::SecureDefault)
        .map(|d| Located::new(d, &l.sources))
        .collect();
    let ok = got.len() == expected.len()
        && got.iter().zip(expected).all(|(g, (sev, code, line, frag))| {
            g.severity == *sev
                && g.code.as_str() == *code
                && g.line == *line
                && (g.message.contains(frag) || g.help.as_deref().is_some_and(|h| h.contains(frag)))
        });
    assert!(ok, "for:\n{text}\nexpected {expected:?}\ngot:\n{}", explain(&l));
    assert_eq!(l.app.is_some(), !expected.iter().any(|e| e.0 == Severity::Error));
}

use Severity::{Error as E, Note as N, Warning as W};

/// A database or cache encrypted by default says what changes for its clients (a note at its
/// name); one whose manifest says `encrypted:` either way, a file system or memcached, nothing.
#[test]
fn encrypted_by_default_notes() {
    expect(
        "resources:\n  db:\n    type: postgres\n    options:\n      version: \"16\"\n  cache:\n    type: redis\n  \
         plain:\n    type: redis\n    options:\n      encrypted: false\n  grouped:\n    type: postgres\n    options:\n      \
         version: \"16\"\n      parameterGroupName: mine\n  vol:\n    type: efs\n",
        &[
            (N, "secure-default", 2, "a new database is encrypted and requires TLS"),
            (N, "secure-default", 6, "its URL is rediss://:<token>@host:port/0"),
            (
                N,
                "secure-default",
                12,
                "a new database is encrypted at rest (nothing changes for its clients)",
            ),
        ],
    );
}

#[test]
fn yaml_1_1_and_text_forms() {
    // yes/no/on/off booleans, CRLF, a BOM, no final newline, int map keys, x- extension keys with anchors
    let text = "\u{feff}x-base: &base\r\n  internal: yes\r\n  port: 3000\r\nservices:\r\n  web:\r\n    <<: *base\r\n    sticky: off\r\n  worker:\r\n    image: nginx";
    let l = run(text, None, None);
    let app = l.app.unwrap_or_else(|| panic!("{}", explain(&run(text, None, None))));
    assert!(app.services[0].internal);
    assert!(!app.services[0].sticky);
    assert_eq!(app.services[0].port.map(|p| p.port), Some(3000));
    assert_eq!(app.services[1].name, "worker");
    // integer keys are names (then the name rules apply)
    expect(
        "services:\n  123:\n    image: nginx\n",
        &[(E, "invalid-name", 2, "service name 123 invalid")],
    );
    // a BOM does not shift positions
    expect(
        "\u{feff}services:\n  web:\n    port: http:0\n",
        &[(E, "out-of-range", 3, "port must be between 1 and 65535")],
    );
}

#[test]
fn yaml_syntax_error_has_a_position() {
    expect(
        "services:\n  web:\n    port: [3000\n  worker: {}\n",
        &[(E, "yaml-syntax", 4, "invalid YAML")],
    );
}

/// The problem in words, at its line and column: none of the parser's own rendering (its
/// snippet naming `<input>`, its "at line X" suffix), which would be a second snippet.
#[test]
fn yaml_syntax_error_is_one_message_without_the_parsers_snippet() {
    for (rack, text) in [
        (false, "services:\n  web:\n    image: x\n   port: 80\n"),
        (true, "Private: yes\nInstanceType:\n  a:\n    b: x\n   c: 80\n"),
    ] {
        let l = if rack {
            run("services: {}\n", None, Some(text))
        } else {
            run(text, None, None)
        };
        let [d] = &l.diagnostics[..] else {
            panic!("{}", explain(&l))
        };
        let d = Located::new(d, &l.sources);
        assert_eq!(d.code.as_str(), "yaml-syntax");
        assert_eq!((d.line, d.column), (if rack { 5 } else { 4 }, 4), "{}", explain(&l));
        let words = "while parsing a block mapping, did not find expected key";
        let expected = if rack {
            words.to_string()
        } else {
            format!("invalid YAML: {words}")
        };
        assert_eq!(d.message, expected);
    }
}

#[test]
fn unknown_foreign_and_misplaced_keys() {
    expect(
        "services:\n  web:\n    prot: 3000\n",
        &[(E, "unknown-key", 3, "did you mean `port`?")],
    );
    expect(
        "services:\n  web:\n    memory: 512\n",
        &[(E, "unknown-key", 3, "belongs under `services.<name>.scale`")],
    );
    expect(
        "services:\n  web:\n    annotations:\n      - a=b\n",
        &[(W, "foreign-key", 3, "convox v3")],
    );
    expect(
        "services:\n  web:\n    scale:\n      gpu: 1\n",
        &[(W, "foreign-key", 4, "ignored by a generation-2")],
    );
    expect(
        "version: \"3\"\nservices:\n  web: {}\n",
        &[(W, "foreign-key", 1, "docker-compose")],
    );
    expect(
        "services:\n  web:\n    build:\n      dockerfile: Dockerfile.prod\n",
        &[(W, "foreign-key", 4, "use build.manifest")],
    );
    expect(
        "timers:\n  t:\n    command: x\n    schedule: \"0 3 * * ?\"\n    service: web\n    concurrency: forbid\nservices:\n  web: {}\n",
        &[(W, "foreign-key", 6, "convox v3")],
    );
    expect(
        "workflows:\n  change: []\nservices:\n  web: {}\n",
        &[(E, "praxis-format", 1, "praxis")],
    );
}

#[test]
fn duplicate_keys() {
    expect(
        "services:\n  web:\n    port: 3000\n    port: 4000\n",
        &[(E, "duplicate-key", 4, "`port` is written twice")],
    );
    expect(
        "services:\n  web: {}\n  web: {}\n",
        &[(E, "duplicate-key", 3, "`web` is written twice")],
    );
}

#[test]
fn wrong_types_and_yaml_booleans() {
    expect(
        "services:\n  web:\n    internal: \"true\"\n",
        &[(E, "wrong-type", 3, "expected a boolean")],
    );
    expect(
        "services:\n  web:\n    image: on\n",
        &[(E, "wrong-type", 3, "quote the value")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    health:\n      interval: \"10\"\n",
        &[(E, "wrong-type", 5, "without quotes")],
    );
    expect(
        "services:\n  web:\n    links: worker\n  worker: {}\n",
        &[(E, "wrong-type", 3, "write it as a list")],
    );
    expect(
        "services:\n  y:\n    port: 3000\n",
        &[(E, "key-type", 2, "read as a boolean")],
    );
    expect(
        "services: [web]\n",
        &[(E, "wrong-type", 1, "expected a map of service names")],
    );
}

#[test]
fn names_and_logical_ids() {
    expect(
        "services:\n  Web: {}\n",
        &[(E, "invalid-name", 2, "service name Web invalid")],
    );
    expect(
        "resources:\n  my-db:\n    type: postgres\n  my_db:\n    type: postgres\nservices:\n  web: {}\n",
        &[
            (W, "engine-version", 2, "convox's default version"),
            (E, "logical-id-collision", 4, "ResourceMyDb"),
            (W, "engine-version", 4, "convox's default version"),
        ],
    );
    // names of different kinds: the app's own ServiceRole, a resource's secret, a service's
    // parameters for two linked resources (an unencrypted cache's URL is a parameter of its own)
    expect(
        "resources:\n  db:\n    type: postgres\n    options:\n      version: \"16\"\n  db-secret:\n    type: postgres\n    \
         options:\n      version: \"16\"\n  db-host:\n    type: redis\n    options:\n      encrypted: false\nservices:\n  role:\n    image: x\n  web:\n    \
         image: x\n    resources:\n      - db-host\n      - db\n",
        &[
            (
                E,
                "logical-id-collision",
                2,
                "resource `db` and resource `db-host` both become the CloudFormation logical ID ResourceDbHost among the parameters of service web",
            ),
            (
                E,
                "logical-id-collision",
                6,
                "resource `db-secret` and resource `db` both become the CloudFormation logical ID ResourceDbSecret in the app stack",
            ),
            (
                E,
                "logical-id-collision",
                15,
                "service `role` and the app's own ServiceRole both become the CloudFormation logical ID ServiceRole",
            ),
        ],
    );
    expect(
        "timers:\n  my timer:\n    command: x\n    schedule: \"0 3 * * ?\"\n    service: web\nservices:\n  web: {}\n",
        &[(E, "invalid-name", 2, "timer name")],
    );
}

#[test]
fn ports() {
    expect(
        "services:\n  web:\n    port: foo:3000\n",
        &[(E, "port", 3, "unknown port scheme `foo`")],
    );
    expect(
        "services:\n  web:\n    port: htps:3000\n",
        &[(E, "port", 3, "did you mean `https`?")],
    );
    expect(
        "services:\n  web:\n    port: 3000/http\n",
        &[(E, "port", 3, "\"http:3000\"")],
    );
    expect(
        "services:\n  web:\n    port: 70000\n",
        &[(E, "out-of-range", 3, "between 1 and 65535")],
    );
    let l = run(
        "services:\n  web:\n    port:\n      port: 443\n      scheme: secure-grpc\n",
        None,
        None,
    );
    assert_eq!(
        l.app.unwrap().services[0].port.unwrap().scheme,
        convoxc_compiler::ir::Scheme::SecureGrpc
    );
}

#[test]
fn health_limits() {
    expect(
        "services:\n  web:\n    port: 3000\n    health:\n      interval: 400\n",
        &[(E, "health", 5, "between 5 and 300")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    health:\n      interval: 200\n",
        &[(E, "health", 5, "defaulted to interval − 1 = 199")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    health:\n      interval: 10\n      timeout: 10\n",
        &[(E, "health", 6, "must be less than health.interval")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    health: health\n",
        &[(E, "health", 4, "must start with /")],
    );
    expect(
        "services:\n  worker:\n    health: /health\n",
        &[(W, "ignored", 3, "no port")],
    );
}

#[test]
fn scale() {
    expect("services:\n  web:\n    scale: 1+\n", &[(E, "scale", 3, "`n+`")]);
    expect(
        "services:\n  web:\n    scale: 5-2\n",
        &[(E, "scale", 3, "greater than its maximum")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    scale:\n      count: 1-3\n      targets:\n        custom:\n          AWS/SQS/Depth:\n            aggregate: mean\n            value: 5\n",
        &[(E, "scale", 9, "unknown metric statistic `mean`")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    scale:\n      count: 1-3\n      targets:\n        custom:\n          Depth:\n            aggregate: avg\n            value: 5\n",
        &[(E, "scale", 8, "needs a namespace")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    scale:\n      targets:\n        cpu: 50\n",
        &[(W, "ignored", 6, "fixed at 1")],
    );
    expect(
        "services:\n  web:\n    scale:\n      targets:\n        cpu: 150\n",
        &[(E, "out-of-range", 5, "between 1 and 100")],
    );
    expect("services:\n  web:\n    scale:\n", &[(W, "scale", 3, "count of 0")]);
    // custom metrics come out sorted whatever the file order
    let l = run(
        "services:\n  web:\n    scale:\n      count: 1-3\n      targets:\n        custom:\n          B/m:\n            aggregate: max\n            value: 1\n          A/m:\n            aggregate: SUM\n            value: 2\n",
        None,
        None,
    );
    let names: Vec<String> = l.app.unwrap().services[0]
        .scale
        .targets
        .custom
        .iter()
        .map(|m| m.namespace.clone())
        .collect();
    assert_eq!(names, ["A", "B"]);
}

#[test]
fn agent() {
    expect(
        "services:\n  dd:\n    agent:\n      enabled: false\n",
        &[(E, "invalid-value", 4, "still enables the agent")],
    );
    expect(
        "services:\n  dd:\n    agent:\n      ports: [8125/sctp]\n",
        &[(E, "port", 4, "tcp or udp")],
    );
}

#[test]
fn timers() {
    let base = "services:\n  web: {}\ntimers:\n  t:\n    command: bin/x\n    service: web\n    schedule: ";
    expect(
        &format!("{base}\"0 3 * * * *\"\n"),
        &[(E, "schedule", 7, "needs ? in day-of-month or day-of-week")],
    );
    expect(
        &format!("{base}\"0 3 1 * MON\"\n"),
        &[(E, "schedule", 7, "both day-of-month and day-of-week")],
    );
    expect(
        &format!("{base}\"61 * * * *\"\n"),
        &[(E, "schedule", 7, "outside 0-59")],
    );
    expect(
        &format!("{base}\"rate(5 minutes)\"\n"),
        &[(E, "schedule", 7, "cron fields only")],
    );
    expect(
        &format!("{base}\"0 9 * * 1-5\"\n"),
        &[(W, "schedule-day-of-week", 7, "1=Sunday")],
    );
    let l = run(&format!("{base}\"0 3 * * *\"\n"), None, None);
    assert_eq!(l.app.unwrap().timers[0].schedule_expression, "cron(0 3 * * ? *)");
    expect(
        "services:\n  web: {}\ntimers:\n  t:\n    command: x\n    schedule: \"0 3 * * ?\"\n    service: wbe\n",
        &[(E, "unknown-reference", 7, "did you mean `web`?")],
    );
    expect(
        "services:\n  web: {}\ntimers:\n  t:\n    command: x\n",
        &[(E, "wrong-type", 5, "missing `schedule`, `service`")],
    );
    // an empty value is said where it is, not a timer dropped
    expect(
        "services:\n  web: {}\ntimers:\n  t:\n    command: x\n    schedule: \"0 3 * * ?\"\n    service:\n",
        &[(E, "wrong-type", 7, "has an empty `service`")],
    );
}

#[test]
fn engine_versions_past_standard_support() {
    expect(
        "resources:\n  db:\n    type: mariadb\n  pg:\n    type: postgres\n    options:\n      version: \"13.4\"\n  \
         new:\n    type: postgres\n    options:\n      version: \"16\"\n  my:\n    type: mysql\n    options:\n      Version: \"8.0\"\nservices:\n  web: {}\n",
        &[
            (
                W,
                "engine-version",
                2,
                "mariadb 10.4, convox's default version, is past its end of life; RDS has no Extended Support for MariaDB",
            ),
            (W, "engine-version", 7, "postgres 13.4 is past RDS standard support"),
            (W, "engine-version", 15, "mysql 8.0 is past RDS standard support"),
        ],
    );
}

#[test]
fn resources() {
    expect(
        "resources:\n  db:\n    type: postgress\nservices:\n  web: {}\n",
        &[(E, "resource-type", 3, "did you mean `postgres`?")],
    );
    expect(
        "resources:\n  q:\n    type: sqs\nservices:\n  web: {}\n",
        &[(E, "resource-type", 3, "rack-level resource")],
    );
    expect(
        "resources:\n  db:\n    type: postgres\n    options:\n      storag: 50\nservices:\n  web: {}\n",
        &[
            (
                W,
                "engine-version",
                2,
                "postgres 12, convox's default version, is past RDS standard support",
            ),
            (E, "resource-option", 5, "did you mean `storage`?"),
        ],
    );
    expect(
        "resources:\n  db:\n    type: mysql\n    options:\n      durable: maybe\nservices:\n  web: {}\n",
        &[
            (W, "engine-version", 2, "mysql 5.7, convox's default version"),
            (E, "resource-option", 5, "expected true or false"),
        ],
    );
    expect(
        "resources:\n  db:\n    type: postgres\n    options:\n      password: hunter2\nservices:\n  web: {}\n",
        &[
            (W, "engine-version", 2, "convox's default version"),
            (E, "resource-option", 5, "never write them"),
        ],
    );
    expect(
        "resources:\n  c:\n    type: redis\n    options:\n      durable: true\nservices:\n  web: {}\n",
        &[(E, "resource-option", 5, "needs at least 2 nodes")],
    );
    expect(
        "params:\n  FargateServices: Yes\nservices:\n  web:\n    termination:\n      grace: 300\n",
        &[(E, "fargate", 6, "at most 120")],
    );
    // option keys through upperName; versions kept as written; cache versions get .0
    let l = run(
        "resources:\n  fs:\n    type: efs\n    options:\n      owner-gid: 33\n  db:\n    type: postgres\n    options:\n      version: 14.10\n  c:\n    type: redis\n    options:\n      version: 7\nservices:\n  web: {}\n",
        None,
        None,
    );
    let app = l.app.unwrap();
    assert_eq!(app.resources[0].options["OwnerGid"], "33");
    assert_eq!(app.resources[1].options["Version"], "14.10");
    assert_eq!(app.resources[1].options["Storage"], "20");
    assert_eq!(app.resources[2].options["Version"], "7.0");
}

#[test]
fn references() {
    expect(
        "services:\n  web:\n    links: [wrker]\n  worker:\n    port: 3000\n",
        &[(E, "unknown-reference", 3, "did you mean `worker`?")],
    );
    expect(
        "services:\n  web:\n    links: [worker]\n  worker: {}\n",
        &[(W, "unknown-reference", 3, "has no port")],
    );
    expect(
        "services:\n  web:\n    resources: [db]\n",
        &[(E, "unknown-reference", 3, "not declared under resources")],
    );
    expect(
        "resources:\n  db:\n    type: postgres\nservices:\n  web:\n    resources: [\"db:DATABASE_URL\"]\n",
        &[
            (W, "engine-version", 2, "convox's default version"),
            (E, "unknown-reference", 6, "convox v3"),
        ],
    );
    expect(
        "resources:\n  fs:\n    type: efs\nservices:\n  web:\n    volumes: [\"fs:/data\"]\n",
        &[(E, "volume", 6, "does not list under resources")],
    );
    expect(
        "services:\n  web:\n    volumes: [\"data:relative\"]\n",
        &[(E, "volume", 3, "absolute path")],
    );
    expect(
        "services:\n  web:\n    policies: [ReadOnlyAccess]\n",
        &[(E, "policy", 3, "not an IAM managed-policy ARN")],
    );
    expect(
        "services:\n  a:\n    port: 3000\n    domain: x.example.org\n  b:\n    port: 3000\n    domain: y.example.org, x.example.org\n",
        &[(W, "domain", 7, "also a domain of service a")],
    );
    expect(
        "services:\n  web:\n    port: 3000\n    domain: \"*.*.example.org\"\n",
        &[(E, "domain", 4, "wildcard")],
    );
    let l = run(
        "resources:\n  fs:\n    type: efs\nservices:\n  web:\n    resources: [fs]\n    volumes: [\"fs:/data\", \"/var/run/docker.sock:/var/run/docker.sock\"]\n",
        None,
        None,
    );
    let v = &l.app.unwrap().services[0].volumes;
    assert!(
        matches!(&v[0], convoxc_compiler::ir::Volume::Efs { resource, target } if resource == "fs" && target == "/data")
    );
    assert!(matches!(&v[1], convoxc_compiler::ir::Volume::Host { .. }));
}

#[test]
fn environment() {
    expect(
        "environment:\n  - yes\nservices:\n  web: {}\n",
        &[(E, "env-declaration", 2, "quote it")],
    );
    expect(
        "environment:\n  - KEY: value\nservices:\n  web: {}\n",
        &[(E, "env-declaration", 2, "KEY=value")],
    );
    expect(
        "environment:\n  FOO: bar\nservices:\n  web: {}\n",
        &[(E, "wrong-type", 2, "must be a list")],
    );
    expect_with(
        "services:\n  web:\n    port: 3000\n    domain: ${HOST}\n",
        Some(&[]),
        None,
        &[(W, "unset-variable", 4, "${HOST} is not set")],
    );
    expect(
        "services:\n  worker:\n    domain: jobs.example.org\n",
        &[(W, "ignored", 3, "`domain` has no effect")],
    );
    // an interpolated value that breaks a check says where it came from
    let l = run("services:\n  web:\n    port: ${PORT}x\n", None, None);
    assert!(explain(&l).contains("invalid port"));
    assert!(l.diagnostics[0].help.as_deref().unwrap().contains("comes from ${PORT}"));
    assert_eq!(Located::new(&l.diagnostics[0], &l.sources).column, 11);
}

#[test]
fn app_params_and_fargate() {
    expect(
        "params:\n  FargateService: Yes\nservices:\n  web: {}\n",
        &[(E, "params", 2, "did you mean `FargateServices`?")],
    );
    expect(
        "params:\n  RedirectHttps: maybe\nservices:\n  web: {}\n",
        &[(E, "params", 2, "not an allowed value")],
    );
    expect(
        "params:\n  LogDriver: Syslog\nservices:\n  web: {}\n",
        &[(W, "params-ignored", 2, "rack's own")],
    );
    expect(
        "params:\n  ResourcePassword: hunter2\nservices:\n  web: {}\n",
        &[(E, "params", 2, "secret")],
    );
    expect(
        "params:\n  FargateServices: Yes\nservices:\n  web:\n    scale:\n      cpu: 256\n      memory: 4096\n",
        &[(E, "fargate", 6, "cpu 256 / memory 4096")],
    );
    expect(
        "params:\n  FargateServices: Yes\nservices:\n  web:\n    agent: true\n",
        &[(E, "fargate", 5, "cannot run on Fargate")],
    );
    expect(
        "params:\n  FargateTimers: Yes\nservices:\n  web:\n    privileged: true\ntimers:\n  t:\n    command: x\n    schedule: \"0 3 * * ?\"\n    service: web\n",
        &[(E, "fargate", 5, "a timer of this service runs on Fargate")],
    );
    expect(
        "params:\n  WebFormation: 2,512,1024,FARGATE\nservices:\n  web: {}\n",
        &[],
    );
    expect(
        "params:\n  WebFormation: 2,512,3000,FARGATE\nservices:\n  web: {}\n",
        &[(E, "fargate", 4, "cpu 512 / memory 3000")],
    );
    expect(
        "params:\n  ApiFormation: 2,512,1024\nservices:\n  web: {}\n",
        &[(E, "params", 2, "names no service")],
    );
}

#[test]
fn rack_params_and_support() {
    let svc = "services:\n  web:\n    internal: true\n    port: 3000\n    nlb:\n      - port: 8443\n";
    expect_with(
        svc,
        None,
        Some("Internal: No\n"),
        &[
            (E, "rack-support", 3, "rack does not support internal services"),
            (E, "rack-support", 6, "rack does not have NLB enabled"),
        ],
    );
    expect_with(svc, None, Some("Internal: Yes\nNLB: Yes\n"), &[]);
    expect_with(
        "services:\n  web: {}\n",
        None,
        Some("NLBAllowCIDR: 10.0.0.1/16,10.0.0.0/8\nMaxAvailabilityZones: 4\nInternal: yes\nApiCount: 3\n"),
        &[
            (E, "rack-param", 1, "is not canonical; use \"10.0.0.0/16\""),
            (E, "rack-param", 2, "allowed values are 2, 3"),
            (E, "rack-param", 3, "did you mean `Yes`?"),
            (W, "rack-param-ignored", 4, "rack API"),
        ],
    );
    // rack params are in the IR, resolved with defaults; the password is never kept
    let l = run(
        "services:\n  web: {}\n",
        None,
        Some("{\"Password\": \"hunter2\", \"Private\": \"Yes\"}"),
    );
    let rack = l.app.unwrap().rack.unwrap();
    assert_eq!(rack.get("Private"), Some("Yes"));
    assert_eq!(rack.get("VPCCIDR"), Some("10.0.0.0/16"));
    assert_eq!(rack.get("Password"), None);
}

#[test]
fn all_errors_at_once() {
    let l = run(
        "services:\n  web:\n    prot: 3000\n    scale: 1+\n  Bad: {}\ntimers:\n  t:\n    command: x\n    schedule: bad\n    service: nope\n",
        None,
        None,
    );
    let errors = l.diagnostics.iter().filter(|d| d.is_error()).count();
    assert_eq!(errors, 5, "{}", explain(&l));
}

/// A `${NAME}` that looks like a secret is an error wherever it would be compiled in (with the way
/// to give it to the containers instead); one of the app's own environment variables in free text
/// is a warning; in a setting such as `domain`, nothing.
#[test]
fn secrets_interpolated_into_a_template() {
    let text = "environment:\n  - HOST\nservices:\n  web:\n    port: 3000\n    domain: ${HOST}\n    \
                command: migrate --password ${DB_PASSWORD}\n    environment:\n      - CALLBACK=https://${HOST}/cb\n      \
                - URL=${DATABASE_URL}\n";
    let env: &[(&str, &str)] = &[
        ("HOST", "a.example.org"),
        ("DB_PASSWORD", "hunter2"),
        ("DATABASE_URL", "postgres://u:p@h/d"),
    ];
    let l = run(text, Some(env), None);
    let got: Vec<String> = l
        .diagnostics
        .iter()
        .filter(|d| d.code == convoxc_compiler::Code::SecretInTemplate)
        .map(|d| {
            let at = Located::new(d, &l.sources);
            format!("{:?} {}:{} {}", d.severity, at.line, at.column, d.path)
        })
        .collect();
    assert_eq!(
        got,
        [
            "Error 7:33 services.web.command",
            "Warning 9:26 services.web.environment[0]",
            "Error 10:13 services.web.environment[1]",
        ],
        "{}",
        explain(&l)
    );
    let command = l.diagnostics.iter().find(|d| d.path == "services.web.command").unwrap();
    assert_eq!(
        command.message,
        "`${DB_PASSWORD}` looks like a secret, and its value would be compiled into the template in plain text"
    );
    assert!(
        command
            .help
            .as_deref()
            .unwrap()
            .contains("declare `- DB_PASSWORD` in `environment:` (its value then goes to SSM) and expand it at run time through a shell, `command: sh -c '… \"$DB_PASSWORD\"'`"),
        "{:?}",
        command.help
    );
    // in CI without values it is the same error: the name says what it holds
    let ci = convoxc_compiler::load(convoxc_compiler::Input {
        manifest: Some(convoxc_compiler::SourceFile::new("convox.yml", text)),
        supplied_at_deploy: true,
        ..Default::default()
    });
    assert_eq!(
        convoxc_tests::error_summary(&ci),
        ["secret-in-template@7", "secret-in-template@10"]
    );
}
