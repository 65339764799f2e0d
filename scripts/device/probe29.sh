#!/usr/bin/env bash
# Session 10's last call: where the qwen3 tokens go under the session-10 nv default (small matvec
# grids spread): nv timelines of qwen3-1.7b-q4km and qwen3-0.6b-q8, for the next session's plan.
# Usage (device, repo root): bash scripts/device/probe29.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p29-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in qwen3-1.7b-q4km qwen3-0.6b-q8; do
  timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1
  timeout 40 $K decode --backend nv --model $D/$m.gguf --tokens 32 --timeline > "$O/timeline-$m.txt" 2>&1
  echo "$m timeline: $(grep -E "^timeline" "$O/timeline-$m.txt" | head -1 | sed 's/.*: //')"
  grep -E "^(blk\.(1|2)\.|lm_head|output|argmax|token_embd)" "$O/timeline-$m.txt"
done
date
} 2>&1 | tee "$O/probe29.log"
