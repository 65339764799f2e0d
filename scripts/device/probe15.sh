#!/usr/bin/env bash
# NOT RUN (written in session 7, for the next session). The branch q6n-ahead2: matvec_q6_k_n
# and matvec_q6_k_w with two chunks per row in flight, the second issued before
# griddepcontrol.wait (96 / 95 registers, 5 blocks an SM), against main's kernels (78 / 79
# registers, 6 blocks). Build both:
#   git worktree add /tmp/ahead2 q6n-ahead2 && (cd /tmp/ahead2 && cargo build --release -p kernlab-bins)
#   mkdir -p .carry/ahead2 && strip -o .carry/ahead2/kernlab /tmp/ahead2/target/release/kernlab
# A/B/A/B of llama1b (every matvec is this kernel) and qwen3-1.7b (lm_head and some
# ffn_down/attn_v) on both paths, then the Q6_K selftest and llama1b's CPU check on the branch.
# Usage (device, repo root): bash scripts/device/probe15.sh   carry: .carry/main .carry/ahead2 .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); KA=$(realpath .carry/ahead2/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p15-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
dec() { local bin=$1 be=$2 m=$3 label=$4
  printf '%-5s %-16s %-8s %s\n' "$be" "$m" "$label" "$(timeout 40 $bin decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in llama1b-q6k qwen3-1.7b-q4km; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null; done
echo "selftest nv q6_k ahead2: $(timeout 120 $KA selftest --backend nv --filter q6_k 2>&1 | grep -iE "passed|FAIL|rror" | tail -3 | tr '\n' ' ')"
echo "check nv llama1b ahead2: $(timeout 90 $KA decode --backend nv --model $D/llama1b-q6k.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -1)"
for m in llama1b-q6k qwen3-1.7b-q4km; do for be in nv cuda; do
  dec $K $be $m main; dec $KA $be $m ahead2; dec $K $be $m main; dec $KA $be $m ahead2; done; done
date
} 2>&1 | tee "$O/probe15.log"
