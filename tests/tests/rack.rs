//! The rack stack: golden templates for golden/racks/*.yml (insta snapshots in
//! golden/racks/snapshots), cfn-lint over them, and the cross-stack check that every export a
//! golden app bundle imports is one the rack makes under the params that app needs.

use convoxc_compiler::backend::imports::imports;
use convoxc_compiler::ir::{App, NlbScheme};
use convoxc_compiler::rack::RackParams;
use convoxc_compiler::rack::stack;
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
            let t = stack::build(name, &p).unwrap();
            assert_eq!(t, stack::build(name, &p).unwrap(), "{name}: not deterministic");
            insta::assert_snapshot!(format!("{name}.json"), t.text);
        }
    });
}

#[test]
fn golden_racks_pass_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, path) in rack_cases() {
        let t = stack::build(&name, &params(&read(&path))).unwrap();
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
        let exports = stack::exports(&params(&rack_for(app)));
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
    let options = convoxc_compiler::backend::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        env_names: Default::default(),
    };
    let diags = convoxc_compiler::backend::compile(&l, &options).expect_err("a missing export is an error");
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
    assert!(convoxc_compiler::backend::compile(&ok, &options).is_ok());
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
        "RouterHost: a.example.com\nAutoscaleExtra: 2\nPlaceLambdaInVpc: Yes\nApiCount: 3\n",
    );
    let warned: Vec<String> = located(&l, Severity::Warning).into_iter().map(|d| d.path).collect();
    assert_eq!(warned, ["AutoscaleExtra", "PlaceLambdaInVpc", "ApiCount"]);
}

#[test]
fn exports_match_what_the_template_outputs() {
    for (name, path) in rack_cases() {
        let p = params(&read(&path));
        let t = stack::build(&name, &p).unwrap();
        let outputs: std::collections::BTreeSet<String> = t.value["Outputs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, o)| o.get("Export").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(outputs, stack::exports(&p), "{name}");
    }
}
