#!/usr/bin/env bash
# The test command (README): every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release
echo "== ptx: every kernel assembles for sm_87 and sm_90 with no spill (needs ptxas: scripts/ci-setup.sh)"
for arch in sm_87 sm_90; do
  cargo run -q --release -p kernlab-bins -- ptx --arch "$arch"
done
