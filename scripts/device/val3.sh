#!/usr/bin/env bash
# Session 3 validation of main: the 3 seed models checked against the CPU on nv and cuda,
# decode on both (nv three times, to see whether a run goes bimodal), nv carve-out sizes, the
# matvec-only ablation, and selftest on both backends.
# Usage (device, repo root): bash scripts/device/val3.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local be=$1 m=$2 label=$3; shift 3
  printf '%-5s %-16s %-22s %s\n' "$be" "$m" "$label" "$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror|ABLATION" | sed 's/kernlab decode: //; s/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for m in llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  for be in nv cuda; do
    echo "check $be $m: $(timeout 120 $K decode --backend $be --model $D/$m.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
  done
  dec nv $m run1; dec nv $m run2; dec nv $m run3; dec cuda $m run1
done
m=llama1b-q6k
for c in 100 132 164; do dec nv $m "carveout $c" KERNLAB_NV_CARVEOUT=$c; done
dec nv $m "only matvec" KERNLAB_DECODE_KEEP=matvec
dec cuda $m "only matvec" KERNLAB_DECODE_KEEP=matvec
dec nv $m "-matvec" KERNLAB_DECODE_DROP=matvec
dec nv $m "-attn_rope" KERNLAB_DECODE_DROP=attn_rope
dec nv $m "-rmsnorm" KERNLAB_DECODE_DROP=rmsnorm
for be in nv cuda; do echo "selftest $be: $(timeout 150 $K selftest --backend $be 2>&1 | tail -1)"; done
} 2>&1 | tee "$O/val3.log"
