#!/usr/bin/env python3
"""Summarise run_peers.sh results: one table on stdout and one JSON file.

Usage: summarize.py RESULTS_DIR OUT_JSON MODEL_GGUF...

RESULTS_DIR holds steps.tsv (name, rc, elapsed s), llama_<i>.json (llama-bench -o json),
tinygrad_<i>.log / tinygrad_beam_<i>.log (tinygrad.llm --benchmark output) and
kernlab_<backend>_<i>_r<round>.json (kernlab decode --json, PEERS_KERNLAB) for model index i.
Stdlib only: it runs on the device with whatever python3 is there.
"""
import json
import os
import re
import statistics
import sys

# tinygrad's Timing line: "<ms> ms, <tok/s> tok/s, <GB/s> GB/s, <MB>/<MB> MB  --  <text>"
TINYGRAD_LINE = re.compile(r"([\d.]+) ms,\s+([\d.]+) tok/s,\s+([\d.]+) GB/s")
# the first tokens include JIT capture and compilation; steady state is taken after them
TINYGRAD_WARMUP_TOKENS = 3


def read_steps(results_dir):
    steps = []
    path = os.path.join(results_dir, "steps.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    steps.append({"step": parts[0], "rc": parts[1], "elapsed_s": float(parts[2])})
    return steps


def llama_result(path):
    """tg128 of the llama-bench JSON: median of the samples, and llama-bench's own mean ± std."""
    if not os.path.exists(path):
        return {"error": "no llama-bench output"}
    try:
        with open(path) as f:
            rows = json.load(f)
    except (OSError, ValueError) as e:
        return {"error": f"llama-bench JSON unreadable: {e}"}
    rows = [r for r in rows if r.get("n_gen", 0) > 0 and r.get("n_prompt", 0) == 0]
    if not rows:
        return {"error": "no tg row in llama-bench JSON"}
    r = rows[0]
    samples = [float(x) for x in r.get("samples_ts", [])]
    return {
        "test": f"tg{r.get('n_gen')}",
        "tok_s_median": statistics.median(samples) if samples else None,
        "tok_s_avg": r.get("avg_ts"),
        "tok_s_stddev": r.get("stddev_ts"),
        "samples_tok_s": samples,
        "model_type": r.get("model_type"),
        "model_size_b": r.get("model_size"),
        "model_n_params": r.get("model_n_params"),
        "flash_attn": r.get("flash_attn"),
        "n_gpu_layers": r.get("n_gpu_layers"),
        "gpu_info": r.get("gpu_info"),
        "backends": r.get("backends"),
        "build_commit": r.get("build_commit"),
        "build_number": r.get("build_number"),
    }


def tinygrad_result(path):
    """Per-token lines of tinygrad.llm --benchmark; steady = median after the warm-up tokens."""
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        text = f.read()
    lines = [tuple(float(x) for x in m.groups()) for m in TINYGRAD_LINE.finditer(text)]
    if not lines:
        tail = text.strip().splitlines()[-1:] or [""]
        return {"error": f"no benchmark lines; last output: {tail[0][:200]}"}
    steady = lines[TINYGRAD_WARMUP_TOKENS:] or lines
    return {
        "tokens": len(lines),
        "steady_tok_s_median": statistics.median(x[1] for x in steady),
        "steady_ms_median": statistics.median(x[0] for x in steady),
        "last_tok_s": lines[-1][1],
        "last_ms": lines[-1][0],
        "last_gb_s": lines[-1][2],
        "first_ms": lines[0][0],
        "ms_per_token": [x[0] for x in lines],
    }


def kernlab_result(results_dir, backend, i):
    """kernlab decode --json of every round: median ms/token each; tok/s = 1000 / the median of
    the rounds' medians."""
    rounds, errors = [], []
    prefix = f"kernlab_{backend}_{i}_r"
    names = sorted(n for n in os.listdir(results_dir) if n.startswith(prefix) and n.endswith(".json"))
    for name in names:
        path = os.path.join(results_dir, name)
        if os.path.exists(path) and os.path.getsize(path) == 0:
            errors.append(f"{name}: empty (the run failed; its stderr is in peers.log)")
            continue
        try:
            with open(path) as f:
                j = json.load(f)
            rounds.append({"median_ms": float(j["median_ms"]), "p10_ms": j.get("p10_ms"),
                           "p90_ms": j.get("p90_ms"), "pct_of_peak": j.get("pct_of_peak"),
                           "gpu_info": j.get("gpu_info")})
        except (OSError, ValueError, KeyError, TypeError) as e:
            errors.append(f"{name}: {e}")
    if not rounds:
        return {"error": "; ".join(errors) or "not run"} if errors or names else None
    ms = statistics.median(r["median_ms"] for r in rounds)
    return {"ms_median_of_rounds": ms, "tok_s": 1000.0 / ms, "rounds": rounds, "errors": errors}


def ratio(kl, lc):
    """kernlab tok/s over llama.cpp's tg128 median, both from this call."""
    if not kl or "error" in kl or "error" in lc or not lc.get("tok_s_median"):
        return None
    return kl["tok_s"] / lc["tok_s_median"]


def fmt(x, spec=".2f"):
    return "-" if x is None else format(x, spec)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    results_dir, out_json, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    steps = read_steps(results_dir)
    rows = []
    for i, model in enumerate(models):
        row = {"model": model, "file_b": os.path.getsize(model) if os.path.exists(model) else None}
        row["llama_cpp"] = llama_result(os.path.join(results_dir, f"llama_{i}.json"))
        row["tinygrad"] = tinygrad_result(os.path.join(results_dir, f"tinygrad_{i}.log"))
        row["tinygrad_jitbeam"] = tinygrad_result(os.path.join(results_dir, f"tinygrad_beam_{i}.log"))
        for be in ("nv", "cuda"):
            row[f"kernlab_{be}"] = kernlab_result(results_dir, be, i)
            row[f"kernlab_{be}_x_llama_cpp"] = ratio(row[f"kernlab_{be}"], row["llama_cpp"])
        rows.append(row)

    print()
    print("| model | llama.cpp tg128 median tok/s | llama.cpp tg128 mean ± std | tinygrad steady tok/s (ms) |")
    print("|---|---|---|---|")
    for row in rows:
        lc, tg = row["llama_cpp"], row["tinygrad"]
        lc_med = lc.get("error") or fmt(lc.get("tok_s_median"))
        lc_avg = "-" if "error" in lc else f"{fmt(lc.get('tok_s_avg'))} ± {fmt(lc.get('tok_s_stddev'))}"
        if tg is None:
            tg_s = "not run"
        elif "error" in tg:
            tg_s = tg["error"]
        else:
            tg_s = f"{fmt(tg['steady_tok_s_median'])} ({fmt(tg['steady_ms_median'])} ms)"
        print(f"| {os.path.basename(row['model'])} | {lc_med} | {lc_avg} | {tg_s} |")
    if any(row["kernlab_nv"] or row["kernlab_cuda"] for row in rows):
        print()
        print("kernlab decode in the same call (tok/s = 1000 / median over rounds of each round's median ms/token):")
        print("| model | kernlab nv tok/s (ms per round) | kernlab cuda tok/s (ms per round) | nv × llama.cpp | cuda × llama.cpp |")
        print("|---|---|---|---|---|")
        for row in rows:
            cells = []
            for be in ("nv", "cuda"):
                kl = row[f"kernlab_{be}"]
                if kl is None:
                    cells.append("not run")
                elif "error" in kl:
                    cells.append(kl["error"])
                else:
                    per = " / ".join(format(r["median_ms"], ".3f") for r in kl["rounds"])
                    cells.append(f"{fmt(kl['tok_s'], '.1f')} ({per})")
            x = ["-" if r is None else f"{r:.2f}×" for r in (row["kernlab_nv_x_llama_cpp"], row["kernlab_cuda_x_llama_cpp"])]
            print(f"| {os.path.basename(row['model'])} | {cells[0]} | {cells[1]} | {x[0]} | {x[1]} |")
    print()
    for s in steps:
        print(f"step {s['step']}: rc={s['rc']} {s['elapsed_s']:.1f} s")

    doc = {
        "what": "peer decode: llama-bench -ngl 99 -fa 1 -n 128 -p 0 -r 5; tinygrad.llm --benchmark (DEV=CUDA); kernlab decode --tokens 128 --json (PEERS_KERNLAB)",
        "tinygrad_steady_rule": f"median tok/s of the tokens after the first {TINYGRAD_WARMUP_TOKENS}",
        "models": rows,
        "steps": steps,
    }
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
