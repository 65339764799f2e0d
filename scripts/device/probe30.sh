#!/usr/bin/env bash
# Next session's first call (written in session 10, not run): does the least shared-memory size
# that still holds a capped grid to its blocks per SM (KERNLAB_CAP_SHARED=least), which leaves
# room for the next grid's early-launched blocks beside it, beat the even size (the default, which
# fills the SM)? And does capping every small grid, the attention's too (`--spread-all true`),
# beat capping the matvecs only? A/B on the three models (nv), the nv timelines of llama1b, and
# the CPU check.
# Usage (device, repo root): bash scripts/device/probe30.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p30-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 1. cap sizing even vs least, nv (A/B/A/B)"
for rep in 1 2; do for m in $MODELS; do for c in even least; do
  printf '%-16s %-5s %s\n' $m $c "$(KERNLAB_CAP_SHARED=$c dec --backend nv --model $D/$m.gguf)"
done; done; done
echo "== 1b. --spread-all true (attention, argmax, norms capped too), even and least, nv"
for rep in 1 2; do for m in $MODELS; do for c in even least; do
  printf '%-16s all %-5s %s\n' $m $c "$(KERNLAB_CAP_SHARED=$c dec --backend nv --model $D/$m.gguf --spread-all true)"
done; done; done
echo "== 2. CPU check, least"
echo "$(KERNLAB_CAP_SHARED=least timeout 120 $K decode --backend nv --model $D/llama1b-q6k.gguf --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror|ERROR" | head -2)"
echo "== 3. nv timelines, llama1b"
for c in even least; do
  KERNLAB_CAP_SHARED=$c timeout 40 $K decode --backend nv --model $D/llama1b-q6k.gguf --tokens 32 --timeline > "$O/timeline-$c.txt" 2>&1
  echo "$c: $(grep -E "^timeline" "$O/timeline-$c.txt" | head -1 | sed 's/.*: //')"
  grep -E "^blk\.1\." "$O/timeline-$c.txt"
done
date
} 2>&1 | tee "$O/probe30.log"
