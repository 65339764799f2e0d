#!/usr/bin/env bash
# Written in session 4, run in session 5 (docs/device-logs/s5/probe4.log): what does cuda put in constant bank 0 that nv leaves out (doctor
# --bank0), and does nv with cuda's global-memory descriptor (c[0x0][0x208], which every LDG/STG
# reads on sm_90; hcq leaves it 0) close the 1 GB copy gap and the Q6_K matvec gap? Then the CTA
# placement QMD fields (qmdprobe). Usage (device, repo root): bash scripts/device/probe4.sh
# carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
m=llama1b-q6k
dec() { local be=$1 label=$2; shift 2
  printf '%-5s %-44s %s\n' "$be" "$label" "$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
bw() { local be=$1 label=$2; shift 2
  echo "$be $label: $(env "$@" timeout 60 $K bw --backend $be --sizes 256,1024 2>&1 | grep -E "^ *(copy|read|write)|rror" | tr -s ' ' | tr '\n' ';')"; }
{
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
timeout 60 $K doctor --bank0 2>&1 | tail -40
timeout 60 $K doctor --bank0 --json > $O/bank0.json 2>&1
# cuda's words at 0x208 and 0x20c (the 64-bit descriptor), as a KERNLAB_NV_BANK0 list.
DESC=$(python3 -c "
import json,sys; j=json.load(open('$O/bank0.json'))['bank0']['cuda']['words']
print('0x208=0x%x,0x20c=0x%x' % (j[0x208//4], j[0x20c//4]))" 2>&1)
echo "cuda descriptor: $DESC"
case "$DESC" in 0x208=*) ;; *) DESC="0x208=0x0,0x20c=0x10000000"; echo "fallback $DESC";; esac
bw cuda "default"
bw nv "default"
bw nv "bank0 $DESC" KERNLAB_NV_BANK0=$DESC
[ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
dec cuda "full"
dec nv "full"
dec nv "full, bank0 cuda" KERNLAB_NV_BANK0=$DESC
dec cuda "matvec only" KERNLAB_DECODE_KEEP=matvec
dec nv "matvec only" KERNLAB_DECODE_KEEP=matvec
dec nv "matvec only, bank0 cuda" KERNLAB_DECODE_KEEP=matvec KERNLAB_NV_BANK0=$DESC
echo "check nv bank0 cuda: $(KERNLAB_NV_BANK0=$DESC timeout 120 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
echo "selftest nv bank0 cuda: $(KERNLAB_NV_BANK0=$DESC timeout 150 $K selftest --backend nv 2>&1 | tail -1)"
for q in "CTA_LAUNCH_QUEUE=1" "FREE_CTA_SLOTS_EMPTY_SM=1" "OCCUPANCY_THRESHOLD_WARP=16" "OCCUPANCY_MAX_WARP=64"; do
  dec nv "matvec only, $q" KERNLAB_DECODE_KEEP=matvec KERNLAB_NV_QMD=$q
done
# Round trip: which launch-time work costs (CWD membar at grid end, cache invalidations).
lat() { local be=$1 label=$2; shift 2
  echo "$be $label: $(env "$@" timeout 60 $K latency --backend $be --iters 1000 2>&1 | grep -E "^ *(empty|replay100)|rror" | tr -s ' ' | tr '\n' ';')"; }
lat cuda "default"
lat nv "default"
lat nv "membar gpu" KERNLAB_NV_QMD=CWD_MEMBAR_TYPE=3
lat nv "membar none" KERNLAB_NV_QMD=CWD_MEMBAR_TYPE=0
lat nv "no invalidate" KERNLAB_NV_QMD=INVALIDATE_TEXTURE_HEADER_CACHE=0,INVALIDATE_TEXTURE_SAMPLER_CACHE=0,INVALIDATE_TEXTURE_DATA_CACHE=0,INVALIDATE_SHADER_DATA_CACHE=0
lat nv "bank0 cuda" KERNLAB_NV_BANK0=$DESC
lat nv "replay latch" KERNLAB_NV_REPLAY=latch
# latch: pdl's latches without the dependent chain. Does a latch order grids launched from the
# pushbuffer? The CPU check says (kernels read what the previous one wrote), then the speed.
echo "check nv latch: $(KERNLAB_NV_REPLAY=latch timeout 120 $K decode --backend nv --model $D/$m.gguf --check-against-cpu --tokens 32 2>&1 | grep -E "argmax|rror" | head -2 | tr '\n' ' ')"
dec nv "full, replay latch" KERNLAB_NV_REPLAY=latch
m=llama1b-q6k
dec nv "full, membar gpu" KERNLAB_NV_QMD=CWD_MEMBAR_TYPE=3
for x in qwen3-0.6b-q8 qwen3-1.7b-q4km; do
  [ -f $D/$x.gguf ] || timeout 60 $K synth --model $x --out $D/$x.gguf > /dev/null
  m=$x; dec cuda "$x full"; dec nv "$x full"; dec nv "$x full, bank0 cuda" KERNLAB_NV_BANK0=$DESC
done
} 2>&1 | tee "$O/probe4.log"
# Where qwen3-1.7b-q4km's token goes (no profile of it was ever taken).
timeout 60 $K decode --backend nv --model $D/qwen3-1.7b-q4km.gguf --tokens 16 --profile 2>&1 | tail -45 | tee "$O/profile-q4km.txt"
