#!/bin/bash
K=.carry/attn2/kernlab
export KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$PWD/.carry/vocab
O=${OUT:-/tmp}/attn2_run2.log
s() { local t=$1; shift; echo "== $*" >> $O; local t0=$(date +%s%N); timeout -k 5 $t "$@" >> $O 2>&1; echo "rc=$? ($(( ($(date +%s%N) - t0) / 1000000 )) ms)" >> $O; }
nvidia-smi -L >> $O 2>&1
s 20 $K synth --model llama1b-q6k --out /tmp/llama1b-q6k.gguf
s 20 $K synth --model qwen3-0.6b-q8 --out /tmp/qwen3-0.6b-q8.gguf
s 25 $K selftest --backend nv --filter attn
s 25 $K selftest --backend cuda --filter attn
for rep in 1 2; do
for m in llama1b-q6k qwen3-0.6b-q8; do
  for be in nv cuda; do
    s 15 $K decode --model /tmp/$m.gguf --backend $be --tokens 128 --ceiling-gbps 2933
    s 15 $K decode --model /tmp/$m.gguf --backend $be --tokens 128 --ceiling-gbps 2933 --separate-rope
    s 15 $K decode --model /tmp/$m.gguf --backend $be --tokens 128 --ceiling-gbps 2933 --separate-rope --attn-split-len 32
  done
done
done
