#!/usr/bin/env bash
# One device call for the cuda path: selftest, bw, matmul, latency (tables in the log, JSON to
# $OUT) and the PyTorch ceilings in the same call, so the ratios come from one machine state.
# Run from the repository root with the release binary and this folder copied into .carry/cuda:
#   cargo build --release -p kernlab-bins
#   mkdir -p .carry/cuda && cp target/release/kernlab scripts/device/cuda_all.sh bench/torch_ceilings.py .carry/cuda/
#   (device) bash .carry/cuda/cuda_all.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/kernlab
OUT=${OUT:-/tmp/kernlab-out}
mkdir -p "$OUT"
LOG=$OUT/cuda_all.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin
export PATH=$PATH:/usr/local/cuda/bin
step() { echo; echo "== $*" | tee -a "$LOG"; }
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
  echo "ptxas: $(command -v ptxas || echo none)"; ptxas --version 2>/dev/null | tail -1
} 2>&1 | tee -a "$LOG"
step "kernlab ptx --arch sm_90"
"$K" ptx --arch sm_90 2>&1 | tee -a "$LOG"
step "kernlab selftest --backend cuda"
"$K" selftest --backend cuda --json-out "$OUT/selftest.json" 2>&1 | tee -a "$LOG"
echo "selftest rc=${PIPESTATUS[0]}" | tee -a "$LOG"
step "kernlab bw --backend cuda"
"$K" bw --backend cuda --json-out "$OUT/bw.json" 2>&1 | tee -a "$LOG"
step "kernlab matmul --backend cuda"
"$K" matmul --backend cuda --json-out "$OUT/matmul.json" 2>&1 | tee -a "$LOG"
for st in 2 4; do
  step "kernlab matmul --backend cuda --sizes 4096 --kernels fp16-tc-wide,fp16-tc-wide-k64 --stages $st (stage variants)"
  "$K" matmul --backend cuda --sizes 4096 --kernels fp16-tc-wide,fp16-tc-wide-k64 --stages $st 2>&1 | grep -E "^4096|kernlab:" | tee -a "$LOG"
done
step "kernlab latency --backend cuda"
"$K" latency --backend cuda --json-out "$OUT/latency.json" 2>&1 | tee -a "$LOG"
step "python3 torch_ceilings.py"
PYTHONUNBUFFERED=1 python3 "$HERE/torch_ceilings.py" "$OUT/torch.json" 2>&1 | tee -a "$LOG"
step "ratios (same call)"
python3 - "$OUT" <<'PY' 2>&1 | tee -a "$LOG"
import json, sys, os
out = sys.argv[1]
def load(n):
    try:
        return json.load(open(os.path.join(out, n)))
    except Exception as e:
        print(f"{n}: {e}"); return None
bw, mm, th = load("bw.json"), load("matmul.json"), load("torch.json")
if bw:
    g = {r["test"]: r["gbps"] for r in bw}
    c, d = g.get("copy 1 GB"), g.get("dtod 1 GB")
    if c and d:
        print(f"copy_v4 1 GB {c:.1f} GB/s vs cuMemcpyDtoD {d:.1f} GB/s: {100*c/d:.1f} % (target >= 95 %)")
    if th and c:
        print(f"copy_v4 1 GB vs torch copy_ 1 GB {th['copy_1GB_gbps']:.1f} GB/s: {100*c/th['copy_1GB_gbps']:.1f} %")
if mm and th:
    f = {r["test"]: r["gflops"] for r in mm}
    t = th["matmul_fp16_4096_tflops"] * 1e3
    for name in ("fp16-tc", "fp16-tc-k64", "fp16-tc-wide", "fp16-tc-wide-k64"):
        k = f.get(f"{name} 4096")
        if k:
            print(f"{name} 4096 {k/1e3:.1f} TFLOP/s vs torch.matmul fp16 {t/1e3:.1f} TFLOP/s: {100*k/t:.1f} % (target >= 50 %)")
    k32 = f.get("fp32 4096")
    if k32:
        t32 = th["matmul_fp32_4096_tflops"] * 1e3
        print(f"matmul_f32 4096 {k32/1e3:.2f} TFLOP/s vs torch fp32 (TF32 off) {t32/1e3:.1f} TFLOP/s: {100*k32/t32:.1f} %")
PY
