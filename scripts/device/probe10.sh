#!/usr/bin/env bash
# Session 7, first call. CUDA's graph kernels carry CWD_MEMBAR_TASK_CHASING_ENABLE with
# L1_MEMBAR and a dependent-QMD chain (session 6's cuda_qmd dump). The same on nv:
# KERNLAB_NV_QMD=CWD_MEMBAR_TASK_CHASING_ENABLE=1 with the chain replay and the GPU-scope
# barrier, and with pdl; for each: replay100, decode of the three models, and the CPU check of
# qwen3-0.6b (the model that showed stale reads) and llama1b. Also the full selftest on both
# paths after session 6's grid-cap fix. (Its latency rows came back empty: --iters 300 is under
# latency's minimum of 1000, which the grep dropped; probe11 measured latency.)
# Usage (device, repo root): bash scripts/device/probe10.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p10-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
TC=KERNLAB_NV_QMD=CWD_MEMBAR_TASK_CHASING_ENABLE=1
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-22s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
check() { local be=$1 m=$2 label=$3; shift 3
  echo "check $be $m $label: $(env "$@" timeout 90 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== selftest"
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done
echo "== variants"
for v in "default" "chain+gpu+chasing KERNLAB_NV_REPLAY=chain KERNLAB_NV_MEMBAR=gpu $TC" \
         "pdl+gpu+chasing KERNLAB_NV_MEMBAR=gpu $TC" "chain+default-membar+chasing KERNLAB_NV_REPLAY=chain $TC"; do
  set -- $v; label=$1; shift; [ $# -eq 0 ] && set -- X=1
  echo "latency nv $label: $(env "$@" timeout 40 $K latency --backend nv --iters 300 2>&1 | grep -E "^ *replay100|rror" | tr -s ' ' | tr '\n' ';')"
  for m in $MODELS; do dec nv $m "$label" "$@"; done
  check nv qwen3-0.6b-q8 "$label" "$@"; check nv llama1b-q6k "$label" "$@"
done
echo "== cuda"
for m in $MODELS; do dec cuda $m default X=1; done
echo "latency cuda: $(timeout 40 $K latency --backend cuda --iters 300 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"
date
} 2>&1 | tee "$O/probe10.log"
