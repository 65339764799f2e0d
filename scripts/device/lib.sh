# Helpers for the device probes (source after setting K, the kernlab binary): one line per run.
#   lat ARGS  kernlab latency --json: "name median/p99" per row, in µs
#   dec ARGS  kernlab decode, 128 tokens against the 2933 GB/s ceiling: its decode line
#   chk ARGS  kernlab decode --check-against-cpu over 64 tokens: its summary (or error)
lat() { timeout 60 $K latency --iters 2000 --json "$@" 2>/dev/null | python3 -c '
import json,sys
rows=json.load(sys.stdin)
print(" ".join("%s %.2f/%.2f" % (r["test"], r["median_ns"]/1e3, r["p99_ns"]/1e3) for r in rows))' 2>&1; }
dec() { timeout 40 $K decode --tokens 128 --ceiling-gbps 2933 "$@" 2>&1 | grep -E "^decode|^kernlab: |rror|ERROR" | sed 's/decode *128 tokens: //' | tr '\n' ' '; }
chk() { timeout 150 $K decode --check-against-cpu --tokens 64 "$@" 2>&1 | grep -E "argmax|^kernlab: |rror|ERROR" | head -2; }
