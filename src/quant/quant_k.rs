//! Quantizers of the K-quant super-blocks Q4_K, Q5_K, Q6_K (256 values). The per-sub-block
//! scales come from the searches in [`super::search`]; they are then quantized themselves
//! against one f16 super-block scale (6 bits for Q4_K/Q5_K scales and mins, int8 for Q6_K), and
//! the values are re-rounded against the scales as stored, so the stored bits are self-consistent.

use super::blocks::*;
use super::search::{round_clamp, search_scale_min, search_symmetric, Search};

/// Why a block cannot be quantized (the caller adds the block index).
pub type BlockError = &'static str;

pub const OVERFLOW: BlockError = "block scale overflows f16 (values too large)";

fn f16_bytes(v: f32) -> Result<[u8; 2], BlockError> {
    let h = half::f16::from_f32(v);
    if !h.is_finite() {
        return Err(OVERFLOW);
    }
    Ok(h.to_le_bytes())
}

/// The stored header of a Q4_K/Q5_K block: d and dmin (f16 bytes) and the packed scales/mins.
struct ScaleMinHeader {
    d: [u8; 2],
    dmin: [u8; 2],
    scales: [u8; K_SCALE_SIZE],
}

/// Shared part of Q4_K and Q5_K: values 0..=nmax per element in `l`, and the 12-byte packed
/// 6-bit scales/mins with their f16 super-scales.
fn quant_scale_min_block(
    x: &[f32],
    nmax: i32,
    search: Search,
    l: &mut [u8; QK_K],
) -> Result<ScaleMinHeader, BlockError> {
    let mut scales = [0f32; 8];
    let mut mins = [0f32; 8];
    let mut weights = [0f32; 32];
    let mut sub_l = [0u8; 32];
    for j in 0..8 {
        let xs: &[f32; 32] = x[32 * j..32 * j + 32].try_into().expect("32 values");
        // Weights |x| + rms: large values matter more, but small ones are not ignored.
        let sum_x2: f32 = xs.iter().map(|v| v * v).sum();
        let av_x = (sum_x2 / 32.0).sqrt();
        for (w, v) in weights.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        let (s, m) = search_scale_min(xs, &weights, nmax, search, &mut sub_l);
        scales[j] = s;
        mins[j] = m;
    }
    if !scales.iter().chain(&mins).all(|s| s.is_finite()) {
        return Err(OVERFLOW);
    }
    let max_scale = scales.iter().copied().fold(0f32, f32::max);
    let max_min = mins.iter().copied().fold(0f32, f32::max);
    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let mut ls = [0u8; 8];
    let mut lm = [0u8; 8];
    for j in 0..8 {
        ls[j] = round_clamp(inv_scale * scales[j], 0, 63) as u8;
        lm[j] = round_clamp(inv_min * mins[j], 0, 63) as u8;
    }
    let d_b = f16_bytes(max_scale / 63.0)?;
    let dmin_b = f16_bytes(max_min / 63.0)?;
    let (d, dmin) = (f16_le(d_b), f16_le(dmin_b));
    for j in 0..8 {
        let dl = d * ls[j] as f32;
        let ml = dmin * lm[j] as f32;
        let out = &mut l[32 * j..32 * j + 32];
        if dl == 0.0 {
            out.fill(0);
            continue;
        }
        for (o, &v) in out.iter_mut().zip(&x[32 * j..32 * j + 32]) {
            *o = round_clamp((v + ml) / dl, 0, nmax) as u8;
        }
    }
    Ok(ScaleMinHeader {
        d: d_b,
        dmin: dmin_b,
        scales: pack_scale_min_k4(&ls, &lm),
    })
}

pub fn quant_q4_k(x: &[f32], out: &mut [u8], search: Search) -> Result<(), BlockError> {
    let mut l = [0u8; QK_K];
    let hdr = quant_scale_min_block(x, 15, search, &mut l)?;
    let b: &mut BlockQ4K = bytemuck::from_bytes_mut(out);
    (b.d, b.dmin, b.scales) = (hdr.d, hdr.dmin, hdr.scales);
    // Chunk c of 64 values: first 32 in the low nibbles of qs[32c..], next 32 in the high ones.
    for c in 0..4 {
        for i in 0..32 {
            b.qs[32 * c + i] = l[64 * c + i] | (l[64 * c + 32 + i] << 4);
        }
    }
    Ok(())
}

pub fn quant_q5_k(x: &[f32], out: &mut [u8], search: Search) -> Result<(), BlockError> {
    let mut l = [0u8; QK_K];
    let hdr = quant_scale_min_block(x, 31, search, &mut l)?;
    let b: &mut BlockQ5K = bytemuck::from_bytes_mut(out);
    (b.d, b.dmin, b.scales) = (hdr.d, hdr.dmin, hdr.scales);
    b.qh = [0; QK_K / 8];
    for c in 0..4 {
        for i in 0..32 {
            let (lo, hi) = (l[64 * c + i], l[64 * c + 32 + i]);
            b.qs[32 * c + i] = (lo & 0x0F) | ((hi & 0x0F) << 4);
            // Bit 4 of value v goes to qh[v % 32] bit v / 32.
            b.qh[i] |= ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1));
        }
    }
    Ok(())
}

pub fn quant_q6_k(x: &[f32], out: &mut [u8], search: Search) -> Result<(), BlockError> {
    let mut l = [0u8; QK_K];
    let mut scales = [0f32; 16];
    for (j, s) in scales.iter_mut().enumerate() {
        let xs: &[f32; 16] = x[16 * j..16 * j + 16].try_into().expect("16 values");
        let ls: &mut [u8; 16] = (&mut l[16 * j..16 * j + 16]).try_into().expect("16 values");
        *s = search_symmetric(xs, 32, search, ls);
    }
    if !scales.iter().all(|s| s.is_finite()) {
        // x² overflowed f32 in the weights: far beyond what an f16 scale can hold anyway.
        return Err(OVERFLOW);
    }
    let b: &mut BlockQ6K = bytemuck::from_bytes_mut(out);
    let (mut max_abs, mut max_scale) = (0f32, 0f32);
    for &s in &scales {
        if s.abs() > max_abs {
            max_abs = s.abs();
            max_scale = s;
        }
    }
    if max_abs < 1e-15 {
        *b = bytemuck::Zeroable::zeroed();
        return Ok(());
    }
    // The largest sub-block scale maps to int8 −128 (the full signed range).
    let iscale = -128.0 / max_scale;
    b.d = f16_bytes(1.0 / iscale)?;
    let d = f16_le(b.d);
    for j in 0..16 {
        b.scales[j] = round_clamp(iscale * scales[j], -128, 127) as i8;
        let dl = d * b.scales[j] as f32;
        let lj = &mut l[16 * j..16 * j + 16];
        if dl == 0.0 {
            lj.fill(32);
            continue;
        }
        for (o, &v) in lj.iter_mut().zip(&x[16 * j..16 * j + 16]) {
            *o = (round_clamp(v / dl, -32, 31) + 32) as u8;
        }
    }
    // Half h (128 values) in 4 groups g of 32: low nibbles in ql[64h + 32(g%2) + i] (low nibble
    // for g<2, high for g≥2), 2 high bits in qh[32h + i] at bit 2g.
    for h in 0..2 {
        for i in 0..32 {
            let q = |g: usize| l[128 * h + 32 * g + i];
            b.ql[64 * h + i] = (q(0) & 0x0F) | ((q(2) & 0x0F) << 4);
            b.ql[64 * h + 32 + i] = (q(1) & 0x0F) | ((q(3) & 0x0F) << 4);
            b.qh[32 * h + i] =
                (q(0) >> 4) | ((q(1) >> 4) << 2) | ((q(2) >> 4) << 4) | ((q(3) >> 4) << 6);
        }
    }
    Ok(())
}
