#!/usr/bin/env bash
# Session 10's second call: does capping the blocks per SM of the small matvec grids
# (`decode --spread-blocks-per-sm N`, shared memory sized so no SM holds more than
# ceil(grid / SMs) blocks) spread pdl's early-launched grids over every SM? probe25 found
# matvec_q6_k_nx faster than matvec_q6_k_n on nv without pdl (wfi 0.814 vs 0.826 ms) and slower
# with it (0.806 vs 0.731). And two deeper weight pipelines of both (`--q6k-pipeline async`:
# matvec_q6_k_na / _nxa, 2 chunks ahead by cp.async in 3 shared stages per warp; `l2`: _np /
# _nxp, an L2 prefetch of the warp's rows up front). (0) selftest of the folded-norm Q6_K
# matvecs on both paths; (1) llama1b pipeline x xsum x spread 0, 2 on nv and cuda; (2)
# qwen3-1.7b and qwen3-0.6b x spread; (3) CPU checks of the new plans on both paths; (4) nv
# timelines.
# Usage (device, repo root): bash scripts/device/probe26.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p26-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
L=$D/llama1b-q6k.gguf
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|rror" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 0. selftest --filter matvec_q6_k_n (n, nx, na, nxa, np, nxp, nk)"
for be in nv cuda; do echo "selftest $be: $(timeout 120 $K selftest --backend $be --filter matvec_q6_k_n 2>&1 | grep -iE "checks passed|FAIL|rror" | tail -6 | tr '\n' ' ')"; done
echo "== 1. llama1b-q6k: q6k-pipeline x q6k-xsum x spread (A/B/A/B)"
for rep in 1 2; do for be in nv cuda; do for a in reg async l2; do for x in false true; do for s in 0 2; do
  printf '%-5s pipe %-5s xsum %-5s spread %s  %s\n' $be $a $x $s "$(dec --backend $be --model $L --q6k-pipeline $a --q6k-xsum $x --spread-blocks-per-sm $s)"
done; done; done; done; done
echo "== 2. qwen3 x spread"
for rep in 1; do for m in qwen3-1.7b-q4km qwen3-0.6b-q8; do for be in nv cuda; do for s in 0 2 4 6; do
  printf '%-5s %-16s spread %s  %s\n' $be $m $s "$(dec --backend $be --model $D/$m.gguf --spread-blocks-per-sm $s)"
done; done; done; done
echo "== 3. CPU checks of the new plans"
for be in nv cuda; do
  for sw in "--q6k-xsum true --spread-blocks-per-sm 3" "--q6k-pipeline async" "--q6k-pipeline async --q6k-xsum true --spread-blocks-per-sm 2" "--q6k-pipeline l2 --q6k-xsum true"; do
    echo "check $be llama1b $sw: $(timeout 90 $K decode --backend $be --model $L $sw --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
  done
  echo "check $be qwen3-1.7b spread 4: $(timeout 120 $K decode --backend $be --model $D/qwen3-1.7b-q4km.gguf --spread-blocks-per-sm 4 --check-against-cpu --tokens 64 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
done
echo "== 4. nv timelines (llama1b layer 1)"
for sw in "--spread-blocks-per-sm 2" "--spread-blocks-per-sm 2 --q6k-xsum true" "--q6k-pipeline async" "--q6k-pipeline l2" "--q6k-pipeline l2 --q6k-xsum true --spread-blocks-per-sm 2"; do
  t=$(echo "$sw" | tr -d ' -')
  timeout 40 $K decode --backend nv --model $L --tokens 32 --timeline $sw > "$O/timeline-$t.txt" 2>&1
  echo "timeline $sw: $(grep -E "^timeline" "$O/timeline-$t.txt" | head -1 | sed 's/.*: //')"
  grep -E "^(blk\.1\.|lm_head)" "$O/timeline-$t.txt"
done
date
} 2>&1 | tee "$O/probe26.log"
