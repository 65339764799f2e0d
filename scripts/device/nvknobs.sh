#!/usr/bin/env bash
# nv per-launch cost: replay order (wfi, chain) x grid-end membar (KERNLAB_NV_MEMBAR sys, gpu), on
# the 100-empty-kernel replay (kernlab latency) and on llama1b-q6k decode, cuda in the same call;
# then the decode check against the CPU for each chain/gpu setting.
# Usage (device, repo root): bash scripts/device/nvknobs.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); O=${OUT:-/tmp/knobs-out}; W=/tmp/knobs; D=/tmp/pm
mkdir -p "$O" "$W/logs" "$D"; LOG=$W/logs/knobs.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
source "$(dirname "$0")/lib.sh"
step 120 synth "$K" synth --model llama1b-q6k --out $D/llama1b-q6k.gguf
step 60 lat-cuda "$K" latency --backend cuda
step 60 dec-cuda "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 128 --json --ceiling-gbps 2900
for order in wfi chain; do for mb in sys gpu; do
  export KERNLAB_NV_REPLAY=$order KERNLAB_NV_MEMBAR=$mb
  step 60 "lat-nv-$order-$mb" "$K" latency --backend nv
  step 60 "dec-nv-$order-$mb" "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 128 --json --ceiling-gbps 2900
done; done
export KERNLAB_NV_REPLAY=chain KERNLAB_NV_MEMBAR=gpu
step 120 check-nv-chain-gpu "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 64 --check-against-cpu
export KERNLAB_NV_REPLAY=wfi KERNLAB_NV_MEMBAR=gpu
step 120 check-nv-wfi-gpu "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 64 --check-against-cpu
python3 - "$W/logs" > "$W/logs/summary.txt" <<'PY'
import sys,json,glob,os,re
d=sys.argv[1]
for f in sorted(glob.glob(d+"/lat-*.out")):
    for l in open(f):
        if re.search(r"replay|graph|round|empty", l, re.I): print(os.path.basename(f)[:-4].ljust(22), l.rstrip())
for f in sorted(glob.glob(d+"/dec-*.out")):
    s=open(f).read()
    try:
        j=json.loads(s[s.index("{"):]); print(os.path.basename(f)[:-4].ljust(22), "median", round(j["median_ms"],4), "p10", round(j["p10_ms"],4), "p90", round(j["p90_ms"],4))
    except Exception as e: print(f, "no json", e)
for f in sorted(glob.glob(d+"/check-*.out")):
    for l in open(f):
        if re.search(r"argmax|max |PASS|FAIL|error", l, re.I): print(os.path.basename(f)[:-4].ljust(22), l.rstrip())
PY
cat "$W/logs/summary.txt" >> "$LOG"; cp "$LOG" "$O/"; tar czf "$O/knobs-logs.tgz" -C "$W" logs
cat "$W/logs/summary.txt"
