//! GPU decode: the weights uploaded once, a fixed launch plan per token replayed through the
//! backend's prebuilt queue, and the check against the CPU reference.
//!
//! - [`weights`]: where each GGUF tensor sits in the one device weights buffer;
//! - [`plan`]: the launches of one step (device independent, tested without a GPU);
//! - [`decode`]: [`GpuDecoder`], the plan bound to a backend: upload, replay, timing, profile;
//! - [`decode_check`]: GPU logits against the CPU reference.

pub mod decode;
pub mod decode_check;
pub mod decode_kernels;
pub mod plan;
pub mod weights;

pub use decode::{GpuDecoder, KernelTime, TimedRun};
pub use decode_check::{check_against_cpu, CheckReport};
pub use plan::{BufRole, DecodePlan, PlanOptions, PlannedLaunch};
pub use weights::{TensorSlot, WeightsLayout};
