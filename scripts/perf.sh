#!/usr/bin/env bash
# Whole-process figures of a convoxc binary (README, "Measured figures"): instructions (callgrind),
# peak RSS (/usr/bin/time -v), wall time (hyperfine). Usage:
#   scripts/perf.sh [BINARY]   (default: target/release/convoxc; needs python3, valgrind, hyperfine)
# Manifests: a 3-line one, convox's full.yml (../shared), and the 500-service app of
# compiler/benches/generated.rs (the same text), built, then diffed with one command and one
# database's storage changed (as the `diff_services` benchmark).
set -euo pipefail
bin=$(realpath "${1:-target/release/convoxc}")
shared=${CONVOXC_SHARED:-$(dirname "$0")/../../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/m3" "$work/full" "$work/g500" "$work/g500c"
printf 'services:\n  web:\n    port: 3000\n' >"$work/m3/convox.yml"
cp "$shared/conformance/convox-rack/full.yml" "$work/full/convox.yml"
python3 - "$work" <<'PY'
import sys
def gen(n):
    s = "environment:\n  - GLOBAL=1\nresources:\n"
    for i in range((n + 9) // 10):
        s += f"  db{i}:\n    type: postgres\n    options:\n      storage: 50\n      version: \"15\"\n"
    s += "services:\n"
    for i in range(n):
        s += (f"  svc{i}:\n    build: .\n    command: bin/run {i}\n    domain: svc{i}.example.org\n"
              f"    environment:\n      - A{i}=x\n    health:\n      path: /health\n      interval: 10\n"
              f"    port: {3000 + i % 1000}\n    resources:\n      - db{i // 10}\n    scale:\n      count: 1-4\n"
              f"      memory: 1024\n      targets:\n        cpu: 70\n")
    s += "timers:\n"
    for i in range(0, n, 20):
        s += f"  t{i}:\n    command: bin/cron\n    schedule: \"0 3 * * *\"\n    service: svc{i}\n"
    return s
w = sys.argv[1]
t = gen(500)
open(f"{w}/g500/convox.yml", "w").write(t)
c = t.replace("command: bin/run 7\n", "command: bin/run 7 --verbose\n", 1).replace("storage: 50", "storage: 60", 1)
open(f"{w}/g500c/convox.yml", "w").write(c)
PY
peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): /peak KB /p'; }
instr() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : /instructions /p'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in m3 full; do
  echo "validate $m: $(instr "$bin" validate "$work/$m/convox.yml") $(peak "$bin" validate "$work/$m/convox.yml")"
done
echo "build 500: $(peak "$bin" build "$work/g500/convox.yml" --out-dir "$work/out")"
echo "  output: $(du -sb "$work/out" | cut -f1) bytes, $(find "$work/out" -type f | wc -l) files"
echo "diff 500: $(peak "$bin" diff "$work/g500c/convox.yml" --against "$work/out" --app g500)"
# full.yml (convox's fixture) has errors convoxc reports: exit 1 is its answer (-i)
hyperfine -N -i --warmup 20 -r 200 "$bin validate $work/m3/convox.yml" "$bin validate $work/full/convox.yml"
hyperfine --warmup 2 -r 10 "$bin diff $work/g500c/convox.yml --against $work/out --app g500"
