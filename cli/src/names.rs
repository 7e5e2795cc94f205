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

/// The app name: --app, else the manifest's directory name (lower-cased).
pub(crate) fn app_name(app: Option<&str>, file: &Path) -> Result<String, String> {
    let name = match app {
        Some(a) => a.to_string(),
        None => {
            let dir = std::fs::canonicalize(file)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            dir.and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_lowercase()))
                .unwrap_or_default()
        }
    };
    valid_name("app", &name).map(|()| name)
}
