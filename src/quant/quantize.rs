//! Quantizers: dispatch by type. (Quantizers are not built yet in this slice.)

use crate::{Error, GgmlType, Result};

/// Whether [`quantize`] supports `ty`.
pub fn can_quantize(_ty: GgmlType) -> bool {
    false
}

/// Quantizes `src` (a whole number of blocks) into a new vector.
pub fn quantize(ty: GgmlType, _src: &[f32]) -> Result<Vec<u8>> {
    Err(Error::Quant(format!("{ty}: quantize is not built yet")))
}

/// Quantizes `src` into `dst` (exactly `bytes_for(src.len())` bytes) without allocating.
pub fn quantize_row_into(ty: GgmlType, _src: &[f32], _dst: &mut [u8]) -> Result<()> {
    Err(Error::Quant(format!("{ty}: quantize is not built yet")))
}

/// As [`quantize`] with a shorter scale search.
pub fn quantize_fast(ty: GgmlType, src: &[f32]) -> Result<Vec<u8>> {
    quantize(ty, src)
}

/// As [`quantize_row_into`] with a shorter scale search.
pub fn quantize_row_into_fast(ty: GgmlType, src: &[f32], dst: &mut [u8]) -> Result<()> {
    quantize_row_into(ty, src, dst)
}
