//! kernlab: a Rust kernel lab for NVIDIA GPUs.
//!
//! The library holds everything above the command queues: GGUF files, quant formats, models,
//! the CPU reference decoder, the tokenizer, the PTX kernels and toolchain, the GPU backends
//! (cuda through `cuda_shim`, nv through `hcq`), and the benchmarks.

pub mod bench;
pub mod cpu;
pub mod engine;
pub mod error;
pub mod ggml_type;
pub mod gguf;
pub mod gpu;
pub mod json;
pub mod models;
pub mod ptx;
pub mod quant;
pub mod stats;
pub mod tokenizer;

pub use error::{Error, Result};
pub use ggml_type::GgmlType;
