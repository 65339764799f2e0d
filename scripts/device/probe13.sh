#!/usr/bin/env bash
# Session 7, last call: a binary checked and timed in one call (session 7 ran it, after probe12
# in the same call, on the prefetch binary that was then reverted). selftest on nv and
# cuda; the CPU check of the three models over 64 tokens on both paths; decode of the three
# models on both paths, interleaved; latency on both paths.
# Usage (device, repo root): bash scripts/device/probe13.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p13-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== selftest"
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done
echo "== CPU check, 64 tokens"
for m in $MODELS; do for be in nv cuda; do
  echo "check $be $m: $(timeout 90 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; done; done
echo "== decode"
for m in $MODELS; do for be in cuda nv; do
  printf '%-5s %-16s %s\n' $be $m "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^(decode|bytes|time)|rror" | sed 's/; 126 timed after 2 warm-up//' | tr "\n" " ")"; done; done
echo "== latency"
for be in cuda nv; do echo "$be: $(timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
date
} 2>&1 | tee "$O/probe13.log"
