#!/usr/bin/env bash
# Decode-speed check of the opt branch on the device: selftest (cuda, nv), then per synthetic
# model the check against the CPU reference, a 128-token timed run and --profile, on cuda and nv.
# Run from the repository root with the binary beside this script:
#   mkdir -p .carry/opt && cp target/release/kernlab scripts/device/opt.sh .carry/opt/
#   (device) bash .carry/opt/opt.sh     # logs go to $OUT (one tar: opt-logs.tgz)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=${K:-$HERE/kernlab}
OUT=${OUT:-/tmp/kernlab-out}
L=/tmp/opt-logs
mkdir -p "$OUT" "$L"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin
MODELS=${MODELS:-"llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"}
step() { local t=$1 n=$2; shift 2; echo "== [$n] $*" >>"$L/all.log"
  timeout --kill-after=5 "$t" "$@" >"$L/$n.log" 2>&1; echo "[$n] rc=$?" >>"$L/all.log"; tail -40 "$L/$n.log" >>"$L/all.log"; }
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader >>"$L/all.log" 2>&1
step 60 selftest-cuda "$K" selftest --backend cuda
for m in $MODELS; do step 60 "synth-$m" "$K" synth --model "$m" --out "/tmp/$m.gguf"; done
for be in cuda nv; do
  for m in $MODELS; do
    step 60 "check-$be-$m" "$K" decode --backend $be --model "/tmp/$m.gguf" --check-against-cpu --tokens 16
    step 60 "tg-$be-$m" "$K" decode --backend $be --model "/tmp/$m.gguf" --tokens 128 --ceiling-gbps 2900
  done
  step 60 "prof-$be-llama" "$K" decode --backend $be --model /tmp/llama1b-q6k.gguf --tokens 8 --profile --ceiling-gbps 2900
  [ $be = cuda ] && step 60 tg-cuda-llama-tpr16 "$K" decode --backend cuda --model /tmp/llama1b-q6k.gguf --tokens 128 --threads-per-row 16 --ceiling-gbps 2900
done
step 60 selftest-nv "$K" selftest --backend nv
tar czf "$OUT/opt-logs.tgz" -C "$L" . ; cp "$L/all.log" "$OUT/"
