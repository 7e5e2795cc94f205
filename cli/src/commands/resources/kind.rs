//! The resource type a `resources` command is given.

use crate::args::USAGE;
use convoxc_compiler::ir::rack_resource::Kind;
use std::process::ExitCode;

/// A type name, or a usage error with a suggestion.
pub(crate) fn kind(name: &str) -> Result<Kind, ExitCode> {
    Kind::parse(name).ok_or_else(|| {
        let hint = match Kind::suggest(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "types: {}",
                Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        eprintln!("error: invalid resource type: {name}: {hint}");
        ExitCode::from(USAGE)
    })
}
