#!/usr/bin/env bash
# Session 6, third call: (1) CUDA's own QMDs (cuda_qmd, now dlopening libcuda); (2) the
# binary with the fused Q8_0/Q4_K matvecs as a row-pair stream per warp: selftest on nv and cuda (the cuda upload now ordered on the backend's stream; the
# replay_order check now one wave of waiting blocks), and replay_order under
# KERNLAB_NV_MEMBAR=none, which must fail if the check can see the race decode saw; (3) the CPU
# check and decode speed of the three models on both paths; (4) latency, each row now after
# a 20 ms all-SM load (the nv path holds no clock request).
# Usage (device, repo root): bash scripts/device/probe9.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p9-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
# dec/check: extra arguments go to kernlab decode
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-14s %s\n' "$be" "$m" "$label" "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
check() { local be=$1 m=$2; shift 2
  echo "check $be $m $*: $(timeout 90 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 64 "$@" 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
echo "== cuda QMDs"
timeout 120 .carry/main/cuda_qmd > "$O/cuda_qmd.txt" 2> "$O/cuda_qmd.err"; echo "cuda_qmd rc=$? hits=$(grep -c ^HIT "$O/cuda_qmd.txt")"
cut -c1-200 "$O/cuda_qmd.txt" | grep ^HIT | head -20; tail -3 "$O/cuda_qmd.err"
MODELS="qwen3-0.6b-q8 llama1b-q6k qwen3-1.7b-q4km"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== selftest"
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done
for i in 1 2; do echo "order, membar none #$i: $(KERNLAB_NV_MEMBAR=none timeout 60 $K selftest --backend nv --filter replay_order 2>&1 | grep -E "replay_order|rror" | tr -s ' ' | head -1)"; done
echo "== CPU check, 64 tokens"
for m in $MODELS; do check nv $m; check cuda $m; done
echo "== decode"
for m in $MODELS; do dec cuda $m default; dec nv $m default; done
echo "== fused matvec grid: --fused-blocks-per-sm (0: one row pair per warp)"
for m in qwen3-1.7b-q4km qwen3-0.6b-q8; do for n in 2 3 4 5 8; do
  dec cuda $m "fbps $n" --fused-blocks-per-sm $n; dec nv $m "fbps $n" --fused-blocks-per-sm $n; done; done
check nv qwen3-1.7b-q4km --fused-blocks-per-sm 4; check cuda qwen3-0.6b-q8 --fused-blocks-per-sm 4
echo "== latency"
for be in cuda nv; do echo "$be: $(timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
date
} 2>&1 | tee "$O/probe9.log"
