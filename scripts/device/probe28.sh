#!/usr/bin/env bash
# Session 10's fourth call: on nv, matvec_q6_k_nx only for the spread (small) grids and
# matvec_q6_k_n for gate|up and the LM head, whose 78 registers fit 6 blocks an SM against nx's
# 5 (the new default, `--q6k-xsum-max-blocks-per-sm 4`), against nx everywhere (0: probe27's
# default); cuda's default in the same call; the CPU check and the nv timeline of the default.
# Usage (device, repo root): bash scripts/device/probe28.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p28-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
L=$D/llama1b-q6k.gguf
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 60 $K synth --model llama1b-q6k --out $L > /dev/null 2>&1
echo "== 1. llama1b: nx on small grids only (default) vs nx everywhere, nv; cuda default (A/B/A/B/A/B)"
for rep in 1 2 3; do
  printf 'nv   default (nx <= 4/SM)   %s\n' "$(dec --backend nv --model $L)"
  printf 'nv   nx everywhere          %s\n' "$(dec --backend nv --model $L --q6k-xsum-max-blocks-per-sm 0)"
  printf 'cuda default                %s\n' "$(dec --backend cuda --model $L)"
done
echo "== 2. CPU check, nv default"
echo "$(timeout 120 $K decode --backend nv --model $L --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror|ERROR" | head -2)"
echo "== 3. nv timeline, default"
timeout 40 $K decode --backend nv --model $L --tokens 32 --timeline > "$O/timeline-llama1b-default.txt" 2>&1
echo "timeline: $(grep -E "^timeline" "$O/timeline-llama1b-default.txt" | head -1 | sed 's/.*: //')"
grep -E "^(blk\.1\.|lm_head)" "$O/timeline-llama1b-default.txt"
date
} 2>&1 | tee "$O/probe28.log"
