"""Runs ptx/decode/matvec_{q8_0_f,q4_k_f,q4_k_x,q4_k_d,q4_k_d16}.ptx in scripts/ptxemu/emu.py (a SIMT interpreter of
the PTX subset they use; cp.async copies land only at cp.async.wait_group) on random GGUF blocks
and compares with gguf-py dequantize + float64 dots. Usage: python3 scripts/mvq8/check.py [seed]
[kernels, comma-separated: default q8_0_f,q4_k_f,q4_k_x]; needs numpy, gguf."""
import sys, numpy as np, struct
import os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ptxemu"))  # the shared interpreter
from emu import run_kernel, Mem
from gguf_blocks import rand_q4_k_blocks
from quantize_x import quantize_x_int_32
from gguf.quants import dequantize
from gguf import GGMLQuantizationType as T

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)

def rand_blocks(ty, rows, cols):
    if ty == "q8_0":
        nb = rows * cols // 32
        d = (rng.uniform(0.001, 0.02, nb)).astype(np.float16)
        q = rng.integers(-128, 128, (nb, 32), dtype=np.int8)
        raw = np.zeros((nb, 34), np.uint8); raw[:, :2] = d.view(np.uint8).reshape(nb, 2); raw[:, 2:] = q.view(np.uint8)
        return raw.tobytes(), dequantize(raw.reshape(rows, -1), T.Q8_0).reshape(rows, cols)
    return rand_q4_k_blocks(rng, rows, cols)

def check(kernel, rows, cols, mode, norm, grid=None):
    """kernel: q8_0_f, q4_k_f or q4_k_x (its block type is the name's first part). grid: the
    number of blocks (default one per 4 row pairs; fewer make every warp walk several row pairs,
    its chunk stream crossing from one pair into the next)."""
    ty = "q4_k" if kernel.startswith("q4_k") else "q8_0"
    text = open(os.path.join(HERE, "..", "..", "ptx", "decode", f"matvec_{kernel}.ptx")).read()
    wb, W = rand_blocks(ty, rows, cols)
    x = rng.uniform(-1, 1, cols).astype(np.float32)
    nw = rng.uniform(0.5, 1.5, cols).astype(np.float32)
    yrows = rows // 2 if mode == 2 else rows
    y0 = rng.uniform(-1, 1, yrows).astype(np.float32)
    g = Mem()
    g.add(0x10000000, bytearray(wb)); g.add(0x20000000, bytearray(x.tobytes()))
    g.add(0x30000000, bytearray(nw.tobytes())); g.add(0x40000000, bytearray(y0.tobytes() if mode == 1 else b"\xff" * 4 * yrows))
    eps = 1e-6
    params = dict(y=0x40000000, w=0x10000000, x=0x20000000, norm_w=0x30000000 if norm else 0,
                  rows=rows, cols=cols, mode=mode, eps=struct.unpack("<I", struct.pack("<f", eps))[0])
    grid = grid or -(-(-(-rows // 2)) // 4)
    dyn = {"q4_k_d": cols, "q4_k_d16": 2 * cols}.get(kernel, 4 * cols)
    run_kernel(text, f"matvec_{kernel}", params, grid, 128, dyn, g, rng)
    out = np.frombuffer(bytes(g.read(0x40000000, 4 * yrows)), np.float32)
    xd = x.astype(np.float64)
    if norm:
        xd = xd / np.sqrt((xd * xd).mean() + eps) * nw
    bound = None
    if kernel in ("q4_k_d", "q4_k_d16"):
        # x (* norm_w) rounded to int8 per 32 columns as the kernel does it (f32 operations),
        # the 1/rms outside; the f32-x result may differ by at most sum |w| d / 2 (times 1/rms).
        # The min term (-dmin m per value: the row dequantized with its qs zeroed) stays on the
        # unrounded x, as the kernel's xsum does; only d sc q meets the int8 x.
        v = x * nw if norm else x
        xq, dx = quantize_x_int_32(v, 32767 if kernel == "q4_k_d16" else 127)
        s = 1 / np.sqrt((x.astype(np.float64) ** 2).mean() + eps) if norm else 1.0
        raw0 = np.frombuffer(wb, np.uint8).reshape(-1, 144).copy()
        raw0[:, 16:] = 0
        Wm = dequantize(raw0.reshape(rows, -1), T.Q4_K).reshape(rows, cols).astype(np.float64)
        Wq = W.astype(np.float64) - Wm
        bound = np.abs(Wq) @ (np.repeat(dx, 32).astype(np.float64) / 2) * s
        exact_f32x = W.astype(np.float64) @ xd
        d_ref = Wq @ (xq * s) + Wm @ (v.astype(np.float64) * s)
    d = W.astype(np.float64) @ xd if bound is None else d_ref
    if mode == 0: ref = d
    elif mode == 1: ref = d + y0
    else:
        gg, u = d[:rows // 2], d[rows // 2:]
        ref = gg / (1 + np.exp(-gg)) * u
    err = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)
    ok = err < 1e-4
    if bound is not None and mode == 0:
        # against f32 x: within the rounding bound (plus the f32 tolerance)
        slack = np.abs(out - exact_f32x) - bound
        ok &= bool((slack <= 1e-4 * np.abs(exact_f32x).max()).all())
    print(f"{kernel} {rows}x{cols} mode {mode} norm {norm} grid {grid}: max err / max|ref| {err:.2e} {'ok' if ok else 'FAIL'}")
    return ok

KERNELS = sys.argv[2].split(",") if len(sys.argv) > 2 else ["q8_0_f", "q4_k_f", "q4_k_x"]
SHAPES = {"q8_0": [(10, 512), (9, 768), (4, 2048), (16, 1280)],
          "q4_k": [(10, 1024), (9, 768), (4, 2048), (6, 5120)]}
# Fewer blocks than row pairs / 4: warps walk 2-4 pairs (1, 2 and 3 chunks a row: the stream
# crosses pairs mid-ring), odd pair counts leave some warps one pair short.
WALK_SHAPES = {"q8_0": [(38, 512), (30, 1024), (26, 1536)],
               "q4_k": [(38, 1024), (30, 2048), (26, 3072)]}
ok = True
for kernel in KERNELS:
    ty = "q4_k" if kernel.startswith("q4_k") else "q8_0"
    for i, (r, c) in enumerate(SHAPES[ty]):
        for mode in (0, 1, 2):
            if mode == 2 and r % 2: continue
            ok &= check(kernel, r, c, mode, (i + mode) % 2 == 1)
    for i, (r, c) in enumerate(WALK_SHAPES[ty]):
        for mode in (0, 1, 2):
            ok &= check(kernel, r, c, mode, (i + mode) % 2 == 0, grid=1 + i % 2)
print("ALL OK" if ok else "FAILURES")
