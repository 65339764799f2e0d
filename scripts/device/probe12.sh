#!/usr/bin/env bash
# Session 7, third call (ran on an H200: the L2 prefetch was slower on both paths and was
# reverted; the kernels it tested are in commit ec217de): matvec_q6_k_n and matvec_q6_k_w with an L2 prefetch of the rest of each warp's rows
# before griddepcontrol.wait (.carry/main) against the committed binary (.carry/old): decode of
# llama1b (all Q6_K) and qwen3-1.7b (Q6_K lm_head and some ffn_down/attn_v), both paths, A/B
# interleaved twice; the selftest of the Q6_K matvecs and the CPU check with the new binary.
# Then probe13.sh (the full check) on the new binary.
# Usage (device, repo root): bash scripts/device/probe12.sh   carry: .carry/main .carry/old .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); KO=$(realpath .carry/old/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p12-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local bin=$1 be=$2 m=$3 label=$4; shift 4
  printf '%-5s %-16s %-10s %s\n' "$be" "$m" "$label" "$(timeout 40 $bin decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in llama1b-q6k qwen3-1.7b-q4km; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "selftest nv q6_k: $(timeout 120 $K selftest --backend nv --filter q6_k 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"
for m in llama1b-q6k qwen3-1.7b-q4km; do
  echo "check nv $m prefetch: $(timeout 90 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -1)"
done
for m in llama1b-q6k qwen3-1.7b-q4km; do for be in nv cuda; do
  dec $KO $be $m "old"; dec $K $be $m "prefetch"; dec $KO $be $m "old"; dec $K $be $m "prefetch"; done; done
# What the attention launches cost inside a token (logits wrong; timing only).
for be in nv cuda; do printf '%-5s %-16s %-10s %s\n' $be llama1b-q6k "drop attn" "$(KERNLAB_DECODE_DROP=attn timeout 40 $K decode --backend $be --model $D/llama1b-q6k.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done
date
} 2>&1 | tee "$O/probe12.log"
# The device came late this session: the final check (probe13) runs on the new binary in the same call.
bash "$(dirname "$0")/probe13.sh"
