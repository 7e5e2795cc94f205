//! The binary in a real terminal (tmux, started by the test): colours on, and the apply
//! confirmation answered by keystrokes; next to it the same commands through a pipe (no colour, no
//! prompt: refused without --yes).

mod moto;

use moto::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A detached tmux session running `script` in a shell, removed on drop.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, script: &str) -> Tmux {
        let _ = Command::new("tmux").args(["kill-session", "-t", name]).output();
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "220",
                "-y",
                "60",
                "sh",
                "-c",
                script,
            ])
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(ok.success());
        Tmux { name: name.into() }
    }

    /// The pane's text, with its escape sequences (`-e`), scrollback included.
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-e", "-S", "-2000", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(Instant::now() < deadline, "never saw {text:?} in:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.name]).output();
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_convoxc")
}

/// Diagnostics are coloured on a terminal, plain through a pipe.
#[test]
fn colours_on_a_terminal_not_through_a_pipe() {
    let bad = std::env::var_os("CONVOXC_SHARED")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
            Into::into,
        )
        .join("conformance/convox-rack/invalid.2.yml");
    let bad = bad.display().to_string();
    let t = Tmux::start(
        &format!("convoxc-colour-{}", std::process::id()),
        &format!("'{}' validate '{bad}'; echo EXIT=$?; sleep 60", bin()),
    );
    let screen = t.wait_for("EXIT=1");
    assert!(screen.contains("\u{1b}["), "no colour on the terminal:\n{screen}");
    assert!(screen.contains("servicess"), "{screen}");
    let piped = Command::new(bin())
        .args(["validate", &bad])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(err.contains("servicess") && !err.contains("\u{1b}["), "{err}");
}

/// `apply` asks on a terminal; `y` executes. Through a pipe, without --yes, it refuses.
#[test]
fn apply_asks_on_a_terminal() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    let manifest = dir.path().join("convox.yml").display().to_string();
    let common = format!(
        "'{}' apply '{manifest}' --rack r --app myapp --build B1 -e SECRET_KEY_BASE=x --endpoint-url {} --region us-east-1",
        bin(),
        moto.endpoint()
    );
    // a pipe: no question, no deploy
    let piped = Command::new("sh")
        .args(["-c", &format!("{common} < /dev/null")])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("CONVOXC_POLL_MS", "100")
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&piped.stderr).contains("not asking on a non-terminal"));
    assert_ne!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));

    let t = Tmux::start(
        &format!("convoxc-apply-{}", std::process::id()),
        &format!(
            "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing CONVOXC_POLL_MS=100 {common}; echo EXIT=$?; sleep 60"
        ),
    );
    let screen = t.wait_for("Execute these changes to r-myapp? [y/N]");
    assert!(
        screen.contains("\u{1b}["),
        "the report is coloured on a terminal:\n{screen}"
    );
    t.keys(&["y", "Enter"]);
    t.wait_for("EXIT=0");
    assert_eq!(moto.stack_status("r-myapp").as_deref(), Some("CREATE_COMPLETE"));
}

/// `logs` follows in a terminal until Ctrl-C (a real keystroke, through tmux), which ends it with
/// exit 0 and no error.
#[test]
fn logs_follow_ends_on_ctrl_c_in_a_terminal() {
    let moto = Moto::start();
    rack(&moto, "r");
    let dir = app_dir(str::to_string);
    apply(&moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    let group = moto.physical_id("r-myapp", "LogGroup");
    moto.put_log(
        &group,
        "service/web/task1",
        now_ms() - 1000,
        &["GET / 200 in the terminal"],
    );
    let t = Tmux::start(
        &format!("convoxc-logs-{}", std::process::id()),
        // bash, as an interactive shell does, goes on after a child that handled Ctrl-C exits
        // normally (dash, Debian's sh, would die of the SIGINT with it)
        &format!(
            "exec bash -c \"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing CONVOXC_POLL_MS=200 '{}' logs --app \
             myapp --rack r --endpoint-url {} --region us-east-1; echo EXIT=\\$?; sleep 60\"",
            bin(),
            moto.endpoint()
        ),
    );
    t.wait_for("GET / 200 in the terminal");
    // still following: no exit yet
    std::thread::sleep(Duration::from_millis(600));
    assert!(!t.screen().contains("EXIT="), "{}", t.screen());
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains("error"), "{screen}");
}
