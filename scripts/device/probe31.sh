#!/usr/bin/env bash
# Session 11, first call: where the empty round trip goes (the new latency rows empty_submit, the
# launch call's own CPU time, and signal, a round trip with no kernel), four nv variants of it
# against cuda interleaved in one call; then probe30 (KERNLAB_CAP_SHARED even vs least,
# --spread-all) as written in session 10.
# Usage (device, repo root): bash scripts/device/probe31.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); O=${OUT:-/tmp/p31-out}; mkdir -p "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin
INV="INVALIDATE_TEXTURE_HEADER_CACHE=0,INVALIDATE_TEXTURE_SAMPLER_CACHE=0,INVALIDATE_TEXTURE_DATA_CACHE=0,INVALIDATE_SHADER_DATA_CACHE=0"
lat() { timeout 60 $K latency --iters 2000 --json "$@" 2>/dev/null | python3 -c '
import json,sys
rows=json.load(sys.stdin)
print(" ".join("%s %.2f/%.2f" % (r["test"], r["median_ns"]/1e3, r["p99_ns"]/1e3) for r in rows))' 2>&1; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "== 0. latency rows (name median/p99 us), interleaved, 2 rounds"
for rep in 1 2; do
  echo "cuda          $(lat --backend cuda)"
  echo "nv            $(lat --backend nv)"
  echo "nv membar=sys $(KERNLAB_NV_MEMBAR=sys lat --backend nv)"
  echo "nv no-inval   $(KERNLAB_NV_QMD=$INV lat --backend nv)"
  echo "nv signal=qmd $(KERNLAB_NV_SIGNAL=qmd lat --backend nv)"
done
timeout 60 $K latency --backend nv --iters 2000 > "$O/latency-nv.txt" 2>&1
timeout 60 $K latency --backend cuda --iters 2000 > "$O/latency-cuda.txt" 2>&1
date
} 2>&1 | tee "$O/probe31.log"
bash scripts/device/probe30.sh
