//! Where each GGUF tensor lives in the one device weights buffer: the quantized bytes exactly as
//! in the file, each tensor at a 256-byte aligned offset (the matvec kernels read 16-byte vectors
//! from 16-byte aligned blocks; 256 also keeps every tensor on its own L2 sector run).

use crate::models::{ModelConfig, ModelSpec};
use crate::{Error, GgmlType, Result};

/// Alignment of every tensor inside the weights buffer.
pub const WEIGHT_ALIGN_B: u64 = 256;

/// One tensor's place in the weights buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSlot {
    pub name: String,
    pub ty: GgmlType,
    /// ne order (dims[0] is the row length).
    pub dims: Vec<u64>,
    pub offset_b: u64,
    pub size_b: u64,
}

impl TensorSlot {
    /// Bytes of one row (dims[0] values).
    pub fn row_b(&self) -> u64 {
        self.ty.bytes_for(self.dims[0]).unwrap_or(0)
    }

    pub fn n_rows(&self) -> u64 {
        self.dims[1..].iter().product()
    }
}

/// Every tensor the decoder reads, in file order, with offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightsLayout {
    pub tensors: Vec<TensorSlot>,
    /// Size of the buffer: the last tensor's end rounded up to WEIGHT_ALIGN_B.
    pub total_b: u64,
}

impl WeightsLayout {
    /// Lay out `(name, type, dims)` in the given order. Errors name a tensor whose element count
    /// is not a whole number of its type's blocks.
    pub fn new(tensors: impl IntoIterator<Item = (String, GgmlType, Vec<u64>)>) -> Result<Self> {
        let mut out = Vec::new();
        let mut at = 0u64;
        for (name, ty, dims) in tensors {
            let n: u64 = dims.iter().product();
            if dims.is_empty() {
                return Err(Error::Model(format!("tensor {name} has no dims")));
            }
            let size_b = ty.bytes_for(n).ok_or_else(|| {
                Error::Model(format!(
                    "tensor {name}: {n} values of {ty:?} are not whole blocks"
                ))
            })?;
            let offset_b = at.next_multiple_of(WEIGHT_ALIGN_B);
            at = offset_b + size_b;
            out.push(TensorSlot {
                name,
                ty,
                dims,
                offset_b,
                size_b,
            });
        }
        Ok(WeightsLayout {
            tensors: out,
            total_b: at.next_multiple_of(WEIGHT_ALIGN_B),
        })
    }

    /// The layout of a registry model's file (`ModelSpec::tensor_plan`), without the file.
    pub fn from_spec(spec: &ModelSpec) -> Result<Self> {
        WeightsLayout::new(
            spec.tensor_plan()
                .into_iter()
                .map(|t| (t.name, t.ty, t.dims)),
        )
    }

    pub fn get(&self, name: &str) -> Result<&TensorSlot> {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::Model(format!("the model has no tensor {name}")))
    }

    pub fn find(&self, name: &str) -> Option<&TensorSlot> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Sum of tensor bytes (no padding).
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.size_b).sum()
    }
}

/// The names of the tensors the GPU decoder reads for `c` (absent optional ones are skipped by
/// the caller): the same set as the CPU decoder.
pub fn decoder_tensor_names(c: &ModelConfig) -> Vec<String> {
    let mut names: Vec<String> = vec!["rope_freqs.weight".into(), "token_embd.weight".into()];
    names.extend(c.layer_tensor_names());
    names.push("output_norm.weight".into());
    names.push("output.weight".into());
    names
}
