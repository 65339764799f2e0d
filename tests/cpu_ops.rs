//! Each CPU decoder operation alone, against values computed by hand.

use kernlab::cpu::attention::{attend, kv_head_of};
use kernlab::cpu::matvec::matvec;
use kernlab::cpu::ops::{
    argmax, dot, matvec_rows, rmsnorm, rmsnorm_inplace, rope_head, silu, softmax_inplace,
    swiglu_inplace, RopeAngles,
};
use kernlab::models::RopeStyle;

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn rmsnorm_by_hand() {
    // mean(x²) = (9 + 16) / 2 = 12.5; 1/sqrt(12.5 + 0.5) = 1/sqrt(13)
    let x = [3.0f32, -4.0];
    let w = [2.0f32, 0.5];
    let mut out = [0.0f32; 2];
    rmsnorm(&mut out, &x, &w, 0.5);
    let r = 1.0 / 13f32.sqrt();
    assert!(
        close(out[0], 6.0 * r, 1e-6) && close(out[1], -2.0 * r, 1e-6),
        "{out:?}"
    );
    let mut y = x;
    rmsnorm_inplace(&mut y, &w, 0.5);
    assert_eq!(y, out);
}

/// θ_j = pos · base^(−2j/d) / ff[j]. d = 4, base 100, pos 2: θ_0 = 2, θ_1 = 2 / 10 = 0.2.
#[test]
fn rope_angles_by_hand() {
    let a = RopeAngles::new(2, 4, 100.0, None);
    assert!(close(a.cos[0], 2f32.cos(), 1e-6) && close(a.sin[0], 2f32.sin(), 1e-6));
    assert!(close(a.cos[1], 0.2f32.cos(), 1e-6) && close(a.sin[1], 0.2f32.sin(), 1e-6));
    // With divisors [1, 4]: θ_1 = 0.05.
    let f = RopeAngles::new(2, 4, 100.0, Some(&[1.0, 4.0]));
    assert!(close(f.sin[1], 0.05f32.sin(), 1e-6));
    assert!(close(f.sin[0], 2f32.sin(), 1e-6));
}

/// Norm rotates (x0, x1) and (x2, x3); Neox rotates (x0, x2) and (x1, x3).
#[test]
fn rope_pairing_both_styles() {
    // Angles chosen as exactly 90° for pair 0 and 0° for pair 1 (hand-built).
    let angles = RopeAngles {
        cos: vec![0.0, 1.0],
        sin: vec![1.0, 0.0],
    };
    // (a, b) → (a·cos − b·sin, a·sin + b·cos) = (−b, a) for pair 0; pair 1 unchanged.
    let mut norm = [1.0f32, 2.0, 3.0, 4.0];
    rope_head(&mut norm, &angles, RopeStyle::Norm);
    assert_eq!(norm, [-2.0, 1.0, 3.0, 4.0]);
    let mut neox = [1.0f32, 2.0, 3.0, 4.0];
    rope_head(&mut neox, &angles, RopeStyle::Neox);
    assert_eq!(neox, [-3.0, 2.0, 1.0, 4.0]);
}

/// A general angle, and values past rope_dim left alone (partial rotation).
#[test]
fn rope_general_angle_and_partial() {
    let a = RopeAngles::new(3, 2, 10000.0, None); // θ_0 = 3
    let mut h = [0.5f32, -1.5, 7.0, 8.0];
    rope_head(&mut h, &a, RopeStyle::Neox);
    let (c, s) = (3f32.cos(), 3f32.sin());
    assert!(close(h[0], 0.5 * c + 1.5 * s, 1e-6));
    assert!(close(h[1], 0.5 * s - 1.5 * c, 1e-6));
    assert_eq!(&h[2..], &[7.0, 8.0]);
    // Rotation keeps the pair's norm.
    let n = (h[0] * h[0] + h[1] * h[1]).sqrt();
    assert!(close(n, (0.25f32 + 2.25).sqrt(), 1e-6));
}

#[test]
fn softmax_is_stable_for_large_scores() {
    let mut x = [1000.0f32, 1001.0, 999.0];
    softmax_inplace(&mut x);
    let e = [(-1f32).exp(), 1.0, (-2f32).exp()];
    let z: f32 = e.iter().sum();
    for i in 0..3 {
        assert!(close(x[i], e[i] / z, 1e-6), "{x:?}");
    }
    let mut neg = [-1e30f32, 0.0];
    softmax_inplace(&mut neg);
    assert_eq!(neg, [0.0, 1.0]);
    let mut one = [-5.0f32];
    softmax_inplace(&mut one);
    assert_eq!(one, [1.0]);
}

#[test]
fn silu_and_swiglu() {
    assert_eq!(silu(0.0), 0.0);
    assert!(close(silu(1.0), 1.0 / (1.0 + (-1f32).exp()), 1e-7));
    assert!(close(silu(-30.0), -30.0 * (-30f32).exp(), 1e-3));
    let mut g = [1.0f32, -2.0];
    swiglu_inplace(&mut g, &[3.0, 0.5]);
    assert!(close(g[0], 3.0 * silu(1.0), 1e-7) && close(g[1], 0.5 * silu(-2.0), 1e-7));
}

#[test]
fn argmax_takes_lowest_index_on_ties() {
    assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), Some(1));
    assert_eq!(argmax(&[f32::NAN, -1.0, -1.0]), Some(1));
    assert_eq!(argmax(&[-5.0]), Some(0));
    assert_eq!(argmax(&[]), None);
    assert_eq!(argmax(&[f32::NAN]), None);
    assert_eq!(argmax(&[f32::NEG_INFINITY, f32::NEG_INFINITY]), Some(0));
}

/// 8 query heads over 2 KV heads: heads 0..3 read KV head 0, heads 4..7 read KV head 1.
#[test]
fn gqa_mapping() {
    let map: Vec<usize> = (0..8).map(|h| kv_head_of(h, 8, 2)).collect();
    assert_eq!(map, [0, 0, 0, 0, 1, 1, 1, 1]);
    let mha: Vec<usize> = (0..4).map(|h| kv_head_of(h, 4, 4)).collect();
    assert_eq!(mha, [0, 1, 2, 3]);
}

/// Attention by hand: 2 query heads sharing 1 KV head (d = 2), two cached positions.
#[test]
fn attention_by_hand() {
    let q = [1.0f32, 0.0, 0.0, 2.0]; // head 0 = (1, 0), head 1 = (0, 2)
    let k = [1.0f32, 0.0, 0.0, 1.0]; // t0 = (1, 0), t1 = (0, 1)
    let v = [10.0f32, 0.0, 0.0, 20.0];
    let mut out = [0.0f32; 4];
    let mut scores = [0.0f32; 2];
    attend(&mut out, &q, &k, &v, 2, 2, 1, 2, &mut scores);
    let s = 1.0 / 2f32.sqrt();
    // head 0: scores (s, 0); head 1: scores (0, 2s)
    let p0 = [s.exp() / (s.exp() + 1.0), 1.0 / (s.exp() + 1.0)];
    let e2 = (2.0 * s).exp();
    let p1 = [1.0 / (1.0 + e2), e2 / (1.0 + e2)];
    let want = [10.0 * p0[0], 20.0 * p0[1], 10.0 * p1[0], 20.0 * p1[1]];
    for i in 0..4 {
        assert!(close(out[i], want[i], 1e-6), "{out:?} vs {want:?}");
    }
    // Causal: with n_pos = 1 only position 0 is seen.
    attend(&mut out, &q, &k, &v, 1, 2, 1, 2, &mut scores);
    assert_eq!(out, [10.0, 0.0, 10.0, 0.0]);
}

#[test]
fn dot_and_matvec_by_hand() {
    let a: Vec<f32> = (1..=11).map(|i| i as f32).collect();
    assert_eq!(dot(&a, &a), (1..=11).map(|i| (i * i) as f32).sum::<f32>());
    let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut y = [0.0f32; 2];
    matvec_rows(&mut y, &w, &[1.0, 0.0, -1.0]);
    assert_eq!(y, [-2.0, -2.0]);
}

/// The threaded path (above the single-thread threshold) equals the serial one exactly, for
/// thread counts that do and do not divide the rows.
#[test]
fn threaded_matvec_equals_serial() {
    let (rows, cols) = (3001, 701);
    let w: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let x: Vec<f32> = (0..cols).map(|i| (i % 13) as f32 - 6.0).collect();
    let mut serial = vec![0.0f32; rows];
    matvec_rows(&mut serial, &w, &x);
    for threads in [2, 3, 8] {
        let mut y = vec![0.0f32; rows];
        matvec(&mut y, &w, &x, threads);
        assert_eq!(y, serial, "threads {threads}");
    }
}
