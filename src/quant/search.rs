//! Error-minimising scale searches for the K-quants (the math of ggml's `make_qx_quants` and
//! `make_qkx2_quants`, written from the formulas):
//!
//! * symmetric ([`search_symmetric`], Q6_K): x ≈ s·l, l ∈ [−nmax, nmax−1]. Try the inverse
//!   scales (nmax + δ)/max for a few δ around 0; for each rounding L, the weighted least-squares
//!   scale is s = Σwxl / Σwl², with weighted error Σwx² − (Σwxl)²/Σwl²; keep the L that maximises
//!   (Σwxl)²/Σwl². Weights w = x² favour the large values that dominate a matvec.
//! * asymmetric ([`search_scale_min`], Q4_K/Q5_K): x ≈ s·l − m, l ∈ [0, nmax], m ≥ 0. For each
//!   candidate inverse scale (nmax + δ)/(max − min), round L, then refit s and m jointly by
//!   weighted least squares (2×2 normal equations); keep the pair with the lowest weighted error.

/// 1.5·2^23: adding and subtracting it rounds an |x| < 2^22 to the nearest integer, ties to
/// even (ggml's `nearest_int` trick).
const MAGIC: f32 = 12_582_912.0;

/// `v` clamped to [lo, hi] (integers) and rounded half to even, as a float: the same value as
/// rounding then clamping, in a form the compiler vectorises (min/max/add/sub only).
#[inline(always)]
fn round_in(v: f32, lo: f32, hi: f32) -> f32 {
    let c = if v < lo { lo } else { v };
    let c = if c > hi { hi } else { c };
    (c + MAGIC) - MAGIC
}

/// `v` clamped to [lo, hi] and rounded half to even, as an integer. Clamping first keeps huge or
/// NaN quotients (a scale that rounded to an f16 subnormal) in range: no wrap-around.
#[inline(always)]
pub fn round_clamp(v: f32, lo: i32, hi: i32) -> i32 {
    round_in(v, lo as f32, hi as f32) as i32
}

/// Sum of 8 lanes, pairwise.
#[inline(always)]
fn sum8(a: [f32; 8]) -> f32 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// How hard a quantizer searches for its scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// ggml's full search (Q6_K: 19 candidate scales; Q4_K: 21; Q5_K: 16), the default.
    Full,
    /// A shorter search over the same range (Q6_K: 7 candidates; Q4_K/Q5_K: 6), for speed.
    Fast,
    /// No search: scale from the extreme values only (the baseline the tests compare against).
    MaxAbs,
}

/// Symmetric quantization of 16 values to l ∈ [−nmax, nmax−1], stored as l + nmax in `out_l`.
/// Returns the scale s (x ≈ s·l); 0 (and all l = 0) for an all-(near)-zero group.
pub fn search_symmetric(x: &[f32; 16], nmax: i32, search: Search, out_l: &mut [u8; 16]) -> f32 {
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax < 1e-15 {
        out_l.fill(nmax as u8);
        return 0.0;
    }
    let (lo, hi) = (-nmax as f32, (nmax - 1) as f32);
    let round_all = |iscale: f32, out_l: &mut [u8; 16]| {
        for (o, &v) in out_l.iter_mut().zip(x) {
            *o = (round_in(iscale * v, lo, hi) as i32 + nmax) as u8;
        }
    };
    if search == Search::MaxAbs {
        round_all(-(nmax as f32) / max, out_l);
        return -max / nmax as f32;
    }
    // Weights w = x²: w·x and w are fixed across candidates.
    let mut w = [0f32; 16];
    let mut wx = [0f32; 16];
    for i in 0..16 {
        w[i] = x[i] * x[i];
        wx[i] = w[i] * x[i];
    }
    // Σ w·x·l and Σ w·l² for one candidate inverse scale.
    let sums = |iscale: f32| {
        let mut lx = [0f32; 8];
        let mut l2 = [0f32; 8];
        for half in 0..2 {
            for k in 0..8 {
                let i = 8 * half + k;
                let l = round_in(iscale * x[i], lo, hi);
                lx[k] += wx[i] * l;
                l2[k] += w[i] * l * l;
            }
        }
        (sum8(lx), sum8(l2))
    };
    let mut best_iscale = -(nmax as f32) / max;
    let (sumlx, suml2) = sums(best_iscale);
    let mut scale = if suml2 > 0.0 { sumlx / suml2 } else { 0.0 };
    let mut best = scale * sumlx;
    let half_width = if search == Search::Full { 9 } else { 3 };
    let step = if search == Search::Full { 0.1 } else { 0.3 };
    for is in -half_width..=half_width {
        if is == 0 {
            continue;
        }
        let iscale = -(nmax as f32 + step * is as f32) / max;
        let (sumlx, suml2) = sums(iscale);
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            scale = sumlx / suml2;
            best = scale * sumlx;
            best_iscale = iscale;
        }
    }
    round_all(best_iscale, out_l);
    scale
}

/// Asymmetric quantization of the 32 values `x` with per-value `weights` to l ∈ [0, nmax] in
/// `out_l`. Returns (scale s, offset m ≥ 0) with x ≈ s·l − m.
pub fn search_scale_min(
    x: &[f32; 32],
    weights: &[f32; 32],
    nmax: i32,
    search: Search,
    out_l: &mut [u8; 32],
) -> (f32, f32) {
    let (mut min, mut max) = (x[0], x[0]);
    let (mut sum_w, mut sum_x, mut sum_x2) = (0f32, 0f32, 0f32);
    for (&v, &w) in x.iter().zip(weights) {
        min = min.min(v);
        max = max.max(v);
        sum_w += w;
        sum_x += w * v;
        sum_x2 += w * v * v;
    }
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        out_l.fill(0);
        return (0.0, -min);
    }
    let nmax_f = nmax as f32;
    // Rounds every value for one inverse scale into `l` and returns (Σwl, Σwl², Σwlx).
    let round_sums = |iscale: f32, min: f32, l: &mut [f32; 32]| {
        let mut s_l = [0f32; 8];
        let mut s_l2 = [0f32; 8];
        let mut s_xl = [0f32; 8];
        for c in 0..4 {
            for k in 0..8 {
                let i = 8 * c + k;
                let t = round_in(iscale * (x[i] - min), 0.0, nmax_f);
                l[i] = t;
                let wl = weights[i] * t;
                s_l[k] += wl;
                s_l2[k] += wl * t;
                s_xl[k] += wl * x[i];
            }
        }
        (sum8(s_l), sum8(s_l2), sum8(s_xl))
    };
    // Σ w·(s·l + m − x)² expanded in the sums, so no second pass over the values.
    let error = |s: f32, m: f32, (s_l, s_l2, s_xl): (f32, f32, f32)| {
        let (s, m) = (s as f64, m as f64);
        s * s * s_l2 as f64 + 2.0 * s * m * s_l as f64 + m * m * sum_w as f64
            - 2.0 * s * s_xl as f64
            - 2.0 * m * sum_x as f64
            + sum_x2 as f64
    };
    let mut best_l = [0f32; 32];
    let iscale = nmax_f / (max - min);
    let mut scale = 1.0 / iscale;
    let sums0 = round_sums(iscale, min, &mut best_l);
    if search != Search::MaxAbs {
        let mut best_error = error(scale, min, sums0);
        // Candidate range and step: ggml uses δ ∈ [−1, 1] step 0.1 for nmax 15 and [−0.5, 1]
        // step 0.1 for nmax 31; the fast search covers the same range in 5 steps.
        let (rmin, full_steps) = if nmax == 15 {
            (-1.0f32, 20)
        } else {
            (-0.5f32, 15)
        };
        let span = 0.1 * full_steps as f32;
        let nstep = if search == Search::Full {
            full_steps
        } else {
            5
        };
        let rdelta = span / nstep as f32;
        let mut laux = [0f32; 32];
        for is in 0..=nstep {
            let iscale = (rmin + rdelta * is as f32 + nmax_f) / (max - min);
            let (s_l, s_l2, s_xl) = round_sums(iscale, min, &mut laux);
            let det = sum_w * s_l2 - s_l * s_l;
            if det > 0.0 {
                let mut this_scale = (sum_w * s_xl - sum_x * s_l) / det;
                let mut this_min = (s_l2 * sum_x - s_l * s_xl) / det;
                if this_min > 0.0 {
                    this_min = 0.0;
                    this_scale = s_xl / s_l2;
                }
                let cur_error = error(this_scale, this_min, (s_l, s_l2, s_xl));
                if cur_error < best_error {
                    best_l = laux;
                    best_error = cur_error;
                    scale = this_scale;
                    min = this_min;
                }
            }
        }
    }
    for (o, &t) in out_l.iter_mut().zip(&best_l) {
        *o = t as u8;
    }
    (scale, -min)
}
