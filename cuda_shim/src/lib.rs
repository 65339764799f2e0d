//! cuda_shim: libcuda loaded at run time (dlopen), nothing linked at build time.
//!
//! Three layers, as cudarc splits them (without its generated table):
//! - [`sys`]: the hand-written table of driver entry points, resolved once with dlopen/dlsym;
//! - [`result`]: each call's `CUresult` turned into a [`CudaError`] naming the call, with the
//!   driver's own name and text for the code (cuGetErrorName / cuGetErrorString);
//! - the safe types: [`Context`], [`DeviceBuffer`], [`Module`], [`Function`], [`Stream`],
//!   [`Event`], [`Graph`], [`Linker`], each releasing what it holds on Drop.
//!
//! A machine without the driver gets a `CudaError` naming libcuda.so.1, never a crash.

// `call!` puts its arguments inside the unsafe block of the FFI call: they are plain values and
// pointers to the caller's own locals, and the call itself is the unsafe part.
#![allow(clippy::macro_metavars_in_unsafe)]

use std::fmt;

pub mod context;
pub mod graph;
pub mod link;
pub mod memory;
pub mod module;
pub mod result;
pub mod stream;
pub mod sys;

pub use context::{Context, DeviceInfo};
pub use graph::Graph;
pub use link::{Linked, Linker};
pub use memory::{copy_dtod, copy_dtod_async, DeviceBuffer};
pub use module::{image_hash, Function, KernelArg, LaunchDims, Module};
pub use stream::{Event, Stream};

/// A failed CUDA driver call: the call, the CUresult, and the driver's name and text for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CudaError {
    pub call: &'static str,
    pub code: i32,
    pub name: String,
    pub text: String,
}

impl fmt::Display for CudaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {} ({}): {}",
            self.call, self.name, self.code, self.text
        )
    }
}

impl std::error::Error for CudaError {}

/// The code given to errors that come from the loader or from kernlab itself, not the driver.
pub const NOT_A_CURESULT: i32 = -1;

impl CudaError {
    /// A dlopen/dlsym failure: `name` is the library or symbol that could not be found.
    pub fn loader(call: &'static str, name: &str, text: &str) -> CudaError {
        let hint = if call == "dlopen" {
            " (is the NVIDIA driver installed? kernlab's CPU commands work without it)"
        } else {
            ""
        };
        CudaError {
            call,
            code: NOT_A_CURESULT,
            name: name.to_string(),
            text: format!("{text}{hint}"),
        }
    }

    /// A misuse caught before calling the driver (bad size, wrong buffer), named like a call.
    pub fn usage(call: &'static str, text: impl Into<String>) -> CudaError {
        CudaError {
            call,
            code: NOT_A_CURESULT,
            name: "KERNLAB_INVALID_ARGUMENT".to_string(),
            text: text.into(),
        }
    }
}
