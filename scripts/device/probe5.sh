#!/usr/bin/env bash
# Session 5, second call: KERNLAB_NV_MEMBAR=none (L1_NONE at the end of every replayed grid but
# the last) — is it correct (CPU check of 3 models, selftest) and what does it gain (replay100,
# decode of 3 models beside nv default and cuda)? Plus the 1 GB copy and qwen3-1.7b's profile.
# Usage (device, repo root): bash scripts/device/probe5.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-22s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
chk() { local m=$1; shift
  echo "check64 nv $m $*: $(env "$@" timeout 120 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"; }
lat() { local be=$1 label=$2; shift 2
  echo "$be $label: $(env "$@" timeout 60 $K latency --backend $be --iters 2000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; }
{
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for m in $MODELS; do chk $m KERNLAB_NV_MEMBAR=none; done
echo "selftest nv membar none: $(KERNLAB_NV_MEMBAR=none timeout 150 $K selftest --backend nv 2>&1 | tail -1)"
for m in $MODELS; do
  dec cuda $m default; dec nv $m default; dec nv $m "membar none" KERNLAB_NV_MEMBAR=none
done
lat cuda default; lat nv default; lat nv "membar none" KERNLAB_NV_MEMBAR=none
echo "== bw cuda"; timeout 90 $K bw --backend cuda --sizes 256,1024 2>&1 | tail -6
echo "== bw nv"; timeout 90 $K bw --backend nv --sizes 256,1024 2>&1 | tail -6
echo "== profile nv qwen3-1.7b-q4km, membar none"
KERNLAB_NV_MEMBAR=none timeout 60 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --tokens 16 --profile 2>&1 | grep -v "^blk\.[0-9]*\." | head -40
KERNLAB_NV_MEMBAR=none timeout 60 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --tokens 16 --profile 2>&1 | grep "^blk\.[0-9]*\." | head -30
} 2>&1 | tee "$O/probe5.log"
