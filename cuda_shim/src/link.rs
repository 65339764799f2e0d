//! The driver's own PTX assembler (cuLink*): the last choice of kernlab's toolchain, used when
//! neither ptxas nor libnvJitLink is found. Needs a current context; the target is its device.

use crate::call;
use crate::sys::{
    driver, CUlinkState, Driver, CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
    CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_INPUT_PTX,
    CU_JIT_LOG_VERBOSE,
};
use crate::CudaError;
use std::ffi::{c_void, CString};

const LOG_B: usize = 16 * 1024;

/// A link of one PTX text into a cubin for the current context's device.
pub struct Linker {
    d: &'static Driver,
}

/// The cubin and the assembler's info log (register/shared usage lines, as `ptxas -v` prints).
pub struct Linked {
    pub cubin: Vec<u8>,
    pub info_log: String,
}

impl Linker {
    pub fn new() -> Result<Linker, CudaError> {
        Ok(Linker { d: driver()? })
    }

    /// Assemble `ptx` (named `name` in messages) into a cubin.
    pub fn link_ptx(&self, ptx: &str, name: &str) -> Result<Linked, CudaError> {
        let d = self.d;
        let mut info = vec![0u8; LOG_B];
        let mut err = vec![0u8; LOG_B];
        let mut opts = [
            CU_JIT_INFO_LOG_BUFFER,
            CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
            CU_JIT_ERROR_LOG_BUFFER,
            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
            CU_JIT_LOG_VERBOSE,
        ];
        // The driver reads each option value as an integer or pointer stored in a void*.
        #[allow(clippy::manual_dangling_ptr)]
        let mut vals: [*mut c_void; 5] = [
            info.as_mut_ptr() as *mut c_void,
            LOG_B as *mut c_void,
            err.as_mut_ptr() as *mut c_void,
            LOG_B as *mut c_void,
            1usize as *mut c_void,
        ];
        let mut state: CUlinkState = std::ptr::null_mut();
        call!(
            d,
            cuLinkCreate(5, opts.as_mut_ptr(), vals.as_mut_ptr(), &mut state)
        )?;
        let result = (|| -> Result<Vec<u8>, CudaError> {
            let text = CString::new(ptx)
                .map_err(|_| CudaError::usage("cuLinkAddData", "PTX text has a NUL"))?;
            let cname = CString::new(name).unwrap_or_default();
            let bytes = text.as_bytes_with_nul();
            call!(
                d,
                cuLinkAddData(
                    state,
                    CU_JIT_INPUT_PTX,
                    bytes.as_ptr() as *mut c_void,
                    bytes.len(),
                    cname.as_ptr(),
                    0,
                    std::ptr::null_mut(),
                    std::ptr::null_mut()
                )
            )?;
            let mut out: *mut c_void = std::ptr::null_mut();
            let mut out_len: usize = 0;
            call!(d, cuLinkComplete(state, &mut out, &mut out_len))?;
            // SAFETY: the driver owns `out` (out_len bytes) until cuLinkDestroy; copy it first.
            let cubin = unsafe { std::slice::from_raw_parts(out as *const u8, out_len) }.to_vec();
            Ok(cubin)
        })();
        // SAFETY: destroys the state created above (after the cubin was copied out).
        unsafe {
            (d.cuLinkDestroy)(state);
        }
        let info_log = c_buf(&info);
        match result {
            Ok(cubin) => Ok(Linked { cubin, info_log }),
            Err(mut e) => {
                let log = c_buf(&err);
                if !log.is_empty() {
                    e.text = format!("{}: {}", e.text, log.trim());
                }
                Err(e)
            }
        }
    }
}

fn c_buf(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
