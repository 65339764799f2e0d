#!/usr/bin/env bash
# VRAM placement experiment for the nv backend's large-footprint gap (docs/nvb.md): the same
# bw and matmul runs under each KERNLAB_RM_VRAM switch, twice, to see what is placement and
# what is noise. (device) bash .carry/nvb/nv_mem.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/kernlab
OUT=${OUT:-/tmp/kernlab-out}
mkdir -p "$OUT"
LOG=$OUT/nv_mem.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_NV_TIMEOUT_MS=10000
step() { echo; echo "== $*" | tee -a "$LOG"; }
run() { local t=$1; shift; timeout -k 5 "$t" "$@" 2>&1 | grep -E "^(256|1 GB|1024|2048|4096|kernlab:|[a-z]+:)|rc=" | tee -a "$LOG"; }
for rep in 1 2; do
  for v in "" 2m bank contig 2m,bank; do
    step "KERNLAB_RM_VRAM=$v (rep $rep)"
    run 60 env KERNLAB_RM_VRAM=$v "$K" bw --backend nv --sizes 256,1024 --reps 20
    run 90 env KERNLAB_RM_VRAM=$v "$K" matmul --backend nv --sizes 1024,2048,4096
  done
done
step "cuda reference"
run 60 "$K" bw --backend cuda --sizes 256,1024 --reps 20
run 90 "$K" matmul --backend cuda --sizes 1024,2048,4096
echo "done $(date -u)" | tee -a "$LOG"
