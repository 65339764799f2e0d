#!/usr/bin/env python3
"""Writes the quant fixtures of tests/quant_fixtures.rs: an independent check of kernlab's
dequantize (and of the quantizers gguf-py has) against gguf-py (`pip install gguf numpy`).

For each dequant type T:
  T.blocks  N random blocks (random bytes; every f16 scale field replaced by a finite value)
  T.f32     gguf.quants.dequantize of T.blocks, little-endian f32
For each type gguf-py can quantize (Q8_0, Q4_0, BF16, F16):
  T.qin.f32     Gaussian input (little-endian f32)
  T.qout.blocks gguf.quants.quantize of it

Usage: scripts/gen_quant_fixtures.py [OUT_DIR]   (default tests/fixtures/quant)
Deterministic: the seed is SEED below.
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

SEED = 20261125
# (type, number of blocks, byte offsets of the f16 fields in one block: ggml-common.h)
DEQUANT = [
    (T.F32, 256, []),
    (T.F16, 256, []),
    (T.BF16, 256, []),
    (T.Q4_0, 64, [0]),
    (T.Q4_1, 64, [0, 2]),
    (T.Q5_0, 64, [0]),
    (T.Q5_1, 64, [0, 2]),
    (T.Q8_0, 64, [0]),
    (T.Q2_K, 32, [80, 82]),
    (T.Q3_K, 32, [108]),
    (T.Q4_K, 32, [0, 2]),
    (T.Q5_K, 32, [0, 2]),
    (T.Q6_K, 32, [208]),
]
QUANTIZE = [(T.Q8_0, 64 * 32), (T.Q4_0, 64 * 32), (T.BF16, 2048), (T.F16, 2048)]


def sane_f16(rng, n):
    """Finite halves of both signs over several decades (no inf/nan, some exact zeros)."""
    v = rng.uniform(-1.0, 1.0, n) * 10.0 ** rng.uniform(-4.0, 0.5, n)
    v[rng.integers(0, 16, n) == 0] = 0.0
    return v.astype(np.float16)


def dequant_blocks(rng, qtype, n_blocks, f16_offsets):
    from gguf.constants import GGML_QUANT_SIZES

    block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
    if qtype == T.F32:
        return rng.standard_normal(n_blocks).astype("<f4").view(np.uint8).reshape(n_blocks, 4)
    if qtype == T.F16:
        return sane_f16(rng, n_blocks).astype("<f2").view(np.uint8).reshape(n_blocks, 2)
    if qtype == T.BF16:
        bits = (rng.standard_normal(n_blocks).astype("<f4").view("<u4") >> 16).astype("<u2")
        return bits.view(np.uint8).reshape(n_blocks, 2)
    raw = rng.integers(0, 256, (n_blocks, block_bytes), dtype=np.uint8)
    for off in f16_offsets:
        raw[:, off : off + 2] = sane_f16(rng, n_blocks).astype("<f2").view(np.uint8).reshape(n_blocks, 2)
    return raw


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "quant")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for qtype, n_blocks, offs in DEQUANT:
        raw = dequant_blocks(rng, qtype, n_blocks, offs)
        vals = quants.dequantize(raw.reshape(-1), qtype).astype("<f4")
        assert np.all(np.isfinite(vals)), qtype.name
        raw.tofile(os.path.join(out_dir, f"{qtype.name}.blocks"))
        vals.tofile(os.path.join(out_dir, f"{qtype.name}.f32"))
    for qtype, n in QUANTIZE:
        x = (rng.standard_normal(n) * rng.uniform(0.01, 2.0)).astype("<f4")
        x[5] = 0.0
        x[37] = -x[37] * 9.0  # an outlier in the second block
        q = quants.quantize(x.reshape(1, n), qtype)
        x.tofile(os.path.join(out_dir, f"{qtype.name}.qin.f32"))
        np.asarray(q).view(np.uint8).tofile(os.path.join(out_dir, f"{qtype.name}.qout.blocks"))


if __name__ == "__main__":
    main()
