#!/usr/bin/env bash
# NOT RUN YET (written at the end of session 3 for the next device session): does the CTA
# placement of our QMDs explain why the Q6_K matvecs run ~11 % slower on nv than from
# cuLaunchKernel (docs/device-logs/s3/ablate4.log)? The matvec-only decode of llama1b-q6k on nv
# with QMD fields that hcq leaves at zero set through KERNLAB_NV_QMD, against cuda; then the CPU
# check with any setting that wins.
# Usage (device, repo root): bash scripts/device/qmdprobe.sh   carry: .carry/main .carry/vocab
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/q-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
m=llama1b-q6k
dec() { local be=$1 label=$2; shift 2
  printf '%-5s %-52s %s\n' "$be" "$label" "$(env "$@" timeout 60 $K decode --backend $be --model $D/$m.gguf --tokens 128 --ceiling-gbps 2933 2>&1 | grep -E "^decode|rror" | sed 's/; 126 timed after 2 warm-up//' | tr '\n' ' ')"; }
{
[ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null
dec cuda "matvec only" KERNLAB_DECODE_KEEP=matvec
dec nv "matvec only" KERNLAB_DECODE_KEEP=matvec
for q in "SEQUENTIALLY_RUN_CTAS=0" "CTA_LAUNCH_QUEUE=1" "FREE_CTA_SLOTS_EMPTY_SM=1" "FREE_CTA_SLOTS_EMPTY_SM=8" \
         "OCCUPANCY_THRESHOLD_WARP=8" "OCCUPANCY_THRESHOLD_WARP=16" "OCCUPANCY_MAX_WARP=64" \
         "OCCUPANCY_THRESHOLD_REGISTER=255,OCCUPANCY_THRESHOLD_SHARED_MEM=255,OCCUPANCY_THRESHOLD_WARP=255"; do
  dec nv "matvec only, $q" KERNLAB_DECODE_KEEP=matvec KERNLAB_NV_QMD=$q
done
dec nv "full"
dec cuda "full"
} 2>&1 | tee "$O/qmdprobe.log"
