#!/usr/bin/env bash
# The session's closing numbers: decode of the 3 seed models on nv (pdl) and cuda in one call,
# the 64-token CPU check of each on nv, and compare latency.
# Usage (device, repo root): bash scripts/device/quick2.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
{
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
  echo "check nv $m: $(timeout 90 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"
  for be in nv cuda; do
    echo "decode $be $m: $(timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 2>&1 | grep -E "^(decode|bytes|time)|rror" | tr '\n' ' ')"
  done
done
timeout 120 $K compare latency 2>&1 | tail -12
} 2>&1 | tee "$O/quick2.log"
