#!/usr/bin/env bash
# Session 11: (0) BAR1 mapped write-combined (default) vs the old uncached fallback
# (KERNLAB_RM_VRAM=uc): latency rows against cuda, interleaved; (1) selftest nv in full and the
# new matvec_q4_k_d on cuda; (2) decode, new nv defaults (least, spread-all) vs session 10's
# (even, matvecs only) and uc, cuda; (3) matvec_q4_k_d (--q4k-dp4a true) on qwen3-1.7b, nv and
# cuda, with its CPU checks and timeline.
# Usage (device, repo root): bash scripts/device/probe33.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p33-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
Q=$D/qwen3-1.7b-q4km.gguf
lat() { timeout 60 $K latency --iters 2000 --json "$@" 2>/dev/null | python3 -c '
import json,sys
rows=json.load(sys.stdin)
print(" ".join("%s %.2f/%.2f" % (r["test"], r["median_ns"]/1e3, r["p99_ns"]/1e3) for r in rows))' 2>&1; }
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
chk() { timeout 150 $K decode --check-against-cpu --tokens 64 "$@" 2>&1 | grep -E "argmax|rror|ERROR" | head -2; }
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
echo "== 1. selftest nv (all), cuda (matvec_q4_k)"
timeout 300 $K selftest --backend nv > "$O/selftest-nv.txt" 2>&1; echo "nv rc $?"; tail -2 "$O/selftest-nv.txt"
grep -E "FAIL" "$O/selftest-nv.txt" | head -5
timeout 200 $K selftest --backend cuda --filter matvec_q4_k > "$O/selftest-cuda-q4k.txt" 2>&1; echo "cuda rc $?"; tail -2 "$O/selftest-cuda-q4k.txt"
grep -E "matvec_q4_k_d" "$O/selftest-nv.txt" | head -40
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 2. decode: nv new defaults / session-10 defaults / uc, cuda (2 rounds)"
for rep in 1 2; do for m in $MODELS; do
  printf '%-16s nv    %s\n' $m "$(dec --backend nv --model $D/$m.gguf)"
  printf '%-16s nv10  %s\n' $m "$(KERNLAB_CAP_SHARED=even dec --backend nv --model $D/$m.gguf --spread-all false)"
  printf '%-16s nv-uc %s\n' $m "$(KERNLAB_RM_VRAM=uc dec --backend nv --model $D/$m.gguf)"
  printf '%-16s cuda  %s\n' $m "$(dec --backend cuda --model $D/$m.gguf)"
done; done
echo "== 3. qwen3-1.7b: matvec_q4_k_d (d), Q6_K down on nx (p), both (dp); A/B/A/B"
for rep in 1 2; do
  printf 'nv   x  %s\n' "$(dec --backend nv --model $Q)"
  printf 'nv   d  %s\n' "$(dec --backend nv --model $Q --q4k-dp4a true)"
  printf 'nv   p  %s\n' "$(dec --backend nv --model $Q --q6k-plain-xsum true)"
  printf 'nv   dp %s\n' "$(dec --backend nv --model $Q --q4k-dp4a true --q6k-plain-xsum true)"
  printf 'cuda x  %s\n' "$(dec --backend cuda --model $Q)"
  printf 'cuda d  %s\n' "$(dec --backend cuda --model $Q --q4k-dp4a true)"
  printf 'cuda p  %s\n' "$(dec --backend cuda --model $Q --q6k-plain-xsum true)"
done
echo "nv dp check:  $(chk --backend nv --model $Q --q4k-dp4a true --q6k-plain-xsum true)"
echo "cuda d check: $(chk --backend cuda --model $Q --q4k-dp4a true)"
echo "nv llama1b check (new defaults): $(chk --backend nv --model $D/llama1b-q6k.gguf)"
timeout 40 $K decode --backend nv --model $Q --tokens 32 --timeline --q4k-dp4a true --q6k-plain-xsum true > "$O/timeline-q4kd.txt" 2>&1
grep -E "^timeline|^blk\.1\." "$O/timeline-q4kd.txt"
timeout 40 $K decode --backend nv --model $Q --tokens 32 --timeline > "$O/timeline-q4kx.txt" 2>&1
grep -E "^timeline|^blk\.1\." "$O/timeline-q4kx.txt"
date
} 2>&1 | tee "$O/probe33.log"
