"""A tiny SIMT interpreter for the PTX subset of the generated matvec kernels (matvec_q8_0_f,
matvec_q4_k_f, matvec_q4_k_x, matvec_q4_k_d, matvec_q4_k_d16, matvec_q6_k_p, matvec_q6_k_s, matvec_q6_k_n, matvec_q6_k_nx): one Python generator per thread, warps meet at
shfl / bar.warp.sync, blocks at bar.sync; cp.async copies land only at cp.async.wait_group, so a
stage refilled too early shows. Shared by scripts/mvq8/check.py, scripts/mvq6p/check.py and
scripts/mvstream/check.py, scripts/mvq6n/check.py (host checks before device runs); an instruction outside the subset
raises, so a checker cannot pass by skipping it."""
import re, struct
import numpy as np

M32 = 0xFFFFFFFF
def fb(b): return struct.unpack('<f', struct.pack('<I', b & M32))[0]
def bf(v): return struct.unpack('<I', struct.pack('<f', np.float32(v)))[0]
def f32(b): return np.float32(fb(b))

def parse(text, entry):
    at = text.index(f".entry {entry}(")
    body = text[text.index("{", at) + 1: text.rindex("}")]
    body = re.sub(r"//[^\n]*", "", body)
    stmts = [s.strip() for s in body.split(";")]
    code, labels, shared = [], {}, []
    for s in stmts:
        while True:
            m = re.match(r"^([A-Za-z_]\w*):\s*", s)
            if not m: break
            labels[m.group(1)] = len(code); s = s[m.end():]
        if not s: continue
        if s.startswith(".reg"): continue
        if s.startswith(".shared"):
            m = re.match(r"\.shared\s+\.align\s+(\d+)\s+\.\w+\s+(\w+)\[(\d+)\]", s)
            size = int(m.group(3)) * (4 if ".f32" in s else 1)
            shared.append((m.group(2), int(m.group(1)), size)); continue
        pred = None
        m = re.match(r"^@(!?)(%?\w+)\s+", s)
        if m: pred = (m.group(1) == "!", m.group(2)); s = s[m.end():]
        parts = s.split(None, 1)
        op = parts[0]; ops = []
        if len(parts) > 1:
            rest = parts[1]; depth = 0; cur = ""
            for ch in rest:
                if ch == "{": depth += 1
                if ch == "}": depth -= 1
                if ch == "," and depth == 0: ops.append(cur.strip()); cur = ""
                else: cur += ch
            ops.append(cur.strip())
        code.append((pred, op, ops))
    return code, labels, shared

class Mem:
    def __init__(self): self.regions = []
    def add(self, base, data): self.regions.append([base, data])
    def find(self, addr, n):
        for base, data in self.regions:
            if base <= addr and addr + n <= base + len(data): return data, addr - base
        raise RuntimeError(f"global access {addr:#x}+{n} out of bounds")
    def read(self, addr, n):
        d, o = self.find(addr, n); return bytes(d[o:o+n])
    def write(self, addr, b):
        d, o = self.find(addr, len(b)); d[o:o+len(b)] = b

def run_kernel(text, entry, params, grid, block, dyn_b, gmem, rng):
    code, labels, shared = parse(text, entry)
    symaddr = {}; off = 0
    for name, al, size in shared:
        off = (off + al - 1) // al * al; symaddr[name] = off; off += size
    dyn = re.search(r"\.extern\s+\.shared\s+\.align\s+\d+\s+\.b8\s+(\w+)\[\]", text)
    off = (off + 15) // 16 * 16; symaddr[dyn.group(1) if dyn else "xs_dyn"] = off; total = off + dyn_b
    for bid in range(grid):
        smem = bytearray(rng.integers(0, 256, total, dtype=np.uint8).tobytes())
        def sread(a, n):
            assert 0 <= a and a + n <= total, f"shared read {a}+{n} of {total}"
            assert a % min(n, 16) == 0, f"misaligned shared read {a} ({n})"
            return bytes(smem[a:a+n])
        def swrite(a, b):
            assert 0 <= a and a + len(b) <= total, f"shared write {a}"
            smem[a:a+len(b)] = b
        threads = [thread(code, labels, params, symaddr, tid, bid, grid, block, gmem, sread, swrite) for tid in range(block)]
        state = [None] * block  # event each is parked at, or 'done'
        resume = [None] * block
        while True:
            progress = False
            for t in range(block):
                if state[t] is None:
                    try:
                        state[t] = threads[t].send(resume[t]); resume[t] = None
                    except StopIteration:
                        state[t] = "done"
                    progress = True
            # warp events
            for w in range(block // 32):
                lanes = range(32 * w, 32 * w + 32)
                live = [t for t in lanes if state[t] != "done"]
                if not live or any(state[t] is None for t in live): continue
                kinds = {state[t][0] for t in live}
                if kinds == {"wsync"}:
                    for t in live: state[t] = None
                    progress = True
                elif kinds == {"shfl"}:
                    assert len(live) == 32, "shfl with exited lanes"
                    vals = {t % 32: state[t][1] for t in live}
                    for t in live:
                        resume[t] = vals[(t % 32) ^ state[t][2]]; state[t] = None
                    progress = True
                elif "bar" in kinds and kinds != {"bar"}:
                    raise RuntimeError(f"warp {w}: mixed events {kinds}")
            live = [t for t in range(block) if state[t] != "done"]
            if not live: break
            if all(state[t] is not None and state[t][0] == "bar" for t in live):
                for t in live: state[t] = None
                progress = True
            if not progress:
                raise RuntimeError(f"deadlock: {set(str(state[t]) for t in live)}")

def thread(code, labels, params, symaddr, tid, bid, grid, block, gmem, sread, swrite):
    R = {}
    groups, cur = [], []
    def val(o):
        if o in R: return R[o]
        if o in symaddr: return symaddr[o]
        if o == "%tid.x": return tid
        if o == "%ctaid.x": return bid
        if o == "%nctaid.x": return grid
        if o == "%ntid.x": return block
        if o.startswith("0f"): return int(o[2:], 16)
        if o.startswith("0x"): return int(o, 16)
        if re.match(r"^-?\d+$", o): return int(o) & 0xFFFFFFFFFFFFFFFF
        raise RuntimeError(f"unknown operand {o} (uninitialised register?)")
    def addr(o):
        m = re.match(r"^\[(%?\w+)(?:\+(\d+))?\]$", o)
        return val(m.group(1)) + int(m.group(2) or 0)
    def vec(o): return [x.strip() for x in o.strip("{}").split(",")]
    pc = 0
    while pc < len(code):
        pred, op, o = code[pc]; pc += 1
        if pred:
            neg, p = pred
            if bool(R[p]) == neg: continue
        t = op.split(".")
        base = t[0]
        if base == "ret": return
        if base == "bra": pc = labels[o[0]]; continue
        if op == "bar.sync": yield ("bar",); continue
        if op == "bar.warp.sync": yield ("wsync",); continue
        if base == "shfl":
            v = yield ("shfl", val(o[1]), int(o[2])); R[o[0]] = v; continue
        if base == "ld" and t[1] == "param":
            R[o[0]] = params[o[1].strip("[]")]; continue
        if base == "cvta": R[o[0]] = val(o[1]); continue
        if op == "griddepcontrol.wait": continue
        if op == "prefetch.global.L2": gmem.read(addr(o[0]), 1); continue  # a hint: only the address must be mapped
        if op in ("cp.async.cg.shared.global", "cp.async.ca.shared.global"):
            cur.append((addr(o[0]), addr(o[1]), int(o[2]))); continue
        if op == "cp.async.commit_group": groups.append(cur); cur = []; continue
        if op == "cp.async.wait_group":
            n = int(o[0])
            while len(groups) > n:
                for d, s, nb in groups.pop(0):
                    assert s % nb == 0 and d % nb == 0, "cp.async misaligned"
                    swrite(d, gmem.read(s, nb))
            continue
        if base in ("ld", "st"):
            space = t[1]; vw = 1; ty = t[-1]
            if "v4" in t: vw = 4
            if "v2" in t: vw = 2
            size = {"f32": 4, "u32": 4, "b32": 4, "b16": 2, "u16": 2, "s8": 1}[ty]
            if base == "ld":
                a = addr(o[1]); raw = sread(a, size*vw) if space == "shared" else gmem.read(a, size*vw)
                names = vec(o[0]) if vw > 1 else [o[0]]
                for i, n in enumerate(names):
                    R[n] = int.from_bytes(raw[i*size:(i+1)*size], "little", signed=ty == "s8") & M32
            else:
                a = addr(o[0]); names = vec(o[1]) if vw > 1 else [o[1]]
                raw = b"".join((val(n) & ((1 << 8*size) - 1)).to_bytes(size, "little") for n in names)
                if space == "shared":
                    assert a % min(size*vw, 16) == 0; swrite(a, raw)
                else: gmem.write(a, raw)
            continue
        d = o[0]; a = [val(x) for x in o[1:]] if base not in ("mov",) else None
        ty = t[-1]
        if base == "mov":
            if o[0].startswith("{"):
                v = val(o[1]); h = vec(o[0]); R[h[0]] = v & 0xFFFF; R[h[1]] = (v >> 16) & 0xFFFF
            else: R[d] = val(o[1])
            continue
        if ty == "f32" and base in ("add", "sub", "mul", "fma", "neg", "div", "sqrt", "rcp", "ex2", "abs", "max"):
            f = [f32(x) for x in a]
            with np.errstate(all="ignore"):
                r = {"add": lambda: f[0] + f[1], "sub": lambda: f[0] - f[1], "mul": lambda: f[0] * f[1],
                     "fma": lambda: np.float32(float(f[0]) * float(f[1]) + float(f[2])),
                     "neg": lambda: -f[0], "div": lambda: f[0] / f[1], "sqrt": lambda: np.sqrt(f[0]),
                     "abs": lambda: np.abs(f[0]), "max": lambda: np.maximum(f[0], f[1]),
                     "rcp": lambda: np.float32(1) / f[0], "ex2": lambda: np.float32(2.0 ** float(f[0])) if float(f[0]) < 128 else np.float32(np.inf)}[base]()
            R[d] = bf(r); continue
        if base == "cvt":
            if op == "cvt.f32.f16": R[d] = bf(np.frombuffer(struct.pack("<H", a[0] & 0xFFFF), np.float16)[0])
            elif op == "cvt.rn.f32.u32": R[d] = bf(np.float32(a[0] & M32))
            elif op == "cvt.u64.u32": R[d] = a[0] & M32
            elif op == "cvt.rni.s32.f32":  # round to nearest even, as np.rint
                R[d] = int(np.rint(f32(a[0]))) & M32
            elif op == "cvt.rn.f32.s32":
                v = a[0] & M32; R[d] = bf(np.float32(v - (1 << 32) if v >> 31 else v))
            else: raise RuntimeError(op)
            continue
        if base == "setp":
            cmp = t[1]; w = 64 if ty.endswith("64") else 32
            x, y = a[0] & ((1 << w) - 1), a[1] & ((1 << w) - 1)
            r = {"eq": x == y, "ne": x != y, "ge": x >= y, "lt": x < y, "gt": x > y, "le": x <= y}[cmp]
            if t[2] in ("and", "or"):  # setp.cmp.bool: combined with a predicate operand
                r = (r and R[o[3]]) if t[2] == "and" else (r or R[o[3]])
            R[d] = r; continue
        if op == "red.global.add.f32":
            ga = addr(o[0]); old = int.from_bytes(gmem.read(ga, 4), "little")
            gmem.write(ga, bf(f32(old) + f32(val(o[1]))).to_bytes(4, "little")); continue
        if base == "and" and ty == "pred": R[d] = R[o[1]] and R[o[2]]; continue
        if base == "not" and ty == "pred": R[d] = not R[o[1]]; continue
        if base == "selp": R[d] = a[0] if R[o[3]] else a[1]; continue
        m = (1 << 64) - 1 if ty.endswith("64") else M32
        if base == "add": R[d] = (a[0] + a[1]) & m
        elif base == "sub": R[d] = (a[0] - a[1]) & m
        elif op == "mul.lo.u32": R[d] = (a[0] * a[1]) & M32
        elif op == "mul.wide.u32": R[d] = (a[0] & M32) * (a[1] & M32)
        elif op == "mad.lo.u32": R[d] = (a[0] * a[1] + a[2]) & M32
        elif base == "shl": R[d] = (a[0] << a[1]) & M32
        elif base == "shr": R[d] = (a[0] & M32) >> a[1]
        elif base == "and": R[d] = a[0] & a[1] & M32
        elif base == "xor": R[d] = (a[0] ^ a[1]) & M32
        elif base == "or": R[d] = (a[0] | a[1]) & M32
        elif op == "div.u32": R[d] = (a[0] & M32) // (a[1] & M32)
        elif op == "rem.u32": R[d] = (a[0] & M32) % (a[1] & M32)
        elif base == "min": R[d] = min(a[0] & M32, a[1] & M32)
        elif base == "bfe": R[d] = ((a[0] & M32) >> a[1]) & ((1 << a[2]) - 1)
        elif base == "bfi":
            mask = ((1 << a[3]) - 1) << a[2]; R[d] = (a[1] & ~mask | (a[0] << a[2]) & mask) & M32
        elif op == "lop3.b32":  # bit i of the LUT: the result where (a, b, c) = (i>>2 & 1, i>>1 & 1, i & 1)
            R[d] = 0
            for i in range(8):
                if a[3] >> i & 1:
                    R[d] |= ((a[0] if i & 4 else ~a[0]) & (a[1] if i & 2 else ~a[1])
                             & (a[2] if i & 1 else ~a[2])) & M32
        elif base == "prmt":
            bs = (a[0] & M32).to_bytes(4, "little") + (a[1] & M32).to_bytes(4, "little")
            R[d] = int.from_bytes(bytes(bs[(a[2] >> (4*i)) & 7] for i in range(4)), "little")
        elif op in ("dp2a.lo.s32.u32", "dp2a.hi.s32.u32"):  # c + a's 2 signed halves times 2 of b's unsigned bytes
            k = 0 if t[1] == "lo" else 2; ub = (a[1] & M32).to_bytes(4, "little")
            hs = [int.from_bytes((a[0] & M32).to_bytes(4, "little")[2*i:2*i+2], "little", signed=True) for i in range(2)]
            c = a[2] & M32; c = c - (1 << 32) if c >> 31 else c
            R[d] = (c + hs[0] * ub[k] + hs[1] * ub[k + 1]) & M32
        elif op == "dp4a.u32.s32":  # c + sum of a's unsigned bytes times b's signed bytes
            ub = (a[0] & M32).to_bytes(4, "little"); sb = (a[1] & M32).to_bytes(4, "little", signed=False)
            c = a[2] & M32; c = c - (1 << 32) if c >> 31 else c
            R[d] = (c + sum(ub[i] * int.from_bytes(sb[i:i+1], "little", signed=True) for i in range(4))) & M32
        elif op == "shf.r.clamp.b32":
            sh = min(a[2] & M32, 32); R[d] = ((((a[1] & M32) << 32) | (a[0] & M32)) >> sh) & M32
        else: raise RuntimeError(f"op {op}")
