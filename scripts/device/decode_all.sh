#!/usr/bin/env bash
# GPU decode on the device: synthetic llama1b-q6k, qwen3-0.6b-q8, qwen3-1.7b-q4km (real shapes,
# random weights), the selftest, then per model and backend (cuda; nv when it opens): the check
# against the CPU reference and a timed 128-token JSON run; --profile once for llama1b-q6k.
# Every step has a timeout and its own rc line; a failing step is logged and the script goes on.
# Run from the repository root with the release binary next to this script:
#   cargo build --release -p kernlab-bins
#   mkdir -p .carry/engine && cp target/release/kernlab scripts/device/decode_all.sh .carry/engine/
#   (device) bash .carry/engine/decode_all.sh          # K=path/to/kernlab to use another binary
# The vocab GGUFs come from ../shared/data/vocab (or KERNLAB_VOCAB_DIR); without them synth
# writes a generated vocab and says so in the log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=${K:-$HERE/kernlab}
[ -x "$K" ] || K=$(command -v kernlab || echo "$HERE/kernlab")
OUT=${OUT:-/tmp/kernlab-out}
MODELS_DIR=${MODELS_DIR:-/tmp/kernlab-models}
mkdir -p "$OUT" "$MODELS_DIR"
LOG=$OUT/decode_all.log
export KERNLAB_CACHE_DIR=${KERNLAB_CACHE_DIR:-/tmp/kernlab-cubin}
export PATH=$PATH:/usr/local/cuda/bin
MODELS=${MODELS:-"llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"}
# SYNTH_ARGS="--layers 1" makes a quick dry run of the whole script.
SYNTH_ARGS=${SYNTH_ARGS:-}

# step TIMEOUT_S NAME CMD...: log the command, run it under timeout, log rc; never exits.
step() {
  local t=$1 name=$2; shift 2
  echo | tee -a "$LOG"
  echo "== [$name] $*" | tee -a "$LOG"
  local t0=$(date +%s)
  timeout --kill-after=10 "$t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
  local rc=$?
  cat "$OUT/$name.out" "$OUT/$name.err" | tail -60 | tee -a "$LOG"
  [ $rc -eq 124 ] && echo "TIMEOUT after ${t}s" | tee -a "$LOG"
  echo "[$name] rc=$rc ($(( $(date +%s) - t0 )) s)" | tee -a "$LOG"
  echo "$name $rc" >> "$OUT/rcs.txt"
  return 0
}

{
  echo "kernlab: $K"; date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
  echo "ptxas: $(command -v ptxas || echo none)"
} 2>&1 | tee -a "$LOG"

for m in $MODELS; do
  step 300 "synth-$m" "$K" synth --model "$m" --out "$MODELS_DIR/$m.gguf" $SYNTH_ARGS
done

step 300 selftest-cuda "$K" selftest --backend cuda
BACKENDS="cuda"
if timeout 60 "$K" selftest --backend nv > "$OUT/selftest-nv.out" 2> "$OUT/selftest-nv.err"; then
  BACKENDS="cuda nv"
  echo "nv: selftest passed; decoding on nv too" | tee -a "$LOG"
else
  echo "nv: selftest failed or not built: $(tail -1 "$OUT/selftest-nv.err")" | tee -a "$LOG"
  cat "$OUT/selftest-nv.out" | tail -20 >> "$LOG"
  # Still try decode on nv: its own error line is part of the record.
  BACKENDS="cuda nv"
fi

for be in $BACKENDS; do
  for m in $MODELS; do
    f=$MODELS_DIR/$m.gguf
    [ -f "$f" ] || { echo "[$m] no model file (synth failed); skipping $be" | tee -a "$LOG"; continue; }
    step 480 "check-$be-$m" "$K" decode --backend "$be" --model "$f" --check-against-cpu --tokens 16
    step 300 "decode-$be-$m" "$K" decode --backend "$be" --model "$f" --tokens 128 --json
    cp "$OUT/decode-$be-$m.out" "$OUT/decode-$be-$m.json" 2>/dev/null
  done
  f=$MODELS_DIR/llama1b-q6k.gguf
  [ -f "$f" ] && step 300 "profile-$be-llama1b-q6k" "$K" decode --backend "$be" --model "$f" --tokens 32 --profile
done

# On cuda for llama1b: a threads-per-row sweep and the unfused plan (one matvec per tensor).
f=$MODELS_DIR/llama1b-q6k.gguf
if [ -f "$f" ]; then
  step 30 "plan-llama1b-q6k" "$K" decode --model "$f" --plan
  for tpr in 4 8 16; do
    step 240 "tpr$tpr-cuda-llama1b-q6k" "$K" decode --backend cuda --model "$f" --tokens 128 --threads-per-row "$tpr"
  done
  step 240 "unfused-cuda-llama1b-q6k" "$K" decode --backend cuda --model "$f" --tokens 128 --unfused
fi

echo | tee -a "$LOG"
echo "== summary (step rc)" | tee -a "$LOG"
cat "$OUT/rcs.txt" | tee -a "$LOG"
grep -H "check against cpu" "$OUT"/check-*.out 2>/dev/null | tee -a "$LOG"
for f in "$OUT"/tpr*.out "$OUT"/unfused-*.out "$OUT"/profile-*.out; do
  [ -f "$f" ] && grep -H "^decode \|^bytes " "$f" | tee -a "$LOG"
done
exit 0
