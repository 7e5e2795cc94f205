//! The digest of a build: what the engine would be sent (the context after `.dockerignore`, the
//! Dockerfile, the build args, the platform), so that an image already built from the same input is not
//! built again. Only content counts: no mtimes, owners or absolute paths, so the same tree checked out
//! elsewhere has the same digest.

use super::ignore::{BadPattern, Rules};
use sha2::{Digest, Sha256};
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What to build: every path already resolved.
#[derive(Debug, Clone)]
pub(crate) struct BuildSpec {
    /// the build context directory
    pub context: PathBuf,
    /// the Dockerfile (it may lie outside the context)
    pub dockerfile: PathBuf,
    /// build args NAME=value, sorted by name
    pub args: Vec<(String, String)>,
    /// "linux/amd64" or "linux/arm64"
    pub platform: String,
}

/// Why a digest could not be taken. Its Display is one sentence naming the path.
#[derive(Debug)]
pub(crate) enum ContextError {
    ContextMissing(PathBuf),
    NotADirectory(PathBuf),
    DockerfileMissing(PathBuf),
    Unreadable(PathBuf, io::Error),
    BadIgnore(PathBuf, String),
}

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContextError::ContextMissing(p) => write!(f, "the build context {} does not exist", p.display()),
            ContextError::NotADirectory(p) => write!(f, "the build context {} is not a directory", p.display()),
            ContextError::DockerfileMissing(p) => write!(f, "the Dockerfile {} does not exist", p.display()),
            ContextError::Unreadable(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            ContextError::BadIgnore(p, why) => write!(f, "{} has an invalid pattern: {why}", p.display()),
        }
    }
}

impl std::error::Error for ContextError {}

/// The version of the encoding below: change it whenever the encoding changes.
const FORMAT: &[u8] = b"convoxc build context v1";

/// The lowercase hex SHA-256 of `spec`: the context's entries as the engine would send them (after
/// `.dockerignore`, sorted by relative path; each with its kind, executable bit, and content: a file's
/// bytes, a symlink's target, never followed), then the Dockerfile's bytes, the args and the platform,
/// each field length-prefixed.
pub(crate) fn digest(spec: &BuildSpec) -> Result<String, ContextError> {
    let root = &spec.context;
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(ContextError::NotADirectory(root.clone())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ContextError::ContextMissing(root.clone())),
        Err(e) => return Err(ContextError::Unreadable(root.clone(), e)),
    }
    let dockerfile = match file_digest(&spec.dockerfile) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ContextError::DockerfileMissing(spec.dockerfile.clone()));
        }
        Err(e) => return Err(ContextError::Unreadable(spec.dockerfile.clone(), e)),
    };
    let rules = ignore_rules(spec)?;
    let mut entries = Vec::new();
    walk(root, &[], &rules, None, &mut entries)?;
    entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));

    let mut h = Sha256::new();
    field(&mut h, FORMAT);
    field(&mut h, &(entries.len() as u64).to_be_bytes());
    for e in &entries {
        field(&mut h, &e.path);
        field(&mut h, &[e.kind as u8, u8::from(e.executable)]);
        match e.kind {
            Kind::File => field(
                &mut h,
                &file_digest(&e.full).map_err(|err| ContextError::Unreadable(e.full.clone(), err))?,
            ),
            Kind::Symlink => field(&mut h, &link_target(&e.full)?),
            Kind::Dir | Kind::Other => field(&mut h, b""),
        }
    }
    field(&mut h, &dockerfile);
    field(&mut h, &(spec.args.len() as u64).to_be_bytes());
    for (name, value) in &spec.args {
        field(&mut h, name.as_bytes());
        field(&mut h, value.as_bytes());
    }
    field(&mut h, spec.platform.as_bytes());
    Ok(hex(&h.finalize()))
}

/// The names the Dockerfile's ARG instructions declare, in order, each once.
pub(crate) fn declared_args(dockerfile_text: &str) -> Vec<String> {
    super::dockerfile::arg_names(dockerfile_text)
}

/// A length-prefixed field: no two different sequences of fields encode alike.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    File = b'f' as isize,
    Symlink = b'l' as isize,
    Dir = b'd' as isize,
    /// a socket, fifo or device: its kind only (never opened)
    Other = b'o' as isize,
}

struct Entry {
    /// relative to the context root, `/`-separated, as bytes (a file name need not be UTF-8)
    path: Vec<u8>,
    full: PathBuf,
    kind: Kind,
    executable: bool,
}

/// The rules in force: `<Dockerfile>.dockerignore` beside the Dockerfile if there is one (BuildKit's), else
/// the context's `.dockerignore`; then, as the docker CLI does, exceptions for `.dockerignore` and the
/// Dockerfile (when it is in the context) if they would be excluded.
fn ignore_rules(spec: &BuildSpec) -> Result<Rules, ContextError> {
    let beside = spec.dockerfile.file_name().map(|name| {
        let mut name = name.to_os_string();
        name.push(".dockerignore");
        spec.dockerfile.with_file_name(name)
    });
    let candidates = beside.into_iter().chain([spec.context.join(".dockerignore")]);
    let mut rules = Rules::default();
    for path in candidates {
        match fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                rules = Rules::parse(&text).map_err(|BadPattern(why)| ContextError::BadIgnore(path.clone(), why))?;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(ContextError::Unreadable(path, e)),
        }
    }
    if rules.is_empty() {
        return Ok(rules);
    }
    let mut keep = vec![".dockerignore".to_string()];
    if let Some(rel) = relative_dockerfile(spec) {
        keep.push(rel);
    }
    for k in keep {
        if rules.excludes(&k) {
            rules.push_exception(&k);
        }
    }
    Ok(rules)
}

/// The Dockerfile's path relative to the context, when it lies inside it.
fn relative_dockerfile(spec: &BuildSpec) -> Option<String> {
    let context = fs::canonicalize(&spec.context).ok()?;
    let dockerfile = fs::canonicalize(&spec.dockerfile).ok()?;
    let rel = dockerfile.strip_prefix(&context).ok()?;
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Collect the entries below `dir` (`rel` its path from the root) that the engine would send. A directory
/// that is excluded is still walked when an exception could re-include something below it; it is then sent
/// only when something below it is (the way BuildKit sends the parents of an included file).
fn walk(
    dir: &Path,
    rel: &[u8],
    rules: &Rules,
    parent: Option<&[bool]>,
    out: &mut Vec<Entry>,
) -> Result<(), ContextError> {
    let read = fs::read_dir(dir).map_err(|e| ContextError::Unreadable(dir.to_path_buf(), e))?;
    for entry in read {
        let entry = entry.map_err(|e| ContextError::Unreadable(dir.to_path_buf(), e))?;
        let full = entry.path();
        let meta = fs::symlink_metadata(&full).map_err(|e| ContextError::Unreadable(full.clone(), e))?;
        let mut path = rel.to_vec();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(&name_bytes(&entry.file_name()));
        let text = String::from_utf8_lossy(&path).into_owned();
        let (excluded, matched) = if rules.is_empty() {
            (false, Vec::new())
        } else {
            rules.matches(&text, parent)
        };
        let kind = kind_of(&meta);
        if kind == Kind::Dir {
            if excluded && !rules.may_reinclude_below(&text) {
                continue;
            }
            let at = out.len();
            out.push(Entry {
                path: path.clone(),
                full: full.clone(),
                kind,
                executable: false,
            });
            walk(&full, &path, rules, Some(&matched), out)?;
            if excluded && out.len() == at + 1 {
                out.pop();
            }
        } else if !excluded {
            let executable = kind == Kind::File && is_executable(&meta);
            out.push(Entry {
                path,
                full,
                kind,
                executable,
            });
        }
    }
    Ok(())
}

fn kind_of(meta: &Metadata) -> Kind {
    let t = meta.file_type();
    if t.is_symlink() {
        Kind::Symlink
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

#[cfg(unix)]
fn is_executable(meta: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &Metadata) -> bool {
    false
}

#[cfg(unix)]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().as_bytes().to_vec()
}

fn link_target(path: &Path) -> Result<Vec<u8>, ContextError> {
    let target = fs::read_link(path).map_err(|e| ContextError::Unreadable(path.to_path_buf(), e))?;
    Ok(name_bytes(target.as_os_str()))
}

/// The SHA-256 of a file's bytes, read in pieces (a large file is never held in memory).
fn file_digest(path: &Path) -> io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(h.finalize().into())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// a context with a few files, a directory, a symlink and an empty directory
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "Dockerfile", "FROM scratch\nCOPY . /\n");
        write(root, "app/main.py", "print('hi')\n");
        write(root, "app/lib/util.py", "x = 1\n");
        write(root, "README.md", "readme\n");
        fs::create_dir_all(root.join("empty")).unwrap();
        symlink("app/main.py", root.join("link")).unwrap();
        dir
    }

    fn spec(root: &Path) -> BuildSpec {
        BuildSpec {
            context: root.to_path_buf(),
            dockerfile: root.join("Dockerfile"),
            args: vec![("A".into(), "1".into())],
            platform: "linux/amd64".into(),
        }
    }

    fn d(root: &Path) -> String {
        digest(&spec(root)).unwrap()
    }

    #[test]
    fn the_same_tree_elsewhere_has_the_same_digest() {
        let (a, b) = (tree(), tree());
        let da = d(a.path());
        assert_eq!(da.len(), 64);
        assert!(da.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(da, d(b.path()));
    }

    #[test]
    fn mtimes_do_not_count() {
        let t = tree();
        let before = d(t.path());
        let file = File::options().write(true).open(t.path().join("app/main.py")).unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap();
        drop(file);
        assert_eq!(before, d(t.path()));
    }

    #[test]
    fn content_exec_bit_names_and_empty_dirs_count() {
        let t = tree();
        let before = d(t.path());
        write(t.path(), "app/main.py", "print('bye')\n");
        let changed = d(t.path());
        assert_ne!(before, changed);

        fs::set_permissions(t.path().join("app/main.py"), fs::Permissions::from_mode(0o755)).unwrap();
        let exec = d(t.path());
        assert_ne!(changed, exec);
        // other mode bits do not
        fs::set_permissions(t.path().join("app/main.py"), fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(exec, d(t.path()));

        fs::create_dir(t.path().join("empty/again")).unwrap();
        let deeper = d(t.path());
        assert_ne!(exec, deeper);
        fs::rename(t.path().join("README.md"), t.path().join("READ.md")).unwrap();
        assert_ne!(deeper, d(t.path()));
    }

    #[test]
    fn symlinks_are_not_followed() {
        let t = tree();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "target", "one");
        symlink(outside.path().join("target"), t.path().join("file-link")).unwrap();
        symlink(outside.path(), t.path().join("dir-link")).unwrap();
        symlink("nowhere", t.path().join("dangling")).unwrap();
        let before = d(t.path());
        // what the links point at changes: the links themselves did not
        write(outside.path(), "target", "two");
        write(outside.path(), "more", "x");
        assert_eq!(before, d(t.path()));
        // a link's target is its content
        fs::remove_file(t.path().join("link")).unwrap();
        symlink("README.md", t.path().join("link")).unwrap();
        assert_ne!(before, d(t.path()));
    }

    #[test]
    fn ignored_files_do_not_count_and_exceptions_do() {
        let t = tree();
        write(t.path(), ".dockerignore", "*.md\napp/lib\n!app/lib/keep.py\n");
        let before = d(t.path());
        write(t.path(), "README.md", "changed\n");
        write(t.path(), "app/lib/util.py", "changed\n");
        assert_eq!(before, d(t.path()));
        write(t.path(), "app/lib/keep.py", "kept\n");
        let kept = d(t.path());
        assert_ne!(before, kept);
        write(t.path(), "app/lib/keep.py", "changed\n");
        assert_ne!(kept, d(t.path()));
    }

    #[test]
    fn an_excluded_directory_with_nothing_reincluded_is_not_sent() {
        let t = tree();
        write(t.path(), ".dockerignore", "app\n!**/nothing-matches\n");
        let before = d(t.path());
        fs::remove_dir_all(t.path().join("app")).unwrap();
        assert_eq!(before, d(t.path()));
    }

    #[test]
    fn the_dockerignore_and_the_dockerfile_are_sent_even_if_ignored() {
        let t = tree();
        write(t.path(), ".dockerignore", "*\n");
        let before = d(t.path());
        write(t.path(), "README.md", "changed\n");
        assert_eq!(before, d(t.path()));
        write(t.path(), ".dockerignore", "*\n# another comment\n");
        assert_ne!(before, d(t.path()));
    }

    #[test]
    fn a_dockerignore_beside_the_dockerfile_wins() {
        let t = tree();
        write(t.path(), ".dockerignore", "app\n");
        write(t.path(), "Dockerfile.dockerignore", "*.md\n");
        let before = d(t.path());
        write(t.path(), "README.md", "changed\n");
        assert_eq!(before, d(t.path()));
        write(t.path(), "app/main.py", "changed\n");
        assert_ne!(before, d(t.path()));
    }

    #[test]
    fn a_dockerfile_outside_the_context() {
        let t = tree();
        let elsewhere = tempfile::tempdir().unwrap();
        write(elsewhere.path(), "web.Dockerfile", "FROM scratch\n");
        write(elsewhere.path(), "web.Dockerfile.dockerignore", "README.md\n");
        let s = BuildSpec {
            dockerfile: elsewhere.path().join("web.Dockerfile"),
            ..spec(t.path())
        };
        let before = digest(&s).unwrap();
        write(t.path(), "README.md", "ignored by the file beside the Dockerfile\n");
        assert_eq!(before, digest(&s).unwrap());
        write(elsewhere.path(), "web.Dockerfile", "FROM scratch\nCOPY . /\n");
        assert_ne!(before, digest(&s).unwrap());
    }

    #[test]
    fn args_and_platform_count() {
        let t = tree();
        let base = spec(t.path());
        let before = digest(&base).unwrap();
        let other_value = BuildSpec {
            args: vec![("A".into(), "2".into())],
            ..base.clone()
        };
        let no_args = BuildSpec {
            args: vec![],
            ..base.clone()
        };
        // no field boundary can be shifted: A=1 is not A1=
        let shifted = BuildSpec {
            args: vec![("A1".into(), "".into())],
            ..base.clone()
        };
        let arm = BuildSpec {
            platform: "linux/arm64".into(),
            ..base.clone()
        };
        let all: Vec<String> = [&other_value, &no_args, &shifted, &arm]
            .iter()
            .map(|s| digest(s).unwrap())
            .collect();
        for (i, x) in all.iter().enumerate() {
            assert_ne!(&before, x);
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
    }

    #[test]
    fn the_order_files_were_made_in_does_not_count() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let names = ["b", "a", "c/d", "c/a", "ab", "a.b", "B"];
        for n in names {
            write(a.path(), n, n);
        }
        for n in names.iter().rev() {
            write(b.path(), n, n);
        }
        write(a.path(), "Dockerfile", "FROM scratch\n");
        write(b.path(), "Dockerfile", "FROM scratch\n");
        assert_eq!(d(a.path()), d(b.path()));
    }

    #[test]
    fn errors_name_the_path() {
        let t = tree();
        let missing = BuildSpec {
            context: t.path().join("nope"),
            ..spec(t.path())
        };
        let e = digest(&missing).unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("nope"), "{e}");
        let file = BuildSpec {
            context: t.path().join("README.md"),
            ..spec(t.path())
        };
        let e = digest(&file).unwrap_err().to_string();
        assert!(e.contains("is not a directory") && e.contains("README.md"), "{e}");
        let no_dockerfile = BuildSpec {
            dockerfile: t.path().join("Nope.Dockerfile"),
            ..spec(t.path())
        };
        let e = digest(&no_dockerfile).unwrap_err().to_string();
        assert!(e.contains("Dockerfile") && e.contains("Nope.Dockerfile"), "{e}");
        write(t.path(), ".dockerignore", "ok\na[\n");
        let e = digest(&spec(t.path())).unwrap_err().to_string();
        assert!(
            e.contains(".dockerignore has an invalid pattern") && e.contains("a["),
            "{e}"
        );
    }

    #[test]
    fn ten_thousand_small_files_hash_quickly() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "Dockerfile", "FROM scratch\n");
        for i in 0..100 {
            let dir = t.path().join(format!("d{i}"));
            fs::create_dir(&dir).unwrap();
            for j in 0..100 {
                fs::write(dir.join(format!("f{j}.txt")), format!("{i} {j}")).unwrap();
            }
        }
        write(t.path(), ".dockerignore", "d1*/f5*\n!d1/f50.txt\n");
        let start = std::time::Instant::now();
        d(t.path());
        let took = start.elapsed();
        // well under a second in a release build; a debug build (the tests') gets some slack
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    }

    #[test]
    fn large_files_are_streamed() {
        let t = tree();
        let big = File::create(t.path().join("big")).unwrap();
        big.set_len(64 << 20).unwrap();
        drop(big);
        let a = d(t.path());
        let big = File::options().write(true).open(t.path().join("big")).unwrap();
        big.set_len((64 << 20) + 1).unwrap();
        drop(big);
        assert_ne!(a, d(t.path()));
    }
}
