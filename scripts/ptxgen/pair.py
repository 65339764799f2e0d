"""Two kernels in one launch: pair.py A.ptx B.ptx OUT.ptx writes one entry (named as OUT's file
name without .ptx) whose blocks [0, blocks_a) run kernel A and blocks [blocks_a, nctaid) run
kernel B, with A's parameters, then B's, then `.param .u32 blocks_a` (tests/ptx_generators.rs
checks the committed output; scripts/pair/check.py runs it in the PTX interpreter).

Why: two independent launches that read the same input (qwen3-1.7b-q4km's fused Q4_K q|k matvec
and its Q6_K attn_v beside it) cost one launch's fixed latency each; as one grid they cost one.

How, on the text (comments dropped):
- every register, label and parameter of A gets the prefix `a_`, of B `b_` (a `%r<300>`
  register range keeps its digits: `%r12` -> `%b_r12`), so the bodies cannot collide;
- %ctaid.x and %nctaid.x become the block's index and the block count within its own part, so
  each body sees the grid it was written for;
- a block runs one body only, so their static shared arrays share one allocation (each part's
  arrays from offset 0; the pair needs the larger part, not the sum); the bodies may only take a
  shared array's address (`mov.u32 reg, array;`), which becomes `mov.u32 reg, pair_smem;` plus
  an add of its offset; the dynamic shared array (`.extern .shared`, one per module at most) is
  one array for both, so the launch passes the larger of the two dynamic sizes;
- both bodies must be 1-D (no .y/.z special registers) and keep their own `griddepcontrol.wait`.
"""
import os
import re
import sys

SPECIAL = {"%tid", "%ntid", "%ctaid", "%nctaid", "%laneid", "%warpid", "%nwarpid", "%smid",
           "%nsmid", "%gridid", "%clock", "%clock64", "%globaltimer", "%lanemask_lt",
           "%lanemask_le", "%lanemask_eq", "%lanemask_ge", "%lanemask_gt", "%dynamic_smem_size"}
TOKEN = re.compile(r"(?<![\w.$%])%?[A-Za-z_$][\w$]*")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0].rstrip() for line in text.splitlines())


class Kernel:
    """One .entry of a PTX file: its parameters, body statements, shared arrays and the
    module's dynamic shared array."""

    def __init__(self, text):
        text = strip_comments(text)
        self.dynamic = re.findall(r"\.extern\s+\.shared\s+\.align\s+(\d+)\s+\.b8\s+(\w+)\[\]\s*;", text)
        assert len(self.dynamic) <= 1, "more than one dynamic shared array"
        m = re.search(r"\.visible\s+\.entry\s+(\w+)\s*\((.*?)\)\s*(\.maxnreg\s+\d+)?\s*\{", text, re.S)
        assert m, "no .entry"
        self.entry = m.group(1)
        self.params = [p.split() for p in m.group(2).split(",") if p.strip()]
        for p in self.params:
            assert p[0] == ".param" and len(p) == 3, p
        body = text[m.end():text.rindex("}")]
        assert not re.search(r"%(n?ctaid|n?tid)\.[yz]", body), "not a 1-D kernel"
        self.shared = []  # (name, align, bytes)
        stmts, pending = [], ""
        for line in body.splitlines():
            s = (pending + " " + line.strip()).strip()
            if not s:
                continue
            if not s.endswith((";", ":", "{", "}")):
                pending = s  # a statement continued on the next line
                continue
            pending = ""
            sm = re.fullmatch(r"\.shared\s+\.align\s+(\d+)\s+\.(\w+)\s+(\w+)\[(\d+)\]\s*;", s)
            if sm:
                width = int(re.sub(r"\D", "", sm.group(2)) or 8) // 8
                self.shared.append((sm.group(3), int(sm.group(1)), width * int(sm.group(4))))
                continue
            stmts.append(s)
        self.body = stmts
        self.names, self.ranges = set(), set()
        decl = re.compile(r"\.reg\s+(?:\.v\d\s+)?\.\w+\s+(.*);")
        joined = "\n".join(stmts)
        for d in filter(None, map(decl.fullmatch, stmts)):
            for n in d.group(1).split(","):
                n = n.strip()
                r = re.fullmatch(r"(%?[A-Za-z_$][\w$]*)<\d+>", n)
                (self.ranges if r else self.names).add(r.group(1) if r else n)
        self.names |= set(re.findall(r"^([A-Za-z_$][\w$]*):", joined, re.M))
        self.names |= {p[2] for p in self.params}

    def rename(self, tag):
        """The body with every name prefixed, the grid registers swapped and the shared arrays
        aliased (tag: 'a' or 'b')."""
        offsets, at = {}, 0
        for name, align, size in self.shared:
            at = -(-at // align) * align
            offsets[name] = at
            at += size
        self.shared_b = at
        dyn = self.dynamic[0][1] if self.dynamic else None

        def new(tok):
            bare = tok.lstrip("%")
            pct = "%" if tok.startswith("%") else ""
            if tok in self.names or tok in self.ranges:
                return f"{pct}{tag}_{bare}"
            for base in self.ranges:
                if tok.startswith(base) and tok[len(base):].isdigit():
                    return f"{pct}{tag}_{bare}"
            return tok

        out = []
        for s in self.body:
            s = s.replace("%nctaid.x", "%pair_n").replace("%ctaid.x", "%pair_c")
            for name in offsets:
                m = re.fullmatch(rf"mov\.u32\s+(%?[\w$]+)\s*,\s*{name}\s*;", s)
                if m:
                    out.append(f"mov.u32 {new(m.group(1))}, pair_smem;")
                    if offsets[name]:
                        out.append(f"add.u32 {new(m.group(1))}, {new(m.group(1))}, {offsets[name]};")
                    s = None
                    break
                assert not re.search(rf"(?<![\w$%]){name}(?![\w$])", s), f"{name} used in: {s}"
            if s is None:
                continue
            if dyn:
                s = re.sub(rf"(?<![\w$%.]){dyn}(?![\w$])", "pair_dyn", s)
            sub = lambda t: TOKEN.sub(lambda m: m.group(0) if m.group(0) == "pair_dyn" else new(m.group(0)), t)
            # an instruction's opcode is never renamed (q4_k_f has a register `st`)
            ins = re.match(r"((?:@!?%?[\w$]+\s+)?)([a-z][\w.]*)(.*)$", s, re.S)
            if s[0] == "." or s.endswith(":") or not ins:
                out.append(sub(s))
            else:
                out.append(sub(ins.group(1)) + ins.group(2) + sub(ins.group(3)))
        return out


def pair(a_text, b_text, entry):
    a, b = Kernel(a_text), Kernel(b_text)
    a_body, b_body = a.rename("a"), b.rename("b")
    smem = max(a.shared_b, b.shared_b)
    align = max([al for _, al, _ in a.shared + b.shared] + [16])
    params = [f"    .param .{p[1].lstrip('.')} a_{p[2]}" for p in a.params]
    params += [f"    .param .{p[1].lstrip('.')} b_{p[2]}" for p in b.params]
    params.append("    .param .u32 blocks_a")
    lines = [
        f"// {entry}: GENERATED by scripts/ptxgen/pair.py from {a.entry} (blocks [0, blocks_a)) and",
        f"// {b.entry} (blocks [blocks_a, nctaid)); do not edit. Parameters: {a.entry}'s with the",
        f"// prefix a_, then {b.entry}'s with b_, then blocks_a. Static shared memory: the larger part",
        "// (the parts alias it); dynamic: one array for both (the launch passes the larger size).",
        ".version 8.0",
        ".target sm_80",
        ".address_size 64",
        "",
    ]
    if a.dynamic or b.dynamic:
        dyn_align = max(int(d[0]) for d in a.dynamic + b.dynamic)
        lines.append(f".extern .shared .align {dyn_align} .b8 pair_dyn[];")
        lines.append("")
    lines.append(f".visible .entry {entry}(")
    lines.append(",\n".join(params))
    lines.append(")")
    lines.append("{")
    lines.append("    .reg .b32 %pair_c, %pair_n, %pair_na;")
    lines.append("    .reg .pred %pair_p;")
    if smem:
        lines.append(f"    .shared .align {align} .b8 pair_smem[{smem}];")
    lines += [
        "    mov.u32 %pair_c, %ctaid.x;",
        "    ld.param.u32 %pair_na, [blocks_a];",
        "    setp.ge.u32 %pair_p, %pair_c, %pair_na;",
        "    @%pair_p bra PAIR_B;",
        "    mov.u32 %pair_n, %pair_na;",
    ]
    lines += [("" if s.endswith(":") else "    ") + s for s in a_body]
    lines += [
        "    ret;",
        "PAIR_B:",
        "    sub.u32 %pair_c, %pair_c, %pair_na;",
        "    mov.u32 %pair_n, %nctaid.x;",
        "    sub.u32 %pair_n, %pair_n, %pair_na;",
    ]
    lines += [("" if s.endswith(":") else "    ") + s for s in b_body]
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    a_path, b_path, out = sys.argv[1:4]
    entry = os.path.basename(out).removesuffix(".ptx")
    with open(a_path) as fa, open(b_path) as fb:
        text = pair(fa.read(), fb.read(), entry)
    with open(out, "w") as f:
        f.write(text)
