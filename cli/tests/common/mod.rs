//! Running the convoxc binary from the CLI tests.

use std::process::{Command, Output};

pub fn convoxc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args(args)
        .output()
        .expect("runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[allow(dead_code)] // not every test file reads stderr
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
