#!/usr/bin/env bash
# NOT RUN (written in session 9, whose device calls all failed to start): the next session's first
# call, one binary (.carry/main), most important first; a section starts only while the call has
# time left (it must end within the 600 s a device call may take):
#  1. matvec_q4_k_x (`decode --q4k-xsum true`; the Q4_K matvec with x sums staged per 16 columns
#     and no sub per weight): the fused and paired Q4_K selftests on both paths, qwen3-1.7b's CPU
#     check with it on both paths, then A/B/A/B against the default on both paths and its
#     per-launch timeline (gate|up, o-proj, q|k rows against the default's);
#  1b. matvec_q6_k_nx (`decode --q6k-xsum true`, llama1b's Q6_K matvec with no sub per weight):
#     its selftest, llama1b's CPU check with it, A/B/A/B on both paths, timelines;
#  2. the default plan's CPU check on qwen3-1.7b (both paths), the three models on both paths;
#  3. ncu of matvec_q4_k_f, matvec_q4_k_x and layer 0's matvec_q6_k_n launches (no decode
#     warm-up under ncu: each step is slow there);
#  4. timelines of existing switches (--matvec-q6k s, --fused-blocks-per-sm 5, llama1b
#     --split-q6 true);
#  5. the empty round trip pinned to single cores (the CPU/NUMA layout first).
# Usage (device, repo root): bash scripts/device/probe24.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p24-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
M=$D/qwen3-1.7b-q4km.gguf
left() { [ $SECONDS -lt "$1" ] || { echo "== skipped (at ${SECONDS} s): $2"; return 1; }; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== 1. q4k-xsum"
for be in nv cuda; do for f in matvec_q4_k matvec_q4k; do
  echo "selftest $be $f: $(timeout 90 $K selftest --backend $be --filter $f 2>&1 | grep -iE "checks passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done; done
for be in nv cuda; do echo "check $be qwen3-1.7b --q4k-xsum true: $(timeout 90 $K decode --backend $be --model $M --q4k-xsum true --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
for be in nv cuda; do for i in 1 2; do for x in false true; do
  printf '%-5s xsum %-5s %s\n' $be $x "$(timeout 40 $K decode --backend $be --model $M --q4k-xsum $x --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
timeout 60 $K decode --backend nv --model $M --tokens 32 --q4k-xsum true --timeline > "$O/timeline-xsum.txt" 2>&1
timeout 60 $K decode --backend nv --model $M --tokens 32 --timeline > "$O/timeline-default.txt" 2>&1
for t in default xsum; do echo "timeline $t: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"; grep -E "^blk\.1\." "$O/timeline-$t.txt"; done
echo "== 1b. q6k-xsum (llama1b-q6k)"
L=$D/llama1b-q6k.gguf
for be in nv cuda; do echo "selftest $be matvec_q6_k_nx: $(timeout 90 $K selftest --backend $be --filter matvec_q6_k_nx 2>&1 | grep -iE "checks passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done
for be in nv cuda; do echo "check $be llama1b --q6k-xsum true: $(timeout 90 $K decode --backend $be --model $L --q6k-xsum true --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
for be in nv cuda; do for i in 1 2; do for x in false true; do
  printf '%-5s q6 xsum %-5s %s\n' $be $x "$(timeout 40 $K decode --backend $be --model $L --q6k-xsum $x --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
timeout 60 $K decode --backend nv --model $L --tokens 32 --q6k-xsum true --timeline > "$O/timeline-q6xsum.txt" 2>&1
timeout 60 $K decode --backend nv --model $L --tokens 32 --timeline > "$O/timeline-llama1b.txt" 2>&1
for t in llama1b q6xsum; do echo "timeline $t: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"; grep -E "^(blk\.1\.|lm_head)" "$O/timeline-$t.txt"; done
left 380 "2. default check and models" && {
echo "== 2. default plan"
for be in nv cuda; do echo "check $be qwen3-1.7b default: $(timeout 90 $K decode --backend $be --model $M --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
for m in $MODELS; do for be in nv cuda; do
  printf '%-5s %-16s %s\n' $be $m "$(timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; }
S="--section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section WarpStateStats --section SchedulerStats --section LaunchStats"
NCU="KERNLAB_DECODE_WARMUP_MS=0 timeout 80 ncu --clock-control none $S"
left 430 "3. ncu" && {
echo "== 3. ncu"
env $NCU --kernel-name matvec_q4_k_f --launch-count 2 "$K" decode --backend cuda --model $M --tokens 2 > "$O/ncu-q4k.txt" 2>&1; echo "ncu q4_k_f rc $?"
env $NCU --kernel-name matvec_q4_k_x --launch-count 2 "$K" decode --backend cuda --model $M --q4k-xsum true --tokens 2 > "$O/ncu-q4kx.txt" 2>&1; echo "ncu q4_k_x rc $?"
env $NCU --kernel-name matvec_q6_k_n --launch-count 4 "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 2 > "$O/ncu-q6k.txt" 2>&1; echo "ncu q6_k_n rc $?"
for f in "$O"/ncu-*.txt; do echo "== $f"
  grep -E "matvec_|Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Registers Per|Achieved Occupancy|Theoretical Occupancy|Issue Slots Busy|No Eligible|Warp Cycles Per Issued|Grid Size" "$f" | head -60
done; }
left 500 "4. timelines" && {
echo "== 4. timelines"
for sw in "qwen3-1.7b-q4km --matvec-q6k s" "qwen3-1.7b-q4km --fused-blocks-per-sm 5" "llama1b-q6k --split-q6 true"; do
  set -- $sw; m=$1; shift; t=$(echo "$m $*" | tr -d ' -')
  timeout 40 $K decode --backend nv --model $D/$m.gguf --tokens 32 --timeline "$@" > "$O/timeline-$t.txt" 2>&1
  echo "timeline $sw: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"
  grep -E "^(blk\.1\.|lm_head)" "$O/timeline-$t.txt"
done; }
left 540 "5. latency pinned" && {
echo "== 5. topology, latency pinned (empty: avg median p99 us)"
nproc; lscpu | grep -iE "^(model name|numa|socket)" | tr -s ' '
for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor 2>/dev/null)" = 0x10de ] && echo "gpu $(basename $d) numa_node $(cat $d/numa_node)"; done
for c in 0 8 15; do for be in nv cuda; do
  echo "core $c $be: $(timeout 15 taskset -c $c $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *empty|rror" | tr -s ' ')"; done; done; }
date
} 2>&1 | tee "$O/probe24.log"
