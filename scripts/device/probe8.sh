#!/usr/bin/env bash
# Session 6, second call: (1) what CWD_MEMBAR_TYPE and the other QMD fields CUDA sets for stream
# launches and graph kernels (scripts/device/cuda_qmd.c, built here against a stub libcuda, its
# dump decoded here by qmd_decode.py); (2) the fused Q8_0/Q4_K matvecs with x staged 4 vectors a
# thread at once and the norm's 1/rms applied after the dot products (.carry/main) against the
# committed ones (.carry/old): selftest, the CPU check and decode speed on nv and cuda, and the
# profile of qwen3-1.7b; (3) does KERNLAB_NV_MEMBAR=none's stale read (session 5, qwen3-0.6b)
# come back; (4) latency.
# Usage (device, repo root): bash scripts/device/probe8.sh   carry: .carry/main .carry/old .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); KO=$(realpath .carry/old/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p8-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local bin=$1 be=$2 m=$3 label=$4; shift 4
  printf '%-5s %-16s %-14s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 40 $bin decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
check() { local bin=$1 be=$2 m=$3 label=$4; shift 4
  echo "check $be $m $label: $(env "$@" timeout 90 $bin decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 48 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
echo "== cuda QMDs"
timeout 120 .carry/main/cuda_qmd > "$O/cuda_qmd.txt" 2> "$O/cuda_qmd.err"; echo "cuda_qmd rc=$? hits=$(grep -c ^HIT "$O/cuda_qmd.txt")"
grep ^HIT "$O/cuda_qmd.txt" | head -20; tail -3 "$O/cuda_qmd.err"
MODELS="qwen3-1.7b-q4km qwen3-0.6b-q8 llama1b-q6k"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "== selftest"
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"; done
echo "== CPU check (new fused matvecs)"
for m in qwen3-1.7b-q4km qwen3-0.6b-q8; do check $K nv $m new; check $K cuda $m new; done
echo "== decode, old (committed) vs new fused matvecs"
for m in qwen3-1.7b-q4km qwen3-0.6b-q8; do
  dec $KO cuda $m old; dec $K cuda $m new; dec $KO nv $m old; dec $K nv $m new; dec $K nv $m "new, none" KERNLAB_NV_MEMBAR=none
done
dec $K cuda llama1b-q6k new; dec $K nv llama1b-q6k new
echo "== does membar none read stale values (qwen3-0.6b, session 5: 6.3e-3)"
for i in 1 2; do check $K nv qwen3-0.6b-q8 "none #$i" KERNLAB_NV_MEMBAR=none; done
check $K nv llama1b-q6k "none" KERNLAB_NV_MEMBAR=none
echo "== profile qwen3-1.7b nv, new"
timeout 60 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --tokens 16 --profile --ceiling-gbps 2933 2>&1 | grep -A12 "^profile" | head -14
echo "== latency"
for be in cuda nv; do echo "$be: $(timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
date
} 2>&1 | tee "$O/probe8.log"
