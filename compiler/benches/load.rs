//! load + validate: convox's full.yml, and generated manifests of 10 / 100 / 1,000 services (for
//! linear growth); build of generated apps; the diff of two builds of a generated app (one
//! service's command and one database option changed). Run: `cargo bench -p convoxc-compiler
//! --bench load`.

use convoxc_compiler::{Input, SourceFile, load};

#[path = "generated.rs"]
mod generated;
use generated::{generated, generated_anchored};

/// The allocator the `convoxc` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

fn input(text: &str) -> Input {
    Input {
        manifest: Some(SourceFile::new("convox.yml", text)),
        env: vec![
            ("FOO".into(), "bar".into()),
            ("SECRET".into(), "shh".into()),
            ("OTHERGLOBAL".into(), "test".into()),
        ],
        env_known: true,
        ..Input::default()
    }
}

fn full_yml() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/convox-rack/full.yml"
    );
    std::fs::read_to_string(path).expect("../shared/conformance/convox-rack/full.yml")
}

#[divan::bench]
fn full_yml_load_validate(b: divan::Bencher) {
    let text = full_yml();
    b.bench(|| load(input(divan::black_box(&text))));
}

#[divan::bench(args = [10, 100, 1000])]
fn generated_services(b: divan::Bencher, n: usize) {
    let text = generated(n);
    let l = load(input(&text));
    assert!(
        !l.has_errors(),
        "generated manifest must be valid: {:?}",
        l.diagnostics.first()
    );
    b.counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| load(input(divan::black_box(&text))));
}

/// The 1,000-service file of the keystroke benchmarks: plain, or with anchors.
fn keystroke_text(kind: &str) -> String {
    match kind {
        "plain" => generated(1000),
        _ => generated_anchored(1000),
    }
}

/// What the language server does on a keystroke, without the LSP terms: one character typed in a
/// service's command of a 1,000-service file, loaded with the parse cache of the keystroke before
/// (`load_cached`); plain, and with every service merging an anchor (`<<: *service`).
#[divan::bench(args = ["plain", "anchored"])]
fn keystroke_load_cached(b: divan::Bencher, kind: &str) {
    let text = keystroke_text(kind);
    let at = text.find("command: bin/run 500\n").unwrap() + "command: bin/run".len();
    let mut cache = convoxc_compiler::front::yaml_chunks::ParseCache::default();
    let first = convoxc_compiler::load_cached(input(&text), &mut cache);
    assert!(!first.has_errors(), "{:?}", first.diagnostics.first());
    let cache = std::cell::RefCell::new(cache);
    let typed = std::cell::RefCell::new(text);
    b.with_inputs(|| {
        let mut t = typed.borrow_mut();
        t.insert(at, 'x');
        t.clone()
    })
    .bench_local_values(|t| convoxc_compiler::load_cached(input(&t), &mut cache.borrow_mut()));
}

/// The same keystroke's file loaded whole (no cache): what a file with anchors cost before.
#[divan::bench(args = ["plain", "anchored"])]
fn keystroke_load_whole(b: divan::Bencher, kind: &str) {
    let text = keystroke_text(kind);
    b.bench(|| load(input(divan::black_box(&text))));
}

/// The YAML parse alone (granit-parser's events into the spanned tree), for comparison.
#[divan::bench(args = [1000])]
fn generated_yaml_parse_only(b: divan::Bencher, n: usize) {
    let text = generated(n);
    b.counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| convoxc_compiler::front::yaml::parse(divan::black_box(&text)));
}

/// `build` (IR → every template of the bundle) of generated apps; 500 services use group stacks.
#[divan::bench(args = [10, 100, 500])]
fn build_services(b: divan::Bencher, n: usize) {
    let text = generated(n);
    let app = load(input(&text)).app.expect("valid");
    let options = convoxc_compiler::back::BuildOptions {
        app: "bench".into(),
        rack: None,
        env_names: Default::default(),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    b.bench(|| convoxc_compiler::back::build(divan::black_box(&app), &options).expect("builds"));
}

/// A generated app, built.
fn built(text: &str) -> convoxc_compiler::back::Bundle {
    let options = convoxc_compiler::back::BuildOptions {
        app: "bench".into(),
        rack: None,
        env_names: Default::default(),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    convoxc_compiler::back::build(&load(input(text)).app.expect("valid"), &options).expect("builds")
}

/// The generated app with one service's command and one database's storage changed.
fn changed(text: &str) -> String {
    text.replacen("command: bin/run 7\n", "command: bin/run 7 --verbose\n", 1)
        .replacen("storage: 50", "storage: 60", 1)
}

/// `diff` of two builds of a generated app (`changed`): the engine alone (`compare`).
#[divan::bench(args = [100, 500])]
fn diff_services(b: divan::Bencher, n: usize) {
    use convoxc_compiler::diff::{self, side};
    let before = generated(n);
    let (old, new) = (
        side::from_bundle(&built(&before)),
        side::from_bundle(&built(&changed(&before))),
    );
    let report = diff::compare(Some(&old), Some(&new));
    // the app stack (the database's parameter), the database, and the service's task definition
    assert_eq!(report.summary.changes, 3, "{}", diff::render::text(&report, false));
    b.bench(|| diff::compare(divan::black_box(Some(&old)), Some(&new)));
}

/// The same with both bundles read into sides (what `convoxc diff` does after building).
#[divan::bench(args = [500])]
fn diff_services_with_sides(b: divan::Bencher, n: usize) {
    use convoxc_compiler::diff::{self, side};
    let before = generated(n);
    let (a, z) = (built(&before), built(&changed(&before)));
    b.bench(|| {
        let (old, new) = (side::from_bundle(&a), side::from_bundle(&z));
        diff::compare(Some(&old), Some(&new))
    });
}
