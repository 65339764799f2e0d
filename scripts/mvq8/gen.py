"""Writes ptx/decode/matvec_{q8_0_f,q4_k_f,q4_k_x,q4_k_d,q4_k_d16}.ptx: python3 scripts/mvq8/gen.py
scripts/mvq8/header_q8_0_f.txt scripts/mvq8/header_q4_k_f.txt scripts/mvq8/header_q4_k_x.txt
scripts/mvq8/header_q4_k_d.txt scripts/mvq8/header_q4_k_d16.txt ptx/decode/matvec_q8_0_f.ptx
ptx/decode/matvec_q4_k_f.ptx ptx/decode/matvec_q4_k_x.ptx ptx/decode/matvec_q4_k_d.ptx
ptx/decode/matvec_q4_k_d16.ptx
(tests/ptx_generators.rs checks that the committed files are this script's output)."""
import os
import sys

# shared PTX pieces (scripts/ptxgen/snippets.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ptxgen"))
from snippets import (FUSED_MATVEC_PARAMS, butterfly_sum, bytes_to_f32,  # noqa: E402
                      cvta_global_lines, ld_param_lines, param_decls, silu_gate_times_up)

def pair_rows(dst_a, dst_b, pair):
    """The two rows of row pair `pair`: 2 pair and 2 pair + 1; glu: gate row pair and up row
    pair + rows/2."""
    return f"""    shl.b32 {dst_a}, {pair}, 1;
    add.u32 {dst_b}, {dst_a}, 1;
    @p_glu mov.u32 {dst_a}, {pair};
    @p_glu add.u32 {dst_b}, {pair}, half;
"""


def issue(n, cfg, ahead):
    """cp.async the chunk at the issue cursor (chunk ic of row pair iw) into stage (gc + ahead) & 3
    (the cursor is `ahead` chunks past the one in use, gc), commit, and move the cursor on (to
    this warp's next pair, iw + 4 nctaid, after the last chunk)."""
    BB, ROWSTAGE, STAGE = cfg["BB"], cfg["ROWSTAGE"], cfg["STAGE"]
    piece = "mul.lo.u32 pc, nb, 9;" if BB == 144 else "mul.lo.u32 pc, nb, 17;\n    shr.u32 pc, pc, 3;"
    return f"""    // issue the cursor's chunk (if its pair exists) into stage (gc + {ahead}) & 3: {ROWSTAGE} bytes of row A, then of row B
    setp.ge.u32 p_x, iw, need;
    @p_x bra ISSUED_{n};
    mul.lo.u32 cb, ic, {cfg['CHB']};
    sub.u32 nb, nblk, cb;
    min.u32 nb, nb, {cfg['CHB']};
    {piece}                          // 16-byte pieces per row
    selp.u32 pc2, pc, 0, p_ib;
    add.u32 pc2, pc2, pc;                // pieces of both rows (row B only if it exists)
    mul.lo.u32 t0, cb, {BB};
    cvt.u64.u32 srcoff, t0;
    add.u32 t0, gc, {ahead};
    and.b32 t0, t0, 3;
    mad.lo.u32 dst0, t0, {STAGE}, wst;
    mov.u32 i, lane;
ILOOP_{n}:
    setp.ge.u32 p_x, i, pc2;
    @p_x bra NEXTC_{n};
    setp.ge.u32 p_y, i, pc;
    sub.u32 t0, i, pc;
    selp.u32 t0, t0, i, p_y;             // piece inside its row
    shl.b32 t0, t0, 4;
    selp.b64 src, wB, wA, p_y;
    add.u64 src, src, srcoff;
    cvt.u64.u32 t64, t0;
    add.u64 src, src, t64;
    selp.u32 t1, {ROWSTAGE}, 0, p_y;
    add.u32 t1, t1, dst0;
    add.u32 t1, t1, t0;
    cp.async.cg.shared.global [t1], [src], 16;
    add.u32 i, i, 32;
    bra ILOOP_{n};
NEXTC_{n}:
    add.u32 ic, ic, 1;
    setp.lt.u32 p_x, ic, nch;
    @p_x bra ISSUED_{n};
    mov.u32 ic, 0;                       // the pair's last chunk: on to this warp's next pair
{pair_step("iw")}{issue_rows(cfg['BB'])}ISSUED_{n}:
    cp.async.commit_group;
"""


def pair_step(reg):
    """reg += the grid's warp count (4 nctaid): a warp's next row pair, whatever the grid size."""
    return f"""    mov.u32 t0, %nctaid.x;
    shl.b32 t0, t0, 2;
    add.u32 {reg}, {reg}, t0;
"""


def issue_rows(bb):
    """Row pointers wA, wB and p_ib (row B exists) of the issue cursor's pair iw (`bb` bytes a
    block; the row bytes are recomputed here, one register less through the loop)."""
    return pair_rows("t1", "t2", "iw") + f"""    setp.lt.u32 p_ib, t2, nrows;
    mul.lo.u32 t3, nblk, {bb};               // row bytes
    mul.wide.u32 t64, t1, t3;
    add.u64 wA, wp, t64;
    mul.wide.u32 t64, t2, t3;
    add.u64 wB, wp, t64;
"""


def compute_q8(cfg):
    s = """    // chunk k: 16 blocks per row at st (row A) and st + 544 (row B). Lane takes quarter
    // q = lane & 3 (8 values) of blocks b0 = lane >> 2 and b0 + 8 (if the chunk has them).
"""
    for u in range(2):
        s += f"""    // unit {u}
    add.u32 bi, b0, {8*u};
    setp.ge.u32 p_x, bi, nb;
    @p_x bra UNIT_END_{u};
    shl.b32 t0, k, 9;                    // chunk's first column
    shl.b32 t1, bi, 5;
    add.u32 t0, t0, t1;
    add.u32 t0, t0, q8;                  // unit's first column
    shl.b32 t0, t0, 2;
    add.u32 t0, t0, xs;
    add.u32 t1, t0, h16;
    sub.u32 t2, t0, h16;
    ld.shared.v4.f32 {{xa0, xa1, xa2, xa3}}, [t1];    // values 4h..4h+3 of the unit
    ld.shared.v4.f32 {{xb0, xb1, xb2, xb3}}, [t2+16]; // values 4(1-h)..
"""
        for R, acc, off in (("A", "accA", 0), ("B", "accB", cfg["ROWSTAGE"])):
            s += f"""    // row {R}
    mad.lo.u32 blk, bi, 34, st;
    add.u32 blk, blk, {off};
    ld.shared.b16 hd, [blk];
    add.u32 a, blk, 2;
    add.u32 a, a, q8;                    // this quarter's 8 qs bytes (2-byte aligned)
    and.b32 sh, a, 3;
    shl.b32 sh, sh, 3;                   // 0 or 16
    and.b32 a, a, -4;
    ld.shared.u32 w0, [a];
    ld.shared.u32 w1, [a+4];
    ld.shared.u32 w2, [a+8];
    shf.r.clamp.b32 q0, w0, w1, sh;
    shf.r.clamp.b32 q1, w1, w2, sh;
    selp.b32 qa, q1, q0, p_h;            // word h goes with xa
    selp.b32 qb, q0, q1, p_h;
    xor.b32 qa, qa, 0x80808080;          // s8 b -> u8 b + 128
    xor.b32 qb, qb, 0x80808080;
"""
            s += bytes_to_f32("va", "qa", "0f4B000080") + bytes_to_f32("vb", "qb", "0f4B000080")
            s += """    mul.f32 dot, va0, xa0;
    fma.rn.f32 dot, va1, xa1, dot;
    fma.rn.f32 dot, va2, xa2, dot;
    fma.rn.f32 dot, va3, xa3, dot;
    fma.rn.f32 dot, vb0, xb0, dot;
    fma.rn.f32 dot, vb1, xb1, dot;
    fma.rn.f32 dot, vb2, xb2, dot;
    fma.rn.f32 dot, vb3, xb3, dot;
    cvt.f32.f16 dd, hd;
"""
            s += f"    fma.rn.f32 {acc}, dd, dot, {acc};\n"
        s += f"UNIT_END_{u}:\n"
    return s

def nibbles_to_f32(dst, word):
    """The 4 bytes of `word` (each a nibble n at bits 3..6, the rest 0) -> floats {dst}0..3 =
    1/2 + n/32, exactly: byte k into byte 2 of 0x3F000000 (2^-1 (1 + n/16)), one prmt each and
    no sub (the 1/2 per value comes off with the fma chain's start, -1/2 sum x)."""
    return "".join(f"    prmt.b32 {dst}{k}, {word}, 0x3F000000, 0x7{k}44;\n" for k in range(4))


# matvec_q4_k_x: the unit's two xsum loads (before its x vectors) and its dot/min combination.
XSUM_LOADS = """    // -1/2 sum of x over the unit's two 16-column runs (groups t0 / 16 and t0 / 16 + 2), staged
    // with x: the fma chains start from them (sum (1/2 + q/32) x - 1/2 sum x = sum q x / 32)
    shr.u32 t1, t0, 2;
    mov.u32 t2, xsum;
    add.u32 t1, t1, t2;
    ld.shared.f32 sxl, [t1];
    ld.shared.f32 sxh, [t1+8];
"""
XSUM_SCALE = """    fma.rn.f32 sl, shh, sc1, sl;         // sum sc sum(q x) / 32
    mul.f32 t5, sxl, m0;
    fma.rn.f32 t5, sxh, m1, t5;          // -sum m sum(x) / 2
    mul.f32 dm, dm, 0f3D800000;          // dmin / 16: the sum is the true one / 32 (rs has the 32)
"""
# matvec_q4_k_f: q exact by prmt into 2^23 and a sub, sum x by adds in the unit.
PLAIN_SCALE = """    fma.rn.f32 sl, shh, sc1, sl;         // sum sc sum(q x)
    mul.f32 t5, sxl, m0;
    fma.rn.f32 t5, sxh, m1, t5;          // sum m sum(x)
"""


def scale_min_decode_one(sh, sh_p4, sh_p6, sc, m):
    """Scale and min of the sub-block at byte shift `sh` of its scale word (see
    SCALE_MIN_DECODE) into the floats `sc` and `m`."""
    return f"""    bfe.u32 t0, h1, {sh}, 6;
    bfe.u32 t1, h2, {sh}, 6;
    bfe.u32 t2, h3, {sh}, 4;
    bfe.u32 t3, h1, {sh_p6}, 2;
    bfi.b32 t2, t3, t2, 4, 2;
    bfe.u32 t3, h3, {sh_p4}, 4;
    bfe.u32 t4, h2, {sh_p6}, 2;
    bfi.b32 t3, t4, t3, 4, 2;
    selp.u32 t0, t0, t2, p_lo;
    selp.u32 t1, t1, t3, p_lo;
    cvt.rn.f32.u32 {sc}, t0;
    cvt.rn.f32.u32 {m}, t1;
"""


SCALE_MIN_DECODE = """    // 6-bit scale/min of sub-blocks j0 = 2 c4 and j1 = 2 c4 + 1 (ggml get_scale_min_k4):
    // j < 4: low 6 bits of bytes j (scale) and j + 4 (min); j >= 4: low/high nibble of byte
    // j + 4 with the top 2 bits from bytes j - 4 (scale) and j (min).
""" + scale_min_decode_one("sh0", "sh0p4", "sh0p6", "sc0", "m0") + \
    scale_min_decode_one("sh1", "sh1p4", "sh1p6", "sc1", "m1")


# The Q4_K unit's opening, shared by the f32-x and integer-x units: which block and half of the
# chunk this lane takes, and the chunk's first column.
Q4K_CHUNK_HEAD = """    // chunk k: 4 blocks per row at st (row A) and st + 576 (row B). Lane takes block
    // bi = lane >> 3, part = lane & 7: chunk c4 = part >> 1 (64 values), half hf = part & 1:
    // qs bytes 32 c4 + 16 hf .. +16, low nibbles = values 64 c4 + 16 hf + i of sub-block 2 c4,
    // high nibbles = the same + 32 (sub-block 2 c4 + 1).
    setp.ge.u32 p_x, bi, nb;
    @p_x bra UNIT_END;
    shl.b32 t0, k, 10;                   // chunk's first column
"""


def q4k_row_loads(R, off):
    """Row R's block header (d, dmin, scales) and this lane's 16 qs bytes, from shared memory."""
    return f"""    // row {R}
    mad.lo.u32 blk, bi, 144, st;
    add.u32 blk, blk, {off};
    ld.shared.v4.u32 {{h0, h1, h2, h3}}, [blk];   // d|dmin, scales[0..12]
    add.u32 a, blk, qoff;
    ld.shared.v4.u32 {{q0, q1, q2, q3}}, [a];     // 16 qs bytes
"""


def compute_q4k(cfg):
    s = Q4K_CHUNK_HEAD + """    add.u32 t0, t0, colu;                // + 256 bi + 64 c4 + 16 hf
""" + (XSUM_LOADS if cfg["xsum"] else "") + """    shl.b32 t0, t0, 2;
    add.u32 xl, t0, xs;
    // x vectors in the order v_i = (i + c4) & 3, so the 8 lanes of a shared-memory phase hit 8
    // distinct 16-byte bank groups (unrotated: 4-way conflicts, 256 c4 = 0 mod 128).
"""
    for i in range(4):
        s += f"""    add.u32 t0, c4, {i};
    and.b32 t0, t0, 3;
    shl.b32 t0, t0, 4;
    add.u32 t0, t0, xl;
    ld.shared.v4.f32 {{xl{i}0, xl{i}1, xl{i}2, xl{i}3}}, [t0];
    ld.shared.v4.f32 {{xh{i}0, xh{i}1, xh{i}2, xh{i}3}}, [t0+128];
"""
    if not cfg["xsum"]:
        s += "    add.f32 sxl, xl00, xl01;\n    add.f32 sxh, xh00, xh01;\n"
        for i in range(4):
            for j in range(4):
                if i == 0 and j < 2:
                    continue
                s += f"    add.f32 sxl, sxl, xl{i}{j};\n    add.f32 sxh, sxh, xh{i}{j};\n"
    for R, acc, off in (("A", "accA", 0), ("B", "accB", cfg["ROWSTAGE"])):
        s += q4k_row_loads(R, off) + f"""    // rotate the words by c4 to match the x order: r_i = q_((i + c4) & 3)
    selp.b32 r0, q1, q0, p_c1;
    selp.b32 r1, q2, q1, p_c1;
    selp.b32 r2, q3, q2, p_c1;
    selp.b32 r3, q0, q3, p_c1;
    selp.b32 q0, r2, r0, p_c2;
    selp.b32 q1, r3, r1, p_c2;
    selp.b32 q2, r0, r2, p_c2;
    selp.b32 q3, r1, r3, p_c2;
"""
        if not cfg["xsum"]:
            s += "    mov.f32 sl, 0f00000000;\n    mov.f32 shh, 0f00000000;\n"
        for i in range(4):
            if cfg["xsum"]:
                s += f"""    shl.b32 lo, q{i}, 3;
    and.b32 lo, lo, 0x78787878;          // low nibbles to bits 3..6 of their bytes
    shr.u32 hi, q{i}, 1;
    and.b32 hi, hi, 0x78787878;          // high nibbles likewise
"""
                s += nibbles_to_f32("vl", "lo") + nibbles_to_f32("vh", "hi")
            else:
                s += f"    and.b32 lo, q{i}, 0x0F0F0F0F;\n    shr.u32 hi, q{i}, 4;\n    and.b32 hi, hi, 0x0F0F0F0F;\n"
                s += bytes_to_f32("vl", "lo", "0f4B000000") + bytes_to_f32("vh", "hi", "0f4B000000")
            for j in range(4):
                first = cfg["xsum"] and i == 0 and j == 0
                al, ah = ("sxl", "sxh") if first else ("sl", "shh")
                s += f"    fma.rn.f32 sl, vl{j}, xl{i}{j}, {al};\n    fma.rn.f32 shh, vh{j}, xh{i}{j}, {ah};\n"
        decode = SCALE_MIN_WORDS if cfg.get("scale_words") else SCALE_MIN_DECODE
        s += decode + """    mov.b32 {hd, hm}, h0;
    cvt.f32.f16 dd, hd;
    cvt.f32.f16 dm, hm;
    mul.f32 sl, sl, sc0;
"""
        s += XSUM_SCALE if cfg["xsum"] else PLAIN_SCALE
        if cfg["xsum"]:
            s += f"    fma.rn.f32 {acc}, dd, sl, {acc};\n    fma.rn.f32 {acc}, dm, t5, {acc};\n"
        else:
            s += f"    fma.rn.f32 {acc}, dd, sl, {acc};\n    neg.f32 dm, dm;\n    fma.rn.f32 {acc}, dm, t5, {acc};\n"
    s += "UNIT_END:\n"
    return s

# 16-byte x vectors each thread stages per trip of XLOOP (registers: 4 per vector for x, 4 for
# norm_w; the trip's loads all go out before the first is used).
X_UNROLL = 4
X_REGS = ["n0, n1, n2, n3", "xa0, xa1, xa2, xa3", "xb0, xb1, xb2, xb3", "va0, va1, va2, va3"]
W_REGS = ["vb0, vb1, vb2, vb3", "vl0, vl1, vl2, vl3", "vh0, vh1, vh2, vh3", "xl00, xl01, xl02, xl03"]


def x_trip(xsum, xbits=0):
    """One XLOOP trip: vector j of the trip is i + 128 j, in range under p_v<j> (p_v0 is the loop
    test's), its norm weights loaded under p_w<j> (in range and the norm fused). `xsum`: also
    -1/2 the sum of every 16 staged values into xsum (threads 4g..4g+3 of a warp stage the 4
    vectors of 16-column group g: the sum of each thread's 4 values, 2 xor shuffles, and lane
    4g's store, t2 = xsum + i). `xbits` 8 or 16 (matvec_q4_k_d, _d16): x * norm_w is stored as
    int8 / int16 with one f32 scale per 32 columns (xd) instead of as f32, and xsum holds minus
    the sum (not -1/2)."""
    out = ["    setp.lt.u32 p_v0, i, n4;"]
    for j in range(1, X_UNROLL):
        out.append(f"    add.u32 t1, i, {128 * j};")
        out.append(f"    setp.lt.u32 p_v{j}, t1, n4;")
    for j in range(X_UNROLL):
        out.append(f"    and.pred p_w{j}, p_v{j}, p_nw;")
    for j in range(X_UNROLL):
        xr, wr = X_REGS[j].split(", "), W_REGS[j].split(", ")
        if j:  # vector 0 is in range: loaded and stored unguarded
            out += [f"    mov.f32 {r}, 0f00000000;" for r in xr]
        out += [f"    mov.f32 {r}, 0f3F800000;" for r in wr]
    for j in range(X_UNROLL):
        guard = f"@p_v{j} " if j else ""
        out.append(f"    {guard}ld.global.nc.v4.f32 {{{X_REGS[j]}}}, [ga+{2048 * j}];")
    for j in range(X_UNROLL):
        out.append(f"    @p_w{j} ld.global.nc.v4.f32 {{{W_REGS[j]}}}, [src+{2048 * j}];")
    # vector i's place in xs: 16 bytes of f32, 4 of int8, 8 of int16 (int16: at vector i ^ xsw,
    # the swizzle of X16_SWIZZLE)
    shift = {0: 4, 8: 2, 16: 3}[xbits]
    if xbits == 16:
        out += ["    xor.b32 t0, i, xsw;", f"    shl.b32 t0, t0, {shift};", "    add.u32 t0, t0, xs;"]
    else:
        out += [f"    shl.b32 t0, i, {shift};", "    add.u32 t0, t0, xs;"]
    for j in range(X_UNROLL):
        xr, wr = X_REGS[j].split(", "), W_REGS[j].split(", ")
        out += [f"    fma.rn.f32 ssq, {x}, {x}, ssq;" for x in xr]
        out += [f"    mul.f32 {x}, {x}, {w};" for x, w in zip(xr, wr)]
        if not xbits:
            guard = f"@p_v{j} " if j else ""
            out.append(f"    {guard}st.shared.v4.f32 [t0+{2048 * j}], {{{X_REGS[j]}}};")
    if xbits:
        out += xint_stage(xbits)
    if xsum:
        out.append("    // xsum: vector v's group v / 4 is held by 4 threads of this warp: sum of 4, xor 1, xor 2;")
        out.append("    // the first of the 4 stores -1/2 the group's sum (no other reader before the bar.sync)")
        for j in range(X_UNROLL):
            x0, x1, x2, x3 = X_REGS[j].split(", ")
            out += [f"    add.f32 xg{j}, {x0}, {x1};", f"    add.f32 xo{j}, {x2}, {x3};",
                    f"    add.f32 xg{j}, xg{j}, xo{j};"]
        for m in (1, 2):
            for j in range(X_UNROLL):
                out += [f"    shfl.sync.bfly.b32 xo{j}, xg{j}, {m}, 31, -1;",
                        f"    add.f32 xg{j}, xg{j}, xo{j};"]
        out += ["    mov.u32 t2, xsum;", "    add.u32 t2, t2, i;"]
        for j in range(1, X_UNROLL):
            out.append(f"    and.pred p_s{j}, p_v{j}, p_q;")
        factor = "0fBF800000" if xbits else "0fBF000000"  # -1 or -1/2
        for j in range(X_UNROLL):
            out.append(f"    mul.f32 xg{j}, xg{j}, {factor};")
            out.append(f"    @p_{f's{j}' if j else 'q'} st.shared.f32 [t2+{128 * j}], xg{j};")
    return "\n".join(out)


# x as integers (matvec_q4_k_d: int8, matvec_q4_k_d16: int16): the largest magnitude, 127 or
# 32767; f32 of it, of its reciprocal, and the bytes a vector of 4 takes in xs.
XINT = {8: dict(qmax="0f42FE0000", rcp="0f3C010204", what="127", vec_b=4),
        16: dict(qmax="0f46FFFE00", rcp="0f38000100", what="32767", vec_b=8)}


def xint_stage(bits):
    """The x quantization of matvec_q4_k_d (bits 8) / _d16 (16), in the XLOOP trip after x *
    norm_w: each 32-column block (8 vectors, threads 8b..8b+7 of a warp) gets d = amax / Q and
    q = rni(v * (Q / amax)), Q = 127 or 32767 (amax clamped at 1e-30, so a block of zeros gives
    q = 0): max of |v| over the thread's 4 values and 3 xor shuffles; the 4 q of a vector packed
    (int8: 3 prmt into one word; int16: 2 prmt into two) at xs + vec_b v; lane 8b's store of d
    at xd + 4 (v / 8). The CPU model of this is `engine::reference::quantize_x_int_32` (the same
    f32 operations, so the same q)."""
    c = XINT[bits]
    out = []
    for j in range(X_UNROLL):
        x0, x1, x2, x3 = X_REGS[j].split(", ")
        out += [f"    abs.f32 am{j}, {x0};", f"    abs.f32 ao{j}, {x1};", f"    max.f32 am{j}, am{j}, ao{j};",
                f"    abs.f32 ao{j}, {x2};", f"    max.f32 am{j}, am{j}, ao{j};",
                f"    abs.f32 ao{j}, {x3};", f"    max.f32 am{j}, am{j}, ao{j};"]
    for m in (1, 2, 4):
        for j in range(X_UNROLL):
            out += [f"    shfl.sync.bfly.b32 ao{j}, am{j}, {m}, 31, -1;",
                    f"    max.f32 am{j}, am{j}, ao{j};"]
    out += ["    mov.u32 t3, xd;", "    shr.u32 t1, i, 3;", "    shl.b32 t1, t1, 2;",
            "    add.u32 t3, t3, t1;                // xd + 4 (i / 8): the block's scale"]
    for j in range(1, X_UNROLL):
        out.append(f"    and.pred p_d{j}, p_v{j}, p_d;")
    for j in range(X_UNROLL):
        out.append(f"    max.f32 am{j}, am{j}, 0f0DA24260;      // amax, at least 1e-30")
        out.append(f"    div.rn.f32 iv, {c['qmax']}, am{j};     // {c['what']} / amax")
        for k, x in enumerate(X_REGS[j].split(", ")):
            out += [f"    mul.f32 qf, {x}, iv;", f"    cvt.rni.s32.f32 qq{k}, qf;"]
        guard = f"@p_v{j} " if j else ""
        at = 128 * c["vec_b"] * j
        if bits == 8:
            out += ["    prmt.b32 qq0, qq0, qq1, 0x0040;     // bytes q0 q1 . .",
                    "    prmt.b32 qq2, qq2, qq3, 0x0040;",
                    "    prmt.b32 qq0, qq0, qq2, 0x5410;     // q0 q1 q2 q3",
                    f"    {guard}st.shared.b32 [t0+{at}], qq0;"]
        else:
            out += ["    prmt.b32 qq0, qq0, qq1, 0x5410;     // q0 q1 as int16",
                    "    prmt.b32 qq2, qq2, qq3, 0x5410;     // q2 q3",
                    f"    {guard}st.shared.v2.b32 [t0+{at}], {{qq0, qq2}};"]
        out.append(f"    mul.f32 am{j}, am{j}, {c['rcp']};      // d = amax / {c['what']}")
        out.append(f"    @p_d{j if j else ''} st.shared.f32 [t3+{64 * j}], am{j};")
    return out


# matvec_q4_k_d's scale/min decode: four sub-blocks' scales (and mins) at once as bytes of a
# word, then the lane's two picked by prmt with lane-constant selectors (the per-byte bfe/bfi of
# SCALE_MIN_DECODE, with shifts in registers, took ptxas ~50 instructions a row).
SCALE_MIN_WORDS = """    // 6-bit scales and mins of sub-blocks 0-3 or 4-7 (the lane's half, p_lo) as the 4 bytes of a
    // word (ggml get_scale_min_k4, four at a time): j < 4: scales[j] & 63, scales[j + 4] & 63;
    // j >= 4: the low / high nibble of scales[j + 4] under the top 2 bits of scales[j - 4] /
    // scales[j]. Bitselect (lop3 0xE4: a & c | b & ~c) of the nibble and top-bit sources, & 63.
    shr.u32 t0, h1, 2;
    selp.b32 t1, h1, h3, p_lo;
    selp.b32 t0, h1, t0, p_lo;
    lop3.b32 t0, t1, t0, 0x0F0F0F0F, 0xE4;
    and.b32 t0, t0, 0x3F3F3F3F;          // 4 scales
    shr.u32 t2, h3, 4;
    shr.u32 t3, h2, 2;
    selp.b32 t2, h2, t2, p_lo;
    selp.b32 t3, h2, t3, p_lo;
    lop3.b32 t2, t2, t3, 0x0F0F0F0F, 0xE4;
    and.b32 t2, t2, 0x3F3F3F3F;          // 4 mins
    prmt.b32 t1, t0, 0, ssel0;           // sub-block 2 c4's byte
    cvt.rn.f32.u32 sc0, t1;
    prmt.b32 t1, t0, 0, ssel1;           // 2 c4 + 1's
    cvt.rn.f32.u32 sc1, t1;
    prmt.b32 t1, t2, 0, ssel0;
    cvt.rn.f32.u32 m0, t1;
    prmt.b32 t1, t2, 0, ssel1;
    cvt.rn.f32.u32 m1, t1;
"""

# A Q4_K unit lane's place in its chunk (every Q4_K kernel's lane setup starts with it).
Q4_LANE_PLACE = """    // lane's place in a chunk: block bi = lane >> 3, part = lane & 7: c4 = part >> 1, hf = part & 1
    shr.u32 bi, lane, 3;
    and.b32 t0, lane, 7;
    shr.u32 c4, t0, 1;
    and.b32 hf, t0, 1;
    shl.b32 colu, bi, 8;
    shl.b32 t1, c4, 6;
    add.u32 colu, colu, t1;
    shl.b32 t1, hf, 4;
    add.u32 colu, colu, t1;              // 256 bi + 64 c4 + 16 hf
    shl.b32 qoff, t0, 4;
    add.u32 qoff, qoff, 16;              // 16 + 32 c4 + 16 hf: the unit's qs bytes in the block
"""
# The lane's two sub-blocks' bytes in SCALE_MIN_WORDS's scale/min words (prmt selectors).
Q4_LANE_SSEL = """    and.b32 t1, c4, 1;
    shl.b32 t1, t1, 1;                   // their bytes in the scale/min words: 2 (c4 & 1), + 1
    or.b32 ssel0, t1, 0x4440;            // prmt: that byte alone (the others from the 0 operand)
    add.u32 ssel1, ssel0, 1;"""
Q4D_LANE = Q4_LANE_PLACE + """    setp.lt.u32 p_lo, c4, 2;             // sub-blocks 2 c4, 2 c4 + 1 < 4
""" + Q4_LANE_SSEL


def compute_q4k_d(cfg):
    """matvec_q4_k_d's unit: the lane's 16 qs bytes of each row against the int8 x of its two
    16-column runs by dp4a (low nibbles masked in place, high nibbles masked in place = 16 q),
    4 + 4 per row; the two integer sums times their runs' x scales (the high one / 16), then
    the sub-block scales and d, and the min term from xsum as in matvec_q4_k_x. With int16 x
    (matvec_q4_k_d16) the same with dp2a, two per qs word (its low and high byte pairs against
    two words of x), 8 + 8 per row."""
    x16 = cfg["xbits"] == 16
    if x16:
        # the four 16-byte chunks at the lane's swizzled places (X16_SWIZZLE: xc0..xc3)
        x_loads = """    shl.b32 xl, t0, 1;
    add.u32 xl, xl, xs;
    add.u32 t1, xl, xc0;
    ld.shared.v4.b32 {xq0, xq1, xq2, xq3}, [t1];        // int16 x of the low run
    add.u32 t1, xl, xc1;
    ld.shared.v4.b32 {xq4, xq5, xq6, xq7}, [t1];
    add.u32 t1, xl, xc2;
    ld.shared.v4.b32 {xq8, xq9, xq10, xq11}, [t1];      // and of the high run
    add.u32 t1, xl, xc3;
    ld.shared.v4.b32 {xq12, xq13, xq14, xq15}, [t1];
"""
    else:
        x_loads = """    add.u32 xl, t0, xs;
    ld.shared.v4.b32 {xq0, xq1, xq2, xq3}, [xl];      // int8 x of the low run
    ld.shared.v4.b32 {xq4, xq5, xq6, xq7}, [xl+32];   // and of the high run
"""
    s = Q4K_CHUNK_HEAD + """    add.u32 t0, t0, colu;                // + 256 bi + 64 c4 + 16 hf: the low run's first column
    // minus the sums of x over the two runs (groups t0 / 16 and t0 / 16 + 2), staged with x
    shr.u32 t1, t0, 2;
    mov.u32 t2, xsum;
    add.u32 t1, t1, t2;
    ld.shared.f32 sxl, [t1];
    ld.shared.f32 sxh, [t1+8];
    // the runs' x scales: 32-column blocks t0 / 32 (even) and t0 / 32 + 1
    shr.u32 t1, t0, 5;
    shl.b32 t1, t1, 2;
    mov.u32 t2, xd;
    add.u32 t1, t1, t2;
    ld.shared.v2.f32 {dxl, dxh}, [t1];
    mul.f32 dxh, dxh, 0f3D800000;        // / 16: the high nibbles are used in place (16 q)
""" + x_loads
    for R, acc, off in (("A", "accA", 0), ("B", "accB", cfg["ROWSTAGE"])):
        s += q4k_row_loads(R, off)
        for i in range(4):
            lo_c, hi_c = ("0", "0") if i == 0 else ("il", "ih")
            s += f"""    and.b32 lo, q{i}, 0x0F0F0F0F;
    and.b32 hi, q{i}, 0xF0F0F0F0;
"""
            if x16:
                s += f"""    dp2a.lo.s32.u32 il, xq{2 * i}, lo, {lo_c};
    dp2a.hi.s32.u32 il, xq{2 * i + 1}, lo, il;
    dp2a.lo.s32.u32 ih, xq{2 * i + 8}, hi, {hi_c};
    dp2a.hi.s32.u32 ih, xq{2 * i + 9}, hi, ih;
"""
            else:
                s += f"""    dp4a.u32.s32 il, lo, xq{i}, {lo_c};
    dp4a.u32.s32 ih, hi, xq{i + 4}, {hi_c};
"""
        s += """    cvt.rn.f32.s32 sl, il;
    cvt.rn.f32.s32 shh, ih;
    mul.f32 sl, sl, dxl;                 // sum q x of the low run
    mul.f32 shh, shh, dxh;               // and of the high run
""" + SCALE_MIN_WORDS + f"""    mov.b32 {{hd, hm}}, h0;
    cvt.f32.f16 dd, hd;
    cvt.f32.f16 dm, hm;
    mul.f32 sl, sl, sc0;
    fma.rn.f32 sl, shh, sc1, sl;         // sum sc sum(q x)
    mul.f32 t5, sxl, m0;
    fma.rn.f32 t5, sxh, m1, t5;          // -sum m sum(x)
    fma.rn.f32 {acc}, dd, sl, {acc};
    fma.rn.f32 {acc}, dm, t5, {acc};
"""
    s += "UNIT_END:\n"
    return s


RS_INIT = "    mov.f32 rs, 0f3F800000;              // 1 / rms; 1 without the norm\n"


def kernel(cfg):
    name = cfg["name"]
    load_params = "\n".join(ld_param_lines(FUSED_MATVEC_PARAMS)
                            + cvta_global_lines(("yp", "wp", "xp")))
    n = cfg
    body = []
    body.append(f"""{cfg['header']}.version 8.0
.target sm_80
.address_size 64

.extern .shared .align 16 .b8 xs_dyn[];  // {cfg.get('xs_what', 'x (normalised), f32[cols]; launch shared_b = 4 cols')}

.visible .entry {name}(
{param_decls(FUSED_MATVEC_PARAMS)}
){cfg['maxnreg']}
{{
    .reg .pred p_a, p_b, p_x, p_y, p_h, p_c1, p_c2, p_lo, p_glu, p_acc, p_v<4>, p_w<4>, p_nw, p_ib;
    .reg .b32 nrows, ncols, md, tid, lane, warp, wid, half, need, rowA, rowB, nblk, nch, wst,
        xs, cb, nb, pc, pc2, dst0, i, k, st, n4, t0, t1, t2, t3, t4, b0, bi, q8, h16, blk, a,
        sh, w0, w1, w2, q0, q1, q2, q3, qa, qb, r0, r1, r2, r3, h0, h1, h2, h3, lo, hi, c4, hf,
        colu, qoff, xl, sh0, sh1, sh0p4, sh0p6, sh1p4, sh1p6, iw, ic, gc;
    .reg .b64 yp, wp, xp, nwp, wA, wB, src, srcoff, t64, ga;
    .reg .f32 epsv, accA, accB, ssq, tot, rs, e, g, dot, dd, dm, sl, shh, sxl, sxh, sc0, sc1, m0,
        m1, t5, y0, y1, xa0, xa1, xa2, xa3, xb0, xb1, xb2, xb3, va0, va1, va2, va3, vb0, vb1,
        vb2, vb3, vl0, vl1, vl2, vl3, vh0, vh1, vh2, vh3, n0, n1, n2, n3;
    .reg .f32 xl00, xl01, xl02, xl03, xl10, xl11, xl12, xl13, xl20, xl21, xl22, xl23, xl30,
        xl31, xl32, xl33, xh00, xh01, xh02, xh03, xh10, xh11, xh12, xh13, xh20, xh21, xh22, xh23,
        xh30, xh31, xh32, xh33;
    .reg .b16 hd, hm;
    .shared .align 16 .b8 wstage[{4*cfg['WARPSTAGE'] + 16}];  // 4 warps x 4 stages x 2 rows x {cfg['ROWSTAGE']} B (+16: the last 3-word read)
    .shared .align 4 .f32 red[4];
{cfg.get('decl', '')}
{load_params}

    mov.u32 tid, %tid.x;
    and.b32 lane, tid, 31;
    shr.u32 warp, tid, 5;
    mov.u32 t0, %ctaid.x;
    mad.lo.u32 wid, t0, 4, warp;         // first row pair of this warp, then every 4 nctaid-th
    setp.eq.u32 p_glu, md, 2;
    setp.eq.u32 p_acc, md, 1;
    shr.u32 half, nrows, 1;
    add.u32 need, nrows, 1;
    shr.u32 need, need, 1;               // row pairs (rows even in glu mode: rows / 2)
    setp.lt.u32 p_a, wid, need;          // warps past the end issue nothing (they still stage x)
    shr.u32 nblk, ncols, {cfg['BLKSHIFT']};              // blocks per row
    add.u32 nch, nblk, {cfg['CHB'] - 1};
    shr.u32 nch, nch, {cfg['CHSHIFT']};              // chunks per row
    mov.u32 wst, wstage;
    mad.lo.u32 wst, warp, {cfg['WARPSTAGE']}, wst;   // this warp's 4 stages
    // The warp's chunks, pair after pair, are one stream through the 4-stage ring: the issue
    // cursor (pair iw, chunk ic) runs 3 chunks ahead of the one in use (stream index gc), into
    // the next pair when this one's chunks are all out.
    mov.u32 iw, wid;
    mov.u32 ic, 0;
    mov.u32 gc, 0;
{issue_rows(cfg['BB'])}
    // The first 3 chunks go out before x is staged, so they overlap with it.
""")
    for s_ in range(3):
        body.append(issue(f"P{s_}", cfg, s_))
    body.append(f"""
    // Under programmatic dependent launch (nv `pdl` replay) this grid may start before the
    // previous one ends: the first weight chunks (never written by a kernel) are on their way;
    // x and y, which earlier kernels write, are touched only after this.
    griddepcontrol.wait;

    // Stage x in shared memory (all 128 threads), sum of squares on the way: {X_UNROLL} 16-byte
    // vectors per thread and trip, every load of a trip issued before the first is used, so
    // a row of up to 2048 columns costs one L2 round trip instead of one per vector. With
    // norm_w the block stages x * norm_w and keeps the 1/rms factor, a scalar, for the two dot
    // products at the end (W (s v) = s (W v)): no second pass over the staged values.
    mov.u32 xs, xs_dyn;
    shr.u32 n4, ncols, 2;
    mov.f32 ssq, 0f00000000;
    setp.ne.u64 p_nw, nwp, 0;            // block-uniform: fuse the norm
    @p_nw cvta.to.global.u64 nwp, nwp;
{cfg.get('x_setup', '')}    mov.u32 i, tid;
XLOOP:
    setp.ge.u32 p_x, i, n4;
    @p_x bra XEND;
    mul.wide.u32 t64, i, 16;
    add.u64 ga, xp, t64;
    add.u64 src, nwp, t64;
{x_trip(cfg.get('xsum', False), cfg.get('xbits', 0))}
    add.u32 i, i, {X_UNROLL * 128};
    bra XLOOP;
XEND:
{cfg.get('rs_init', RS_INIT)}    @!p_nw bra XSYNC;                    // block-uniform
{butterfly_sum(['ssq'], 'tot').rstrip()}
    mov.u32 t0, red;
    shl.b32 t1, warp, 2;
    add.u32 t1, t1, t0;
    setp.ne.u32 p_y, lane, 0;
    @!p_y st.shared.f32 [t1], ssq;
XSYNC:
    bar.sync 0;
    @!p_nw bra XREADY;
    mov.u32 t0, red;
    ld.shared.f32 tot, [t0];
    ld.shared.f32 e, [t0+4];
    add.f32 tot, tot, e;
    ld.shared.f32 e, [t0+8];
    add.f32 tot, tot, e;
    ld.shared.f32 e, [t0+12];
    add.f32 tot, tot, e;
    cvt.rn.f32.u32 e, ncols;
    div.rn.f32 tot, tot, e;
    add.f32 tot, tot, epsv;
    sqrt.rn.f32 tot, tot;
    rcp.rn.f32 rs, tot;                  // 1 / rms, as the rmsnorm kernel
{cfg.get('rs_scale', '')}XREADY:
    @!p_a bra DONE;                      // warp-uniform; no block barrier after this

{cfg['lane_setup']}
PAIR:                                    // row pair wid: chunks k = 0 .. nch-1
{pair_rows("rowA", "rowB", "wid")}    setp.lt.u32 p_b, rowB, nrows;
    mov.f32 accA, 0f00000000;
    mov.f32 accB, 0f00000000;
    mov.u32 k, 0;
LOOP:
    setp.ge.u32 p_y, k, nch;
    @p_y bra REDUCE;
""")
    body.append(issue("L", cfg, 3))
    body.append(f"""    cp.async.wait_group 3;               // this lane's copies of chunk k have landed
    bar.warp.sync -1;                    // ... and every other lane's
    and.b32 t0, gc, 3;
    mad.lo.u32 st, t0, {cfg['STAGE']}, wst;
    mul.lo.u32 cb, k, {cfg['CHB']};
    sub.u32 nb, nblk, cb;
    min.u32 nb, nb, {cfg['CHB']};
""")
    body.append(cfg["compute"](cfg))
    body.append("""    bar.warp.sync -1;                    // stage gc & 3 is refilled (chunk gc + 4) next trip
    add.u32 k, k, 1;
    add.u32 gc, gc, 1;
    bra LOOP;
REDUCE:
""")
    for m in (16, 8, 4, 2, 1):
        body.append(f"""    shfl.sync.bfly.b32 y0, accA, {m}, 31, -1;
    shfl.sync.bfly.b32 y1, accB, {m}, 31, -1;
    add.f32 accA, accA, y0;
    add.f32 accB, accB, y1;
""")
    body.append("""    mul.f32 accA, accA, rs;              // the norm's 1/rms (1 without it)
    mul.f32 accB, accB, rs;
    setp.ne.u32 p_y, lane, 0;
    @p_y bra NEXT;
    @!p_glu bra PLAIN;
""")
    body.append(silu_gate_times_up("accA", "accB"))
    body.append("""    mul.wide.u32 t64, wid, 4;
    add.u64 ga, yp, t64;
    st.global.f32 [ga], g;
    bra NEXT;
PLAIN:
    mul.wide.u32 t64, rowA, 4;
    add.u64 ga, yp, t64;
    @!p_acc bra STA;
    ld.global.f32 y0, [ga];
    add.f32 accA, accA, y0;
STA:
    st.global.f32 [ga], accA;
    @!p_b bra NEXT;
    @!p_acc bra STB;
    ld.global.f32 y1, [ga+4];
    add.f32 accB, accB, y1;
STB:
    st.global.f32 [ga+4], accB;
NEXT:                                    // this warp's next row pair
""" + pair_step("wid") + """    setp.lt.u32 p_x, wid, need;
    @p_x bra PAIR;
DONE:
    ret;
}
""")
    return "".join(body)

Q8_LANE = """    // lane's place in a chunk: quarter q = lane & 3 of blocks b0 = lane >> 2 and b0 + 8
    shr.u32 b0, lane, 2;
    and.b32 q8, lane, 3;
    shl.b32 q8, q8, 3;                   // 8 q: first value of the quarter in its block
    and.b32 t0, b0, 1;
    setp.ne.u32 p_h, t0, 0;              // h: read x's second 4 values first (bank groups)
    shl.b32 h16, t0, 4;"""

Q4_LANE = Q4_LANE_PLACE + """    and.b32 t1, c4, 1;
    setp.ne.u32 p_c1, t1, 0;
    and.b32 t1, c4, 2;
    setp.ne.u32 p_c2, t1, 0;
    setp.lt.u32 p_lo, c4, 2;             // sub-blocks 2 c4, 2 c4 + 1 < 4: the simple 6-bit case
    and.b32 sh0, c4, 1;
    shl.b32 sh0, sh0, 4;                 // byte shift of sub-block 2 c4 in its scale word
    add.u32 sh1, sh0, 8;
    add.u32 sh0p4, sh0, 4;
    add.u32 sh0p6, sh0, 6;
    add.u32 sh1p4, sh1, 4;
    add.u32 sh1p6, sh1, 6;"""

q8 = dict(name="matvec_q8_0_f", BB=34, CHB=16, CHSHIFT=4, BLKSHIFT=5, ROWSTAGE=544, STAGE=1088,
          WARPSTAGE=4352, compute=compute_q8, lane_setup=Q8_LANE, header=open(sys.argv[1]).read(),
          maxnreg="")
# The unrolled x staging and the row-pair stream take ptxas 13 to 92 registers; capped at 88
# nothing spills on sm_90 or sm_87 (at 80, sm_87 spills 4 bytes). 88 leaves 5 blocks an SM on the
# H100 (6 at 80); the host sizes the grid to what is resident anyway.

# Q4_K: the x staging also writes xsum, -1/2 the sum of each 16 staged values (one f32 per 16
# columns: 448 for the largest cols, 7168), which the units read instead of summing their x; the
# dot products come out / 32 (nibble q as 1/2 + q/32), so rs carries the 32 (exact).
Q4_DECL = """    .reg .pred p_q, p_s1, p_s2, p_s3;
    .reg .f32 xg<4>, xo<4>;
    .shared .align 4 .f32 xsum[448];     // -1/2 sum of x (staged, * norm_w) over columns 16g..16g+15
"""
Q4_X_SETUP = """    and.b32 t1, tid, 3;
    setp.eq.u32 p_q, t1, 0;              // the thread that stores its 16-column group's xsum
"""
Q4_RS_INIT = "    mov.f32 rs, 0f42000000;              // 32 / rms; 32 without the norm (the units' / 32)\n"
Q4_RS_SCALE = "    mul.f32 rs, rs, 0f42000000;          // 32 / rms (the units' sums are the true ones / 32)\n"

q4 = dict(name="matvec_q4_k_f", BB=144, CHB=4, CHSHIFT=2, BLKSHIFT=8, ROWSTAGE=576, STAGE=1152,
          WARPSTAGE=4608, compute=compute_q4k, lane_setup=Q4_LANE, header=open(sys.argv[2]).read(),
          maxnreg=" .maxnreg 88", xsum=False)
# matvec_q4_k_x decodes the scales four sub-blocks a word (SCALE_MIN_WORDS, session 11: the same
# integer values, so the same results, for fewer instructions) with the lane's byte selectors in
# place of matvec_q4_k_f's shift amounts.
Q4X_LANE = Q4_LANE[:Q4_LANE.index("    and.b32 sh0, c4, 1;")] + Q4_LANE_SSEL
q4x = dict(q4, name="matvec_q4_k_x", header=open(sys.argv[3]).read(), xsum=True,
           decl=Q4_DECL + "    .reg .b32 ssel0, ssel1;\n", x_setup=Q4_X_SETUP, rs_init=Q4_RS_INIT,
           rs_scale=Q4_RS_SCALE, scale_words=True, lane_setup=Q4X_LANE)
# Q4_K with x as int8 (one f32 scale per 32 columns, staged once per block) and dp4a dot
# products: per 64 weights of a unit 8 masks and 8 dp4a a row where matvec_q4_k_x has 8 prmt, 8
# shifts/masks and 32 fma. Its results differ from the f32-x kernels by x's quantization (the CPU
# model and the selftest's bound: engine::reference::quantize_x_q8_32).
Q4D_DECL = """    .reg .pred p_q, p_s1, p_s2, p_s3, p_d, p_d1, p_d2, p_d3;
    .reg .f32 xg<4>, xo<4>, am<4>, ao<4>, iv, qf, dxl, dxh;
    .reg .b32 qq<4>, xq<16>, il, ih, ssel0, ssel1;
    .shared .align 4 .f32 xsum[448];     // -sum of x (staged, * norm_w) over columns 16g..16g+15
    .shared .align 8 .f32 xd[224];       // x's integer scale per 32 columns
"""
Q4D_X_SETUP = """    and.b32 t1, tid, 3;
    setp.eq.u32 p_q, t1, 0;              // the thread that stores its 16-column group's xsum
    and.b32 t1, tid, 7;
    setp.eq.u32 p_d, t1, 0;              // the thread that stores its 32-column block's scale
"""
q4d = dict(q4, name="matvec_q4_k_d", header=open(sys.argv[4]).read(), xsum=True, xbits=8,
           decl=Q4D_DECL, x_setup=Q4D_X_SETUP, compute=compute_q4k_d, maxnreg="", lane_setup=Q4D_LANE,
           xs_what="x (normalised) as int8[cols]; launch shared_b = cols")
# int16 x in shared memory is swizzled: a lane of a unit reads the 16-byte chunks base, base + 1,
# base + 4, base + 5 (base = column / 8, so base % 8 = 2 hf and (base >> 3) % 4 = c4): unswizzled,
# the 8 lanes of a shared-memory phase (one block bi) land on 2 bank groups (4-way conflicts).
# Chunk c is kept at c ^ P((c >> 3) & 3) with P(m) = (m & 1) | (m & 2) << 1 (bits 0 and 2 of the
# chunk index, which a unit's 4 chunks and 2 hf never carry into): the 8 lanes then hit 8
# distinct groups. The staging thread's P is fixed (its vectors' chunk bits 3-4 are tid bits 4-5):
# xsw = P << 1 on the vector index; the lane's 4 chunk offsets 16 (o ^ P(c4)), o = 0, 1, 4, 5.
X16_SWIZZLE_X_SETUP = """    shr.u32 t1, tid, 4;
    and.b32 t1, t1, 3;                   // the chunks' bits 3-4: m
    and.b32 t2, t1, 2;
    shl.b32 t2, t2, 1;
    and.b32 t1, t1, 1;
    or.b32 t1, t1, t2;                   // P(m)
    shl.b32 xsw, t1, 1;                  // on the vector index (2 vectors a chunk)
"""
X16_SWIZZLE_LANE = """
    and.b32 t1, c4, 2;
    shl.b32 t1, t1, 1;
    and.b32 t2, c4, 1;
    or.b32 t1, t1, t2;                   // P(c4): this lane's chunks' swizzle
    shl.b32 xc0, t1, 4;                  // 16 (0 ^ P)
    xor.b32 t2, t1, 1;
    shl.b32 xc1, t2, 4;                  // 16 (1 ^ P)
    xor.b32 t2, t1, 4;
    shl.b32 xc2, t2, 4;                  // 16 (4 ^ P)
    xor.b32 t2, t1, 5;
    shl.b32 xc3, t2, 4;                  // 16 (5 ^ P)"""
# int16 x, dp2a: x's rounding error 1/258 of int8's (the decode check on qwen3-1.7b-q4km's random
# weights failed with int8 x: logits off by 0.13 relative after 28 layers).
q4d16 = dict(q4d, name="matvec_q4_k_d16", header=open(sys.argv[5]).read(), xbits=16,
             xs_what="x (normalised) as int16[cols], swizzled; launch shared_b = 2 cols",
             decl=Q4D_DECL + "    .reg .b32 xsw, xc0, xc1, xc2, xc3;\n",
             x_setup=Q4D_X_SETUP + X16_SWIZZLE_X_SETUP, lane_setup=Q4D_LANE + X16_SWIZZLE_LANE)
open(sys.argv[6], "w").write(kernel(q8))
open(sys.argv[7], "w").write(kernel(q4))
open(sys.argv[8], "w").write(kernel(q4x))
open(sys.argv[9], "w").write(kernel(q4d))
open(sys.argv[10], "w").write(kernel(q4d16))
