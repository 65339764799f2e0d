#!/usr/bin/env bash
# Session 11, second call: BAR1 (VRAM) mapped write-combined instead of the driver's uncached
# fallback. Latency rows wc (default) vs uc (KERNLAB_RM_VRAM=uc) vs cuda, interleaved; selftest
# on nv (everything the CPU writes through BAR1 now goes out in WC bursts); decode of the three
# models wc vs uc and the llama1b CPU check.
# Usage (device, repo root): bash scripts/device/probe32.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p32-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
lat() { timeout 60 $K latency --iters 2000 --json "$@" 2>/dev/null | python3 -c '
import json,sys
rows=json.load(sys.stdin)
print(" ".join("%s %.2f/%.2f" % (r["test"], r["median_ns"]/1e3, r["p99_ns"]/1e3) for r in rows))' 2>&1; }
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "== 0. latency (name median/p99 us), interleaved, 3 rounds"
for rep in 1 2 3; do
  echo "cuda   $(lat --backend cuda)"
  echo "nv wc  $(lat --backend nv)"
  echo "nv uc  $(KERNLAB_RM_VRAM=uc lat --backend nv)"
done
timeout 60 $K latency --backend nv --iters 2000 > "$O/latency-nv.txt" 2>&1
timeout 60 $K latency --backend cuda --iters 2000 > "$O/latency-cuda.txt" 2>&1
echo "== 1. selftest nv (wc)"
timeout 300 $K selftest --backend nv > "$O/selftest-nv.txt" 2>&1; echo "rc $?"; tail -3 "$O/selftest-nv.txt"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 2. decode wc vs uc, nv (KERNLAB_CAP_SHARED=least), and cuda"
for rep in 1 2; do for m in $MODELS; do
  printf '%-16s wc   %s\n' $m "$(KERNLAB_CAP_SHARED=least dec --backend nv --model $D/$m.gguf)"
  printf '%-16s uc   %s\n' $m "$(KERNLAB_RM_VRAM=uc KERNLAB_CAP_SHARED=least dec --backend nv --model $D/$m.gguf)"
  printf '%-16s cuda %s\n' $m "$(dec --backend cuda --model $D/$m.gguf)"
done; done
echo "== 3. CPU check wc"
echo "$(KERNLAB_CAP_SHARED=least timeout 120 $K decode --backend nv --model $D/llama1b-q6k.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror|ERROR" | head -2)"
date
} 2>&1 | tee "$O/probe32.log"
