//! Writing compiled templates: one printed or written as a file in the --out-dir, or a whole bundle
//! as `build --out-dir` writes it (`write_bundle`).

use crate::args::OutputArgs;
use convoxc_compiler::back::Template;
use std::path::Path;
use std::process::ExitCode;

/// Print one template, or write it as `DIR/<stem>.<json|yaml>`.
pub(crate) fn emit(template: &Template, output: &OutputArgs, out_dir: Option<&Path>, stem: &str) -> ExitCode {
    let text = output.format.render(template);
    let Some(dir) = out_dir else {
        print!("{text}");
        return ExitCode::SUCCESS;
    };
    let path = dir.join(format!("{stem}.{}", output.format.extension()));
    match std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, text.as_bytes())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}

/// The file in a `build --out-dir` folder that lists what convoxc wrote there (not a template:
/// bundle readers take only `*.json` files).
pub(crate) const INDEX: &str = ".convoxc-bundle";

/// Write a bundle (`(path relative to DIR, text)`) so that `dir` holds exactly it: written whole
/// into a sibling folder, which then takes the place of the old one (two renames). A failed write
/// leaves the old bundle as it was. `dir` may hold only what an earlier build wrote (its `INDEX`
/// lists it): a file convoxc did not write is never deleted, the build is refused instead.
pub(crate) fn write_bundle(dir: &Path, files: &[(String, impl AsRef<str>)]) -> Result<(), String> {
    use std::fs;
    let shown = dir.display();
    // an existing DIR by its real path: a symlink to a folder keeps pointing at the new bundle
    let exists = fs::symlink_metadata(dir).is_ok();
    let dir = if exists {
        fs::canonicalize(dir).map_err(|e| format!("cannot read {shown}: {e}"))?
    } else {
        dir.to_path_buf()
    };
    if exists {
        if !dir.is_dir() {
            return Err(format!("{shown} is not a directory"));
        }
        let foreign = foreign(&dir)?;
        if !foreign.is_empty() {
            return Err(refusal(&shown.to_string(), &foreign, dir.join(INDEX).exists()));
        }
    }
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(format!("cannot write a bundle to {shown}: give a directory by name"));
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    fs::create_dir_all(parent).map_err(|e| format!("cannot write to {}: {e}", parent.display()))?;
    let name = name.to_string_lossy();
    let pid = std::process::id();
    let new = parent.join(format!(".{name}.convoxc-new-{pid}"));
    let old = parent.join(format!(".{name}.convoxc-old-{pid}"));
    let write = || -> std::io::Result<()> {
        if new.exists() {
            fs::remove_dir_all(&new)?; // left by a crashed build of the same process ID: ours
        }
        fs::create_dir(&new)?;
        let mut index = String::from(
            "# convoxc build --out-dir: the files convoxc wrote here. A build replaces them all and\n\
             # refuses a directory that holds any other file.\n",
        );
        for (rel, text) in files {
            let path = new.join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(path, text.as_ref())?;
            index.push_str(rel);
            index.push('\n');
        }
        fs::write(new.join(INDEX), index)
    };
    if let Err(e) = write() {
        let _ = fs::remove_dir_all(&new);
        return Err(format!(
            "cannot write to {shown}: {e} (the directory was left as it was)"
        ));
    }
    if exists {
        if let Err(e) = fs::rename(&dir, &old) {
            let _ = fs::remove_dir_all(&new);
            return Err(format!(
                "cannot replace {shown}: {e} (the directory was left as it was)"
            ));
        }
        if let Err(e) = fs::rename(&new, &dir) {
            let back = fs::rename(&old, &dir);
            let _ = fs::remove_dir_all(&new);
            return Err(match back {
                Ok(()) => format!("cannot replace {shown}: {e} (the directory was left as it was)"),
                Err(b) => format!(
                    "cannot replace {shown}: {e}; the previous bundle is in {} ({b})",
                    old.display()
                ),
            });
        }
        // only convoxc's files are in it (checked above)
        if let Err(e) = fs::remove_dir_all(&old) {
            eprintln!("warning: the previous bundle is left in {}: {e}", old.display());
        }
    } else if let Err(e) = fs::rename(&new, &dir) {
        let _ = fs::remove_dir_all(&new);
        return Err(format!("cannot write to {shown}: {e}"));
    }
    Ok(())
}

/// What `dir` holds that its index does not list (relative paths, a folder once with a `/`):
/// everything, when it has no index.
fn foreign(dir: &Path) -> Result<Vec<String>, String> {
    let listed: Vec<String> = match std::fs::read_to_string(dir.join(INDEX)) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.join(INDEX).display())),
    };
    let mut found = Vec::new();
    let mut todo = vec![String::new()];
    while let Some(rel) = todo.pop() {
        let here = dir.join(&rel);
        let entries = std::fs::read_dir(&here).map_err(|e| format!("cannot read {}: {e}", here.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", here.display()))?;
            let path = format!("{rel}{}", entry.file_name().to_string_lossy());
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && listed.iter().any(|l| l.starts_with(&format!("{path}/"))) {
                todo.push(format!("{path}/"));
            } else if is_dir {
                found.push(format!("{path}/"));
            } else if !(listed.contains(&path) || path == INDEX) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The error for a DIR that holds files convoxc did not write.
fn refusal(dir: &str, foreign: &[String], indexed: bool) -> String {
    let shown: Vec<&str> = foreign.iter().take(10).map(String::as_str).collect();
    let more = match foreign.len() {
        n if n > 10 => format!(" and {} more", n - 10),
        _ => String::new(),
    };
    let why = if indexed {
        String::new()
    } else {
        format!(
            " (it has no {INDEX} listing what convoxc wrote: a bundle written by an earlier convoxc has none; \
             remove that directory once)"
        )
    };
    format!(
        "{dir} holds files that convoxc did not write: {}{more}{why}. convoxc replaces the whole directory \
         with the new bundle and never deletes a file it did not write: move them away or choose another \
         --out-dir. Nothing was written",
        shown.join(", ")
    )
}
