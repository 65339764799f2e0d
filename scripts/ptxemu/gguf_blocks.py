"""Random GGUF weight blocks for the interpreter checkers, with gguf-py's dequantization as the
reference (the checkers compare the PTX's dots against float64 dots of these values), and the
matvec modes' float64 reference."""
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize


def rand_q6_k_blocks(rng, rows, cols):
    """rows x cols Q6_K weights: (raw bytes, dequantized rows x cols). Random ql/qh/scales; the
    f16 block scale d drawn small and positive so dots stay well inside f32 range."""
    nb = rows * cols // 256
    raw = rng.integers(0, 256, (nb, 210), dtype=np.uint8)
    raw[:, 208:210] = np.float16(rng.uniform(0.001, 0.01, nb)).view(np.uint8).reshape(nb, 2)
    return raw.tobytes(), dequantize(raw.reshape(rows, -1), T.Q6_K).reshape(rows, cols)


def rand_q4_k_blocks(rng, rows, cols):
    """rows x cols Q4_K weights: (raw bytes, dequantized rows x cols). Random scales/mins/qs;
    the f16 d and dmin drawn small and positive."""
    nb = rows * cols // 256
    raw = rng.integers(0, 256, (nb, 144), dtype=np.uint8)
    raw[:, 0:2] = np.float16(rng.uniform(0.001, 0.01, nb)).view(np.uint8).reshape(nb, 2)
    raw[:, 2:4] = np.float16(rng.uniform(0.001, 0.01, nb)).view(np.uint8).reshape(nb, 2)
    return raw.tobytes(), dequantize(raw.reshape(rows, -1), T.Q4_K).reshape(rows, cols)


def matvec_modes_reference(d, mode, y0):
    """What a matvec writes given its float64 dot products d (one per weight row): mode 0 d,
    1 d + y0 (accumulate), 2 silu(gate) * up with gate rows first, then up rows (glu)."""
    if mode == 0:
        return d
    if mode == 1:
        return d + y0
    g, u = d[:len(d) // 2], d[len(d) // 2:]
    return g / (1 + np.exp(-g)) * u
