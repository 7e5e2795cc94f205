//! What waits for an app's next apply, in SSM beside its environment (`/convoxc/<rack>/<app>/`):
//! `.staged/<NAME>`, a value `convoxc env set` gave (a SecureString), and `.unset/<NAME>`, a
//! removal `convoxc env unset` (or `resources unlink`) asked for. The containers read only the
//! app's own `<NAME>` parameters, which an apply writes after consent: a staged value reaches
//! them through the next apply (which shows it as a change), never because a task restarted.

use crate::aws::clients::{Clients, Result};
use crate::aws::secrets;
use convoxc_compiler::ir::naming::env_parameter_path;
use std::collections::{BTreeMap, BTreeSet};

const SET: &str = ".staged";
const UNSET: &str = ".unset";

fn folder(rack: &str, app: &str, kind: &str) -> String {
    env_parameter_path(rack, app, &format!("{kind}/"))
}

/// The changes waiting for the app's next apply.
#[derive(Default)]
pub(crate) struct Staged {
    pub set: BTreeMap<String, String>,
    pub unset: BTreeSet<String>,
    /// The parameters that hold them, each with the version read: deleted once an apply has
    /// stored what they say, unless staged anew meanwhile (`secrets::delete_read`).
    pub paths: Vec<(String, i64)>,
}

impl Staged {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.unset.is_empty()
    }
}

pub(crate) async fn read(c: &Clients, rack: &str, app: &str) -> Result<Staged> {
    let mut staged = Staged::default();
    for (kind, unset) in [(SET, false), (UNSET, true)] {
        let dir = folder(rack, app, kind);
        for (path, (value, version)) in secrets::versioned(c, &dir, false).await? {
            let name = path.trim_start_matches(&dir).to_string();
            if unset {
                staged.unset.insert(name);
            } else {
                staged.set.insert(name, value);
            }
            staged.paths.push((path, version));
        }
    }
    Ok(staged)
}

/// Stage values for the next apply (a staged removal of the same name is dropped), encrypted
/// with `key` (the rack's: `rack_stack::secrets_key`).
pub(crate) async fn set(
    c: &Clients,
    (rack, app): (&str, &str),
    values: &BTreeMap<String, String>,
    key: Option<&str>,
) -> Result<()> {
    for (name, value) in values {
        secrets::put(c, &format!("{}{name}", folder(rack, app, SET)), value, key).await?;
    }
    let undone: Vec<String> = values
        .keys()
        .map(|n| format!("{}{n}", folder(rack, app, UNSET)))
        .collect();
    secrets::delete(c, &undone).await
}

/// Stage removals for the next apply (a staged value of the same name is dropped).
pub(crate) async fn unset(
    c: &Clients,
    (rack, app): (&str, &str),
    names: &BTreeSet<String>,
    key: Option<&str>,
) -> Result<()> {
    for name in names {
        // the value says nothing: the name is what counts (SSM refuses an empty value)
        secrets::put(c, &format!("{}{name}", folder(rack, app, UNSET)), "unset", key).await?;
    }
    let undone: Vec<String> = names.iter().map(|n| format!("{}{n}", folder(rack, app, SET))).collect();
    secrets::delete(c, &undone).await
}
