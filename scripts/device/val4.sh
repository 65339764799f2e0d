#!/usr/bin/env bash
# Session 3, after the default carve-out became 164 KiB: selftest, the CPU check and decode of the
# 3 seed models on nv (and cuda beside it), split-q6 on top, bandwidth, matmul and latency.
# Usage (device, repo root): bash scripts/device/val4.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-22s %s\n' "$be" "$m" "$label" "$(timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "selftest nv: $(timeout 150 $K selftest --backend nv 2>&1 | tail -1)"
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  echo "check nv $m: $(timeout 120 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
  dec nv $m run1; dec nv $m run2; dec cuda $m run1
done
dec nv llama1b-q6k "split-q6" --split-q6 true
dec cuda llama1b-q6k "split-q6" --split-q6 true
timeout 150 $K compare bw 2>&1 | tail -12
timeout 120 $K compare latency 2>&1 | tail -4
timeout 120 $K matmul --backend nv --sizes 1024,4096 2>&1 | tail -8
} 2>&1 | tee "$O/val4.log"
