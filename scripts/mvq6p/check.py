"""Runs ptx/decode/matvec_q6_k_p.ptx in scripts/ptxemu/emu.py (a SIMT interpreter of the PTX subset
it uses; cp.async copies land only at cp.async.wait_group) on random Q6_K blocks and compares
with gguf-py dequantize + float64 dots. Usage: python3 scripts/mvq6p/check.py [seed]; needs
numpy, gguf."""
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))  # the shared interpreter
from emu import Mem, run_kernel  # noqa: E402
from gguf_blocks import matvec_modes_reference, rand_q6_k_blocks  # noqa: E402

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
TEXT = open(os.path.join(HERE, "..", "..", "ptx", "decode", "matvec_q6_k_p.ptx")).read()


def check(rows, cols, mode, norm):
    wb, W = rand_q6_k_blocks(rng, rows, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    nw = rng.uniform(0.5, 1.5, cols).astype(np.float32)
    yrows = rows // 2 if mode == 2 else rows
    y0 = rng.uniform(-1, 1, yrows).astype(np.float32)
    g = Mem()
    g.add(0x10000000, bytearray(wb))
    g.add(0x20000000, bytearray(x.tobytes()))
    g.add(0x30000000, bytearray(nw.tobytes()))
    g.add(0x40000000, bytearray(y0.tobytes() if mode == 1 else b"\xff" * 4 * yrows))
    eps = 1e-5
    params = dict(y=0x40000000, w=0x10000000, x=0x20000000, norm_w=0x30000000 if norm else 0,
                  rows=rows, cols=cols, mode=mode,
                  eps=struct.unpack("<I", struct.pack("<f", eps))[0])
    grid = -(-rows // 16) if mode != 2 else -(-(rows // 2) // 8)  # 4 warps x 4 rows (glu: 2 outputs)
    run_kernel(TEXT, "matvec_q6_k_p", params, grid, 128, 0, g, rng)
    out = np.frombuffer(bytes(g.read(0x40000000, 4 * yrows)), np.float32)
    xd = x.astype(np.float64)
    if norm:
        xd = xd / np.sqrt((xd * xd).mean() + eps) * nw
    ref = matvec_modes_reference(W.astype(np.float64) @ xd, mode, y0)
    err = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)
    ok = err < 1e-4
    print(f"q6_k_p {rows}x{cols} mode {mode} norm {norm}: max err / max|ref| {err:.2e} "
          f"{'ok' if ok else 'FAIL'}")
    return ok


ok = True
for i, (r, c) in enumerate([(10, 1024), (9, 2048), (4, 5120), (6, 3072), (38, 1024), (35, 2048)]):
    for mode in (0, 1, 2):
        if mode == 2 and r % 2:
            continue
        ok &= check(r, c, mode, (i + mode) % 2 == 1)
print("ALL OK" if ok else "FAILURES")
