//! The GPU backends behind one trait: cuda (driver API) and nv (hand-built queues over hcq).
//!
//! [`Backend`] is what the benchmarks and the selftest need and no more: memory, copies, kernels
//! from the PTX registry, launches, a wait with a deadline, timing marks, and prebuilt replay of
//! a list of launches (a CUDA graph on cuda; a prebuilt command queue on nv). The CPU is not a
//! backend: it is the reference (`bench::reference`) every GPU result is checked against.

pub mod backend;
pub mod cuda;
pub mod nv;
pub mod select;

pub use backend::{Arg, Backend, Buf, GpuInfo, KernelId, Launch, Mark, ReplayId};
pub use select::{open, BackendKind, Opened};
