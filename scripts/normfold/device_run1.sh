#!/bin/bash
# normfold device run 1
export KERNLAB_VOCAB_DIR=$PWD/.carry/vocab KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin
K=.carry/normfold/kernlab
mkdir -p $OUT
exec > >(tee $OUT/normfold_run1.log) 2>&1
set -x
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv
$K synth --model llama1b-q6k --out /tmp/m.gguf
timeout 60 $K selftest --backend nv --filter matvec_q6_k_n
timeout 60 $K selftest --backend cuda --filter matvec_q6_k_n
for be in nv cuda; do
  timeout 60 $K decode --model /tmp/m.gguf --backend $be --tokens 128 --ceiling-gbps 2933
  timeout 60 $K decode --model /tmp/m.gguf --backend $be --tokens 128 --ceiling-gbps 2933 --norm-launches
done
for be in nv cuda; do
  timeout 90 $K decode --model /tmp/m.gguf --backend $be --check-against-cpu --tokens 64 --ceiling-gbps 2933
done
