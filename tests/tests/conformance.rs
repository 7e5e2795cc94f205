//! convox's own manifest fixtures (shared/conformance/convox-rack) against EXPECTED.md: convox's
//! verdict, a message with the same meaning, and the right line. Where convox accepts something
//! that is wrong, we reject it, and the case says why.

use convoxc_compiler::Severity;
use convoxc_compiler::ir::*;
use convoxc_tests::*;

const EMPTY: Option<&[(&str, &str)]> = Some(&[]);

/// Assert exactly these errors (code, line, message fragment), in file order.
fn rejects(file: &str, env: Option<&[(&str, &str)]>, expected: &[(&str, usize, &str)]) {
    let l = load_path(&conformance(file), env);
    let errors = located(&l, Severity::Error);
    assert!(l.app.is_none(), "{file}: an IR was produced despite errors");
    assert_eq!(
        errors.len(),
        expected.len(),
        "{file}: expected {} errors, got:\n{}",
        expected.len(),
        explain(&l)
    );
    for (e, (code, line, fragment)) in errors.iter().zip(expected) {
        assert_eq!(e.code.as_str(), *code, "{file}: {}", explain(&l));
        assert_eq!(e.line, *line, "{file}: wrong line for `{}`", e.message);
        assert!(
            e.message.contains(fragment),
            "{file}: `{}` does not contain `{fragment}`",
            e.message
        );
    }
}

fn accepts(file: &str, env: Option<&[(&str, &str)]>) -> App {
    let l = load_path(&conformance(file), env);
    let why = explain(&l);
    l.app.unwrap_or_else(|| panic!("{file} rejected:\n{why}"))
}

fn service<'a>(app: &'a App, name: &str) -> &'a Service {
    app.services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

fn req(n: &str) -> EnvDecl {
    EnvDecl::Required { name: n.into() }
}
fn def(n: &str, v: &str) -> EnvDecl {
    EnvDecl::Default {
        name: n.into(),
        default: v.into(),
    }
}

fn assert_standard_defaults(s: &Service) {
    assert_eq!(s.drain, 30);
    assert_eq!(
        s.health,
        Health {
            grace: 5,
            interval: 5,
            path: "/".into(),
            timeout: 4
        }
    );
    assert_eq!(s.scale.count, Count { min: 1, max: 1 });
    assert_eq!(s.scale.cooldown, Cooldown { down: 60, up: 60 });
    assert_eq!((s.scale.cpu, s.scale.memory), (256, 512));
    assert!(s.sticky);
    assert_eq!(s.termination.grace, 30);
}

#[test]
fn env_yml() {
    let app = accepts("env.yml", EMPTY);
    let names: Vec<_> = app.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["q-train-intent", "q-delete-intent"]);
    let global = vec![
        def("NODE_ENV", ""),
        def("SQS_AWS_ACCOUNT_ID", ""),
        def("SQS_REGION", ""),
        def("SQS_ENDPOINT", "https://sqs..amazonaws.com"),
        def("FOO", "bar"),
    ];
    assert_eq!(app.environment, global);
    for (s, q) in app.services.iter().zip(["train-intent", "delete-intent"]) {
        let mut env = global.clone();
        env.push(def("QUEUE_NAME", q));
        assert_eq!(s.environment, env);
        assert_eq!(
            s.build,
            Some(Build {
                path: ".".into(),
                manifest: "Dockerfile".into(),
                args: vec![]
            })
        );
        assert_eq!(
            s.deployment,
            Deployment {
                minimum: 50,
                maximum: 200
            }
        );
        assert_standard_defaults(s);
    }
    assert_eq!(app.services[0].logical_name, "QTrainIntent");
}

/// full.yml loads in convox, but three of its lines would fail the deploy: `params: Foo` is not an
/// app-stack parameter, `size` is not a postgres option (both rejected by CloudFormation:
/// "Parameters … do not exist in the template"), and a `requests` target on a service without a
/// port references a target group that does not exist. convoxc rejects them up front.
#[test]
fn full_yml_is_rejected_for_three_true_problems() {
    let env = Some(&[("FOO", "bar"), ("SECRET", "shh"), ("OTHERGLOBAL", "test")][..]);
    rejects(
        "full.yml",
        env,
        &[
            ("params", 6, "no parameter `Foo`"),
            ("resource-option", 11, "no option `size`"),
            ("scale", 73, "requests target needs a `port:`"),
        ],
    );
}

#[test]
fn full_yml_without_env_names_the_required_variables() {
    let l = load_path(&conformance("full.yml"), EMPTY);
    let required: Vec<(String, usize)> = located(&l, Severity::Error)
        .into_iter()
        .filter(|d| d.code.as_str() == "required-env")
        .map(|d| (d.message, d.line))
        .collect();
    // convox: `required env: OTHERGLOBAL, SECRET` — here one diagnostic per declaration
    assert_eq!(
        required,
        [
            ("required env: OTHERGLOBAL".to_string(), 4),
            ("required env: SECRET".to_string(), 25),
            ("required env: SECRET".to_string(), 43),
        ]
    );
}

/// full.yml with its three true problems removed: every fact EXPECTED.md lists.
#[test]
fn full_yml_facts() {
    let text = read(&conformance("full.yml"))
        .replace("params:\n  Foo: bar\n", "")
        .replace("    options:\n      size: db.t2.large\n", "")
        .replace("        requests: 200\n", "");
    let env = [("FOO", "bar"), ("SECRET", "shh"), ("OTHERGLOBAL", "test")];
    let l = load_text("full.yml", &text, Some(&env));
    let why = explain(&l);
    let app = l.app.unwrap_or_else(|| panic!("{why}"));
    assert_eq!(
        app.environment,
        [def("DEVELOPMENT", "true"), def("GLOBAL", "true"), req("OTHERGLOBAL")]
    );
    assert_eq!(app.resources.len(), 1);
    assert_eq!(
        (app.resources[0].name.as_str(), app.resources[0].kind),
        ("database", ResourceType::Postgres)
    );
    let order: Vec<_> = app.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["api", "proxy", "foo", "bar", "scaler", "inherit", "agent"]);
    assert!(app.timers.is_empty());

    let api = service(&app, "api");
    assert_eq!(
        api.build,
        Some(Build {
            path: "api".into(),
            manifest: "Dockerfile2".into(),
            args: vec![]
        })
    );
    assert_eq!(api.command, Some(vec!["bin/api".into(), "start".into()]));
    assert_eq!(
        api.deployment,
        Deployment {
            minimum: 25,
            maximum: 65
        }
    );
    assert_eq!(api.domains, ["foo.example.org"]);
    assert_eq!(api.drain, 30);
    let mut env = app.environment.clone();
    env.extend([def("DEFAULT", "test"), def("DEVELOPMENT", "false"), req("SECRET")]);
    assert_eq!(api.environment, env);
    assert_eq!(
        api.health,
        Health {
            grace: 10,
            interval: 10,
            path: "/".into(),
            timeout: 9
        }
    );
    assert!(api.init);
    assert_eq!(
        api.port,
        Some(Port {
            port: 1000,
            scheme: Scheme::Http
        })
    );
    assert_eq!(api.resources, ["database"]);
    assert_eq!(api.scale.count, Count { min: 3, max: 10 });
    assert_eq!(api.scale.cooldown, Cooldown { down: 60, up: 60 });
    assert_eq!((api.scale.cpu, api.scale.memory), (256, 512));
    assert!(api.sticky);
    assert_eq!(api.test.as_deref(), Some("make  test"));
    assert_eq!(api.termination.grace, 45);

    let proxy = service(&app, "proxy");
    assert_eq!(proxy.image.as_deref(), Some("ubuntu:16.04"));
    assert_eq!(proxy.build, None);
    assert_eq!(proxy.command, Some(vec!["sh".into(), "-c".into(), "bash".into()]));
    assert_eq!(proxy.domains, ["bar.example.org", "*.example.org"]);
    assert_eq!(
        proxy.health,
        Health {
            grace: 5,
            interval: 5,
            path: "/auth".into(),
            timeout: 4
        }
    );
    assert_eq!(
        proxy.port,
        Some(Port {
            port: 2000,
            scheme: Scheme::Https
        })
    );
    assert_eq!(proxy.scale.count, Count { min: 1, max: 1 });
    assert_eq!((proxy.scale.cpu, proxy.scale.memory), (512, 1024));
    let mut env = app.environment.clone();
    env.push(req("SECRET"));
    assert_eq!(proxy.environment, env);

    let foo = service(&app, "foo");
    assert_eq!(foo.command, Some(vec!["foo".into()]));
    assert_eq!(foo.domains, ["baz.example.org", "qux.example.org"]);
    assert_eq!(foo.drain, 60);
    assert_eq!(
        foo.health,
        Health {
            grace: 2,
            interval: 5,
            path: "/".into(),
            timeout: 3
        }
    );
    assert_eq!(
        foo.port,
        Some(Port {
            port: 3000,
            scheme: Scheme::Https
        })
    );
    assert_eq!(foo.scale.count, Count { min: 0, max: 0 });
    assert!(foo.singleton);
    assert_eq!(
        foo.deployment,
        Deployment {
            minimum: 0,
            maximum: 100
        }
    );
    assert!(!foo.sticky);
    assert_eq!(
        foo.build,
        Some(Build {
            path: ".".into(),
            manifest: "Dockerfile".into(),
            args: vec![]
        })
    );

    let bar = service(&app, "bar");
    assert_standard_defaults(bar);
    assert_eq!(
        bar.build,
        Some(Build {
            path: ".".into(),
            manifest: "Dockerfile".into(),
            args: vec![]
        })
    );

    let scaler = service(&app, "scaler");
    assert_eq!(scaler.scale.cooldown, Cooldown { down: 61, up: 59 });
    assert_eq!(scaler.scale.count, Count { min: 1, max: 5 });
    assert_eq!(
        (scaler.scale.targets.cpu, scaler.scale.targets.memory),
        (Some(50), Some(75))
    );
    let m = &scaler.scale.targets.custom[0];
    assert_eq!(
        (m.namespace.as_str(), m.name.as_str()),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    );
    assert_eq!((m.aggregate, m.value), (Statistic::Maximum, 200.0));
    assert_eq!(m.dimensions.get("QueueName").map(String::as_str), Some("testqueue"));

    let inherit = service(&app, "inherit");
    assert_eq!(inherit.command, Some(vec!["sh".into(), "-c".into(), "inherit".into()]));
    assert_eq!(inherit.image, proxy.image);
    assert_eq!(inherit.domains, proxy.domains);
    assert_eq!(inherit.health, proxy.health);
    assert_eq!(inherit.port, proxy.port);
    assert_eq!(inherit.scale, proxy.scale);
    assert_eq!(inherit.environment, proxy.environment);

    let agent = service(&app, "agent");
    let ports: Vec<_> = agent
        .agent
        .as_ref()
        .expect("agent enabled")
        .ports
        .iter()
        .map(|p| (p.port, p.protocol.as_str()))
        .collect();
    assert_eq!(ports, [(5000, "udp"), (5001, "tcp"), (5002, "tcp")]);
    assert_eq!(
        agent.deployment,
        Deployment {
            minimum: 0,
            maximum: 100
        }
    );
}

#[test]
fn nlb_fixtures() {
    let tcp = |port, container_port, scheme| Nlb {
        port,
        container_port,
        protocol: NlbProtocol::Tcp,
        scheme,
        certificate: None,
        cross_zone: None,
        allow_cidr: vec![],
        preserve_client_ip: None,
    };
    let app = accepts("nlb.yml", EMPTY);
    let api = service(&app, "api");
    assert_eq!(api.image.as_deref(), Some("example/api"));
    assert_eq!(
        api.port,
        Some(Port {
            port: 3000,
            scheme: Scheme::Http
        })
    );
    assert_eq!(api.nlb[0], tcp(8443, 8443, NlbScheme::Public));
    assert_eq!(api.nlb[1].scheme, NlbScheme::Internal);

    let app = accepts("nlb-tls.yml", EMPTY);
    let e = &service(&app, "api").nlb[0];
    assert_eq!(
        (e.port, e.protocol, e.container_port, e.scheme),
        (443, NlbProtocol::Tls, 8080, NlbScheme::Public)
    );
    assert!(
        e.certificate
            .as_deref()
            .unwrap()
            .ends_with("00000000-0000-0000-0000-000000000001")
    );

    let app = accepts("nlb-tls-internal.yml", EMPTY);
    let s = service(&app, "api");
    assert!(s.internal);
    assert_eq!(
        (s.nlb[0].protocol, s.nlb[0].scheme),
        (NlbProtocol::Tls, NlbScheme::Internal)
    );
    assert!(s.nlb[0].certificate.is_some());

    let app = accepts("nlb-tls-mixed.yml", EMPTY);
    let s = service(&app, "api");
    assert_eq!(s.nlb.len(), 2);
    assert_eq!(
        (s.nlb[0].protocol, s.nlb[0].certificate.is_some()),
        (NlbProtocol::Tls, true)
    );
    assert_eq!(
        (s.nlb[1].protocol, s.nlb[1].certificate.is_some()),
        (NlbProtocol::Tcp, false)
    );

    let app = accepts("nlb-tls-iam.yml", EMPTY);
    let e = &service(&app, "api").nlb[0];
    assert_eq!(e.protocol, NlbProtocol::Tls);
    assert!(e.certificate.as_deref().unwrap().contains(":iam::"), "kept as written");

    let app = accepts("nlb-different-container-port.yml", EMPTY);
    assert_eq!(service(&app, "api").nlb[0], tcp(8443, 3000, NlbScheme::Public));
}

#[test]
fn nlb_rejections_carry_convox_messages() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "invalid-nlb-agent.yml",
            7,
            "service api: agent mode is incompatible with nlb ports",
        ),
        (
            "invalid-nlb-bad-proto.yml",
            6,
            "service api nlb port 8443: protocol must be tcp or tls, got \"udp\"",
        ),
        (
            "invalid-nlb-bad-scheme.yml",
            6,
            "service api nlb port 8443: scheme must be public or internal, got \"bogus\"",
        ),
        (
            "invalid-nlb-bad-tcpudp.yml",
            6,
            "service api nlb port 8443: protocol must be tcp or tls, got \"tcp_udp\"",
        ),
        (
            "invalid-nlb-conflicting-container-port.yml",
            7,
            "service api: nlb port 8443 declared with conflicting containerPort values",
        ),
        ("invalid-nlb-dup-port.yml", 6, "service api: duplicate nlb port 8443"),
        (
            "invalid-nlb-port-too-high.yml",
            5,
            "service api: nlb port 65536 out of range",
        ),
        ("invalid-nlb-port-zero.yml", 5, "service api: nlb port 0 out of range"),
        (
            "invalid-nlb-tcp-with-cert.yml",
            9,
            "service api nlb port 8080: certificate is only valid with protocol: tls",
        ),
        (
            "invalid-nlb-tls-bad-arn.yml",
            9,
            "service api nlb port 443: certificate must be a full ACM or IAM server-certificate ARN, got \"cert-short-id-not-allowed\" (run 'convox certs list' to see available ARNs)",
        ),
        (
            "invalid-nlb-tls-no-cert.yml",
            6,
            "service api nlb port 443: protocol tls requires a certificate (provide an ACM ARN; run 'convox certs list' to see available ARNs)",
        ),
        (
            "invalid-nlb-tls-validator-order.yml",
            6,
            "service api nlb port 443: protocol must be tcp or tls, got \"udp\"",
        ),
    ];
    for (file, line, message) in cases {
        rejects(file, EMPTY, &[("nlb", *line, message)]);
    }
    // the validator-order fixture must not also complain about the certificate
    let l = load_path(&conformance("invalid-nlb-tls-validator-order.yml"), EMPTY);
    assert!(!explain(&l).contains("certificate is only valid with protocol: tls"));
}

#[test]
fn invalid_fixtures() {
    rejects("invalid.1.yml", EMPTY, &[("not-a-map", 1, "must be a map")]);
    rejects(
        "invalid.3.yml",
        EMPTY,
        &[("resource-type", 2, "resource type can not be blank")],
    );
    rejects(
        "invalid.4.yml",
        EMPTY,
        &[(
            "invalid-name",
            2,
            "service name web_with_underscore invalid, must contain only lowercase alphanumeric and dashes",
        )],
    );
}

/// convox accepts invalid.2.yml (`servicess:`) and deploys an app with no services: the typo is
/// silently ignored. convoxc rejects unknown keys, with a suggestion.
#[test]
fn invalid_2_is_rejected_unlike_convox() {
    rejects("invalid.2.yml", EMPTY, &[("unknown-key", 1, "unknown key `servicess`")]);
    let l = load_path(&conformance("invalid.2.yml"), EMPTY);
    assert_eq!(l.diagnostics[0].help.as_deref(), Some("did you mean `services`?"));
}

#[test]
fn simple_yml() {
    rejects("simple.yml", EMPTY, &[("required-env", 5, "required env: REQUIRED")]);
    let app = accepts("simple.yml", Some(&[("REQUIRED", "test")]));
    assert_eq!(app.services.len(), 1);
    let web = &app.services[0];
    assert_eq!(web.name, "web");
    assert_eq!(
        web.build,
        Some(Build {
            path: ".".into(),
            manifest: "Dockerfile".into(),
            args: vec![]
        })
    );
    assert_eq!(web.environment, [req("REQUIRED"), def("DEFAULT", "true")]);
    assert_standard_defaults(web);
    // with more env than needed it loads too, and the caller's values are not needed afterwards
    accepts("simple.yml", Some(&[("FOO", "bar"), ("REQUIRED", "false")]));
}

/// Without any environment (no -e, no --env-file) required variables cannot be checked: values
/// live in the rack, not in CI. The manifest is still validated.
#[test]
fn unknown_environment_skips_the_required_check() {
    accepts("simple.yml", None);
}
