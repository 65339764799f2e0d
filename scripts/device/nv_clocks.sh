#!/usr/bin/env bash
# Are the nv backend's slow large-footprint runs the memory clock? Samples pstate and clocks
# (read-only nvidia-smi query, nothing is set) every 100 ms while bw runs on nv, then on cuda.
# (device) bash .carry/nvb/nv_clocks.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/kernlab
OUT=${OUT:-/tmp/kernlab-out}
mkdir -p "$OUT"
LOG=$OUT/nv_clocks.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_NV_TIMEOUT_MS=10000
for b in nv cuda nv; do
  echo "== bw --backend $b --sizes 256,1024 --reps 20 with clock samples" | tee -a "$LOG"
  nvidia-smi --query-gpu=timestamp,pstate,clocks.sm,clocks.mem,power.draw,utilization.gpu --format=csv,noheader -lms 100 > "$OUT/clocks_$b.csv" 2>&1 &
  SMI=$!
  sleep 0.5
  timeout -k 5 60 "$K" bw --backend $b --sizes 256,1024 --reps 20 2>&1 | grep -E "^(256|1 GB)|kernlab:" | tee -a "$LOG"
  sleep 0.3
  kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
  echo "pstate/clock samples (count value):" | tee -a "$LOG"
  cut -d, -f2,3,4 "$OUT/clocks_$b.csv" | sort | uniq -c | sort -rn | head -8 | tee -a "$LOG"
  mv "$OUT/clocks_$b.csv" "$OUT/clocks_${b}_$RANDOM.csv"
done
echo "done $(date -u)" | tee -a "$LOG"
