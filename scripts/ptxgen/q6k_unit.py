"""The Q6_K lane unit shared by scripts/mvq6p/gen.py (matvec_q6_k_p), scripts/mvstream/gen.py
(matvec_q6_k_s), scripts/splitq6/gen.py (matvec_q6_k_nk) and scripts/mvq6n/gen.py
(matvec_q6_k_nx): they stream chunks of 4 Q6_K blocks (840 bytes a row) into shared memory and
give each lane the same unit of a chunk, so the unit's address setup, its x loads and its
dequantized dot are one text here (the kernels differ in how chunks reach the lanes).

Two dequantizations of the unit's dot (`xsum`):
- False: q - 32 exactly per weight (prmt into 0x4B000000, sub of 2^23 + 32), chains of (q-32) x.
- True (matvec_q6_k_nx): the byte 2q into byte 2 of 0x3F000000 by one prmt, t = 1/2 + q/128
  exactly, no sub; each group's chain starts at xs<g> = -3/4 sum x over its 8 columns
  (unit_xsums, once per chunk for both rows), so it ends at sum (t - 3/4) x = sum (q-32) x / 128:
  the row sums come out / 128 and the kernel scales them back (exact, a power of two)."""

from snippets import bytes_to_f32


def lane_unit_setup(unit_in):
    """Lane -> unit (block bi = lane / 8, part = lane % 8 = 4h + q): uoff, uql, uqh, usc (offsets
    from the start of the rows' chunk) and t64 = 4 x the unit's first x column in chunk 0.
    `unit_in` names what 210 bi is an offset into (the kernel's word for a ring entry's row)."""
    return f"""    // The lane's unit of a chunk: block bi = lane / 8 (210 bi into the {unit_in}), part = lane % 8
    // = 4h + q: ql bytes 64h + 8q.., qh 128 + 32h + 8q.., scales 192 + 8h + q/2 + 2g.
    shr.u32 bi, lane, 3;
    and.b32 part, lane, 7;
    shr.u32 h, part, 2;
    and.b32 q, part, 3;
    mul.lo.u32 uoff, bi, 210;
    shl.b32 t0, h, 6;
    shl.b32 t1, q, 3;
    add.u32 t0, t0, t1;
    add.u32 uql, uoff, t0;               // 64h + 8q (+ 210 bi)
    shl.b32 t0, h, 5;
    add.u32 t0, t0, t1;
    add.u32 uqh, uoff, t0;               // 32h + 8q (+ 128 at use)
    shl.b32 t0, h, 3;
    shr.u32 t2, q, 1;
    add.u32 t0, t0, t2;
    add.u32 usc, uoff, t0;               // 8h + q/2 (+ 192 + 2g at use)
    // x columns of the unit in chunk 0: 256 bi + 128 h + 8 q + 32 g + 0..7 (g = 0..3)
    shl.b32 t0, bi, 8;
    shl.b32 t2, h, 7;
    add.u32 t0, t0, t2;
    add.u32 t0, t0, t1;
    mul.wide.u32 t64, t0, 4;
"""


def unit_vector_loads(reg, ptr):
    """The unit's 32 f32 of a chunk (columns 32 g + 0..7 from `ptr`) into {reg}0..31, 16 B each."""
    s = ""
    for g in range(4):
        for hh in range(2):
            r = ", ".join(f"{reg}{8 * g + 4 * hh + i}" for i in range(4))
            s += f"    ld.global.nc.v4.f32 {{{r}}}, [{ptr}+{128 * g + 16 * hh}];\n"
    return s


def unit_xsums(reg="x"):
    """xsum unit: xs<g> = -3/4 sum of the 8 x of group g ({reg}8g..8g+7), the start of group g's
    fma chain in both rows: 7 adds (pairwise) and one mul per group, xa/xb scratch."""
    s = ""
    for g in range(4):
        x = [f"{reg}{8 * g + i}" for i in range(8)]
        s += (f"    add.f32 xa, {x[0]}, {x[1]};\n    add.f32 xb, {x[2]}, {x[3]};\n"
              f"    add.f32 xs{g}, xa, xb;\n    add.f32 xa, {x[4]}, {x[5]};\n"
              f"    add.f32 xb, {x[6]}, {x[7]};\n    add.f32 xa, xa, xb;\n"
              f"    add.f32 xs{g}, xs{g}, xa;\n"
              f"    mul.f32 xs{g}, xs{g}, 0fBF400000;        // -3/4 sum x of group {g}\n")
    return s


def double_q_bytes(w, hm, hshift, high):
    """xsum unit: lo = the 4 bytes 2q (q = nibble of `w` | 2 bits of qh << 4), each at bits 1..6
    of its byte, bits 0 and 7 clear. `hm` is the qh word masked to its groups' fields (hq*: bits
    0..1 and 4..5 of each byte, groups 0 and 2; hr*: 2..3 and 6..7, groups 1 and 3), so after the
    shift that brings this group's field to bits 5..6 the bits 0 and 7 of every byte are the
    mask's zeros; one lop3 (a bit select by 0x1E1E1E1E) takes bits 1..4 from the shifted nibbles
    and the rest from it: 3 ops a word, plus the 4 masks a row."""
    s = f"    shr.u32 lo, {w}, 3;\n" if high else f"    shl.b32 lo, {w}, 1;\n"
    if hshift < 5:
        s += f"    shl.b32 hi, {hm}, {5 - hshift};\n"
    else:
        s += f"    shr.u32 hi, {hm}, {hshift - 5};\n"
    s += "    lop3.b32 lo, lo, hi, 0x1E1E1E1E, 0xE4; // (lo & 0x1E..) | (hi & ~0x1E..)\n"
    return s


def group(g, word0, word1, hw0, hw1, hshift, high, xs, first, xsum=False):
    """Sub-row g of the unit: 8 values, 6-bit q = nibbles of word0/word1 | 2 bits of hw0/hw1."""
    s = ""
    for wi, (w, hw) in enumerate(((word0, hw0), (word1, hw1))):
        if xsum:
            s += double_q_bytes(w, ("hr" if hshift & 2 else "hq") + hw[-1], hshift, high)
            for j in range(4):
                s += f"    prmt.b32 v{j}, lo, 0x3F000000, 0x7{j}44;\n"
            for j in range(4):
                acc = f"xs{g}" if wi == 0 and j == 0 else "dot"
                s += f"    fma.rn.f32 dot, v{j}, {xs[4 * wi + j]}, {acc};\n"
            continue
        if high:
            s += f"    shr.u32 lo, {w}, 4;\n    and.b32 lo, lo, 0x0F0F0F0F;\n"
        else:
            s += f"    and.b32 lo, {w}, 0x0F0F0F0F;\n"
        s += f"    shr.u32 hi, {hw}, {hshift};\n    and.b32 hi, hi, 0x03030303;\n"
        s += "    shl.b32 hi, hi, 4;\n    or.b32 lo, lo, hi;\n"
        s += bytes_to_f32("v", "lo", "0f4B000020", "      // q - 32, exact")
        for j in range(4):
            xv = xs[4 * wi + j]
            if wi == 0 and j == 0:
                s += f"    mul.f32 dot, v0, {xv};\n"
            else:
                s += f"    fma.rn.f32 dot, v{j}, {xv}, dot;\n"
    s += f"    cvt.rn.f32.s32 sc, sc{g};\n"
    if first:
        s += "    mul.f32 sum, sc, dot;\n"
    else:
        s += "    fma.rn.f32 sum, sc, dot, sum;\n"
    return s


def row(acc, off, ring_entry, xsum=False, ptrs=("ublk", "uql", "uqh", "usc")):
    """One row's unit of the chunk at `off` bytes into the ring entry whose unit pointers are
    `ptrs` (block, ql, qh, scales; row 0 at +0, row 1 at +840, ..), times x0..31, into `acc`.
    `ring_entry` is the kernel's word for a ring entry (written into the row's comment).
    `xsum`: the 1/2 + q/128 dequantization (needs unit_xsums' xs0..3; adds sum / 128)."""
    ublk, uql, uqh, usc = ptrs
    s = f"    // row at {ring_entry} + {off}\n"
    for i, o in enumerate((0, 2, 4, 6, 32, 34, 36, 38)):
        s += f"    ld.shared.u16 u{i}, [{uql}+{off + o}];\n"
    for i, o in enumerate((0, 2, 4, 6)):
        s += f"    ld.shared.u16 u{8 + i}, [{uqh}+{off + 128 + o}];\n"
    for g in range(4):
        s += f"    ld.shared.s8 sc{g}, [{usc}+{off + 192 + 2 * g}];\n"
    s += f"    ld.shared.b16 hd, [{ublk}+{off + 208}];\n"
    s += """    prmt.b32 wq0, u0, u1, 0x5410;        // ql bytes 8q..8q+3 of half h
    prmt.b32 wq1, u2, u3, 0x5410;        // 8q+4..8q+7
    prmt.b32 wq2, u4, u5, 0x5410;        // 32 + 8q..
    prmt.b32 wq3, u6, u7, 0x5410;
    prmt.b32 wh0, u8, u9, 0x5410;        // qh bytes 8q..8q+3
    prmt.b32 wh1, u10, u11, 0x5410;
"""
    if xsum:
        s += """    and.b32 hq0, wh0, 0x33333333;        // qh fields of groups 0 and 2
    and.b32 hq1, wh1, 0x33333333;
    and.b32 hr0, wh0, 0xCCCCCCCC;        // of groups 1 and 3
    and.b32 hr1, wh1, 0xCCCCCCCC;
"""
    X = [[f"x{8 * g + i}" for i in range(8)] for g in range(4)]
    s += group(0, "wq0", "wq1", "wh0", "wh1", 0, False, X[0], True, xsum)
    s += group(1, "wq2", "wq3", "wh0", "wh1", 2, False, X[1], False, xsum)
    s += group(2, "wq0", "wq1", "wh0", "wh1", 4, True, X[2], False, xsum)
    s += group(3, "wq2", "wq3", "wh0", "wh1", 6, True, X[3], False, xsum)
    s += f"    cvt.f32.f16 dd, hd;\n    fma.rn.f32 {acc}, dd, sum, {acc};\n"
    return s
