//! The 150 real-world convox.yml files of shared/corpus/real-world: each is accepted, or rejected
//! for a true problem in that file, listed below with the reason and the exact errors (code and
//! line). The IR of every accepted file is deterministic.

use convoxc_tests::*;
use std::collections::BTreeMap;

/// The rejected files: why, and the errors (`code@line`).
const REJECTED: &[(&str, &str, &[&str])] = &[
    (
        "007-atex-ci-romeo-actions.yml",
        "`health.internal` (meant interval), so timeout 10 is not below the default interval 5",
        &["unknown-key@8", "health@10"],
    ),
    (
        "036-convox-examples-llm-gpu-api.yml",
        "health timeout 60 is not below interval 30: the target group is rejected",
        &["health@26"],
    ),
    (
        "042-convox-examples-nodejs-multi-port.yml",
        "health timeout 30 is not below interval 15",
        &["health@18"],
    ),
    (
        "053-convox-convox.yml",
        "convox v3 `name:ENV` resource aliases: a v2 rack injects nothing for them",
        &[
            "unknown-reference@25",
            "unknown-reference@26",
            "unknown-reference@27",
            "unknown-reference@28",
            "unknown-reference@29",
            "unknown-reference@31",
        ],
    ),
    (
        "060-convox-praxis.yml",
        "praxis-era manifest (workflows)",
        &["praxis-format@20"],
    ),
    (
        "061-convox-praxis.yml",
        "praxis-era manifest (buckets)",
        &["praxis-format@8"],
    ),
    (
        "063-convox-praxis.yml",
        "praxis-era manifest (balancers 6443/https)",
        &["praxis-format@1"],
    ),
    (
        "064-convox-praxis-docs.yml",
        "praxis-era manifest (workflows)",
        &["praxis-format@12"],
    ),
    (
        "065-convox-praxis-site.yml",
        "praxis-era manifest (workflows)",
        &["praxis-format@7"],
    ),
    (
        "080-DocSpring-rack-gateway.yml",
        "`- RGW_DATABASE_URL=${ADMIN_DATABASE_URL}`: the database URL (its password) would be compiled into the template",
        &["secret-in-template@58"],
    ),
    (
        "083-Emalitownke1-Test-beltah3.yml",
        "`plan:` on a resource is not a key (silently ignored by convox)",
        &["unknown-key@53"],
    ),
    (
        "093-ianmalott-constable.yml",
        "praxis-era manifest (balancers 80/http)",
        &["praxis-format@1"],
    ),
    (
        "116-TimeZHero-laravel-production-ready.yml",
        "postgres storage 2 GB: below what RDS ever allocated (5 GiB, magnetic; 20 GiB of gp2 for a new database)",
        &["resource-option@5"],
    ),
    (
        "126-waybetterdev-convox-scripts.yml",
        "`memory:` directly on a service (belongs under scale)",
        &["unknown-key@148"],
    ),
    (
        "127-waybetterdev-convox-scripts.yml",
        "`memory:` directly on a service (belongs under scale)",
        &["unknown-key@9"],
    ),
    (
        "130-waybetterdev-convox-scripts.yml",
        "`memory:` directly on a service (belongs under scale)",
        &["unknown-key@111"],
    ),
    (
        "131-waybetterdev-convox-scripts.yml",
        "`memory:` directly on a service (belongs under scale)",
        &["unknown-key@127"],
    ),
    (
        "137-bitzesty-notifications-api.yml",
        "misspelt `resorces:` (the database is never linked)",
        &["unknown-key@17"],
    ),
    (
        "138-chuspace-chuspace.yml",
        "`timers:` nested under services: a service named timers with a `session` key",
        &["unknown-key@47"],
    ),
    (
        "139-convox-examples-datadog.yml",
        "`dd-agent:` is not a service key",
        &["unknown-key@3"],
    ),
    (
        "142-convox-examples-php.yml",
        "`zenvironment:` (environment disabled by a typo)",
        &["unknown-key@1"],
    ),
    (
        "144-convox-convox.yml",
        "convox v3 `name:ENV` resource aliases",
        &["unknown-reference@11", "unknown-reference@12"],
    ),
    (
        "145-convox-praxis.yml",
        "praxis-era manifest (buckets, tables)",
        &["praxis-format@11"],
    ),
    (
        "146-convox-praxis-site.yml",
        "praxis-era `cdn:` service key",
        &["unknown-key@3"],
    ),
    (
        "147-convox-rack.yml",
        "`hooks:` is not a service key",
        &["unknown-key@18"],
    ),
    (
        "148-DocSpring-rack-gateway.yml",
        "resource type `rds-postgres` is convox v3",
        &["resource-type@30"],
    ),
    (
        "149-DocSpring-rack-gateway.yml",
        "v3 resource type `storage` with `size`, and `memory:` directly on a service",
        &["resource-type@21", "unknown-key@22", "unknown-key@56"],
    ),
    (
        "150-DocSpring-rack-gateway.yml",
        "resource type `rds` is convox v3",
        &["resource-type@14"],
    ),
];

fn corpus_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_is_accepted_or_rejected_for_a_listed_reason() {
    let files = corpus_files();
    assert_eq!(files.len(), 150, "the corpus has 150 files");
    let rejected: BTreeMap<&str, &[&str]> = REJECTED.iter().map(|(f, _, e)| (*f, *e)).collect();
    let mut failures = Vec::new();
    let mut accepted = 0;
    for file in &files {
        // as `convoxc validate FILE` does: no values, so a `${VAR}` is the rack's to supply
        let l = load_as_validate(&corpus_dir().join(file));
        let got = error_summary(&l);
        match rejected.get(file.as_str()) {
            Some(expected) if got == *expected => {}
            Some(expected) => failures.push(format!("{file}: expected {expected:?}, got {got:?}\n{}", explain(&l))),
            None if got.is_empty() => {
                assert!(l.app.is_some());
                accepted += 1;
            }
            None => failures.push(format!("{file}: unexpectedly rejected: {got:?}\n{}", explain(&l))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(accepted, 150 - REJECTED.len());
    // README.md states this number; cli/tests/cli.rs counts the same with the binary
    assert_eq!(accepted, readme_corpus_accepted());
}

/// With the values a deploy has (`env_for`), the files whose typed fields are `${VAR}`s are
/// accepted too, with no note left: their values were checked.
#[test]
fn files_with_supplied_values_pass_with_their_values() {
    for file in corpus_files() {
        let vars = env_for(&file);
        if vars.is_empty() {
            continue;
        }
        let deferred = load_as_validate(&corpus_dir().join(&file));
        let notes = deferred
            .diagnostics
            .iter()
            .filter(|d| d.code == convoxc_compiler::Code::SuppliedValue)
            .count();
        assert!(notes > 0, "{file}: no supplied-value note without values");
        let l = load_interpolated(&corpus_dir().join(&file), vars);
        assert_eq!(error_summary(&l), Vec::<String>::new(), "{file}\n{}", explain(&l));
        assert!(
            !l.diagnostics
                .iter()
                .any(|d| d.code == convoxc_compiler::Code::SuppliedValue),
            "{file}"
        );
    }
}

#[test]
fn the_ir_is_deterministic() {
    for file in corpus_files() {
        let ir = |_: u8| {
            let l = load_interpolated(&corpus_dir().join(&file), env_for(&file));
            let d: Vec<String> = l.diagnostics.iter().map(|d| format!("{d:?}")).collect();
            (l.app.map(|a| serde_json::to_string(&a).expect("IR serialises")), d)
        };
        let first = ir(0);
        for run in 1..3 {
            assert_eq!(ir(run), first, "{file}: output differs between runs");
        }
    }
}

#[test]
fn warnings_point_at_lines_too() {
    // a sample: foreign-generation keys are warnings at the key's line
    let l = load_path(&corpus_dir().join("036-convox-examples-llm-gpu-api.yml"), None);
    let w: Vec<String> = located(&l, convoxc_compiler::Severity::Warning)
        .iter()
        .map(|d| format!("{}@{}:{}", d.code, d.line, d.path))
        .collect();
    assert!(
        w.contains(&"foreign-key@30:services.api.nodeSelectorLabels".to_string()),
        "{w:?}"
    );
}

/// The language server's cut parse (`front::yaml_chunks`) gives the whole parse's tree, span for
/// span, for every real-world file and fixture, and again after an edit served from its cache;
/// most files are cut (the rest are parsed whole, for anchors, merge keys and the like).
#[test]
fn the_cut_parse_is_the_whole_parse() {
    use convoxc_compiler::front::{yaml, yaml_chunks};
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [corpus_dir(), shared().join("conformance/convox-rack")] {
        let mut found: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml"))
            .collect();
        files.append(&mut found);
    }
    files.sort();
    assert!(files.len() >= 170);
    let mut reused = 0;
    for path in &files {
        let text = read(path);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        let mut cache = yaml_chunks::ParseCache::default();
        let whole = yaml::parse(&text);
        let cut = yaml_chunks::parse_cached(&text, &mut cache);
        match (&whole, &cut) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", path.display()),
            (Err(a), Err(b)) => assert_eq!((&a.message, a.span), (&b.message, b.span), "{}", path.display()),
            _ => panic!("{}: one parse failed: {whole:?} / {cut:?}", path.display()),
        }
        // the tree is read: its pieces go back to the cache (as `load_cached` gives them back)
        if let Ok(tree) = cut {
            cache.take_back(tree);
        }
        // an edit in the last third: the pieces before it come from the cache
        let at = text.len() * 2 / 3;
        let Some(nl) = text[at..].find('\n').map(|i| at + i) else {
            continue;
        };
        let mut edited = text.clone();
        edited.insert_str(nl, " # edited");
        if cache.len() > 1 {
            reused += 1;
        }
        let whole = yaml::parse(&edited);
        let cut = yaml_chunks::parse_cached(&edited, &mut cache);
        match (&whole, &cut) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{} (edited)", path.display()),
            (Err(a), Err(b)) => assert_eq!((&a.message, a.span), (&b.message, b.span), "{}", path.display()),
            _ => panic!("{} (edited): one parse failed", path.display()),
        }
    }
    eprintln!("{reused} of {} files parsed in pieces", files.len());
    assert!(
        reused * 5 > files.len() * 2,
        "only {reused} of {} files were cut",
        files.len()
    );
}
