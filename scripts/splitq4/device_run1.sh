#!/bin/bash
# splitq4 device run 1 (from the repo root, binary at .carry/splitq4/kernlab): selftest of
# matvec_q4_k_k on nv and cuda, qwen3-1.7b-q4km decode with and without it, check against CPU.
export KERNLAB_VOCAB_DIR=$PWD/.carry/vocab KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin
K=.carry/splitq4/kernlab
L=$OUT/splitq4_run1.log
M=/tmp/qwen3-1.7b-q4km.gguf
run() { echo "\$ $*" | tee -a $L; local t0=$SECONDS; timeout 30 "$@" 2>&1 | tail -n 25 | tee -a $L; echo "rc=${PIPESTATUS[0]} wall=$((SECONDS - t0))s" | tee -a $L; }
nvidia-smi --query-gpu=name --format=csv,noheader | tee -a $L
run $K synth --model qwen3-1.7b-q4km --out $M
run $K selftest --backend nv --filter matvec_q4_k_k
run $K selftest --backend cuda --filter matvec_q4_k_k
for B in nv cuda; do for S in true false; do
  run $K decode --model $M --backend $B --tokens 128 --ceiling-gbps 2933 --split-q4 $S
done; done
run $K decode --model $M --backend nv --check-against-cpu --tokens 64 --split-q4 true
