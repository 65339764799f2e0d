//! CPU references for every GPU kernel, in f64 where the kernel accumulates, and the error
//! measure the checks use: ||out - ref|| / ||ref||.

use half::f16;

/// The bit pattern written into outputs before a kernel runs (a quiet NaN): an element the
/// kernel forgot to write stays NaN and fails every check.
pub const POISON_U32: u32 = 0x7fc0_dead;

/// ||out - ref|| / ||ref|| (2-norms); infinite when any output is NaN or the lengths differ.
pub fn rel_error(out: &[f32], reference: &[f64]) -> f64 {
    if out.len() != reference.len() {
        return f64::INFINITY;
    }
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    for (&o, &r) in out.iter().zip(reference) {
        if !o.is_finite() {
            return f64::INFINITY;
        }
        let d = o as f64 - r;
        num += d * d;
        den += r * r;
    }
    if den == 0.0 {
        return num.sqrt();
    }
    (num / den).sqrt()
}

/// How many outputs still hold the poison bits.
pub fn count_poisoned(out: &[f32]) -> usize {
    out.iter().filter(|x| x.to_bits() == POISON_U32).count()
}

/// Sum of f32 values in f64 (read_sum_f32's reference).
pub fn sum_f64(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum()
}

/// One element c[i][j] of a row-major (m x k) * (k x n) product, accumulated in f64.
pub fn matmul_elem(a: &[f32], b: &[f32], n: usize, k: usize, i: usize, j: usize) -> f64 {
    (0..k)
        .map(|p| a[i * k + p] as f64 * b[p * n + j] as f64)
        .sum()
}

/// The full product in f64, rows split over the CPU's threads.
pub fn matmul_f64(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut c = vec![0.0f64; m * n];
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .min(m.max(1));
    let rows_per = m.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (t, chunk) in c.chunks_mut(rows_per * n).enumerate() {
            s.spawn(move || {
                for (r, row) in chunk.chunks_mut(n).enumerate() {
                    let i = t * rows_per + r;
                    for p in 0..k {
                        let av = a[i * k + p] as f64;
                        let brow = &b[p * n..p * n + n];
                        for (cj, &bv) in row.iter_mut().zip(brow) {
                            *cj += av * bv as f64;
                        }
                    }
                }
            });
        }
    });
    c
}

/// f16 values as f32 (exact), so the f16 kernels share the f32 references.
pub fn f16_to_f32(x: &[f16]) -> Vec<f32> {
    x.iter().map(|v| v.to_f32()).collect()
}

/// f32 values rounded to f16.
pub fn f32_to_f16(x: &[f32]) -> Vec<f16> {
    x.iter().map(|&v| f16::from_f32(v)).collect()
}

/// Check a product against the reference: full when m*n*k is small enough, else `samples`
/// random elements in f64. Returns (relative error, "full" or "N samples").
pub fn check_matmul(
    out: &[f32],
    a: &[f32],
    b: &[f32],
    (m, n, k): (usize, usize, usize),
    full_limit_flops: u64,
    samples: usize,
    rng: &mut super::rng::Rng,
) -> (f64, String) {
    if (m * n * k) as u64 <= full_limit_flops {
        let r = matmul_f64(a, b, m, n, k);
        return (rel_error(out, &r), "full".into());
    }
    let mut got = Vec::with_capacity(samples);
    let mut want = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (i, j) = (rng.below(m), rng.below(n));
        got.push(out[i * n + j]);
        want.push(matmul_elem(a, b, n, k, i, j));
    }
    // Every element must have been written, sampled or not.
    if out.iter().any(|x| !x.is_finite()) {
        return (f64::INFINITY, format!("{samples} samples; NaN in output"));
    }
    (rel_error(&got, &want), format!("{samples} samples"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_reference_matches_hand_product() {
        // [[1,2],[3,4]] * [[5,6],[7,8]] = [[19,22],[43,50]]
        let c = matmul_f64(&[1., 2., 3., 4.], &[5., 6., 7., 8.], 2, 2, 2);
        assert_eq!(c, vec![19., 22., 43., 50.]);
        assert_eq!(
            matmul_elem(&[1., 2., 3., 4.], &[5., 6., 7., 8.], 2, 2, 1, 0),
            43.
        );
    }

    #[test]
    fn rel_error_flags_nan_and_poison() {
        assert_eq!(rel_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!(rel_error(&[f32::NAN, 2.0], &[1.0, 2.0]).is_infinite());
        let poisoned = f32::from_bits(POISON_U32);
        assert!(poisoned.is_nan());
        assert_eq!(count_poisoned(&[poisoned, 1.0]), 1);
        let e = rel_error(&[1.1, 2.0], &[1.0, 2.0]);
        assert!((e - 0.1 / 5f64.sqrt()).abs() < 1e-6, "{e}");
    }

    #[test]
    fn sampled_check_agrees_with_full() {
        let mut rng = crate::bench::rng::Rng::new(7);
        let (m, n, k) = (24, 16, 8);
        let a = rng.vec_f32_signed(m * k);
        let b = rng.vec_f32_signed(k * n);
        let full: Vec<f32> = matmul_f64(&a, &b, m, n, k)
            .iter()
            .map(|&x| x as f32)
            .collect();
        let (e_full, how) = check_matmul(&full, &a, &b, (m, n, k), u64::MAX, 0, &mut rng);
        assert_eq!(how, "full");
        assert!(e_full < 1e-6);
        let (e_s, how) = check_matmul(&full, &a, &b, (m, n, k), 0, 50, &mut rng);
        assert_eq!(how, "50 samples");
        assert!(e_s < 1e-6);
        let mut wrong = full.clone();
        wrong.iter_mut().for_each(|x| *x += 1.0);
        assert!(check_matmul(&wrong, &a, &b, (m, n, k), 0, 50, &mut rng).0 > 0.1);
    }

    #[test]
    fn f16_round_trip_is_exact_for_f16_values() {
        let h = f32_to_f16(&[0.5, -1.25, 3.0]);
        assert_eq!(f16_to_f32(&h), vec![0.5, -1.25, 3.0]);
    }
}
