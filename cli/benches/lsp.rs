//! `convoxc lsp` on one keystroke in a 1,000-service convox.yml, in process: the text changed
//! by one character, compiled and its diagnostics put in LSP terms — what the server does
//! between a `didChange` and its `publishDiagnostics`. Run: `cargo bench -p convoxc --bench lsp`.

#[path = "../src/lsp/mod.rs"]
#[allow(dead_code, unused_imports)] // the server's other parts, its unit tests
mod lsp;

#[path = "../../compiler/benches/generated.rs"]
mod generated;

use std::str::FromStr;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// One keystroke: a service's command gets one more character each time, the document's
/// parse cache kept from the keystroke before (as the server keeps it).
#[divan::bench(args = [100, 1000])]
fn keystroke(b: divan::Bencher, n: usize) {
    typing(b, generated::generated(n), n);
}

/// The same keystroke in a file whose services take their health check, scale and build from
/// anchors (`<<: *service`): the pieces that use an alias are kept too.
#[divan::bench(args = [1000])]
fn keystroke_anchored(b: divan::Bencher, n: usize) {
    typing(b, generated::generated_anchored(n), n);
}

/// Keystrokes into the command of the middle one of `n` services of `text`, with the cache.
fn typing(b: divan::Bencher, text: String, n: usize) {
    let at = text.find(&format!("command: bin/run {}\n", n / 2)).unwrap() + "command: bin/run".len();
    let uri = lsp_types::Uri::from_str("file:///app/convox.yml").unwrap();
    let cache = std::cell::RefCell::new(Default::default());
    let typed = std::cell::RefCell::new(text.clone());
    let (_, first) = lsp::check(uri.clone(), text.clone(), None, &mut cache.borrow_mut());
    // valid: no error (a new database's secure-default note is there, as a user sees it)
    assert!(
        first
            .iter()
            .flat_map(|(_, d)| d)
            .all(|d| d.severity != Some(lsp_types::DiagnosticSeverity::ERROR)),
        "the generated manifest is valid: {first:?}"
    );
    b.counter(divan::counter::BytesCount::of_str(&text))
        .with_inputs(|| {
            let mut t = typed.borrow_mut();
            t.insert(at, 'x');
            t.clone()
        })
        .bench_local_values(|t| lsp::check(uri.clone(), t, None, &mut cache.borrow_mut()));
}

/// The same keystroke without the parse cache (the whole file parsed).
#[divan::bench(args = [1000])]
fn keystroke_uncached(b: divan::Bencher, n: usize) {
    let text = generated::generated(n);
    let at = text.find(&format!("command: bin/run {}\n", n / 2)).unwrap() + "command: bin/run".len();
    let mut typed = text.clone();
    typed.insert(at, 'x');
    let uri = lsp_types::Uri::from_str("file:///app/convox.yml").unwrap();
    b.counter(divan::counter::BytesCount::of_str(&typed)).bench(|| {
        lsp::check(
            uri.clone(),
            divan::black_box(typed.clone()),
            None,
            &mut Default::default(),
        )
    });
}
