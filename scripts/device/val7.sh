#!/usr/bin/env bash
# Session 5, closing call: the default nv policy drops the grid-end barrier after kernels that
# release their own writes (fence.acq_rel.gpu before every ret). Correctness first (selftest and
# the 64-token CPU check of the three seed models, nv and cuda), then decode speed (nv default,
# nv with the barrier everywhere, cuda), then `compare latency` and `compare bw`.
# Usage (device, repo root): bash scripts/device/val7.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/v7-out}; W=/tmp/v7; mkdir -p "$D" "$O" "$W/logs"
LOG=$W/logs/val7.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
source "$(dirname "$0")/lib.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader >> "$LOG"
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
for m in $MODELS; do [ -f $D/$m.gguf ] || step 60 "synth-$m" $K synth --model $m --out $D/$m.gguf; done
step 150 selftest-nv $K selftest --backend nv
step 150 selftest-cuda $K selftest --backend cuda
for be in nv cuda; do for m in $MODELS; do
  step 120 "check64-$be-$m" $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 64
done; done
for m in $MODELS; do
  step 60 "decode-cuda-$m" $K decode --backend cuda --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933
  step 60 "decode-nv-$m" $K decode --backend nv --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933
  KERNLAB_NV_MEMBAR=sys step 60 "decode-nvsys-$m" $K decode --backend nv --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933
done
step 120 compare-latency $K compare latency
step 150 compare-bw $K compare bw
{ for f in $W/logs/check64-*.out $W/logs/selftest-*.out; do
    echo "$(basename $f .out): $(grep -E "argmax agrees|checks passed|rror" $f | head -2 | tr '\n' ' ')"; done
  for f in $W/logs/decode-*.out; do echo "$(basename $f .out): $(grep -E "^decode|rror" $f | tr '\n' ' ')"; done
} > $W/logs/summary.txt
cat $W/logs/summary.txt >> "$LOG"
cp "$LOG" "$O/"; tar czf "$O/val7-logs.tgz" -C "$W" logs
cat $W/logs/summary.txt; cat $W/logs/compare-latency.out $W/logs/compare-bw.out | tail -40
