//! Reading the files a command is given: a file as a SourceFile, the manifest arguments as the
//! compiler's Input.

use crate::args::{ManifestArgs, USAGE};
use convoxc_compiler::{Input, SourceFile};
use std::path::Path;
use std::process::ExitCode;

pub fn read(path: &Path) -> Result<SourceFile, ExitCode> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(path.display().to_string(), text)),
            Err(e) => {
                eprintln!(
                    "error: {} is not UTF-8 text (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                );
                Err(ExitCode::from(1))
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            Err(ExitCode::from(USAGE))
        }
    }
}

pub(crate) fn input(args: &ManifestArgs) -> Result<Input, ExitCode> {
    Ok(Input {
        manifest: Some(read(&args.file)?),
        env_file: args.env_file.as_deref().map(read).transpose()?,
        env: args.env.clone(),
        env_known: args.env_file.is_some() || !args.env.is_empty(),
        rack_params: args.rack_params.as_deref().map(read).transpose()?,
    })
}
