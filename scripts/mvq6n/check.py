"""Runs ptx/decode/matvec_q6_k_n.ptx (llama1b's matvec: every Q6_K launch of its decode step) in
scripts/ptxemu/emu.py on random Q6_K blocks and compares with gguf-py dequantize + float64 dots:
plain (mode 0), accumulate (1) and glu (2); the folded norm's consumer scale (sumsq_in), producer
outputs (xw_out = y o norm_next, sum of y^2 into sumsq_out) and the slot clear (sumsq_clear).
With `w` as second argument: matvec_q6_k_w (the Q6_K matvec of the Qwen plans; same body, modes
0 and 1, none of the norm parts); with `nx`, `na`, `nxa`, `np` or `nxp`: that variant of
matvec_q6_k_n (`decode --q6k-xsum`, `--q6k-pipeline`), every case of matvec_q6_k_n.
Usage: python3 scripts/mvq6n/check.py [seed] [n|w|nx|na|nxa|np|nxp]; needs numpy, gguf."""
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))  # the shared interpreter
from emu import Mem, run_kernel  # noqa: E402
from gguf_blocks import matvec_modes_reference, rand_q6_k_blocks  # noqa: E402

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
KERNEL = "matvec_q6_k_" + (sys.argv[2] if len(sys.argv) > 2 else "n")
assert KERNEL in ("matvec_q6_k_n", "matvec_q6_k_w", "matvec_q6_k_nx", "matvec_q6_k_na",
                  "matvec_q6_k_nxa", "matvec_q6_k_np", "matvec_q6_k_nxp"), KERNEL
NORM_PARTS = KERNEL != "matvec_q6_k_w"  # NORM_MATVEC_PARAMS: glu, consumer, producer, slot clear
TEXT = open(os.path.join(HERE, "..", "..", "ptx", "decode", KERNEL + ".ptx")).read()
W_AT, X_AT, Y_AT, SIN_AT, XW_AT, NN_AT, SOUT_AT, CLR_AT = (0x10000000 * i for i in range(1, 9))


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def check(rows, cols, mode, consumer, producer):
    wb, W = rand_q6_k_blocks(rng, rows, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    yrows = rows // 2 if mode == 2 else rows
    y0 = rng.uniform(-1, 1, yrows).astype(np.float32)
    sumsq_in = np.float32(rng.uniform(0.5, 2.0) * cols)
    norm_next = rng.uniform(0.5, 1.5, yrows).astype(np.float32)
    sumsq_out0 = np.float32(rng.uniform(0, 1))
    eps = 1e-5
    g = Mem()
    g.add(W_AT, bytearray(wb))
    g.add(X_AT, bytearray(x.tobytes()))
    g.add(Y_AT, bytearray(y0.tobytes() if mode == 1 else b"\xff" * 4 * yrows))
    g.add(SIN_AT, bytearray(np.float32([sumsq_in]).tobytes()))
    g.add(XW_AT, bytearray(b"\xff" * 4 * yrows))
    g.add(NN_AT, bytearray(norm_next.tobytes()))
    g.add(SOUT_AT, bytearray(np.float32([sumsq_out0]).tobytes()))
    g.add(CLR_AT, bytearray(b"\xff" * 4))
    params = dict(y=Y_AT, w=W_AT, x=X_AT, rows=rows, cols=cols, accumulate=mode)
    if NORM_PARTS:
        params.update(sumsq_in=SIN_AT if consumer else 0, eps=f32_bits(eps),
                      xw_out=XW_AT if producer else 0, norm_next=NN_AT if producer else 0,
                      sumsq_out=SOUT_AT if producer else 0, sumsq_clear=CLR_AT)
    # 4 warps a block, 2 rows a warp (glu: one output row a warp from a gate row and an up row)
    grid = -(-rows // 8) if mode != 2 else -(-(rows // 2) // 4)
    run_kernel(TEXT, KERNEL, params, grid, 128, 0, g, rng)
    out = np.frombuffer(bytes(g.read(Y_AT, 4 * yrows)), np.float32).astype(np.float64)
    d = W.astype(np.float64) @ x.astype(np.float64)
    if consumer:
        d = d / np.sqrt(float(sumsq_in) / cols + eps)
    ref = matvec_modes_reference(d, mode, y0)
    scale = max(np.abs(ref).max(), 1e-30)
    errs = [np.abs(out - ref).max() / scale]
    if producer and mode != 2:
        xw = np.frombuffer(bytes(g.read(XW_AT, 4 * yrows)), np.float32).astype(np.float64)
        errs.append(np.abs(xw - ref * norm_next).max() / max(np.abs(ref * norm_next).max(), 1e-30))
        s = np.frombuffer(bytes(g.read(SOUT_AT, 4)), np.float32)[0]
        want = float(sumsq_out0) + float((ref * ref).sum())
        errs.append(abs(s - want) / want)
    # matvec_q6_k_w has no slot to clear: count it as cleared
    clr = np.frombuffer(bytes(g.read(CLR_AT, 4)), np.float32)[0] if NORM_PARTS else 0.0
    err = max(errs)
    ok = err < 1e-4 and clr == 0.0
    print(f"{KERNEL} {rows}x{cols} mode {mode} consumer {consumer} producer {producer}: "
          f"max err / max|ref| {err:.2e}, slot cleared {clr == 0.0} {'ok' if ok else 'FAIL'}")
    return ok


ok = True
for i, (r, c) in enumerate([(10, 1024), (9, 2048), (6, 8192), (16, 2048), (12, 3072)]):
    for mode in (0, 1, 2):
        if mode == 2 and (r % 2 or not NORM_PARTS):
            continue
        ok &= check(r, c, mode, consumer=NORM_PARTS and (i + mode) % 2 == 0,
                    producer=NORM_PARTS and mode != 2 and i % 2 == 1)
print("ALL OK" if ok else "FAILURES")
