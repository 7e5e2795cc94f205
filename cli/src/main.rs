//! `convoxc`: compile convox.yml to CloudFormation.
//!
//! Exit codes: 0 ok, 1 input (or deploy) failure, 2 usage error, 3 a `diff --fail-on` gate.

mod args;
mod aws;
mod commands;
mod compile;
mod current;
mod deploy;
mod emit;
mod images;
mod input;
mod lsp;
mod names;
mod ops;
mod output;
mod target;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "convoxc",
    version,
    about = "Compile convox.yml to AWS CloudFormation",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour: auto (a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces it),
    /// always, never.
    #[arg(long, value_enum, default_value_t = args::Color::Auto, global = true)]
    color: args::Color,
}

/// Each subcommand's arguments are defined only when it is the one run (`defer`): building all
/// twenty-odd commands' arguments was a third of a `validate`'s start-up. Whatever walks the
/// whole tree (completions, man pages) builds it first (`Command::build`).
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    /// Check a convox.yml (and rack params): report every problem, exit 1 if there is an error.
    Validate(commands::validate::ValidateArgs),
    /// Compile convox.yml to CloudFormation: the app stack on stdout, or the whole bundle with --out-dir.
    Build(commands::build::BuildArgs),
    /// What a change will do to the app's stacks: replacements, data loss, refusals (text, markdown, JSON).
    Diff(commands::diff::DiffArgs),
    /// Build the app's images from source, push them to its registry, and deploy it: one command,
    /// one consent (`apply` with the images built).
    Deploy(commands::deploy::DeployArgs),
    /// Deploy an app to a rack: upload its templates, create a change set, execute it, follow it.
    Apply(commands::apply::ApplyArgs),
    /// The builds in the app's registry; `images push` builds and pushes without deploying.
    Images(commands::images::ImagesArgs),
    /// The rack: its name, status, kind, region and router; `rack build`, `rack apply`, `rack params`.
    Rack(commands::rack::RackArgs),
    /// The rack's resources (`convox rack resources`): list; create, info, update, delete, link,
    /// unlink; types, options, templates.
    Resources(commands::resources::ResourcesArgs),
    /// The racks in the account and region (convoxc's and convox's): NAME STATUS REGION KIND.
    Racks(commands::racks::RacksArgs),
    /// Make a rack the current one (the rack commands use when they name none), or print it.
    Switch(commands::switch::SwitchArgs),
    /// The rack's apps with their status; `apps info`, `apps create`, `apps cancel`, `apps delete`.
    Apps(commands::apps::AppsArgs),
    /// An app's environment (masked unless --reveal); `env set`, `env unset` stage changes for its
    /// next apply.
    Env(commands::env::EnvArgs),
    /// An app's releases (what each deploy deployed together), the active one marked; `releases
    /// info`, `releases manifest`, `releases rollback` (an earlier release again), `releases promote`.
    Releases(commands::releases::ReleasesArgs),
    /// An app's logs (its CloudWatch log group), every service's and timer's lines prefixed by
    /// their stream; follows until Ctrl-C unless --no-follow.
    Logs(commands::logs::LogsArgs),
    /// The app's tasks (services', timers' and one-offs'): ID, service, build, status, where, CPU and
    /// memory; `ps stop TASK`.
    Ps(commands::ps::PsArgs),
    /// A one-off task of a service (a migration, a console): its task definition, network and
    /// launch type, the command given; streams its lines and exits with its exit code.
    Run(commands::run::RunArgs),
    /// A new deployment of the app's services (or one), of what they run now, followed to a steady
    /// state.
    Restart(commands::restart::RestartArgs),
    /// Each service's desired and running tasks, cpu and memory; `scale SERVICE --count N --cpu N
    /// --memory N` changes them through a change set.
    Scale(commands::scale::ScaleArgs),
    /// A command in a running task (ECS Exec, through AWS's session-manager-plugin).
    Exec(commands::exec::ExecArgs),
    /// The language server for editors, over stdio: the compiler's diagnostics, hover, completion,
    /// definitions, references, symbols, quick fixes.
    Lsp(commands::lsp::LspArgs),
    /// Print the JSON Schema for convox.yml (or for rack params).
    Schema(commands::schema::SchemaArgs),
    /// Print a shell completion script: `convoxc completions bash > /etc/bash_completion.d/convoxc`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write man pages (convoxc.1 and one per subcommand, convoxc-rack-apply.1 …) to a folder.
    Man {
        /// Where to write them (created if missing).
        #[arg(long, value_name = "DIR", default_value = "man")]
        out_dir: std::path::PathBuf,
    },
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A closed pipe (`convoxc schema | head`) ends the process quietly, as it does any Unix filter:
/// SIGPIPE back to its default (Rust ignores it, and then every print to the closed pipe panics).
/// Only for the commands that talk to no network: a socket's closed peer must stay an error the
/// applier reports, never a silent exit in the middle of a deploy.
fn quiet_pipe() {
    // SAFETY: setting a signal's disposition to its default, before any thread is started
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Spellings kept for one release: they work, with a warning that names the new one.
fn deprecations(command: &Command) {
    let argv: Vec<String> = std::env::args().collect();
    let used = |flag: &str| argv.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let old = match command {
        Command::Build(_) => "--rack-name",
        Command::Resources(r) if r.is_build() => "--rack-name",
        Command::Rack(_) => "--name",
        _ => return,
    };
    if used(old) {
        eprintln!("warning: {old} is deprecated and goes away in the next release: use --rack NAME");
    }
}

/// Transparent huge pages only where a command builds whole bundles (`build`, `diff`, `apply`,
/// `deploy`, and their `rack`/`resources` forms). The allocator asks for huge pages; where it gets
/// them, each first touch zeroes 2 MiB: a bundle of 500 services is built 1.45 times faster so (a
/// fault per 4 KiB page is dear on a virtual machine), while `validate`, the language server and
/// the rest peak at 10.4 MB instead of 16 and start faster (zeroing a huge page costs more than the
/// hundred small faults it saves: `validate` 4.2 ms against 4.9 under `perf stat -r 300`).
///
/// Decided before the allocator's own start-up touches its first pages: run from `.init_array`
/// with a priority, ahead of the allocator's constructor (which has none), with the arguments glibc
/// hands such functions, and allocating nothing. The flag passes to the programs such a command
/// starts (`exec`'s session-manager plugin): they run without huge pages, as the small programs
/// they are would choose (it makes `validate` faster). The image builds of `deploy` keep them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod huge_pages {
    use std::ffi::{CStr, c_char, c_int};

    /// Whether the command (the first one or two words that are not flags) builds bundles.
    fn builds_bundles<'a>(args: impl Iterator<Item = &'a [u8]>) -> bool {
        args.filter(|a| !a.starts_with(b"-"))
            .take(2)
            .any(|a| matches!(a, b"build" | b"diff" | b"apply" | b"deploy"))
    }

    extern "C" fn where_they_pay(argc: c_int, argv: *const *const c_char, _env: *const *const c_char) {
        if argv.is_null() || argc < 1 {
            return;
        }
        // SAFETY: glibc passes main's argc/argv to .init_array functions: argc valid C strings
        let args = (1..argc as usize).map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes());
        if !builds_bundles(args) {
            // SAFETY: a prctl that sets a flag of this process; no memory is handed to the kernel
            unsafe {
                libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
            }
        }
    }

    #[used]
    #[unsafe(link_section = ".init_array.00101")]
    static WHERE_THEY_PAY: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = where_they_pay;

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_commands_that_build_bundles() {
            let is = |args: &[&str]| super::builds_bundles(args.iter().map(|a| a.as_bytes()));
            assert!(is(&["build", "convox.yml"]) && is(&["diff"]) && is(&["apply"]) && is(&["deploy"]));
            assert!(is(&["rack", "build"]) && is(&["resources", "build", "x"]));
            assert!(is(&["--color", "never", "diff"]), "a flag's value may come first");
            assert!(!is(&["validate", "convox.yml"]) && !is(&["lsp"]) && !is(&["schema"]) && !is(&[]));
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    args::set_color(cli.color);
    deprecations(&cli.command);
    let offline = match &cli.command {
        Command::Validate(_)
        | Command::Build(_)
        | Command::Schema(_)
        | Command::Completions { .. }
        | Command::Man { .. } => true,
        Command::Switch(_) | Command::Lsp(_) => true,
        Command::Resources(r) => r.offline(),
        Command::Rack(r) => r.offline(),
        Command::Diff(d) => !d.online(),
        Command::Apply(_)
        | Command::Deploy(_)
        | Command::Images(_)
        | Command::Racks(_)
        | Command::Apps(_)
        | Command::Env(_)
        | Command::Logs(_)
        | Command::Releases(_)
        | Command::Ps(_)
        | Command::Run(_)
        | Command::Restart(_)
        | Command::Scale(_)
        | Command::Exec(_) => false,
    };
    if offline {
        quiet_pipe();
    }
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::Images(args) => commands::images::run(args),
        Command::Rack(command) => commands::rack::run(command),
        Command::Resources(command) => commands::resources::run(command),
        Command::Schema(args) => commands::schema::run(args),
        Command::Switch(args) => commands::switch::run(args),
        Command::Racks(args) => commands::racks::run(args),
        Command::Apps(args) => commands::apps::run(args),
        Command::Env(args) => commands::env::run(args),
        Command::Releases(args) => commands::releases::run(args),
        Command::Logs(args) => commands::logs::run(args),
        Command::Ps(args) => commands::ps::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Restart(args) => commands::restart::run(args),
        Command::Scale(args) => commands::scale::run(args),
        Command::Exec(args) => commands::exec::run(args),
        Command::Lsp(args) => commands::lsp::run(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "convoxc", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man { out_dir } => man(&out_dir),
    }
}

/// Every man page, generated from the clap definitions: the command and each subcommand at every
/// depth, named as man(1) expects (`convoxc-rack-apply.1`).
fn man(dir: &std::path::Path) -> ExitCode {
    fn write(cmd: &clap::Command, name: &str, dir: &std::path::Path, out: &mut Vec<String>) -> std::io::Result<()> {
        let cmd = cmd.clone().name(name.to_string());
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
        let file = format!("{name}.1");
        std::fs::write(dir.join(&file), page)?;
        out.push(file);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            write(sub, &format!("{name}-{}", sub.get_name()), dir, out)?;
        }
        Ok(())
    }
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // the deferred subcommands' arguments, defined
    cmd.build();
    let mut written = Vec::new();
    let done = std::fs::create_dir_all(dir).and_then(|()| write(&cmd, "convoxc", dir, &mut written));
    match done {
        Ok(()) => {
            eprintln!("wrote {} man pages to {}", written.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write man pages to {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}
