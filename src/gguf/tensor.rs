//! One tensor info: name, shape (ne[0] first), ggml type and where its bytes are.

use crate::GgmlType;

/// The most dims a tensor may have (GGML_MAX_DIMS in ggml.h).
pub const MAX_DIMS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// ne[0] first: dims[0] is the contiguous axis (numpy shape = reversed dims).
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Relative to the data start of the file; a multiple of the alignment.
    pub offset: u64,
    /// Bytes of this tensor's data (without the alignment padding after it).
    pub size_b: u64,
}

impl TensorInfo {
    pub fn n_elems(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Product of dims[1..]: the number of rows of dims[0] contiguous values.
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }

    /// Bytes of one row of dims[0] values.
    pub fn row_bytes(&self) -> u64 {
        let ne0 = self.dims.first().copied().unwrap_or(1);
        ne0 / self.ty.block_elems() as u64 * self.ty.block_bytes() as u64
    }
}

/// Why a shape cannot be stored as `ty`, or its byte size. Shared by the reader and the writer.
pub fn checked_size_b(dims: &[u64], ty: GgmlType) -> Result<u64, String> {
    if dims.is_empty() || dims.len() > MAX_DIMS {
        return Err(format!("n_dims {} not in 1..={MAX_DIMS}", dims.len()));
    }
    if let Some(i) = dims.iter().position(|&d| d == 0) {
        return Err(format!("dims[{i}] is 0 (a tensor of 0 elements)"));
    }
    let n_elems = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("element count of dims {dims:?} overflows u64"))?;
    let be = ty.block_elems() as u64;
    if !dims[0].is_multiple_of(be) {
        return Err(format!(
            "ne[0] = {} is not a whole number of {} blocks of {be} values",
            dims[0], ty
        ));
    }
    ty.bytes_for(n_elems)
        .ok_or_else(|| format!("byte size of dims {dims:?} as {ty} overflows u64"))
}

/// `x` rounded up to a multiple of `align_b` (a power of two), or None on overflow.
pub fn align_up(x: u64, align_b: u64) -> Option<u64> {
    Some(x.checked_add(align_b - 1)? & !(align_b - 1))
}
