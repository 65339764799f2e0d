#!/usr/bin/env bash
# Hopper programmatic dependent launch on the nv path (KERNLAB_NV_REPLAY=pdl) against chain and
# cuda, with the carve-out policies: 100-kernel replay cost (kernlab latency), llama1b-q6k decode
# speed, and the decode check against the CPU (a wrong order would show as wrong logits); then the
# bw copy at 256 MB..1 GB on nv and cuda (where does nv's 1 GB copy fall off?).
# Usage (device, repo root): bash scripts/device/pdl.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); O=${OUT:-/tmp/pdl-out}; W=/tmp/pdl; D=/tmp/pm
mkdir -p "$O" "$W/logs" "$D"; LOG=$W/logs/pdl.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
source "$(dirname "$0")/lib.sh"
step 120 synth "$K" synth --model llama1b-q6k --out $D/llama1b-q6k.gguf
step 60 lat-cuda "$K" latency --backend cuda
step 60 dec-cuda "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 128 --json --ceiling-gbps 2900
for v in chain:max pdl:max chain:fit pdl:fit; do
  export KERNLAB_NV_REPLAY=${v%%:*} KERNLAB_NV_CARVEOUT=${v##*:}; n=${v/:/-}
  step 60 "lat-nv-$n" "$K" latency --backend nv
  step 60 "dec-nv-$n" "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 128 --json --ceiling-gbps 2900
done
export KERNLAB_NV_REPLAY=pdl KERNLAB_NV_CARVEOUT=fit
step 120 check-nv-pdl-fit "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 64 --check-against-cpu
step 60 selftest-nv-fit "$K" selftest --backend nv
unset KERNLAB_NV_REPLAY KERNLAB_NV_CARVEOUT
step 60 bw-nv "$K" bw --backend nv --sizes 256,512,768,1024
step 60 bw-cuda "$K" bw --backend cuda --sizes 256,512,768,1024
python3 - "$W/logs" > "$W/logs/summary.txt" <<'PY'
import sys,json,glob,os,re
d=sys.argv[1]
for f in sorted(glob.glob(d+"/lat-*.out")):
    for l in open(f):
        if re.search(r"replay100|^empty", l.strip()): print(os.path.basename(f)[:-4].ljust(18), l.rstrip())
for f in sorted(glob.glob(d+"/dec-*.out")):
    s=open(f).read()
    try:
        j=json.loads(s[s.index("{"):]); print(os.path.basename(f)[:-4].ljust(18), "median", round(j["median_ms"],4), "p10", round(j["p10_ms"],4), "p90", round(j["p90_ms"],4), "overhead", round(j.get("overhead_ms",0),4))
    except Exception as e: print(f, "no json", e, s[-300:])
for f in sorted(glob.glob(d+"/check-*.out"))+sorted(glob.glob(d+"/selftest-*.out")):
    for l in open(f):
        if re.search(r"argmax|passed|FAIL|error", l, re.I): print(os.path.basename(f)[:-4].ljust(18), l.rstrip()[:200])
for f in sorted(glob.glob(d+"/bw-*.out")):
    for l in open(f):
        if re.search(r"copy", l): print(os.path.basename(f)[:-4].ljust(18), l.rstrip())
PY
cat "$W/logs/summary.txt" >> "$LOG"; cp "$LOG" "$O/"; tar czf "$O/pdl-logs.tgz" -C "$W" logs
cat "$W/logs/summary.txt"
