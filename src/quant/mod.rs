//! ggml quant formats: block layouts, CPU reference dequantize and quantize.
//!
//! [`desc`] gives the per-type description (block geometry + the one-block dequant function)
//! that the CPU decoder and the GPU kernels share; the byte layout of each block, with field
//! offsets, is in [`blocks`]. Dequantize is checked bit for bit against gguf-py fixtures
//! (tests/fixtures/quant, scripts/gen_quant_fixtures.py).

pub mod blocks;
mod dequant_k;
mod dequant_legacy;
mod quant_k;
mod quant_legacy;
mod quantize;
mod search;

use crate::{Error, GgmlType, Result};

pub use dequant_k::q3k_scale;
pub use quantize::{
    can_quantize, quantize, quantize_fast, quantize_parallel, quantize_row_into,
    quantize_row_into_fast, quantize_row_into_with, quantize_with, Search,
};

/// What a kernel or the CPU reference needs to know about one ggml type.
pub struct TypeDesc {
    pub ty: GgmlType,
    /// Values per block (1 for F32/F16/BF16).
    pub block_elems: usize,
    /// Bytes per block.
    pub block_bytes: usize,
    /// Dequantizes exactly one block (`block_bytes` in) into exactly `block_elems` values;
    /// panics on other slice lengths (callers go through [`dequantize`], which checks them).
    pub dequant_block: fn(&[u8], &mut [f32]),
}

macro_rules! desc {
    ($ty:ident, $f:path) => {
        TypeDesc {
            ty: GgmlType::$ty,
            block_elems: GgmlType::$ty.block_elems(),
            block_bytes: GgmlType::$ty.block_bytes(),
            dequant_block: $f,
        }
    };
}

static DESCS: [TypeDesc; 13] = [
    desc!(F32, dequant_legacy::dequant_f32),
    desc!(F16, dequant_legacy::dequant_f16),
    desc!(BF16, dequant_legacy::dequant_bf16),
    desc!(Q4_0, dequant_legacy::dequant_q4_0),
    desc!(Q4_1, dequant_legacy::dequant_q4_1),
    desc!(Q5_0, dequant_legacy::dequant_q5_0),
    desc!(Q5_1, dequant_legacy::dequant_q5_1),
    desc!(Q8_0, dequant_legacy::dequant_q8_0),
    desc!(Q2_K, dequant_k::dequant_q2_k),
    desc!(Q3_K, dequant_k::dequant_q3_k),
    desc!(Q4_K, dequant_k::dequant_q4_k),
    desc!(Q5_K, dequant_k::dequant_q5_k),
    desc!(Q6_K, dequant_k::dequant_q6_k),
];

/// Every type with a CPU dequantize, in the order of [`desc`]'s table.
pub fn dequant_types() -> impl Iterator<Item = GgmlType> {
    DESCS.iter().map(|d| d.ty)
}

/// The description of `ty`; `Error::Quant` for types without a dequantize (Q8_1, Q8_K).
pub fn desc(ty: GgmlType) -> Result<&'static TypeDesc> {
    DESCS
        .iter()
        .find(|d| d.ty == ty)
        .ok_or_else(|| Error::Quant(format!("{ty}: no dequantize for this type")))
}

/// Checks that `data_len` bytes hold exactly `n_elems` values of `ty`.
fn check_len(ty: GgmlType, data_len: usize, n_elems: usize) -> Result<()> {
    let want = ty.bytes_for(n_elems as u64).ok_or_else(|| {
        Error::Quant(format!(
            "{ty}: {n_elems} values is not a whole number of {}-value blocks",
            ty.block_elems()
        ))
    })?;
    if want != data_len as u64 {
        return Err(Error::Quant(format!(
            "{ty}: {n_elems} values need {want} bytes, got {data_len}"
        )));
    }
    Ok(())
}

/// Dequantizes `out.len()` values of `ty` from `data` (which must be exactly that many values).
pub fn dequantize(ty: GgmlType, data: &[u8], out: &mut [f32]) -> Result<()> {
    let d = desc(ty)?;
    check_len(ty, data.len(), out.len())?;
    match ty {
        // Plain floats: one tight loop instead of a call per value.
        GgmlType::F32 => {
            for (y, b) in out.iter_mut().zip(data.chunks_exact(4)) {
                *y = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
        }
        GgmlType::F16 => match bytemuck::try_cast_slice::<u8, half::f16>(data) {
            // 2-byte aligned (the usual case): half's bulk convert uses F16C where present.
            Ok(h) if cfg!(target_endian = "little") => {
                use half::slice::HalfFloatSliceExt;
                h.convert_to_f32_slice(out);
            }
            _ => {
                for (y, b) in out.iter_mut().zip(data.chunks_exact(2)) {
                    *y = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
                }
            }
        },
        GgmlType::BF16 => {
            for (y, b) in out.iter_mut().zip(data.chunks_exact(2)) {
                *y = f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16);
            }
        }
        _ => {
            for (blk, y) in data
                .chunks_exact(d.block_bytes)
                .zip(out.chunks_exact_mut(d.block_elems))
            {
                (d.dequant_block)(blk, y);
            }
        }
    }
    Ok(())
}

/// Dequantizes `n_elems` values of `ty` into a new vector.
pub fn dequantize_to_vec(ty: GgmlType, data: &[u8], n_elems: usize) -> Result<Vec<f32>> {
    desc(ty)?;
    check_len(ty, data.len(), n_elems)?;
    let mut out = vec![0f32; n_elems];
    dequantize(ty, data, &mut out)?;
    Ok(out)
}
