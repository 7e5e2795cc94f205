//! Running the convoxc binary from the CLI tests.

use std::process::{Command, Output};

/// The binary with no current rack of the user's: no CONVOXC_RACK, a config folder that does not exist.
pub fn convoxc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args(args)
        .env_remove("CONVOXC_RACK")
        .env("XDG_CONFIG_HOME", "/nonexistent/convoxc-tests")
        .output()
        .expect("runs")
}

/// `../shared` beside the checkout, or CONVOXC_SHARED (as the tests crate reads it).
#[allow(dead_code)] // not every test file reads shared files
pub fn shared_dir() -> std::path::PathBuf {
    match std::env::var_os("CONVOXC_SHARED") {
        Some(d) => d.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[allow(dead_code)] // not every test file reads stderr
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
