//! Pools of random quantized data, one per ggml type. Quantizing every block of a 1B model costs
//! minutes on two cores, so each type gets a pool of POOL_CHUNKS chunks of 256 Gaussian values
//! (std WEIGHT_STD), quantized once with the real quantizer; tensors are then filled with chunks
//! picked by a PRNG. The data stays random and in the real block layout, just drawn from a
//! finite set of chunks. Q2_K and Q3_K have no quantizer in `quant`, so their blocks are built
//! directly from random quants and scales with the same standard deviation.

use super::rng::Rng;
use crate::{quant, Error, GgmlType, Result};

/// Values per chunk: one K-quant super-block, 8 Q8_0 blocks, 256 halves.
pub const CHUNK_ELEMS: usize = 256;
/// Chunks per pool (1 Mi values: a few hundred kB per type).
pub const POOL_CHUNKS: usize = 4096;
/// Standard deviation of random weights, as in freshly initialised transformer layers.
pub const WEIGHT_STD: f32 = 0.02;

/// Quantized random chunks of one type.
pub struct Pool {
    pub ty: GgmlType,
    pub chunk_b: usize,
    pub bytes: Vec<u8>,
}

impl Pool {
    /// A pool for `ty`, reproducible from `seed`, quantized on `threads` threads.
    pub fn new(ty: GgmlType, seed: u64, threads: usize) -> Result<Pool> {
        let chunk_b = ty
            .bytes_for(CHUNK_ELEMS as u64)
            .ok_or_else(|| Error::Quant(format!("{ty}: 256 values are not whole blocks")))?
            as usize;
        let mut bytes = vec![0u8; chunk_b * POOL_CHUNKS];
        let threads = threads.clamp(1, 64);
        let per = POOL_CHUNKS.div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = bytes
                .chunks_mut(per * chunk_b)
                .enumerate()
                .map(|(t, dst)| s.spawn(move || fill_pool_part(ty, seed, t * per, chunk_b, dst)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Quant(format!("{ty}: pool thread panicked")))
                    })
                })
                .collect::<Result<Vec<()>>>()
        })?;
        Ok(Pool { ty, chunk_b, bytes })
    }

    pub fn chunk(&self, i: usize) -> &[u8] {
        &self.bytes[i * self.chunk_b..(i + 1) * self.chunk_b]
    }
}

/// Chunks `first..` of the pool, each from its own PRNG stream (so thread count does not matter).
fn fill_pool_part(
    ty: GgmlType,
    seed: u64,
    first: usize,
    chunk_b: usize,
    dst: &mut [u8],
) -> Result<()> {
    let mut vals = [0f32; CHUNK_ELEMS];
    for (k, out) in dst.chunks_exact_mut(chunk_b).enumerate() {
        let mut rng = Rng::new(seed, ((ty.id() as u64) << 32) | (first + k) as u64);
        match ty {
            GgmlType::Q2_K => random_q2_k(&mut rng, out),
            GgmlType::Q3_K => random_q3_k(&mut rng, out),
            _ => {
                for v in vals.iter_mut() {
                    *v = rng.normal() * WEIGHT_STD;
                }
                quant::quantize_row_into_fast(ty, &vals, out)?;
            }
        }
    }
    Ok(())
}

fn f16_bytes(x: f32) -> [u8; 2] {
    half::f16::from_f32(x).to_le_bytes()
}

fn fill_random(rng: &mut Rng, out: &mut [u8]) {
    for c in out.chunks_mut(8) {
        let r = rng.next_u64().to_le_bytes();
        c.copy_from_slice(&r[..c.len()]);
    }
}

/// A Q2_K block (scales[16] · qs[64] · d · dmin): q uniform in 0..3, scale = min nibble s in
/// 8..15 and dmin = 1.5·d so every sub-block has mean 0: y = d·s·(q − 1.5).
fn random_q2_k(rng: &mut Rng, out: &mut [u8]) {
    fill_random(rng, &mut out[16..80]);
    for s in &mut out[0..16] {
        let sc = 8 + rng.below(8) as u8;
        *s = sc | (sc << 4);
    }
    // std of q − 1.5 over 0..3 is 1.118; mean s is 11.5.
    let d = WEIGHT_STD / (1.118 * 11.5);
    out[80..82].copy_from_slice(&f16_bytes(d));
    out[82..84].copy_from_slice(&f16_bytes(1.5 * d));
}

/// A Q3_K block (hmask[32] · qs[64] · scales[12] · d): q uniform in −4..3, six-bit signed
/// scales sc = ±(16..31) packed as ggml does (low 4 bits in bytes 0..7, high 2 bits in 8..11).
fn random_q3_k(rng: &mut Rng, out: &mut [u8]) {
    fill_random(rng, &mut out[0..96]);
    let mut raw = [0u8; 16];
    for r in raw.iter_mut() {
        // |sc| in 16..31 with a random sign, so the −0.5 mean of q cancels: stored = sc + 32.
        let mag = 16 + rng.below(16) as i32;
        let sc = if rng.next_u64() & 1 == 0 { mag } else { -mag };
        *r = (sc + 32) as u8;
    }
    let scales = &mut out[96..108];
    scales.fill(0);
    for (k, &r) in raw.iter().enumerate() {
        let low4 = r & 0xF;
        if k < 8 {
            scales[k] |= low4;
        } else {
            scales[k - 8] |= low4 << 4;
        }
        scales[8 + k % 4] |= (r >> 4) << (2 * (k / 4));
    }
    // std of q over −4..3 is 2.29; mean sc is 23.5.
    let d = WEIGHT_STD / (2.29 * 23.5);
    out[108..110].copy_from_slice(&f16_bytes(d));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_weight_type_pool_dequantizes_to_small_gaussian_ish_values() {
        use GgmlType as G;
        for ty in [G::F16, G::Q8_0, G::Q6_K, G::Q5_K, G::Q4_K, G::Q3_K, G::Q2_K] {
            let p = Pool::new(ty, 3, 2).unwrap();
            let n = POOL_CHUNKS * CHUNK_ELEMS;
            let v = quant::dequantize_to_vec(ty, &p.bytes, n).unwrap();
            let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
            let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(mean.abs() < 2e-3, "{ty}: mean {mean}");
            assert!((0.012..0.03).contains(&std), "{ty}: std {std}");
            assert!(v.iter().all(|x| x.is_finite() && x.abs() < 0.5), "{ty}");
            // Same seed, same bytes; another seed, other bytes; threads do not matter.
            assert_eq!(Pool::new(ty, 3, 1).unwrap().bytes, p.bytes, "{ty}");
            assert_ne!(Pool::new(ty, 4, 2).unwrap().bytes, p.bytes, "{ty}");
        }
    }
}
