"""Runs ptx/decode/matvec_q6_k_s.ptx in scripts/ptxemu/emu.py (a SIMT interpreter of the PTX subset
it uses; cp.async copies land only at cp.async.wait_group, so a slot refilled too early shows)
on random Q6_K blocks with small grids (every warp walks several row pairs, odd rows, 1-chunk
rows) and compares with gguf-py dequantize + float64 dots. Usage: python3
scripts/mvstream/check.py [seed]; needs numpy, gguf."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))  # the shared interpreter
from emu import Mem, run_kernel  # noqa: E402
from gguf_blocks import rand_q6_k_blocks  # noqa: E402

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
TEXT = open(os.path.join(HERE, "..", "..", "ptx", "decode", "matvec_q6_k_s.ptx")).read()


def check(rows, cols, acc, grid):
    wb, W = rand_q6_k_blocks(rng, rows, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    y0 = rng.uniform(-1, 1, rows).astype(np.float32)
    g = Mem()
    g.add(0x10000000, bytearray(wb))
    g.add(0x20000000, bytearray(x.tobytes()))
    g.add(0x40000000, bytearray(y0.tobytes() if acc else b"\xff" * 4 * rows))
    params = dict(y=0x40000000, w=0x10000000, x=0x20000000, rows=rows, cols=cols,
                  accumulate=int(acc))
    run_kernel(TEXT, "matvec_q6_k_s", params, grid, 128, 0, g, rng)
    out = np.frombuffer(bytes(g.read(0x40000000, 4 * rows)), np.float32)
    ref = W.astype(np.float64) @ x.astype(np.float64) + (y0 if acc else 0)
    err = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)
    ok = err < 1e-4
    print(f"q6_k_s {rows}x{cols} acc {acc} grid {grid}: max err / max|ref| {err:.2e} "
          f"{'ok' if ok else 'FAIL'}")
    return ok


ok = True
# (rows, cols, grid): pairs per warp from 1 to 5, odd rows, idle warps, 1 to 5 chunks per row
for r, c, grid in [(8, 1024, 1), (17, 1024, 1), (35, 1024, 1), (9, 2048, 1), (21, 3072, 1),
                   (13, 5120, 1), (5, 1024, 2), (40, 2048, 2), (19, 4096, 1)]:
    for acc in (False, True):
        ok &= check(r, c, acc, grid)
print("ALL OK" if ok else "FAILURES")
