#!/usr/bin/env bash
# Session 8. (1) The decode warm-up steps (new): on a machine fresh from idle the first nv decode
# ran most of its tokens at 2.4 ms (probe14); first thing here, llama1b nv with --tokens 64.
# (2) --q6k-fused-alone true on qwen3-1.7b (new: matvec_q6_k_p only for the Q6_K attn_v beside
# the fused Q4_K q|k and for the LM head, dropping all 15 rmsnorm launches, 159 instead of 174):
# (3) --pair-q6 true (new: q|k and the Q6_K attn_v in one launch of the paired kernel
# matvec_q4k_q6k_f, 146 launches; with --q6k-fused-alone too, 145). Timelines, A/B/A/B on both
# paths against the default, the CPU check on both paths.
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
echo "selftest pair nv: $(timeout 120 $K selftest --backend nv --filter q4k_q6k 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"
echo "selftest pair cuda: $(timeout 120 $K selftest --backend cuda --filter q4k_q6k 2>&1 | grep -iE "passed|FAIL|rror" | tail -4 | tr '\n' ' ')"
timeout 120 $K selftest --backend nv --filter q4k_q6k > "$O/selftest-pair-nv.txt" 2>&1
M=$D/qwen3-1.7b-q4km.gguf
for sw in "--q6k-fused-alone true" "--pair-q6 true" "--pair-q6 true --q6k-fused-alone true"; do
  t=$(echo $sw | tr -d ' -'); echo "== qwen3-1.7b $sw: timeline"
  timeout 60 $K decode --backend nv --model $M --tokens 64 --ceiling-gbps 2933 $sw --timeline > "$O/timeline-$t.txt" 2>&1
  grep -E "^(decode|timeline)|rror" "$O/timeline-$t.txt"; sed -n '/^kernel /,/^$/p' "$O/timeline-$t.txt"
  grep -E "^(blk\.[0-2]\.|lm_head|output_norm)" "$O/timeline-$t.txt"
done
echo "== A/B/A/B (ms/token, 128 tokens)"
for be in nv cuda; do for i in 1 2; do for sw in "" "--q6k-fused-alone true" "--pair-q6 true" "--pair-q6 true --q6k-fused-alone true"; do
  printf '%-5s %-38s %s\n' $be "${sw:-default}" "$(timeout 40 $K decode --backend $be --model $M --tokens 128 --ceiling-gbps 2933 $sw 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
for sw in "--q6k-fused-alone true" "--pair-q6 true --q6k-fused-alone true"; do for be in nv cuda; do
  echo "check $be $sw: $(timeout 90 $K decode --backend $be --model $M --check-against-cpu --tokens 64 $sw 2>&1 | grep -E "argmax|rror" | head -1)"; done; done
date
} 2>&1 | tee "$O/probe17.log"
