"""Runs ptx/decode/matvec_q6_k_nk.ptx in scripts/ptxemu/emu.py (a SIMT interpreter of the PTX
subset it uses) on random Q6_K blocks and compares with gguf-py dequantize + float64 dots and
matvec_q6_k_n's epilogue (consumer scale, accumulate, producer xw and sum y^2, slot clear):
1 to 9 chunks per row (idle warps, 2 trips ahead + more), odd rows (a lone last row).
Usage: python3 scripts/splitq6/check.py [seed]; needs numpy, gguf."""
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))  # the shared interpreter
from emu import Mem, run_kernel  # noqa: E402
from gguf_blocks import rand_q6_k_blocks  # noqa: E402

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
TEXT = open(os.path.join(HERE, "..", "..", "ptx", "decode", "matvec_q6_k_nk.ptx")).read()
Y, W_, X, SIN, XW, NN, SOUT, SCLR = (0x40000000, 0x10000000, 0x20000000, 0x50000000,
                                     0x60000000, 0x70000000, 0x80000000, 0x90000000)


def f32s(g, a, n):
    return np.frombuffer(bytes(g.read(a, 4 * n)), np.float32)


def check(rows, cols, consumer, producer, acc):
    wb, W = rand_q6_k_blocks(rng, rows, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    y0 = rng.uniform(-1, 1, rows).astype(np.float32)
    nw = rng.uniform(-1, 1, rows).astype(np.float32)
    sin = np.float32(cols * 0.7)
    slot0 = np.float32(3.5)
    g = Mem()
    g.add(W_, bytearray(wb))
    g.add(X, bytearray(x.tobytes()))
    g.add(Y, bytearray(y0.tobytes() if acc else b"\xff" * 4 * rows))
    g.add(SIN, bytearray(struct.pack("<f", sin)))
    g.add(XW, bytearray(b"\xff" * 4 * rows))
    g.add(NN, bytearray(nw.tobytes()))
    g.add(SOUT, bytearray(struct.pack("<f", slot0)))
    g.add(SCLR, bytearray(b"\xff" * 4))
    eps = 1e-5
    params = dict(y=Y, w=W_, x=X, rows=rows, cols=cols, accumulate=int(acc),
                  sumsq_in=SIN if consumer else 0, eps=struct.unpack("<I", struct.pack("<f", eps))[0], xw_out=XW if producer else 0,
                  norm_next=NN if producer else 0, sumsq_out=SOUT if producer else 0,
                  sumsq_clear=SCLR if producer else 0)
    run_kernel(TEXT, "matvec_q6_k_nk", params, (rows + 1) // 2, 128, 0, g, rng)
    ref = W.astype(np.float64) @ x.astype(np.float64)
    if consumer:
        ref = ref / np.sqrt(float(sin) / cols + eps)
    if acc:
        ref = ref + y0
    out = f32s(g, Y, rows)
    scale = max(np.abs(ref).max(), 1e-30)
    err = np.abs(out - ref).max() / scale
    ok = err < 1e-4
    if producer:
        xw = f32s(g, XW, rows)
        e2 = np.abs(xw - out.astype(np.float64) * nw).max() / scale
        s = f32s(g, SOUT, 1)[0]
        want = float(slot0) + float((out.astype(np.float64) ** 2).sum())
        e3 = abs(s - want) / want
        clr = f32s(g, SCLR, 1)[0]
        ok &= e2 < 1e-4 and e3 < 1e-4 and clr == 0.0
        err = max(err, e2, e3)
    print(f"q6_k_nk {rows}x{cols} /rms {consumer} producer {producer} acc {acc}: "
          f"max err {err:.2e} {'ok' if ok else 'FAIL'}")
    return ok


ok = True
for r, c, cons, prod, acc in [(2, 1024, False, False, False), (3, 2048, True, True, True),
                              (4, 4096, False, True, True), (5, 9216, True, False, False),
                              (1, 5120, False, False, True), (6, 8192, True, True, True),
                              (3, 6144, False, False, True)]:
    ok &= check(r, c, cons, prod, acc)
print("ALL OK" if ok else "FAILURES")
