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

/// ggml's `nearest_int`: round half to even through the float mantissa (valid for |x| < 2^22;
/// larger or NaN inputs give some value that callers clamp, never a panic).
#[inline(always)]
pub fn nearest_int(x: f32) -> i32 {
    ((x + 12_582_912.0).to_bits() as i32 & 0x007f_ffff) - 0x0040_0000
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

/// Symmetric quantization of `x` (n ≤ 32) to l ∈ [−nmax, nmax−1], stored as l + nmax in `out_l`.
/// Returns the scale s (x ≈ s·l); 0 (and all l = 0) for an all-(near)-zero group.
pub fn search_symmetric(x: &[f32], nmax: i32, search: Search, out_l: &mut [u8]) -> f32 {
    let n = x.len();
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax < 1e-15 {
        out_l[..n].fill(nmax as u8);
        return 0.0;
    }
    let round_all = |iscale: f32, out_l: &mut [u8]| {
        for (o, &v) in out_l.iter_mut().zip(x) {
            *o = (nearest_int(iscale * v).clamp(-nmax, nmax - 1) + nmax) as u8;
        }
    };
    if search == Search::MaxAbs {
        round_all(-(nmax as f32) / max, out_l);
        return -max / nmax as f32;
    }
    // Σ w·x·l and Σ w·l² for one candidate inverse scale, w = x².
    let sums = |iscale: f32| {
        let (mut sumlx, mut suml2) = (0f32, 0f32);
        for &v in x {
            let l = nearest_int(iscale * v).clamp(-nmax, nmax - 1) as f32;
            let w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        (sumlx, suml2)
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
    let (mut sum_w, mut sum_x) = (0f32, 0f32);
    for (&v, &w) in x.iter().zip(weights) {
        min = min.min(v);
        max = max.max(v);
        sum_w += w;
        sum_x += w * v;
    }
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        out_l.fill(0);
        return (0.0, -min);
    }
    let round_all = |iscale: f32, min: f32, l: &mut [u8; 32]| {
        for (o, &v) in l.iter_mut().zip(x) {
            *o = nearest_int(iscale * (v - min)).clamp(0, nmax) as u8;
        }
    };
    let error = |scale: f32, min: f32, l: &[u8; 32]| {
        let mut e = 0f32;
        for i in 0..32 {
            let d = scale * l[i] as f32 + min - x[i];
            e += weights[i] * d * d;
        }
        e
    };
    let iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    round_all(iscale, min, out_l);
    if search == Search::MaxAbs {
        return (scale, -min);
    }
    let mut best_error = error(scale, min, out_l);
    // Candidate range and step: ggml uses δ ∈ [−1, 1] step 0.1 for nmax 15 and [−0.5, 1] step
    // 0.1 for nmax 31; the fast search covers the same range in 5 steps.
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
    let mut laux = [0u8; 32];
    for is in 0..=nstep {
        let iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        round_all(iscale, min, &mut laux);
        let (mut sum_l, mut sum_l2, mut sum_xl) = (0f32, 0f32, 0f32);
        for i in 0..32 {
            let l = laux[i] as f32;
            let w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        let det = sum_w * sum_l2 - sum_l * sum_l;
        if det > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let cur_error = error(this_scale, this_min, &laux);
            if cur_error < best_error {
                *out_l = laux;
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}
