#!/usr/bin/env bash
# Installs the tools the tests use (idempotent): rustfmt/clippy, and the Python packages that
# give an independent check (gguf-py, numpy) and the PTX assembler (nvidia-cuda-nvcc's ptxas).
set -euo pipefail
rustup component add rustfmt clippy >/dev/null 2>&1 || true
python3 -c "import gguf, numpy" 2>/dev/null || python3 -m pip install -q gguf numpy
python3 -m pip install -q nvidia-cuda-nvcc
