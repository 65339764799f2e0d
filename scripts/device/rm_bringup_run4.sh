#!/bin/bash
# hcq-rm run 4: the committed defaults (no virtmem mapping) through every step, each its own process.
cd "$(dirname "$0")"
B=./rm_bringup
L=$OUT/run4.log
step() { echo "=== $*" | tee -a $L; timeout 60 "$@" 2>&1 | tee -a $L; echo "rc=${PIPESTATUS[0]}" | tee -a $L; }
step $B --trace $OUT/trace_all.log open copy compute
step $B fault
step $B hang
step $B open copy compute
step ./kernlab doctor
gzip $OUT/trace_all.log
echo done | tee -a $L
