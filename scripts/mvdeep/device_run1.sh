#!/bin/bash
# mvdeep device run 1: matvec_q6_k_n vs matvec_q6_k_n2 (two chunks per row in flight).
# Run from the repo root on the device as `bash .carry/mvdeep/run1.sh` (carry .carry/mvdeep,
# .carry/vocab).
export KERNLAB_VOCAB_DIR=$PWD/.carry/vocab KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin
K=.carry/mvdeep/kernlab
mkdir -p $OUT
exec > >(tee $OUT/mvdeep_run1.log) 2>&1
set -x
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv
$K synth --model llama1b-q6k --out /tmp/m.gguf
timeout 25 $K selftest --backend nv --filter matvec_q6_k_n
for be in nv cuda; do
  for v in n n2; do
    timeout 15 $K decode --model /tmp/m.gguf --backend $be --tokens 128 --ceiling-gbps 2933 --norm-matvec $v | tee /tmp/d_${be}_$v.txt
  done
done
# the nv pair again, reversed order (drift check)
for v in n2 n; do
  timeout 15 $K decode --model /tmp/m.gguf --backend nv --tokens 128 --ceiling-gbps 2933 --norm-matvec $v
done
med() { grep -o 'median [0-9.]*' $1 | head -1 | awk '{print $2}'; }
best=n2
if awk "BEGIN{exit !($(med /tmp/d_nv_n.txt) < $(med /tmp/d_nv_n2.txt))}"; then best=n; fi
echo "best on nv: $best"
timeout 40 $K decode --model /tmp/m.gguf --backend nv --check-against-cpu --tokens 32 --ceiling-gbps 2933 --norm-matvec $best
