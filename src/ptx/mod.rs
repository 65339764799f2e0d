//! The hand-written PTX kernels (embedded from ptx/) and the toolchain that turns them into cubins.
//!
//! - [`registry`]: every kernel file, its entry points and its default variant;
//! - [`substitute`]: the one text substitution (`{{NAME}}` placeholders) that makes variants;
//! - [`toolchain`]: ptxas (PATH, CUDA_HOME, the pip package), libnvJitLink, or the driver's cuLink;
//! - [`cache`]: cubins on disk keyed by PTX text, arch and tool version;
//! - [`resources`]: `ptxas -v` output parsed into registers, shared memory, spills, cmem.

pub mod cache;
pub mod nvjitlink;
pub mod registry;
pub mod release;
pub mod resources;
pub mod substitute;
pub mod toolchain;

pub use registry::{kernel, kernels, KernelFile, KernelSpec, FILES};
pub use resources::{parse_ptxas_log, ResourceUsage};
pub use substitute::render;
pub use toolchain::{assemble, assemble_text, Assembled, Tool};
