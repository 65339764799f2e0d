#!/usr/bin/env bash
# Session 3 probe: where a decode token's time goes on nv and cuda. Each line is a decode of the
# same synthetic model with some launches dropped (KERNLAB_DECODE_DROP / _KEEP, timing only: the
# logits are wrong), so the difference to the full token is what those launches cost in the
# replay. Then the 1 GB nv copy with a gap buffer between src and dst (KERNLAB_BW_GAP_MB).
# Usage (device, repo root): bash scripts/device/probe3.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { # dec BACKEND MODEL LABEL [ENV...]
  local be=$1 m=$2 label=$3; shift 3
  local line; line=$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 96 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror|ABLATION" | sed 's/kernlab decode: //' | tr '\n' ' ')
  printf '%-5s %-16s %-28s %s\n' "$be" "$m" "$label" "$line"
}
{
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader
for m in llama1b-q6k qwen3-0.6b-q8; do timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
m=llama1b-q6k
for be in nv cuda; do
  dec $be $m full
  dec $be $m "-rmsnorm" KERNLAB_DECODE_DROP=rmsnorm
  dec $be $m "-swiglu" KERNLAB_DECODE_DROP=swiglu
  dec $be $m "-rope_kv" KERNLAB_DECODE_DROP=rope_kv
  dec $be $m "-attn_decode" KERNLAB_DECODE_DROP=attn_decode
  dec $be $m "only matvec" KERNLAB_DECODE_KEEP=matvec
  dec $be $m "-matvec" KERNLAB_DECODE_DROP=matvec
  dec $be $m "only advance" KERNLAB_DECODE_KEEP=decode_advance
done

for r in chain wfi; do dec nv $m "replay $r" KERNLAB_NV_REPLAY=$r; dec nv $m "replay $r only matvec" KERNLAB_NV_REPLAY=$r KERNLAB_DECODE_KEEP=matvec; done
m=qwen3-0.6b-q8
for be in nv cuda; do
  dec $be $m full
  dec $be $m "-qk_norm_rope_kv" KERNLAB_DECODE_DROP=qk_norm_rope_kv
  dec $be $m "-attn_decode" KERNLAB_DECODE_DROP=attn_decode
  dec $be $m "only matvec" KERNLAB_DECODE_KEEP=matvec
  dec $be $m "-matvec" KERNLAB_DECODE_DROP=matvec
done
for gap in 0 2 64 1024; do
  echo "bw nv gap ${gap}MB: $(KERNLAB_BW_GAP_MB=$gap timeout 60 $K bw --backend nv --sizes 256,1024 --reps 20 2>&1 | grep -E "^ *[0-9]|rror" | tr -s ' ' | tr '\n' '|')"
done
} 2>&1 | tee "$O/probe3.log"
