#!/usr/bin/env bash
# Session 10's third call: the new defaults (PlanOptions::tuned_for: on nv, whose pdl replay
# launches grids early, matvec grids of <= 4 blocks per SM capped and the Q6_K matvecs
# prefetching their rows into L2; matvec_q6_k_nx on both paths) on the three models, both
# paths, A/B; llama1b's spread 2 / 3 / 4 and reg vs l2 on nv; the cuda cap of 4 that failed in
# probe26 (static + dynamic shared memory past 48 KiB without the opt-in; fixed); CPU checks;
# the nv timeline of the default.
# Usage (device, repo root): bash scripts/device/probe27.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p27-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
L=$D/llama1b-q6k.gguf
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 0. cuda with a cap of 4 (probe26's failure)"
timeout 40 $K decode --backend cuda --model $D/qwen3-0.6b-q8.gguf --spread-blocks-per-sm 4 --tokens 16 2>&1 | tail -3
echo "== 1. defaults, three models, both paths (A/B)"
for rep in 1 2; do for m in $MODELS; do for be in nv cuda; do
  printf '%-5s %-16s %s\n' $be $m "$(dec --backend $be --model $D/$m.gguf)"
done; done; done
echo "== 2. llama1b nv: spread and pipeline around the default (spread 4, l2, xsum)"
for rep in 1 2; do for sw in "--spread-blocks-per-sm 2" "--spread-blocks-per-sm 3" "--q6k-pipeline reg" ""; do
  printf 'nv %-28s %s\n' "${sw:-default}" "$(dec --backend nv --model $L $sw)"
done; done
echo "== 3. CPU checks of the defaults"
for c in "nv $L" "nv $D/qwen3-0.6b-q8.gguf" "cuda $D/qwen3-0.6b-q8.gguf --spread-blocks-per-sm 4"; do
  set -- $c; be=$1; m=$2; shift 2
  echo "check $be $(basename $m) $*: $(timeout 120 $K decode --backend $be --model $m --check-against-cpu --tokens 64 "$@" 2>&1 | grep -E "argmax|rror|ERROR" | head -2 | tr '\n' ' ')"
done
echo "== 4. nv timeline, llama1b default"
timeout 40 $K decode --backend nv --model $L --tokens 32 --timeline > "$O/timeline-llama1b-default.txt" 2>&1
echo "timeline: $(grep -E "^timeline" "$O/timeline-llama1b-default.txt" | head -1 | sed 's/.*: //')"
grep -E "^(blk\.1\.|lm_head)" "$O/timeline-llama1b-default.txt"
date
} 2>&1 | tee "$O/probe27.log"
