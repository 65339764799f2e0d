#!/usr/bin/env python3
"""Independent check of kernlab's logits against Hugging Face transformers' GGUF loader.

    python3 bench/transformers_check.py MODEL.gguf --logits kernlab_logits.bin --tokens 1,2,3,4

transformers loads the GGUF (AutoModelForCausalLM.from_pretrained(dir, gguf_file=name)); its loader
dequantizes every tensor with gguf-py (Q4_K, Q5_K, Q6_K, Q8_0, ... -> float32), so the reference runs the same
weights as kernlab, in float32, on the GPU when there is one. The token ids run through it in one forward pass
(causal), and its logits at every position are compared with kernlab's `--dump-logits` file: f32 little-endian,
row-major, positions x vocab, rows = prompt positions then the positions of the generated tokens.

Expectations (why the two should agree):
- LLaMA: GGUF stores attn_q/attn_k rows permuted for ggml's interleaved ("norm") rope; transformers' GGUF loader
  reverses that permutation (LlamaTensorProcessor) and then applies the half-split rope. Both conventions give the
  same attention scores, so the logits agree. LLaMA 3.1/3.2 files carry `rope_freqs.weight` (llama3 rope scaling
  baked in as per-frequency divisors); transformers' GGUF config mapping ignores it, so this script divides the
  model's rotary inv_freq by it (exactly what ggml does), and says so.
- Qwen3: neox rope, q/k RMS norms; no permutation on either side.
- Tied embeddings: transformers sets tie_word_embeddings when the file has no output.weight.
- kernlab's matvecs may quantize activations (like ggml's q8_1) and accumulate in another order, so agreement is
  to a tolerance, not bitwise. Default: per position, max|kernlab - ref| / max|ref| <= --rtol (2e-2), and the
  argmax must agree at >= --min-argmax (0.75) of the positions (random-weight models have near-ties).

If the dump has more rows than --tokens, the extra rows are the generated positions: the token processed at row
P+k is the argmax of kernlab's row P+k-1 (kernlab decodes greedily), and the script appends those tokens
(--no-extend to compare only the given tokens).

Exit status: 0 within tolerance, 1 beyond it, 2 on a usage or load error.
"""
import argparse
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("gguf", help="the GGUF file kernlab ran")
    p.add_argument("--logits", required=True, help="kernlab --dump-logits file (f32 LE, positions x vocab)")
    p.add_argument("--tokens", required=True, help="comma-separated prompt token ids kernlab was given")
    p.add_argument("--no-extend", action="store_true", help="do not append kernlab's greedy tokens")
    p.add_argument("--rtol", type=float, default=2e-2, help="max |diff| / max |ref| per position (default 2e-2)")
    p.add_argument("--min-argmax", type=float, default=0.75, help="fraction of positions whose argmax agrees")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    p.add_argument("--save-ref", default=None, help="write transformers' logits here (same f32 layout)")
    return p.parse_args()


def fail(msg, code=2):
    print(f"transformers_check: {msg}", file=sys.stderr)
    sys.exit(code)


def rope_freq_divisors(gguf_path):
    """rope_freqs.weight of a LLaMA 3.x GGUF as float32 numpy, or None."""
    import numpy as np
    from gguf import GGUFReader

    reader = GGUFReader(gguf_path)
    arch = None
    field = reader.fields.get("general.architecture")
    if field is not None:
        arch = bytes(field.parts[field.data[0]]).decode()
    for t in reader.tensors:
        if t.name == "rope_freqs.weight":
            return arch, np.array(t.data, dtype=np.float32).reshape(-1)
    return arch, None


def apply_rope_freqs(model, divisors, torch):
    """Divide every rotary embedding's inv_freq by rope_freqs (ggml: theta_j = pos * base^(-2j/d) / ff[j])."""
    patched = 0
    ff = torch.from_numpy(divisors)
    for name, module in model.named_modules():
        inv = getattr(module, "inv_freq", None)
        if isinstance(inv, torch.Tensor) and inv.numel() == ff.numel():
            module.inv_freq = (inv.double() / ff.to(inv.device).double()).to(inv.dtype)
            if hasattr(module, "original_inv_freq"):
                module.original_inv_freq = module.inv_freq
            patched += 1
    return patched


def main():
    args = parse_args()
    try:
        tokens = [int(x) for x in args.tokens.split(",") if x.strip()]
    except ValueError:
        fail(f"--tokens: not a comma-separated list of integers: {args.tokens!r}")
    if not tokens:
        fail("--tokens: empty")
    if not os.path.isfile(args.gguf):
        fail(f"{args.gguf}: no such file")

    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    from importlib.metadata import version

    print(f"versions: transformers {transformers.__version__}, torch {torch.__version__}, gguf {version('gguf')}")
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")

    t0 = time.time()
    gguf_dir, gguf_name = os.path.split(os.path.abspath(args.gguf))
    try:
        model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name, dtype=torch.float32)
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name, torch_dtype=torch.float32)
    except Exception as e:  # the loader's own errors (unsupported arch/type) are the answer here
        fail(f"{args.gguf}: transformers could not load it: {type(e).__name__}: {e}")
    model = model.to(device=device, dtype=torch.float32).eval()
    cfg = model.config
    print(
        f"loaded {gguf_name} as {type(model).__name__} in {time.time() - t0:.1f} s on {device}: "
        f"layers {cfg.num_hidden_layers}, dim {cfg.hidden_size}, heads {cfg.num_attention_heads}/"
        f"{cfg.num_key_value_heads}, vocab {cfg.vocab_size}, tied {cfg.tie_word_embeddings}"
    )

    arch, divisors = rope_freq_divisors(args.gguf)
    if divisors is not None:
        n = apply_rope_freqs(model, divisors, torch)
        print(f"{arch}: rope_freqs.weight ({divisors.size} divisors) applied to {n} rotary module(s)")
        if n == 0:
            fail("rope_freqs.weight present but no rotary inv_freq of matching size found")

    raw = np.fromfile(args.logits, dtype="<f4")
    vocab = int(cfg.vocab_size)
    if raw.size == 0 or raw.size % vocab != 0:
        fail(f"{args.logits}: {raw.size} floats is not a whole number of rows of vocab {vocab}")
    kern = raw.reshape(-1, vocab)
    rows = kern.shape[0]
    seq = list(tokens)
    if rows < len(seq):
        fail(f"{args.logits}: {rows} rows but {len(seq)} tokens given")
    if not args.no_extend:
        while len(seq) < rows:
            seq.append(int(np.argmax(kern[len(seq) - 1])))
    n = min(len(seq), rows)
    print(f"tokens ({n}): {','.join(str(t) for t in seq[:n])}" + (" (extended greedily)" if n > len(tokens) else ""))

    with torch.no_grad():
        ids = torch.tensor([seq[:n]], dtype=torch.long, device=device)
        ref = model(input_ids=ids).logits[0].float().cpu().numpy()
    if args.save_ref:
        ref.astype("<f4").tofile(args.save_ref)

    ok = True
    agree = 0
    print("| pos | token | max abs err | max |ref| | rel err | argmax kernlab | argmax ref |")
    print("|---|---|---|---|---|---|---|")
    for pos in range(n):
        a, b = kern[pos], ref[pos]
        if not np.all(np.isfinite(a)):
            print(f"| {pos} | {seq[pos]} | kernlab row has NaN/Inf | | | | |")
            ok = False
            continue
        abs_err = float(np.max(np.abs(a - b)))
        scale = float(np.max(np.abs(b)))
        rel = abs_err / scale if scale > 0 else abs_err
        am_a, am_b = int(np.argmax(a)), int(np.argmax(b))
        agree += am_a == am_b
        flag = "" if rel <= args.rtol else " FAIL"
        ok &= rel <= args.rtol
        print(f"| {pos} | {seq[pos]} | {abs_err:.4g} | {scale:.4g} | {rel:.3e}{flag} | {am_a} | {am_b} |")
    frac = agree / n
    print(f"argmax agreement: {agree}/{n} ({frac:.0%}); tolerance rel <= {args.rtol:g}, argmax >= {args.min_argmax:.0%}")
    if frac < args.min_argmax:
        ok = False
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
