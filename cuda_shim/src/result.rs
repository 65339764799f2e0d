//! Layer 2: a driver call's `CUresult` becomes `Result<(), CudaError>`, with the driver's name
//! and description of the code looked up through cuGetErrorName / cuGetErrorString.

use crate::sys::{driver, CUresult, CUDA_SUCCESS};
use crate::CudaError;
use std::ffi::{c_char, CStr};

/// Turn `code` from `call` into a Result.
pub fn check(call: &'static str, code: CUresult) -> Result<(), CudaError> {
    if code == CUDA_SUCCESS {
        return Ok(());
    }
    Err(error(call, code))
}

/// The CudaError for a non-zero `code`, with the driver's name and text when it has them.
pub fn error(call: &'static str, code: CUresult) -> CudaError {
    let (name, text) = match driver() {
        Ok(d) => {
            let mut n: *const c_char = std::ptr::null();
            let mut t: *const c_char = std::ptr::null();
            // SAFETY: both calls write a pointer to a static string or leave it null.
            unsafe {
                (d.cuGetErrorName)(code, &mut n);
                (d.cuGetErrorString)(code, &mut t);
            }
            (
                c_text(n, "CUDA_ERROR_UNKNOWN_CODE"),
                c_text(t, "no description"),
            )
        }
        Err(_) => ("CUDA_ERROR_UNKNOWN_CODE".into(), "no driver".into()),
    };
    CudaError {
        call,
        code,
        name,
        text,
    }
}

fn c_text(p: *const c_char, fallback: &str) -> String {
    if p.is_null() {
        fallback.to_string()
    } else {
        // SAFETY: the driver returns NUL-terminated static strings.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Call a driver entry point by its table field and check the result, naming the call.
/// (The arguments are plain values and pointers the caller owns; the unsafety is the FFI call.)
#[macro_export]
macro_rules! call {
    ($d:expr, $name:ident ( $($arg:expr),* )) => {
        $crate::result::check(stringify!($name), unsafe { ($d.$name)($($arg),*) })
    };
}
