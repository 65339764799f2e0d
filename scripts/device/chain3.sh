#!/usr/bin/env bash
# Session 3: the chain end counted by a reduction release (no host wait between replays):
# correctness (CPU check, selftest), decode time, the per-replay fixed cost (only the advance
# kernel), latency; then where the 1 GB nv copy loses (VRAM placement switches, carve-out).
# Usage (device, repo root): bash scripts/device/chain3.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
{
timeout 60 $K synth --model llama1b-q6k --out $D/llama1b-q6k.gguf > /dev/null
m=llama1b-q6k
echo "check nv: $(timeout 90 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
for r in pdl chain; do
  echo "decode nv $r: $(KERNLAB_NV_REPLAY=$r timeout 60 $K decode --backend nv --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
  echo "decode nv $r only advance: $(KERNLAB_NV_REPLAY=$r KERNLAB_DECODE_KEEP=decode_advance timeout 60 $K decode --backend nv --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
done
echo "decode cuda: $(timeout 60 $K decode --backend cuda --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"
timeout 120 $K selftest --backend nv 2>&1 | tail -2
timeout 120 $K compare latency 2>&1 | tail -12
for v in "" bank contig "bank,contig" 512m; do
  for c in max fit; do
    echo "bw nv vram=[$v] carveout=$c: $(KERNLAB_RM_VRAM=$v KERNLAB_NV_CARVEOUT=$c timeout 60 $K bw --backend nv --sizes 256,1024 --reps 20 2>&1 | grep -E "^ *[0-9]|rror" | tr -s ' ' | tr '\n' '|')"
  done
done
echo "bw cuda: $(timeout 60 $K bw --backend cuda --sizes 256,1024 --reps 20 2>&1 | grep -E "^ *[0-9]|rror" | tr -s ' ' | tr '\n' '|')"
} 2>&1 | tee "$O/chain3.log"
