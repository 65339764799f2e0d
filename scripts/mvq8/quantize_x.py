"""matvec_q4_k_d's / _d16's x staging in numpy (the CPU model of scripts/mvq8/gen.py's
xint_stage, and of engine::reference::quantize_x_int_32): shared by scripts/mvq8/check.py and scripts/pair/check.py."""
import numpy as np


def quantize_x_int_32(v, qmax):
    """matvec_q4_k_d's (qmax 127) / _d16's (32767) x staging: per 32 values amax (>= 1e-30),
    q = rint(v * (qmax / amax)), d = amax * f32(1/qmax), all in f32; returns (q * d as float64,
    d per block)."""
    v = v.astype(np.float32).reshape(-1, 32)
    amax = np.maximum(np.abs(v).max(axis=1), np.float32(1e-30)).astype(np.float32)
    iv = (np.float32(qmax) / amax).astype(np.float32)
    q = np.rint((v * iv[:, None]).astype(np.float32))
    d = (amax * (np.float32(1) / np.float32(qmax))).astype(np.float32)
    return (q.astype(np.float64) * d[:, None].astype(np.float64)).reshape(-1), d
