//! CPU reference dequantize of the float types and the 32-value legacy blocks (Q4_0 … Q8_0).
//! Each function takes exactly one block (`block_bytes`) and writes exactly `block_elems`
//! values; the operation order (d·q, then + m) is gguf-py's, so results match it bit for bit.

use super::blocks::*;
use bytemuck::from_bytes;

pub fn dequant_f32(blk: &[u8], out: &mut [f32]) {
    out[0] = f32::from_le_bytes([blk[0], blk[1], blk[2], blk[3]]);
}

pub fn dequant_f16(blk: &[u8], out: &mut [f32]) {
    out[0] = f16_le([blk[0], blk[1]]);
}

pub fn dequant_bf16(blk: &[u8], out: &mut [f32]) {
    out[0] = f32::from_bits((u16::from_le_bytes([blk[0], blk[1]]) as u32) << 16);
}

/// The 32 four-bit values of a legacy block: i<16 low nibble of qs[i], i≥16 high nibble of qs[i−16].
#[inline(always)]
fn nibble(qs: &[u8; 16], i: usize) -> u8 {
    if i < 16 {
        qs[i] & 0x0F
    } else {
        qs[i - 16] >> 4
    }
}

pub fn dequant_q4_0(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ4_0 = from_bytes(blk);
    let d = f16_le(b.d);
    let (lo, hi) = out[..QK_LEGACY].split_at_mut(16);
    for i in 0..16 {
        lo[i] = d * ((b.qs[i] & 0x0F) as i32 - 8) as f32;
        hi[i] = d * ((b.qs[i] >> 4) as i32 - 8) as f32;
    }
}

pub fn dequant_q4_1(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ4_1 = from_bytes(blk);
    let (d, m) = (f16_le(b.d), f16_le(b.m));
    let (lo, hi) = out[..QK_LEGACY].split_at_mut(16);
    for i in 0..16 {
        lo[i] = d * (b.qs[i] & 0x0F) as f32 + m;
        hi[i] = d * (b.qs[i] >> 4) as f32 + m;
    }
}

pub fn dequant_q5_0(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ5_0 = from_bytes(blk);
    let d = f16_le(b.d);
    let qh = u32::from_le_bytes(b.qh);
    for (i, y) in out[..QK_LEGACY].iter_mut().enumerate() {
        let q = nibble(&b.qs, i) as i32 | ((((qh >> i) & 1) as i32) << 4);
        *y = d * (q - 16) as f32;
    }
}

pub fn dequant_q5_1(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ5_1 = from_bytes(blk);
    let (d, m) = (f16_le(b.d), f16_le(b.m));
    let qh = u32::from_le_bytes(b.qh);
    for (i, y) in out[..QK_LEGACY].iter_mut().enumerate() {
        let q = nibble(&b.qs, i) as u32 | (((qh >> i) & 1) << 4);
        *y = d * q as f32 + m;
    }
}

pub fn dequant_q8_0(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ8_0 = from_bytes(blk);
    let d = f16_le(b.d);
    for (y, &q) in out[..QK_LEGACY].iter_mut().zip(b.qs.iter()) {
        *y = q as f32 * d;
    }
}
