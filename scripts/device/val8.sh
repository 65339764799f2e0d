#!/usr/bin/env bash
# Session 5, closing call, lean (about 5 min of device time were left): the default nv policy
# drops the grid-end barrier after kernels that release their own writes. The CPU check of the
# three seed models on nv (qwen3-0.6b-q8 is the one that read stale values with the barrier
# dropped everywhere), decode speed (nv default, nv with the barrier everywhere, cuda), then
# latency on both. Usage (device, repo root): bash scripts/device/val8.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/v8-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-14s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
lat() { echo "$1: $(timeout 60 $K latency --backend $1 --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; }
{
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
MODELS="qwen3-0.6b-q8 llama1b-q6k qwen3-1.7b-q4km"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for m in $MODELS; do
  echo "check nv $m: $(timeout 90 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 48 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
done
for m in $MODELS; do
  dec cuda $m default; dec nv $m default; dec nv $m "barrier sys" KERNLAB_NV_MEMBAR=sys
done
lat cuda; lat nv
} 2>&1 | tee "$O/val8.log"
