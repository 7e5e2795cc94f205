//! `convoxc resources types`: the resource types, one a line.

use convoxc_compiler::ir::rack_resource::Kind;
use std::process::ExitCode;

pub(crate) fn run() -> ExitCode {
    for k in Kind::ALL {
        println!("{}", k.as_str());
    }
    ExitCode::SUCCESS
}
