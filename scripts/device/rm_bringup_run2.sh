#!/bin/bash
# hcq-rm bring-up, run 2: copy after the UVM_REGISTER_CHANNEL fix, both channels at once, doctor.
cd "$(dirname "$0")"
B=./rm_bringup
L=$OUT/run2.log
step() { echo "=== $*" | tee -a $L; timeout 60 "$@" 2>&1 | tee -a $L; echo "rc=${PIPESTATUS[0]}" | tee -a $L; }
step $B --trace $OUT/trace_open.log open
step $B --trace $OUT/trace_copy.log copy
step $B --no-virtmem copy compute
step $B open copy compute fault
step $B compute copy
step ./kernlab doctor
step ./kernlab doctor --json
dmesg 2>/dev/null | grep -i -E "xid|nvrm" | tail -8 | tee -a $L
for t in $OUT/trace_*.log; do gzip $t 2>/dev/null; done
echo done | tee -a $L
