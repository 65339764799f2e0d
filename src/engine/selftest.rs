//! Each decode kernel on a GPU backend against [`super::reference`]: fresh random inputs,
//! outputs poisoned (NaN) first, max abs / rel error reported against a stated tolerance.

use super::kernels::{
    self, embed_entry, matvec_entry, spec, FusedMatvec, FUSED_MATVECS, TPR_VARIANTS, WARP_MATVECS,
};
use super::launch::{self, MatvecMode, Planned};
use super::reference as cpu;
use crate::bench::reference::POISON_U32;
use crate::bench::rng::Rng;
use crate::bench::selftest::TestRow;
use crate::gpu::{Backend, Buf};
use crate::{quant, GgmlType, Result};

const MATVEC_TYPES: [GgmlType; 6] = [
    GgmlType::Q6_K,
    GgmlType::Q8_0,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q4_0,
    GgmlType::F16,
];

pub(super) fn up_f32(b: &mut dyn Backend, x: &[f32]) -> Result<Buf> {
    let buf = b.alloc((x.len() as u64 * 4).max(16))?;
    b.upload(buf, bytemuck::cast_slice(x))?;
    Ok(buf)
}

pub(super) fn up_bytes(b: &mut dyn Backend, x: &[u8]) -> Result<Buf> {
    let buf = b.alloc((x.len() as u64).max(16))?;
    b.upload(buf, x)?;
    Ok(buf)
}

pub(super) fn poisoned(b: &mut dyn Backend, n: usize) -> Result<Buf> {
    let buf = b.alloc((n as u64 * 4).max(16))?;
    b.memset_u32(buf, POISON_U32)?;
    Ok(buf)
}

pub(super) fn down_f32(b: &mut dyn Backend, buf: Buf, n: usize) -> Result<Vec<f32>> {
    let mut out = vec![0f32; n];
    b.download(buf, bytemuck::cast_slice_mut(&mut out))?;
    Ok(out)
}

pub(super) fn run(b: &mut dyn Backend, p: &[Planned]) -> Result<()> {
    for l in p {
        b.launch(&l.launch)?;
    }
    b.sync()
}

pub(super) fn row(kernel: &str, case: String, out: &[f32], reference: &[f64], tol: f64) -> TestRow {
    let (abs, rel) = cpu::max_errors(out, reference, 1e-3);
    TestRow {
        kernel: kernel.to_string(),
        case,
        ok: rel <= tol,
        detail: format!("max abs err {abs:.3e}, max rel err {rel:.3e} (tol {tol:.1e})"),
    }
}

/// As `row` for a matvec: the relative error's floor is 1 % of the largest |y| (not 1e-3), since
/// an output that sums to near zero out of kd random products carries the rounding error of
/// the large terms (a TPR=32 Q5_K case on the H100 had abs err 4.6e-6 on |y| ~ 1.4e-3: rel 3.4e-3).
pub(super) fn row_matvec(
    kernel: &str,
    case: String,
    out: &[f32],
    reference: &[f64],
    tol: f64,
) -> TestRow {
    let big = reference.iter().fold(0f64, |m, r| m.max(r.abs()));
    let (abs, rel) = cpu::max_errors(out, reference, (0.01 * big).max(1e-3));
    TestRow {
        kernel: kernel.to_string(),
        case,
        ok: rel <= tol,
        detail: format!("max abs err {abs:.3e}, max rel err {rel:.3e} (tol {tol:.1e})"),
    }
}

/// As `row`, but errors relative to the largest reference magnitude: right for RoPE, whose f32
/// error is an absolute error in the angle (≈ ulp(pos·θ_j)), so a per-element relative error on
/// near-zero outputs says nothing about the kernel.
pub(super) fn row_scaled(
    kernel: &str,
    case: String,
    out: &[f32],
    reference: &[f64],
    tol: f64,
) -> TestRow {
    let scale = reference
        .iter()
        .fold(0f64, |m, r| m.max(r.abs()))
        .max(1e-30);
    let (abs, _) = cpu::max_errors(out, reference, 1e-3);
    let rel = abs / scale;
    TestRow {
        kernel: kernel.to_string(),
        case,
        ok: rel <= tol,
        detail: format!("max abs err {abs:.3e}, max err / max|ref| {rel:.3e} (tol {tol:.1e})"),
    }
}

/// Random weights of `ty` as valid GGUF rows (quantized from uniform [-1, 1) values).
pub(super) fn random_weights(
    rng: &mut Rng,
    ty: GgmlType,
    rows: usize,
    cols: usize,
) -> Result<Vec<u8>> {
    let src = rng.vec_f32_signed(rows * cols);
    if ty == GgmlType::F16 {
        return Ok(src
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect());
    }
    quant::quantize_fast(ty, &src)
}

/// One matvec kernel against the CPU on fresh random weights of `ty` (m x kd): once into a
/// poisoned y, once accumulating into random y ("y+=").
#[allow(clippy::too_many_arguments)]
fn check_matvec(
    b: &mut dyn Backend,
    rng: &mut Rng,
    entry: &str,
    ty: GgmlType,
    m: usize,
    kd: usize,
    case: String,
    rows: &mut Vec<TestRow>,
    plan: &mut dyn FnMut(Buf, Buf, Buf, bool) -> Result<Planned>,
) -> Result<()> {
    let w = random_weights(rng, ty, m, kd)?;
    let x = rng.vec_f32_signed(kd);
    let y0 = rng.vec_f32_signed(m);
    let (wb, xb) = (up_bytes(b, &w)?, up_f32(b, &x)?);
    for acc in [false, true] {
        let yb = if acc {
            up_f32(b, &y0)?
        } else {
            poisoned(b, m)?
        };
        run(b, &[plan(yb, wb, xb, acc)?])?;
        let out = down_f32(b, yb, m)?;
        let r = cpu::matvec(ty, &w, m, kd, &x, acc.then_some(&y0[..]))?;
        let tol = 1e-5 * (kd as f64).sqrt() * 10.0;
        let case = format!("{case}{}", if acc { " y+=" } else { "" });
        rows.push(row_matvec(entry, case, &out, &r, tol));
        b.free(yb)?;
    }
    b.free(wb)?;
    b.free(xb)
}

/// The shape of one fused matvec check; `max_blocks` caps the grid (0: one row pair per warp).
#[derive(Clone, Copy)]
struct FusedCase {
    rows: usize,
    cols: usize,
    mode: MatvecMode,
    norm: bool,
    max_blocks: u32,
}

/// One fused matvec case against the CPU: fresh random weights (rows x cols), x, norm weights
/// (when `norm`) and y (random for accumulate, NaN-poisoned otherwise).
fn check_fused(
    b: &mut dyn Backend,
    rng: &mut Rng,
    fm: &FusedMatvec,
    k: crate::gpu::KernelId,
    f: FusedCase,
    out_rows: &mut Vec<TestRow>,
) -> Result<()> {
    let FusedCase {
        rows,
        cols,
        mode,
        norm,
        max_blocks,
    } = f;
    let eps = 1e-5f32;
    let w = random_weights(rng, fm.ty, rows, cols)?;
    let x = rng.vec_f32_signed(cols);
    let nw = rng.vec_f32_signed(cols);
    let n_out = mode.outputs(rows as u32) as usize;
    let y0 = rng.vec_f32_signed(n_out);
    let (wb, xb, nb) = (up_bytes(b, &w)?, up_f32(b, &x)?, up_f32(b, &nw)?);
    let yb = if mode == MatvecMode::Accumulate {
        up_f32(b, &y0)?
    } else {
        poisoned(b, n_out)?
    };
    let p = launch::matvec_fused(
        k,
        fm.entry,
        fm.ty,
        yb,
        wb,
        xb,
        norm.then_some(nb),
        rows as u32,
        cols as u32,
        mode,
        eps,
        max_blocks,
    )?;
    let p_blocks = p.launch.grid[0];
    run(b, &[p])?;
    let out = down_f32(b, yb, n_out)?;
    let nw_arg = norm.then_some(&nw[..]);
    let f32_x = cpu::matvec_fused(fm.ty, &w, rows, cols, &x, nw_arg, eps, mode, Some(&y0))?;
    // A kernel that rounds x to integers is checked against the same rounding on the CPU (below,
    // with the usual tolerance), and against f32 x within the rounding's bound.
    let r = if fm.x_int_max > 0 {
        let q = fm.x_int_max;
        let (r, bound) =
            cpu::matvec_fused_x_int(q, &w, rows, cols, &x, nw_arg, eps, mode, Some(&y0))?;
        if let Some(bound) = bound {
            out_rows.push(row_within_bound(
                fm.entry, rows, cols, mode, &out, &f32_x, &bound,
            ));
        }
        r
    } else {
        f32_x
    };
    // As check_matvec; glu multiplies two dots (and silu's ex2.approx): twice the tolerance.
    let glu = (mode == MatvecMode::Glu) as u32 as f64;
    let tol = 1e-4 * (cols as f64).sqrt() * (1.0 + glu);
    let grid = if max_blocks > 0 {
        format!(", grid {}", p_blocks)
    } else {
        String::new()
    };
    let case = format!(
        "{rows}x{cols} {mode:?}{}{grid}",
        if norm { " +norm" } else { "" }
    );
    out_rows.push(row_matvec(fm.entry, case, &out, &r, tol));
    for buf in [wb, xb, nb, yb] {
        b.free(buf)?;
    }
    Ok(())
}

/// An integer-x matvec's outputs against f32 x: every |out - ref| within the rounding bound of its
/// row (`reference::matvec_fused_x_int`) plus the f32 tolerance of a fused matvec.
fn row_within_bound(
    entry: &str,
    rows: usize,
    cols: usize,
    mode: MatvecMode,
    out: &[f32],
    f32_x: &[f64],
    bound: &[f64],
) -> TestRow {
    let big = f32_x.iter().fold(0f64, |m, r| m.max(r.abs()));
    let slack = 1e-4 * (cols as f64).sqrt() * big.max(1e-3);
    let mut worst = 0f64; // largest |err| / (bound + slack)
    let mut worst_err = 0f64;
    for ((&o, &r), &bd) in out.iter().zip(f32_x).zip(bound) {
        let e = (o as f64 - r).abs();
        let q = if e.is_nan() {
            f64::INFINITY
        } else {
            e / (bd + slack)
        };
        if q > worst {
            worst = q;
            worst_err = e;
        }
    }
    TestRow {
        kernel: entry.to_string(),
        case: format!("{rows}x{cols} {mode:?} vs f32 x (x rounding bound)"),
        ok: worst <= 1.0,
        detail: format!(
            "worst |err| {worst_err:.3e} = {:.0} % of its row's bound",
            100.0 * worst
        ),
    }
}

/// A paired kernel (kernels::MATVEC_PAIRS) against the CPU: fresh random Q4_K (rows_a) and
/// Q6_K (rows_b) weights of one x and norm; both outputs poisoned first, in one buffer with a
/// poisoned gap between them that must stay poisoned; part A's grid capped at `cap_a` blocks
/// (0: its own).
fn check_pair(
    b: &mut dyn Backend,
    rng: &mut Rng,
    pair: kernels::MatvecPair,
    k: crate::gpu::KernelId,
    (rows_a, rows_b, cols, norm, cap_a): (usize, usize, usize, bool, u32),
    out_rows: &mut Vec<TestRow>,
) -> Result<()> {
    const GAP: usize = 16;
    let eps = 1e-5f32;
    let [pa, pb] = pair.parts;
    let ty_of = |part: &str| {
        kernels::fused_matvec_named(part)
            .map(|m| m.ty)
            .ok_or_else(|| crate::Error::Usage(format!("{part}: not a fused matvec")))
    };
    let (ta, tb) = (ty_of(pa)?, ty_of(pb)?);
    let (wa, wb) = (
        random_weights(rng, ta, rows_a, cols)?,
        random_weights(rng, tb, rows_b, cols)?,
    );
    let x = rng.vec_f32_signed(cols);
    let nw = rng.vec_f32_signed(cols);
    let (wab, wbb) = (up_bytes(b, &wa)?, up_bytes(b, &wb)?);
    let (xb, nb) = (up_f32(b, &x)?, up_f32(b, &nw)?);
    let total = rows_a + GAP + rows_b + GAP;
    let yb = poisoned(b, total)?;
    let part = |off: usize, n: usize| Buf {
        gpu_va: yb.gpu_va + 4 * off as u64,
        size_b: 4 * n as u64,
    };
    let norm_w = norm.then_some(nb);
    let store = MatvecMode::Store;
    let a = launch::matvec_fused(
        k,
        pa,
        ta,
        part(0, rows_a),
        wab,
        xb,
        norm_w,
        rows_a as u32,
        cols as u32,
        store,
        eps,
        cap_a,
    )?;
    let c = launch::matvec_fused(
        k,
        pb,
        tb,
        part(rows_a + GAP, rows_b),
        wbb,
        xb,
        norm_w,
        rows_b as u32,
        cols as u32,
        store,
        eps,
        0,
    )?;
    let p = launch::matvec_pair(k, a, c)?;
    let blocks = (p.launch.args[16], p.launch.grid[0]);
    run(b, &[p])?;
    let out = down_f32(b, yb, total)?;
    let case = format!(
        "{rows_a}x{cols} {ta} + {rows_b}x{cols} {tb}{} (blocks_a {:?} of {})",
        if norm { " +norm" } else { "" },
        blocks.0,
        blocks.1
    );
    let mut errs = Vec::new();
    for (part, ty, w, rows, at) in [
        (pa, ta, &wa, rows_a, 0),
        (pb, tb, &wb, rows_b, rows_a + GAP),
    ] {
        let nw = norm.then_some(&nw[..]);
        // A part that rounds x to integers (matvec_q4_k_d / _d16) against the same rounding on
        // the CPU.
        let x_int = kernels::fused_matvec_named(part).map_or(0, |m| m.x_int_max);
        let r = if x_int > 0 {
            cpu::matvec_fused_x_int(x_int, w, rows, cols, &x, nw, eps, store, None)?.0
        } else {
            cpu::matvec_fused(ty, w, rows, cols, &x, nw, eps, store, None)?
        };
        errs.push(row_matvec(
            pair.entry,
            case.clone(),
            &out[at..at + rows],
            &r,
            1e-4 * (cols as f64).sqrt(),
        ));
    }
    let gaps_poisoned = out[rows_a..rows_a + GAP]
        .iter()
        .chain(&out[total - GAP..])
        .all(|v| v.is_nan());
    let ok = errs.iter().all(|r| r.ok) && gaps_poisoned;
    out_rows.push(TestRow {
        kernel: pair.entry.to_string(),
        case,
        ok,
        detail: format!(
            "{pa} part: {}; {pb} part: {}; poison past each part intact: {gaps_poisoned}",
            errs[0].detail, errs[1].detail
        ),
    });
    for buf in [wab, wbb, xb, nb, yb] {
        b.free(buf)?;
    }
    Ok(())
}

/// The real shapes a fused matvec of `ty` runs in decode (rows, cols, mode, norm).
fn fused_cases(ty: GgmlType) -> Vec<(usize, usize, MatvecMode, bool)> {
    use MatvecMode::{Accumulate, Glu, Store};
    match ty {
        // qwen3-0.6b-q8 (n_embd 1024, q 2048, kv 1024, n_ff 3072, all Q8_0): q|k|v + attn_norm,
        // o-proj, gate|up + ffn_norm (glu), down, and the tied lm_head + output_norm.
        GgmlType::Q8_0 => vec![
            (4096, 1024, Store, true),
            (1024, 2048, Accumulate, false),
            (6144, 1024, Glu, true),
            (1024, 3072, Accumulate, false),
            (151936, 1024, Store, true),
        ],
        // qwen3-1.7b-q4km (n_embd 2048, q 2048, kv 1024, n_ff 6144): q|k + attn_norm (v is
        // Q6_K in some layers), q|k|v, o-proj, gate|up + ffn_norm (glu), down (Q4_K layers),
        // and an lm_head-like 151936 x 1024 with norm.
        GgmlType::Q4_K => vec![
            (3072, 2048, Store, true),
            (4096, 2048, Store, true),
            (2048, 2048, Accumulate, false),
            (12288, 2048, Glu, true),
            (2048, 6144, Accumulate, false),
            (151936, 1024, Store, true),
        ],
        // The real shapes of a LLaMA-1B decode step: q|k|v and o-proj (2048 cols, 2 chunks
        // per row), gate|up in glu mode, down (8192 cols, 8 chunks: the refill path).
        _ => vec![
            (2048, 2048, Store, false),
            (2048, 2048, Accumulate, false),
            (3072, 2048, Store, true),
            (16384, 2048, Glu, true),
            (2048, 8192, Accumulate, false),
            // 5 chunks per row with the norm: matvec_q6_k_p's 4-stage ring wraps.
            (66, 5120, Store, true),
        ],
    }
}

/// Run every decode kernel whose name contains `filter` once on `b`.
pub fn selftest(b: &mut dyn Backend, filter: Option<&str>) -> Result<Vec<TestRow>> {
    let want = |name: &str| filter.is_none_or(|f| name.contains(f));
    let mut rng = Rng::fresh();
    let mut rows = Vec::new();

    for ty in MATVEC_TYPES {
        let entry = matvec_entry(ty)?;
        if !want(entry) {
            continue;
        }
        for tpr in TPR_VARIANTS {
            let k = b.load(&spec(entry, Some(tpr))?)?;
            // Odd row counts (a partly filled last block), several blocks per row.
            let (m, kd) = (37 + rng.below(60), 256 * (2 + rng.below(4)));
            let case = format!("TPR={tpr} {m}x{kd}");
            check_matvec(
                b,
                &mut rng,
                entry,
                ty,
                m,
                kd,
                case,
                &mut rows,
                &mut |yb, wb, xb, acc| {
                    launch::matvec(k, ty, tpr, yb, wb, xb, m as u32, kd as u32, acc)
                },
            )?;
        }
    }

    for wm in WARP_MATVECS {
        let (entry, ty) = (wm.entry, wm.ty);
        if !want(entry) {
            continue;
        }
        // A warp-per-row matvec: 1 to 3 whole chunks per row, odd row counts.
        let k = b.load(&spec(entry, None)?)?;
        let (m, kd) = (
            37 + rng.below(60),
            wm.cols_multiple as usize * (1 + rng.below(3)),
        );
        let case = format!("{m}x{kd}");
        check_matvec(
            b,
            &mut rng,
            entry,
            ty,
            m,
            kd,
            case,
            &mut rows,
            &mut |yb, wb, xb, acc| {
                launch::matvec_warp(k, entry, ty, yb, wb, xb, m as u32, kd as u32, acc)
            },
        )?;
    }

    // The grid-stride warp matvecs (matvec_q6_k_s) at the grid the plan gives them on this GPU
    // (every warp walks several row pairs at 16384 and 128256 rows), then small odd shapes on 1
    // or 2 blocks: odd rows (a last pair of one row), 1-chunk rows, 5-chunk rows, warps left idle.
    for wm in WARP_MATVECS.iter().filter(|m| m.grid_stride) {
        let (entry, ty) = (wm.entry, wm.ty);
        if !want(entry) {
            continue;
        }
        let k = b.load(&spec(entry, None)?)?;
        let sm = b.info().sm_count;
        let plan_grid = |rows: usize| {
            super::kernels::stream_grid(
                wm,
                rows as u64,
                sm,
                super::plan::DEFAULT_STREAM_BLOCKS_PER_SM,
            )
        };
        let mut cases: Vec<(usize, usize, u32)> = [
            (3072, 2048),
            (2048, 2048),
            (16384, 2048),
            (2048, 8192),
            (128256, 2048),
        ]
        .iter()
        .map(|&(m, kd)| (m, kd, plan_grid(m)))
        .collect();
        cases.push((37 + 2 * rng.below(30), 1024 * (1 + rng.below(3)), 1));
        cases.push((9, 1024, 1));
        cases.push((8 * 3 + 5, 5120, 2));
        cases.push((2 + rng.below(6), 2048, 2));
        for (m, kd, grid) in cases {
            let case = format!("{m}x{kd} grid {grid}");
            check_matvec(
                b,
                &mut rng,
                entry,
                ty,
                m,
                kd,
                case,
                &mut rows,
                &mut |yb, wb, xb, acc| {
                    launch::matvec_stream(k, entry, ty, yb, wb, xb, m as u32, kd as u32, acc, grid)
                },
            )?;
        }
    }

    // The split-K matvec (matvec_q8_0_k) on the residual shapes of qwen3-0.6b (o-proj 1024 x
    // 2048, ffn_down 1024 x 3072) and a 2048 x 2048 one, then small odd shapes: a lone last row,
    // 1-chunk rows (warps 1..3 idle), 5 and 9 chunks (warps with 1, 2 or 3 trips: the loop
    // re-enters its first register set), 16 chunks (4 trips each). Every case stores into a
    // poisoned y and accumulates into a random one.
    let sk = super::kernels::SPLIT_MATVEC_Q8_0;
    if want(sk.entry) {
        let k = b.load(&spec(sk.entry, None)?)?;
        let cm = sk.cols_multiple as usize;
        let cases = [
            (1024, 2048),
            (1024, 3072),
            (2048, 2048),
            (1, cm),
            (3, cm),
            (37 + 2 * rng.below(30), 5 * cm),
            (2 + rng.below(60), 9 * cm),
            (5, 16 * cm),
            (1 + rng.below(9), cm * (1 + rng.below(8))),
        ];
        for (m, kd) in cases {
            let (entry, ty) = (sk.entry, sk.ty);
            check_matvec(
                b,
                &mut rng,
                entry,
                ty,
                m,
                kd,
                format!("{m}x{kd}"),
                &mut rows,
                &mut |yb, wb, xb, acc| {
                    launch::matvec_split(k, entry, ty, yb, wb, xb, m as u32, kd as u32, acc)
                },
            )?;
        }
    }

    for fm in FUSED_MATVECS {
        if !want(fm.entry) {
            continue;
        }
        let k = b.load(&spec(fm.entry, None)?)?;
        use MatvecMode::{Accumulate, Glu, Store};
        let m = fm.cols_multiple as usize;
        let mut cases = fused_cases(fm.ty);
        let real = cases.len();
        // Small odd ones: odd row counts and rows not a multiple of the block's rows, 1 to 3
        // chunks per row (an odd chunk count ends on buffer A), every mode with and without norm.
        // Q8_0/Q4_K (cols multiple of 256, chunks of 512/1024 columns): 256 to 3072 columns, so
        // also a partial last chunk after whole ones and rows that wrap the 4-stage ring.
        let span = if m < 1024 { 12 } else { 3 };
        for mode in [Store, Accumulate, Glu] {
            for norm in [false, true] {
                let half = 3 + 2 * rng.below(40);
                let n_rows = if mode == Glu { 2 * half } else { half };
                cases.push((n_rows, m * (1 + rng.below(span)), mode, norm));
            }
        }
        // Each case with one row pair per warp, and, for the kernels that take any grid, the
        // real shapes again on a grid of one block per SM, so every warp walks several row
        // pairs (its chunk stream crossing from one pair into the next) as under
        // `decode --fused-blocks-per-sm`.
        let sms = b.info().sm_count.max(1);
        for (i, (n_rows, cols, mode, norm)) in cases.into_iter().enumerate() {
            let f = FusedCase {
                rows: n_rows,
                cols,
                mode,
                norm,
                max_blocks: 0,
            };
            check_fused(b, &mut rng, &fm, k, f, &mut rows)?;
            if i < real && fm.any_grid {
                let f = FusedCase {
                    max_blocks: sms,
                    ..f
                };
                check_fused(b, &mut rng, &fm, k, f, &mut rows)?;
            }
        }
    }

    for pair in kernels::MATVEC_PAIRS {
        if !want(pair.entry) {
            continue;
        }
        // qwen3-1.7b-q4km's q|k (Q4_K, 2048 + 1024 rows) with its Q6_K attn_v (1024 rows) of
        // one x and attn_norm, then small odd ones (rows not a multiple of a block's), with
        // and without the norm.
        let k = b.load(&spec(pair.entry, None)?)?;
        // The real shapes once more with part A on one block per SM (`--fused-blocks-per-sm 1`:
        // its warps walk several row pairs; part B keeps its grid).
        let sms = b.info().sm_count.max(1);
        let mut cases = vec![(3072, 1024, 2048, true, 0), (3072, 1024, 2048, true, sms)];
        for norm in [false, true] {
            cases.push((3 + 2 * rng.below(40), 1 + 2 * rng.below(40), 1024, norm, 0));
        }
        for case in cases {
            check_pair(b, &mut rng, pair, k, case, &mut rows)?;
        }
    }

    if want("rmsnorm") {
        let k = b.load(&spec("rmsnorm", None)?)?;
        let (n, nv) = (1000 + rng.below(3000), 3);
        let x = rng.vec_f32_signed(n * nv);
        let w = rng.vec_f32_signed(n);
        let (xb, wb, ob) = (up_f32(b, &x)?, up_f32(b, &w)?, poisoned(b, n * nv)?);
        run(
            b,
            &[launch::rmsnorm(k, ob, xb, wb, n as u32, nv as u32, 1e-5)],
        )?;
        let out = down_f32(b, ob, n * nv)?;
        rows.push(row(
            "rmsnorm",
            format!("{nv}x{n}"),
            &out,
            &cpu::rmsnorm(&x, &w, n, 1e-5),
            1e-5,
        ));
        for buf in [xb, wb, ob] {
            b.free(buf)?;
        }
    }

    let pos: u32 = 1 + rng.below(3000) as u32;
    let pos_buf = up_bytes(b, &pos.to_le_bytes())?;
    // Rope: |theta| error grows with pos (f32 theta, ex2.approx): tolerance 2e-5 + 3e-7 pos.
    let rope_tol = 2e-5 + 3e-7 * pos as f64;
    for (entry, neox) in [("rope_llama", false), ("rope_neox", true)] {
        if !want(entry) {
            continue;
        }
        let k = b.load(&spec(entry, None)?)?;
        let (nq, nk, d) = (8, 2, 64);
        let q = rng.vec_f32_signed(nq * d);
        let kk = rng.vec_f32_signed(nk * d);
        let ff: Vec<f32> = (0..d / 2).map(|_| 1.0 + 8.0 * rng.f32_unit()).collect();
        let (qb, kb, fb) = (up_f32(b, &q)?, up_f32(b, &kk)?, up_f32(b, &ff)?);
        let p = launch::rope(
            k,
            qb,
            kb,
            nq as u32,
            nk as u32,
            d as u32,
            pos_buf,
            5e5,
            Some(fb),
        )?;
        run(b, &[p])?;
        let mut out = down_f32(b, qb, nq * d)?;
        out.extend(down_f32(b, kb, nk * d)?);
        let mut r = cpu::rope(&q, d, pos, 5e5, Some(&ff), neox);
        r.extend(cpu::rope(&kk, d, pos, 5e5, Some(&ff), neox));
        rows.push(row_scaled(
            entry,
            format!("pos {pos}, ff"),
            &out,
            &r,
            rope_tol,
        ));
        for buf in [qb, kb, fb] {
            b.free(buf)?;
        }
    }

    if want("qk_norm_rope_neox") {
        let k = b.load(&spec("qk_norm_rope_neox", None)?)?;
        let (nq, nk, d) = (16, 8, 128);
        let q = rng.vec_f32_signed(nq * d);
        let kk = rng.vec_f32_signed(nk * d);
        let qw = rng.vec_f32_signed(d);
        let kw = rng.vec_f32_signed(d);
        let (qb, kb) = (up_f32(b, &q)?, up_f32(b, &kk)?);
        let (qwb, kwb) = (up_f32(b, &qw)?, up_f32(b, &kw)?);
        let p = launch::qk_norm_rope(
            k, qb, kb, qwb, kwb, nq as u32, nk as u32, d as u32, 1e-6, pos_buf, 1e6, None,
        )?;
        run(b, &[p])?;
        let mut out = down_f32(b, qb, nq * d)?;
        out.extend(down_f32(b, kb, nk * d)?);
        let mut r = cpu::qk_norm_rope(&q, &qw, d, 1e-6, pos, 1e6, None);
        r.extend(cpu::qk_norm_rope(&kk, &kw, d, 1e-6, pos, 1e6, None));
        rows.push(row_scaled(
            "qk_norm_rope_neox",
            format!("pos {pos}"),
            &out,
            &r,
            rope_tol,
        ));
        for buf in [qb, kb, qwb, kwb] {
            b.free(buf)?;
        }
    }

    if want("kv_append") || want("attn") {
        let kva = b.load(&spec("kv_append", None)?)?;
        let (n_head, n_kv, d) = (8u32, 2u32, 128u32);
        let width = (n_kv * d) as usize;
        let max_ctx = 700u32;
        let n_ctx = 1 + rng.below(max_ctx as usize - 1);
        // Fill the cache host-side for positions < n_ctx-1, then append the last one on the GPU.
        let kc: Vec<f32> = rng.vec_f32_signed(width * max_ctx as usize);
        let vc: Vec<f32> = rng.vec_f32_signed(width * max_ctx as usize);
        let mut kh = cpu::to_f16_bits(&kc);
        let mut vh = cpu::to_f16_bits(&vc);
        let last = n_ctx - 1;
        let knew = rng.vec_f32_signed(width);
        let vnew = rng.vec_f32_signed(width);
        for i in 0..width {
            kh[last * width + i] = 0x7e00; // f16 NaN: must be overwritten
            vh[last * width + i] = 0x7e00;
        }
        let kcb = up_bytes(b, bytemuck::cast_slice(&kh))?;
        let vcb = up_bytes(b, bytemuck::cast_slice(&vh))?;
        let (knb, vnb) = (up_f32(b, &knew)?, up_f32(b, &vnew)?);
        let pb = up_bytes(b, &(last as u32).to_le_bytes())?;
        run(
            b,
            &[launch::kv_append(
                kva,
                kcb,
                vcb,
                knb,
                vnb,
                pb,
                width as u32,
                max_ctx,
            )?],
        )?;
        let wantk = cpu::to_f16_bits(&knew);
        let wantv = cpu::to_f16_bits(&vnew);
        kh[last * width..(last + 1) * width].copy_from_slice(&wantk);
        vh[last * width..(last + 1) * width].copy_from_slice(&wantv);
        let mut gotk = vec![0u16; kh.len()];
        b.download(kcb, bytemuck::cast_slice_mut(&mut gotk))?;
        let mut gotv = vec![0u16; vh.len()];
        b.download(vcb, bytemuck::cast_slice_mut(&mut gotv))?;
        let same = gotk == kh && gotv == vh;
        rows.push(TestRow {
            kernel: "kv_append".into(),
            case: format!("pos {last}, width {width}"),
            ok: same,
            detail: format!("caches equal bit for bit (row written, others untouched): {same}"),
        });
        if want("attn") {
            let pk = b.load(&spec("attn_partial", None)?)?;
            let ck = b.load(&spec("attn_combine", None)?)?;
            let q = rng.vec_f32_signed((n_head * d) as usize);
            let qb = up_f32(b, &q)?;
            let r = cpu::attention(
                &q,
                &kh,
                &vh,
                n_head as usize,
                n_kv as usize,
                d as usize,
                n_ctx,
                1.0 / (d as f32).sqrt(),
            );
            for split in [64u32, 256] {
                let ns = launch::attn_splits(max_ctx, split);
                let po = b.alloc(n_head as u64 * ns as u64 * d as u64 * 4)?;
                let pm = b.alloc(n_head as u64 * ns as u64 * 8)?;
                let ob = poisoned(b, (n_head * d) as usize)?;
                let p = launch::attention(
                    pk,
                    ck,
                    ob,
                    po,
                    pm,
                    qb,
                    kcb,
                    vcb,
                    pb,
                    n_head,
                    n_kv,
                    d,
                    split,
                    ns,
                    n_ctx as u32,
                )?;
                run(b, &p)?;
                let out = down_f32(b, ob, (n_head * d) as usize)?;
                let case = format!("ctx {n_ctx}, split {split} x{ns}, gqa {}", n_head / n_kv);
                rows.push(row("attn_partial+combine", case, &out, &r, 2e-3));
                for buf in [po, pm, ob] {
                    b.free(buf)?;
                }
            }
            b.free(qb)?;
        }
        for buf in [kcb, vcb, knb, vnb, pb] {
            b.free(buf)?;
        }
    }

    for entry in ["swiglu", "add_f32"] {
        if !want(entry) {
            continue;
        }
        let k = b.load(&spec(entry, None)?)?;
        let n = 5000 + rng.below(5000);
        let g: Vec<f32> = rng.vec_f32_signed(n).iter().map(|v| v * 12.0).collect();
        let u = rng.vec_f32_signed(n);
        let (gb, ub, ob) = (up_f32(b, &g)?, up_f32(b, &u)?, poisoned(b, n)?);
        run(b, &[launch::binary(k, ob, gb, ub, n as u32)?])?;
        let out = down_f32(b, ob, n)?;
        let r = if entry == "swiglu" {
            cpu::swiglu(&g, &u)
        } else {
            cpu::add(&g, &u)
        };
        rows.push(row(entry, format!("n={n}"), &out, &r, 1e-5));
        for buf in [gb, ub, ob] {
            b.free(buf)?;
        }
    }

    for ty in MATVEC_TYPES {
        let entry = embed_entry(ty)?;
        if !want(entry) {
            continue;
        }
        let k = b.load(&spec(entry, None)?)?;
        let (nr, nc) = (50 + rng.below(50), 512);
        let w = random_weights(&mut rng, ty, nr, nc)?;
        let tok = rng.below(nr);
        let (wb, tb, ob) = (
            up_bytes(b, &w)?,
            up_bytes(b, &(tok as u32).to_le_bytes())?,
            poisoned(b, nc)?,
        );
        run(
            b,
            &[launch::embed(k, ty, ob, wb, tb, nc as u32, nr as u32)?],
        )?;
        let out = down_f32(b, ob, nc)?;
        let r: Vec<f64> = cpu::embed(ty, &w, nr, nc, tok)?
            .iter()
            .map(|&v| v as f64)
            .collect();
        rows.push(row(entry, format!("token {tok} of {nr}"), &out, &r, 1e-6));
        for buf in [wb, tb, ob] {
            b.free(buf)?;
        }
    }

    if want("argmax") {
        let pk = b.load(&spec("argmax_partial", None)?)?;
        let fk = b.load(&spec("argmax_final", None)?)?;
        let n = 100_000 + rng.below(60_000);
        let mut x = rng.vec_f32_signed(n);
        // A tie at the maximum: the lower index must win.
        let (i1, i2) = (rng.below(n / 2), n / 2 + rng.below(n / 2));
        x[i1] = 2.0;
        x[i2] = 2.0;
        x[rng.below(n)] = f32::NAN;
        let xb = up_f32(b, &x)?;
        let (pv, pi) = (
            b.alloc(launch::ARGMAX_BLOCKS as u64 * 4)?,
            b.alloc(launch::ARGMAX_BLOCKS as u64 * 4)?,
        );
        let tb = poisoned(b, 1)?;
        run(b, &launch::argmax(pk, fk, tb, pv, pi, xb, n as u32)?)?;
        let mut got = [0u32; 1];
        b.download(tb, bytemuck::cast_slice_mut(&mut got))?;
        let want_tok = cpu::argmax(&x);
        rows.push(TestRow {
            kernel: "argmax_partial+final".into(),
            case: format!("n={n}, tie at {i1} and {i2}, one NaN"),
            ok: Some(got[0]) == want_tok,
            detail: format!("token {} (want {want_tok:?})", got[0]),
        });
        for buf in [xb, pv, pi, tb] {
            b.free(buf)?;
        }
    }
    b.free(pos_buf)?;
    super::selftest_fused::selftest_fused(b, filter, &mut rng, &mut rows)?;
    super::selftest_norm::selftest_norm(b, filter, &mut rng, &mut rows)?;
    Ok(rows)
}
