#!/usr/bin/env bash
# Session 3: generated tokens chained K per replay (decode --tokens-per-replay K) on nv and cuda:
# the same generated tokens as K = 1, and the time per token, for the 3 seed models.
# Usage (device, repo root): bash scripts/device/chain4.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
{
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
  for be in nv cuda; do for k in 1 16 1 16; do
    out=$(timeout 90 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 --tokens-per-replay $k 2>&1)
    printf '%-5s %-16s k=%-3s %s | tokens %s\n' $be $m $k "$(echo "$out" | grep -E "^decode|rror" | sed 's/kernlab decode: //' | tr '\n' ' ')" "$(echo "$out" | grep -E "^generated" | md5sum | cut -c1-8)"
  done; done
done
m=llama1b-q6k
for k in 4 32 128; do
  printf 'nv    %-16s k=%-3s %s\n' $m $k "$(timeout 90 $K decode --backend nv --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 --tokens-per-replay $k 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
done
} 2>&1 | tee "$O/chain4.log"
