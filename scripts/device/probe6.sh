#!/usr/bin/env bash
# Not run yet (session 5 ran out of device time; for the next session): does a smaller shared-memory carve-out
# close nv's gap to cuda on llama1b-q6k (its Q6_K matvecs take 18 KiB of shared memory a CTA;
# session 3 measured 228 > 196 > 164 > 132 KiB, each smaller one faster)? cuda first, then nv at
# each carve-out, then the two Qwen models at the best small one and at the 164 KiB default.
# Usage (device, repo root): bash scripts/device/probe6.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-14s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 40 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
m=llama1b-q6k
dec cuda $m default
for c in 164 132 100 64 fit; do dec nv $m "carveout $c" KERNLAB_NV_CARVEOUT=$c; done
for m in qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  dec cuda $m default; for c in 164 100 fit; do dec nv $m "carveout $c" KERNLAB_NV_CARVEOUT=$c; done
done
echo "check nv llama1b carveout 100: $(KERNLAB_NV_CARVEOUT=100 timeout 60 $K decode --backend nv --model $D/llama1b-q6k.gguf --check-against-cpu --tokens 16 2>&1 | grep -E "argmax|rror" | head -1)"
} 2>&1 | tee "$O/probe6.log"
