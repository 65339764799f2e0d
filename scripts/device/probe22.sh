#!/usr/bin/env bash
# NOT RUN (written at the end of session 8): the next session's first call, probe20 then
# probe21 in one device call (a fresh machine start costs minutes and often fails):
#   probe20: the default plan's CPU check on qwen3-1.7b (both paths), the three models on both
#            paths, per-launch timelines of --matvec-q6k s / --fused-blocks-per-sm 5, ncu of
#            matvec_q4_k_f against matvec_q6_k_n;
#   probe21: branch q4k-xsum against main (build .carry/xsum first, see probe21.sh).
# Usage (device, repo root): bash scripts/device/probe22.sh   carry: .carry/main .carry/xsum .carry/vocab
O=${OUT:-/tmp/p22-out}; mkdir -p "$O"
OUT=$O timeout 330 bash scripts/device/probe20.sh > /dev/null 2>&1
OUT=$O timeout 250 bash scripts/device/probe21.sh > /dev/null 2>&1
cat "$O/probe20.log" "$O/probe21.log"
