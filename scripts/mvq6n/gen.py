"""Writes ptx/decode/matvec_q6_k_nx.ptx from the hand-written matvec_q6_k_n:

    python3 scripts/mvq6n/gen.py scripts/mvq6n/header_nx.txt ptx/decode/matvec_q6_k_n.ptx \
        ptx/decode/matvec_q6_k_nx.ptx

(tests/ptx_generators.rs checks that the committed file is this script's output, so a change to
matvec_q6_k_n must be regenerated here). matvec_q6_k_nx is matvec_q6_k_n's text with its lane
unit (x loads and the two rows' dequantized dots) replaced by scripts/ptxgen/q6k_unit.py's xsum
unit and the two row sums scaled by 128 after the warp reduce; everything else (parameters, row
geometry, modes, griddepcontrol.wait, epilogue) is matvec_q6_k_n's, line for line."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ptxgen"))
from q6k_unit import row, unit_vector_loads, unit_xsums  # noqa: E402

# matvec_q6_k_n's unit registers: block start, ql, qh - 128 and scales - 192 in the stage
# (row 1 at +840), the x pointer, the two rows' accumulators.
PTRS = ("%r200", "%r201", "%r202", "%r203")
X_PTR = "%rd8"
ACC = ("%f1", "%f6")
DECLS = """    .reg .b32 u<12>, sc<4>, wq<4>, wh<2>, hq<2>, hr<2>, lo, hi;
    .reg .f32 x<32>, xs<4>, xa, xb, v<4>, dot, sum, sc, dd;
    .reg .b16 hd;
"""
SCALE = """    // The unit sums are the true ones / 128 (v = 1/2 + q/128): times 128, exact.
    mul.f32 %f1, %f1, 0f43000000;
    mul.f32 %f6, %f6, 0f43000000;
"""


def cut(text, start, end):
    """text with [start, end) (the first start, the first end after it) as (before, after)."""
    assert text.count(start) == 1, start
    a = text.index(start)
    b = text.index(end, a)
    return text[:a], text[b:]


def main(header, src, dst):
    n = open(src).read()
    body = n[n.index(".version"):]
    assert body.count(".visible .entry matvec_q6_k_n(") == 1
    body = body.replace(".visible .entry matvec_q6_k_n(", ".visible .entry matvec_q6_k_nx(")
    decl = "    .reg .b16 %h<4>;\n"
    assert body.count(decl) == 1
    body = body.replace(decl, decl + DECLS)
    # x of the unit: 8 float4 from %rd8 into %f11..%f42 -> x0..x31, and the group sums
    before, after = cut(body, "    ld.global.nc.v4.f32 {%f11, %f12, %f13, %f14}, [%rd8+0];\n",
                        "    // row 0 (stage bytes 0..839)\n")
    old = body[len(before):len(body) - len(after)].splitlines()
    assert len(old) == 8 and all(" ld.global.nc.v4.f32 {%f" in line for line in old), old
    xsums = "    // -3/4 sum x of each 8-column group: its fma chains' start in both rows\n"
    body = before + unit_vector_loads("x", X_PTR) + xsums + unit_xsums("x") + after
    before, after = cut(body, "    // row 0 (stage bytes 0..839)\n", "    @%p9 bra NEXT;")
    body = before + row(ACC[0], 0, "the warp's stage", xsum=True, ptrs=PTRS) + after
    before, after = cut(body, "    // row 1 (stage bytes 840..1679), same x\n", "NEXT:\n")
    body = before + row(ACC[1], 840, "the warp's stage", xsum=True, ptrs=PTRS) + after
    reduce_end = "    setp.ne.u32 %p4, %r5, 0;\n    @%p4 bra DONE;\n"
    assert body.count(reduce_end) == 1
    body = body.replace(reduce_end, reduce_end + SCALE)
    assert "%f11," not in body.split("REDUCE:")[0], "an x register of matvec_q6_k_n's unit is left"
    open(dst, "w").write(open(header).read() + body)


main(*sys.argv[1:4])
