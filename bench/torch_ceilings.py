"""PyTorch ceilings for kernlab's cuda comparison, measured in the same device call:
copy of 1 GB (dst.copy_(src), counting bytes read + written) and n x n matmul at 4096 in fp16
and fp32 (TF32 off). CUDA events around each op, warm-ups excluded, median.
Usage: python3 bench/torch_ceilings.py OUT.json"""
import json
import statistics
import sys

import torch


def time_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "cuda": torch.version.cuda}
    size = 1 << 30
    src = torch.randint(0, 255, (size,), dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), 3, 50)
    out["copy_1GB_ms"] = ms
    out["copy_1GB_gbps"] = 2 * size / (ms * 1e6)
    del src, dst
    n = 4096
    for name, dtype in (("fp16", torch.float16), ("fp32", torch.float32)):
        a = torch.randn(n, n, device="cuda", dtype=dtype)
        b = torch.randn(n, n, device="cuda", dtype=dtype)
        ms = time_ms(lambda: a @ b, 10, 100)
        out[f"matmul_{name}_4096_ms"] = ms
        out[f"matmul_{name}_4096_tflops"] = 2 * n**3 / (ms * 1e9)
    for k, v in out.items():
        print(f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}")
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
