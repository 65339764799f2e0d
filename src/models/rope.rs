//! LLaMA 3.x rope scaling, baked into `rope_freqs.weight` the way convert_hf_to_gguf.py does it
//! (models-and-quants.md §3): one divisor per rotated pair, applied as θ_j /= ff[j].

/// HF `rope_scaling` with `rope_type = "llama3"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Llama3Rope {
    pub factor: f32,
    pub low_freq_factor: f32,
    pub high_freq_factor: f32,
    /// `original_max_position_embeddings` (8192 for LLaMA 3.1 / 3.2).
    pub original_ctx: usize,
}

impl Llama3Rope {
    /// The `rope_dim / 2` divisors for base `theta`: 1 for short wavelengths, `factor` for long
    /// ones, a smooth blend between. Computed in f64 as the converter does in numpy float64.
    pub fn freq_factors(&self, theta: f32, rope_dim: usize) -> Vec<f32> {
        let old = self.original_ctx as f64;
        let lo = self.low_freq_factor as f64;
        let hi = self.high_freq_factor as f64;
        let factor = self.factor as f64;
        let low_freq_wavelen = old / lo;
        let high_freq_wavelen = old / hi;
        (0..rope_dim / 2)
            .map(|j| {
                let freq = 1.0 / (theta as f64).powf((2 * j) as f64 / rope_dim as f64);
                let wavelen = 2.0 * std::f64::consts::PI / freq;
                let ff = if wavelen < high_freq_wavelen {
                    1.0
                } else if wavelen > low_freq_wavelen {
                    factor
                } else {
                    let smooth = (old / wavelen - lo) / (hi - lo);
                    1.0 / ((1.0 - smooth) / factor + smooth)
                };
                ff as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: &[f32], pred: impl Fn(f32) -> bool) -> usize {
        v.iter().filter(|&&x| pred(x)).count()
    }

    #[test]
    fn llama32_1b_and_31_8b_freq_factors_match_reference_table() {
        let r = Llama3Rope {
            factor: 32.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_ctx: 8192,
        };
        let ff = r.freq_factors(500000.0, 64);
        assert_eq!(ff.len(), 32);
        assert_eq!(count(&ff, |x| x == 1.0), 15);
        assert_eq!(count(&ff, |x| x == 32.0), 14);
        let smooth: Vec<f32> = ff
            .iter()
            .copied()
            .filter(|&x| x != 1.0 && x != 32.0)
            .collect();
        let want = [1.651, 3.292, 9.667];
        for (g, w) in smooth.iter().zip(want) {
            assert!((g - w).abs() < 1e-3, "{smooth:?}");
        }
        let r8 = Llama3Rope { factor: 8.0, ..r };
        let ff8 = r8.freq_factors(500000.0, 128);
        assert_eq!(count(&ff8, |x| x == 1.0), 29);
        assert_eq!(count(&ff8, |x| x == 8.0), 29);
        let s8: Vec<f32> = ff8
            .iter()
            .copied()
            .filter(|&x| x != 1.0 && x != 8.0)
            .collect();
        assert!(
            (s8[0] - 1.207).abs() < 1e-3 && (s8[5] - 5.257).abs() < 1e-3,
            "{s8:?}"
        );
    }
}
