//! Reading the files a command is given: a file as a SourceFile, the manifest arguments as the
//! compiler's Input.

use crate::args::{Format, ManifestArgs, USAGE};
use crate::output;
use convoxc_compiler::diff::{Stack, side};
use convoxc_compiler::{Code, Diagnostic, Input, SourceFile, Sources, Span};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

pub fn read(path: &Path) -> Result<SourceFile, ExitCode> {
    read_as(path, Format::Human)
}

/// `read`, saying that a file is not UTF-8 as a diagnostic in `format` (JSON stays JSON).
pub fn read_as(path: &Path, format: Format) -> Result<SourceFile, ExitCode> {
    // `-` is stdin, as Unix tools take it
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map(|_| b)
    } else {
        std::fs::read(path)
    };
    let path = if path == Path::new("-") {
        Path::new("<stdin>")
    } else {
        path
    };
    match bytes {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(path.display().to_string(), text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let mut sources = Sources::default();
                let id = sources.add(SourceFile::new(path.display().to_string(), lossy));
                // the first bad byte is at the same offset in the lossy text (what precedes it is valid)
                let d = Diagnostic::new(
                    Code::Encoding,
                    id,
                    Span::new(at, at + 1),
                    "",
                    format!("{} is not UTF-8 text (byte {at})", path.display()),
                )
                .help("save it as UTF-8 (convox reads manifests as UTF-8)");
                output::print(&sources, &[d], format);
                Err(ExitCode::from(1))
            }
        },
        Err(e) => {
            let message = format!("cannot read {}: {e}", path.display());
            if format == Format::Human {
                eprintln!("error: {message}");
            } else {
                // machine-readable output stays machine-readable
                let mut sources = Sources::default();
                let id = sources.add(SourceFile::new(path.display().to_string(), String::new()));
                let d = Diagnostic::new(Code::Unreadable, id, Span::new(0, 0), "", message);
                output::print(&sources, &[d], format);
            }
            Err(ExitCode::from(USAGE))
        }
    }
}

/// The compiler's input from the manifest arguments; a file that cannot be read is said in
/// `format` (the diagnostics' format).
pub(crate) fn input(args: &ManifestArgs, format: Format) -> Result<Input, ExitCode> {
    let read = |p: &Path| read_as(p, format);
    Ok(Input {
        manifest: Some(read(&args.file)?),
        env_file: args.env_file.as_deref().map(read).transpose()?,
        env: args.env.clone(),
        env_known: args.env_file.is_some() || !args.env.is_empty(),
        supplied_at_deploy: false,
        rack_params: args.rack_params.as_deref().map(read).transpose()?,
    })
}

/// A bundle folder's template files (JSON or CloudFormation YAML), by their path in it.
pub(crate) fn read_bundle(dir: &Path) -> Result<Stack, String> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
            {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                files.insert(rel, text);
            }
        }
    }
    side::from_files(&files).map_err(|e| format!("{}: {e}", dir.display()))
}
