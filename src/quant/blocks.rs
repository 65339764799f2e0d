//! ggml quant block layouts, one `#[repr(C)]` Pod struct per type, with the byte offset of every
//! field as a `pub const` so the PTX kernels and the CPU code share one description.
//!
//! Layouts: llama.cpp `ggml/src/ggml-common.h` (`block_q4_0` … `block_q6_K`), gguf-py
//! `GGML_QUANT_SIZES`. Every f16 field is a `[u8; 2]` (little-endian IEEE half) and every
//! struct has alignment 1: Q6_K, Q8_0, Q4_0, Q5_0 and Q3_K blocks are only 2-byte aligned in a
//! tensor (and mmapped data may be less), so a byte-aligned view is the one that always works.

use bytemuck::{Pod, Zeroable};
use std::mem::{offset_of, size_of};

/// Values per K-quant super-block (ggml `QK_K`).
pub const QK_K: usize = 256;
/// Values per legacy block (ggml `QK4_0` = `QK8_0` = 32).
pub const QK_LEGACY: usize = 32;
/// Bytes of the packed 6-bit scales/mins of Q4_K/Q5_K and the 6-bit scales of Q3_K (`K_SCALE_SIZE`).
pub const K_SCALE_SIZE: usize = 12;

/// Reads a little-endian IEEE half stored as two bytes.
#[inline(always)]
pub fn f16_le(b: [u8; 2]) -> f32 {
    half::f16::from_le_bytes(b).to_f32()
}

/// `block_q4_0`: y = d·(q − 8), q = 4-bit; value i<16 in the low nibble of qs[i], i≥16 in the
/// high nibble of qs[i−16].
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ4_0 {
    pub d: [u8; 2],
    pub qs: [u8; QK_LEGACY / 2],
}
const _: () = assert!(size_of::<BlockQ4_0>() == 18); // ggml-common.h: sizeof(ggml_half) + QK4_0/2
pub const Q4_0_D_OFF: usize = offset_of!(BlockQ4_0, d);
pub const Q4_0_QS_OFF: usize = offset_of!(BlockQ4_0, qs);

/// `block_q4_1`: y = d·q + m, nibble order as Q4_0.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ4_1 {
    pub d: [u8; 2],
    pub m: [u8; 2],
    pub qs: [u8; QK_LEGACY / 2],
}
const _: () = assert!(size_of::<BlockQ4_1>() == 20); // ggml-common.h: 2*sizeof(ggml_half) + QK4_1/2
pub const Q4_1_D_OFF: usize = offset_of!(BlockQ4_1, d);
pub const Q4_1_M_OFF: usize = offset_of!(BlockQ4_1, m);
pub const Q4_1_QS_OFF: usize = offset_of!(BlockQ4_1, qs);

/// `block_q5_0`: y = d·(q − 16); low 4 bits as Q4_0, bit 4 of value i = bit i of the LE u32 qh.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ5_0 {
    pub d: [u8; 2],
    pub qh: [u8; 4],
    pub qs: [u8; QK_LEGACY / 2],
}
const _: () = assert!(size_of::<BlockQ5_0>() == 22); // ggml-common.h: sizeof(ggml_half) + 4 + QK5_0/2
pub const Q5_0_D_OFF: usize = offset_of!(BlockQ5_0, d);
pub const Q5_0_QH_OFF: usize = offset_of!(BlockQ5_0, qh);
pub const Q5_0_QS_OFF: usize = offset_of!(BlockQ5_0, qs);

/// `block_q5_1`: y = d·q + m, bits as Q5_0.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ5_1 {
    pub d: [u8; 2],
    pub m: [u8; 2],
    pub qh: [u8; 4],
    pub qs: [u8; QK_LEGACY / 2],
}
const _: () = assert!(size_of::<BlockQ5_1>() == 24); // ggml-common.h: 2*sizeof(ggml_half) + 4 + QK5_1/2
pub const Q5_1_D_OFF: usize = offset_of!(BlockQ5_1, d);
pub const Q5_1_M_OFF: usize = offset_of!(BlockQ5_1, m);
pub const Q5_1_QH_OFF: usize = offset_of!(BlockQ5_1, qh);
pub const Q5_1_QS_OFF: usize = offset_of!(BlockQ5_1, qs);

/// `block_q8_0`: y = d·qs[i], qs signed.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ8_0 {
    pub d: [u8; 2],
    pub qs: [i8; QK_LEGACY],
}
const _: () = assert!(size_of::<BlockQ8_0>() == 34); // ggml-common.h: sizeof(ggml_half) + QK8_0
pub const Q8_0_D_OFF: usize = offset_of!(BlockQ8_0, d);
pub const Q8_0_QS_OFF: usize = offset_of!(BlockQ8_0, qs);

/// `block_q2_K`: 16 sub-blocks of 16; scales[k] = 4-bit scale (low) | 4-bit min (high);
/// y = d·(s&15)·q − dmin·(s>>4), q = (qs[32h + l] >> 2j) & 3 for i = 128h + 32j + l.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ2K {
    pub scales: [u8; QK_K / 16],
    pub qs: [u8; QK_K / 4],
    pub d: [u8; 2],
    pub dmin: [u8; 2],
}
const _: () = assert!(size_of::<BlockQ2K>() == 84); // ggml-common.h: 2*sizeof(ggml_half) + QK_K/16 + QK_K/4
pub const Q2K_SCALES_OFF: usize = offset_of!(BlockQ2K, scales);
pub const Q2K_QS_OFF: usize = offset_of!(BlockQ2K, qs);
pub const Q2K_D_OFF: usize = offset_of!(BlockQ2K, d);
pub const Q2K_DMIN_OFF: usize = offset_of!(BlockQ2K, dmin);

/// `block_q3_K`: 16 sub-blocks of 16, signed 6-bit scales packed in 12 bytes, q ∈ [−4, 3]
/// (2 low bits in qs as Q2_K, the high bit in hmask[l] bit i/32, set meaning "no −4").
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ3K {
    pub hmask: [u8; QK_K / 8],
    pub qs: [u8; QK_K / 4],
    pub scales: [u8; K_SCALE_SIZE],
    pub d: [u8; 2],
}
const _: () = assert!(size_of::<BlockQ3K>() == 110); // ggml-common.h: sizeof(ggml_half) + QK_K/4 + QK_K/8 + 12
pub const Q3K_HMASK_OFF: usize = offset_of!(BlockQ3K, hmask);
pub const Q3K_QS_OFF: usize = offset_of!(BlockQ3K, qs);
pub const Q3K_SCALES_OFF: usize = offset_of!(BlockQ3K, scales);
pub const Q3K_D_OFF: usize = offset_of!(BlockQ3K, d);

/// `block_q4_K`: 8 sub-blocks of 32, 6-bit scale and min each (`get_scale_min_k4`);
/// y = d·sc·q − dmin·m. Chunk c (64 values) = qs[32c..32c+32]: low nibbles then high nibbles.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ4K {
    pub d: [u8; 2],
    pub dmin: [u8; 2],
    pub scales: [u8; K_SCALE_SIZE],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(size_of::<BlockQ4K>() == 144); // ggml-common.h: 2*sizeof(ggml_half) + K_SCALE_SIZE + QK_K/2
pub const Q4K_D_OFF: usize = offset_of!(BlockQ4K, d);
pub const Q4K_DMIN_OFF: usize = offset_of!(BlockQ4K, dmin);
pub const Q4K_SCALES_OFF: usize = offset_of!(BlockQ4K, scales);
pub const Q4K_QS_OFF: usize = offset_of!(BlockQ4K, qs);

/// `block_q5_K`: as Q4_K plus bit 4 of value i in qh[i%32] bit i/32.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ5K {
    pub d: [u8; 2],
    pub dmin: [u8; 2],
    pub scales: [u8; K_SCALE_SIZE],
    pub qh: [u8; QK_K / 8],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(size_of::<BlockQ5K>() == 176); // ggml-common.h: 2*sizeof(ggml_half) + K_SCALE_SIZE + QK_K/2 + QK_K/8
pub const Q5K_D_OFF: usize = offset_of!(BlockQ5K, d);
pub const Q5K_DMIN_OFF: usize = offset_of!(BlockQ5K, dmin);
pub const Q5K_SCALES_OFF: usize = offset_of!(BlockQ5K, scales);
pub const Q5K_QH_OFF: usize = offset_of!(BlockQ5K, qh);
pub const Q5K_QS_OFF: usize = offset_of!(BlockQ5K, qs);

/// `block_q6_K`: 16 sub-blocks of 16, int8 scales; q = (4 low bits in ql | 2 high bits in qh) − 32.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct BlockQ6K {
    pub ql: [u8; QK_K / 2],
    pub qh: [u8; QK_K / 4],
    pub scales: [i8; QK_K / 16],
    pub d: [u8; 2],
}
const _: () = assert!(size_of::<BlockQ6K>() == 210); // ggml-common.h: sizeof(ggml_half) + QK_K/16 + 3*QK_K/4
pub const Q6K_QL_OFF: usize = offset_of!(BlockQ6K, ql);
pub const Q6K_QH_OFF: usize = offset_of!(BlockQ6K, qh);
pub const Q6K_SCALES_OFF: usize = offset_of!(BlockQ6K, scales);
pub const Q6K_D_OFF: usize = offset_of!(BlockQ6K, d);

/// 6-bit scale and min of sub-block `j` (0..8) of Q4_K/Q5_K (ggml `get_scale_min_k4`): bytes
/// 0..4 hold scales 0..3 (low 6 bits) and the top 2 bits of scales 4..7; bytes 4..8 the same for
/// mins; bytes 8..12 the low nibbles of scale (low) and min (high) 4..7.
#[inline(always)]
pub fn get_scale_min_k4(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Packs 8 six-bit scales and mins (each ≤ 63) into the 12-byte layout read by [`get_scale_min_k4`].
pub fn pack_scale_min_k4(sc: &[u8; 8], m: &[u8; 8]) -> [u8; K_SCALE_SIZE] {
    let mut q = [0u8; K_SCALE_SIZE];
    for j in 0..8 {
        let (ls, lm) = (sc[j] & 63, m[j] & 63);
        if j < 4 {
            q[j] |= ls;
            q[j + 4] |= lm;
        } else {
            q[j + 4] = (ls & 0x0F) | ((lm & 0x0F) << 4);
            q[j - 4] |= (ls >> 4) << 6;
            q[j] |= (lm >> 4) << 6;
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_ggml_common() {
        assert_eq!(
            (Q6K_QL_OFF, Q6K_QH_OFF, Q6K_SCALES_OFF, Q6K_D_OFF),
            (0, 128, 192, 208)
        );
        assert_eq!(
            (Q4K_D_OFF, Q4K_DMIN_OFF, Q4K_SCALES_OFF, Q4K_QS_OFF),
            (0, 2, 4, 16)
        );
        assert_eq!((Q5K_SCALES_OFF, Q5K_QH_OFF, Q5K_QS_OFF), (4, 16, 48));
        assert_eq!((Q3K_QS_OFF, Q3K_SCALES_OFF, Q3K_D_OFF), (32, 96, 108));
        assert_eq!((Q2K_QS_OFF, Q2K_D_OFF, Q2K_DMIN_OFF), (16, 80, 82));
        assert_eq!((Q5_1_QH_OFF, Q5_1_QS_OFF, Q8_0_QS_OFF), (4, 8, 2));
        assert_eq!(std::mem::align_of::<BlockQ6K>(), 1);
    }

    #[test]
    fn scale_min_pack_round_trips() {
        let sc = [0, 1, 17, 63, 32, 45, 5, 63];
        let m = [63, 2, 0, 31, 62, 16, 48, 1];
        let q = pack_scale_min_k4(&sc, &m);
        for j in 0..8 {
            assert_eq!(get_scale_min_k4(j, &q), (sc[j], m[j]), "sub-block {j}");
        }
    }
}
