//! CPU reference dequantize of the K-quant super-blocks (256 values). Index formulas:
//! shared/reference/models-and-quants.md §2; the float operation order is gguf-py's
//! ((d·sc)·q − dmin·m), so results match `gguf.quants.dequantize` bit for bit.

use super::blocks::*;
use bytemuck::from_bytes;

pub fn dequant_q2_k(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ2K = from_bytes(blk);
    let (d, dmin) = (f16_le(b.d), f16_le(b.dmin));
    for (i, y) in out[..QK_K].iter_mut().enumerate() {
        let (h, j, l) = (i / 128, (i % 128) / 32, i % 32);
        let q = (b.qs[32 * h + l] >> (2 * j)) & 3;
        let s = b.scales[i / 16];
        let dl = d * (s & 0x0F) as f32;
        let ml = dmin * (s >> 4) as f32;
        *y = dl * q as f32 - ml;
    }
}

/// Signed 6-bit scale k (0..16) of a Q3_K block.
#[inline(always)]
pub fn q3k_scale(scales: &[u8; K_SCALE_SIZE], k: usize) -> i32 {
    let low4 = if k < 8 {
        scales[k] & 0x0F
    } else {
        scales[k - 8] >> 4
    };
    let high2 = (scales[8 + k % 4] >> (2 * (k / 4))) & 3;
    (low4 | (high2 << 4)) as i32 - 32
}

pub fn dequant_q3_k(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ3K = from_bytes(blk);
    let d = f16_le(b.d);
    for (i, y) in out[..QK_K].iter_mut().enumerate() {
        let (h, j, l) = (i / 128, (i % 128) / 32, i % 32);
        let low2 = ((b.qs[32 * h + l] >> (2 * j)) & 3) as i32;
        let hbit = (b.hmask[l] >> (i / 32)) & 1;
        let q = low2 - if hbit != 0 { 0 } else { 4 };
        let dl = d * q3k_scale(&b.scales, i / 16) as f32;
        *y = dl * q as f32;
    }
}

pub fn dequant_q4_k(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ4K = from_bytes(blk);
    let (d, dmin) = (f16_le(b.d), f16_le(b.dmin));
    for s in 0..8 {
        let (sc, m) = get_scale_min_k4(s, &b.scales);
        let (dl, ml) = (d * sc as f32, dmin * m as f32);
        let (c, shift) = (s / 2, 4 * (s % 2));
        for l in 0..32 {
            let q = (b.qs[32 * c + l] >> shift) & 0x0F;
            out[32 * s + l] = dl * q as f32 - ml;
        }
    }
}

pub fn dequant_q5_k(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ5K = from_bytes(blk);
    let (d, dmin) = (f16_le(b.d), f16_le(b.dmin));
    for s in 0..8 {
        let (sc, m) = get_scale_min_k4(s, &b.scales);
        let (dl, ml) = (d * sc as f32, dmin * m as f32);
        let (c, shift) = (s / 2, 4 * (s % 2));
        for l in 0..32 {
            let low4 = (b.qs[32 * c + l] >> shift) & 0x0F;
            let hbit = (b.qh[l] >> s) & 1;
            let q = low4 | (hbit << 4);
            out[32 * s + l] = dl * q as f32 - ml;
        }
    }
}

pub fn dequant_q6_k(blk: &[u8], out: &mut [f32]) {
    let b: &BlockQ6K = from_bytes(blk);
    let d = f16_le(b.d);
    let mut dl = [0f32; 16];
    for (o, &sc) in dl.iter_mut().zip(&b.scales) {
        *o = d * sc as f32;
    }
    // Half h (128 values), group g (32 values): low nibble of ql[64h + 32(g%2) + l] (g<2) or its
    // high nibble (g≥2), high 2 bits at bit 2g of qh[32h + l].
    for h in 0..2 {
        let ql = &b.ql[64 * h..64 * h + 64];
        let qh = &b.qh[32 * h..32 * h + 32];
        let y = &mut out[128 * h..128 * h + 128];
        for l in 0..32 {
            let q0 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) as i32 - 32;
            let q1 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
            let q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
            let q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
            let sub = 8 * h + l / 16;
            y[l] = dl[sub] * q0 as f32;
            y[l + 32] = dl[sub + 2] * q1 as f32;
            y[l + 64] = dl[sub + 4] * q2 as f32;
            y[l + 96] = dl[sub + 6] * q3 as f32;
        }
    }
}
