#!/usr/bin/env bash
# NOT RUN (written at the end of session 7, for the next session). `decode --timeline` (new):
# each grid of the nv replay releases a timestamp when it completes, so each launch's share of
# the pipelined token shows (where `--profile`, one launch at a time, shows each launch with
# its own start and drain). First check that the timestamps are sane: the timeline's total
# should sit near the token time of the same run, and the replay with the extra releases
# should decode at nearly the same speed. Also `latency`'s new replay100_fill row on both paths,
# and two plan switches on qwen3-1.7b that were measured on llama1b only: `--q6k-fused true`
# (its Q6_K attn_v/ffn_down with the norm fused: 159 launches instead of 174) and `--split-q6 true`.
# Usage (device, repo root): bash scripts/device/probe14.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p14-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
for m in $MODELS; do
  timeout 60 $K decode --backend nv --model $D/$m.gguf --tokens 64 --ceiling-gbps 2933 --timeline > "$O/timeline-$m.txt" 2>&1
  echo "== $m (rc $?)"; grep -E "^(decode|time|timeline)|rror" "$O/timeline-$m.txt"
  sed -n '/^timeline/,/^$/p' "$O/timeline-$m.txt" | head -14
done
echo "== qwen3-1.7b plan switches measured so far on llama1b only (ms/token; then the CPU check)"
for sw in "" "--q6k-fused true" "--split-q6 true"; do for be in cuda nv; do
  printf '%-5s %-18s %s\n' $be "${sw:-default}" "$(timeout 40 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --tokens 128 --ceiling-gbps 2933 $sw 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done
echo "check nv --q6k-fused true: $(timeout 90 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --check-against-cpu --tokens 32 --q6k-fused true 2>&1 | grep -E "argmax|rror" | head -1)"
echo "== latency (replay100_fill: 100 kernels that write, new)"
for be in cuda nv; do echo "$be: $(timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; done
echo "== cuda refuses --timeline: $(timeout 30 $K decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 8 --timeline 2>&1 | tail -1)"
date
} 2>&1 | tee "$O/probe14.log"
