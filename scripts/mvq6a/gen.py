"""Writes two deeper-pipelined forms of matvec_q6_k_n and matvec_q6_k_nx:

    python3 scripts/mvq6a/gen.py ptx/decode/matvec_q6_k_n.ptx ptx/decode/matvec_q6_k_nx.ptx \
        ptx/decode/matvec_q6_k_na.ptx ptx/decode/matvec_q6_k_nxa.ptx \
        ptx/decode/matvec_q6_k_np.ptx ptx/decode/matvec_q6_k_nxp.ptx

"a" (cp.async stages) and "p" (an L2 prefetch of the warp's whole rows up front); see below.

(tests/ptx_generators.rs checks that the committed files are this script's output). Why: the
source kernels hold one 1680-B chunk (4 Q6_K blocks of each of the warp's two rows) in flight
per warp, loaded into registers while the warp works on the chunk before it, then stored to
the warp's stage. On the residual matvecs that is 8 warps an SM (256 blocks of 4 warps), about
13 KB in flight per SM where the H100's bandwidth x latency wants twice that: ncu has them
latency-bound (no eligible warp in 50-79 % of cycles). Here each warp owns STAGES stages and
keeps STAGES - 1 chunks on their way with cp.async (global -> shared, no registers):

  - before griddepcontrol.wait: chunks 0 .. STAGES-2, one commit group each (weights are never
    written by a kernel, so they may be fetched before the previous grid ends);
  - iteration c: cp.async.wait_group STAGES-2 (chunk c has landed), bar.warp.sync (every lane's
    copies of it, and every lane done with chunk c-1), then chunk c+STAGES-1 into the stage
    chunk c-1 used, one commit group (empty past the row's end), then chunk c's unit as before;
  - the unit's stage pointers (%r200..%r203) move one stage on at the end of each iteration,
    wrapping after the last.

The "p" form keeps the source's register pipeline and, before griddepcontrol.wait, has each
lane issue prefetch.global.L2 for every 32nd 128-B line of both rows past the first chunk: the
whole row pair is requested from DRAM at once, and the chunk loads that follow find it in L2.
Nothing is held for it (no registers, no shared memory; a prefetch is only a hint).

Everything else (parameters, rows, modes, x loads, the unit, reduce, epilogue) is the source's,
line for line."""
import re
import sys

CHUNK_B = 840          # 4 Q6_K blocks of one row
WARP_STAGE_B = 1680    # both rows
STAGES = 3             # 2 chunks in flight; 4 would cost occupancy (27 KB of shared memory a block)
PIECES = [(0, None), (256, None), (512, None), (768, "%p6")]   # lanes 0..8 carry piece 96 + lane


def cut(text, start, end):
    assert text.count(start) == 1, start
    a = text.index(start)
    b = text.index(end, a)
    return text[:a], text[b:]


def copies(dst, dst_off, rd10_off, rd11_off, row0, row1, row1_last):
    """The 8 cp.async of one chunk: row 0 from %rd10, row 1 from %rd11 (+840 in the stage),
    under the predicates of row 0 (None: always), row 1, and (row 0, row 1) for the lanes of
    piece 96 + lane."""
    out = []
    for off, last in PIECES:
        p = row0 if last is None else row1_last[0]
        guard = f"@{p} " if p else ""
        out.append(f"    {guard}cp.async.ca.shared.global [{dst}+{dst_off + off}], [%rd10+{rd10_off + off}], 8;\n")
    for off, last in PIECES:
        p = row1 if last is None else row1_last[1]
        out.append(f"    @{p} cp.async.ca.shared.global [{dst}+{dst_off + CHUNK_B + off}], "
                   f"[%rd11+{rd11_off + off}], 8;\n")
    return "".join(out)


def renamed(src, suffix):
    """(source entry, new entry, the source's header comment, its body renamed) of `src`."""
    text = open(src).read()
    name = re.search(r"\.visible \.entry (matvec_q6_k_nx?)\(", text).group(1)
    new = name + suffix
    body = text[text.index(".version"):]
    body = body.replace(f".visible .entry {name}(", f".visible .entry {new}(")
    return name, new, text[:text.index(".version")], body


def pipelined(src, dst):
    s = STAGES
    name, new, header, body = renamed(src, "a")
    head = (f"// {new}: {name} with its weight chunks fetched {s - 1} ahead by cp.async into {s}\n"
            f"// stages per warp (scripts/mvq6a/gen.py, whose docstring says why and how). The\n"
            f"// source's header, unchanged, follows.\n")

    old_decl = "    .shared .align 16 .b8 stage[6720];   // 4 warps * 2 rows * 840 bytes\n"
    assert body.count(old_decl) == 1
    body = body.replace(old_decl, f"    .shared .align 16 .b8 stage[{6720 * s}];   // 4 warps * {s} stages"
                        " * 2 rows * 840 bytes\n    .reg .b32 %sq<3>;\n    .reg .pred %sp<4>;\n")
    old_warp = "    mul.lo.u32 %r205, %r4, 1680;\n"
    assert body.count(old_warp) == 1
    body = body.replace(old_warp, f"    mul.lo.u32 %r205, %r4, {WARP_STAGE_B * s};          // warp's {s} stages\n")

    # Prologue: chunks 0 .. s-2 into stages 0 .. s-2.
    before, after = cut(body, "    // first chunk's pieces of both rows\n", "    // Under programmatic")
    lines = body[len(before):len(body) - len(after)].splitlines()
    assert len(lines) == 9 and all("ld.global.nc.v2.u32" in l for l in lines[1:]), lines
    pro = [f"    // chunks 0 .. {s - 2} of both rows, one commit group each (chunk 0 always exists)\n"]
    for c in range(s - 1):
        if c == 0:
            preds = (None, "%p10", ("%p6", "%p11"))
        else:
            pro.append(f"    setp.gt.u32 %sp0, %r10, {c};\n")
            pro.append("    and.pred %sp1, %sp0, %p6;\n    and.pred %sp2, %sp0, %p10;\n"
                       "    and.pred %sp3, %sp0, %p11;\n")
            preds = ("%sp0", "%sp2", ("%sp1", "%sp3"))
        block = copies("%r206", c * WARP_STAGE_B, c * CHUNK_B, c * CHUNK_B, *preds)
        pro.append(block)
        pro.append("    cp.async.commit_group;\n")
    pro.append("    mov.u32 %sq0, 0;                     // stage of chunk c\n")
    pro.append(f"    add.u32 %sq2, %r206, {(s - 1) * WARP_STAGE_B};        // where chunk c+{s - 1} goes\n")
    body = before + "".join(pro) + after

    # Loop head: wait for chunk c, then refill the stage chunk c-1 used.
    start = "    st.shared.v2.u32 [%r206+0], {%r210, %r211};\n"
    before, after = cut(body, start, "    shl.b32 %r16, %r12, 2;\n")
    old = body[len(before):len(body) - len(after)]
    assert old.count("ld.global.nc.v2.u32") == 8 and old.count("st.shared.v2.u32") == 8, old
    assert "add.u64 %rd10, %rd10, 840;" in old and "add.u64 %rd11, %rd11, 840;" in old
    ahead = (s - 2) * CHUNK_B   # %rd10 points at chunk c+1 after the adds
    head_code = (f"    cp.async.wait_group {s - 2};                // chunk c has landed (this lane's copies)\n"
                 "    bar.warp.sync -1;                    // ... every lane's; chunk c-1 is done with\n"
                 f"    add.u32 %r13, %r12, {s - 1};\n"
                 f"    setp.lt.u32 %p7, %r13, %r10;         // chunk c+{s - 1} exists\n"
                 "    add.u64 %rd10, %rd10, 840;\n"
                 "    add.u64 %rd11, %rd11, 840;\n"
                 "    and.pred %p8, %p7, %p6;\n    and.pred %p3, %p7, %p10;\n    and.pred %p5, %p7, %p11;\n"
                 + copies("%sq2", 0, ahead, ahead, "%p7", "%p3", ("%p8", "%p5"))
                 + "    cp.async.commit_group;               // empty past the row's end: counts stay even\n")
    body = before + head_code + after

    # Loop end: the unit's pointers move to the next stage; this one is refilled next.
    old_next = "NEXT:\n    bar.warp.sync -1;                    // everyone done reading the stage before it is refilled\n"
    assert body.count(old_next) == 1
    step = (f"NEXT:\n    mad.lo.u32 %sq2, %sq0, {WARP_STAGE_B}, %r206;       // this stage takes chunk c+{s}\n"
            "    add.u32 %sq0, %sq0, 1;\n"
            f"    setp.eq.u32 %sp0, %sq0, {s};\n"
            f"    selp.b32 %sq1, 0x{(1 << 32) - (s - 1) * WARP_STAGE_B:08X}, {WARP_STAGE_B}, %sp0;  // back {s - 1} or on 1\n"
            "    selp.u32 %sq0, 0, %sq0, %sp0;\n"
            + "".join(f"    add.u32 %r20{i}, %r20{i}, %sq1;\n" for i in range(4)))
    body = body.replace(old_next, step)
    loop = body[body.index("LOOP:"):body.index("REDUCE:")]
    for i in range(4):
        writes = re.findall(rf"^\s+(?:@\S+\s+)?[a-z][\w.]*\s+%r20{i},", loop, re.M)
        assert len(writes) == 1, (i, writes)   # only the stage step
    assert "ld.global.nc.v2.u32" not in body and "st.shared.v2.u32" not in body
    open(dst, "w").write(head + header + body)


def prefetched(src, dst):
    name, new, header, body = renamed(src, "p")
    head = (f"// {new}: {name} with an L2 prefetch of the warp's two rows past their first chunk\n"
            f"// before griddepcontrol.wait (scripts/mvq6a/gen.py, whose docstring says why). The\n"
            f"// source's header, unchanged, follows.\n")
    decl = "    .reg .b16 %h<4>;\n"
    assert body.count(decl) == 1
    body = body.replace(decl, decl + "    .reg .b64 %pf<4>;\n    .reg .pred %pfp;\n")
    wait = "    griddepcontrol.wait;\n"
    assert body.count(wait) == 1
    # %rd4: row 0's start; %rd11: this lane's piece of row 1 (row 1's start + 8 lane); %r11: row
    # bytes; %p10: row 1 exists.
    pf = ("    // Both rows past the first chunk into L2, lane l taking lines 6 + l, 6 + l + 32, ..\n"
          f"    mul.wide.u32 %pf0, %r5, 128;\n"
          f"    add.u64 %pf0, %pf0, {768};\n"
          "    cvt.u64.u32 %pf1, %r11;\n"
          "    mul.wide.u32 %pf2, %r5, 8;\n"
          "    sub.u64 %pf2, %rd11, %pf2;          // row 1's start\n"
          "PF_LOOP:\n"
          "    setp.ge.u64 %pfp, %pf0, %pf1;\n"
          "    @%pfp bra PF_DONE;\n"
          "    add.u64 %pf3, %rd4, %pf0;\n"
          "    prefetch.global.L2 [%pf3];\n"
          "    add.u64 %pf3, %pf2, %pf0;\n"
          "    @%p10 prefetch.global.L2 [%pf3];\n"
          "    add.u64 %pf0, %pf0, 4096;\n"
          "    bra PF_LOOP;\n"
          "PF_DONE:\n")
    body = body.replace(wait, pf + wait)
    for reg in ("%rd4", "%rd11", "%r11", "%p10", "%r5"):
        assert body.index(reg) < body.index("PF_LOOP:"), reg   # set before the prefetch
    open(dst, "w").write(head + header + body)


src_n, src_nx, dst_na, dst_nxa, dst_np, dst_nxp = sys.argv[1:7]
pipelined(src_n, dst_na)
pipelined(src_nx, dst_nxa)
prefetched(src_n, dst_np)
prefetched(src_nx, dst_nxp)
