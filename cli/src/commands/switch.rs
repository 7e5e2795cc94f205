//! `convoxc switch [NAME]`: make a rack the current one, or say which is.

use crate::args::USAGE;
use crate::current::{self, Source};
use crate::names::valid_name;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct SwitchArgs {
    /// The rack (its stack name) to make current; without it, print the current rack.
    pub name: Option<String>,
}

pub(crate) fn run(args: SwitchArgs) -> ExitCode {
    let Some(name) = args.name else {
        return match current::current() {
            Ok(Some((rack, source))) => {
                println!("{rack}");
                let from = match source {
                    Source::Env => format!("from {}", current::ENV),
                    Source::File(p) => format!("from {}", p.display()),
                };
                eprintln!("({from})");
                ExitCode::SUCCESS
            }
            Ok(None) => {
                eprintln!(
                    "error: no current rack: run `convoxc switch NAME` (or set {}=NAME)",
                    current::ENV
                );
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        };
    };
    if let Err(e) = valid_name("rack", &name) {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    match current::switch(&name) {
        Ok(path) => {
            println!("switched to {name}");
            if std::env::var(current::ENV).is_ok_and(|r| !r.is_empty() && r != name) {
                eprintln!(
                    "warning: {} is set and still wins over {} in this shell",
                    current::ENV,
                    path.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
