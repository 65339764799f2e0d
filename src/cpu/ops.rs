//! The per-position operations of the decoder, each on plain f32 slices: RMSNorm, RoPE in both
//! pairings, softmax, SiLU gating, argmax. All accumulate in f32 (the GPU kernels do the same), and
//! every one is tested alone against hand-computed values (tests/cpu_ops.rs).

use crate::models::RopeStyle;

/// out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i]. `out` may not alias `x`; see [`rmsnorm_inplace`].
pub fn rmsnorm(out: &mut [f32], x: &[f32], weight: &[f32], eps: f32) {
    let scale = rms_scale(x, eps);
    for ((o, &xi), &wi) in out.iter_mut().zip(x).zip(weight) {
        *o = xi * scale * wi;
    }
}

/// RMSNorm of `x` in place (Qwen3's per-head q/k norm).
pub fn rmsnorm_inplace(x: &mut [f32], weight: &[f32], eps: f32) {
    let scale = rms_scale(x, eps);
    for (xi, &wi) in x.iter_mut().zip(weight) {
        *xi = *xi * scale * wi;
    }
}

/// 1 / sqrt(mean(x²) + eps).
fn rms_scale(x: &[f32], eps: f32) -> f32 {
    let sum_sq: f32 = x.iter().map(|v| v * v).sum();
    let mean_sq = sum_sq / x.len().max(1) as f32;
    1.0 / (mean_sq + eps).sqrt()
}

/// The angles of one position: cos/sin of θ_j = pos · theta^(−2j/rope_dim) / freq_factors[j] for
/// j in 0..rope_dim/2 (models-and-quants.md §3). Computed once per position, shared by all heads.
pub struct RopeAngles {
    pub cos: Vec<f32>,
    pub sin: Vec<f32>,
}

impl RopeAngles {
    pub fn new(
        pos: usize,
        rope_dim: usize,
        theta: f32,
        freq_factors: Option<&[f32]>,
    ) -> RopeAngles {
        let half = rope_dim / 2;
        let mut cos = Vec::with_capacity(half);
        let mut sin = Vec::with_capacity(half);
        for j in 0..half {
            // In f64 so that large positions keep their angle exact; the rotation itself is f32.
            let inv_freq = (theta as f64).powf(-2.0 * j as f64 / rope_dim as f64);
            let ff = freq_factors.and_then(|f| f.get(j)).copied().unwrap_or(1.0) as f64;
            let angle = pos as f64 * inv_freq / ff;
            cos.push(angle.cos() as f32);
            sin.push(angle.sin() as f32);
        }
        RopeAngles { cos, sin }
    }
}

/// Rotates the first `2 · angles.cos.len()` values of one head in place; values past rope_dim
/// are left as they are. Norm pairs (x[2j], x[2j+1]); Neox pairs (x[j], x[j + rope_dim/2]).
pub fn rope_head(head: &mut [f32], angles: &RopeAngles, style: RopeStyle) {
    let half = angles.cos.len();
    for j in 0..half {
        let (ia, ib) = match style {
            RopeStyle::Norm => (2 * j, 2 * j + 1),
            RopeStyle::Neox => (j, j + half),
        };
        let (a, b) = (head[ia], head[ib]);
        let (c, s) = (angles.cos[j], angles.sin[j]);
        head[ia] = a * c - b * s;
        head[ib] = a * s + b * c;
    }
}

/// Softmax in place, shifted by the maximum so that large scores cannot overflow.
pub fn softmax_inplace(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// silu(x) = x · sigmoid(x).
pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// SwiGLU in place: gate[i] = silu(gate[i]) · up[i].
pub fn swiglu_inplace(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = silu(*g) * u;
    }
}

/// Greedy sampling: the index of the largest value, the lowest index on ties; NaNs never win.
/// None for an empty slice or one of only NaNs.
pub fn argmax(x: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i)
}

/// Dot product with 8 independent f32 accumulators (lets the compiler vectorise it).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (ac, bc) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for k in 0..8 {
            acc[k] += ac[k] * bc[k];
        }
    }
    let mut tail = 0.0f32;
    for i in chunks * 8..n {
        tail += a[i] * b[i];
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// y[r] = dot(w[r·cols .. (r+1)·cols], x) for every row of `y` (one thread).
pub fn matvec_rows(y: &mut [f32], w: &[f32], x: &[f32]) {
    let cols = x.len();
    for (r, yr) in y.iter_mut().enumerate() {
        *yr = dot(&w[r * cols..(r + 1) * cols], x);
    }
}

/// a[i] += b[i] (residual connection).
pub fn add_inplace(a: &mut [f32], b: &[f32]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x += y;
    }
}
