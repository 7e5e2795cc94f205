//! `convoxc diff`'s engine: the golden pairs of `golden/diff/` (each class, in all three formats,
//! the JSON against its published schema), the replacement truth table from CloudFormation's
//! resource reference, and the takeover preview of every convox-made bundle in `../shared/takeover`.

use convoxc_compiler::diff::{self, Class, Gate, Replacement, Report, Stack, render, side};
use convoxc_tests::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn build_side(path: &Path) -> Stack {
    side::from_bundle(&build_path(path, &[]))
}

fn diff_case(dir: &Path) -> Report {
    diff::compare(
        Some(&build_side(&dir.join("before.yml"))),
        Some(&build_side(&dir.join("after.yml"))),
    )
}

fn schema() -> jsonschema::Validator {
    let text = read(&repo().join("schema/diff.schema.json"));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// What each golden pair must show, besides its snapshots: the gates it trips and a resource
/// change it holds (stack label, logical ID, class).
type Expected = (
    &'static str,
    &'static [Gate],
    Option<(&'static str, &'static str, Class)>,
);

const EXPECTED: &[Expected] = &[
    (
        "cache-encrypted",
        &[Gate::Any, Gate::Replace, Gate::Destroy, Gate::Broaden],
        Some(("resource cache", "ReplicationGroup", Class::Destroy)),
    ),
    (
        "database-encrypted",
        &[Gate::Any, Gate::Replace, Gate::Destroy, Gate::Fail],
        Some(("resource database", "Instance", Class::Fail)),
    ),
    (
        "database-removed",
        &[Gate::Any, Gate::Destroy],
        Some(("app", "ResourceDatabase", Class::Destroy)),
    ),
    (
        "database-storage",
        &[Gate::Any],
        Some(("resource database", "Instance", Class::Update)),
    ),
    (
        "domain-changed",
        &[Gate::Any, Gate::Replace],
        Some(("app", "BalancerWebCertificate", Class::Replace)),
    ),
    ("env-added", &[Gate::Any], Some(("service web", "Tasks", Class::Benign))),
    ("no-change", &[], None),
    ("policy-added", &[Gate::Any, Gate::Broaden], None),
    (
        "scale-count",
        &[Gate::Any],
        Some(("service web", "Service", Class::Update)),
    ),
    ("service-added", &[Gate::Any], Some(("app", "ServiceWeb", Class::Add))),
    (
        "service-port",
        &[Gate::Any, Gate::Replace],
        Some(("service web", "BalancerTargetGroup", Class::Replace)),
    ),
    (
        "timer-removed",
        &[Gate::Any],
        Some(("app", "TimerCleanup", Class::Remove)),
    ),
];

const GATES: [Gate; 5] = [Gate::Any, Gate::Replace, Gate::Destroy, Gate::Fail, Gate::Broaden];

#[test]
fn golden_diffs() {
    let root = repo().join("golden/diff");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("before.yml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(cases, listed, "every golden/diff case has its expectations here");
    let validator = schema();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, gates, change) in EXPECTED {
            let report = diff_case(&root.join(name));
            for gate in GATES {
                assert_eq!(
                    report.trips(gate),
                    gates.contains(&gate),
                    "{name}: {gate:?}\n{}",
                    render::text(&report, false)
                );
            }
            if let Some((stack, id, class)) = change {
                let found = report
                    .stacks
                    .iter()
                    .filter(|s| s.label == *stack)
                    .flat_map(|s| &s.resources)
                    .find(|r| r.logical_id == *id)
                    .unwrap_or_else(|| panic!("{name}: no {id} in {stack}\n{}", render::text(&report, false)));
                assert_eq!(found.class, *class, "{name}: {id}\n{}", render::text(&report, false));
            }
            let json_text = render::json(&report);
            let value: Value = serde_json::from_str(&json_text).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}: the JSON breaks the schema: {errors:#?}");
            insta::assert_snapshot!(format!("{name}.txt"), render::text(&report, false));
            insta::assert_snapshot!(format!("{name}.md"), render::markdown(&report, render::MARKDOWN_LIMIT));
            insta::assert_snapshot!(format!("{name}.json"), json_text);
        }
    });
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let report = diff_case(&repo().join("golden/diff/database-encrypted"));
    let full = render::markdown(&report, render::MARKDOWN_LIMIT);
    let limit = full.len() - 50;
    let folded = render::markdown(&report, limit);
    assert!(folded.len() <= limit, "{} > {limit}", folded.len());
    assert!(folded.contains("left out to stay under"), "{folded}");
    // the most serious change is still in the summary table
    assert!(folded.contains("WILL FAIL"), "{folded}");
}

/// One row of `data/replacement-truth.tsv`: a property of a type and what CloudFormation's
/// resource reference says a change of it requires.
struct Row {
    resource_type: String,
    property: String,
    docs: String,
    schema: String,
    source: String,
}

fn truth_table() -> Vec<Row> {
    let text = read(&repo().join("tests/tests/data/replacement-truth.tsv"));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                resource_type: f[0].into(),
                property: f[1].into(),
                docs: f[2].into(),
                schema: f[3].into(),
                source: f[4].into(),
            }
        })
        .collect()
}

/// The engine's verdict for a change of one property from "a" to "b".
fn predicted(resource_type: &str, property: &str) -> Replacement {
    let stack = |v: &str| Stack {
        template: json!({"Resources": {"R": {"Type": resource_type, "Properties": {property: v}}}}).into(),
        ..Stack::default()
    };
    let report = diff::compare(Some(&stack("a")), Some(&stack("b")));
    report
        .resources()
        .find(|r| r.logical_id == "R")
        .map_or(Replacement::No, |r| r.replacement)
}

#[test]
fn replacement_truth_table() {
    let rows = truth_table();
    let agreeing: Vec<&Row> = rows.iter().filter(|r| docs_schema_agree(r)).collect();
    assert!(
        agreeing.len() >= 40,
        "{} rows where the reference and the schemas agree",
        agreeing.len()
    );
    let mut wrong = Vec::new();
    for row in &rows {
        let want = if docs_schema_agree(row) {
            match row.docs.as_str() {
                "replacement" => Replacement::Yes,
                "conditional" => Replacement::Maybe,
                _ => Replacement::No,
            }
        } else {
            // where the 2023 reference and the newer provider schemas disagree, the engine
            // follows the schemas (what CloudFormation runs on); the table keeps both
            match row.schema.as_str() {
                "createOnly" => Replacement::Yes,
                "conditional" => Replacement::Maybe,
                _ => Replacement::No,
            }
        };
        let got = predicted(&row.resource_type, &row.property);
        if got != want {
            wrong.push(format!(
                "{} {}: {:?}, the table says {want:?} ({})",
                row.resource_type, row.property, got, row.source
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} rows:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

fn docs_schema_agree(r: &Row) -> bool {
    matches!(
        (r.docs.as_str(), r.schema.as_str()),
        ("replacement", "createOnly") | ("conditional", "conditional") | ("no-interruption" | "some-interruption", "-")
    )
}

/// A case of `../shared/takeover/cases`: the convox-made bundle as the deployed side, and
/// `convoxc build` of the same manifest (app myapp, rack production, the case's env).
fn takeover_report(case: &Path) -> Report {
    let (manifest, vars) = takeover_case(case);
    let (old, new) = takeover_sides(case, &manifest, &vars, Vec::new());
    diff::compare(Some(&old), Some(&new))
}

/// Takeover cases whose manifest AWS refuses (convox passed the value on; CloudFormation's create
/// of the resource fails, so no such stack can exist to take over): the error convoxc gives
/// instead of a bundle, as `code@line`.
/// (None now: corpus 002's postgres with `storage: 10` is a database that exists with 10 GiB, which
/// RDS keeps; a warning offline, and refused only for a database that does not exist yet.)
const REFUSED_BY_AWS: &[(&str, &str, &str)] = &[];

/// The takeover cases, without those AWS refuses (each checked to be refused for its reason).
fn takeover_cases() -> Vec<std::path::PathBuf> {
    let root = shared().join("takeover/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 90, "{} takeover cases", cases.len());
    cases.retain(|case| {
        let name = case.file_name().unwrap().to_string_lossy();
        let Some((_, expected, _)) = REFUSED_BY_AWS.iter().find(|(n, ..)| *n == name) else {
            return true;
        };
        let (manifest, vars) = takeover_case(case);
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let l = load_interpolated(&manifest, &pairs);
        assert_eq!(error_summary(&l), [*expected], "{name}");
        false
    });
    cases
}

/// The convox-made side of a case and `convoxc build` of its manifest, keeping `keep`.
fn takeover_sides(
    case: &Path,
    manifest: &Path,
    vars: &[(String, String)],
    keep: Vec<convoxc_compiler::back::Keep>,
) -> (Stack, Stack) {
    let new = side::from_bundle(&build_path_keeping(manifest, vars, keep));
    let mut files = BTreeMap::new();
    let mut todo = vec![case.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.insert(p.strip_prefix(case).unwrap().to_string_lossy().into_owned(), read(&p));
            }
        }
    }
    let old = side::from_files(&files).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    (old, new)
}

#[test]
fn takeover_preview() {
    let cases = takeover_cases();
    // without the deployed values (a plain build): nothing refused, no data lost, and what is
    // replaced is one of these, which the deployed values keep (the test after this one)
    const STILL_REPLACED: &[(&str, &str)] = &[
        (
            "AWS::CertificateManager::Certificate",
            "convoxc validates by DNS, without convox's subject alternative names: a new certificate, validated before the old one goes",
        ),
        (
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "convoxc names its policies `<stack>-<policy>`: the policy is recreated at once, the service keeps scaling",
        ),
    ];
    // convoxc encrypts new databases, caches and file systems: a plain build would replace the
    // unencrypted ones convox made, which every command that knows the deployed stack keeps as
    // they are (the test after this one)
    const ENCRYPTED_BY_DEFAULT: &[&str] = &[
        "AWS::RDS::DBInstance",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::EFS::FileSystem",
    ];
    let mut lines = Vec::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        let report = takeover_report(case);
        let mut encryption: Vec<(String, String)> = Vec::new();
        for s in &report.stacks {
            // replaced for their encryption, and what refers to them (an access point, its file system)
            let by_default: Vec<&str> = s
                .resources
                .iter()
                .filter(|r| {
                    ENCRYPTED_BY_DEFAULT.contains(&r.resource_type.as_str())
                        && r.reasons.iter().any(|why| {
                            [
                                "StorageEncrypted",
                                "AtRestEncryptionEnabled",
                                "Encrypted",
                                "DBParameterGroupName",
                                "AuthToken",
                            ]
                            .iter()
                            .any(|p| why.contains(p))
                        })
                })
                .map(|r| r.logical_id.as_str())
                .collect();
            for r in s.resources.iter().filter(|r| r.class >= Class::Replace) {
                let follows = by_default.contains(&r.logical_id.as_str())
                    || r.reasons.iter().any(|why| {
                        by_default
                            .iter()
                            .any(|id| why.starts_with(&format!("{id} is replaced and a create-only property")))
                    });
                if follows {
                    encryption.push((s.label.clone(), r.logical_id.clone()));
                }
                assert!(
                    STILL_REPLACED.iter().any(|(t, _)| *t == r.resource_type) || follows,
                    "{}: {} {} is replaced, and is not one of the known remaining replacements",
                    case.display(),
                    r.resource_type,
                    r.logical_id
                );
            }
        }
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        // the worst outcome of the first apply over the convox-made stacks, leaving out the
        // encryption that the deployed values keep (listed after it)
        let rest: Vec<&convoxc_compiler::diff::ResourceChange> = report
            .stacks
            .iter()
            .flat_map(|s| {
                let encryption = &encryption;
                s.resources
                    .iter()
                    .filter(move |r| !encryption.contains(&(s.label.clone(), r.logical_id.clone())))
            })
            .collect();
        let worst = rest.iter().map(|r| r.class).max();
        let outcome = match worst {
            Some(Class::Fail) => "refused",
            _ if rest.iter().any(|r| r.destroys_data) => "destroys data",
            _ if rest.iter().any(|r| r.class >= Class::Replace) => "replaces",
            _ if report.resources().any(|r| r.class == Class::Benign) => "only task definitions replaced",
            Some(_) => "updates in place",
            None => "no change",
        };
        *totals.entry(outcome).or_default() += 1;
        let mut what: Vec<String> = report
            .resources()
            .filter(|r| r.class >= Class::Replace)
            .map(|r| {
                let kept = if encryption.iter().any(|(_, id)| *id == r.logical_id) {
                    " (encryption: kept as deployed)"
                } else {
                    ""
                };
                format!(
                    "{} {} {}{kept}",
                    r.class.as_str(),
                    r.resource_type.trim_start_matches("AWS::"),
                    r.logical_id
                )
            })
            .collect();
        what.sort();
        what.dedup();
        lines.push(format!(
            "{name}: {outcome}{}{}",
            if what.is_empty() { "" } else { ": " },
            what.join(", ")
        ));
    }
    assert!(
        !totals.contains_key("refused") && !totals.contains_key("destroys data"),
        "{totals:?}\n{}",
        lines.join("\n")
    );
    let summary = totals
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("golden/diff/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!("takeover-preview", format!("{summary}\n\n{}\n", lines.join("\n")));
    });
}

/// The deployed value wins (`build --deployed`): with what the first diff says to keep, the
/// rebuilt bundle replaces nothing of any convox-made app but task definitions.
#[test]
fn takeover_keeping_the_deployed_values_replaces_nothing() {
    let cases = takeover_cases();
    let (mut kept, mut unencrypted, mut node_types) = (0, 0, 0);
    for case in &cases {
        let (manifest, vars) = takeover_case(case);
        let (old, new) = takeover_sides(case, &manifest, &vars, Vec::new());
        let keep = diff::keeps(&diff::compare(Some(&old), Some(&new)));
        kept += keep.len();
        // convox's unencrypted databases, caches and file systems (convoxc encrypts new ones)
        unencrypted += keep
            .iter()
            .filter(|k| {
                [
                    "/Properties/StorageEncrypted",
                    "/Properties/AtRestEncryptionEnabled",
                    "/Properties/Encrypted",
                ]
                .contains(&k.pointer.as_str())
            })
            .count();
        // convox's caches on cache.t2.micro, which ElastiCache no longer creates (convoxc gives a
        // new cache cache.t3.micro): kept on their node type, not moved
        node_types += keep.iter().filter(|k| k.pointer == "/Properties/CacheNodeType").count();
        let (old, new) = takeover_sides(case, &manifest, &vars, keep);
        let report = diff::compare(Some(&old), Some(&new));
        let moved: Vec<&str> = report
            .resources()
            .filter(|r| r.properties.iter().any(|p| p.edit.path.contains("CacheNodeType")))
            .map(|r| r.logical_id.as_str())
            .collect();
        assert!(moved.is_empty(), "{}: node types change: {moved:?}", case.display());
        let replaced: Vec<String> = report
            .resources()
            .filter(|r| r.class >= Class::Replace)
            .map(|r| format!("{} {}", r.resource_type, r.logical_id))
            .collect();
        assert!(
            replaced.is_empty(),
            "{}: {replaced:?}\n{}",
            case.display(),
            render::text(&report, false)
        );
    }
    // the certificates and scaling policies of the preview, and the unencrypted data stores
    assert!(kept >= 20, "{kept} values kept");
    assert!(
        unencrypted >= 10,
        "{unencrypted} unencrypted data stores kept as they are"
    );
    // the four caches of the takeover that name no class (corpus 024, 092, 107, 115)
    assert!(node_types >= 4, "{node_types} cache node types kept as deployed");
}
