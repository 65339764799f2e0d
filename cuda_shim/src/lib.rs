//! cuda_shim: libcuda loaded at run time (dlopen), nothing linked at build time.

use std::fmt;

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
