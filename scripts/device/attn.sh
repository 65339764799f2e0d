#!/bin/bash
# attn device run: selftest of the fused kernels, decode speed (mine vs baseline), CPU check.
export KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$PWD/.carry/vocab
K=.carry/attn/kernlab; B=.carry/main/kernlab
L=$OUT/attn.log
step() { echo "=== $* ===" >>$L; timeout ${T:-60} "$@" >>$L 2>&1; echo "rc $?" >>$L; }
nvidia-smi --query-gpu=name,clocks.sm --format=csv >>$L 2>&1
for be in cuda nv; do
  T=40 step $K selftest --backend $be --filter rope_kv
  T=40 step $K selftest --backend $be --filter attn_decode
done
step $K synth --model llama1b-q6k --out /tmp/llama.gguf
step $K synth --model qwen3-0.6b-q8 --out /tmp/qwen.gguf
for m in llama qwen; do for be in cuda nv; do
  for bin in $K $B; do
    T=30 step $bin decode --backend $be --model /tmp/$m.gguf --tokens 128 --json --ceiling-gbps 3350
  done
done; done
T=30 step $K decode --backend cuda --model /tmp/llama.gguf --tokens 16 --profile --ceiling-gbps 3350
T=30 step $B decode --backend cuda --model /tmp/llama.gguf --tokens 16 --profile --ceiling-gbps 3350
for m in llama qwen; do for be in cuda nv; do
  T=40 step $K decode --backend $be --model /tmp/$m.gguf --check-against-cpu --tokens 64
done; done
echo END >>$L
