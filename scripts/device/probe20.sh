#!/usr/bin/env bash
# Written in session 8 (not run: its device time ran out): probe19 without the full selftests (the pair's own
# selftest passed in probe17; no other kernel changed): the default plan's CPU check on
# qwen3-1.7b on both paths, the three models on both paths once, then the ncu comparison of
# Q4_K's matvec_q4_k_f with Q6_K's matvec_q6_k_n (cuda path, clocks as found), and per-launch
# timelines of two existing switches.
# ncu runs without the decode warm-up steps (each step is slow under ncu); the Q6_K side takes
# layer 0's four matvec_q6_k_n launches (q|k|v, o, gate|up, down).
# Usage (device, repo root): bash scripts/device/probe20.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p20-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for be in nv cuda; do echo "check $be qwen3-1.7b default: $(timeout 90 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
for m in $MODELS; do for be in nv cuda; do
  printf '%-5s %-16s %s\n' $be $m "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done
# Per-launch effect of two existing switches (whole-token numbers only so far): the grid-stride
# Q6_K matvec for the LM head / ffn_down, and one wave of the fused Q4_K matvecs.
# Also llama1b's split-K residual matvecs (ffn_down: 8 chunks a row, walked 2 in flight per
# warp without the split; whole-token numbers only so far, from before the carve-out change).
for sw in "qwen3-1.7b-q4km --matvec-q6k s" "qwen3-1.7b-q4km --fused-blocks-per-sm 5" "llama1b-q6k --matvec-q6k s" "llama1b-q6k --split-q6 true" "qwen3-1.7b-q4km" "llama1b-q6k"; do
  set -- $sw; m=$1; shift; t=$(echo "$m $*" | tr -d ' -')
  timeout 60 $K decode --backend nv --model $D/$m.gguf --tokens 32 --timeline "$@" > "$O/timeline-$t.txt" 2>&1
  echo "== timeline $sw: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"
  grep -E "^(blk\.1\.|lm_head)" "$O/timeline-$t.txt"
done
S="--section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section WarpStateStats --section SchedulerStats --section LaunchStats"
KERNLAB_DECODE_WARMUP_MS=0 timeout 120 ncu --clock-control none $S --kernel-name matvec_q4_k_f --launch-count 2 \
  "$K" decode --backend cuda --model $D/qwen3-1.7b-q4km.gguf --tokens 2 > "$O/ncu-q4k.txt" 2>&1; echo "ncu q4_k rc $?"
KERNLAB_DECODE_WARMUP_MS=0 timeout 100 ncu --clock-control none $S --kernel-name matvec_q6_k_n --launch-skip 0 --launch-count 4 \
  "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 2 > "$O/ncu-q6k.txt" 2>&1; echo "ncu q6_k rc $?"
for f in "$O/ncu-q4k.txt" "$O/ncu-q6k.txt"; do echo "== $f"
  grep -E "matvec_|Duration|DRAM Throughput|Memory Throughput|L2 Cache Throughput|Compute \(SM\)|Registers Per|Achieved Occupancy|Theoretical Occupancy|Block Limit|Issue Slots Busy|No Eligible|Warp Cycles Per Issued|Grid Size|Waves Per SM" "$f" | head -90
done
date
} 2>&1 | tee "$O/probe20.log"
