//! Edge cases of quantize/dequantize: round-trip stability, zero / constant / outlier blocks,
//! non-finite input, bad lengths, unaligned data. None of these may panic.

use kernlab::quant::{self, Search};
use kernlab::{Error, GgmlType};

const QUANT_TYPES: [GgmlType; 7] = [
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
];

fn ramp(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
        .collect()
}

fn round_trip(ty: GgmlType, x: &[f32], search: Search) -> Vec<f32> {
    let q = quant::quantize_with(ty, x, search).unwrap();
    assert_eq!(q.len() as u64, ty.bytes_for(x.len() as u64).unwrap());
    quant::dequantize_to_vec(ty, &q, x.len()).unwrap()
}

#[test]
fn q8_0_requantize_is_stable() {
    let x = ramp(32 * 64);
    let q1 = quant::quantize(GgmlType::Q8_0, &x).unwrap();
    let y = quant::dequantize_to_vec(GgmlType::Q8_0, &q1, x.len()).unwrap();
    let q2 = quant::quantize(GgmlType::Q8_0, &y).unwrap();
    assert_eq!(q1, q2, "Q8_0 quantize(dequantize(q)) != q");
}

#[test]
fn k_quants_requantize_is_close() {
    // A second pass through a K-quant must not drift: it may pick other scales, but the
    // values stay within a fraction of the first pass's error.
    let x = ramp(256 * 8);
    for ty in [GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K] {
        let y1 = round_trip(ty, &x, Search::Full);
        let y2 = round_trip(ty, &y1, Search::Full);
        let e1: f32 = x.iter().zip(&y1).map(|(a, b)| (a - b).powi(2)).sum();
        let e12: f32 = y1.iter().zip(&y2).map(|(a, b)| (a - b).powi(2)).sum();
        assert!(
            e12 <= e1 * 0.5,
            "{ty}: second pass moved {e12} vs first error {e1}"
        );
    }
}

#[test]
fn all_zero_blocks_stay_zero() {
    for ty in QUANT_TYPES {
        let x = vec![0f32; 512];
        for search in [Search::Full, Search::Fast, Search::MaxAbs] {
            let y = round_trip(ty, &x, search);
            assert!(
                y.iter().all(|&v| v == 0.0),
                "{ty} {search:?}: {:?}",
                &y[..8]
            );
        }
    }
}

#[test]
fn constant_blocks_are_close() {
    for ty in QUANT_TYPES {
        for c in [1.0f32, -0.37, 1e-3, 123.0] {
            let x = vec![c; 512];
            let y = round_trip(ty, &x, Search::Full);
            for (i, v) in y.iter().enumerate() {
                // Constant blocks hit a grid point up to the f16 rounding of the scale(s); tiny
                // constants put Q4_K/Q5_K's d = c/(nmax·63) among f16 subnormals (step 6e-8),
                // hence the absolute term (one subnormal step at the largest codes 63·31).
                assert!(
                    (v - c).abs() <= c.abs() * 4e-3 + 6e-8 * 63.0 * 31.0,
                    "{ty} constant {c}: value {i} = {v}"
                );
            }
        }
    }
}

#[test]
fn one_huge_outlier_is_kept_and_no_panic() {
    for ty in QUANT_TYPES {
        let mut x = ramp(512);
        x[77] = 5000.0;
        let y = round_trip(ty, &x, Search::Full);
        assert!(y.iter().all(|v| v.is_finite()), "{ty}");
        assert!(
            (y[77] - 5000.0).abs() < 5000.0 * 0.01,
            "{ty}: outlier became {}",
            y[77]
        );
        // The other block (values 256..512, in [-2, 2]) is untouched by the outlier: its error
        // stays within one quant step (Q4_0: 2/8, the far side clips at +7 steps).
        let e: f32 = x[256..]
            .iter()
            .zip(&y[256..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            e <= 0.26,
            "{ty}: max error {e} in the block without the outlier"
        );
    }
}

#[test]
fn non_finite_input_is_an_error_for_block_types() {
    for ty in QUANT_TYPES {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = ramp(256);
            x[9] = bad;
            let r = quant::quantize(ty, &x);
            match ty {
                // Float types convert as IEEE does.
                GgmlType::F16 | GgmlType::BF16 => {
                    let y = quant::dequantize_to_vec(ty, &r.unwrap(), 256).unwrap();
                    assert_eq!(y[9].is_nan(), bad.is_nan(), "{ty}");
                    if !bad.is_nan() {
                        assert_eq!(y[9], bad, "{ty}");
                    }
                }
                _ => {
                    let e = r.unwrap_err();
                    assert!(matches!(e, Error::Quant(_)), "{ty}: {e}");
                    assert!(e.to_string().contains("value 9"), "{ty}: {e}");
                }
            }
        }
    }
}

#[test]
fn scale_overflow_is_an_error() {
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
    ] {
        for big in [3.0e38f32, 1e20, 1e10] {
            let mut x = ramp(256);
            x[3] = big;
            let e = quant::quantize(ty, &x).unwrap_err();
            assert!(e.to_string().contains("overflows f16"), "{ty} {big}: {e}");
            assert!(e.to_string().contains("block 0"), "{ty} {big}: {e}");
        }
    }
}

#[test]
fn bad_lengths_and_types_are_errors() {
    assert!(quant::quantize(GgmlType::Q6_K, &[0.0; 255]).is_err());
    assert!(quant::quantize(GgmlType::Q8_0, &[0.0; 33]).is_err());
    assert!(quant::quantize(GgmlType::Q2_K, &[0.0; 256]).is_err());
    assert!(!quant::can_quantize(GgmlType::Q3_K));
    let mut small = vec![0u8; 209];
    assert!(quant::quantize_row_into(GgmlType::Q6_K, &[0.0; 256], &mut small).is_err());
    let mut out = vec![0f32; 256];
    assert!(quant::dequantize(GgmlType::Q6_K, &[0u8; 209], &mut out).is_err());
    assert!(quant::dequantize(GgmlType::Q6_K, &[0u8; 210], &mut out[..255]).is_err());
    assert!(quant::dequantize_to_vec(GgmlType::Q8_K, &[0u8; 292], 256).is_err());
    assert!(quant::desc(GgmlType::Q8_1).is_err());
    assert!(quant::dequantize_to_vec(GgmlType::F32, &[0u8; 7], 2).is_err());
}

#[test]
fn unaligned_data_dequantizes() {
    // Blocks at an odd address (a GGUF mmap gives 2-byte-aligned Q6_K blocks, or worse).
    let x = ramp(512);
    for ty in QUANT_TYPES {
        let q = quant::quantize(ty, &x).unwrap();
        let mut buf = vec![0u8; q.len() + 1];
        buf[1..].copy_from_slice(&q);
        let a = quant::dequantize_to_vec(ty, &q, 512).unwrap();
        let b = quant::dequantize_to_vec(ty, &buf[1..], 512).unwrap();
        assert_eq!(a, b, "{ty}");
    }
}

#[test]
fn desc_matches_ggml_type_geometry() {
    for ty in quant::dequant_types() {
        let d = quant::desc(ty).unwrap();
        assert_eq!(d.ty, ty);
        assert_eq!(d.block_elems, ty.block_elems());
        assert_eq!(d.block_bytes, ty.block_bytes());
    }
    assert_eq!(quant::dequant_types().count(), 13);
}

#[test]
fn random_magnitudes_never_panic() {
    // Values spread over 1e-38 .. 1e12 with both signs: every result is an Err naming a block,
    // or bytes that dequantize to finite values.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (mut ok, mut err) = (0, 0);
    for round in 0..200 {
        let x: Vec<f32> = (0..256)
            .map(|_| {
                let r = next();
                let mag = 10f32.powi((r % 51) as i32 - 38);
                let sign = if r & (1 << 40) != 0 { -1.0 } else { 1.0 };
                // Most rounds stay within one decade band so both outcomes occur.
                sign * mag * if round % 2 == 0 { 1.0 } else { 1e-20 }
            })
            .collect();
        for ty in QUANT_TYPES {
            for search in [Search::Full, Search::Fast] {
                match quant::quantize_with(ty, &x, search) {
                    Ok(q) => {
                        let y = quant::dequantize_to_vec(ty, &q, 256).unwrap();
                        if !matches!(ty, GgmlType::F16) {
                            assert!(y.iter().all(|v| v.is_finite()), "{ty} round {round}");
                        }
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(e.to_string().contains("overflows f16"), "{ty}: {e}");
                        err += 1;
                    }
                }
            }
        }
    }
    assert!(ok > 0 && err > 0, "ok {ok} err {err}");
}
