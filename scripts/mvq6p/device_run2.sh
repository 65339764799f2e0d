#!/usr/bin/env bash
# mvq6p device run 2: matvec_q6_k_p at 4 rows per warp (3-stage ring; kernlab_s2: 2 stages).
export KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$PWD/.carry/vocab
N=.carry/mvq6p/kernlab; S2=.carry/mvq6p/kernlab_s2
mkdir -p $OUT
$N synth --model llama1b-q6k --out /tmp/m.gguf > /dev/null || echo "SYNTH FAILED"
for be in nv cuda; do
  echo "== selftest $be"; timeout 40 $N selftest --backend $be --filter matvec_q6_k_p > $OUT/st-$be.txt 2>&1; echo rc=$?
  grep -E "q6_k_p|FAIL|fail|pass" $OUT/st-$be.txt | head -16
done
echo "== selftest nv s2"; timeout 40 $S2 selftest --backend nv --filter matvec_q6_k_p 2>&1 | grep -cE " pass "; timeout 40 $S2 selftest --backend nv --filter matvec_q6_k_p 2>&1 | grep -E "FAIL|fail" | head -3
dec() { # backend binary-label binary fused rep
  timeout 20 $3 decode --model /tmp/m.gguf --backend $1 --tokens 128 --json --q6k-fused $4 > $OUT/d-$1-$2-$4-$5.json 2> $OUT/d-$1-$2-$4-$5.err
  echo "decode $1 $2 q6k-fused=$4 rep $5 rc=$? $(grep -oE "\"(median_ms|p10_ms|p90_ms|launches_per_token)\": *[0-9.e+-]+" $OUT/d-$1-$2-$4-$5.json | tr '\n' ' ')"; grep -iE "error" $OUT/d-$1-$2-$4-$5.err | head -2
}
for be in nv cuda; do
  for rep in 1 2; do
    dec $be s3 $N false $rep; dec $be s3 $N true $rep; dec $be s2 $S2 true $rep
  done
done
echo "== check against cpu nv q6k-fused=true"; timeout 30 $N decode --model /tmp/m.gguf --backend nv --tokens 32 --check-against-cpu --q6k-fused true 2>&1 | tail -5
for f in false true; do
echo "== profile cuda q6k-fused=$f"; timeout 20 $N decode --model /tmp/m.gguf --backend cuda --tokens 16 --profile --q6k-fused $f > $OUT/profile-cuda-$f.txt 2>&1; grep -E "^(matvec|rmsnorm|swiglu)|lm_head|blk.3.attn_q|blk.3.attn_output|blk.3.ffn" $OUT/profile-cuda-$f.txt | head -12
done
echo "== profile cuda s2 true"; timeout 20 $S2 decode --model /tmp/m.gguf --backend cuda --tokens 16 --profile --q6k-fused true 2>&1 | grep -E "^matvec|lm_head|blk.3" | head -8
