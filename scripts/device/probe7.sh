#!/usr/bin/env bash
# Session 6: does a per-thread `fence.release.gpu` before every ret (KERNLAB_NV_EXIT_FENCE=release,
# ptxas: MEMBAR.ALL.GPU without session 5's CCTL.IVALL) let nv drop the grid-end barrier and stay
# correct? selftest's replay_order (100 dependent grids, stale reads leave elements short) under
# the default, under KERNLAB_NV_MEMBAR=none (must it fail?) and with the fence; the CPU check of
# the decode models with the fence; decode speed cuda / nv default / nv fence / nv none; then the
# carve-out sweep probe6 never ran (llama1b), and latency.
# Usage (device, repo root): bash scripts/device/probe7.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p7-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-14s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
order() { local label=$1; shift
  echo "order $label: $(env "$@" timeout 60 $K selftest --backend ${BE:-nv} --filter replay_order 2>&1 | grep -E "replay_order|rror" | tr -s ' ' | tr '\n' ' ')"; }
lat() { echo "$1 $2: $(env "${@:3}" timeout 60 $K latency --backend $1 --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; }
{
date; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
MODELS="qwen3-0.6b-q8 llama1b-q6k qwen3-1.7b-q4km"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== selftest (all kernels)"
for v in "default" "fence KERNLAB_NV_EXIT_FENCE=release"; do set -- $v; label=$1; shift
  echo "selftest nv $label: $(env "$@" timeout 120 $K selftest --backend nv 2>&1 | grep -iE "passed|fail|rror" | tail -3 | tr '\n' ' ')"; done
echo "selftest cuda: $(timeout 120 $K selftest --backend cuda --filter replay_order 2>&1 | grep -E "replay_order|rror" | tr -s ' ')"
echo "== replay order"
order default; order fence KERNLAB_NV_EXIT_FENCE=release
for i in 1 2 3; do order "none #$i" KERNLAB_NV_MEMBAR=none; done
order "none, wfi" KERNLAB_NV_MEMBAR=none KERNLAB_NV_REPLAY=wfi
order "none, chain" KERNLAB_NV_MEMBAR=none KERNLAB_NV_REPLAY=chain
echo "== CPU check, fence"
for m in $MODELS; do
  echo "check nv fence $m: $(KERNLAB_NV_EXIT_FENCE=release timeout 90 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 48 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
done
echo "== decode"
for m in $MODELS; do
  dec cuda $m default; dec nv $m default; dec nv $m fence KERNLAB_NV_EXIT_FENCE=release; dec nv $m "membar none" KERNLAB_NV_MEMBAR=none
done
echo "== carve-out, llama1b (probe6)"
for c in 132 100 64 fit; do dec nv llama1b-q6k "carveout $c" KERNLAB_NV_CARVEOUT=$c; dec nv llama1b-q6k "fence c$c" KERNLAB_NV_CARVEOUT=$c KERNLAB_NV_EXIT_FENCE=release; done
echo "== latency"
lat cuda default; lat nv default; lat nv fence KERNLAB_NV_EXIT_FENCE=release
date
} 2>&1 | tee "$O/probe7.log"
