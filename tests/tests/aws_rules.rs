//! What AWS refuses at create time, beyond what cfn-lint sees: every value a parent stack passes
//! a nested stack meets the child's declared constraints, over every bundle we have (golden
//! cases, the accepted corpus, the takeover manifests, a very large app), and a manifest value
//! that breaks one is reported at its line.

use convoxc_compiler::back::constraints::violations;
use convoxc_tests::*;

/// Every manifest with a bundle: (name, path, env).
fn every_manifest() -> Vec<Manifest> {
    let mut out: Vec<_> = golden_cases()
        .into_iter()
        .map(|c| (format!("golden {}", c.name), c.path, c.vars))
        .collect();
    for (name, path, vars) in corpus_manifests() {
        out.push((format!("corpus {name}"), path, vars));
    }
    let mut cases: Vec<_> = std::fs::read_dir(shared().join("takeover/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for case in cases {
        let (manifest, vars) = takeover_case(&case);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        out.push((format!("takeover {name}"), manifest, vars));
    }
    out
}

#[test]
fn nested_parameters_hold_over_every_bundle() {
    let (mut bundles, mut refused) = (0, 0);
    let mut problems = Vec::new();
    for (name, path, vars) in every_manifest() {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if load_interpolated(&path, &pairs).has_errors() {
            refused += 1; // each listed with its reason in corpus.rs or diff.rs
            continue;
        }
        bundles += 1;
        for v in violations(&build_path(&path, &vars)) {
            problems.push(format!(
                "{name}: {} {} = {:?}: {}",
                v.stack, v.parameter, v.value, v.rule
            ));
        }
    }
    eprintln!("{bundles} bundles checked, {refused} manifests refused before building");
    assert!(bundles > 200, "{bundles} bundles");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A value the front end lets through and a nested stack refuses is a `nested-parameter` error at
/// the manifest line it comes from: here the IR is changed after loading (as a front-end gap
/// would leave it) to a backup retention above the resource template's MaxValue. (Not the
/// storage: its MinValue follows the manifest's size below 20 GiB, which only a database that
/// exists may keep — `diff::refusals`.)
#[test]
fn a_refused_nested_value_is_reported_at_its_line() {
    let text = "resources:\n  db:\n    type: postgres\n    options:\n      backupRetentionPeriod: 30\nservices:\n  web:\n    port: 3000\n    resources: [db]\n";
    let l = load_text("convox.yml", text, None);
    assert!(!l.has_errors(), "{}", explain(&l));
    let mut app = l.app.clone().unwrap();
    app.resources[0]
        .options
        .insert("BackupRetentionPeriod".into(), "40".into());
    let options = convoxc_compiler::back::BuildOptions {
        app: "myapp".into(),
        rack: Some("production".into()),
        ..Default::default()
    };
    let bundle = convoxc_compiler::back::build(&app, &options).unwrap();
    let at = l.locations.as_ref().unwrap();
    let diags = convoxc_compiler::back::check(&bundle, &app, None, &options, at);
    let nested: Vec<_> = diags.iter().filter(|d| d.code.as_str() == "nested-parameter").collect();
    assert_eq!(nested.len(), 1, "{diags:?}");
    assert!(nested[0].message.contains("BackupRetentionPeriod") && nested[0].message.contains("MaxValue 35"));
    let line = text[..nested[0].span.start].lines().count();
    assert_eq!(line, 5, "at `backupRetentionPeriod: 30`");
    // as built from the manifest, nothing is refused
    let fine = convoxc_compiler::back::build(l.app.as_ref().unwrap(), &options).unwrap();
    assert!(violations(&fine).is_empty());
}

/// The table of AWS rules (`data/aws-rules.tsv`): for each rule, its service, resource type and
/// property, how it is enforced (error, warning, template, out-of-reach), the diagnostic code,
/// a case that triggers it (a manifest, `manifest || rack params`, `rack:` params, `rack-stack:`
/// params for `rack build`, `test:` a unit test by name, `golden:` a snapshot and the text it
/// holds) or, out of reach, why; the documentation page and the rule's words.
struct Rule {
    service: String,
    enforced: String,
    code: String,
    case: String,
    source: String,
}

fn rules() -> Vec<Rule> {
    let text = read(&repo().join("tests/tests/data/aws-rules.tsv"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "service\tresource_type\tproperty\trule\tenforced\tcode\tcase\tsource\twords"
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 9, "{l}");
            assert!(c.iter().all(|x| !x.is_empty()), "an empty column: {l}");
            Rule {
                service: c[0].into(),
                enforced: c[4].into(),
                code: c[5].into(),
                case: c[6].replace("\\n", "\n"),
                source: c[7].into(),
            }
        })
        .collect()
}

/// The diagnostics of a manifest (and rack params) through load, build and the bundle's checks,
/// as `convoxc build --app myapp --rack production` gives them.
fn diagnostics_of(manifest: &str, rack: Option<&str>) -> Vec<convoxc_compiler::Diagnostic> {
    let l = load_with_rack("convox.yml", manifest, None, rack);
    let mut out = l.diagnostics.clone();
    if let (Some(app), Some(at)) = (&l.app, &l.locations) {
        let options = convoxc_compiler::back::BuildOptions {
            app: "myapp".into(),
            rack: Some("production".into()),
            ..Default::default()
        };
        let bundle = convoxc_compiler::back::build(app, &options).unwrap();
        out.extend(convoxc_compiler::back::check(
            &bundle,
            app,
            l.rack.as_ref(),
            &options,
            at,
        ));
    }
    out
}

fn source_has_test(name: &str) -> bool {
    let mut todo = vec![repo().join("compiler/src"), repo().join("tests/tests")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && read(&p).contains(&format!("fn {name}()")) {
                return true;
            }
        }
    }
    false
}

#[test]
fn the_rule_table_holds_against_the_compiler() {
    use convoxc_compiler::diagnostic::{Code, Severity};
    let rules = rules();
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    let mut failures = Vec::new();
    for r in &rules {
        *counts.entry((r.service.as_str(), r.enforced.as_str())).or_default() += 1;
        assert!(r.source.starts_with("https://docs.aws.amazon.com/"), "{}", r.source);
        let severity = match r.enforced.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "template" => {
                // built into the template: a unit test holds it, or a golden snapshot shows it
                if let Some(name) = r.case.strip_prefix("test:") {
                    assert!(source_has_test(name), "no test {name}");
                    continue;
                }
                let (path, text) = r.case.strip_prefix("golden:").and_then(|c| c.split_once('#')).unwrap();
                assert!(read(&repo().join(path)).contains(text), "{path} lacks {text}");
                continue;
            }
            "out-of-reach" => {
                assert!(r.case.len() > 20, "say why it is out of reach: {}", r.case);
                continue;
            }
            other => panic!("enforced is error, warning, template or out-of-reach, not {other}"),
        };
        let code = Code::ALL
            .iter()
            .find(|c| c.as_str() == r.code)
            .unwrap_or_else(|| panic!("no diagnostic code {}", r.code));
        let diags = if let Some(name) = r.case.strip_prefix("test:") {
            assert!(source_has_test(name), "no test {name}");
            continue;
        } else if let Some(params) = r.case.strip_prefix("rack:") {
            load_with_rack("convox.yml", "", None, Some(params)).diagnostics
        } else if let Some(params) = r.case.strip_prefix("rack-stack:") {
            let mut l = load_with_rack("convox.yml", "", None, Some(params));
            l.check_rack_stack();
            l.diagnostics
        } else {
            match r.case.split_once(" || ") {
                Some((manifest, rack)) => diagnostics_of(manifest, Some(rack)),
                None => diagnostics_of(&r.case, None),
            }
        };
        if !diags.iter().any(|d| d.code == *code && d.severity == severity) {
            failures.push(format!(
                "{} {:?} not triggered by:\n{}\ngot: {:?}",
                r.code,
                severity,
                r.case,
                diags
                    .iter()
                    .map(|d| format!("{} {}", d.code, d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    eprintln!("{} rules:", rules.len());
    for ((service, how), n) in &counts {
        eprintln!("  {service}: {n} {how}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Writes every golden bundle resolved (`write_resolved_bundle`) under `$CONVOXC_RESOLVED_OUT`,
/// to run cfn-lint on by hand (`cfn_lint.rs` runs it over these and the corpus in CI).
#[test]
#[ignore = "writes files for a manual cfn-lint run"]
fn write_resolved_golden_bundles() {
    let out = std::path::PathBuf::from(std::env::var("CONVOXC_RESOLVED_OUT").expect("CONVOXC_RESOLVED_OUT"));
    for case in golden_cases() {
        write_resolved_bundle(&build_path(&case.path, &case.vars), &out.join(&case.name));
    }
}

/// Tags past what AWS takes (50 a resource, with the up to 6 that convoxc and the rack set) are
/// an error at the manifest's `tags:`, each at its line; 44 of the manifest's own are fine.
#[test]
fn tags_past_aws_limits_are_refused() {
    let manifest = |n: usize| {
        let tags: String = (0..n).map(|i| format!("      t{i}: v\n")).collect();
        format!("services:\n  web:\n    port: 3000\n    tags:\n{tags}")
    };
    let limit = |d: &[convoxc_compiler::Diagnostic]| d.iter().filter(|d| d.code.as_str() == "limit").count();
    assert_eq!(limit(&diagnostics_of(&manifest(44), None)), 0);
    let d = diagnostics_of(&manifest(45), None);
    assert_eq!(limit(&d), 1, "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("at most 50 tags per resource")));
}
