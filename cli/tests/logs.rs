//! `convoxc logs` and `convoxc rack logs` against moto's server (see `apply.rs`): the real rack and
//! the fixture app deployed, log events put into their log groups with the SDK in streams named as
//! ECS's awslogs driver names them (`service/<service>/<task>`, `timer/<timer>/<task>`), and the
//! binary run as a user would: once (`--no-follow`), following (new lines within a few polls,
//! Ctrl-C ends it with exit 0), and into a pipe whose reader goes away.

mod moto;

use moto::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const APP: &[&str] = &["--app", "myapp", "--rack", "r"];

/// Put one event (time in ms) into a stream of the group, making the stream if it is new.
fn put(moto: &Moto, group: &str, stream: &str, time: i64, message: &str) {
    moto.put_log(group, stream, time, &[message]);
}

/// The rack and the fixture app deployed; two services' and a timer's lines in the app's group,
/// and one from two hours ago. The app's log group.
fn deployed(moto: &Moto) -> String {
    rack(moto, "r");
    let dir = app_dir(str::to_string);
    apply(moto, dir.path(), &["-e", "SECRET_KEY_BASE=x"]).ok();
    let group = moto.physical_id("r-myapp", "LogGroup");
    let now = now_ms();
    put(moto, &group, "service/web/task1", now - 240_000, "web started");
    put(moto, &group, "service/worker/task2", now - 200_000, "worker ERROR boom");
    put(moto, &group, "timer/cleanup/task3", now - 150_000, "cleanup done");
    put(moto, &group, "service/web/task1", now - 100_000, "GET / 200");
    put(moto, &group, "service/web/task0", now - 7_200_000, "ancient");
    group
}

type Out = Apart;

fn run(moto: &Moto, args: &[&str]) -> Out {
    moto.run_apart(args)
}

fn logs(moto: &Moto, extra: &[&str]) -> Out {
    let mut args = vec!["logs"];
    args.extend_from_slice(APP);
    args.extend_from_slice(extra);
    run(moto, &args)
}

/// The message at the end of each line (after time and stream).
fn messages(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn logs_no_follow_services_filter_json_since_and_the_rack() {
    let moto = Moto::start();
    let group = deployed(&moto);

    // every service's and timer's lines, in time order, prefixed by their stream
    let all = logs(&moto, &["--no-follow", "--since", "1h"]).ok();
    assert_eq!(
        messages(&all.out),
        ["web started", "worker ERROR boom", "cleanup done", "GET / 200"],
        "{}",
        all.out
    );
    let lines: Vec<&str> = all.out.lines().collect();
    assert!(lines[0].contains("Z service/web/task1 web started"), "{}", lines[0]);
    assert!(lines[1].contains(" service/worker/task2 "), "{}", lines[1]);
    assert!(lines[2].contains(" timer/cleanup/task3 "), "{}", lines[2]);
    assert!(
        lines[0].len() > 20 && &lines[0][4..5] == "-" && &lines[0][19..20] == "Z",
        "{}",
        lines[0]
    );
    assert!(all.err.trim().is_empty(), "{}", all.err);

    // the default window is the last 5 minutes
    let recent = logs(&moto, &["--no-follow"]).ok();
    assert_eq!(messages(&recent.out).len(), 4, "{}", recent.out);

    let web = logs(&moto, &["--no-follow", "--since", "1h", "--service", "web"]).ok();
    assert_eq!(messages(&web.out), ["web started", "GET / 200"], "{}", web.out);

    let errors = logs(&moto, &["--no-follow", "--since", "1h", "--filter", "ERROR"]).ok();
    assert_eq!(messages(&errors.out), ["worker ERROR boom"], "{}", errors.out);

    let json = logs(&moto, &["--no-follow", "--since", "1h", "--format", "json"]).ok();
    let objects: Vec<serde_json::Value> = json.out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 4, "{}", json.out);
    assert_eq!(objects[2]["service"], "cleanup");
    assert_eq!(objects[2]["task"], "task3");
    assert_eq!(objects[2]["stream"], "timer/cleanup/task3");
    assert_eq!(objects[2]["message"], "cleanup done");
    assert!(objects[2]["time"].as_str().unwrap().ends_with('Z'));

    // an ISO time three hours back includes the old line
    let three_hours_ago = SystemTime::now() - Duration::from_secs(3 * 3600);
    let secs = three_hours_ago.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let iso = iso_utc(secs);
    let since = logs(&moto, &["--no-follow", "--since", &iso]).ok();
    assert_eq!(
        messages(&since.out).first().map(String::as_str),
        Some("ancient"),
        "{iso}: {}",
        since.out
    );
    assert_eq!(messages(&since.out).len(), 5, "{}", since.out);

    // a --since that is neither is a usage error, before any AWS call
    let bad = logs(&moto, &["--no-follow", "--since", "yesterday"]);
    assert_eq!(bad.code, Some(2), "{}", bad.err);
    assert!(bad.err.contains("--since yesterday"), "{}", bad.err);

    // an app the rack does not have
    let missing = run(&moto, &["logs", "--app", "nope", "--rack", "r", "--no-follow"]);
    assert_eq!(missing.code, Some(1), "{}", missing.err);
    assert!(missing.err.contains("rack r has no app nope"), "{}", missing.err);

    // the rack's own group
    let rack_group = output(&moto, "r", "LogGroup");
    assert_ne!(rack_group, group);
    put(&moto, &rack_group, "system/instance1", now_ms() - 60_000, "rack line");
    let rack = run(&moto, &["rack", "logs", "--rack", "r", "--no-follow"]).ok();
    assert_eq!(messages(&rack.out), ["rack line"], "{}", rack.out);
    assert!(rack.out.contains(" system/instance1 rack line"), "{}", rack.out);
}

/// A stack's output.
fn output(moto: &Moto, stack: &str, key: &str) -> String {
    let cfn = moto.cfn();
    moto.rt.block_on(async {
        let out = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
        let s = out.stacks().first().unwrap();
        let o = s.outputs().iter().find(|o| o.output_key() == Some(key));
        o.and_then(|o| o.output_value()).unwrap().to_string()
    })
}

/// `2026-12-07T10:00:00Z` for seconds since the epoch (civil from days, Howard Hinnant's).
fn iso_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(rx: &mpsc::Receiver<String>, text: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains(text);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }
    panic!("no line with {text:?} within 30 s; saw {seen:?}");
}

fn wait_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("convoxc logs did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `convoxc logs` of the app, following, its stdout and stderr piped.
fn following(moto: &Moto) -> std::process::Child {
    let mut args = vec!["logs"];
    args.extend_from_slice(APP);
    moto.command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child exits within 10 s, with 0 and nothing on stderr.
fn ends_quietly(child: &mut std::process::Child) {
    let status = wait_exit(child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.trim().is_empty(), "{err}");
}

#[test]
fn logs_follow_prints_new_lines_once_and_ends_on_ctrl_c() {
    let moto = Moto::start();
    let group = deployed(&moto);
    let mut child = following(&moto);
    let rx = lines_of(&mut child);
    let first = wait_for(&rx, "GET / 200");
    assert_eq!(first.len(), 4, "{first:?}");

    put(&moto, &group, "service/worker/task2", now_ms(), "a new line");
    wait_for(&rx, "service/worker/task2 a new line");
    // a few more polls (100 ms each): the windows overlap, nothing is printed twice
    std::thread::sleep(Duration::from_millis(600));
    assert!(rx.try_recv().is_err(), "a line printed twice");

    // SAFETY: a signal to the child this test started
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    ends_quietly(&mut child);
}

#[test]
fn logs_into_a_closed_pipe_end_quietly() {
    let moto = Moto::start();
    deployed(&moto);
    let mut child = following(&moto);
    // `convoxc logs | head -1`: one line read, then the reader goes away
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("web started"), "{line}");
    drop(out);
    ends_quietly(&mut child);
}
