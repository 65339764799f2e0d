#!/usr/bin/env bash
# NOT RUN (session 6 ran out of device time; for the next session). CUDA's graph kernels carry
# CWD_MEMBAR_TASK_CHASING_ENABLE with L1_MEMBAR and a dependent-QMD chain (probe9's cuda_qmd
# dump). The same on nv: KERNLAB_NV_QMD=CWD_MEMBAR_TASK_CHASING_ENABLE=1 with the chain replay and
# the GPU-scope barrier, and with pdl; replay100, llama1b decode, qwen3-0.6b's CPU check (the model
# that showed stale reads). Also the fused matvec selftest after the grid-cap fix.
# Usage (device, repo root): bash scripts/device/probe10.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p10-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
TC=KERNLAB_NV_QMD=CWD_MEMBAR_TASK_CHASING_ENABLE=1
V_CHAIN="KERNLAB_NV_REPLAY=chain KERNLAB_NV_MEMBAR=gpu $TC"
V_PDL="KERNLAB_NV_MEMBAR=gpu $TC"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in llama1b-q6k qwen3-0.6b-q8; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "selftest nv matvec: $(timeout 90 $K selftest --backend nv --filter matvec_ 2>&1 | grep -iE "passed|FAIL|rror" | tail -3 | tr '\n' ' ')"
for v in "default" "chain+gpu+chasing $V_CHAIN" "pdl+gpu+chasing $V_PDL"; do set -- $v; label=$1; shift
  echo "latency nv $label: $(env "$@" timeout 40 $K latency --backend nv --iters 300 2>&1 | grep -E "^ *replay100|rror" | tr -s ' ' | tr '\n' ';')"
  echo "decode nv llama1b $label: $(env "$@" timeout 40 $K decode --backend nv --model $D/llama1b-q6k.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
  echo "check nv qwen3-0.6b $label: $(env "$@" timeout 60 $K decode --backend nv --model $D/qwen3-0.6b-q8.gguf --check-against-cpu --tokens 16 2>&1 | grep -E "argmax|rror" | head -1)"
done
echo "decode cuda llama1b: $(timeout 40 $K decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
date
} 2>&1 | tee "$O/probe10.log"
