#!/usr/bin/env bash
# Written in session 11, not run (no device was lent in sessions 11 and 12; session 12 added the host-arena rows): the candidate defaults for
# qwen3 Q4_K_M (matvec_q4_k_d16, int16 x with dp2a, for the Q4_K matvecs: --q4k-dot i16; the Q6_K
# down on matvec_q6_k_nx: --q6k-plain-xsum true) against the shipped ones: their CPU checks on
# both paths first (int8 x failed it in probe33), the selftest of the integer-x kernels on both
# paths, the three models on nv and cuda (2 rounds), qwen3-1.7b i16 / i8 / f32 A/B, a timeline;
# latency with BAR1 write-combined (KERNLAB_RM_VRAM=wc) and with lone launches writing only the
# QMD lines that changed (KERNLAB_NV_QMD_WRITE=changed, with a full nv selftest) against the
# default, and with the launch arena in host memory (KERNLAB_NV_ARENA=host: never run before).
# Session 12 added: the timeline started at 2^32 - 16 with copies released by the host and by
# the copy engine (KERNLAB_NV_COPY_SIGNAL=ce); every selftest goes to one file (8 files at most
# come back). The f32 rows run session 11's matvec_q4_k_x with the word-wise scale decode (not run
# before: compare with probe33's f32 rows, 1.033 / 1.030 ms on nv).
# Usage (device, repo root): bash scripts/device/probe34.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/p34-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
Q=$D/qwen3-1.7b-q4km.gguf
NEW="--q4k-dot i16 --q6k-plain-xsum true"
. "$(dirname "$0")/lib.sh"
# st NAME ARGS: kernlab selftest ARGS appended to $O/selftest.txt under a header (one file for
# every selftest: a call brings back at most 8 files); prints NAME, the exit code, the last line.
st() { local n=$1; shift; echo "===== $n: selftest $*" >> "$O/selftest.txt"
  timeout ${ST_TIMEOUT:-300} $K selftest "$@" > /tmp/st.txt 2>&1; local rc=$?; cat /tmp/st.txt >> "$O/selftest.txt"
  echo "$n rc $rc: $(tail -1 /tmp/st.txt)"; }
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
echo "== 1. CPU checks: the candidate on qwen3-1.7b (both paths), the defaults on the others"
echo "nv   qwen3-1.7b i16: $(chk --backend nv --model $Q $NEW)"
echo "cuda qwen3-1.7b i16: $(chk --backend cuda --model $Q $NEW)"
echo "nv   qwen3-1.7b p:   $(chk --backend nv --model $Q --q6k-plain-xsum true)"
echo "nv   qwen3-0.6b:     $(chk --backend nv --model $D/qwen3-0.6b-q8.gguf)"
echo "nv   llama1b:        $(chk --backend nv --model $D/llama1b-q6k.gguf)"
echo "== 2. selftest (the Q4_K matvecs: f32 x, int8, int16; their pairs; matvec_q6_k_nx)"
for b in nv cuda; do
  st "$b pairs" --backend $b --filter matvec_q4k
  st "$b matvec_q4_k*" --backend $b --filter matvec_q4_k
  grep -E "d16.*(bound|pass|FAIL)" /tmp/st.txt | head -6
  st "$b q6_k_nx" --backend $b --filter matvec_q6_k_nx
done
echo "== 3. decode, shipped defaults, nv and cuda (2 rounds)"
for rep in 1 2; do for m in $MODELS; do
  printf '%-16s nv    %s\n' $m "$(dec --backend nv --model $D/$m.gguf)"
  printf '%-16s cuda  %s\n' $m "$(dec --backend cuda --model $D/$m.gguf)"
done; done
echo "== 4. qwen3-1.7b: i16 + p (candidate) / i8 + p / f32 (shipped), nv and cuda"
for rep in 1 2; do for b in nv cuda; do
  printf '%-4s i16 %s\n' $b "$(dec --backend $b --model $Q $NEW)"
  printf '%-4s i8  %s\n' $b "$(dec --backend $b --model $Q --q4k-dot i8 --q6k-plain-xsum true)"
  printf '%-4s f32 %s\n' $b "$(dec --backend $b --model $Q)"
done; done
timeout 40 $K decode --backend nv --model $Q --tokens 32 --timeline $NEW > "$O/timeline.txt" 2>&1
grep -E "^timeline|^blk\.1\." "$O/timeline.txt"
echo "== 5. latency (name median/p99 us): cuda, nv, nv wc, nv writing only the QMD lines that changed"
for rep in 1 2; do
  echo "cuda   $(lat --backend cuda)"
  echo "nv     $(lat --backend nv)"
  echo "nv wc  $(KERNLAB_RM_VRAM=wc lat --backend nv)"
  echo "nv qc  $(KERNLAB_NV_QMD_WRITE=changed lat --backend nv)"
done
KERNLAB_NV_QMD_WRITE=changed st "selftest nv, QMD lines that changed" --backend nv
echo "== 6. the launch arena (bank 0, pushbuffers, QMDs) in host memory: cached CPU writes, the GPU reads over PCIe"
KERNLAB_NV_ARENA=host st "selftest nv host arena" --backend nv --filter matvec_q4_k
for rep in 1 2; do echo "nv host $(KERNLAB_NV_ARENA=host lat --backend nv)"; echo "nv     $(lat --backend nv)"; done
echo "qwen3-1.7b nv host arena: $(KERNLAB_NV_ARENA=host dec --backend nv --model $Q)"
echo "== 7. the timeline from 2^32 - 16 (every 64-bit release and acquire crosses the upper word);"
echo "   copies released by the host (default) and by the copy engine (KERNLAB_NV_COPY_SIGNAL=ce: its 64-bit payload, unverified in rm-hcq.md)"
for cs in host ce; do
  # A release that never lands stalls every later wait: 3 s each, 60 s for the whole selftest.
  ST_TIMEOUT=60 KERNLAB_NV_TIMELINE_START=0xfffffff0 KERNLAB_NV_COPY_SIGNAL=$cs KERNLAB_NV_TIMEOUT_MS=3000 st "nv 2^32 copies by $cs" --backend nv --filter rmsnorm
done
echo "latency, copies by the copy engine: $(KERNLAB_NV_COPY_SIGNAL=ce lat --backend nv)"
date
} 2>&1 | tee "$O/probe34.log"
