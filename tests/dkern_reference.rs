//! The CPU references of the decode kernels against independent straightforward computations:
//! hand-built blocks with known values, element formulas from models-and-quants.md, f64 loops.
#![allow(clippy::needless_range_loop)] // the loops spell out the index formulas

use kernlab::engine::reference as cpu;
use kernlab::{quant, GgmlType};

fn f16b(v: f32) -> [u8; 2] {
    half::f16::from_f32(v).to_le_bytes()
}

#[test]
fn matvec_q8_0_matches_the_block_formula() {
    // Two rows of one block each: d = 0.5, qs = i - 16 (row 0) and 2 (row 1).
    let mut w = Vec::new();
    w.extend(f16b(0.5));
    w.extend((0..32).map(|i| (i as i8 - 16) as u8));
    w.extend(f16b(0.25));
    w.extend([2u8; 32]);
    let x: Vec<f32> = (0..32).map(|i| i as f32 * 0.1).collect();
    let y = cpu::matvec(GgmlType::Q8_0, &w, 2, 32, &x, None).unwrap();
    let want0: f64 = (0..32)
        .map(|i| 0.5 * (i as f64 - 16.0) * (i as f32 * 0.1) as f64)
        .sum();
    let want1: f64 = (0..32).map(|i| 0.25 * 2.0 * (i as f32 * 0.1) as f64).sum();
    assert!(
        (y[0] - want0).abs() < 1e-9 && (y[1] - want1).abs() < 1e-9,
        "{y:?}"
    );
    let acc = cpu::matvec(GgmlType::Q8_0, &w, 2, 32, &x, Some(&[1.0, -1.0])).unwrap();
    assert!((acc[0] - want0 - 1.0).abs() < 1e-9 && (acc[1] - want1 + 1.0).abs() < 1e-9);
}

#[test]
fn matvec_matches_dequantize_then_dot_for_every_kernel_type() {
    let (rows, cols) = (5, 512);
    let src: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    let x: Vec<f32> = (0..cols)
        .map(|i| ((i * 31) % 97) as f32 / 48.0 - 1.0)
        .collect();
    for ty in [
        GgmlType::Q6_K,
        GgmlType::Q8_0,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q4_0,
    ] {
        let w = quant::quantize_fast(ty, &src).unwrap();
        let wf = quant::dequantize_to_vec(ty, &w, rows * cols).unwrap();
        let y = cpu::matvec(ty, &w, rows, cols, &x, None).unwrap();
        for r in 0..rows {
            let mut s = 0f64;
            for k in 0..cols {
                s += wf[r * cols + k] as f64 * x[k] as f64;
            }
            assert!((y[r] - s).abs() < 1e-9, "{ty} row {r}");
            // and the quantized product is close to the f32 one (the weights are real)
            let exact: f64 = (0..cols)
                .map(|k| src[r * cols + k] as f64 * x[k] as f64)
                .sum();
            assert!(
                (y[r] - exact).abs() < 0.1 * (cols as f64).sqrt(),
                "{ty} row {r}: {} vs {exact}",
                y[r]
            );
        }
    }
    assert!(cpu::matvec(GgmlType::Q6_K, &[0u8; 10], 1, 256, &[0.0; 256], None).is_err());
}

#[test]
fn embed_q6_k_follows_the_element_formula() {
    // One block with chosen fields: check values against section 2's index formula directly.
    let mut b = [0u8; 210];
    for (i, v) in b.iter_mut().enumerate().take(208) {
        *v = (i * 37 % 251) as u8;
    }
    for s in 0..16 {
        b[192 + s] = (s as i8 - 8) as u8;
    }
    b[208..210].copy_from_slice(&f16b(0.125));
    let row = cpu::embed(GgmlType::Q6_K, &b, 1, 256, 0).unwrap();
    for i in 0..256 {
        let (h, w) = (i / 128, i % 128);
        let (l, g) = (w % 32, w / 32);
        let ql = b[64 * h + l + 32 * (g & 1)];
        let low = if g < 2 { ql & 15 } else { ql >> 4 };
        let high = (b[128 + 32 * h + l] >> (2 * g)) & 3;
        let q = (low | high << 4) as i32 - 32;
        let want = 0.125 * (b[192 + i / 16] as i8) as f32 * q as f32;
        assert_eq!(row[i], want, "value {i}");
    }
    assert!(cpu::embed(GgmlType::Q6_K, &b, 1, 256, 1).is_err());
}

#[test]
fn rmsnorm_and_rope_match_f64_loops() {
    let n = 64;
    let x: Vec<f32> = (0..2 * n).map(|i| (i as f32 * 0.37).sin()).collect();
    let w: Vec<f32> = (0..n).map(|i| 1.0 + i as f32 / 64.0).collect();
    let r = cpu::rmsnorm(&x, &w, n, 1e-5);
    for v in 0..2 {
        let ms: f64 = x[v * n..(v + 1) * n]
            .iter()
            .map(|&a| (a as f64).powi(2))
            .sum::<f64>()
            / n as f64;
        for i in 0..n {
            let want = x[v * n + i] as f64 / (ms + 1e-5f32 as f64).sqrt() * w[i] as f64;
            assert!((r[v * n + i] - want).abs() < 1e-12);
        }
    }
    // rope: position 0 is the identity; a rotation keeps each pair's norm; llama pairs (2j, 2j+1)
    let d = 8;
    assert_eq!(
        cpu::rope(&x[..d], d, 0, 1e4, None, false),
        x[..d].iter().map(|&v| v as f64).collect::<Vec<_>>()
    );
    let pos = 5;
    let ff = [1.0f32, 2.0, 4.0, 8.0];
    for neox in [false, true] {
        let r = cpu::rope(&x[..d], d, pos, 1e4, Some(&ff), neox);
        for j in 0..d / 2 {
            let (i0, i1) = if neox {
                (j, j + d / 2)
            } else {
                (2 * j, 2 * j + 1)
            };
            let theta = pos as f64 * 1e4f64.powf(-2.0 * j as f64 / d as f64) / ff[j] as f64;
            let (a, b) = (x[i0] as f64, x[i1] as f64);
            assert!((r[i0] - (a * theta.cos() - b * theta.sin())).abs() < 1e-12);
            assert!((r[i1] - (a * theta.sin() + b * theta.cos())).abs() < 1e-12);
        }
    }
}

#[test]
fn attention_is_softmax_weighted_v_with_gqa() {
    let (n_head, n_kv, d, n_ctx) = (4, 2, 4, 3);
    let width = n_kv * d;
    let k: Vec<f32> = (0..n_ctx * width).map(|i| (i as f32 * 0.3).cos()).collect();
    let v: Vec<f32> = (0..n_ctx * width).map(|i| (i as f32 * 0.7).sin()).collect();
    let q: Vec<f32> = (0..n_head * d).map(|i| i as f32 * 0.1 - 0.5).collect();
    let (kh, vh) = (cpu::to_f16_bits(&k), cpu::to_f16_bits(&v));
    let out = cpu::attention(&q, &kh, &vh, n_head, n_kv, d, n_ctx, 0.5);
    let h2 = |b: u16| half::f16::from_bits(b).to_f32() as f64;
    for h in 0..n_head {
        let kvh = h / 2; // 2 q heads per kv head
        let s: Vec<f64> = (0..n_ctx)
            .map(|t| {
                0.5 * (0..d)
                    .map(|i| q[h * d + i] as f64 * h2(kh[t * width + kvh * d + i]))
                    .sum::<f64>()
            })
            .collect();
        let e: Vec<f64> = s.iter().map(|v| v.exp()).collect();
        let z: f64 = e.iter().sum();
        for i in 0..d {
            let want: f64 = (0..n_ctx)
                .map(|t| e[t] / z * h2(vh[t * width + kvh * d + i]))
                .sum();
            assert!((out[h * d + i] - want).abs() < 1e-12, "h {h} i {i}");
        }
    }
}

#[test]
fn elementwise_and_argmax() {
    let g = [0.0f32, 1.0, -2.0, 30.0, -100.0];
    let u = [1.0f32, 2.0, 3.0, 0.5, 1.0];
    let s = cpu::swiglu(&g, &u);
    for i in 0..5 {
        let gi = g[i] as f64;
        assert!((s[i] - gi * u[i] as f64 / (1.0 + (-gi).exp())).abs() < 1e-12);
    }
    assert_eq!(cpu::add(&[1.0, 2.0], &[0.5, -2.0]), vec![1.5, 0.0]);
    assert_eq!(cpu::argmax(&[1.0, 3.0, f32::NAN, 3.0, -1.0]), Some(1));
    assert_eq!(cpu::argmax(&[f32::NAN, f32::NEG_INFINITY]), Some(1));
    assert_eq!(cpu::argmax(&[f32::NAN]), None);
    let (abs, rel) = cpu::max_errors(&[1.0, 2.5], &[1.0, 2.0], 1e-3);
    assert_eq!((abs, rel), (0.5, 0.25));
    assert_eq!(cpu::max_errors(&[f32::NAN], &[1.0], 1e-3).0, f64::INFINITY);
}

#[test]
fn int8_x_rounds_each_block_to_half_a_step_and_the_matvec_stays_within_its_bound() {
    use kernlab::engine::launch::MatvecMode;
    // quantize_x_int_32 (int8): a block's largest |v| is exactly 127 steps; every value within
    // half a step; a block of zeros stays zero.
    let mut v: Vec<f32> = (0..96)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013)
        .collect();
    v[40] = 3.0;
    v[64..96].fill(0.0);
    let (xq, ds) = cpu::quantize_x_int_32(&v, 127);
    assert_eq!(ds.len(), 3);
    for (i, (&a, &q)) in v.iter().zip(&xq).enumerate() {
        let d = ds[i / 32];
        assert!(
            (a - q).abs() <= d / 2.0 * 1.0001 + 1e-35,
            "{i}: {a} -> {q} (d {d})"
        );
    }
    assert!((xq[40] - 3.0).abs() < 1e-6 && (ds[1] * 127.0 - 3.0).abs() < 1e-5);
    assert!(xq[64..].iter().all(|&q| q == 0.0));

    // matvec_fused_x_int on real Q4_K rows: differs from the f32-x reference, by at most its
    // bound per row (int16's bound 258 times int8's); with x already on the int8 grid of its own
    // blocks it agrees closely.
    let (rows, cols) = (6, 512);
    let src: Vec<f32> = (0..rows * cols)
        .map(|i| (((i * 7919) % 2003) as f32 / 1001.5 - 1.0) * 0.8)
        .collect();
    let w = quant::quantize_fast(GgmlType::Q4_K, &src).unwrap();
    let x: Vec<f32> = (0..cols)
        .map(|i| (i * 131 % 257) as f32 / 128.0 - 1.0)
        .collect();
    let nw: Vec<f32> = (0..cols).map(|i| 0.5 + (i % 7) as f32 * 0.1).collect();
    // The f32-x reference and the integer-x one (result, bound) of these rows.
    let f32_x = |x: &[f32], norm| {
        let st = MatvecMode::Store;
        cpu::matvec_fused(GgmlType::Q4_K, &w, rows, cols, x, norm, 1e-6, st, None).unwrap()
    };
    let int_x = |qmax, x: &[f32], norm| {
        let st = MatvecMode::Store;
        let (y, bound) =
            cpu::matvec_fused_x_int(qmax, &w, rows, cols, x, norm, 1e-6, st, None).unwrap();
        (y, bound.unwrap())
    };
    for norm in [None, Some(&nw[..])] {
        let f = f32_x(&x, norm);
        let (q, bound) = int_x(127, &x, norm);
        let (q16, bound16) = int_x(32767, &x, norm);
        for r in 0..rows {
            let ratio = bound[r] / bound16[r];
            assert!(
                (250.0..=266.0).contains(&ratio),
                "row {r}: bound ratio {ratio}"
            );
            assert!(
                (q16[r] - f[r]).abs() <= bound16[r] * 1.0001 + 1e-6,
                "row {r} int16"
            );
        }
        let mut moved = false;
        for r in 0..rows {
            let e = (q[r] - f[r]).abs();
            assert!(
                e <= bound[r] * 1.0001 + 1e-6,
                "row {r}: {e} > bound {}",
                bound[r]
            );
            moved |= e > 1e-7;
            assert!(bound[r] > 0.0);
        }
        assert!(moved, "the rounding must show");
    }
    let (xg, _) = cpu::quantize_x_int_32(&x, 127);
    let f = f32_x(&xg, None);
    let (q, _) = int_x(127, &xg, None);
    for r in 0..rows {
        assert!(
            (q[r] - f[r]).abs() < 1e-4 * (f[r].abs() + 1.0),
            "row {r}: {} vs {}",
            q[r],
            f[r]
        );
    }
}
