#!/usr/bin/env python3
"""Independent float64 reference forward pass for LLaMA / Qwen3 GGUF files.

Reads the GGUF with gguf-py (which dequantizes every block type), widens every tensor to
float64 and runs the token sequence through the model with numpy, written from the math in
shared/reference/models-and-quants.md (sections 1 and 3), not from kernlab's Rust code:

  x = token_embd[token]
  per layer:  h = rmsnorm(x) * attn_norm
              q, k, v = Wq h, Wk h, Wv h           (q: n_head*hd, k/v: n_head_kv*hd)
              qwen3: q, k = per-head rmsnorm * attn_q_norm / attn_k_norm
              rope(q), rope(k)   llama: pairs (2j, 2j+1), divisors rope_freqs
                                 qwen3: pairs (j, j + d/2)
              attention over positions <= t, scale 1/sqrt(hd), head h reads kv head h // (n_head/n_head_kv)
              x += Wo attn
              x += Wdown (silu(Wgate h2) * Wup h2),  h2 = rmsnorm(x) * ffn_norm
  logits = W_out (rmsnorm(x) * output_norm),  W_out = output or token_embd when tied

Usage: ref_decode.py MODEL.gguf --tokens 1,2,3 --out LOGITS.f64
Writes float64 little-endian logits, positions x vocab, row-major.
"""
import argparse
import sys

import numpy as np
import gguf


def field(reader, key, default=None):
    f = reader.get_field(key)
    if f is None:
        return default
    v = f.contents()
    return v


def load(path):
    reader = gguf.GGUFReader(path)
    arch = field(reader, "general.architecture")
    if arch not in ("llama", "qwen3"):
        sys.exit(f"ref_decode: unsupported architecture {arch!r}")
    tensors = {}
    for t in reader.tensors:
        vals = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(d) for d in reversed(list(t.shape)))  # numpy order: slowest first
        tensors[t.name] = np.asarray(vals, dtype=np.float64).reshape(shape)
    n_embd = int(field(reader, f"{arch}.embedding_length"))
    n_head = int(field(reader, f"{arch}.attention.head_count"))
    hp = {
        "arch": arch,
        "n_embd": n_embd,
        "n_layer": int(field(reader, f"{arch}.block_count")),
        "n_head": n_head,
        "n_head_kv": int(field(reader, f"{arch}.attention.head_count_kv", n_head)),
        "head_dim": int(field(reader, f"{arch}.attention.key_length", n_embd // n_head)),
        "eps": float(field(reader, f"{arch}.attention.layer_norm_rms_epsilon")),
        "base": float(field(reader, f"{arch}.rope.freq_base", 10000.0)),
    }
    hp["rope_dim"] = int(field(reader, f"{arch}.rope.dimension_count", hp["head_dim"]))
    return hp, tensors


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, hp, freq_div):
    """x: (heads, head_dim) at one position; returns the rotated copy."""
    d = hp["rope_dim"]
    half = d // 2
    j = np.arange(half, dtype=np.float64)
    theta = pos * hp["base"] ** (-2.0 * j / d)
    if freq_div is not None:
        theta = theta / freq_div
    c, s = np.cos(theta), np.sin(theta)
    y = x.copy()
    if hp["arch"] == "qwen3":
        a, b = x[:, :half], x[:, half:d]
        y[:, :half] = a * c - b * s
        y[:, half:d] = a * s + b * c
    else:
        a, b = x[:, 0:d:2], x[:, 1:d:2]
        y[:, 0:d:2] = a * c - b * s
        y[:, 1:d:2] = a * s + b * c
    return y


def forward(hp, T, tokens):
    n, hd = len(tokens), hp["head_dim"]
    nh, nkv = hp["n_head"], hp["n_head_kv"]
    eps = hp["eps"]
    freq_div = T.get("rope_freqs.weight")
    x = T["token_embd.weight"][np.asarray(tokens)]  # (n, n_embd)
    for L in range(hp["n_layer"]):
        g = lambda s: T[f"blk.{L}.{s}.weight"]  # noqa: E731
        h = rmsnorm(x, g("attn_norm"), eps)
        q = (h @ g("attn_q").T).reshape(n, nh, hd)
        k = (h @ g("attn_k").T).reshape(n, nkv, hd)
        v = (h @ g("attn_v").T).reshape(n, nkv, hd)
        if f"blk.{L}.attn_q_norm.weight" in T:
            q = rmsnorm(q, g("attn_q_norm"), eps)
            k = rmsnorm(k, g("attn_k_norm"), eps)
        q = np.stack([rope(q[t], t, hp, freq_div) for t in range(n)])
        k = np.stack([rope(k[t], t, hp, freq_div) for t in range(n)])
        kv_of = np.arange(nh) // (nh // nkv)
        out = np.zeros((n, nh, hd))
        for t in range(n):
            for hh in range(nh):
                sc = k[: t + 1, kv_of[hh]] @ q[t, hh] / np.sqrt(hd)
                p = np.exp(sc - sc.max())
                p /= p.sum()
                out[t, hh] = p @ v[: t + 1, kv_of[hh]]
        x = x + out.reshape(n, nh * hd) @ g("attn_output").T
        h2 = rmsnorm(x, g("ffn_norm"), eps)
        gate = h2 @ g("ffn_gate").T
        up = h2 @ g("ffn_up").T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ g("ffn_down").T
    head = T.get("output.weight", T["token_embd.weight"])
    return rmsnorm(x, T["output_norm.weight"], eps) @ head.T


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--out", required=True, help="float64 LE logits, positions x vocab")
    a = ap.parse_args()
    hp, T = load(a.model)
    tokens = [int(t) for t in a.tokens.split(",")]
    logits = forward(hp, T, tokens)
    logits.astype("<f8").tofile(a.out)
    print(f"ref_decode: {hp['arch']} {len(tokens)} positions x {logits.shape[1]} vocab -> {a.out}")


if __name__ == "__main__":
    main()
