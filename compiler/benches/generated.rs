//! The generated manifests the benchmarks read (`compiler/benches/load.rs`, `cli/benches/lsp.rs`).

use std::fmt::Write;

/// A manifest with `n` services of the usual shapes, a resource per 10 services and a timer per 20.
pub fn generated(n: usize) -> String {
    let mut s = String::from("environment:\n  - GLOBAL=1\nresources:\n");
    databases(&mut s, n);
    s.push_str("services:\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "  svc{i}:\n    build: .\n    command: bin/run {i}\n    domain: svc{i}.example.org\n    environment:\n      - A{i}=x\n    health:\n      path: /health\n      interval: 10\n    port: {}\n    resources:\n      - db{}\n    scale:\n      count: 1-4\n      memory: 1024\n      targets:\n        cpu: 70",
            3000 + i % 1000,
            i / 10
        );
    }
    timers(&mut s, n);
    s
}

/// The same app where some services take their health check and scale from one anchor, merged in
/// (`<<: *service`), and their build from another: every 25th (80 aliases for 1,000 services).
/// Its services are written apart from `generated`'s so that that text, which the recorded figures
/// were measured on, stays as it was.
#[allow(dead_code)] // used by the language server's benchmark and `load`'s keystroke
pub fn generated_anchored(n: usize) -> String {
    let mut s = String::from(
        "x-service: &service\n  health:\n    path: /health\n    interval: 10\n  scale:\n    count: 1-4\n    memory: 1024\n    targets:\n      cpu: 70\nx-build: &build .\nenvironment:\n  - GLOBAL=1\nresources:\n",
    );
    databases(&mut s, n);
    s.push_str("services:\n");
    for i in 0..n {
        let common = if i % 25 == 0 {
            "    <<: *service\n    build: *build\n".to_string()
        } else {
            "    build: .\n    health:\n      path: /health\n      interval: 10\n    scale:\n      count: 1-4\n      memory: 1024\n      targets:\n        cpu: 70\n".to_string()
        };
        let _ = writeln!(
            s,
            "  svc{i}:\n{common}    command: bin/run {i}\n    domain: svc{i}.example.org\n    environment:\n      - A{i}=x\n    port: {}\n    resources:\n      - db{}",
            3000 + i % 1000,
            i / 10
        );
    }
    timers(&mut s, n);
    s
}

/// A database for every 10 services.
fn databases(s: &mut String, n: usize) {
    for i in 0..n.div_ceil(10) {
        let _ = writeln!(
            s,
            "  db{i}:\n    type: postgres\n    options:\n      storage: 50\n      version: \"15\""
        );
    }
}

/// `timers:`, a timer for every 20 services.
fn timers(s: &mut String, n: usize) {
    s.push_str("timers:\n");
    for i in (0..n).step_by(20) {
        let _ = writeln!(
            s,
            "  t{i}:\n    command: bin/cron\n    schedule: \"0 3 * * *\"\n    service: svc{i}"
        );
    }
}
