//! Quantization quality: relative RMSE of quantize → dequantize on Gaussian data (fixed seed,
//! own PRNG + Box-Muller), per type against a stated bound, and the error-minimising scale
//! search against plain max-abs scaling. Run with `--nocapture` to see the table.

use kernlab::quant::{self, Search};
use kernlab::GgmlType;

/// splitmix64: a small, well-mixed, reproducible 64-bit generator.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal by Box-Muller.
    fn gauss(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed);
    (0..n).map(|_| r.gauss() as f32).collect()
}

/// ‖dequant(quant(x)) − x‖ / ‖x‖.
fn rel_rmse(ty: GgmlType, x: &[f32], search: Search) -> f64 {
    let q = quant::quantize_with(ty, x, search).unwrap();
    let y = quant::dequantize_to_vec(ty, &q, x.len()).unwrap();
    let (mut e2, mut x2) = (0f64, 0f64);
    for (a, b) in x.iter().zip(&y) {
        e2 += ((a - b) as f64).powi(2);
        x2 += (*a as f64).powi(2);
    }
    (e2 / x2).sqrt()
}

const N: usize = 256 * 1024;
const SEED: u64 = 0x5EED_0001;

#[test]
fn relative_rmse_below_bounds() {
    let x = gaussian(N, SEED);
    // Bounds = measured relative RMSE (Full search, N = 262144, SEED above) plus ~7-10 %.
    // Measured (full / fast / max-abs): F16 0.000208; BF16 0.001662; Q8_0 0.005350;
    // Q6_K 0.017793 / 0.017792 / 0.018851; Q5_K 0.036156 / 0.036304 / 0.038234;
    // Q4_K 0.071373 / 0.071939 / 0.078385; Q4_0 0.086124. (For unit Gaussians the uniform
    // rounding-noise estimate step/√12 gives about the same: Q6_K ≈ 1.7 %, Q4_K ≈ 8 % before
    // the search, so these are at the format's limit, not loose.)
    let bounds: [(GgmlType, f64); 7] = [
        (GgmlType::F16, 0.00023),
        (GgmlType::BF16, 0.0018),
        (GgmlType::Q8_0, 0.0058),
        (GgmlType::Q6_K, 0.0192),
        (GgmlType::Q5_K, 0.039),
        (GgmlType::Q4_K, 0.077),
        (GgmlType::Q4_0, 0.093),
    ];
    println!("type   full      fast      max-abs   bound");
    for (ty, bound) in bounds {
        let full = rel_rmse(ty, &x, Search::Full);
        let fast = rel_rmse(ty, &x, Search::Fast);
        let maxabs = rel_rmse(ty, &x, Search::MaxAbs);
        println!("{ty:<6} {full:.6}  {fast:.6}  {maxabs:.6}  {bound}");
        assert!(full < bound, "{ty}: relative RMSE {full} >= bound {bound}");
        assert!(
            fast < bound * 1.05,
            "{ty}: fast relative RMSE {fast} >= {}",
            bound * 1.05
        );
    }
}

#[test]
fn search_beats_max_abs_scaling() {
    let x = gaussian(N, SEED ^ 0xABCD);
    for ty in [GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K] {
        let full = rel_rmse(ty, &x, Search::Full);
        let fast = rel_rmse(ty, &x, Search::Fast);
        let maxabs = rel_rmse(ty, &x, Search::MaxAbs);
        println!(
            "{ty}: full {full:.6} fast {fast:.6} max-abs {maxabs:.6} (full gains {:.1} %)",
            100.0 * (1.0 - full / maxabs)
        );
        assert!(
            full < maxabs * 0.97,
            "{ty}: search {full} not clearly below max-abs {maxabs}"
        );
        assert!(
            fast < maxabs,
            "{ty}: fast search {fast} not below max-abs {maxabs}"
        );
        assert!(
            full <= fast * 1.001,
            "{ty}: full search {full} worse than fast {fast}"
        );
    }
}
