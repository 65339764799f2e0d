#!/usr/bin/env bash
# One device call for the nv backend beside cuda: doctor, selftest, bw, latency, matmul on both
# (tables in the log, JSON gathered into one archive), the nv replay-order variant, compare,
# and the target ratios computed from the same call. Run from the repository root with the
# release binary and this script copied into .carry/nvb:
#   cargo build --release -p kernlab-bins
#   mkdir -p /work/main/.carry/nvb && cp target/release/kernlab scripts/device/nv_all.sh /work/main/.carry/nvb/
#   (device) bash .carry/nvb/nv_all.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/kernlab
OUT=${OUT:-/tmp/kernlab-out}
J=/tmp/nvb-json
mkdir -p "$OUT" "$J"
LOG=$OUT/nv_all.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin
export PATH=$PATH:/usr/local/cuda/bin
# A wait that sees no progress for 10 s is a hang: fail fast instead of the 20 s default.
export KERNLAB_NV_TIMEOUT_MS=10000
step() { echo; echo "== $*" | tee -a "$LOG"; }
run() { # run <seconds> <cmd...>: bounded, output to the log, exit status noted
  local t=$1; shift
  timeout -k 5 "$t" "$@" 2>&1 | tee -a "$LOG"
  echo "-> rc=${PIPESTATUS[0]}" | tee -a "$LOG"
}
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader
  echo "ptxas: $(command -v ptxas || echo none)"
} 2>&1 | tee -a "$LOG"
step "kernlab doctor"; run 60 "$K" doctor
step "kernlab --trace selftest --backend nv"
run 180 "$K" --trace "$OUT/nv_selftest_trace.log" selftest --backend nv --json-out "$J/selftest_nv.json"
step "kernlab selftest --backend cuda"; run 180 "$K" selftest --backend cuda --json-out "$J/selftest_cuda.json"
for b in nv cuda; do
  step "kernlab bw --backend $b --sizes 16,256,1024"
  run 150 "$K" bw --backend $b --sizes 16,256,1024 --json-out "$J/bw_$b.json"
done
for b in nv cuda; do
  step "kernlab latency --backend $b"
  run 120 "$K" latency --backend $b --json-out "$J/latency_$b.json"
done
# Variants of the open choices (docs/nvb.md), each its own process, alternating with cuda so
# drift shows: replay order, QMD-release signalling, and both.
for rep in 1 2; do
  for v in "KERNLAB_NV_REPLAY=chain" "KERNLAB_NV_SIGNAL=qmd" "KERNLAB_NV_SIGNAL=qmd KERNLAB_NV_REPLAY=chain" "KERNLAB_NV_REPLAY=overlap"; do
    tag=$(echo "$v" | tr -c 'a-zA-Z0-9\n' '_')
    step "$v kernlab latency --backend nv (rep $rep)"
    run 120 env $v "$K" latency --backend nv --json-out "$J/latency_nv_${tag}_$rep.json"
  done
  step "kernlab latency --backend cuda (rep $rep)"
  run 120 "$K" latency --backend cuda --json-out "$J/latency_cuda_$rep.json"
done
for b in nv cuda; do
  step "kernlab matmul --backend $b"
  run 240 "$K" matmul --backend $b --json-out "$J/matmul_$b.json"
done
step "kernlab compare latency"
run 300 "$K" compare --timeout-s 120 latency
step "kernlab compare bw -- --sizes 1024"
run 200 "$K" compare --timeout-s 90 bw -- --sizes 1024
step "kernel log (Xid)"
(dmesg 2>/dev/null | grep -i xid | tail -20) 2>&1 | tee -a "$LOG"
step "targets (same call)"
python3 - "$J" <<'PY' 2>&1 | tee -a "$LOG"
import json, sys, os
d = sys.argv[1]
def load(n):
    try: return {r["test"]: r for r in json.load(open(os.path.join(d, n)))}
    except Exception as e: print(f"{n}: {e}"); return {}
bn, bc = load("bw_nv.json"), load("bw_cuda.json")
for t in ("copy 1 GB", "dtod 1 GB", "read 1 GB", "write 1 GB"):
    if t in bn and t in bc:
        a, b = bn[t]["gbps"], bc[t]["gbps"]
        print(f"bw {t}: nv {a:.1f} GB/s vs cuda {b:.1f} GB/s: {100*(a-b)/b:+.2f} %" + ("  (target: within 3 %)" if t.startswith("copy") else ""))
names = sorted(f for f in os.listdir(d) if f.startswith("latency_"))
lc = load("latency_cuda.json")
for n in names:
    ln = load(n)
    for t in ("empty", "replay100"):
        if t in ln and t in lc:
            a, b = ln[t], lc[t]
            print(f"{n:55s} {t:9s}: median {a['median_ns']/1e3:6.2f} us p99 {a['p99_ns']/1e3:6.2f} us | vs latency_cuda.json median {a['median_ns']/b['median_ns']:.3f}x p99 {a['p99_ns']/b['p99_ns']:.3f}x")
mn, mc = load("matmul_nv.json"), load("matmul_cuda.json")
for t in mn:
    if t in mc and "gflops" in mn[t]:
        print(f"matmul {t}: nv {mn[t]['gflops']:.0f} vs cuda {mc[t]['gflops']:.0f} GFLOP/s ({100*(mn[t]['gflops']-mc[t]['gflops'])/mc[t]['gflops']:+.1f} %)")
PY
tar czf "$OUT/nvb_json.tgz" -C "$J" . 2>/dev/null
echo "done $(date -u)" | tee -a "$LOG"
