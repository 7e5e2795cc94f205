//! Load + validate any text as a convox.yml (and, from the same bytes, as rack params), and build
//! whatever loads: no panic, and every diagnostic points inside its file.
#![no_main]

use convoxc_compiler::{Input, Located, SourceFile, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for (manifest, rack) in [(true, false), (false, true)] {
        let file = SourceFile::new("fuzz.yml", text);
        let loaded = load(Input {
            manifest: manifest.then(|| file.clone()),
            rack_params: rack.then(|| file.clone()),
            env: vec![("HOST".into(), "example.org".into()), ("PORT".into(), "3000".into())],
            env_known: true,
            ..Input::default()
        });
        for d in &loaded.diagnostics {
            assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "span out of bounds: {d:?}");
            let _ = Located::new(d, &loaded.sources);
        }
        if loaded.has_errors() {
            assert!(loaded.app.is_none());
        } else if manifest {
            let options = convoxc_compiler::back::BuildOptions { app: "fuzz".into(), ..Default::default() };
            // a rendering failure would be a bug in convoxc: the templates must accept every valid IR
            if let Err(diags) = convoxc_compiler::compile(&loaded, &options) {
                assert!(diags.iter().all(|d| d.code == convoxc_compiler::Code::Limit && !d.message.contains("internal error")), "{diags:?}");
            }
        }
    }
});
