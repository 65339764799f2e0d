"""matvec_q4_k_d's x staging in numpy (the CPU model of scripts/mvq8/gen.py's q8_stage, and of
engine::reference::quantize_x_q8_32): shared by scripts/mvq8/check.py and scripts/pair/check.py."""
import numpy as np


def quantize_x_q8_32(v):
    """matvec_q4_k_d's x staging: per 32 values amax (>= 1e-30), q = rint(v * (127 / amax)), d =
    amax * f32(1/127), all in f32; returns (q * d as float64, d per block)."""
    v = v.astype(np.float32).reshape(-1, 32)
    amax = np.maximum(np.abs(v).max(axis=1), np.float32(1e-30)).astype(np.float32)
    iv = (np.float32(127) / amax).astype(np.float32)
    q = np.rint((v * iv[:, None]).astype(np.float32))
    d = (amax * (np.float32(1) / np.float32(127))).astype(np.float32)
    return (q.astype(np.float64) * d[:, None].astype(np.float64)).reshape(-1), d
