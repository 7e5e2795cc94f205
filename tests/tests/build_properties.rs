//! Properties of `build`: the same manifest gives the same bytes; changing one service changes
//! only that service's nested template and its TemplateURL in the root.

use convoxc_compiler::back::{BuildOptions, Bundle, build};
use convoxc_compiler::{Input, SourceFile, load};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Svc {
    port: Option<u16>,
    health: &'static str,
    drain: u32,
    command: &'static str,
    scale: (u32, u32),
    resource: bool,
}

fn svc() -> impl Strategy<Value = Svc> {
    (
        prop::option::of(1024u16..9000),
        prop::sample::select(vec!["/", "/health", "/up"]),
        1u32..300,
        prop::sample::select(vec!["bin/web", "bin/worker --queue default", "npm start"]),
        (1u32..3, 0u32..3),
        any::<bool>(),
    )
        .prop_map(|(port, health, drain, command, (min, extra), resource)| Svc {
            port,
            health,
            drain,
            command,
            scale: (min, min + extra),
            resource,
        })
}

fn manifest(services: &[Svc]) -> String {
    let mut s = String::from("resources:\n  db:\n    type: postgres\nservices:\n");
    for (i, v) in services.iter().enumerate() {
        s.push_str(&format!(
            "  s{i}:\n    command: {}\n    drain: {}\n    scale:\n      count: {}-{}\n",
            v.command, v.drain, v.scale.0, v.scale.1
        ));
        if let Some(p) = v.port {
            s.push_str(&format!("    port: {p}\n    health: {}\n", v.health));
        }
        if v.resource {
            s.push_str("    resources: [db]\n");
        }
    }
    s.push_str("timers:\n  nightly:\n    command: bin/nightly\n    schedule: \"0 3 * * *\"\n    service: s0\n");
    s
}

fn compile(text: &str) -> Bundle {
    let l = load(Input {
        manifest: Some(SourceFile::new("convox.yml", text)),
        ..Input::default()
    });
    let app = l.app.unwrap_or_else(|| panic!("{:?}", l.diagnostics));
    build(
        &app,
        &BuildOptions {
            app: "myapp".into(),
            rack: None,
            env_names: Default::default(),
            env_versions: Default::default(),
            keep: Vec::new(),
            builds: Default::default(),
        },
    )
    .expect("builds")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn same_input_same_bytes(services in prop::collection::vec(svc(), 1..6)) {
        let text = manifest(&services);
        let (a, b) = (compile(&text), compile(&text));
        prop_assert_eq!(&a.app.text, &b.app.text);
        let na: Vec<_> = a.nested().map(|(p, t)| (p, t.text.clone())).collect();
        let nb: Vec<_> = b.nested().map(|(p, t)| (p, t.text.clone())).collect();
        prop_assert_eq!(na, nb);
    }

    #[test]
    fn one_changed_service_changes_one_nested_template(
        services in prop::collection::vec(svc(), 2..6),
        pick in any::<prop::sample::Index>(),
        new_command in prop::sample::select(vec!["bin/changed", "sleep 60"]),
    ) {
        let i = pick.index(services.len());
        let before = compile(&manifest(&services));
        let mut changed = services.clone();
        changed[i].command = new_command; // only the service's own task definition has it
        let after = compile(&manifest(&changed));

        for ((name, t0), (_, t1)) in before.services.iter().zip(&after.services) {
            if *name == format!("s{i}") {
                prop_assert_ne!(&t0.sha256, &t1.sha256);
            } else {
                prop_assert_eq!(&t0.text, &t1.text, "service {} changed", name);
            }
        }
        for ((n, t0), (_, t1)) in before.resources.iter().zip(&after.resources).chain(before.timers.iter().zip(&after.timers)) {
            prop_assert_eq!(&t0.text, &t1.text, "{} changed", n);
        }
        // the root differs only by that service's template URL
        let old = &before.services[i].1;
        let new = &after.services[i].1;
        prop_assert!(before.app.text.contains(&old.key()));
        prop_assert_eq!(before.app.text.replace(&old.key(), &new.key()), after.app.text.clone());
    }
}

/// A 500-service app fits CloudFormation's quotas: its services move into group stacks.
#[test]
fn five_hundred_services_stay_within_every_limit() {
    let mut text = String::from("resources:\n  db:\n    type: postgres\nservices:\n");
    for i in 0..500 {
        text.push_str(&format!("  s{i}:\n    port: 3000\n    domain: s{i}.example.org\n    resources: [db]\n    scale:\n      count: 1-3\n      targets:\n        cpu: 60\n"));
    }
    let l = load(Input {
        manifest: Some(SourceFile::new("convox.yml", text)),
        ..Input::default()
    });
    assert!(!l.has_errors(), "{:?}", l.diagnostics.first());
    let options = BuildOptions {
        app: "big".into(),
        rack: None,
        env_names: Default::default(),
        env_versions: Default::default(),
        keep: Vec::new(),
        builds: Default::default(),
    };
    let (bundle, warnings) = convoxc_compiler::compile(&l, &options).unwrap_or_else(|e| panic!("{:?}", e.first()));
    assert!(warnings.iter().all(|w| !w.is_error()));
    assert_eq!(bundle.services.len(), 500);
    assert!(bundle.groups.len() >= 7, "{} groups", bundle.groups.len());
    for (name, t) in
        std::iter::once(("app".to_string(), &bundle.app)).chain(bundle.groups.iter().map(|(n, t)| (n.clone(), t)))
    {
        assert!(convoxc_compiler::back::limits::fits(t), "{name} is over a quota");
    }
}

/// Arbitrary JSON, with strings that need escaping (quotes, backslashes, control characters,
/// non-ASCII, astral characters) and keys that sort differently as bytes and as written.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z\"\\\\\\x00-\\x1f&<>'é€😀]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[A-Za-z0-9:\"\\\\é😀]{0,6}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The text as minijinja's JSON auto-escaping writes it: `&<>'` and every non-ASCII character
/// as `\u` escapes (they only ever occur inside strings, so the text stays valid JSON).
fn escape_like_minijinja(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '&' | '<' | '>' | '\'') || !c.is_ascii() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The canonical writer gives exactly serde_json's pretty text of the sorted value, from
    /// compact, pretty or \u-escaped input, with or without trailing commas.
    #[test]
    fn canonical_text_is_serde_jsons(v in json_value()) {
        let expected = serde_json::to_string_pretty(&v).unwrap() + "\n";
        let compact = serde_json::to_string(&v).unwrap();
        // a comma after the last entry of every non-empty object and array
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let mut with_trailing_commas = String::new();
        for line in pretty.lines() {
            if matches!(line.trim_start().chars().next(), Some('}' | ']')) {
                with_trailing_commas.pop();
                with_trailing_commas.push_str(",\n");
            }
            with_trailing_commas.push_str(line);
            with_trailing_commas.push('\n');
        }
        for text in [compact.clone(), escape_like_minijinja(&compact), with_trailing_commas] {
            prop_assert_eq!(&convoxc_compiler::back::canon::pretty(&text).unwrap(), &expected, "{}", text);
        }
    }
}

/// Lists a manifest may repeat itself in: links, resources, policies, volumes, domains,
/// environment entries, nlb ports, each drawn with repeats from a small pool.
fn repeats() -> impl Strategy<Value = String> {
    let pick = |pool: Vec<&'static str>| prop::collection::vec(prop::sample::select(pool), 0..4);
    (
        pick(vec!["s1", "s2"]),
        pick(vec!["db", "cache"]),
        pick(vec!["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]),
        pick(vec!["/tmp:/data", "/var/x:/data", "files:/srv"]),
        pick(vec!["a.example.org", "b.example.org", "*.example.org"]),
        pick(vec!["A", "A=1", "B=2", "*"]),
        pick(vec!["9000:3000", "9001:3000"]),
    )
        .prop_map(|(links, resources, policies, volumes, domains, env, nlb)| {
            let list = |v: &[&str]| format!("[{}]", v.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", "));
            format!(
                "resources:\n  db:\n    type: postgres\n  cache:\n    type: redis\n  files:\n    type: efs\n\
                 services:\n  s0:\n    image: nginx\n    port: 3000\n    links: {}\n    resources: {}\n    policies: {}\n    \
                 volumes: {}\n    domain: {}\n    environment: {}\n    nlb: {}\n  s1:\n    image: nginx\n    port: 80\n  \
                 s2:\n    image: nginx\n    port: 81\n",
                list(&links),
                list(&resources),
                list(&policies),
                list(&volumes),
                list(&domains),
                list(&env),
                list(&nlb)
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Every manifest that loads without errors builds: repeated names are caught by the front
    /// end, never by the renderer (no internal error is reachable from input).
    #[test]
    fn what_validates_builds(text in repeats()) {
        let loaded = load(Input {
            manifest: Some(SourceFile::new("convox.yml", text.as_str())),
            env: vec![("A".into(), "x".into())],
            env_known: true,
            rack_params: Some(SourceFile::new("rack.yml", "NLB: \"Yes\"\nRouterHost: apps.example.com\n")),
            ..Input::default()
        });
        if !loaded.has_errors() {
            let options = BuildOptions { app: "app".into(), ..Default::default() };
            if let Err(d) = convoxc_compiler::compile(&loaded, &options) {
                prop_assert!(false, "{text}\n{d:?}");
            }
        }
    }
}
