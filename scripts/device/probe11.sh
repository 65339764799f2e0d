#!/usr/bin/env bash
# Session 7, second call: the new default grid barrier (KERNLAB_NV_MEMBAR=auto = chased:
# L1_MEMBAR with CWD_MEMBAR_TASK_CHASING_ENABLE between the grids of a replay) checked in full:
# selftest, replay_order, the CPU check of the three models over 64 tokens, decode on nv and
# cuda, latency. Then the rest of a CUDA graph node's QMD on top of it (REQUIRE_SCHEDULING_PCAS,
# SELF_COPY_ON_COMPLETION, no constant-buffer invalidation), with pdl and with chain, and one
# profile of llama1b for its launch list.
# Usage (device, repo root): bash scripts/device/probe11.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p11-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-26s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
check() { local be=$1 m=$2 label=$3 n=$4; shift 4
  echo "check $be $m $label: $(env "$@" timeout 90 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens $n 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== default (chased) checked"
echo "selftest nv: $(timeout 150 $K selftest --backend nv 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"
for i in 1 2; do echo "order #$i: $(timeout 60 $K selftest --backend nv --filter replay_order 2>&1 | grep -E "replay_order|rror" | tr -s ' ' | head -1)"; done
for m in $MODELS; do check nv $m default 64 X=1; done
echo "== decode"
for m in $MODELS; do dec cuda $m default X=1; dec nv $m default X=1; dec nv $m "released (old default)" KERNLAB_NV_MEMBAR=released; done
echo "== the rest of CUDA's graph node QMD"
PS="REQUIRE_SCHEDULING_PCAS=1,SELF_COPY_ON_COMPLETION=1"; CB="CONSTANT_BUFFER_INVALIDATE(0)=0"
for m in llama1b-q6k qwen3-0.6b-q8; do
  dec nv $m "+pcas+selfcopy" KERNLAB_NV_QMD=$PS
  dec nv $m "+no cbuf invalidate" "KERNLAB_NV_QMD=$CB"
  dec nv $m "+invalidate at latch" KERNLAB_NV_INVALIDATE=latch
  dec nv $m "chain" KERNLAB_NV_REPLAY=chain
  dec nv $m "chain+pcas+selfcopy+cb" KERNLAB_NV_REPLAY=chain "KERNLAB_NV_QMD=$PS,$CB"
  dec cuda $m default X=1
done
check nv qwen3-0.6b-q8 "+pcas+selfcopy+cb" 32 "KERNLAB_NV_QMD=$PS,$CB"
echo "== latency"
for be in cuda nv; do echo "$be: $(timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
echo "== profile nv llama1b"
timeout 60 $K decode --backend nv --model $D/llama1b-q6k.gguf --tokens 16 --ceiling-gbps 2933 --profile > "$O/profile-nv-llama1b.txt" 2>&1; sed -n '1,40p' "$O/profile-nv-llama1b.txt"
date
} 2>&1 | tee "$O/probe11.log"
