#!/bin/bash
# hcq-rm bring-up, run 3: one shared TSG; copy channel joins the compute channel's group.
cd "$(dirname "$0")"
B=./rm_bringup
L=$OUT/run3.log
step() { echo "=== $*" | tee -a $L; timeout 60 "$@" 2>&1 | tee -a $L; echo "rc=${PIPESTATUS[0]}" | tee -a $L; }
python3 -c "import torch; p=torch.cuda.get_device_properties(0); print('torch SMs', p.multi_processor_count)" 2>&1 | tail -1 | tee -a $L
step $B --trace $OUT/trace_open.log open
step $B --trace $OUT/trace_copy.log copy
step $B --no-virtmem copy compute
step $B open copy compute fault compute copy
step $B hang
step $B compute copy
step ./kernlab doctor
dmesg 2>/dev/null | grep -i -E "xid|nvrm" | tail -8 | tee -a $L
for t in $OUT/trace_*.log; do gzip $t 2>/dev/null; done
echo done | tee -a $L
