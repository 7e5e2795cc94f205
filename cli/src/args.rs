//! Arguments and types shared by several commands: the manifest arguments, how templates and
//! diagnostics are printed, `KEY=VALUE` pairs, the usage-error exit code.

use clap::{Args, ValueEnum};
use convoxc_compiler::back::Template;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ManifestArgs {
    /// The manifest to read.
    #[arg(default_value = "convox.yml")]
    pub(crate) file: PathBuf,
    /// Set an environment variable for ${VAR} interpolation and required-variable checks (repeatable).
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub(crate) env: Vec<(String, String)>,
    /// Read environment variables from a file of KEY=VALUE lines (applied before -e).
    #[arg(long, value_name = "FILE")]
    pub(crate) env_file: Option<PathBuf>,
    /// Rack parameters (a JSON or YAML map of NAME: value) to check the manifest against.
    #[arg(long, value_name = "FILE")]
    pub(crate) rack_params: Option<PathBuf>,
}

/// How a command that compiles templates prints them and its diagnostics.
#[derive(Args)]
pub struct OutputArgs {
    /// Template format. JSON is what is deployed (its bytes are content-addressed); YAML is for reading.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub diagnostics: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

impl TemplateFormat {
    /// The template's text in this format (JSON: its own bytes, not a copy).
    pub fn render(self, t: &Template) -> std::borrow::Cow<'_, str> {
        match self {
            TemplateFormat::Json => std::borrow::Cow::Borrowed(&t.text),
            TemplateFormat::Yaml => std::borrow::Cow::Owned(
                serde_saphyr::to_string(t.value()).unwrap_or_else(|e| format!("# cannot write YAML: {e}\n")),
            ),
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Json => "json",
            TemplateFormat::Yaml => "yaml",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// How a listing command (`racks`, `apps`, `resources`) prints: a table, or JSON.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// `--build ID`: the part of an image tag after `<service>.` — a Docker tag is `[A-Za-z0-9_][A-Za-z0-9_.-]*`,
/// at most 128 characters in all (the distribution spec's reference grammar; ECR allows 300, the engines
/// 128), so an ID is kept to 64, leaving the service name room.
pub(crate) fn parse_build(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !s.starts_with(['.', '-']);
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a build ID: 1 to 64 letters, digits, `_`, `.` or `-`, not starting with `.` or `-` \
             (it ends an image tag, `<service>.<build>`)"
        ))
    }
}

pub(crate) fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

pub const USAGE: u8 = 2;

/// Whether text on stdout is coloured when the user did not say: a terminal, unless `NO_COLOR`
/// is set (to anything but empty) or `TERM=dumb`.
/// `--color`, for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<Color> = std::sync::OnceLock::new();

pub(crate) fn set_color(c: Color) {
    let _ = COLOR.set(c);
}

/// Whether to colour what goes to stdout.
pub(crate) fn color_enabled() -> bool {
    use std::io::IsTerminal;
    colour(std::io::stdout().is_terminal())
}

/// Whether to colour what goes to stderr.
pub(crate) fn color_stderr() -> bool {
    use std::io::IsTerminal;
    colour(std::io::stderr().is_terminal())
}

/// `--color`, then the conventions: CLICOLOR_FORCE (not "0") forces colour, NO_COLOR (not empty)
/// and TERM=dumb turn it off, else colour on a terminal.
fn colour(terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match COLOR.get().copied().unwrap_or(Color::Auto) {
        Color::Always => true,
        Color::Never => false,
        Color::Auto if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        Color::Auto if set("NO_COLOR") => false,
        Color::Auto if std::env::var("TERM").is_ok_and(|t| t == "dumb") => false,
        Color::Auto => terminal,
    }
}
