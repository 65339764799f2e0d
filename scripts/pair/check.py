"""Runs the paired kernel matvec_q4k_q6k_f (ptx/decode/matvec_q4k_q6k_f.ptx, written by
scripts/ptxgen/pair.py from matvec_q4_k_f and matvec_q6_k_f) in scripts/ptxemu/emu.py: one grid
whose first blocks_a blocks compute a Q4_K matvec and the rest a Q6_K matvec of the same x and
norm (qwen3-1.7b-q4km's q|k and attn_v), each output poisoned first and compared with gguf-py
dequantize + float64 dots; also that neither part writes past its own rows. Usage:
python3 scripts/pair/check.py [seed] [kernel: matvec_q4k_q6k_f (default), matvec_q4kx_q6k_f (the
pair with matvec_q4_k_x as part A), matvec_q4kd_q6k_f (matvec_q4_k_d, x as int8) or
matvec_q4kd16_q6k_f (matvec_q4_k_d16, x as int16)]; needs numpy, gguf."""
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))
from emu import Mem, run_kernel  # noqa: E402
from gguf_blocks import rand_q4_k_blocks, rand_q6_k_blocks  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "mvq8"))
from quantize_x import quantize_x_int_32  # noqa: E402

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
KERNEL = sys.argv[2] if len(sys.argv) > 2 else "matvec_q4k_q6k_f"
TEXT = open(os.path.join(HERE, "..", "..", "ptx", "decode", f"{KERNEL}.ptx")).read()
WA, WB, X, NW, Y = (0x10000000 * i for i in range(1, 6))
GUARD = 8  # poisoned floats after each part's rows: must stay poisoned


def q4_k_d_reference(wb, W, x, nw, eps):
    """matvec_q4_k_d's result: d sc q against x * nw rounded to int8 per 32 columns, the min
    part against x * nw itself, times 1/rms (see scripts/mvq8/check.py)."""
    from gguf.quants import dequantize
    from gguf import GGMLQuantizationType as T
    rows, cols = W.shape
    v = x * nw if nw is not None else x
    xq, _ = quantize_x_int_32(v, 32767 if KERNEL == "matvec_q4kd16_q6k_f" else 127)
    s = 1 / np.sqrt((x.astype(np.float64) ** 2).mean() + eps) if nw is not None else 1.0
    raw0 = np.frombuffer(wb, np.uint8).reshape(-1, 144).copy()
    raw0[:, 16:] = 0
    Wm = dequantize(raw0.reshape(rows, -1), T.Q4_K).reshape(rows, cols).astype(np.float64)
    Wq = W.astype(np.float64) - Wm
    return (Wq @ xq + Wm @ v.astype(np.float64)) * s


def check(rows_a, rows_b, cols, norm, cap_a=None):
    """cap_a: part A on fewer blocks than one per 4 row pairs (decode --fused-blocks-per-sm), so
    its warps walk several row pairs while part B keeps its own grid."""
    wa, A = rand_q4_k_blocks(rng, rows_a, cols)
    wb, B = rand_q6_k_blocks(rng, rows_b, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    nw = rng.uniform(0.5, 1.5, cols).astype(np.float32)
    eps = 1e-6
    # y: part A's rows, a guard, part B's rows, a guard (as q|k then v in the qkv buffer, apart)
    ya, yb = Y, Y + 4 * (rows_a + GUARD)
    total = rows_a + rows_b + 2 * GUARD
    g = Mem()
    g.add(WA, bytearray(wa))
    g.add(WB, bytearray(wb))
    g.add(X, bytearray(x.tobytes()))
    g.add(NW, bytearray(nw.tobytes()))
    g.add(Y, bytearray(b"\xff" * 4 * total))
    epsb = struct.unpack("<I", struct.pack("<f", eps))[0]
    part = dict(norm_w=NW if norm else 0, cols=cols, mode=0, eps=epsb)
    params = {f"a_{k}": v for k, v in dict(part, y=ya, w=WA, x=X, rows=rows_a).items()}
    params.update({f"b_{k}": v for k, v in dict(part, y=yb, w=WB, x=X, rows=rows_b).items()})
    # matvec_q4_k_f: one block per 4 row pairs; matvec_q6_k_f: 2 rows a warp, 8 a block
    blocks_a, blocks_b = -(-(-(-rows_a // 2)) // 4), -(-rows_b // 8)
    blocks_a = min(blocks_a, cap_a or blocks_a)
    params["blocks_a"] = blocks_a
    run_kernel(TEXT, KERNEL, params, blocks_a + blocks_b, 128, 4 * cols, g, rng)
    out = np.frombuffer(bytes(g.read(Y, 4 * total)), np.uint32)
    xd = x.astype(np.float64)
    if norm:
        xd = xd / np.sqrt((xd * xd).mean() + eps) * nw
    ref_a = A.astype(np.float64) @ xd
    if KERNEL in ("matvec_q4kd_q6k_f", "matvec_q4kd16_q6k_f"):
        # part A rounds x to int8 as matvec_q4_k_d does (scripts/mvq8/check.py's model)
        ref_a = q4_k_d_reference(wa, A, x, nw if norm else None, eps)
    errs = []
    for ref, at in ((ref_a, 0), (B.astype(np.float64) @ xd, rows_a + GUARD)):
        got = out[at:at + len(ref)].view(np.float32).astype(np.float64)
        errs.append(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
    guards = np.concatenate([out[rows_a:rows_a + GUARD], out[total - GUARD:]])
    ok = all(e < 1e-4 for e in errs) and (guards == 0xFFFFFFFF).all()
    print(f"{KERNEL} q4_k {rows_a}x{cols} ({blocks_a} blocks) + q6_k {rows_b}x{cols} ({blocks_b} blocks) "
          f"norm {norm}: max err / max|ref| {errs[0]:.2e} / {errs[1]:.2e}, guards intact "
          f"{(guards == 0xFFFFFFFF).all()} {'ok' if ok else 'FAIL'}")
    return ok


ok = True
for i, (ra, rb, c) in enumerate([(16, 8, 1024), (10, 9, 2048), (3, 17, 1024)]):
    ok &= check(ra, rb, c, norm=i % 2 == 0)
ok &= check(38, 9, 1024, norm=True, cap_a=2)
print("ALL OK" if ok else "FAILURES")
