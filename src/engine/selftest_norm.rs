//! matvec_q6_k_n (the norm folded into the Q6_K warp matvec, normfold) on a GPU backend against
//! [`super::reference::matvec_norm`]: the real llama1b shapes (the 3072 x 2048 q|k|v consumer
//! scaling by 1 / rms from its slot; the 2048 x 2048 o-proj and 2048 x 8192 down producers
//! accumulating into y, writing y o norm_next and adding sum y^2 into a slot that starts at a
//! known nonzero value, and clearing another slot), then a small odd shape with every part on.
//! Random inputs; y (when stored), xw and the cleared slot poisoned first.
//! The same checks run on matvec_q6_k_nk (splitq6: the same kernel split over the columns), on
//! the residual shapes it takes (2048 x 2048 and 2048 x 8192 producers, qwen3-1.7b's 2048 x 6144
//! plain accumulate) and odd small ones (a lone last row, fewer chunks than warps), and
//! matvec_q6_k_n's cases on every other kernel of its parameters and grid
//! (kernels::NORM_MATVEC_Q6_K_WARP: nx's other dequantization, the cp.async and L2-prefetch
//! pipelines).

use super::kernels::{spec, NORM_MATVEC_Q6_K_SPLIT, NORM_MATVEC_Q6_K_WARP};
use super::launch::{self, MatvecMode, NormFold};
use super::reference as cpu;
use super::selftest::{down_f32, poisoned, random_weights, row, row_matvec, run, up_bytes, up_f32};
use crate::bench::rng::Rng;
use crate::bench::selftest::TestRow;
use crate::gpu::{Backend, KernelId};
use crate::{GgmlType, Result};

/// One case: rows x cols; `consumer`: a sumsq_in slot; `producer`: accumulate into random y,
/// xw, sum y^2 into a slot starting at a known value, and a clear; `accumulate`: into random y
/// (always with `producer`).
struct Case {
    rows: usize,
    cols: usize,
    consumer: bool,
    producer: bool,
    accumulate: bool,
}

/// `name`: a NORM_MATVEC_Q6_K_WARP kernel or NORM_MATVEC_Q6_K_SPLIT, loaded as `k`.
fn check(
    b: &mut dyn Backend,
    rng: &mut Rng,
    (name, k): (&str, KernelId),
    c: &Case,
) -> Result<Vec<TestRow>> {
    let (rows, cols, eps) = (c.rows, c.cols, 1e-5f32);
    let ty = GgmlType::Q6_K;
    let w = random_weights(rng, ty, rows, cols)?;
    let x = rng.vec_f32_signed(cols);
    let y0 = rng.vec_f32_signed(rows);
    let nw = rng.vec_f32_signed(rows);
    // A sum of squares like a residual's (mean square ~ 1/3 .. 4/3), and a slot's earlier sum.
    let sumsq_in = cols as f32 * (1.0 + rng.f32_unit()) / 3.0;
    let slot0 = 1.0 + 10.0 * rng.f32_unit();
    let (wb, xb) = (up_bytes(b, &w)?, up_f32(b, &x)?);
    let acc = c.producer || c.accumulate;
    let yb = if acc {
        up_f32(b, &y0)?
    } else {
        poisoned(b, rows)?
    };
    let (inb, nwb) = (up_f32(b, &[sumsq_in])?, up_f32(b, &nw)?);
    let (xwb, outb, clrb) = (poisoned(b, rows)?, up_f32(b, &[slot0])?, poisoned(b, 1)?);
    let fold = NormFold {
        sumsq_in: c.consumer.then_some(inb),
        eps,
        produce: c.producer.then_some((xwb, nwb, outb)),
        sumsq_clear: c.producer.then_some(clrb),
    };
    let (n_rows, n_cols) = (rows as u32, cols as u32);
    let mode = if acc {
        MatvecMode::Accumulate
    } else {
        MatvecMode::Store
    };
    let p = launch::matvec_norm_as(name, k, ty, [yb, wb, xb], n_rows, n_cols, mode, fold)?;
    run(b, &[p])?;
    let r = cpu::matvec_norm(
        ty,
        &w,
        rows,
        cols,
        &x,
        c.consumer.then_some(sumsq_in),
        eps,
        acc.then_some(&y0[..]),
        c.producer.then_some(&nw[..]),
    )?;
    let shape = format!(
        "{rows}x{cols}{}{}",
        if c.consumer { " /rms" } else { "" },
        if c.producer {
            " y+= xw sumsq clear"
        } else if acc {
            " y+="
        } else {
            ""
        }
    );
    let tol = 1e-5 * (cols as f64).sqrt() * 10.0;
    let mut out = vec![row_matvec(
        name,
        format!("{shape}: y"),
        &down_f32(b, yb, rows)?,
        &r.y,
        tol,
    )];
    if let Some(xw) = &r.xw {
        let got = down_f32(b, xwb, rows)?;
        out.push(row_matvec(name, format!("{shape}: xw"), &got, xw, tol));
        let got = down_f32(b, outb, 1)?;
        let want = [slot0 as f64 + r.sumsq];
        out.push(row(
            name,
            format!("{shape}: slot += sum y^2"),
            &got,
            &want,
            1e-4,
        ));
        let cleared = down_f32(b, clrb, 1)?[0];
        out.push(TestRow {
            kernel: name.to_string(),
            case: format!("{shape}: cleared slot"),
            ok: cleared.to_bits() == 0,
            detail: format!("{cleared} (want 0.0 over the NaN poison)"),
        });
    }
    for buf in [wb, xb, yb, inb, nwb, xwb, outb, clrb] {
        b.free(buf)?;
    }
    Ok(out)
}

/// matvec_q6_k_n's cases on every NORM_MATVEC_Q6_K_WARP kernel, and matvec_q6_k_nk's, each
/// when `filter` selects it (a part of its name: `matvec_q6_k_n` selects all of them).
pub fn selftest_norm(
    b: &mut dyn Backend,
    filter: Option<&str>,
    rng: &mut Rng,
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    for name in NORM_MATVEC_Q6_K_WARP {
        if !filter.is_none_or(|f| name.contains(f)) {
            continue;
        }
        let k = b.load(&spec(name, None)?)?;
        let odd = 37 + 2 * rng.below(30);
        let cases = [
            (3072, 2048, true, false, false),
            (2048, 2048, false, true, true),
            (2048, 8192, false, true, true),
            (128256 / 8, 2048, true, false, false),
            (odd, 1024 * (1 + rng.below(3)), true, true, true),
            (odd, 1024, false, false, false),
        ];
        run_cases(b, rng, (name, k), &cases, rows)?;
        // glu (the gate|up consumer): llama1b's 2 x 8192 rows, and a small odd gate count.
        for (gate_rows, cols) in [(8192, 2048), (odd, 1024 * (1 + rng.below(3)))] {
            rows.push(check_glu(b, rng, (name, k), gate_rows, cols)?);
        }
    }
    if filter.is_none_or(|f| NORM_MATVEC_Q6_K_SPLIT.contains(f)) {
        let k = b.load(&spec(NORM_MATVEC_Q6_K_SPLIT, None)?)?;
        let odd = 37 + 2 * rng.below(30);
        let cases = [
            (2048, 2048, false, true, true),
            (2048, 8192, false, true, true),
            (2048, 6144, false, false, true),
            (3072, 2048, true, false, false),
            // 1 row; a lone last row; 9 chunks (warp 0 takes 3, 2 trips ahead + 1)
            (1, 1024, true, true, true),
            (odd, 1024 * (1 + rng.below(3)), true, true, true),
            (odd, 9 * 1024, false, false, false),
            (odd + 1, 5 * 1024, true, false, true),
        ];
        run_cases(b, rng, (NORM_MATVEC_Q6_K_SPLIT, k), &cases, rows)?;
    }
    Ok(())
}

/// Each (rows, cols, consumer, producer, accumulate) case on kernel `nk`.
fn run_cases(
    b: &mut dyn Backend,
    rng: &mut Rng,
    nk: (&str, KernelId),
    cases: &[(usize, usize, bool, bool, bool)],
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    for &(n_rows, cols, consumer, producer, accumulate) in cases {
        let c = Case {
            rows: n_rows,
            cols,
            consumer,
            producer,
            accumulate,
        };
        rows.extend(check(b, rng, nk, &c)?);
    }
    Ok(())
}

/// A NORM_MATVEC_Q6_K_WARP kernel (`name`, loaded as `k`) in glu mode: `gate_rows` gate rows
/// then as many up rows, consumer scale on, y[p] = silu(g_p) * u_p against the CPU
/// (reference::matvec_norm's row dots, silu in f64).
fn check_glu(
    b: &mut dyn Backend,
    rng: &mut Rng,
    (name, k): (&str, KernelId),
    gate_rows: usize,
    cols: usize,
) -> Result<TestRow> {
    let (rows, eps, ty) = (2 * gate_rows, 1e-5f32, GgmlType::Q6_K);
    let w = random_weights(rng, ty, rows, cols)?;
    let x = rng.vec_f32_signed(cols);
    let sumsq_in = cols as f32 * (1.0 + rng.f32_unit()) / 3.0;
    let (wb, xb, yb) = (up_bytes(b, &w)?, up_f32(b, &x)?, poisoned(b, rows)?);
    let inb = up_f32(b, &[sumsq_in])?;
    let fold = NormFold {
        sumsq_in: Some(inb),
        eps,
        produce: None,
        sumsq_clear: None,
    };
    let (n_rows, n_cols) = (rows as u32, cols as u32);
    let glu = MatvecMode::Glu;
    let p = launch::matvec_norm_as(name, k, ty, [yb, wb, xb], n_rows, n_cols, glu, fold)?;
    run(b, &[p])?;
    let dots = cpu::matvec_norm(ty, &w, rows, cols, &x, Some(sumsq_in), eps, None, None)?.y;
    let want: Vec<f64> = (0..gate_rows)
        .map(|i| {
            let g = dots[i];
            g / (1.0 + (-g).exp()) * dots[i + gate_rows]
        })
        .collect();
    let got = down_f32(b, yb, gate_rows)?;
    for buf in [wb, xb, yb, inb] {
        b.free(buf)?;
    }
    let tol = 1e-5 * (cols as f64).sqrt() * 10.0;
    Ok(row_matvec(
        name,
        format!("{gate_rows}+{gate_rows}x{cols} /rms glu: silu(g) u"),
        &got,
        &want,
        tol,
    ))
}
