#!/usr/bin/env bash
# Seed the fuzz corpus with convox's fixtures and the real-world corpus, then run.
#   fuzz/seed.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/load
cp ../../shared/conformance/convox-rack/*.yml ../../shared/corpus/real-world/*.yml ../examples/*.yml corpus/load/
# stable toolchain: cargo-fuzz needs the unstable sanitizer flag
RUSTC_BOOTSTRAP=1 cargo fuzz run load corpus/load -- -max_total_time="${1:-600}" -max_len=65536
