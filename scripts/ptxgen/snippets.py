"""PTX text that more than one generator writes the same way (scripts/mvq8/gen.py,
scripts/mvq6p/gen.py, scripts/mvstream/gen.py, scripts/gen_attn_rope.py). Kept in one place so a
fix reaches every kernel; the committed PTX must stay byte-identical to each generator's output
(tests/ptx_generators.rs), so changing a piece here regenerates several files at once.

Pieces that return a list give one line per item (no newline); pieces that return a str give
whole lines, each ending in a newline, ready to splice into a generator's template."""

# The fused matvec's parameters (kernels::FUSED_MATVEC_PARAMS order) as (name, type, register
# the kernel loads it into): matvec_q8_0_f, matvec_q4_k_f and matvec_q6_k_p take these.
FUSED_MATVEC_PARAMS = (
    ("y", "u64", "yp"),
    ("w", "u64", "wp"),
    ("x", "u64", "xp"),
    ("norm_w", "u64", "nwp"),
    ("rows", "u32", "nrows"),
    ("cols", "u32", "ncols"),
    ("mode", "u32", "md"),
    ("eps", "f32", "epsv"),
)


def param_decls(params):
    """The entry's parameter list (inside the parentheses), from (name, type, ..) rows."""
    return ",\n".join(f"    .param .{p[1]} {p[0]}" for p in params)


def ld_param_lines(params, reg_prefix=""):
    """One ld.param per (name, type, register) row, in table order."""
    return [f"    ld.param.{ty} {reg_prefix}{reg}, [{name}];" for name, ty, reg in params]


def cvta_global_lines(regs, reg_prefix=""):
    """Generic -> global address for each pointer register (in place)."""
    return [f"    cvta.to.global.u64 {reg_prefix}{r}, {reg_prefix}{r};" for r in regs]


def butterfly_sum(regs, tmp):
    """Warp sum of each register by xor shuffles 16, 8, .., 1 (all lanes end with the sum);
    for every offset the registers go in the given order, each shuffle followed by its add."""
    s = ""
    for m in (16, 8, 4, 2, 1):
        for r in regs:
            s += f"    shfl.sync.bfly.b32 {tmp}, {r}, {m}, 31, -1;\n    add.f32 {r}, {r}, {tmp};\n"
    return s


def bytes_to_f32(dst, word, bias, sub_suffix=""):
    """The 4 bytes of `word` (each < 256) -> floats {dst}0..3 with no cvt: each byte into the
    low byte of 0x4B000000 (2^23 + b) through t0..t3, then minus `bias` (2^23, or 2^23 + an
    offset folded in). `sub_suffix` follows each sub (a comment)."""
    s = ""
    for j in range(4):
        s += f"    prmt.b32 t{j}, {word}, 0x4B000000, 0x754{j};\n"
    for j in range(4):
        s += f"    sub.f32 {dst}{j}, t{j}, {bias};{sub_suffix}\n"
    return s


def silu_gate_times_up(gate, up):
    """g = silu(gate) * up into register g (scratch e), with the swiglu kernel's math:
    silu(g) = g / (1 + 2^(-g log2 e)), ex2.approx."""

    def line(instr, why):
        return f"    {instr}".ljust(41) + f"// {why}\n"

    return (line(f"mul.f32 e, {gate}, 0fBFB8AA3B;", "-g log2(e)")
            + line("ex2.approx.f32 e, e;", "e^-g (inf for g < -88: silu -> -0)")
            + "    add.f32 e, e, 0f3F800000;\n"
            + line(f"div.rn.f32 g, {gate}, e;", "silu(g), as the swiglu kernel")
            + f"    mul.f32 g, g, {up};\n")
