#!/usr/bin/env bash
# Session 3's last defaults (2 MiB pages for every VRAM buffer, 164 KiB carve-out, glu in the
# gate|up matvec): selftest on both backends, the CPU check of the 3 seed models on nv, decode of
# the 3 on nv and cuda (tokens one replay each, and 16 per replay), latency and bandwidth.
# Usage (device, repo root): bash scripts/device/val6.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-10s %s\n' "$be" "$m" "$label" "$(timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; }
{
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | tail -1)"; done
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
  echo "check nv $m: $(timeout 120 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
  for be in nv cuda; do dec $be $m "k=1"; dec $be $m "k=16" --tokens-per-replay 16; done
done
timeout 120 $K compare latency 2>&1 | tail -12
timeout 150 $K compare bw 2>&1 | tail -12
} 2>&1 | tee "$O/val6.log"
