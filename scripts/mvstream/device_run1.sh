#!/usr/bin/env bash
# mvstream device run: matvec_q6_k_s (grid-stride, 4-slot ring) vs matvec_q6_k_w; kernlab_d6: 6-slot ring.
export KERNLAB_CACHE_DIR=/tmp/kc PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$PWD/.carry/vocab
N=.carry/mvstream/kernlab; D6=.carry/mvstream/kernlab_d6
mkdir -p $OUT
$N synth --model llama1b-q6k --out /tmp/m.gguf > /dev/null || echo "SYNTH FAILED"
for be in nv cuda; do
  echo "== selftest $be"; timeout 40 $N selftest --backend $be --filter matvec_q6_k > $OUT/st-$be.txt 2>&1; echo rc=$?
  grep -E "q6_k_s|FAIL|fail|passed" $OUT/st-$be.txt | head -20
done
echo "== selftest nv d6"; timeout 30 $D6 selftest --backend nv --filter matvec_q6_k_s > $OUT/st-nv-d6.txt 2>&1; echo rc=$?; grep -E "FAIL|fail|passed" $OUT/st-nv-d6.txt | head -4
dec() { # backend label binary rep extra-args...
  local be=$1 lb=$2 bin=$3 rep=$4; shift 4
  timeout 20 $bin decode --model /tmp/m.gguf --backend $be --tokens 128 --json --ceiling-gbps 2933 "$@" > $OUT/d-$be-$lb-$rep.json 2> $OUT/d-$be-$lb-$rep.err
  echo "decode $be $lb rep $rep rc=$? KEEP=${KERNLAB_DECODE_KEEP:-} $(grep -oE "\"(median_ms|p10_ms|p90_ms)\": *[0-9.e+-]+" $OUT/d-$be-$lb-$rep.json | tr '\n' ' ')"; grep -iE "error" $OUT/d-$be-$lb-$rep.err | head -2
}
for be in nv cuda; do
  for rep in 1 2; do dec $be w $N $rep --matvec-q6k w; dec $be s4 $N $rep --matvec-q6k s; done
  dec $be s4-bps2 $N 1 --matvec-q6k s --stream-blocks-per-sm 2
  dec $be s4-bps6 $N 1 --matvec-q6k s --stream-blocks-per-sm 6
  dec $be d6 $D6 1 --matvec-q6k s
done
export KERNLAB_DECODE_KEEP=matvec
for be in nv cuda; do dec $be keep-w $N 1 --matvec-q6k w; dec $be keep-s4 $N 1 --matvec-q6k s; done
dec nv keep-d6 $D6 1 --matvec-q6k s
unset KERNLAB_DECODE_KEEP
echo "== check against cpu nv s"; timeout 40 $N decode --model /tmp/m.gguf --backend nv --tokens 32 --check-against-cpu --matvec-q6k s > $OUT/check-nv-s.txt 2>&1; echo "check rc=$?"; grep -iE "argmax agrees|agree|mismatch|error" $OUT/check-nv-s.txt | head -5
for m in w s; do
echo "== profile cuda $m"; timeout 20 $N decode --model /tmp/m.gguf --backend cuda --tokens 16 --profile --matvec-q6k $m > $OUT/profile-cuda-$m.txt 2>&1; grep -E "^matvec|lm_head|blk.3.attn_q|blk.3.attn_output|blk.3.ffn" $OUT/profile-cuda-$m.txt | head -8
done
