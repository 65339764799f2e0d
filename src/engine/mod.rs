//! GPU decode kernels: the hand-written PTX in `ptx/decode/`, their table (parameters, launch
//! geometry, bytes moved), a CPU reference for each kernel's math, and the GPU selftest.
//!
//! - [`kernels`]: every decode kernel, its PTX file, its `.param` list, its variants (`TPR`);
//! - [`launch`]: launch geometry and bytes read/written as functions of the shapes;
//! - [`reference`]: the CPU math of each kernel (f64 accumulation, src/quant dequant);
//! - [`selftest`]: each kernel on a GPU backend against [`reference`].

pub mod kernels;
pub mod launch;
pub mod reference;
pub mod selftest;

pub use kernels::{decode_kernel, decode_kernels, matvec_entry, spec, DecodeKernel, ParamTy};
pub use selftest::selftest;
