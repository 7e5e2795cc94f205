//! checkov (pinned, pip, offline) over every golden app bundle, rack and rack resource — the
//! templates their snapshot tests hold a build to — with `checkov/config.yaml`: 0 failed checks.
//! The checks that do not fit convoxc's design are skipped there, each with its reason; one that
//! fits but that a resource fails on purpose (`encrypted: false`) is skipped in its Metadata.

use convoxc_tests::*;
use std::path::Path;

/// Write the snapshots in `from` whose names `pick` accepts into `to`, one template each.
fn templates(from: &Path, to: &Path, pick: impl Fn(&str) -> bool) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        if !pick(stem) {
            continue;
        }
        let file = if stem.ends_with(".json") {
            stem.to_string()
        } else {
            format!("{stem}.json")
        };
        std::fs::write(to.join(file), snapshot_body(&p)).unwrap();
        n += 1;
    }
    n
}

#[test]
fn every_template_passes_checkov() {
    let dir = tempfile::tempdir().unwrap();
    let golden = repo().join("golden");
    let groups = [
        (
            "app bundles",
            templates(&golden.join("snapshots"), &dir.path().join("apps"), |_| true),
            "apps",
        ),
        (
            "racks",
            templates(&golden.join("racks/snapshots"), &dir.path().join("racks"), |_| true),
            "racks",
        ),
        (
            "rack resources",
            templates(
                &golden.join("rack-resources"),
                &dir.path().join("rack-resources"),
                |_| true,
            ),
            "rack-resources",
        ),
    ];
    let mut failures = Vec::new();
    for (label, files, sub) in groups {
        assert!(files > 0, "no {label}");
        let c = checkov(&dir.path().join(sub));
        eprintln!(
            "checkov {label}: {files} templates, {} passed, {} failed, {} skipped",
            c.passed, c.failed, c.skipped
        );
        assert!(c.passed > 0, "{label}: checkov checked nothing");
        failures.extend(c.failures.into_iter().map(|f| format!("{label}: {f}")));
    }
    assert!(
        failures.is_empty(),
        "{} failed checks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
