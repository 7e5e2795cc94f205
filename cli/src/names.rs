//! App and rack names: checked, and the app's derived from its manifest's directory.

use std::path::Path;

/// App and rack names: they become stack names, DNS labels and resource names.
pub(crate) fn valid_name(what: &str, name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} name `{name}`: use lowercase letters, digits and dashes (at most 40), starting with a letter"
        ))
    }
}

/// The app name: --app, else the manifest's directory name (lower-cased). The error says the true
/// cause first: a manifest that cannot be read, stdin (no folder to name the app), or a folder
/// whose name is not an app name (then: give --app).
pub(crate) fn app_name(app: Option<&str>, file: &Path) -> Result<String, String> {
    if let Some(a) = app {
        return valid_name("app", a).map(|()| a.to_string());
    }
    if file == Path::new("-") {
        return Err(
            "the manifest comes from stdin, so there is no folder to name the app after: give --app NAME".into(),
        );
    }
    let path = std::fs::canonicalize(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = folder.to_lowercase();
    valid_name("app", &name).map(|()| name).map_err(|e| {
        format!(
            "the app is named after the manifest's folder `{folder}` ({}), and {e}\n  give the app a name with --app NAME",
            dir.display()
        )
    })
}

/// The app a command that reads no manifest works on: --app, else the current directory's name
/// (as convox takes it).
pub(crate) fn app_here(app: Option<&str>) -> Result<String, String> {
    if let Some(a) = app {
        return valid_name("app", a).map(|()| a.to_string());
    }
    let dir =
        std::env::current_dir().map_err(|e| format!("cannot tell the current directory: {e}; give --app NAME"))?;
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    valid_name("app", &folder.to_lowercase())
        .map(|()| folder.to_lowercase())
        .map_err(|e| format!("no --app, and the current folder's name is not an app name: {e}; give --app NAME"))
}
