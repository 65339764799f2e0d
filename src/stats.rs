//! Summary statistics for timed samples: median and spread, as every benchmark reports them.

/// Median, percentiles and spread of a set of samples (any unit; the caller names it).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub stddev: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub p10: f64,
    pub p90: f64,
    pub p99: f64,
}

/// The q-quantile (0..=1) of sorted samples, linear interpolation between neighbours.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let t = pos - lo as f64;
    sorted[lo] * (1.0 - t) + sorted[hi] * t
}

/// Summarise samples; NaNs are a caller bug and sort last.
pub fn summarize(samples: &[f64]) -> Summary {
    let mut s: Vec<f64> = samples.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Greater));
    let n = s.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        s.iter().sum::<f64>() / n as f64
    };
    let var = if n < 2 {
        0.0
    } else {
        s.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
    };
    Summary {
        n,
        mean,
        stddev: var.sqrt(),
        median: quantile_sorted(&s, 0.5),
        min: s.first().copied().unwrap_or(f64::NAN),
        max: s.last().copied().unwrap_or(f64::NAN),
        p10: quantile_sorted(&s, 0.10),
        p90: quantile_sorted(&s, 0.90),
        p99: quantile_sorted(&s, 0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        let s = summarize(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert!((s.mean - 3.0).abs() < 1e-12);
        assert!((s.stddev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.p10 - 1.4).abs() < 1e-12);
        let even = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(even.median, 2.5);
    }
}
