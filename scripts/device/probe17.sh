#!/usr/bin/env bash
# Session 8. (1) The decode warm-up steps (new): on a machine fresh from idle the first nv decode
# ran most of its tokens at 2.4 ms (probe14); first thing here, llama1b nv with --tokens 64.
# (2) --q6k-fused-alone true on qwen3-1.7b (new: matvec_q6_k_p only for the Q6_K attn_v beside
# the fused Q4_K q|k and for the LM head, dropping all 15 rmsnorm launches, 159 instead of 174):
# its timeline, A/B/A/B on both paths against the default, the CPU check on both paths.
# Usage (device, repo root): bash scripts/device/probe17.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p17-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
{
date; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
for m in llama1b-q6k qwen3-1.7b-q4km; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
nvidia-smi --query-gpu=clocks.sm,clocks.mem,pstate --format=csv,noheader
echo "== first decode on this machine (nv llama1b, 64 tokens, with the warm-up steps)"
timeout 60 $K decode --backend nv --model $D/llama1b-q6k.gguf --tokens 64 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror"
echo "== qwen3-1.7b --q6k-fused-alone true: timeline"
timeout 60 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --tokens 64 --ceiling-gbps 2933 --q6k-fused-alone true --timeline > "$O/timeline-alone.txt" 2>&1
grep -E "^(decode|timeline)|rror" "$O/timeline-alone.txt"; sed -n '/^kernel /,/^$/p' "$O/timeline-alone.txt"
grep -E "^(blk\.[0-3]\.|lm_head|output_norm)" "$O/timeline-alone.txt"
echo "== A/B/A/B (ms/token, 128 tokens)"
for be in nv cuda; do for i in 1 2; do for sw in false true; do
  printf '%-5s alone=%-5s %s\n' $be $sw "$(timeout 40 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --tokens 128 --ceiling-gbps 2933 --q6k-fused-alone $sw 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
for be in nv cuda; do echo "check $be alone: $(timeout 90 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --check-against-cpu --tokens 64 --q6k-fused-alone true 2>&1 | grep -E "argmax|rror" | head -1)"; done
date
} 2>&1 | tee "$O/probe17.log"
