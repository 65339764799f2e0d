//! The CPU math of every decode kernel, on the same inputs, in f64 (weights dequantized with
//! `crate::quant`), and the error measure the GPU checks use.

use crate::quant;
use crate::{Error, GgmlType, Result};
use half::f16;

/// Bytes of one row of `cols` values of `ty`; an error when cols is not whole blocks.
pub fn row_bytes(ty: GgmlType, cols: usize) -> Result<usize> {
    ty.bytes_for(cols as u64)
        .map(|b| b as usize)
        .ok_or_else(|| {
            Error::Quant(format!(
                "{ty}: a row of {cols} values is not whole {}-value blocks",
                ty.block_elems()
            ))
        })
}

/// The rows of `w` dequantized (rows x cols, row-major), checking the byte length.
pub fn dequant_rows(ty: GgmlType, w: &[u8], rows: usize, cols: usize) -> Result<Vec<f32>> {
    let rb = row_bytes(ty, cols)?;
    if w.len() != rb * rows {
        return Err(Error::Quant(format!(
            "{ty}: {rows} rows of {cols} need {} bytes, got {}",
            rb * rows,
            w.len()
        )));
    }
    quant::dequantize_to_vec(ty, w, rows * cols)
}

/// matvec_<ty>: y[r] = y_in[r] (when accumulating) + sum_k W[r,k] x[k].
pub fn matvec(
    ty: GgmlType,
    w: &[u8],
    rows: usize,
    cols: usize,
    x: &[f32],
    y_in: Option<&[f32]>,
) -> Result<Vec<f64>> {
    let wf = dequant_rows(ty, w, rows, cols)?;
    if x.len() != cols {
        return Err(Error::Check(format!(
            "matvec: x has {} values, cols {cols}",
            x.len()
        )));
    }
    Ok((0..rows)
        .map(|r| {
            let dot: f64 = wf[r * cols..(r + 1) * cols]
                .iter()
                .zip(x)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum();
            dot + y_in.map_or(0.0, |y| y[r] as f64)
        })
        .collect())
}

/// rmsnorm over consecutive vectors of n: x * w / sqrt(mean(x^2) + eps).
pub fn rmsnorm(x: &[f32], w: &[f32], n: usize, eps: f32) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for v in x.chunks(n) {
        let ms: f64 = v.iter().map(|&a| a as f64 * a as f64).sum::<f64>() / n as f64;
        let inv = 1.0 / (ms + eps as f64).sqrt();
        out.extend(v.iter().zip(w).map(|(&a, &g)| a as f64 * inv * g as f64));
    }
    out
}

/// The rope angle theta_j = pos * base^(-2j/d) / ff[j].
pub fn rope_theta(j: usize, d: usize, pos: u32, base: f32, ff: Option<&[f32]>) -> f64 {
    let freq = (base as f64).powf(-2.0 * j as f64 / d as f64);
    pos as f64 * freq / ff.map_or(1.0, |f| f[j] as f64)
}

/// rope_llama (neox = false: pairs (2j, 2j+1)) / rope_neox (pairs (j, j+d/2)) on heads of d.
pub fn rope(x: &[f32], d: usize, pos: u32, base: f32, ff: Option<&[f32]>, neox: bool) -> Vec<f64> {
    let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    for head in out.chunks_mut(d) {
        for j in 0..d / 2 {
            let (i0, i1) = if neox {
                (j, j + d / 2)
            } else {
                (2 * j, 2 * j + 1)
            };
            let t = rope_theta(j, d, pos, base, ff);
            let (a, b) = (head[i0], head[i1]);
            head[i0] = a * t.cos() - b * t.sin();
            head[i1] = a * t.sin() + b * t.cos();
        }
    }
    out
}

/// qk_norm_rope_neox on one kind of heads (q or k): per-head rmsnorm with `w`, then neox rope.
pub fn qk_norm_rope(
    x: &[f32],
    w: &[f32],
    d: usize,
    eps: f32,
    pos: u32,
    base: f32,
    ff: Option<&[f32]>,
) -> Vec<f64> {
    let normed: Vec<f32> = rmsnorm(x, w, d, eps).iter().map(|&v| v as f32).collect();
    // The rounding to f32 between the two steps matches what the kernel holds in registers.
    rope(&normed, d, pos, base, ff, true)
}

/// kv_append: the f16 bits of each value (round to nearest even).
pub fn to_f16_bits(x: &[f32]) -> Vec<u16> {
    x.iter().map(|&v| f16::from_f32(v).to_bits()).collect()
}

/// Decode attention for one token over positions 0..n_ctx of an f16 cache laid out
/// [position][kv head][d]: out[h*d + i] = sum_t softmax_t(scale q_h.k_t) v_t[i], kv head
/// h / (n_head / n_kv).
#[allow(clippy::too_many_arguments)]
pub fn attention(
    q: &[f32],
    k_cache: &[u16],
    v_cache: &[u16],
    n_head: usize,
    n_kv: usize,
    d: usize,
    n_ctx: usize,
    scale: f32,
) -> Vec<f64> {
    let width = n_kv * d;
    let h2f = |b: u16| f16::from_bits(b).to_f32() as f64;
    let mut out = vec![0f64; n_head * d];
    for h in 0..n_head {
        let kvh = h / (n_head / n_kv);
        let qh = &q[h * d..(h + 1) * d];
        let scores: Vec<f64> = (0..n_ctx)
            .map(|t| {
                let k = &k_cache[t * width + kvh * d..t * width + kvh * d + d];
                scale as f64
                    * qh.iter()
                        .zip(k)
                        .map(|(&a, &b)| a as f64 * h2f(b))
                        .sum::<f64>()
            })
            .collect();
        let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let p: Vec<f64> = scores.iter().map(|s| (s - m).exp()).collect();
        let l: f64 = p.iter().sum();
        for i in 0..d {
            let acc: f64 = (0..n_ctx)
                .map(|t| p[t] * h2f(v_cache[t * width + kvh * d + i]))
                .sum();
            out[h * d + i] = acc / l;
        }
    }
    out
}

/// swiglu: silu(g) * u.
pub fn swiglu(gate: &[f32], up: &[f32]) -> Vec<f64> {
    gate.iter()
        .zip(up)
        .map(|(&g, &u)| {
            let g = g as f64;
            g / (1.0 + (-g).exp()) * u as f64
        })
        .collect()
}

/// add_f32: a + b.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as f64 + y as f64)
        .collect()
}

/// embed_<ty>: row `token` of the table, dequantized.
pub fn embed(ty: GgmlType, w: &[u8], rows: usize, cols: usize, token: usize) -> Result<Vec<f32>> {
    if token >= rows {
        return Err(Error::Check(format!("embed: token {token} >= rows {rows}")));
    }
    let rb = row_bytes(ty, cols)?;
    let row = w
        .get(token * rb..(token + 1) * rb)
        .ok_or_else(|| Error::Check(format!("embed: table of {} bytes too short", w.len())))?;
    quant::dequantize_to_vec(ty, row, cols)
}

/// argmax: the index of the largest value, the lowest on ties, NaN never chosen; None when
/// every value is NaN.
pub fn argmax(x: &[f32]) -> Option<u32> {
    let mut best: Option<(f32, usize)> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if best.is_none_or(|(b, _)| v > b) {
            best = Some((v, i));
        }
    }
    best.map(|(_, i)| i as u32)
}

/// Largest |out - ref| and the largest |out - ref| / max(|ref|, floor); NaN counts as infinite.
pub fn max_errors(out: &[f32], reference: &[f64], floor: f64) -> (f64, f64) {
    let mut abs = 0f64;
    let mut rel = 0f64;
    for (&o, &r) in out.iter().zip(reference) {
        let e = if o.is_finite() {
            (o as f64 - r).abs()
        } else {
            f64::INFINITY
        };
        abs = abs.max(e);
        rel = rel.max(e / r.abs().max(floor));
    }
    if out.len() != reference.len() {
        return (f64::INFINITY, f64::INFINITY);
    }
    (abs, rel)
}

/// A fused matvec (engine::launch::matvec_fused): x rmsnorm-ed with `norm_w` when given (the
/// normalised x rounded to f32, as the kernel keeps it in shared memory), then per `mode`
/// y = W x, y = y_in + W x, or y[r] = silu(W_r x) W_(r + rows/2) x for r < rows/2.
#[allow(clippy::too_many_arguments)]
pub fn matvec_fused(
    ty: GgmlType,
    w: &[u8],
    rows: usize,
    cols: usize,
    x: &[f32],
    norm_w: Option<&[f32]>,
    eps: f32,
    mode: super::launch::MatvecMode,
    y_in: Option<&[f32]>,
) -> Result<Vec<f64>> {
    use super::launch::MatvecMode;
    let xn: Vec<f32> = match norm_w {
        Some(nw) => rmsnorm(x, nw, cols, eps)
            .iter()
            .map(|&v| v as f32)
            .collect(),
        None => x.to_vec(),
    };
    let acc = if mode == MatvecMode::Accumulate {
        let y = y_in.ok_or_else(|| Error::Check("matvec_fused: accumulate needs y_in".into()))?;
        Some(y)
    } else {
        None
    };
    let dots = matvec(ty, w, rows, cols, &xn, acc)?;
    Ok(match mode {
        MatvecMode::Glu => glu(&dots),
        _ => dots,
    })
}

/// glu mode's outputs from the dots of gate rows then up rows: silu(g_r) u_r.
fn glu(dots: &[f64]) -> Vec<f64> {
    let half = dots.len() / 2;
    (0..half)
        .map(|r| dots[r] / (1.0 + (-dots[r]).exp()) * dots[r + half])
        .collect()
}

/// matvec_q4_k_d's (`qmax` 127, int8) and matvec_q4_k_d16's (32767, int16) x staging: per 32
/// values amax = max(max |v|, 1e-30), q = round-half-even(v * (qmax / amax)), d = amax *
/// f32(1/qmax), every step in f32 as the kernel does it (so the same q). Returns q * d per value
/// and d per block.
pub fn quantize_x_int_32(v: &[f32], qmax: u32) -> (Vec<f32>, Vec<f32>) {
    let q = qmax as f32;
    let mut xq = Vec::with_capacity(v.len());
    let mut ds = Vec::with_capacity(v.len() / 32 + 1);
    for b in v.chunks(32) {
        let amax = b.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-30);
        let inv = q / amax;
        let d = amax * (1f32 / q);
        xq.extend(b.iter().map(|&x| (x * inv).round_ties_even() * d));
        ds.push(d);
    }
    (xq, ds)
}

/// Bytes of a Q4_K block, and where its 128 bytes of nibbles start (after d, dmin, 12 scales).
pub const Q4_K_BLOCK_B: usize = 144;
const Q4_K_QS_OFF: usize = 16;

/// `w` (Q4_K) with every block's nibbles zeroed: dequantized, each weight is its −dmin·m term
/// alone, the part the integer-x kernels take against x itself.
pub fn q4_k_min_part(w: &[u8]) -> Vec<u8> {
    let mut m = w.to_vec();
    for blk in m.chunks_mut(Q4_K_BLOCK_B) {
        let n = blk.len();
        blk[Q4_K_QS_OFF.min(n)..].fill(0);
    }
    m
}

/// What matvec_q4_k_d / _d16 (x as integers of at most `qmax`, `FusedMatvec::x_int_max`)
/// computes, and a bound on how far that may be from [`matvec_fused`] (f32 x). With
/// v = x o norm_w (x without the norm) and s = 1/rms (1 without the norm), a Q4_K weight is d sc q - dmin m: the kernel takes the d sc q part
/// against v rounded by [`quantize_x_int_32`] and the min part against v itself (its staged
/// sums). Per output before glu: dot = s (sum Wq v^ + sum Wm v); the bound is
/// s sum |Wq| d_b / 2 (glu outputs get no bound: None).
#[allow(clippy::too_many_arguments)]
pub fn matvec_fused_x_int(
    qmax: u32,
    w: &[u8],
    rows: usize,
    cols: usize,
    x: &[f32],
    norm_w: Option<&[f32]>,
    eps: f32,
    mode: super::launch::MatvecMode,
    y_in: Option<&[f32]>,
) -> Result<(Vec<f64>, Option<Vec<f64>>)> {
    use super::launch::MatvecMode;
    let ty = GgmlType::Q4_K;
    let v: Vec<f32> = match norm_w {
        Some(nw) => x.iter().zip(nw).map(|(a, b)| a * b).collect(),
        None => x.to_vec(),
    };
    let s = match norm_w {
        Some(_) => {
            let ms = x.iter().map(|&a| a as f64 * a as f64).sum::<f64>() / cols as f64;
            1.0 / (ms + eps as f64).sqrt()
        }
        None => 1.0,
    };
    let (xq, ds) = quantize_x_int_32(&v, qmax);
    let w_min = q4_k_min_part(w);
    let wf = dequant_rows(ty, w, rows, cols)?;
    let wm = dequant_rows(ty, &w_min, rows, cols)?;
    let mut dots = Vec::with_capacity(rows);
    let mut bound = Vec::with_capacity(rows);
    for r in 0..rows {
        let (mut dot, mut err) = (0f64, 0f64);
        for c in 0..cols {
            let (m, q) = (
                wm[r * cols + c] as f64,
                (wf[r * cols + c] - wm[r * cols + c]) as f64,
            );
            dot += q * xq[c] as f64 + m * v[c] as f64;
            err += q.abs() * ds[c / 32] as f64 / 2.0;
        }
        dots.push(s * dot);
        bound.push(s * err);
    }
    Ok(match mode {
        MatvecMode::Glu => (glu(&dots), None),
        MatvecMode::Accumulate => {
            let y0 = y_in.ok_or_else(|| Error::Check("accumulate needs y_in".into()))?;
            (
                dots.iter().zip(y0).map(|(d, &y)| d + y as f64).collect(),
                Some(bound),
            )
        }
        _ => (dots, Some(bound)),
    })
}

/// What matvec_q6_k_n (engine::launch::matvec_norm) produces: y, and for a producer launch
/// xw = y o norm_next and the sum of y^2 it adds into its slot.
#[derive(Debug, Clone, PartialEq)]
pub struct NormMatvecOut {
    pub y: Vec<f64>,
    pub xw: Option<Vec<f64>>,
    pub sumsq: f64,
}

/// matvec_q6_k_n: dot_r = W_r x, times s = 1 / sqrt(sumsq_in / cols + eps) when `sumsq_in` is
/// given (the consumer of a folded norm), plus y_in[r] when accumulating; with `norm_next` (the
/// producer) also xw[r] = y[r] norm_next[r] and sum_r y[r]^2, from y rounded to f32 as the
/// kernel stores it.
#[allow(clippy::too_many_arguments)]
pub fn matvec_norm(
    ty: GgmlType,
    w: &[u8],
    rows: usize,
    cols: usize,
    x: &[f32],
    sumsq_in: Option<f32>,
    eps: f32,
    y_in: Option<&[f32]>,
    norm_next: Option<&[f32]>,
) -> Result<NormMatvecOut> {
    let dots = matvec(ty, w, rows, cols, x, None)?;
    let s = sumsq_in.map_or(1.0, |ss| {
        1.0 / (ss as f64 / cols as f64 + eps as f64).sqrt()
    });
    let y: Vec<f64> = dots
        .iter()
        .enumerate()
        .map(|(r, d)| d * s + y_in.map_or(0.0, |y| y[r] as f64))
        .collect();
    let (xw, sumsq) = match norm_next {
        Some(nw) if nw.len() >= rows => {
            let yf: Vec<f64> = y.iter().map(|&v| v as f32 as f64).collect();
            let xw = yf.iter().zip(nw).map(|(a, &b)| a * b as f64).collect();
            (Some(xw), yf.iter().map(|a| a * a).sum())
        }
        Some(nw) => {
            return Err(Error::Check(format!(
                "matvec_norm: norm_next has {} values, rows {rows}",
                nw.len()
            )))
        }
        None => (None, 0.0),
    };
    Ok(NormMatvecOut { y, xw, sumsq })
}
