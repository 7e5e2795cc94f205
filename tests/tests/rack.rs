//! The rack stack: golden templates for golden/racks/*.yml (insta snapshots in
//! golden/racks/snapshots), cfn-lint over them, and the cross-stack check that every export a
//! golden app bundle imports is one the rack makes under the params that app needs.

use convoxc_compiler::back::imports::imports;
use convoxc_compiler::back::rack as rack_stack;
use convoxc_compiler::ir::RackParams;
use convoxc_compiler::ir::{App, NlbScheme};
use convoxc_compiler::{Input, Loaded, Severity, SourceFile, load};
use convoxc_tests::*;
use std::path::PathBuf;

fn rack_cases() -> Vec<(String, PathBuf)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("golden/racks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn load_rack(name: &str, text: &str) -> Loaded {
    let mut l = load(Input {
        rack_params: Some(SourceFile::new(name.to_string(), text.to_string())),
        ..Input::default()
    });
    l.check_rack_stack();
    l
}

fn params(text: &str) -> RackParams {
    let l = load_rack("rack.yml", text);
    assert!(!l.has_errors(), "{}", explain(&l));
    l.rack.unwrap()
}

#[test]
fn golden_racks() {
    let cases = rack_cases();
    assert!(cases.len() >= 6, "{} rack cases", cases.len());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("golden/racks/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, path) in &cases {
            let l = load_rack(&path.display().to_string(), &read(path));
            assert!(!l.has_errors(), "{name}: {}", explain(&l));
            let p = l.rack.unwrap();
            let t = rack_stack::build(name, &p).unwrap();
            assert_eq!(t, rack_stack::build(name, &p).unwrap(), "{name}: not deterministic");
            insta::assert_snapshot!(format!("{name}.json"), t.text);
        }
    });
}

#[test]
fn golden_racks_pass_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, path) in rack_cases() {
        let t = rack_stack::build(&name, &params(&read(&path))).unwrap();
        let f = dir.path().join(format!("{name}.json"));
        std::fs::write(&f, &t.text).unwrap();
        files.push(f);
    }
    let (code, findings) = cfn_lint(&files);
    eprintln!("cfn-lint: {} rack templates", files.len());
    assert!(
        code == 0 && findings.trim().is_empty(),
        "cfn-lint exit {code}:\n{findings}"
    );
}

/// The rack params an app needs: its internal services and NLB ports.
fn rack_for(app: &App) -> String {
    let mut p = String::from("RouterHost: apps.example.com\n");
    let internal = app.services.iter().any(|s| s.internal || s.internal_and_external);
    let nlb = |scheme: NlbScheme| app.services.iter().flat_map(|s| &s.nlb).any(|n| n.scheme == scheme);
    if internal || nlb(NlbScheme::Internal) {
        p.push_str("Internal: Yes\n");
    }
    if nlb(NlbScheme::Public) {
        p.push_str("NLB: Yes\n");
    }
    if nlb(NlbScheme::Internal) {
        p.push_str("NLBInternal: Yes\n");
    }
    p
}

#[test]
fn every_app_import_is_a_rack_export() {
    let mut checked = 0;
    for case in golden_cases() {
        let pairs: Vec<(&str, &str)> = case.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let l = load_interpolated(&case.path, &pairs);
        let app = l
            .app
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {}", case.name, explain(&l)));
        let bundle = build_path(&case.path, &case.vars);
        let wanted = imports(&bundle);
        assert!(
            wanted.iter().any(|i| i.name == "Cluster"),
            "{}: no imports found",
            case.name
        );
        let exports = rack_stack::exports(&params(&rack_for(app)));
        let missing: Vec<_> = wanted.iter().filter(|i| !exports.contains(&i.name)).collect();
        assert!(
            missing.is_empty(),
            "{}: imports the rack does not export: {missing:?}",
            case.name
        );
        checked += wanted.len();
    }
    eprintln!("{checked} imports checked");
}

#[test]
fn build_with_rack_params_reports_missing_exports() {
    let manifest = "params:\n  RedirectHttps: No\nservices:\n  web:\n    port: 3000\n";
    let rack = "RouterHost: apps.example.com\nDisableALBPort80: Yes\n";
    let l = load_with_rack("convox.yml", manifest, None, Some(rack));
    assert!(!l.has_errors(), "{}", explain(&l));
    let options = convoxc_compiler::back::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        env_names: Default::default(),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    let diags = convoxc_compiler::compile(&l, &options).expect_err("a missing export is an error");
    let found: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            (
                d.code.as_str(),
                d.path.as_str(),
                d.message.contains("production:RouterListener80"),
            )
        })
        .collect();
    assert_eq!(found, [("missing-export", "services.web", true)]);
    // the same app on a rack with port 80 builds
    let ok = load_with_rack("convox.yml", manifest, None, Some("RouterHost: apps.example.com\n"));
    assert!(convoxc_compiler::compile(&ok, &options).is_ok());
}

#[test]
fn rack_stack_problems_point_at_the_param() {
    let cases: &[(&str, &str)] = &[
        ("Private: Yes\n", "RouterHost"),
        ("RouterHost: Apps.Example.com\n", "RouterHost"),
        (
            "RouterHost: a.example.com\nRouterHostedZoneId: zone-1\n",
            "RouterHostedZoneId",
        ),
        (
            "RouterHost: a.example.com\nRouterCertificateArn: my-cert\n",
            "RouterCertificateArn",
        ),
        (
            "RouterHost: a.example.com\nScheduleRackScaleDown: 0 20 * * 1-5\n",
            "ScheduleRackScaleDown",
        ),
        (
            "RouterHost: a.example.com\nScheduleRackScaleDown: 0 20 * *\nScheduleRackScaleUp: 0 6 * * *\n",
            "ScheduleRackScaleDown",
        ),
        ("RouterHost: a.example.com\nExistingVpc: vpc-1\n", "InternetGateway"),
        (
            "RouterHost: a.example.com\nAvailabilityZones: us-east-1a\nMaxAvailabilityZones: 2\n",
            "AvailabilityZones",
        ),
        ("InternalOnly: Yes\n", "RouterInternalHost"),
    ];
    for (text, param) in cases {
        let l = load_rack("rack.yml", text);
        let errors = located(&l, Severity::Error);
        assert_eq!(errors.len(), 1, "{text}: {}", explain(&l));
        assert_eq!(errors[0].path, *param, "{text}");
        // at the param when it is given, else at the top of the file
        let line = text.lines().position(|x| x.starts_with(param)).map_or(1, |i| i + 1);
        assert_eq!(errors[0].line, line, "{text}");
    }
}

#[test]
fn params_convoxc_does_differently_are_warned_about() {
    let l = load_rack(
        "rack.yml",
        "RouterHost: a.example.com\nRouterHostedZoneId: Z0123456789ABC\nAutoscaleExtra: 2\nPlaceLambdaInVpc: Yes\nApiCount: 3\n",
    );
    let warned: Vec<String> = located(&l, Severity::Warning).into_iter().map(|d| d.path).collect();
    assert_eq!(warned, ["AutoscaleExtra", "PlaceLambdaInVpc", "ApiCount"]);
}

/// A router certificate validated by DNS with nothing to validate it through (no zone, no
/// certificate of one's own) keeps the rack stack waiting: said at the RouterHost line.
#[test]
fn a_router_certificate_without_a_zone_is_warned_about() {
    let cases = [
        ("RouterHost: a.example.com\n", true),
        ("RouterHost: a.example.com\nRouterHostedZoneId: Z0123456789ABC\n", false),
        (
            "RouterHost: a.example.com\nRouterCertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x\n",
            false,
        ),
    ];
    for (text, warned) in cases {
        let l = load_rack("rack.yml", text);
        let w: Vec<_> = located(&l, Severity::Warning)
            .into_iter()
            .filter(|d| d.message.contains("a.example.com") && d.message.contains("72 hours"))
            .collect();
        assert_eq!(w.len(), usize::from(warned), "{text}: {}", explain(&l));
        if warned {
            assert_eq!((w[0].path.as_str(), w[0].line), ("RouterHost", 1));
        }
    }
}

#[test]
fn exports_match_what_the_template_outputs() {
    for (name, path) in rack_cases() {
        let p = params(&read(&path));
        let t = rack_stack::build(&name, &p).unwrap();
        let outputs: std::collections::BTreeSet<String> = t.value()["Outputs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, o)| o.get("Export").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(outputs, rack_stack::exports(&p), "{name}");
    }
}

/// Every rack param is honoured (changing it changes the rack template), ignored with a warning,
/// or done differently with a warning: none is dropped silently.
#[test]
fn every_rack_param_is_honoured_or_warned_about() {
    use convoxc_compiler::front::rack_params::{DIFFERENT, IGNORED};
    use convoxc_compiler::ir::rack::{Kind, all};
    // params that only matter with others: (param, value, context)
    let special: &[(&str, &str, &str)] = &[
        ("Ami", "ami-0123456789abcdef0", ""),
        ("AvailabilityZones", "us-east-1a,us-east-1b,us-east-1c", ""),
        ("DefaultAmi", "/my/ami", ""),
        ("DefaultAmiArm", "/my/arm-ami", "InstanceType: t4g.small\n"),
        ("EcsContainerStopTimeout", "60s", ""),
        ("ExistingVpc", "vpc-1", "InternetGateway: igw-1\n"),
        ("InternetGateway", "igw-2", "ExistingVpc: vpc-1\n"), // baseline igw-1 (below)
        ("HttpProxy", "http://proxy:3128", ""),
        ("InstanceBootCommand", "echo boot", ""),
        ("InstanceRunCommand", "echo run", ""),
        ("InstanceType", "t3.large", ""),
        ("InstancePolicy", "arn:aws:iam::123456789012:policy/x", ""),
        ("InstanceSecurityGroup", "sg-1", ""),
        ("InternalRouterSuffix", "-x", "Internal: Yes\n"),
        ("Key", "ops", ""),
        ("LogBucket", "my-logs", ""),
        ("LogRetention", "30", ""),
        ("NLBAllowCIDR", "10.9.0.0/16", "NLB: Yes\n"),
        (
            "NLBInternalAllowCIDR",
            "10.9.0.0/16",
            "Internal: Yes\nNLBInternal: Yes\n",
        ),
        ("NoHaInstanceCount", "2", "HighAvailability: false\n"),
        ("OnDemandMinCount", "2", "SpotInstanceBid: 0.05\n"),
        ("RouterInternalSecurityGroup", "sg-2", "Internal: Yes\n"),
        ("RouterSecurityGroup", "sg-3", ""),
        (
            "ScheduleRackScaleDown",
            "0 20 * * *",
            "ScheduleRackScaleUp: 0 6 * * *\n",
        ),
        (
            "ScheduleRackScaleUp",
            "0 7 * * *",
            "ScheduleRackScaleDown: 0 20 * * *\n",
        ),
        ("SpotFleetAllowedInstanceTypes", "m5.large", "SpotInstanceBid: 0.05\n"),
        ("SpotFleetExcludedInstanceTypes", "m5.large", "SpotInstanceBid: 0.05\n"),
        ("SpotFleetAllocationStrategy", "diversified", "SpotInstanceBid: 0.05\n"),
        ("SpotFleetMaxPrice", "0.07", ""),
        (
            "SpotFleetMinMemoryMiB",
            "2048",
            "SpotInstanceBid: 0.05\nSpotFleetAllowedInstanceTypes: m5.large\n",
        ),
        (
            "SpotFleetMinVcpuCount",
            "4",
            "SpotInstanceBid: 0.05\nSpotFleetAllowedInstanceTypes: m5.large\n",
        ),
        ("SpotInstanceBid", "0.05", ""),
        ("SslPolicy", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", ""),
        ("SubnetPrivate0CIDR", "10.0.14.0/24", "Private: Yes\n"),
        ("SubnetPrivate1CIDR", "10.0.15.0/24", "Private: Yes\n"),
        ("SubnetPrivate2CIDR", "10.0.16.0/24", "Private: Yes\n"),
        ("NLBCrossZone", "Yes", "NLB: Yes\n"),
        ("NLBDeletionProtection", "Yes", "NLB: Yes\n"),
        ("NLBPreserveClientIP", "Yes", "NLB: Yes\n"),
        ("NLBInternal", "Yes", "Internal: Yes\n"),
        ("NLBInternalCrossZone", "Yes", "Internal: Yes\nNLBInternal: Yes\n"),
        (
            "NLBInternalDeletionProtection",
            "Yes",
            "Internal: Yes\nNLBInternal: Yes\n",
        ),
        (
            "NLBInternalPreserveClientIP",
            "Yes",
            "Internal: Yes\nNLBInternal: Yes\n",
        ),
        ("InternalOnly", "Yes", "RouterInternalHost: int.example.com\n"),
        ("RouterInternalHost", "int.example.com", "Internal: Yes\n"),
        ("RouterHostedZoneId", "Z0123456789ABCDEFGHIJ", ""),
        (
            "RouterCertificateArn",
            "arn:aws:acm:us-east-1:123456789012:certificate/x",
            "",
        ),
        (
            "RouterInternalCertificateArn",
            "arn:aws:acm:us-east-1:123456789012:certificate/y",
            "Internal: Yes\n",
        ),
        ("Tenancy", "dedicated", ""),
        ("CpuCredits", "unlimited", ""),
        // convoxc's secure defaults (`SECURE_DEFAULTS`): convox's values are the other ones
        ("IMDSHttpTokens", "optional", ""),
        ("EnableSharedEFSVolumeEncryption", "false", ""),
        ("EnableS3Versioning", "Suspended", ""),
        ("LoadBalancerAccessLogs", "No", ""),
    ];
    let base = "RouterHost: apps.example.com\n";
    let mut honoured = 0;
    for spec in all() {
        let name = spec.name;
        if name == "RouterHost" {
            continue; // required: every case has it
        }
        let ignored = IGNORED.contains(&name) || DIFFERENT.iter().any(|(n, _)| *n == name);
        let (value, context) = match special.iter().find(|(n, _, _)| *n == name) {
            Some((_, v, c)) => (v.to_string(), *c),
            None if !spec.allowed.is_empty() => {
                let other = spec.allowed.iter().find(|a| Some(**a) != spec.default && !a.is_empty());
                (other.expect("another allowed value").to_string(), "")
            }
            None if spec.kind == Kind::Number => {
                let d: i64 = spec.default.unwrap_or("0").parse().unwrap();
                let v = if spec.max.is_some_and(|m| d + 1 > m) {
                    d - 1
                } else {
                    d + 1
                };
                (v.to_string(), "")
            }
            None if name.ends_with("CIDR") => ("10.0.77.0/24".to_string(), ""),
            None => ("something".to_string(), ""),
        };
        // params that cannot be left out once their context is set: a baseline value
        let baseline = match name {
            "InternetGateway" => Some("igw-1"),
            "ScheduleRackScaleDown" => Some("0 21 * * *"),
            "ScheduleRackScaleUp" => Some("0 5 * * *"),
            _ => None,
        };
        let before = format!("{base}{context}");
        let after = format!("{before}{name}: {value:?}\n");
        let before = match baseline {
            Some(b) => format!("{before}{name}: {b:?}\n"),
            None => before,
        };
        let l = load_rack("rack.yml", &after);
        let warned = located(&l, Severity::Warning).iter().any(|d| d.path == name);
        if ignored {
            assert!(warned, "{name} is ignored without a warning: {}", explain(&l));
            continue;
        }
        assert!(!l.has_errors(), "{name}={value}: {}", explain(&l));
        assert!(!warned, "{name} is honoured but warned about");
        let t0 = rack_stack::build("r", &params(&before)).unwrap();
        let t1 = rack_stack::build("r", &l.rack.unwrap()).unwrap();
        assert_ne!(t0.text, t1.text, "{name}={value} does not change the rack template");
        honoured += 1;
    }
    eprintln!("{honoured} params honoured");
    assert!(honoured > 60);
}

#[test]
fn rack_owned_app_params_come_from_the_rack_params() {
    let manifest = "params:\n  LogDriver: Syslog\nservices:\n  web:\n    port: 3000\n";
    let rack = "RouterHost: apps.example.com\nPrivate: Yes\nSyslogDestination: tcp+tls://logs.example.com:1234\n";
    let l = load_with_rack("convox.yml", manifest, None, Some(rack));
    assert!(!l.has_errors(), "{}", explain(&l));
    let options = convoxc_compiler::back::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        env_names: Default::default(),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    let (bundle, _) = convoxc_compiler::compile(&l, &options).unwrap();
    let p = &bundle.app.value()["Parameters"];
    assert_eq!(p["Private"]["Default"], "Yes");
    assert_eq!(p["SyslogDestination"]["Default"], "tcp+tls://logs.example.com:1234");
    // the rack's LogDriver (CloudWatch, its default) wins over the manifest's, as on a convox rack
    assert_eq!(p["LogDriver"]["Default"], "CloudWatch");
    // and the rack stack outputs them for the applier
    let t = rack_stack::build("production", l.rack.as_ref().unwrap()).unwrap();
    assert_eq!(t.value()["Outputs"]["AppParamPrivate"]["Value"], "Yes");
}

#[test]
fn rack_resources_import_only_rack_exports() {
    let exports = rack_stack::exports(&params("RouterHost: apps.example.com\nPrivate: Yes\n"));
    let mut seen = 0;
    for entry in std::fs::read_dir(repo().join("golden/rack-resources")).unwrap() {
        let text = read(&entry.unwrap().path());
        for part in text.split("${Rack}:").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(
                exports.contains(&name),
                "a rack resource imports {name}, which the rack does not export"
            );
            seen += 1;
        }
    }
    assert!(seen > 20, "{seen} imports");
}
