#!/usr/bin/env bash
# NOT RUN (written in session 8 on branch q4k-xsum). matvec_q4_k_f with (1) xsum: the min
# term's sum of x over each 16-value half of a lane's unit staged once per block with x (two xor
# shuffles) instead of 30 adds per unit and row pair; (2) nibble -> 1 + q/16 by one prmt, no
# sub per weight (sum q x = 16 (sum (1 + q/16) x - sum x)); the pair kernel regenerated.
# The test of the session-8 hypothesis that the Q4_K matvecs are bound by instructions per
# weight, not by DRAM. Build both binaries first (main and the branch):
#   git worktree add /tmp/xsum q4k-xsum && (cd /tmp/xsum && cargo build --release -p kernlab-bins)
#   mkdir -p .carry/xsum && strip -o .carry/xsum/kernlab /tmp/xsum/target/release/kernlab
# Then: the Q4_K selftests and qwen3-1.7b's CPU check on the branch, A/B/A/B on both paths, and
# the branch's per-launch timeline (gate|up, o-proj, q|k rows against probe17's).
# Usage (device, repo root): bash scripts/device/probe21.sh   carry: .carry/main .carry/xsum .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); KX=$(realpath .carry/xsum/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p21-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
M=$D/qwen3-1.7b-q4km.gguf
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
[ -f $M ] || timeout 60 $K synth --model qwen3-1.7b-q4km --out $M > /dev/null
for be in nv cuda; do for f in q4_k q4k_q6k; do echo "selftest $be $f xsum: $(timeout 120 $KX selftest --backend $be --filter $f 2>&1 | grep -iE "checks passed|FAIL|rror" | tail -3 | tr '\n' ' ')"; done; done
for be in nv cuda; do echo "check $be xsum: $(timeout 90 $KX decode --backend $be --model $M --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -1)"; done
for be in nv cuda; do for i in 1 2; do for b in main xsum; do bin=$K; [ $b = xsum ] && bin=$KX
  printf '%-5s %-5s %s\n' $be $b "$(timeout 40 $bin decode --backend $be --model $M --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | tr '\n' ' ')"; done; done; done
timeout 60 $KX decode --backend nv --model $M --tokens 32 --timeline > "$O/timeline-xsum.txt" 2>&1
grep -E "^timeline" "$O/timeline-xsum.txt" | head -1; grep -E "^(blk\.[0-2]\.|lm_head)" "$O/timeline-xsum.txt"
date
} 2>&1 | tee "$O/probe21.log"
