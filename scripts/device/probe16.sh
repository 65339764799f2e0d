#!/usr/bin/env bash
# probe14 then probe15 in one device call (the idle release is 30 s, a fresh start costs minutes).
# Usage (device, repo root): bash scripts/device/probe16.sh   carry: .carry/main .carry/ahead2 .carry/vocab
O=${OUT:-/tmp/p16-out}; mkdir -p "$O"
OUT=$O bash scripts/device/probe14.sh > /dev/null 2>&1
OUT=$O bash scripts/device/probe15.sh > /dev/null 2>&1
cat "$O/probe14.log" "$O/probe15.log"
