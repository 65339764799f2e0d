#!/usr/bin/env bash
# Quick check of the merged decode kernels before the final comparison: selftest of the new
# kernels on nv and cuda, the 64-token check of the qwen models (new Q8_0/Q4_K fused matvecs), and
# decode speed of the default plan against --separate-norm on both backends.
# Usage (device, repo root): bash scripts/device/validate2.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); W=/tmp/val; D=/tmp/pm; mkdir -p "$W" "$D" "${OUT:-/tmp/val-out}"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for be in nv cuda; do
  timeout 90 $K selftest --backend $be 2>&1 | grep -E "FAIL|checks passed|error" | head -8
  for m in qwen3-0.6b-q8 qwen3-1.7b-q4km; do
    echo "check $be $m: $(timeout 90 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -2)"
  done
  for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do for v in "" --separate-norm; do
    echo "decode $be $m ${v:-fused}: $(timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2900 $v 2>&1 | grep -E "^decode|rror" | head -1)"
  done; done
done 2>&1 | tee "${OUT:-/tmp/val-out}/validate.log"
