//! The layout's rules (ARCHITECTURE.md), checked on the source: the compiler's layers depend one
//! way (`front` and `back` never name each other, `ir` names neither, `diff` stands beside `back`
//! and names no front end, the ground they stand on names none of them), no two modules of `compiler/` or `cli/` import each other (the file-level
//! import graph has no cycle at all), and `compiler/` depends on no AWS crate.
//!
//! A file imports another when it names an item defined there: through `use`, or an inline
//! path (`crate::…`, `super::…`, `self::…`, or a child module's name). A bare `mod x;` is not an
//! import. Comments and string literals are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A crate's source: module path (`["front", "decode"]`) → the file's text.
type Modules = BTreeMap<Vec<String>, String>;

fn read_crate(src: &Path, root_file: &str) -> Modules {
    let mut out = Modules::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut module: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let last = module.pop().unwrap();
            match last.as_str() {
                "mod.rs" => {}
                f if f == root_file && module.is_empty() => {}
                f => module.push(f.trim_end_matches(".rs").to_string()),
            }
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The text with comments, string and character literals blanked out (lifetimes kept).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) && !ident_byte(b, i) {
            // raw string r"…" or r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // a character literal ('x', '\n', '\u{..}') or a lifetime ('a)
            let lit_end = if b.get(i + 1) == Some(&b'\\') {
                b.get(i + 3..)
                    .and_then(|r| r.iter().position(|&x| x == b'\''))
                    .map(|p| i + 3 + p)
            } else {
                let ch_len = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch_len) == Some(&b'\'')).then_some(i + 1 + ch_len)
            };
            match lit_end {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn ident_byte(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// An inline `mod x { … }` (a file's tests) is part of its file: its `super::` is the file's
/// module, written here as `self::`.
fn flatten_inline_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(p) = find_keyword(&out[from..], "mod") {
        let at = from + p;
        let after = &out[at + 3..];
        let name_len = after.trim_start().find(|c: char| !is_ident(c)).unwrap_or(0);
        let ws = after.len() - after.trim_start().len();
        let rest = after[ws + name_len..].trim_start();
        if !rest.starts_with('{') {
            from = at + 3;
            continue;
        }
        let open = at + 3 + (after.len() - rest.len());
        let mut depth = 0;
        let mut close = out.len();
        for (i, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = out[open..close].replace("super::", "self::");
        out.replace_range(open..close, &inner);
        from = open + inner.len();
    }
    out
}

/// Every path a file names, as written (`crate::ir::App`, `super::render::import`,
/// `render::RenderError`), with `use` trees expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // `use` items: expand the tree
    let mut rest = code;
    while let Some(p) = find_keyword(rest, "use") {
        let after = &rest[p + 3..];
        let end = after.find(';').unwrap_or(after.len());
        expand_tree(&after[..end], &mut Vec::new(), &mut out);
        rest = &after[end..];
    }
    // inline paths: an identifier followed by `::`
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        let prev_is_ident_or_colon = start > 0 && {
            let before = code[..start].chars().next_back().unwrap();
            is_ident(before) || before == ':'
        };
        if (c.is_ascii_alphabetic() || c == '_') && !prev_is_ident_or_colon {
            let mut segs = Vec::new();
            let mut pos = start;
            loop {
                let seg_len = code[pos..].find(|ch: char| !is_ident(ch)).unwrap_or(code.len() - pos);
                segs.push(code[pos..pos + seg_len].to_string());
                pos += seg_len;
                if code[pos..].starts_with("::")
                    && code[pos + 2..].starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
                {
                    pos += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                out.push(segs);
            }
            while k < chars.len() && chars[k].0 < pos {
                k += 1;
            }
        } else {
            k += 1;
        }
    }
    out
}

fn find_keyword(s: &str, kw: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = s[from..].find(kw) {
        let at = from + p;
        let before_ok = at == 0 || !s[..at].chars().next_back().is_some_and(is_ident);
        let after_ok = s[at + kw.len()..].starts_with(char::is_whitespace);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + kw.len();
    }
    None
}

/// `a::b::{c, d::{e, f}, g as h}` → `a::b::c`, `a::b::d::e`, …
fn expand_tree(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let depth = prefix.len();
        prefix.extend(
            head.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut level = 0;
        let mut item = String::new();
        for ch in inner.chars().chain(std::iter::once(',')) {
            match ch {
                '{' => {
                    level += 1;
                    item.push(ch);
                }
                '}' => {
                    level -= 1;
                    item.push(ch);
                }
                ',' if level == 0 => {
                    if !item.trim().is_empty() {
                        expand_tree(&item, prefix, out);
                    }
                    item.clear();
                }
                _ => item.push(ch),
            }
        }
        prefix.truncate(depth);
    } else {
        let name = tree.split(" as ").next().unwrap().trim();
        let mut p = prefix.clone();
        p.extend(
            name.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        if p.last().is_some_and(|l| l == "self") {
            p.pop();
        }
        out.push(p);
    }
}

/// The module a path names items of: the longest prefix that is a module of the crate.
fn resolve(path: &[String], from: &[String], modules: &Modules) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => {
            let mut b = from.to_vec();
            b.pop()?;
            b
        }
        child => {
            // a child module of this file (`render::Renderer` in a mod.rs)
            let mut b = from.to_vec();
            b.push(child.to_string());
            if !modules.contains_key(&b) {
                return None;
            }
            from.to_vec()
        }
    };
    let mut rest = &path[1..];
    if path[0] != "crate" && path[0] != "self" && path[0] != "super" {
        rest = path;
    }
    let mut segs = rest.iter().peekable();
    while let Some(seg) = segs.peek() {
        if seg.as_str() == "super" {
            base.pop()?;
            segs.next();
            continue;
        }
        let mut next = base.clone();
        next.push((*seg).clone());
        if modules.contains_key(&next) {
            base = next;
            segs.next();
        } else {
            break;
        }
    }
    Some(base)
}

/// The file-level import graph: module → the modules it names items of.
fn graph(modules: &Modules) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut g = BTreeMap::new();
    for (module, text) in modules {
        let targets: BTreeSet<Vec<String>> = paths(&flatten_inline_modules(&code_only(text)))
            .iter()
            .filter_map(|p| resolve(p, module, modules))
            .filter(|t| t != module)
            .collect();
        g.insert(module.clone(), targets);
    }
    g
}

fn name(m: &[String]) -> String {
    if m.is_empty() { "<root>".into() } else { m.join("::") }
}

/// A cycle of the graph, if there is one.
fn cycle(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        n: &Vec<String>,
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        path: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        marks.insert(n.clone(), Mark::Open);
        path.push(n.clone());
        for t in g.get(n).into_iter().flatten() {
            match marks.get(t).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = path.iter().position(|p| p == t).unwrap();
                    let mut c: Vec<String> = path[from..].iter().map(|m| name(m)).collect();
                    c.push(name(t));
                    return Some(c);
                }
                Mark::New => {
                    if let Some(c) = visit(t, g, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(n.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in g.keys() {
        if marks.get(n).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(n, g, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// The compiler's layers: which top-level modules a module of each may name.
fn layer_problems(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let ground = ["source", "diagnostic", "names"];
    let layer = |m: &[String]| -> &'static str {
        match m.first().map(String::as_str) {
            None => "root",
            Some("front") => "front",
            Some("back") => "back",
            Some("ir") => "ir",
            Some("diff") => "diff",
            Some(x) if ground.contains(&x) => "ground",
            Some(_) => "root",
        }
    };
    let allowed = |from: &str, to: &str| match from {
        "ground" => to == "ground",
        "ir" => matches!(to, "ground" | "ir"),
        "front" => matches!(to, "ground" | "ir" | "front"),
        "back" => matches!(to, "ground" | "ir" | "back"),
        "diff" => matches!(to, "ground" | "ir" | "back" | "diff"),
        _ => true,
    };
    let mut out = Vec::new();
    for (from, targets) in g {
        for to in targets {
            let (lf, lt) = (layer(from), layer(to));
            // the crate root's re-exports are for other crates: inside, a layer names the module
            if !allowed(lf, lt) || (lt == "root" && lf != "root") {
                out.push(format!("{} ({lf}) names {} ({lt})", name(from), name(to)));
            }
        }
    }
    out
}

#[test]
fn compiler_layers_depend_one_way_and_no_modules_import_each_other() {
    let modules = read_crate(&repo().join("compiler/src"), "lib.rs");
    assert!(modules.len() > 30, "found {} modules", modules.len());
    for layer in ["front", "ir", "back"] {
        assert!(modules.contains_key(&vec![layer.to_string()]), "no {layer} module");
    }
    let g = graph(&modules);
    let problems = layer_problems(&g);
    assert!(problems.is_empty(), "layer rule broken:\n{}", problems.join("\n"));
    if let Some(c) = cycle(&g) {
        panic!("modules import each other: {}", c.join(" → "));
    }
    // the graph is real: the back end's app view names the IR, the front end's loader the checks
    assert!(g[&vec!["back".into(), "app".into()]].contains(&vec!["ir".into()]));
    assert!(g[&vec!["front".into(), "load".into()]].contains(&vec!["front".into(), "check".into()]));
}

#[test]
fn cli_modules_do_not_import_each_other() {
    let modules = read_crate(&repo().join("cli/src"), "main.rs");
    assert!(modules.len() > 10, "found {} modules", modules.len());
    let g = graph(&modules);
    if let Some(c) = cycle(&g) {
        panic!("modules import each other: {}", c.join(" → "));
    }
}

#[test]
fn compiler_depends_on_no_aws_crate() {
    // Cargo.lock's dependency lists, followed from convoxc-compiler (dev-dependencies included,
    // so this is stricter than the build)
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let name = field("name").unwrap();
        let list = package
            .split("dependencies = [")
            .nth(1)
            .map(|d| d.split(']').next().unwrap())
            .unwrap_or("");
        let names = list
            .split(',')
            .map(|d| d.trim().trim_matches('"'))
            .filter(|d| !d.is_empty())
            .map(|d| d.split(' ').next().unwrap().to_string());
        deps.entry(name).or_default().extend(names);
    }
    let mut seen = BTreeSet::new();
    let mut todo = vec!["convoxc-compiler".to_string()];
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            todo.extend(deps.get(&n).cloned().unwrap_or_default());
        }
    }
    assert!(seen.contains("serde_json") && seen.contains("minijinja"), "{seen:?}");
    let aws: Vec<&String> = seen.iter().filter(|n| n.starts_with("aws-")).collect();
    assert!(aws.is_empty(), "compiler/ depends on {aws:?}");
    // and the binary does (the check reads the right file)
    assert!(deps["convoxc"].iter().any(|d| d == "aws-sdk-cloudformation"));
}

/// The checker itself, on a crate written here: it finds what it must.
#[test]
fn the_checker_finds_cycles_and_layer_breaks() {
    let m = |path: &[&str], text: &str| (path.iter().map(|s| s.to_string()).collect::<Vec<_>>(), text.to_string());
    let modules: Modules = [
        m(&[], "pub mod front; pub mod back; pub mod ir;"),
        m(&["front"], "mod load;\npub use load::load;"),
        m(
            &["front", "load"],
            "use crate::ir::App; // crate::back::x in a comment\nfn f() { let s = \"crate::back::y\"; }",
        ),
        m(
            &["ir"],
            "pub struct App;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}",
        ),
        m(&["back"], "mod a;\nmod b;\npub use a::A;"),
        m(&["back", "a"], "use super::b::{B, c::{D}};\npub struct A;"),
        m(&["back", "b"], "pub struct B; fn g() -> super::A { todo!() }"),
    ]
    .into_iter()
    .collect();
    let g = graph(&modules);
    assert!(layer_problems(&g).is_empty(), "{:?}", layer_problems(&g));
    let c = cycle(&g).expect("back ↔ back::a ↔ back::b");
    assert!(c.contains(&"back::b".to_string()), "{c:?}");

    let mut broken = modules.clone();
    broken.insert(
        vec!["front".into(), "load".into()],
        "fn f() { crate::back::build(); }".into(),
    );
    broken.insert(vec!["ir".into()], "use crate::front::load::X;".into());
    let problems = layer_problems(&graph(&broken));
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("front::load (front) names back (back)"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("ir (ir) names front::load (front)"),
        "{problems:?}"
    );
}
