//! The current rack: the one a command works on when it names none. `--rack NAME` wins, then the
//! `CONVOXC_RACK` environment variable, then the config file that `convoxc switch NAME` writes:
//! `$XDG_CONFIG_HOME/convoxc/config.json` (`~/.config/convoxc/config.json` without it), a JSON
//! object whose `rack` is the current rack (other keys are kept as they are).

use serde_json::{Map, Value};
use std::path::PathBuf;

/// The environment variable that names the current rack (over the config file).
pub const ENV: &str = "CONVOXC_RACK";

/// Where the current rack comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    Env,
    File(PathBuf),
}

/// The config file's path, or None without XDG_CONFIG_HOME and HOME.
pub fn config_path() -> Option<PathBuf> {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = set("XDG_CONFIG_HOME").or_else(|| set("HOME").map(|h| h.join(".config")))?;
    Some(base.join("convoxc").join("config.json"))
}

fn read_config(path: &PathBuf) -> Result<Map<String, Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) | Err(_) => Err(format!(
                "{} is not a JSON object: fix or remove it (`convoxc switch NAME` writes a new one)",
                path.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The current rack and where it comes from, if there is one.
pub fn current() -> Result<Option<(String, Source)>, String> {
    if let Some(r) = std::env::var(ENV).ok().filter(|r| !r.is_empty()) {
        return Ok(Some((r, Source::Env)));
    }
    let Some(path) = config_path() else { return Ok(None) };
    let config = read_config(&path)?;
    Ok(config
        .get("rack")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .map(|r| (r.to_string(), Source::File(path))))
}

/// The rack a command works on: the one it is given, else the current rack.
fn resolve(given: Option<String>) -> Result<String, String> {
    if let Some(r) = given {
        return Ok(r);
    }
    match current()? {
        Some((r, _)) => Ok(r),
        None => Err(format!(
            "no rack: give --rack NAME, set {ENV}=NAME, or make one current with `convoxc switch NAME`"
        )),
    }
}

/// For a command's `--rack`: fill it with the current rack when it is not given, or say how to
/// give one (a usage error, exit 2).
pub(crate) fn fill(rack: &mut Option<String>) -> Result<(), std::process::ExitCode> {
    match resolve(rack.take()) {
        Ok(r) => {
            *rack = Some(r);
            Ok(())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(std::process::ExitCode::from(crate::args::USAGE))
        }
    }
}

/// Make `name` the current rack (the config file is written whole, then moved into place).
pub fn switch(name: &str) -> Result<PathBuf, String> {
    let path =
        config_path().ok_or("cannot tell where the config file goes: neither XDG_CONFIG_HOME nor HOME is set")?;
    let mut config = read_config(&path)?;
    config.insert("rack".into(), Value::String(name.to_string()));
    let dir = path.parent().expect("the path has a folder");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    let mut text = serde_json::to_string_pretty(&Value::Object(config)).expect("a map serialises");
    text.push('\n');
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
