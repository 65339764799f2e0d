//! The CPU reference decoder: the f32 oracle every GPU kernel is checked against.
//!
//! Weights are dequantized once at load into f32 ([`Weights`]); [`CpuModel::forward`] runs one
//! position of LLaMA or Qwen3 through every layer against a [`KvCache`], with row-parallel
//! matvecs on std threads. Checked against an independent f64 reference (tests/cpu_reference.rs).

pub mod attention;
pub mod kv_cache;
pub mod load;
pub mod matvec;
pub mod model;
mod named;
pub mod ops;
pub mod rounding;
pub mod run;
pub mod weights;

pub use kv_cache::KvCache;
pub use model::{CpuModel, Phase, Step};
pub use rounding::{Exact, Matrix, Rounding};
pub use run::{decode_run, DecodeReport};
pub use weights::{LayerWeights, Weights};
