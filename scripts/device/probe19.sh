#!/usr/bin/env bash
# NOT RUN (session 8's device time ran out; probe20.sh is the slimmer version). probe18 (the new default's selftest, timings and CPU check), then ncu (clocks as
# found) on why Q4_K's gate|up runs at 1.1 TB/s where Q6_K's reaches 1.9 (decode --timeline,
# probe16/17): matvec_q4_k_f in qwen3-1.7b (o-proj, gate|up, ..) against llama1b's
# matvec_q6_k_n gate|up, cuda path (the same PTX), each launch alone under ncu.
# Usage (device, repo root): bash scripts/device/probe19.sh   carry: .carry/main .carry/vocab
O=${OUT:-/tmp/p19-out}; mkdir -p "$O"
OUT=$O bash scripts/device/probe18.sh > /dev/null 2>&1
cat "$O/probe18.log"
K=$(realpath .carry/main/kernlab); D=/tmp/pm
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
S="--section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section WarpStateStats --section SchedulerStats --section LaunchStats"
timeout 150 ncu --clock-control none $S --kernel-name matvec_q4_k_f --launch-count 3 \
  "$K" decode --backend cuda --model $D/qwen3-1.7b-q4km.gguf --tokens 2 > "$O/ncu-q4k.txt" 2>&1
echo "ncu q4_k rc $?"
timeout 150 ncu --clock-control none $S --kernel-name matvec_q6_k_n --launch-skip 2 --launch-count 1 \
  "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 2 > "$O/ncu-q6k.txt" 2>&1
echo "ncu q6_k rc $?"
for f in "$O/ncu-q4k.txt" "$O/ncu-q6k.txt"; do echo "== $f"
  grep -E "matvec_|Duration|DRAM Throughput|Memory Throughput|L2 Cache Throughput|Compute \(SM\)|Registers Per|Achieved Occupancy|Theoretical Occupancy|Block Limit|Issue Slots Busy|No Eligible|Warp Cycles Per Issued|Grid Size|Waves Per SM|Stall" "$f" | head -80
done
