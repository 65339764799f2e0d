#!/usr/bin/env bash
# Session 3: SwiGLU in the gate|up matvec (matvec_q6_k_n glu mode): selftest of the kernel on
# both backends, the CPU check of llama1b-q6k on both, decode with and without the swiglu
# launches on both, in one call.
# Usage (device, repo root): bash scripts/device/val5.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-22s %s\n' "$be" "$m" "$label" "$(timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
m=llama1b-q6k
timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
for be in nv cuda; do
  echo "selftest $be: $(timeout 150 $K selftest --backend $be --filter matvec_q6_k_n 2>&1 | grep -E "glu|checks passed|FAIL" | tr '\n' ' ')"
  echo "check $be $m: $(timeout 120 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
done
for be in nv cuda; do dec $be $m default; dec $be $m "swiglu launch" --swiglu-launch; dec $be $m default2; done
} 2>&1 | tee "$O/val5.log"
