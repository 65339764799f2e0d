#!/usr/bin/env bash
# NOT RUN as such (session 8; probe20.sh has its checks). The new default (the paired q|k + Q6_K attn_v launch on qwen3-1.7b-q4km, 146
# launches): the full selftest on both paths, the three models on both paths (same call), and
# qwen3-1.7b's CPU check on both paths with the default plan.
# Usage (device, repo root): bash scripts/device/probe18.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p18-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for be in nv cuda; do timeout 200 $K selftest --backend $be > "$O/selftest-$be.txt" 2>&1; echo "selftest $be (rc $?): $(grep -iE "checks passed|FAIL" "$O/selftest-$be.txt" | tail -3 | tr '\n' ' ')"; done
for i in 1 2; do for m in $MODELS; do for be in nv cuda; do
  printf '%-5s %-16s %s\n' $be $m "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
for be in nv cuda; do echo "check $be qwen3-1.7b default: $(timeout 90 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
date
} 2>&1 | tee "$O/probe18.log"
