#!/bin/bash
# hcq-rm bring-up, run 1: open, copy, compute (+variants), fault, hang; each step its own process.
cd "$(dirname "$0")"
B=./rm_bringup
L=$OUT/run1.log
step() { echo "=== $*" | tee -a $L; timeout 40 "$@" 2>&1 | tee -a $L; echo "rc=${PIPESTATUS[0]}" | tee -a $L; }
(nvdisasm -c bringup.sm_90.cubin || cuobjdump -sass bringup.sm_90.cubin) 2>&1 | grep -E "Function|c\[0x0\]" | tee -a $L
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee -a $L
ls -la /dev/nvidia* 2>&1 | tee -a $L
step $B --trace $OUT/trace_open.log open
step $B --trace $OUT/trace_copy.log copy
step $B --trace $OUT/trace_compute.log compute
step $B --qmd-type 0 compute
step $B --no-cbuf-dims compute
step $B --smem 0 compute
step $B --no-virtmem copy compute
step $B --trace $OUT/trace_fault.log fault
step $B compute
step $B hang
step $B compute
nvidia-smi --query-gpu=name,utilization.gpu --format=csv 2>&1 | tee -a $L
dmesg 2>/dev/null | grep -i -E "nvrm|xid" | tail -20 | tee -a $L
for t in $OUT/trace_*.log; do gzip $t 2>/dev/null; done
echo done | tee -a $L
