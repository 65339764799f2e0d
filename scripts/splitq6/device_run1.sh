#!/bin/bash
# splitq6 device run 1: run from the repo root with the binary at .carry/splitq6/kernlab.
export KERNLAB_VOCAB_DIR=$PWD/.carry/vocab KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin
K=.carry/splitq6/kernlab
L=$OUT/splitq6_run1.log
run() { echo "\$ $*" | tee -a $L; timeout 40 "$@" 2>&1 | tail -n 30 | tee -a $L; echo "rc=${PIPESTATUS[0]}" | tee -a $L; }
nvidia-smi --query-gpu=name --format=csv,noheader | tee -a $L
for M in llama1b-q6k qwen3-1.7b-q4km; do run $K synth --model $M --out /tmp/$M.gguf; done
run $K selftest --backend nv --filter matvec_q6_k_n
run $K selftest --backend cuda --filter matvec_q6_k_n
for M in llama1b-q6k qwen3-1.7b-q4km; do for B in nv cuda; do for S in true false; do
  run $K decode --model /tmp/$M.gguf --backend $B --tokens 128 --ceiling-gbps 2933 --split-q6 $S
done; done; done
run $K decode --model /tmp/llama1b-q6k.gguf --backend nv --check-against-cpu --tokens 64
