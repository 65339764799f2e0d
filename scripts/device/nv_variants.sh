#!/usr/bin/env bash
# The nv backend's open choices measured side by side in one call (see docs/nvb.md): replay
# order (wfi / chain / overlap), the release interrupt, and the shared-memory carve-out, each
# beside cuda. Copied with the binary into .carry/nvb like nv_all.sh; (device) bash .carry/nvb/nv_variants.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/kernlab
OUT=${OUT:-/tmp/kernlab-out}
mkdir -p "$OUT"
LOG=$OUT/nv_variants.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_NV_TIMEOUT_MS=10000
step() { echo; echo "== $*" | tee -a "$LOG"; }
run() { local t=$1; shift; timeout -k 5 "$t" "$@" 2>&1 | tee -a "$LOG"; echo "-> rc=${PIPESTATUS[0]}" | tee -a "$LOG"; }
step "selftest nv (defaults)"; run 120 "$K" selftest --backend nv
for v in "" "KERNLAB_NV_REPLAY=chain" "KERNLAB_NV_IRQ=1" "KERNLAB_NV_REPLAY=overlap"; do
  step "latency nv $v"; run 60 env $v "$K" latency --backend nv
done
step "latency cuda"; run 60 "$K" latency --backend cuda
for v in "" "KERNLAB_NV_CARVEOUT=min"; do
  step "bw nv $v"; run 90 env $v "$K" bw --backend nv --sizes 256,1024
  step "matmul nv $v"; run 120 env $v "$K" matmul --backend nv --sizes 1024,4096
done
step "bw cuda"; run 90 "$K" bw --backend cuda --sizes 256,1024
step "matmul cuda"; run 120 "$K" matmul --backend cuda --sizes 1024,4096
(dmesg 2>/dev/null | grep -i xid | tail -5) 2>&1 | tee -a "$LOG"
echo "done $(date -u)" | tee -a "$LOG"
