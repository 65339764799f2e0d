#!/usr/bin/env bash
# Session 9's second call, after probe24: (1) the new default (matvec_q4_k_x, `--q4k-xsum` on)
# on the three models, both paths; (2) why matvec_q6_k_nx (`--q6k-xsum true`) is faster on cuda
# (llama1b 0.716 -> 0.703 ms) but slower on nv (0.731 -> 0.806, its ffn_down 10.9 -> 15.0 us in
# the timeline): ncu of its four layer-0 launches on cuda against probe24's matvec_q6_k_n, and nv
# timelines with ffn_down / o-proj on the split-K matvec_q6_k_nk (`--split-q6 true`); (3)
# `latency` on both paths (the README table's rows). First (0): nx against n on nv without pdl,
# whose early-launched dependent blocks may crowd onto the SMs that free first.
# Usage (device, repo root): bash scripts/device/probe25.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p25-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
L=$D/llama1b-q6k.gguf
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 0. q6k-xsum on nv without pdl (KERNLAB_NV_REPLAY=wfi: each grid starts after the last ends)"
for x in false true; do
  printf 'nv wfi q6 xsum %-5s %s\n' $x "$(KERNLAB_NV_REPLAY=wfi timeout 40 $K decode --backend nv --model $L --q6k-xsum $x --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done
echo "== 1. default plan (q4k-xsum on)"
for m in $MODELS; do for be in nv cuda; do
  printf '%-5s %-16s %s\n' $be $m "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done
echo "== 2. q6k-xsum on nv"
for sw in "--q6k-xsum true --split-q6 true" "--split-q6 true" "--q6k-xsum true"; do
  t=$(echo "$sw" | tr -d ' -')
  timeout 40 $K decode --backend nv --model $L --tokens 32 --timeline $sw > "$O/timeline-$t.txt" 2>&1
  echo "timeline $sw: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"
  grep -E "^(blk\.1\.|lm_head)" "$O/timeline-$t.txt"
done
S="--section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats"
KERNLAB_DECODE_WARMUP_MS=0 timeout 80 ncu --clock-control none $S --kernel-name matvec_q6_k_nx --launch-count 4 \
  "$K" decode --backend cuda --model $L --q6k-xsum true --tokens 2 > "$O/ncu-q6knx.txt" 2>&1; echo "ncu q6_k_nx rc $?"
grep -E "matvec_|Duration|DRAM Throughput|Compute \(SM\)|Registers Per|Achieved Occupancy|Theoretical Occupancy|No Eligible|Warp Cycles Per Issued|Grid Size" "$O/ncu-q6knx.txt" | head -50
echo "== 3. latency (avg median p99 us)"
for be in nv cuda; do echo "$be: $(timeout 60 $K latency --backend $be --iters 2000 2>&1 | grep -E "^ *(empty|fill1 |launch_only|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
date
} 2>&1 | tee "$O/probe25.log"
