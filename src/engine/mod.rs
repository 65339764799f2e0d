//! GPU decode: the decode kernels (their table, geometry, CPU references and selftest) and the
//! engine that runs a model with them: weights uploaded once, a fixed launch plan per token
//! replayed through the backend's prebuilt queue, and the check against the CPU reference.
//!
//! Kernels (branch dkern):
//! - [`kernels`]: every decode kernel, its PTX file, its `.param` list, its variants (`TPR`);
//! - [`launch`]: launch geometry and bytes read/written as functions of the shapes;
//! - [`reference`]: the CPU math of each kernel (f64 accumulation, src/quant dequant);
//! - [`selftest`]: each kernel on a GPU backend against [`reference`].
//!
//! Engine (branch engine):
//! - [`weights`]: where each GGUF tensor sits in the one device weights buffer;
//! - [`plan`]: the launches of one step (device independent, tested without a GPU);
//! - [`decode`]: [`GpuDecoder`], the plan bound to a backend: upload, replay, timing, profile;
//! - [`decode_check`]: GPU logits against the CPU reference.

pub mod kernels;
pub mod launch;
pub mod reference;
pub mod selftest;
pub mod selftest_fused;
pub mod selftest_norm;

pub mod ablate;
pub mod decode;
pub mod decode_check;
pub mod decode_kernels;
pub mod plan;
pub mod predict;
pub mod weights;

pub use kernels::{decode_kernel, decode_kernels, matvec_entry, spec, DecodeKernel, ParamTy};
pub use selftest::selftest;

pub use decode::{GpuDecoder, KernelTime, TimedRun};
pub use decode_check::{check_against_cpu, CheckReport};
pub use plan::{BufRole, DecodePlan, PlanOptions, PlannedLaunch};
pub use weights::{TensorSlot, WeightsLayout};
