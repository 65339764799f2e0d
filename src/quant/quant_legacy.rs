//! Quantizers of F16, BF16 and the 32-value legacy blocks Q8_0 and Q4_0. These follow ggml's
//! reference (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`, `ggml_compute_fp32_to_bf16`)
//! operation for operation, so the bytes equal gguf-py's `quants.quantize`.

use super::blocks::*;
use super::quant_k::{BlockError, OVERFLOW};

fn f16_bytes(v: f32) -> Result<[u8; 2], BlockError> {
    let h = half::f16::from_f32(v);
    if !h.is_finite() {
        return Err(OVERFLOW);
    }
    Ok(h.to_le_bytes())
}

/// IEEE round-to-nearest-even; values beyond ±65504 become ±inf, NaN stays NaN.
pub fn quant_f16(x: &[f32], out: &mut [u8]) {
    for (o, &v) in out.chunks_exact_mut(2).zip(x) {
        o.copy_from_slice(&half::f16::from_f32(v).to_le_bytes());
    }
}

/// Round-to-nearest-even on the top 16 bits; NaN becomes a quiet NaN (as ggml).
pub fn quant_bf16(x: &[f32], out: &mut [u8]) {
    for (o, &v) in out.chunks_exact_mut(2).zip(x) {
        let n = v.to_bits();
        let h = if n & 0x7fff_ffff > 0x7f80_0000 {
            ((n & 0xffff_0000) | (64 << 16)) >> 16
        } else {
            ((n as u64 + 0x7fff + ((n as u64 >> 16) & 1)) >> 16) as u32
        };
        o.copy_from_slice(&(h as u16).to_le_bytes());
    }
}

pub fn quant_q8_0(x: &[f32], out: &mut [u8]) -> Result<(), BlockError> {
    let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let b: &mut BlockQ8_0 = bytemuck::from_bytes_mut(out);
    b.d = f16_bytes(d)?;
    for (q, &v) in b.qs.iter_mut().zip(x) {
        // Rust's round is half away from zero, as C roundf.
        *q = (v * id).round() as i8;
    }
    Ok(())
}

pub fn quant_q4_0(x: &[f32], out: &mut [u8]) -> Result<(), BlockError> {
    // The signed value of largest magnitude (first one on ties) maps to −8.
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let b: &mut BlockQ4_0 = bytemuck::from_bytes_mut(out);
    b.d = f16_bytes(d)?;
    for i in 0..16 {
        let q0 = ((x[i] * id + 8.5) as i32).clamp(0, 15) as u8;
        let q1 = ((x[i + 16] * id + 8.5) as i32).clamp(0, 15) as u8;
        b.qs[i] = q0 | (q1 << 4);
    }
    Ok(())
}
