#!/usr/bin/env bash
# Where does a decode token's time go, and does the nv process run at the SM clock cuda gets?
# One call: nvidia-smi samples (read-only: pstate, SM and memory clock) every 50 ms through the whole
# script, each step's start/end time in phases.txt; decode of llama1b-q6k (full and 1 layer) on
# cuda and nv (wfi, chain); ncu (--clock-control none: clocks as found) per-kernel durations and
# SM clock of 2 cuda decode tokens.
# Usage (device, repo root): bash scripts/device/diag.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); O=${OUT:-/tmp/diag-out}; W=/tmp/diag; D=/tmp/pm
mkdir -p "$O" "$W/logs" "$D"; LOG=$W/logs/diag.log
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
nvidia-smi --query-gpu=timestamp,pstate,clocks.sm,clocks.mem,power.draw,utilization.gpu --format=csv,noheader -lms 50 > "$W/logs/clocks.csv" 2>&1 &
SMI=$!
PHASES=$W/logs/phases.txt
source "$(dirname "$0")/lib.sh"
step 120 synth "$K" synth --model llama1b-q6k --out $D/llama1b-q6k.gguf
step 60 synth1 "$K" synth --model llama1b-q6k --layers 1 --out $D/llama1b-1l.gguf
for m in llama1b-q6k llama1b-1l; do
  step 60 "dec-cuda-$m" "$K" decode --backend cuda --model $D/$m.gguf --tokens 128 --json
  step 60 "dec-nv-$m" "$K" decode --backend nv --model $D/$m.gguf --tokens 128 --json
  KERNLAB_NV_REPLAY=chain step 60 "dec-nvchain-$m" "$K" decode --backend nv --model $D/$m.gguf --tokens 128 --json
done
# long runs: does the SM clock come up under nv after seconds of back-to-back tokens?
step 90 dec-nv-long "$K" decode --backend nv --model $D/llama1b-q6k.gguf --tokens 1900
step 90 dec-cuda-long "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 1900
step 240 ncu-cuda ncu --clock-control none --csv --metrics gpu__time_duration.sum,dram__bytes_read.sum,sm__cycles_elapsed.avg.per_second \
  "$K" decode --backend cuda --model $D/llama1b-q6k.gguf --tokens 2 --ceiling-gbps 2900
kill $SMI; wait $SMI 2>/dev/null
# clock histogram per phase
python3 - "$W/logs" >> "$LOG" <<'PY'
import sys,csv,collections
d=sys.argv[1]
ph=[l.split() for l in open(d+"/phases.txt")]
spans={}
for t,kind,name in ph:
    h,m,s=t.split(":"); sec=int(h)*3600+int(m)*60+float(s)
    spans.setdefault(name,[0,0])[0 if kind=="start" else 1]=sec
rows=[]
for r in csv.reader(open(d+"/clocks.csv")):
    try:
        ts=r[0].strip().split()[1]; h,m,s=ts.split(":"); sec=int(h)*3600+int(m)*60+float(s)
        rows.append((sec,r[1].strip(),r[2].strip(),r[3].strip(),r[5].strip()))
    except Exception: pass
for name,(a,b) in spans.items():
    c=collections.Counter(x[2] for x in rows if a<=x[0]<=b)
    print(f"clocks {name:24s} {sum(c.values()):4d} samples: "+", ".join(f"{k} x{v}" for k,v in c.most_common(5)))
PY
python3 - "$W/logs" >> "$LOG" <<'PY'
import sys,json,glob,os
for f in sorted(glob.glob(sys.argv[1]+"/dec-*.out")):
    for line in open(f):
        if line.startswith("{"):
            try: j=json.loads(line)
            except Exception: continue
            print(f"decode {os.path.basename(f)[4:-4]:24s} median {j.get('median_ms')} ms p10 {j.get('p10_ms')} p90 {j.get('p90_ms')} gbps {j.get('gbps')} pct {j.get('pct_of_peak')}")
PY
cp "$LOG" "$O/"; tar czf "$O/diag-logs.tgz" -C "$W" logs
grep -E "^\[|^clocks|^decode |tok/s" "$LOG" | tail -60
