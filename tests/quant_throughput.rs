//! Quantizer throughput (values per second on one core), printed with `--nocapture`:
//! `cargo test -p kernlab --release --test quant_throughput -- --nocapture`.
//! Besides printing, it checks that what it timed dequantizes back close to the input, and
//! that the threaded-style row API (`quantize_row_into*`) gives the same bytes as `quantize*`.

use kernlab::quant::{self, Search};
use kernlab::GgmlType;
use std::time::Instant;

fn data(n: usize) -> Vec<f32> {
    // A cheap deterministic pseudo-Gaussian (sum of 4 uniforms), enough for timing.
    let mut s = 0x1234_5678_9abc_def0u64;
    (0..n)
        .map(|_| {
            let mut acc = 0f32;
            for _ in 0..4 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                acc += (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
            acc
        })
        .collect()
}

#[test]
fn quantizer_throughput() {
    let n = 2 * 1024 * 1024;
    let x = data(n);
    println!("type   search   Mvalues/s/core   rel-RMSE   (1.2e9 values on 2 cores)");
    for ty in [
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q6_K,
        GgmlType::Q5_K,
        GgmlType::Q4_K,
    ] {
        for search in [Search::Full, Search::Fast] {
            let mut dst = vec![0u8; ty.bytes_for(n as u64).unwrap() as usize];
            let t0 = Instant::now();
            quant::quantize_row_into_with(ty, &x, &mut dst, search).unwrap();
            let secs = t0.elapsed().as_secs_f64();
            let mvps = n as f64 / secs / 1e6;
            let y = quant::dequantize_to_vec(ty, &dst, n).unwrap();
            let e2: f64 = x
                .iter()
                .zip(&y)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum();
            let x2: f64 = x.iter().map(|a| (*a as f64).powi(2)).sum();
            let rel = (e2 / x2).sqrt();
            println!(
                "{ty:<6} {search:<8?} {mvps:>10.1}        {rel:.5}    {:.1} s",
                1.2e9 / (mvps * 1e6 * 2.0)
            );
            assert!(rel < 0.1, "{ty} {search:?}: relative RMSE {rel}");
            let via_vec = quant::quantize_with(ty, &x[..4096], search).unwrap();
            assert_eq!(via_vec[..], dst[..via_vec.len()], "{ty} {search:?}");
            let t0 = Instant::now();
            let par = quant::quantize_parallel(ty, &x, search, 2).unwrap();
            let par_mvps = n as f64 / t0.elapsed().as_secs_f64() / 1e6;
            println!(
                "{:<6} {:<8} {par_mvps:>10.1} (quantize_parallel, 2 threads, total)",
                "", ""
            );
            assert!(par == dst, "{ty} {search:?}: parallel bytes differ");
        }
    }
}

#[test]
fn dequantize_throughput() {
    // Dequantize speed of the CPU reference (what a CPU decoder pays per weight read).
    let n = 2 * 1024 * 1024;
    let x = data(n);
    let mut y = vec![0f32; n];
    println!("type   dequantize Mvalues/s/core");
    for ty in [
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q6_K,
        GgmlType::Q5_K,
        GgmlType::Q4_K,
    ] {
        let q = quant::quantize_fast(ty, &x).unwrap();
        let t0 = Instant::now();
        quant::dequantize(ty, &q, &mut y).unwrap();
        let mvps = n as f64 / t0.elapsed().as_secs_f64() / 1e6;
        println!("{ty:<6} {mvps:>10.1}");
        let worst = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 0.25, "{ty}: worst error {worst}");
    }
}
